import APIServer
import ArgumentParser
import Foundation
import KubeClient
import Logging
import NodeAgent
import ServiceLifecycle

/// A node agent on its own, for a node namespace that `swiftlet up` made.
struct Node: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run one node agent against a running cluster.")

    @Option(help: "The data directory of the cluster.") var dataDir: String?
    @Option(help: "Which node (1 … nodes) this agent runs.") var index: Int
    @Option(help: "Log level.") var logLevel = "info"
    @Option(help: "The agent's port on 127.0.0.1 for logs and exec (0: any free port).") var agentPort = 0

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "swiftlet.node")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let dir = dataDir.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath).standardizedFileURL }
            ?? ServerConfiguration.defaultDataDir
        guard let record = ClusterRecord.load(from: dir) else {
            throw ValidationError("no cluster in \(dir.path): start one with `swiftlet up --data-dir \(dir.path)`")
        }
        guard (1...record.nodes).contains(index) else { throw ValidationError("--index must be 1 to \(record.nodes)") }
        let creds = try ClusterCredentials.fromDataDir(dir, server: "https://127.0.0.1:\(record.port)")
        let client = try KubeClient(credentials: creds)
        var c = NodeAgentConfiguration(network: record.network, nodeIndex: index,
                                       stateDir: dir.appendingPathComponent("nodes/\(record.network.nodeName(index))"),
                                       executable: Up.selfPath(), clusterDNS: record.network.serviceCIDR.address(10).description,
                                       agentPort: agentPort == 0 ? try Up.freePort() : agentPort)
        c.clusterDomain = record.clusterDomain
        let agent = NodeAgent(config: c, client: client, token: creds.token, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: agent)], gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        try await group.run()
        await client.shutdown()
    }
}
