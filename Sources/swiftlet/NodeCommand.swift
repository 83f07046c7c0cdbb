import APIServer
import ArgumentParser
import CRI
import Foundation
import HostCommands
import KubeAPI
import KubeClient
import KubeMachinery
import Logging
import NodeAgent
import ServiceLifecycle
import SwiftletCluster

/// A node agent on its own: either for a node namespace that `swiftlet up` made (`--index`),
/// or a node that joins a running cluster with a bootstrap token (`--server … --token …`).
struct Node: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one node agent against a running cluster, or join a cluster as a new node.",
        discussion: """
            Join: `swiftlet node --server https://172.30.0.1:6443 --token abcdef.0123456789abcdef` (the server prints \
            the command; `swiftlet token create` makes another). Several servers, comma-separated, are tried in turn.
            """
    )

    @Option(help: "The data directory (of the cluster with --index; of this node's pods when joining).") var dataDir:
        String?
    @Option(help: "Which node (1 … nodes) of a `swiftlet up` cluster this agent runs.") var index: Int?
    @Option(help: "API server URLs to join, comma-separated (https://HOST:PORT).") var server: String?
    @Option(help: "The bootstrap token to join with (abcdef.0123456789abcdef).") var token: String?
    @Option(help: "Log level.") var logLevel = "info"
    @Option(help: "The agent's port on 127.0.0.1 for logs and exec (0: any free port).") var agentPort = 0

    func validate() throws {
        switch (index, server, token) {
        case (_?, nil, nil), (nil, _?, _?): return
        case (nil, _?, nil):
            throw ValidationError("--server needs --token: make one on the server with `swiftlet token create`")
        case (nil, nil, _?):
            throw ValidationError("--token needs --server https://HOST:PORT (the server's join command shows both)")
        case (nil, nil, nil):
            throw ValidationError(
                "give --index N (a node of `swiftlet up`) or --server URL --token TOKEN (join a cluster)"
            )
        default:
            throw ValidationError("--index runs a node of `swiftlet up`; --server/--token join a cluster: not both")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "swiftlet.node")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        if let server, let token { return try await join(servers: server, token: token, logger: logger) }
        let dir = ClusterRecord.dataDir(dataDir)
        guard let record = ClusterRecord.load(from: dir) else {
            throw ValidationError("no cluster in \(dir.path): start one with `swiftlet up --data-dir \(dir.path)`")
        }
        guard let index, (1...record.nodes).contains(index) else {
            throw ValidationError("--index must be 1 to \(record.nodes)")
        }
        let creds = try ClusterCredentials.fromDataDir(dir, server: "https://127.0.0.1:\(record.port)")
        // The agent is this node's kubelet: a node certificate of the cluster's own CA, so the
        // Node authorizer decides what it may read.
        let nodeUser = UserInfo.node(record.network.nodeName(index))
        let pkiDir = dir.appendingPathComponent("pki")
        let client = try KubeClient(
            credentials: ClusterCredentials(
                servers: creds.servers,
                caPEM: creds.caPEM,
                clientCertificate: try PKI.clientCertificate(
                    user: nodeUser.name,
                    groups: [UserInfo.nodesGroup],
                    caCertPEM: creds.caPEM,
                    caKeyPEM: try String(contentsOf: pkiDir.appendingPathComponent("ca.key"), encoding: .utf8)
                )
            )
        )
        var c = NodeAgentConfiguration(
            network: record.network,
            nodeIndex: index,
            stateDir: dir.appendingPathComponent("nodes/\(record.network.nodeName(index))"),
            executable: SwiftletExecutable.current,
            clusterDNS: record.network.serviceCIDR.address(10).description,
            agentPort: agentPort == 0 ? try freeLoopbackPort() : agentPort
        )
        c.clusterDomain = record.clusterDomain
        // The cluster's containerd, which `swiftlet up` runs (or was given) for all its nodes.
        let layout = ContainerdLayout(dataDir: dir.path, cluster: record.name)
        let socket = record.containerRuntimeEndpoint.map(ExternalContainerd.socketPath) ?? layout.socket
        if FileManager.default.fileExists(atPath: socket) {
            c.containerRuntime = try CRIClient(socketPath: socket)
            c.cgroupParent = layout.cgroupParent
            c.builtinImages = BuiltinImageSet(
                socket: socket,
                executable: SwiftletExecutable.current,
                scratch: URL(fileURLWithPath: layout.dir)
            )
        }
        try await runNodeAgent(NodeAgent(config: c, client: client, token: creds.token, logger: logger), logger: logger)
        await client.shutdown()
    }

    func join(servers list: String, token text: String, logger: Logger) async throws {
        guard getuid() == 0 else { throw ValidationError("a node builds network namespaces and must run as root") }
        guard let token = BootstrapToken(text) else {
            throw ValidationError("--token must look like \(BootstrapToken.format)")
        }
        let servers = list.split(separator: ",").map {
            String($0).trimmingCharacters(in: CharacterSet(charactersIn: " /"))
        }
        guard !servers.isEmpty, servers.allSatisfy({ $0.hasPrefix("https://") }) else {
            throw ValidationError(
                "--server must be https://HOST:PORT[,https://HOST:PORT…], as the server's join command shows"
            )
        }
        var node = JoiningNode(servers: servers, token: token)
        node.dataDir = dataDir.map(ClusterRecord.expand)
        node.agentPort = agentPort
        try await node.run(logger: logger)
    }
}
