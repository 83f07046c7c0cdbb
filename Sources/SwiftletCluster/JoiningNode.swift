import APIServer
import Foundation
import HostCommands
import KubeAPI
import KubeClient
import KubeMachinery
import Logging
import NodeAgent
import ServiceLifecycle

/// Runs one node agent until SIGINT or SIGTERM.
package func runNodeAgent(_ agent: NodeAgent, logger: Logger) async throws {
    let group = ServiceGroup(
        configuration: .init(
            services: [.init(service: agent)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
    )
    try await group.run()
}

/// A node joining a running cluster with a bootstrap token: it discovers and checks the
/// cluster's CA, reserves a node index, builds its namespace on the cluster's bridge and
/// runs its agent until stopped, then removes what it built.
package struct JoiningNode {
    package var servers: [String]
    package var token: BootstrapToken
    /// Where its pods' state lives (`/var/lib/swiftlet-node` when nil).
    package var dataDir: URL?
    /// The agent's port on 127.0.0.1 (0: any free port).
    package var agentPort = 0

    package init(servers: [String], token: BootstrapToken) {
        self.servers = servers
        self.token = token
    }

    package func run(logger: Logger) async throws {
        let say = ProgressLog()
        say.step("Discovering the cluster at \(servers.joined(separator: ", ")) with token id \(token.id)")
        let ca = try await Join.discoverCA(servers: servers, token: token)
        let client = try KubeClient(
            credentials: ClusterCredentials(servers: servers, caPEM: ca, token: token.description)
        )
        do {
            try await joined(client: client, token: token, say: say, logger: logger)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    func joined(client: KubeClient, token: BootstrapToken, say: ProgressLog, logger: Logger) async throws {
        let info: JSON
        do {
            info = try await client.get(Resources.configmaps, namespace: ClusterInfo.namespace, name: ClusterInfo.name)
        } catch let e as APIError where e.code == 401 {
            throw JoinError(
                "the API server refused token id \(token.id): it has expired or was deleted; make one with `swiftlet token create`"
            )
        }
        guard let (net, domain) = ClusterInfo.network(info) else {
            throw JoinError("\(ClusterInfo.namespace)/\(ClusterInfo.name) does not describe the cluster's network")
        }
        guard (try? await HostCommand.run("ip", ["link", "show", net.bridge])) != nil else {
            throw JoinError(
                "this machine has no bridge \(net.bridge) (the node network \(net.nodeCIDR) of cluster \(net.name)): "
                    + "a node joins over the cluster's node network, which `swiftlet up` builds on the server's machine"
            )
        }
        let i = try await Join.reserveIndex(client: client, network: net)
        let name = net.nodeName(i)
        say.step("Joining cluster \(net.name) as \(name) (\(net.nodeIP(i)), pods \(net.nodePodCIDR(i)))")
        await leave(net, i)  // what an earlier run of this node left
        do {
            try await ClusterPlumbing.buildNode(net, i, peers: [])
            try await HostCommand.run(
                "ip",
                [
                    "route", "replace", net.nodePodCIDR(i).description, "via", net.nodeIP(i).description,
                    "dev", net.bridge,
                ]
            )
        } catch {
            await leave(net, i)
            throw error
        }
        let dir = dataDir ?? URL(fileURLWithPath: "/var/lib/swiftlet-node")
        var c = NodeAgentConfiguration(
            network: net,
            nodeIndex: i,
            stateDir: dir.appendingPathComponent("\(net.name)/\(name)"),
            executable: SwiftletExecutable.current,
            clusterDNS: net.serviceCIDR.address(10).description,
            agentPort: agentPort == 0 ? try freeLoopbackPort() : agentPort
        )
        c.clusterDomain = domain
        c.publishAgentToken = true
        // The node's own containerd, under its state directory, with a cgroup of its own.
        let layout = ContainerdLayout(dataDir: c.stateDir.path, cluster: "\(net.name)-\(name)")
        say.step("Starting containerd (\(layout.socket))")
        let containerd = ContainerdProcess(layout: layout, logger: logger)
        do {
            let (runtime, images) = try await containerd.start(executable: SwiftletExecutable.current)
            c.containerRuntime = runtime
            c.builtinImages = images
        } catch {
            await leave(net, i)
            throw error
        }
        c.cgroupParent = layout.cgroupParent
        // The bootstrap token only gets the node its certificate; the agent is the node.
        let nodeClient: KubeClient
        do {
            say.step("Requesting node \(name)'s client certificate (CertificateSigningRequest)")
            let identity = try await Join.requestNodeCertificate(client: client, node: name)
            nodeClient = try KubeClient(
                credentials: ClusterCredentials(
                    servers: client.credentials.servers,
                    caPEM: client.credentials.caPEM,
                    clientCertificate: identity
                )
            )
        } catch {
            await containerd.stop(c.containerRuntime)
            await leave(net, i)
            throw error
        }
        let agentToken = BootstrapToken.generate().description
        say.step("Node \(name) is running; stop it with Ctrl-C or SIGTERM (its namespace and routes go with it)")
        var failure: (any Error)?
        do {
            try await runNodeAgent(
                NodeAgent(config: c, client: nodeClient, token: agentToken, logger: logger),
                logger: logger
            )
        } catch { failure = error }
        await nodeClient.shutdown()
        say.step("Stopping: removing \(name)'s pods, containerd, namespace and routes")
        await containerd.stop(c.containerRuntime)
        await leave(net, i)
        if let failure { throw failure }
    }

    /// Removes what joining built: the node namespace (its link goes with it) and the host's route.
    func leave(_ net: ClusterNetwork, _ i: Int) async {
        _ = await HostCommand.deleteNamespace(net.nodeNamespace(i))
        _ = try? await HostCommand.run("ip", ["link", "delete", net.nodeLink(i)])
        _ = try? await HostCommand.run(
            "ip",
            ["route", "del", net.nodePodCIDR(i).description, "via", net.nodeIP(i).description]
        )
    }
}
