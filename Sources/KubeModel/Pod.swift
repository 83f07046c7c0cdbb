import KubeMachinery

/// A core/v1 Pod as the controllers, the scheduler and the node agent read it.
public struct Pod: KubeObject {
    public static let apiVersion = "v1"
    public static let kind = "Pod"
    public struct ContainerPort: Sendable, Hashable {
        public var name: String?
        public var containerPort: Int?
        public var `protocol`: PortProtocol
        public var hostPort: Int?
        /// The node address a hostPort listens on; nil: all of them.
        public var hostIP: String?

        public init(_ json: JSON) {
            name = json["name"]?.nonEmptyString
            containerPort = json["containerPort"]?.intValue
            hostPort = json["hostPort"]?.intValue
            hostIP = json["hostIP"]?.nonEmptyString
            `protocol` = PortProtocol(json["protocol"])
        }

        public var json: JSON {
            var o = JSONObject()
            if let name { o["name"] = .string(name) }
            if let containerPort { o["containerPort"] = JSON(containerPort) }
            if `protocol` != .tcp { o["protocol"] = .string(`protocol`.rawValue) }
            return .object(o)
        }
    }

    public var metadata: ObjectMeta
    public var nodeName: String?
    /// `spec.schedulerName`; absent means the default scheduler's.
    public var schedulerName: String
    public var hostname: String?
    public var subdomain: String?
    public var hostNetwork: Bool
    /// Every container's declared ports, in order (named ports are looked up here).
    public var containerPorts: [ContainerPort]
    /// The PersistentVolumeClaims its volumes name.
    public var claimNames: [String]
    public var phase: String?
    public var podIP: String?
    public var conditions: [Condition]
    /// What it asks of its node (read by the scheduler and the DaemonSet controller).
    public var placement: PodPlacement
    /// `spec.priority`, as admission resolves it from the priority class.
    public var priority: Int
    /// The exit code of each container that has terminated (its latest run), by name.
    public var exitCodes: [String: Int]
    /// When its last container finished (`state.terminated.finishedAt`), if one has.
    public var finishedAt: String?

    public init(_ json: JSON) {
        metadata = ObjectMeta(json)
        let spec = json["spec"] ?? .emptyObject
        nodeName = spec["nodeName"]?.nonEmptyString
        schedulerName = spec["schedulerName"]?.nonEmptyString ?? Pod.defaultScheduler
        hostname = spec["hostname"]?.nonEmptyString
        subdomain = spec["subdomain"]?.nonEmptyString
        hostNetwork = spec["hostNetwork"]?.bool ?? false
        containerPorts = (spec["containers"]?.array ?? []).flatMap {
            ($0["ports"]?.array ?? []).map(ContainerPort.init)
        }
        claimNames = (spec["volumes"]?.array ?? []).compactMap {
            $0[path: ["persistentVolumeClaim", "claimName"]]?.nonEmptyString
        }
        placement = PodPlacement(spec: spec)
        priority = spec["priority"]?.intValue ?? 0
        let status = json["status"] ?? .emptyObject
        phase = status["phase"]?.nonEmptyString
        podIP = status["podIP"]?.nonEmptyString
        conditions = Condition.list(status["conditions"])
        var codes: [String: Int] = [:]
        var finished: String?
        for c in (status["initContainerStatuses"]?.array ?? []) + (status["containerStatuses"]?.array ?? []) {
            guard let name = c["name"]?.string, let terminated = c[path: ["state", "terminated"]] else { continue }
            if let code = terminated["exitCode"]?.intValue { codes[name] = code }
            if let at = terminated["finishedAt"]?.string, at > (finished ?? "") { finished = at }
        }
        exitCodes = codes
        finishedAt = finished
    }

    public var json: JSON {
        var spec = JSONObject()
        if let nodeName { spec["nodeName"] = .string(nodeName) }
        if schedulerName != Pod.defaultScheduler { spec["schedulerName"] = .string(schedulerName) }
        if let hostname { spec["hostname"] = .string(hostname) }
        if let subdomain { spec["subdomain"] = .string(subdomain) }
        if hostNetwork { spec["hostNetwork"] = true }
        if !containerPorts.isEmpty { spec["containers"] = [["ports": .array(containerPorts.map(\.json))]] }
        if !claimNames.isEmpty {
            spec["volumes"] = .array(claimNames.map { ["persistentVolumeClaim": ["claimName": .string($0)]] })
        }
        var status = JSONObject()
        if let phase { status["phase"] = .string(phase) }
        if let podIP { status["podIP"] = .string(podIP) }
        if !conditions.isEmpty { status["conditions"] = .array(conditions.map(\.json)) }
        return ["metadata": metadata.json, "spec": .object(spec), "status": .object(status)]
    }

    public static let defaultScheduler = "default-scheduler"

    /// The `Ready` condition is `True` (upstream's `IsPodReady`).
    public var isReady: Bool { conditions["Ready"]?.isTrue ?? false }
    /// `Succeeded` or `Failed`: its containers will not run again.
    public var isTerminal: Bool { phase == "Succeeded" || phase == "Failed" }
    public var isScheduled: Bool { nodeName != nil }
    /// Neither finished nor being deleted: it counts towards its controller's replicas
    /// (upstream's `IsPodActive`).
    public var isActive: Bool { metadata.deletionTimestamp == nil && !isTerminal }

    /// The container port a Service's named `targetPort` refers to (upstream's
    /// `FindPort`), or nil when no container declares it.
    public func port(named name: String, protocol proto: PortProtocol) -> Int? {
        containerPorts.first { $0.name == name && $0.protocol == proto }?.containerPort
    }
}

/// A core/v1 Node as the scheduler, the controllers and the load balancer read it.
public struct Node: KubeObject {
    public static let apiVersion = "v1"
    public static let kind = "Node"
    public struct Taint: Sendable, Hashable {
        public var key: String
        public var value: String?
        public var effect: String
        public var timeAdded: String?

        public init(key: String, value: String? = nil, effect: String, timeAdded: String? = nil) {
            self.key = key
            self.value = value
            self.effect = effect
            self.timeAdded = timeAdded
        }

        public init(_ json: JSON) {
            key = json["key"]?.string ?? ""
            value = json["value"]?.string
            effect = json["effect"]?.string ?? ""
            timeAdded = json["timeAdded"]?.string
        }

        public var json: JSON {
            var o: JSON = ["key": .string(key), "effect": .string(effect)]
            if let value { o["value"] = .string(value) }
            if let timeAdded { o["timeAdded"] = .string(timeAdded) }
            return o
        }
    }

    public var metadata: ObjectMeta
    public var annotations: [String: String] {
        get { metadata.annotations }
        set { metadata.annotations = newValue }
    }
    public var unschedulable: Bool
    public var podCIDR: String?
    public var taints: [Taint]
    /// `status.addresses` as (type, address) pairs.
    public var addresses: [(type: String, address: String)]
    public var conditions: [Condition]
    public var allocatable: Allocatable

    public init(_ json: JSON) {
        metadata = ObjectMeta(json)
        let spec = json["spec"] ?? .emptyObject
        unschedulable = spec["unschedulable"]?.bool ?? false
        podCIDR = spec["podCIDR"]?.nonEmptyString
        taints = (spec["taints"]?.array ?? []).map(Taint.init)
        let status = json["status"] ?? .emptyObject
        allocatable = Allocatable(status["allocatable"])
        addresses = (status["addresses"]?.array ?? []).compactMap { a in
            guard let type = a["type"]?.string, let address = a["address"]?.string else { return nil }
            return (type, address)
        }
        conditions = Condition.list(status["conditions"])
    }

    public static func == (a: Node, b: Node) -> Bool {
        a.metadata == b.metadata && a.unschedulable == b.unschedulable
            && a.podCIDR == b.podCIDR
            && a.taints == b.taints && a.addresses.elementsEqual(b.addresses, by: { $0 == $1 })
            && a.conditions == b.conditions && a.allocatable == b.allocatable
    }

    public var json: JSON {
        let meta = metadata.json
        var spec = JSONObject()
        if unschedulable { spec["unschedulable"] = true }
        if let podCIDR { spec["podCIDR"] = .string(podCIDR) }
        if !taints.isEmpty { spec["taints"] = .array(taints.map(\.json)) }
        var status = JSONObject()
        if !addresses.isEmpty {
            status["addresses"] = .array(addresses.map { ["type": .string($0.type), "address": .string($0.address)] })
        }
        if !conditions.isEmpty { status["conditions"] = .array(conditions.map(\.json)) }
        return ["metadata": meta, "spec": .object(spec), "status": .object(status)]
    }

    /// The `Ready` condition is `True`.
    public var isReady: Bool { conditions["Ready"]?.isTrue ?? false }
    /// Ready and not cordoned: where new pods may go.
    public var isSchedulable: Bool { isReady && !unschedulable }
    /// The first `InternalIP` address.
    public var internalIP: IPv4Address? {
        addresses.first { $0.type == "InternalIP" }.flatMap { IPv4Address($0.address) }
    }
}
