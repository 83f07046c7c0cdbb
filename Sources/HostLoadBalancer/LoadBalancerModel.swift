import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
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
    public init?(_ node: Node) {
        guard let ip = node.internalIP else { return nil }
        self.init(name: node.name, ip: ip, ready: node.isReady)
    }
}

/// A check the load balancer runs against a node: HTTP `GET /healthz` on the proxy's port
/// 10256 (every node) and on each `externalTrafficPolicy: Local` Service's
/// `healthCheckNodePort`; or a TCP connect to a NodePort (`http == false`), which admits a
/// node to a new frontend only once its proxy serves that port.
public struct HealthProbe: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var ip: IPv4Address
    public var port: Int
    public var http: Bool

    public init(ip: IPv4Address, port: Int, http: Bool = true) {
        self.ip = ip
        self.port = port
        self.http = http
    }

    public var url: String { http ? "http://\(ip):\(port)/healthz" : "tcp://\(ip):\(port)" }
    public var description: String { url }
    public static func < (a: HealthProbe, b: HealthProbe) -> Bool {
        (a.ip, a.port, a.http ? 1 : 0) < (b.ip, b.port, b.http ? 1 : 0)
    }
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

    /// `ip/proto/port`: what identifies a frontend across syncs.
    public var address: String { Self.address(ip, proto, port) }
    static func address(_ ip: IPv4Address, _ proto: L4Proto, _ port: Int) -> String {
        "\(ip)/\(proto.rawValue)/\(port)"
    }

    public static func < (a: Frontend, b: Frontend) -> Bool { (a.ip, a.proto, a.port) < (b.ip, b.proto, b.port) }
}

/// Which nodes (or pods) each load-balancer address sends traffic to. Pure: health is
/// whatever the `healthy` function says about a probe (nil: not known yet).
public enum LoadBalancerModel {
    static func ingressIPs(_ svc: Service) -> [IPv4Address] { svc.ingressIPs.compactMap(IPv4Address.init) }

    /// Every health check the frontends depend on.
    public static func probes(services: [Service], nodes: [LoadBalancerNode]) -> Set<HealthProbe> {
        var out = Set(nodes.map { HealthProbe(ip: $0.ip, port: HealthCheckServers.proxyHealthPort) })
        for svc in services where svc.isSwiftletLoadBalancer && !ingressIPs(svc).isEmpty {
            for sp in ProxyObjects.ports(of: svc) {
                guard let nodePort = sp.nodePort else { continue }
                if let hc = sp.healthCheckNodePort {
                    for n in nodes { out.insert(HealthProbe(ip: n.ip, port: hc)) }
                } else if sp.name.proto == .tcp {
                    for n in nodes { out.insert(HealthProbe(ip: n.ip, port: nodePort, http: false)) }
                }
            }
        }
        return out
    }

    /// The frontends of every served LoadBalancer Service with an address, sorted.
    /// `previous` (what is applied now) decides for a per-Service check not answered yet:
    /// a node keeps its place until its check says otherwise, so switching a Service to
    /// `externalTrafficPolicy: Local` does not empty its frontend for a moment, while a new
    /// frontend admits a node only once the check passes.
    public static func frontends(
        services: [Service],
        slices: [String: [EndpointSlice]],
        nodes: [LoadBalancerNode],
        previous: [Frontend] = [],
        healthy: (HealthProbe) -> Bool?
    ) -> [Frontend] {
        var before: [String: Set<IPv4Address>] = [:]
        for f in previous where f.viaNodePorts { before[f.address] = Set(f.targets.map(\.ip)) }
        // A node takes load-balancer traffic when it is Ready and its proxy answers.
        let live = nodes.filter {
            $0.ready && healthy(HealthProbe(ip: $0.ip, port: HealthCheckServers.proxyHealthPort)) == true
        }
        let liveNames = Set(live.map(\.name))
        var out: [Frontend] = []
        let served = services.filter(\.isSwiftletLoadBalancer).sorted {
            ($0.metadata.creationTimestamp ?? "", $0.metadata.key) < (
                $1.metadata.creationTimestamp ?? "", $1.metadata.key
            )
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
                    let had = ips.reduce(into: Set<IPv4Address>()) {
                        $0.formUnion(before[Frontend.address($1, sp.name.proto, sp.port)] ?? [])
                    }
                    let eligible: [LoadBalancerNode]
                    if let hc = sp.healthCheckNodePort {
                        eligible = live.filter { healthy(HealthProbe(ip: $0.ip, port: hc)) ?? had.contains($0.ip) }
                    } else if sp.name.proto == .tcp {
                        eligible = live.filter {
                            healthy(HealthProbe(ip: $0.ip, port: nodePort, http: false)) ?? had.contains($0.ip)
                        }
                    } else {
                        eligible = live  // UDP: nothing to connect to
                    }
                    targets = eligible.map { Frontend.Target(ip: $0.ip, port: nodePort) }
                } else {
                    // No NodePorts: straight to the pods, on nodes that are up.
                    let all = (endpoints[sp.name] ?? []).filter { $0.nodeName.map(liveNames.contains) ?? true }
                    var usable = all.filter(\.ready)
                    if usable.isEmpty { usable = all.filter { $0.serving && $0.terminating } }
                    targets = usable.map { Frontend.Target(ip: $0.ip, port: $0.port) }
                }
                for ip in ips {
                    out.append(
                        Frontend(
                            ip: ip,
                            proto: sp.name.proto,
                            port: sp.port,
                            service: key,
                            targets: targets.sorted(),
                            viaNodePorts: sp.nodePort != nil
                        )
                    )
                }
            }
        }
        // Two Services claiming one address and port (never from Swiftlet's allocator): the older wins.
        var seen: Set<String> = []
        return out.filter { seen.insert($0.address).inserted }.sorted()
    }
}
