import KubeMachinery

/// A discovery.k8s.io/v1 EndpointSlice as the proxy, DNS and the load balancer read it:
/// without `targetRef`, zones and hints, which none of them reads and which are most of a
/// slice's size (the controllers that write slices keep them as JSON).
public struct EndpointSlice: KubeObject {
    public static let apiVersion = "discovery.k8s.io/v1"
    public static let kind = "EndpointSlice"
    public struct Port: Sendable, Hashable {
        public var name: String
        public var `protocol`: PortProtocol
        public var port: Int?
        public var appProtocol: String?

        public init(name: String = "", protocol: PortProtocol = .tcp, port: Int?, appProtocol: String? = nil) {
            self.name = name
            self.protocol = `protocol`
            self.port = port
            self.appProtocol = appProtocol
        }

        public init(_ json: JSON) {
            name = json["name"]?.string ?? ""
            `protocol` = PortProtocol(json["protocol"])
            port = json["port"]?.intValue
            appProtocol = json["appProtocol"]?.string
        }

        public var json: JSON {
            var o = JSONObject()
            if !name.isEmpty { o["name"] = .string(name) }
            if `protocol` != .tcp { o["protocol"] = .string(`protocol`.rawValue) }
            if let port { o["port"] = JSON(port) }
            if let appProtocol { o["appProtocol"] = .string(appProtocol) }
            return .object(o)
        }
    }

    public struct Endpoint: Sendable, Hashable {
        public var addresses: [String]
        /// The conditions as written; absent ones are read through `isReady`/`isServing`.
        public var ready: Bool?
        public var serving: Bool?
        public var terminating: Bool?
        public var hostname: String?
        public var nodeName: String?

        public init(
            addresses: [String],
            ready: Bool? = nil,
            serving: Bool? = nil,
            terminating: Bool? = nil,
            hostname: String? = nil,
            nodeName: String? = nil
        ) {
            self.addresses = addresses
            self.ready = ready
            self.serving = serving
            self.terminating = terminating
            self.hostname = hostname
            self.nodeName = nodeName
        }

        public init(_ json: JSON) {
            addresses = json["addresses"]?.stringArray ?? []
            ready = json[path: ["conditions", "ready"]]?.bool
            serving = json[path: ["conditions", "serving"]]?.bool
            terminating = json[path: ["conditions", "terminating"]]?.bool
            hostname = json["hostname"]?.string
            nodeName = json["nodeName"]?.string
        }

        /// Absent `ready` means ready (consumers must assume so, says the API).
        public var isReady: Bool { ready ?? true }
        /// Absent `serving` reads as `ready`.
        public var isServing: Bool { serving ?? isReady }
        public var isTerminating: Bool { terminating ?? false }

        public var json: JSON {
            var o = JSONObject([("addresses", JSON(addresses))])
            var c = JSONObject()
            if let ready { c["ready"] = .bool(ready) }
            if let serving { c["serving"] = .bool(serving) }
            if let terminating { c["terminating"] = .bool(terminating) }
            if !c.isEmpty { o["conditions"] = .object(c) }
            if let hostname { o["hostname"] = .string(hostname) }
            if let nodeName { o["nodeName"] = .string(nodeName) }
            return .object(o)
        }
    }

    public var metadata: ObjectMeta
    /// `IPv4` when absent.
    public var addressType: String
    public var ports: [Port]
    public var endpoints: [Endpoint]

    public init(metadata: ObjectMeta, addressType: String = "IPv4", ports: [Port], endpoints: [Endpoint]) {
        self.metadata = metadata
        self.addressType = addressType
        self.ports = ports
        self.endpoints = endpoints
    }

    public init(_ json: JSON) {
        metadata = ObjectMeta(json)
        addressType = json["addressType"]?.nonEmptyString ?? "IPv4"
        ports = (json["ports"]?.array ?? []).map(Port.init)
        endpoints = (json["endpoints"]?.array ?? []).map(Endpoint.init)
    }

    public var json: JSON {
        var o = JSONObject([("metadata", metadata.json), ("addressType", .string(addressType))])
        if !ports.isEmpty { o["ports"] = .array(ports.map(\.json)) }
        if !endpoints.isEmpty { o["endpoints"] = .array(endpoints.map(\.json)) }
        return .object(o)
    }

    /// The Service the slice belongs to (its `kubernetes.io/service-name` label).
    public var serviceName: String? { metadata.labels[WellKnownLabels.serviceName] }
    public var isIPv4: Bool { addressType == "IPv4" }

    /// Whether a service proxy programs it (kube-proxy's label selector).
    public var isProxied: Bool {
        metadata.labels[WellKnownLabels.serviceProxyName] == nil && metadata.labels[WellKnownLabels.headless] == nil
    }
}
