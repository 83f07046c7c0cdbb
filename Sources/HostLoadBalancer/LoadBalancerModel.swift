import KubeAPI
import KubeClient
import ServiceProxy

/// A node as the outer load balancer sees it.
public struct LoadBalancerNode: Sendable, Hashable {
    public var name: String
    public var ip: IPv4Address
    /// The node's `Ready` condition is `True`.
    public var ready: Bool

    public init(name: String, ip: IPv4Address, ready: Bool) {
        self.name = name
        self.ip = ip
        self.ready = ready
    }

    /// A Node object's name, InternalIP and readiness (nil without an InternalIP).
    public init?(_ node: JSON) {
        guard let ip = (node[path: ["status", "addresses"]]?.array ?? []).first(where: { $0["type"]?.string == "InternalIP" })?["address"]?
            .string.flatMap(IPv4Address.init) else { return nil }
        let ready = (node[path: ["status", "conditions"]]?.array ?? []).contains {
            $0["type"]?.string == "Ready" && $0["status"]?.string == "True"
        }
        self.init(name: node.name, ip: ip, ready: ready)
    }
}

/// An HTTP health check the load balancer runs against a node: the proxy's `/healthz`
/// (port 10256) for every node, and each `externalTrafficPolicy: Local` Service's
/// `healthCheckNodePort`.
public struct HealthProbe: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var ip: IPv4Address
    public var port: Int

    public init(ip: IPv4Address, port: Int) {
        self.ip = ip
        self.port = port
    }

    public var url: String { "http://\(ip):\(port)/healthz" }
    public var description: String { "\(ip):\(port)" }
    public static func < (a: HealthProbe, b: HealthProbe) -> Bool { (a.ip, a.port) < (b.ip, b.port) }
}

/// Where one load-balancer address and port sends new connections.
public struct Frontend: Sendable, Hashable, Comparable {
    public var ip: IPv4Address
    public var proto: L4Proto
    public var port: Int
    /// `namespace/name` of the Service.
    public var service: String
    /// `node-ip:nodePort` for each eligible node, or `pod-ip:port` for each endpoint of a
    /// Service without NodePorts (`allocateLoadBalancerNodePorts: false`). Sorted.
    public var targets: [Target]
    public var viaNodePorts: Bool

    public struct Target: Sendable, Hashable, Comparable, CustomStringConvertible {
        public var ip: IPv4Address
        public var port: Int
        public init(ip: IPv4Address, port: Int) {
            self.ip = ip
            self.port = port
        }
        public var description: String { "\(ip):\(port)" }
        public static func < (a: Target, b: Target) -> Bool { (a.ip, a.port) < (b.ip, b.port) }
    }

    public init(ip: IPv4Address, proto: L4Proto, port: Int, service: String, targets: [Target], viaNodePorts: Bool) {
        self.ip = ip
        self.proto = proto
        self.port = port
        self.service = service
        self.targets = targets
        self.viaNodePorts = viaNodePorts
    }

    public static func < (a: Frontend, b: Frontend) -> Bool { (a.ip, a.proto, a.port) < (b.ip, b.proto, b.port) }
}

/// Which nodes (or pods) each load-balancer address sends traffic to. Pure: health is
/// whatever the `healthy` function says about a probe (nil: not known yet).
public enum LoadBalancerModel {
    static func ingressIPs(_ svc: JSON) -> [IPv4Address] {
        (svc[path: ["status", "loadBalancer", "ingress"]]?.array ?? []).compactMap { $0["ip"]?.string.flatMap(IPv4Address.init) }
    }

    /// Every health check the frontends depend on.
    public static func probes(services: [JSON], nodes: [LoadBalancerNode]) -> Set<HealthProbe> {
        var out = Set(nodes.map { HealthProbe(ip: $0.ip, port: HealthCheckServers.proxyHealthPort) })
        for svc in services where ServiceRules.isSwiftletLoadBalancer(svc) && !ingressIPs(svc).isEmpty {
            for sp in ProxyObjects.ports(of: svc) where sp.nodePort != nil {
                if let hc = sp.healthCheckNodePort { for n in nodes { out.insert(HealthProbe(ip: n.ip, port: hc)) } }
            }
        }
        return out
    }

    /// The frontends of every served LoadBalancer Service with an address, sorted.
    public static func frontends(services: [JSON], slices: [String: [JSON]], nodes: [LoadBalancerNode],
                                 healthy: (HealthProbe) -> Bool?) -> [Frontend] {
        // A node takes load-balancer traffic when it is Ready and its proxy answers.
        let live = nodes.filter { $0.ready && healthy(HealthProbe(ip: $0.ip, port: HealthCheckServers.proxyHealthPort)) == true }
        let liveNames = Set(live.map(\.name))
        var out: [Frontend] = []
        let served = services.filter(ServiceRules.isSwiftletLoadBalancer).sorted {
            ($0[path: ["metadata", "creationTimestamp"]]?.string ?? "", Informer.key($0))
                < ($1[path: ["metadata", "creationTimestamp"]]?.string ?? "", Informer.key($1))
        }
        for svc in served {
            let ips = ingressIPs(svc)
            guard !ips.isEmpty else { continue }
            let key = "\(svc.namespace)/\(svc.name)"
            let ports = ProxyObjects.ports(of: svc)
            let endpoints = ProxyObjects.endpoints(of: ports.filter { $0.nodePort == nil }, slices: slices[key] ?? [])
            for sp in ports {
                var targets: [Frontend.Target]
                if let nodePort = sp.nodePort {
                    let eligible = sp.healthCheckNodePort.map { hc in live.filter { healthy(HealthProbe(ip: $0.ip, port: hc)) == true } } ?? live
                    targets = eligible.map { Frontend.Target(ip: $0.ip, port: nodePort) }
                } else {
                    // No NodePorts: straight to the pods, on nodes that are up.
                    let all = (endpoints[sp.name] ?? []).filter { $0.nodeName.map(liveNames.contains) ?? true }
                    var usable = all.filter(\.ready)
                    if usable.isEmpty { usable = all.filter { $0.serving && $0.terminating } }
                    targets = usable.map { Frontend.Target(ip: $0.ip, port: $0.port) }
                }
                for ip in ips {
                    out.append(Frontend(ip: ip, proto: sp.name.proto, port: sp.port, service: key, targets: targets.sorted(),
                                        viaNodePorts: sp.nodePort != nil))
                }
            }
        }
        // Two Services claiming one address and port (never from Swiftlet's allocator): the older wins.
        var seen: Set<String> = []
        return out.filter { seen.insert("\($0.ip)/\($0.proto)/\($0.port)").inserted }.sorted()
    }
}
