import APIServer
import ArgumentParser
import Foundation
import KubeAPI
import KubeClient
import Logging
import NodeAgent
import ServiceLifecycle

struct Down: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop a cluster and remove every namespace, link, route, nft table and process it made.",
        discussion: "The data directory is kept (`swiftlet up` resumes it); add --purge to delete it too. Safe to run twice or after a crash.")

    @Option(help: "The data directory of the cluster to stop.") var dataDir: String?
    @Option(help: "The cluster's name, when its data directory is gone.") var name: String?
    @Flag(help: "Also delete the data directory.") var purge = false

    func run() async throws {
        guard getuid() == 0 else { throw ValidationError("swiftlet down removes network namespaces and must run as root") }
        let dir = dataDir.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath).standardizedFileURL }
            ?? ServerConfiguration.defaultDataDir
        let record = ClusterRecord.load(from: dir)
        guard let clusterName = name ?? record?.name else {
            print("No cluster in \(dir.path) (no cluster.json) and no --name given: nothing to do.")
            return
        }
        if let pid = record?.pid, pid > 0, kill(pid, 0) == 0, isSwiftlet(pid) {
            print("Stopping swiftlet (pid \(pid))…")
            kill(pid, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(20)
            while kill(pid, 0) == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL); try await Task.sleep(for: .milliseconds(200)) }
        }
        let net = record?.network ?? ClusterNetwork(name: clusterName, nodeCIDR: IPv4Network("172.30.0.0/24")!,
                                                     podCIDR: IPv4Network("10.244.0.0/16")!, serviceCIDR: IPv4Network("10.96.0.0/12")!)
        let removed = await ClusterPlumbing.tearDown(net)
        record?.unregister()
        try? FileManager.default.removeItem(at: dir.appendingPathComponent("ready"))
        if removed.isEmpty {
            print("Cluster \(clusterName): nothing left to remove.")
        } else {
            print("Cluster \(clusterName): removed \(removed.count) objects:")
            for r in removed { print("  \(r)") }
        }
        if purge {
            try? FileManager.default.removeItem(at: dir)
            print("Deleted \(dir.path).")
        }
    }

    func isSwiftlet(_ pid: Int32) -> Bool {
        let cmd = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
        return cmd.contains("swiftlet")
    }
}

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
