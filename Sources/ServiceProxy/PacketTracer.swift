import KubeAPI
import KubeMachinery

/// Follows a packet through a rendered ruleset the way the kernel would, for tests: which
/// endpoints a new connection can reach, whether it is masqueraded, or whether it is
/// rejected or dropped. Random picks are explored on every branch; affinity sets start empty.
public struct PacketTracer: Sendable {
    public enum Origin: Sendable {
        /// From a pod or another host: enters through prerouting.
        case network
        /// From a process in the node's own namespace: enters through output.
        case node
    }

    public enum Outcome: Sendable, Hashable, CustomStringConvertible {
        case endpoint(IPv4Address, Int, masqueraded: Bool)
        case reject
        case drop
        /// No rule touched it: routed as it is.
        case untouched

        public var description: String {
            switch self {
            case .endpoint(let ip, let port, let m): "\(ip):\(port)\(m ? " (masqueraded)" : "")"
            case .reject: "REJECT"
            case .drop: "DROP"
            case .untouched: "untouched"
            }
        }
    }

    let node: ProxyNode
    let ruleset: ServiceFragment

    public init(node: ProxyNode, fragments: [ServiceFragment]) {
        self.node = node
        ruleset = .merged(fragments)
    }

    /// Every outcome a new connection from `source` to `destination:port` can have.
    public func trace(
        from source: IPv4Address,
        to destination: IPv4Address,
        _ proto: L4Proto,
        port: Int,
        origin: Origin = .network
    ) -> Set<Outcome> {
        // `services`: masquerade mark for non-pod sources to ClusterIPs, then the maps.
        let mark = ruleset.clusterIPs.contains(destination) && !node.clusterPodCIDR.contains(source)
        var chain = ruleset.serviceIPs[DestinationKey(destination, proto, port)]
        if chain == nil, destination == node.nodeIP { chain = ruleset.nodePorts[NodePortKey(proto, port)] }
        if let chain {
            let packet = DestinationKey(destination, proto, port)
            let outcomes = run(chain, source: source, packet: packet, origin: origin, marked: mark, depth: 0)
            if !outcomes.isEmpty { return Set(outcomes.map { finish($0, source: source) }) }
        }
        // Not translated: the filter hooks' endpoint checks.
        if let v = ruleset.noEndpointServices[DestinationKey(destination, proto, port)] {
            return [v == .reject ? .reject : .drop]
        }
        if destination == node.nodeIP, let v = ruleset.noEndpointNodePorts[NodePortKey(proto, port)] {
            return [v == .reject ? .reject : .drop]
        }
        if ruleset.clusterIPs.contains(destination) { return [.reject] }
        if node.serviceCIDR.contains(destination) { return [.drop] }
        return [.untouched]
    }

    /// Postrouting: hairpin traffic (a pod sent to itself) is masqueraded too.
    private func finish(_ o: Outcome, source: IPv4Address) -> Outcome {
        if case .endpoint(let ip, let port, let m) = o, !m, ip == source, ruleset.localEndpointIPs.contains(ip) {
            return .endpoint(ip, port, masqueraded: true)
        }
        return o
    }

    /// Runs a chain; an empty result means it fell off the end (continue in the caller).
    private func run(
        _ name: String,
        source: IPv4Address,
        packet: DestinationKey,
        origin: Origin,
        marked: Bool,
        depth: Int
    ) -> [Outcome] {
        guard depth < 16, let rules = ruleset.chains[name] ?? ruleset.sharedChains[name] else { return [] }
        var marked = marked
        var outcomes: [Outcome] = []
        for rule in rules {
            var always = true
            var matches = true
            for m in rule.matches {
                switch m {
                case .saddr(let a): matches = matches && a == source
                case .saddrIn(let n): matches = matches && n.contains(source)
                case .saddrInSet: matches = false  // affinity sets start empty
                case .saddrLocal: matches = matches && origin == .node
                case .random(let modulus, _): always = always && modulus <= 1
                }
            }
            guard matches else { continue }
            let result: [Outcome]
            switch rule.action {
            case .drop: result = [.drop]
            case .dnat(_, let ip, let port, _): result = [.endpoint(ip, port, masqueraded: marked)]
            case .dnatFromBackends(let proto, let modulus):
                // Only for its protocol; a slot the map lacks makes the rule not match.
                guard proto == packet.proto else { continue }
                result = (0..<modulus).compactMap { slot in
                    ruleset.backends[BackendKey(packet, slot)].map { .endpoint($0.ip, $0.port, masqueraded: marked) }
                }
                if result.isEmpty { continue }
            case .goto(let c):
                result = run(c, source: source, packet: packet, origin: origin, marked: marked, depth: depth + 1)
            case .jump("mark-for-masquerade"):
                marked = true
                continue
            case .jump(let c):
                let r = run(c, source: source, packet: packet, origin: origin, marked: marked, depth: depth + 1)
                if r.isEmpty { continue }
                result = r
            }
            outcomes += result
            // A random rule may not fire: the rest of the chain is another branch.
            if always { return outcomes }
        }
        return outcomes
    }
}
