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
        let dns = StandaloneDNS(host: String(parts[0]), port: port, clusterDomain: clusterDomain, upstream: upstream)
        do {
            try await dns.run(client: client, logger: logger)
        } catch let e as ClusterSetupError {
            await client.shutdown()
            throw ValidationError(e.description)
        }
        await client.shutdown()
    }
}
