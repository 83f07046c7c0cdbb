import KubeAPI
import KubeMachinery

/// A rule of a service chain, typed so renderers and diffs compare values and `nftText` can
/// print it. Base chains are fixed text (see `BaseRuleset`).
public struct Rule: Sendable, Hashable {
    public enum Match: Sendable, Hashable {
        case saddr(IPv4Address)
        case saddrIn(IPv4Network)
        case saddrInSet(String)
        /// `fib saddr type local`: the packet comes from the node itself.
        case saddrLocal
        /// `numgen random mod m == v`.
        case random(modulus: Int, equals: Int)
    }

    public enum Action: Sendable, Hashable {
        case goto(String)
        case jump(String)
        case drop
        /// `[update @set { ip saddr }] meta l4proto p dnat to ip:port`.
        case dnat(L4Proto, IPv4Address, Int, remember: String?)
        /// DNAT to the endpoint the `backends` map holds for this destination and a random
        /// slot in `0..<modulus`.
        case dnatFromBackends(L4Proto, modulus: Int)
    }

    public var matches: [Match]
    public var action: Action

    public init(_ matches: [Match] = [], _ action: Action) {
        self.matches = matches
        self.action = action
    }

    public var nftText: String {
        var parts: [String] = matches.map {
            switch $0 {
            case .saddr(let a): "ip saddr \(a)"
            case .saddrIn(let n): "ip saddr \(n)"
            case .saddrInSet(let s): "ip saddr @\(s)"
            case .saddrLocal: "fib saddr type local"
            case .random(let m, let v): "numgen random mod \(m) \(v)"
            }
        }
        switch action {
        case .goto(let c): parts.append("goto \(c)")
        case .jump(let c): parts.append("jump \(c)")
        case .drop: parts.append("drop")
        case .dnat(let proto, let ip, let port, let remember):
            if let remember { parts.append("update @\(remember) { ip saddr }") }
            parts.append("meta l4proto \(proto.rawValue) dnat to \(ip):\(port)")
        case .dnatFromBackends(let proto, let modulus):
            parts.append(
                "meta l4proto \(proto.rawValue) dnat ip to ip daddr . meta l4proto . th dport . numgen random mod \(modulus) map @backends"
            )
        }
        return parts.joined(separator: " ")
    }
}

/// `address . proto . port`, a key of the `service-ips` and `no-endpoint-services` maps.
public struct DestinationKey: Sendable, Hashable, Comparable {
    public var ip: IPv4Address
    public var proto: L4Proto
    public var port: Int
    public init(_ ip: IPv4Address, _ proto: L4Proto, _ port: Int) {
        self.ip = ip
        self.proto = proto
        self.port = port
    }
    public var nftText: String { "\(ip) . \(proto.rawValue) . \(port)" }
    public static func < (a: Self, b: Self) -> Bool { (a.ip, a.proto, a.port) < (b.ip, b.proto, b.port) }
}

/// `destination . slot`, a key of the `backends` map, and the endpoint it holds.
public struct BackendKey: Sendable, Hashable, Comparable {
    public var destination: DestinationKey
    public var slot: Int
    public init(_ destination: DestinationKey, _ slot: Int) {
        self.destination = destination
        self.slot = slot
    }
    public var nftText: String { "\(destination.nftText) . \(slot)" }
    public static func < (a: Self, b: Self) -> Bool { (a.destination, a.slot) < (b.destination, b.slot) }
}

public struct Backend: Sendable, Hashable {
    public var ip: IPv4Address
    public var port: Int
    public var nftText: String { "\(ip) . \(port)" }
}

/// `proto . port`, a key of the `service-nodeports` and `no-endpoint-nodeports` maps.
public struct NodePortKey: Sendable, Hashable, Comparable {
    public var proto: L4Proto
    public var port: Int
    public init(_ proto: L4Proto, _ port: Int) {
        self.proto = proto
        self.port = port
    }
    public var nftText: String { "\(proto.rawValue) . \(port)" }
    public static func < (a: Self, b: Self) -> Bool { (a.proto, a.port) < (b.proto, b.port) }
}

/// What happens to traffic for a Service port with nothing to send it to.
public enum NoEndpointVerdict: String, Sendable, Hashable {
    /// No endpoints at all: refuse at once (ICMP port unreachable, so TCP sees ECONNREFUSED).
    case reject
    /// Endpoints exist, just none this traffic may use (a `Local` policy with none here).
    case drop

    public var nftText: String { self == .reject ? "goto reject-chain" : "drop" }
}

/// A `healthCheckNodePort` listener's answer: how many endpoints this node has.
public struct HealthCheck: Sendable, Hashable {
    public var port: Int
    public var namespace: String
    public var name: String
    public var localEndpoints: Int
}

/// Everything one Service puts into the table. The whole ruleset is the base plus the
/// union of these, so a change to one Service is a diff of its two fragments.
public struct ServiceFragment: Sendable, Equatable {
    /// Chains of this Service alone (ClientIP affinity, `externalTrafficPolicy: Local`).
    public var chains: [String: [Rule]] = [:]
    /// `pick-<n>` chains every Service with n endpoints shares: the table holds one per n.
    public var sharedChains: [String: [Rule]] = [:]
    /// Endpoints by destination and slot, for the shared `pick-<n>` chains.
    public var backends: [BackendKey: Backend] = [:]
    /// Affinity sets and their timeouts in seconds.
    public var affinitySets: [String: Int] = [:]
    public var clusterIPs: Set<IPv4Address> = []
    public var serviceIPs: [DestinationKey: String] = [:]
    public var nodePorts: [NodePortKey: String] = [:]
    public var noEndpointServices: [DestinationKey: NoEndpointVerdict] = [:]
    public var noEndpointNodePorts: [NodePortKey: NoEndpointVerdict] = [:]
    /// Endpoints on this node: a pod reaching itself through the Service is masqueraded.
    public var localEndpointIPs: Set<IPv4Address> = []
    /// Ready endpoints that get traffic (not the terminating fallback): a pod being deleted
    /// waits to leave this set before it is told to stop.
    public var readyEndpointIPs: Set<IPv4Address> = []
    public var healthChecks: [HealthCheck] = []
    /// UDP destinations (`clusterIP . udp . port`, node ports) with the endpoints they send
    /// to: conntrack entries must go when an endpoint does.
    public var udpTargets: [UDPTarget] = []

    public init() {}

    public var isEmpty: Bool { self == ServiceFragment() }

    /// The table-wide union of several Services' fragments.
    public static func merged(_ fragments: [ServiceFragment]) -> ServiceFragment {
        var all = ServiceFragment()
        for f in fragments {
            all.chains.merge(f.chains) { a, _ in a }
            all.sharedChains.merge(f.sharedChains) { a, _ in a }
            all.backends.merge(f.backends) { a, _ in a }
            all.affinitySets.merge(f.affinitySets) { a, _ in a }
            all.clusterIPs.formUnion(f.clusterIPs)
            all.serviceIPs.merge(f.serviceIPs) { a, _ in a }
            all.nodePorts.merge(f.nodePorts) { a, _ in a }
            all.noEndpointServices.merge(f.noEndpointServices) { a, _ in a }
            all.noEndpointNodePorts.merge(f.noEndpointNodePorts) { a, _ in a }
            all.localEndpointIPs.formUnion(f.localEndpointIPs)
        }
        return all
    }
}

public struct UDPTarget: Sendable, Hashable {
    public var destinations: [IPv4Address]
    public var port: Int
    public var nodePort: Int?
    public var endpoints: Set<IPv4Address>
}
