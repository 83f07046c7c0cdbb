import KubeMachinery

/// A core/v1 Service as its readers (validation's derived rules, the proxy, DNS, the load
/// balancer, the controllers) see it.
public struct Service: KubeObject {
    public static let apiVersion = "v1"
    public static let kind = "Service"
    public struct ServiceType: OpenEnum {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let clusterIP = ServiceType(rawValue: "ClusterIP")
        public static let nodePort = ServiceType(rawValue: "NodePort")
        public static let loadBalancer = ServiceType(rawValue: "LoadBalancer")
        public static let externalName = ServiceType(rawValue: "ExternalName")
    }

    public struct TrafficPolicy: OpenEnum {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let cluster = TrafficPolicy(rawValue: "Cluster")
        public static let local = TrafficPolicy(rawValue: "Local")
    }

    public struct Port: Sendable, Hashable {
        public var name: String
        public var `protocol`: PortProtocol
        public var port: Int?
        public var targetPort: IntOrString?
        public var nodePort: Int?
        public var appProtocol: String?

        public init(
            name: String = "",
            protocol: PortProtocol = .tcp,
            port: Int?,
            targetPort: IntOrString? = nil,
            nodePort: Int? = nil,
            appProtocol: String? = nil
        ) {
            self.name = name
            self.protocol = `protocol`
            self.port = port
            self.targetPort = targetPort
            self.nodePort = nodePort
            self.appProtocol = appProtocol
        }

        public init(_ json: JSON) {
            name = json["name"]?.string ?? ""
            `protocol` = PortProtocol(json["protocol"])
            port = json["port"]?.intValue
            targetPort = IntOrString(json["targetPort"])
            nodePort = json["nodePort"]?.intValue.flatMap { $0 > 0 ? $0 : nil }
            appProtocol = json["appProtocol"]?.string
        }

        public var json: JSON {
            var o = JSONObject()
            if !name.isEmpty { o["name"] = .string(name) }
            if `protocol` != .tcp { o["protocol"] = .string(`protocol`.rawValue) }
            if let port { o["port"] = JSON(port) }
            if let targetPort { o["targetPort"] = targetPort.json }
            if let nodePort { o["nodePort"] = JSON(nodePort) }
            if let appProtocol { o["appProtocol"] = .string(appProtocol) }
            return .object(o)
        }
    }

    public var metadata: ObjectMeta
    /// `ClusterIP` when absent or empty, as defaulting makes it.
    public var type: ServiceType
    /// `spec.clusterIP` as written: an address, `None` (headless) or empty.
    public var clusterIP: String
    public var clusterIPs: [String]
    public var ports: [Port]
    /// nil: the Service has no selector (its endpoints are managed by someone else).
    public var selector: [String: String]?
    public var externalIPs: [String]
    public var externalName: String?
    public var sessionAffinityClientIP: Bool
    /// `sessionAffinityConfig.clientIP.timeoutSeconds`, if given.
    public var sessionAffinityTimeoutSeconds: Int?
    public var externalTrafficPolicy: TrafficPolicy?
    public var internalTrafficPolicy: TrafficPolicy?
    public var healthCheckNodePort: Int?
    public var loadBalancerClass: String?
    /// The deprecated `spec.loadBalancerIP`: the address a LoadBalancer asks for.
    public var loadBalancerIP: String?
    public var publishNotReadyAddresses: Bool
    /// `false`: a LoadBalancer without node ports (traffic goes to the pods directly).
    public var allocateLoadBalancerNodePorts: Bool?
    /// `status.loadBalancer.ingress[].ip`.
    public var ingressIPs: [String]

    public init(_ json: JSON) {
        metadata = ObjectMeta(json)
        let spec = json["spec"] ?? .emptyObject
        type = Self.type(of: json)
        clusterIP = spec["clusterIP"]?.string ?? ""
        // A stored Service always has clusterIPs[0] == clusterIP (the registry normalizes it),
        // so the encoding leaves a list of just that one out and decoding restores it.
        clusterIPs = spec["clusterIPs"]?.stringArray ?? (clusterIP.isEmpty ? [] : [clusterIP])
        ports = (spec["ports"]?.array ?? []).map(Port.init)
        selector = spec["selector"]?.stringMap
        externalIPs = spec["externalIPs"]?.stringArray ?? []
        externalName = spec["externalName"]?.string
        sessionAffinityClientIP = spec["sessionAffinity"]?.string == "ClientIP"
        sessionAffinityTimeoutSeconds = spec[path: ["sessionAffinityConfig", "clientIP", "timeoutSeconds"]]?.intValue
        externalTrafficPolicy = spec["externalTrafficPolicy"]?.nonEmptyString.map(TrafficPolicy.init(rawValue:))
        internalTrafficPolicy = spec["internalTrafficPolicy"]?.nonEmptyString.map(TrafficPolicy.init(rawValue:))
        healthCheckNodePort = spec["healthCheckNodePort"]?.intValue.flatMap { $0 > 0 ? $0 : nil }
        loadBalancerClass = spec["loadBalancerClass"]?.string
        loadBalancerIP = spec["loadBalancerIP"]?.nonEmptyString
        publishNotReadyAddresses = spec["publishNotReadyAddresses"]?.bool ?? false
        allocateLoadBalancerNodePorts = spec["allocateLoadBalancerNodePorts"]?.bool
        ingressIPs = (json[path: ["status", "loadBalancer", "ingress"]]?.array ?? []).compactMap { $0["ip"]?.string }
    }

    public var json: JSON {
        var spec = JSONObject()
        if type != .clusterIP { spec["type"] = .string(type.rawValue) }
        if !clusterIP.isEmpty { spec["clusterIP"] = .string(clusterIP) }
        if !clusterIPs.isEmpty, clusterIPs != [clusterIP] { spec["clusterIPs"] = JSON(clusterIPs) }
        if !ports.isEmpty { spec["ports"] = .array(ports.map(\.json)) }
        if let selector { spec["selector"] = JSON(selector) }
        if !externalIPs.isEmpty { spec["externalIPs"] = JSON(externalIPs) }
        if let externalName { spec["externalName"] = .string(externalName) }
        if sessionAffinityClientIP { spec["sessionAffinity"] = "ClientIP" }
        if let sessionAffinityTimeoutSeconds {
            spec["sessionAffinityConfig"] = ["clientIP": ["timeoutSeconds": JSON(sessionAffinityTimeoutSeconds)]]
        }
        if let externalTrafficPolicy { spec["externalTrafficPolicy"] = .string(externalTrafficPolicy.rawValue) }
        if let internalTrafficPolicy { spec["internalTrafficPolicy"] = .string(internalTrafficPolicy.rawValue) }
        if let healthCheckNodePort { spec["healthCheckNodePort"] = JSON(healthCheckNodePort) }
        if let loadBalancerClass { spec["loadBalancerClass"] = .string(loadBalancerClass) }
        if let loadBalancerIP { spec["loadBalancerIP"] = .string(loadBalancerIP) }
        if publishNotReadyAddresses { spec["publishNotReadyAddresses"] = true }
        if let allocateLoadBalancerNodePorts {
            spec["allocateLoadBalancerNodePorts"] = .bool(allocateLoadBalancerNodePorts)
        }
        var out: JSON = ["metadata": metadata.json, "spec": .object(spec)]
        if !ingressIPs.isEmpty {
            out["status"] = ["loadBalancer": ["ingress": .array(ingressIPs.map { ["ip": .string($0)] })]]
        }
        return out
    }

    /// `spec.type`, `ClusterIP` when absent or empty: read alone, for callers that need
    /// nothing else of the Service (allocation asks several times per write).
    public static func type(of json: JSON) -> ServiceType {
        ServiceType(rawValue: json[path: ["spec", "type"]]?.nonEmptyString ?? "ClusterIP")
    }

    // MARK: Upstream's derived rules

    /// `clusterIP: None` (Kubernetes' `IsServiceIPSet` is false for these).
    public var isHeadless: Bool { clusterIP == "None" }

    /// The ClusterIP as an IPv4 address, when one is set.
    public var clusterIPv4: IPv4Address? { IPv4Address(clusterIP) }

    /// NodePort and LoadBalancer Services, and ClusterIP Services with external IPs
    /// (upstream's `ExternallyAccessible`): the ones `externalTrafficPolicy` applies to.
    public var externallyAccessible: Bool {
        type == .nodePort || type == .loadBalancer || (type == .clusterIP && !externalIPs.isEmpty)
    }

    /// Traffic from outside the cluster goes only to this node's endpoints (upstream's
    /// `ExternalPolicyLocal`: only for externally accessible Services).
    public var externalPolicyLocal: Bool { externallyAccessible && externalTrafficPolicy == .local }

    /// Traffic from inside the cluster goes only to the caller's node's endpoints.
    public var internalPolicyLocal: Bool { internalTrafficPolicy == .local }

    /// LoadBalancer with `externalTrafficPolicy: Local`: the Services that get a
    /// `healthCheckNodePort` (upstream's `NeedsHealthCheck`).
    public var needsHealthCheck: Bool { type == .loadBalancer && externalTrafficPolicy == .local }

    /// Whether the Service's ports carry node ports (NodePort and LoadBalancer types).
    public var hasNodePorts: Bool { type == .nodePort || type == .loadBalancer }

    /// Seconds a client sticks to its endpoint under `sessionAffinity: ClientIP` (10800 when
    /// not given, as defaulting sets it), or nil without affinity.
    public var affinityTimeout: Int? { sessionAffinityClientIP ? (sessionAffinityTimeoutSeconds ?? 10800) : nil }

    /// The `loadBalancerClass` of Swiftlet's own load balancer (also what no class means).
    public static let swiftletLoadBalancerClass = "swiftlet.io/load-balancer"

    /// A LoadBalancer Service (not being deleted) that Swiftlet's load balancer serves: no
    /// `loadBalancerClass`, or Swiftlet's; any other class belongs to another controller.
    public var isSwiftletLoadBalancer: Bool {
        type == .loadBalancer && !metadata.isDeleting
            && (loadBalancerClass ?? Self.swiftletLoadBalancerClass) == Self.swiftletLoadBalancerClass
    }

    /// The Service has a selector with at least one label: the controllers manage its endpoints.
    public var hasSelector: Bool { !(selector ?? [:]).isEmpty }

    /// Whether a service proxy programs it at all (kube-proxy's label selector): not when
    /// another proxy owns it, nor when it is headless.
    public var isProxied: Bool {
        metadata.labels[WellKnownLabels.serviceProxyName] == nil && metadata.labels[WellKnownLabels.headless] == nil
    }
}
