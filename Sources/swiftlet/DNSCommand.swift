import APIServer
import ArgumentParser
import ClusterDNS
import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import Logging
import ServiceLifecycle
import SwiftletCluster

/// The cluster DNS server on its own, against a running API server (`swiftlet up` runs it
/// in-process; this is for benchmarks and for running it apart).
struct DNSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract: "Run the cluster DNS server against an API server."
    )

    @Option(help: "The data directory of the API server (its credentials).") var dataDir: String?
    @Option(help: "The API server's port on 127.0.0.1.") var apiPort = 6443
    @Option(help: "Address and port to serve DNS on.") var listen = "127.0.0.1:53"
    @Option(help: "The cluster's DNS domain.") var clusterDomain = "cluster.local"
    @Option(help: "Where other names go: none, or IPv4 addresses with optional ports (default: the host's resolvers).")
    var upstream: String?
    @Option(help: "Log level.") var logLevel = "notice"

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "swiftlet.dns")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .notice
        let parts = listen.split(separator: ":")
        guard parts.count == 2, IPv4Address(String(parts[0])) != nil, let port = Int(parts[1]) else {
            throw ValidationError("--listen \(listen): expected an IPv4 address and a port, such as 127.0.0.1:5353")
        }
        let dir = ClusterRecord.dataDir(dataDir)
        let client = try KubeClient(
            credentials: try ClusterCredentials.fromDataDir(dir, server: "https://127.0.0.1:\(apiPort)")
        )
        let metrics = DNSMetrics()
        let engine = DNSEngine(
            zone: ClusterZone(domain: clusterDomain),
            upstream: try KubeDNS.upstream(upstream, metrics: metrics),
            metrics: metrics
        )
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: ZoneWatcher(client: client, engine: engine, logger: logger)),
                    .init(service: DNSServer(host: String(parts[0]), port: port, engine: engine, logger: logger)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        await client.shutdown()
    }
}
