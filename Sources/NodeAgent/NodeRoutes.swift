import HostCommands
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Routes from this node to every other node's pods, kept in step with the Node objects
/// (`spec.podCIDR` via the node's InternalIP), so a node that joins later is reachable from
/// the nodes already running, and they from it — pod traffic never passes through the host.
actor NodeRoutes {
    let nodes: Informer<Node>
    let namespace: String
    let selfName: String
    let network: ClusterNetwork
    let logger: Logger
    private var installed: [String: String] = [:]  // pod CIDR -> via

    init(nodes: Informer<Node>, namespace: String, selfName: String, network: ClusterNetwork, logger: Logger) {
        self.nodes = nodes
        self.namespace = namespace
        self.selfName = selfName
        self.network = network
        self.logger = logger
    }

    /// Pod CIDR → node IP for every other node whose addresses lie in the cluster's ranges.
    static func wanted(_ nodes: [Node], selfName: String, network: ClusterNetwork) -> [String: String] {
        var out: [String: String] = [:]
        for n in nodes where n.name != selfName {
            guard let cidr = n.podCIDR.flatMap(IPv4Network.init), network.podCIDR.contains(cidr.first),
                let address = n.internalIP, network.nodeCIDR.contains(address)
            else { continue }
            out[cidr.description] = address.description
        }
        return out
    }

    func run() async {
        await nodes.waitForSync()
        let changes = await nodes.changes()
        await sync()
        for await _ in changes { await sync() }
    }

    func sync() async {
        let want = Self.wanted(await nodes.list(), selfName: selfName, network: network)
        for (cidr, via) in want where installed[cidr] != via {
            do {
                _ = try await HostCommand.run(
                    "ip",
                    ["-n", namespace, "route", "replace", cidr, "via", via, "dev", "eth0"]
                )
                installed[cidr] = via
            } catch {
                logger.warning("route to \(cidr) via \(via) in \(namespace) failed: \(error)")
            }
        }
        for cidr in installed.keys where want[cidr] == nil {
            _ = try? await HostCommand.run("ip", ["-n", namespace, "route", "del", cidr])
            installed[cidr] = nil
        }
    }
}
