import KubeAPI
import KubeMachinery
import KubeClient
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

    public init(name: String, nodeIP: IPv4Address, clusterPodCIDR: IPv4Network, nodePodCIDR: IPv4Network,
                serviceCIDR: IPv4Network, table: String) {
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

    public init(name: ServicePortName, clusterIP: IPv4Address, port: Int, nodePort: Int? = nil, externalIPs: [IPv4Address] = [],
                affinityTimeout: Int? = nil, externalPolicyLocal: Bool = false, internalPolicyLocal: Bool = false,
                healthCheckNodePort: Int? = nil) {
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

    public init(ip: IPv4Address, port: Int, nodeName: String? = nil, ready: Bool = true, serving: Bool? = nil, terminating: Bool = false) {
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
    public static let proxyNameLabel = "service.kubernetes.io/service-proxy-name"
    public static let headlessLabel = "service.kubernetes.io/headless"
    public static let serviceNameLabel = "kubernetes.io/service-name"

    /// Whether this proxy handles an object at all (kube-proxy's label selector).
    public static func isProxied(_ obj: JSON) -> Bool {
        let labels = obj.labels
        return labels[proxyNameLabel] == nil && labels[headlessLabel] == nil
    }

    /// What the node caches of a Service: the fields `ports(of:)` and the kubelet's service
    /// variables read, with Kubernetes' defaults left out (readers fall back to them). A
    /// node caches every Service of the cluster, so this is most of the proxy's memory.
    public static func cachedService(_ service: JSON) -> JSON {
        var spec = JSONObject()
        let s = service["spec"] ?? .emptyObject
        keep(s, ["type": "ClusterIP", "clusterIP": nil, "externalIPs": nil, "sessionAffinity": "None",
                 "externalTrafficPolicy": "Cluster", "internalTrafficPolicy": "Cluster", "healthCheckNodePort": nil], into: &spec)
        if let timeout = s[path: ["sessionAffinityConfig", "clientIP", "timeoutSeconds"]] {
            spec["sessionAffinityConfig"] = ["clientIP": ["timeoutSeconds": timeout]]
        }
        if let ports = s["ports"]?.array {
            spec["ports"] = .array(ports.map { p in
                var kept = JSONObject()
                keep(p, ["name": "", "protocol": "TCP", "port": nil, "nodePort": nil], into: &kept)
                return .object(kept)
            })
        }
        var out: JSON = ["metadata": cachedMetadata(service), "spec": .object(spec)]
        let ingress = (service[path: ["status", "loadBalancer", "ingress"]]?.array ?? []).compactMap { $0["ip"].map { JSON.object(JSONObject([("ip", $0)])) } }
        if !ingress.isEmpty { out["status"] = ["loadBalancer": ["ingress": .array(ingress)]] }
        return out
    }

    /// What the node caches of an EndpointSlice: what `endpoints(of:slices:)` reads.
    public static func cachedSlice(_ slice: JSON) -> JSON {
        var out: JSON = ["metadata": cachedMetadata(slice)]
        if let type = slice["addressType"], type.string != "IPv4" { out["addressType"] = type }
        if let ports = slice["ports"]?.array {
            out["ports"] = .array(ports.map { p in
                var kept = JSONObject()
                keep(p, ["name": "", "protocol": "TCP", "port": nil], into: &kept)
                return .object(kept)
            })
        }
        if let endpoints = slice["endpoints"]?.array {
            out["endpoints"] = .array(endpoints.map { e in
                var kept = JSONObject()
                if let first = e["addresses"]?[0] { kept["addresses"] = [first] }
                if let c = e["conditions"] {
                    var conditions = JSONObject()
                    keep(c, ["ready": nil, "serving": nil, "terminating": false], into: &conditions)
                    if !conditions.isEmpty { kept["conditions"] = .object(conditions) }
                }
                if let node = e["nodeName"] { kept["nodeName"] = node }
                return .object(kept)
            })
        }
        return out
    }

    /// The Service and EndpointSlice caches a node keeps for its proxy (and the service
    /// variables of its pods): slim, packed, not replayed to the proxy (it lists once they
    /// have synced), slices indexed by the Service they belong to.
    public static func nodeInformers(client: KubeClient, logger: Logger) -> (services: Informer, slices: Informer) {
        (Informer(Resources.services, client: client, packed: true, replaysInitialList: false, indexedLabels: [], logger: logger,
                  transform: cachedService),
         Informer(Resources.endpointslices, client: client, packed: true, replaysInitialList: false, indexedLabels: [serviceNameLabel],
                  logger: logger, transform: cachedSlice))
    }

    /// Name, namespace and the labels the proxy selects on.
    private static func cachedMetadata(_ obj: JSON) -> JSON {
        var meta = JSONObject()
        keep(obj["metadata"] ?? .emptyObject, ["name": nil, "namespace": nil], into: &meta)
        var labels = JSONObject()
        keep(obj["metadata"]?["labels"] ?? .emptyObject, [proxyNameLabel: nil, headlessLabel: nil, serviceNameLabel: nil], into: &labels)
        if !labels.isEmpty { meta["labels"] = .object(labels) }
        return .object(meta)
    }

    /// Copies the members named in `fields` that are present and differ from the default given.
    private static func keep(_ from: JSON, _ fields: KeyValuePairs<String, JSON?>, into out: inout JSONObject) {
        for (key, defaultValue) in fields {
            if let v = from[key], v != defaultValue { out[key] = v }
        }
    }

    /// The ports of a Service the proxy programs: none for headless, ExternalName or a
    /// Service another proxy owns.
    public static func ports(of service: JSON) -> [ProxyServicePort] {
        guard isProxied(service), service[path: ["spec", "type"]]?.string != "ExternalName",
              let ipText = service[path: ["spec", "clusterIP"]]?.string, let clusterIP = IPv4Address(ipText) else { return [] }
        let spec = service["spec"] ?? .emptyObject
        let type = spec["type"]?.string ?? "ClusterIP"
        var external = (spec["externalIPs"]?.array ?? []).compactMap { $0.string.flatMap(IPv4Address.init) }
        if type == "LoadBalancer" {
            for ingress in service[path: ["status", "loadBalancer", "ingress"]]?.array ?? [] {
                if let ip = ingress["ip"]?.string.flatMap(IPv4Address.init), !external.contains(ip) { external.append(ip) }
            }
        }
        let affinity: Int? = spec["sessionAffinity"]?.string == "ClientIP"
            ? Int(spec[path: ["sessionAffinityConfig", "clientIP", "timeoutSeconds"]]?.int ?? 10800) : nil
        let externalLocal = (type == "NodePort" || type == "LoadBalancer") && spec["externalTrafficPolicy"]?.string == "Local"
        return (spec["ports"]?.array ?? []).compactMap { p in
            guard let proto = L4Proto(kubernetes: p["protocol"]?.string ?? "TCP"), let port = p["port"]?.intValue else { return nil }
            let nodePort = (type == "NodePort" || type == "LoadBalancer") ? p["nodePort"]?.intValue.flatMap { $0 > 0 ? $0 : nil } : nil
            return ProxyServicePort(
                name: ServicePortName(namespace: service.namespace, name: service.name, port: p["name"]?.string ?? "", proto: proto),
                clusterIP: clusterIP, port: port, nodePort: nodePort, externalIPs: external, affinityTimeout: affinity,
                externalPolicyLocal: externalLocal,
                internalPolicyLocal: spec["internalTrafficPolicy"]?.string == "Local",
                healthCheckNodePort: externalLocal && type == "LoadBalancer" ? spec["healthCheckNodePort"]?.intValue : nil)
        }
    }

    /// The endpoints of each port of a Service, merged over its slices (an address listed
    /// twice counts once, as kube-proxy does).
    public static func endpoints(of ports: [ProxyServicePort], slices: [JSON]) -> [ServicePortName: [ProxyEndpoint]] {
        var out: [ServicePortName: [ProxyEndpoint]] = [:]
        for sp in ports {
            var seen: [String: ProxyEndpoint] = [:]
            for slice in slices where isProxied(slice) && (slice["addressType"]?.string ?? "IPv4") == "IPv4" {
                guard let port = (slice["ports"]?.array ?? []).first(where: {
                    ($0["name"]?.string ?? "") == sp.name.port && L4Proto(kubernetes: $0["protocol"]?.string ?? "TCP") == sp.name.proto
                }), let number = port["port"]?.intValue else { continue }
                for e in slice["endpoints"]?.array ?? [] {
                    guard let ip = e["addresses"]?[0]?.string.flatMap(IPv4Address.init) else { continue }
                    let ready = e[path: ["conditions", "ready"]]?.bool ?? true
                    let ep = ProxyEndpoint(ip: ip, port: number, nodeName: e["nodeName"]?.string, ready: ready,
                                           serving: e[path: ["conditions", "serving"]]?.bool ?? ready,
                                           terminating: e[path: ["conditions", "terminating"]]?.bool ?? false)
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
