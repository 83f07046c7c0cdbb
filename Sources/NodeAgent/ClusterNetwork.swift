import KubeAPI
import KubeMachinery
import KubeModel

/// The names and addresses of one cluster's network, and the `ip` commands that build it.
/// Pure: `HostNetwork` runs what this returns.
///
/// Every name carries the cluster name, so two clusters never touch each other's objects:
/// host bridge `swl-<name>`, node namespaces `swl-<name>-node-<i>`, host-side node links
/// `swl-<name>-<i>`. (Pods' own namespaces are containerd's; `CNIPlugin` wires them.)
public struct ClusterNetwork: Sendable, Equatable {
    public var name: String
    /// The host bridge's network: the host is `.1`, node `i` is `.(10 + i)`.
    public var nodeCIDR: IPv4Network
    public var podCIDR: IPv4Network
    public var serviceCIDR: IPv4Network
    /// Where LoadBalancer Services' external IPs come from (default: the upper half of
    /// the node network). Addresses outside the node network are routed to the bridge.
    public var loadBalancerPool: LoadBalancerPool

    public static let maxNodes = 99

    public init(
        name: String,
        nodeCIDR: IPv4Network,
        podCIDR: IPv4Network,
        serviceCIDR: IPv4Network,
        loadBalancerPool: LoadBalancerPool? = nil
    ) {
        self.name = name
        self.nodeCIDR = nodeCIDR
        self.podCIDR = podCIDR
        self.serviceCIDR = serviceCIDR
        self.loadBalancerPool = loadBalancerPool ?? .defaultPool(nodeCIDR: nodeCIDR)
    }

    /// Why a cluster name cannot be used, or nil: interface names are limited to 15 bytes.
    public static func problem(withName name: String) -> String? {
        let ok = !name.isEmpty && name.count <= 8 && name.allSatisfy { ($0.isLowercase && $0.isASCII) || $0.isNumber }
        return ok
            ? nil
            : "cluster name \"\(name)\" must be 1 to 8 lowercase letters or digits (it is part of interface names)"
    }

    public var bridge: String { "swl-\(name)" }
    public var hostIP: IPv4Address { nodeCIDR.address(1) }
    public var netnsPrefix: String { "swl-\(name)-" }
    public var nftTable: String { "swiftlet-\(name)" }
    /// The load balancer's table in the host namespace.
    public var loadBalancerTable: String { "swiftlet-\(name)-lb" }

    /// The pool's blocks outside the node network: routed to the bridge, and guarded.
    public var loadBalancerRoutes: [IPv4Network] {
        loadBalancerPool.blocks.filter { !nodeCIDR.contains($0.first) || !nodeCIDR.contains($0.broadcast) }
    }

    public func nodeName(_ i: Int) -> String { "node-\(i)" }
    public func nodeNamespace(_ i: Int) -> String { "swl-\(name)-node-\(i)" }
    public func nodeLink(_ i: Int) -> String { "swl-\(name)-\(i)" }
    public func nodeIP(_ i: Int) -> IPv4Address { nodeCIDR.address(UInt64(10 + i)) }

    /// Node `i`'s pod range: the i-th /24 of the pod CIDR.
    public func nodePodCIDR(_ i: Int) -> IPv4Network {
        IPv4Network(network: podCIDR.address(UInt64(i) << 8), prefixLength: 24)
    }

    /// Ranges that must never leave the machine: each gets an `unreachable` route in the
    /// root namespace, beneath the specific routes.
    public var guardedRanges: [IPv4Network] { [nodeCIDR, podCIDR, serviceCIDR] + loadBalancerRoutes }

    /// Address ranges that overlap between two clusters, described for an error message.
    public func clashes(with other: ClusterNetwork) -> [String] {
        var out: [String] = []
        for (a, b, what) in [
            (nodeCIDR, other.nodeCIDR, "node network"), (podCIDR, other.podCIDR, "pod network"),
            (serviceCIDR, other.serviceCIDR, "service range"),
        ] where a.overlaps(b) {
            out.append("\(what) \(a) overlaps \(b)")
        }
        if loadBalancerPool.first <= other.loadBalancerPool.last, other.loadBalancerPool.first <= loadBalancerPool.last
        {
            out.append("load balancer pool \(loadBalancerPool) overlaps \(other.loadBalancerPool)")
        }
        return out
    }

    // MARK: Commands (each is the argument list of one `ip` invocation; batches are `-batch -` input)

    public struct Step: Sendable, Equatable {
        public var namespace: String?  // nil: the root namespace
        public var batch: [String]
        public var ignoreErrors = false
    }

    /// The host side: bridge, guard routes, and a route to each node's pods.
    public func hostSteps(nodes: Int) -> [Step] {
        var b = [
            "link add \(bridge) type bridge nf_call_iptables 0 nf_call_arptables 0",
            "addr add \(hostIP)/\(nodeCIDR.prefixLength) dev \(bridge)",
            "link set \(bridge) up",
        ]
        for r in guardedRanges { b.append("route add unreachable \(r) metric 4242") }
        for i in 1...max(nodes, 1) { b.append("route add \(nodePodCIDR(i)) via \(nodeIP(i)) dev \(bridge)") }
        for r in loadBalancerRoutes { b.append("route add \(r) dev \(bridge) src \(hostIP)") }
        return [Step(namespace: nil, batch: b)]
    }

    /// One node: its namespace, its link to the host bridge, and routes to the other nodes'
    /// pods straight over the bridge (no forwarding in the host). Pods hang off the node on
    /// point-to-point links (see `CNIPlugin.addSteps`), so there is no pod bridge.
    public func nodeSteps(_ i: Int, nodes: Int) -> [Step] { nodeSteps(i, peers: Array(1...max(nodes, 1))) }

    /// One node whose peers (routes to their pods) are known by index; a node that joins
    /// later learns its peers from the Node objects instead (`NodeRoutes`).
    public func nodeSteps(_ i: Int, peers: [Int]) -> [Step] {
        let ns = nodeNamespace(i)
        var inNode = [
            "link set lo up",
            "addr add \(nodeIP(i))/\(nodeCIDR.prefixLength) dev eth0",
            "link set eth0 up",
            "route add \(serviceCIDR) via \(hostIP) dev eth0",
        ]
        for j in peers where j != i {
            inNode.append("route add \(nodePodCIDR(j)) via \(nodeIP(j)) dev eth0")
        }
        return [
            Step(
                namespace: nil,
                batch: [
                    "netns add \(ns)",
                    "link add \(nodeLink(i)) type veth peer name eth0 netns \(ns)",
                    "link set \(nodeLink(i)) master \(bridge) up",
                ]
            ),
            Step(namespace: ns, batch: inNode),
        ]
    }

    /// The address pods use as their gateway: `.1` of the node's pod range, held by every
    /// node-side pod link.
    public func podGateway(node i: Int) -> IPv4Address { nodePodCIDR(i).address(1) }

    /// The node-side name of a pod's link: unique within the node, at most 15 bytes.
    public static func podLinkName(uid: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in uid.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return "veth" + String(String(h, radix: 16).suffix(8))
    }
}
