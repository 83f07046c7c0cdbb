import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// What the proxy needs to know about the node it programs.
public struct ProxyNode: Sendable, Equatable {
    public var name: String
    public var nodeIP: IPv4Address
    /// Every pod address in the cluster: traffic from outside it is masqueraded.
    public var clusterPodCIDR: IPv4Network
    /// This node's own pods: their addresses are where hairpin traffic can happen.
    public var nodePodCIDR: IPv4Network
    public var serviceCIDR: IPv4Network
    /// The nftables table (family `ip`) the proxy owns; nothing else is ever touched.
    public var table: String

    public init(
        name: String,
        nodeIP: IPv4Address,
        clusterPodCIDR: IPv4Network,
        nodePodCIDR: IPv4Network,
        serviceCIDR: IPv4Network,
        table: String
    ) {
        self.name = name
        self.nodeIP = nodeIP
        self.clusterPodCIDR = clusterPodCIDR
        self.nodePodCIDR = nodePodCIDR
        self.serviceCIDR = serviceCIDR
        self.table = table
    }
}

public enum L4Proto: String, Sendable, Hashable, Comparable {
    case tcp, udp, sctp

    public init?(kubernetes: String) { self.init(rawValue: kubernetes.lowercased()) }
    public static func < (a: L4Proto, b: L4Proto) -> Bool { a.rawValue < b.rawValue }
}

/// One port of one Service: `namespace/name/proto/portName`.
public struct ServicePortName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    public var port: String
    public var proto: L4Proto

    public init(namespace: String, name: String, port: String, proto: L4Proto) {
        self.namespace = namespace
        self.name = name
        self.port = port
        self.proto = proto
    }

    public var service: String { "\(namespace)/\(name)" }
    public var description: String { "\(namespace)/\(name)/\(proto.rawValue)/\(port)" }
    public static func < (a: ServicePortName, b: ServicePortName) -> Bool { a.description < b.description }
}

/// A Service port as the dataplane sees it.
public struct ProxyServicePort: Sendable, Equatable {
    public var name: ServicePortName
    public var clusterIP: IPv4Address
    public var port: Int
    public var nodePort: Int?
    /// `spec.externalIPs` and the load balancer's `status.loadBalancer.ingress[].ip`.
    public var externalIPs: [IPv4Address]
    /// Seconds a client sticks to its endpoint (`sessionAffinity: ClientIP`), or nil.
    public var affinityTimeout: Int?
    public var externalPolicyLocal: Bool
    public var internalPolicyLocal: Bool
    public var healthCheckNodePort: Int?

    public init(
        name: ServicePortName,
        clusterIP: IPv4Address,
        port: Int,
        nodePort: Int? = nil,
        externalIPs: [IPv4Address] = [],
        affinityTimeout: Int? = nil,
        externalPolicyLocal: Bool = false,
        internalPolicyLocal: Bool = false,
        healthCheckNodePort: Int? = nil
    ) {
        self.name = name
        self.clusterIP = clusterIP
        self.port = port
        self.nodePort = nodePort
        self.externalIPs = externalIPs
        self.affinityTimeout = affinityTimeout
        self.externalPolicyLocal = externalPolicyLocal
        self.internalPolicyLocal = internalPolicyLocal
        self.healthCheckNodePort = healthCheckNodePort
    }

    /// Whether traffic can arrive from outside the cluster (NodePort, external or LB IPs).
    public var hasExternalDestinations: Bool { nodePort != nil || !externalIPs.isEmpty }
}

/// One endpoint of one Service port, from an EndpointSlice.
public struct ProxyEndpoint: Sendable, Hashable, Comparable {
    public var ip: IPv4Address
    public var port: Int
    public var nodeName: String?
    public var ready: Bool
    public var serving: Bool
    public var terminating: Bool

    public init(
        ip: IPv4Address,
        port: Int,
        nodeName: String? = nil,
        ready: Bool = true,
        serving: Bool? = nil,
        terminating: Bool = false
    ) {
        self.ip = ip
        self.port = port
        self.nodeName = nodeName
        self.ready = ready
        self.serving = serving ?? ready
        self.terminating = terminating
    }

    public var description: String { "\(ip)/\(port)" }
    public static func < (a: ProxyEndpoint, b: ProxyEndpoint) -> Bool { (a.ip, a.port) < (b.ip, b.port) }
}

/// Reading Services and EndpointSlices into the proxy's model.
public enum ProxyObjects {
    /// The labels a node's caches keep: the ones the proxy selects on.
    static let cachedLabels: Set<String> = [
        WellKnownLabels.serviceProxyName, WellKnownLabels.headless, WellKnownLabels.serviceName,
    ]

    /// What the node caches of a Service: what `ports(of:)` and the kubelet's service
    /// variables read, with the traffic policies' default left out (readers only ask for
    /// `Local`). A node caches every Service of the cluster, so this is most of the proxy's memory.
    public static func cachedService(_ service: Service) -> Service {
        var s = service
        s.metadata = service.metadata.slimmed(keepingLabels: cachedLabels)
        s.clusterIPs = service.clusterIP.isEmpty ? [] : [service.clusterIP]
        s.selector = nil
        s.externalName = nil
        s.loadBalancerClass = nil
        s.publishNotReadyAddresses = false
        s.allocateLoadBalancerNodePorts = nil
        if s.externalTrafficPolicy == .cluster { s.externalTrafficPolicy = nil }
        if s.internalTrafficPolicy == .cluster { s.internalTrafficPolicy = nil }
        if !s.sessionAffinityClientIP { s.sessionAffinityTimeoutSeconds = nil }
        if !s.hasNodePorts { s.ingressIPs = [] }
        s.ports = service.ports.map {
            Service.Port(name: $0.name, protocol: $0.protocol, port: $0.port, nodePort: $0.nodePort)
        }
        return s
    }

    /// What the node caches of an EndpointSlice: what `endpoints(of:slices:)` reads.
    public static func cachedSlice(_ slice: EndpointSlice) -> EndpointSlice {
        EndpointSlice(
            metadata: slice.metadata.slimmed(keepingLabels: cachedLabels),
            addressType: slice.addressType,
            ports: slice.ports.map { EndpointSlice.Port(name: $0.name, protocol: $0.protocol, port: $0.port) },
            endpoints: slice.endpoints.map { e in
                EndpointSlice.Endpoint(
                    addresses: Array(e.addresses.prefix(1)),
                    ready: e.ready,
                    serving: e.serving,
                    terminating: e.terminating == false ? nil : e.terminating,
                    nodeName: e.nodeName
                )
            }
        )
    }

    /// The Service and EndpointSlice caches a node keeps for its proxy (and the service
    /// variables of its pods): slim, packed, not replayed to the proxy (it lists once they
    /// have synced), slices indexed by the Service they belong to.
    public static func nodeInformers(
        client: any ListerWatcher,
        logger: Logger
    ) -> (services: Informer<Service>, slices: Informer<EndpointSlice>) {
        (
            Informer(
                Resources.services,
                of: Service.self,
                client: client,
                packed: true,
                replaysInitialList: false,
                indexedLabels: [],
                logger: logger,
                transform: cachedService
            ),
            Informer(
                Resources.endpointslices,
                of: EndpointSlice.self,
                client: client,
                packed: true,
                replaysInitialList: false,
                indexedLabels: [WellKnownLabels.serviceName],
                logger: logger,
                transform: cachedSlice
            )
        )
    }

    /// The ports of a Service the proxy programs: none for headless, ExternalName or a
    /// Service another proxy owns.
    public static func ports(of service: Service) -> [ProxyServicePort] {
        guard service.isProxied, service.type != .externalName, let clusterIP = service.clusterIPv4 else { return [] }
        var external = service.externalIPs.compactMap(IPv4Address.init)
        if service.type == .loadBalancer {
            for ip in service.ingressIPs.compactMap(IPv4Address.init) where !external.contains(ip) {
                external.append(ip)
            }
        }
        let externalLocal = service.externalPolicyLocal
        return service.ports.compactMap { p in
            guard let proto = L4Proto(kubernetes: p.protocol.rawValue), let port = p.port else { return nil }
            return ProxyServicePort(
                name: ServicePortName(namespace: service.namespace, name: service.name, port: p.name, proto: proto),
                clusterIP: clusterIP,
                port: port,
                nodePort: service.hasNodePorts ? p.nodePort : nil,
                externalIPs: external,
                affinityTimeout: service.affinityTimeout,
                externalPolicyLocal: externalLocal,
                internalPolicyLocal: service.internalPolicyLocal,
                healthCheckNodePort: service.needsHealthCheck ? service.healthCheckNodePort : nil
            )
        }
    }

    /// The endpoints of each port of a Service, merged over its slices (an address listed
    /// twice counts once, as kube-proxy does).
    public static func endpoints(
        of ports: [ProxyServicePort],
        slices: [EndpointSlice]
    ) -> [ServicePortName: [ProxyEndpoint]] {
        var out: [ServicePortName: [ProxyEndpoint]] = [:]
        for sp in ports {
            var seen: [String: ProxyEndpoint] = [:]
            for slice in slices where slice.isProxied && slice.isIPv4 {
                guard
                    let port = slice.ports.first(where: {
                        $0.name == sp.name.port && L4Proto(kubernetes: $0.protocol.rawValue) == sp.name.proto
                    }),
                    let number = port.port
                else { continue }
                for e in slice.endpoints {
                    guard let ip = e.addresses.first.flatMap(IPv4Address.init) else { continue }
                    let ep = ProxyEndpoint(
                        ip: ip,
                        port: number,
                        nodeName: e.nodeName,
                        ready: e.isReady,
                        serving: e.isServing,
                        terminating: e.isTerminating
                    )
                    let key = ep.description
                    // A ready copy wins over a not-ready one (a pod moving between slices).
                    if let old = seen[key], old.ready && !ep.ready { continue }
                    seen[key] = ep
                }
            }
            out[sp.name] = seen.values.sorted()
        }
        return out
    }
}
