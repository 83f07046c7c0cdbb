import KubeMachinery

/// What a pod asks of the node it runs on, as kube-scheduler reads it: the node selector,
/// affinity (kept as written: its terms are evaluated by the scheduler), tolerations,
/// resource requests and host ports.
public struct PodPlacement: Sendable, Hashable {
    public struct Toleration: Sendable, Hashable {
        public var key: String
        public var `operator`: String
        public var value: String
        public var effect: String
        public var tolerationSeconds: Int?

        public init(key: String = "", operator: String = "Equal", value: String = "", effect: String = "") {
            self.key = key
            self.operator = `operator`
            self.value = value
            self.effect = effect
        }

        public init(_ json: JSON) {
            key = json["key"]?.string ?? ""
            `operator` = json["operator"]?.string ?? "Equal"
            value = json["value"]?.string ?? ""
            effect = json["effect"]?.string ?? ""
            tolerationSeconds = json["tolerationSeconds"]?.intValue
        }

        /// Upstream's `ToleratesTaint`.
        public func tolerates(_ taint: Node.Taint) -> Bool {
            if !effect.isEmpty, effect != taint.effect { return false }
            if key.isEmpty { return `operator` == "Exists" }
            guard key == taint.key else { return false }
            return `operator` == "Exists" || value == (taint.value ?? "")
        }
    }

    public var nodeSelector: [String: String] = [:]
    public var affinity: JSON?
    public var tolerations: [Toleration] = []
    /// What the containers request (a container with only limits requests its limits), as
    /// upstream sums it: the larger of all app containers together and any one init container.
    public var cpuMillis: Int64 = 0
    public var memoryBytes: Int64 = 0
    public var hostPorts: [Int] = []
    public var topologySpread: [JSON] = []

    public init() {}

    public init(spec: JSON) {
        nodeSelector = spec["nodeSelector"]?.stringMap ?? [:]
        if let a = spec["affinity"], a.isObject, !(a.object?.isEmpty ?? true) { affinity = a }
        tolerations = (spec["tolerations"]?.array ?? []).map(Toleration.init)
        func request(_ c: JSON, _ name: String) -> Quantity? {
            Quantity(c[path: ["resources", "requests", name]]) ?? Quantity(c[path: ["resources", "limits", name]])
        }
        let containers = spec["containers"]?.array ?? []
        let inits = spec["initContainers"]?.array ?? []
        // Sidecars (restartable init containers) run alongside the app containers.
        let sidecars = inits.filter { $0["restartPolicy"]?.string == "Always" }
        let apps = containers + sidecars
        cpuMillis = max(
            apps.reduce(0) { $0 + (request($1, "cpu")?.milliValue ?? 0) },
            inits.map { request($0, "cpu")?.milliValue ?? 0 }.max() ?? 0
        )
        memoryBytes = max(
            apps.reduce(0) { $0 + Int64(request($1, "memory")?.value ?? 0) },
            inits.map { Int64(request($0, "memory")?.value ?? 0) }.max() ?? 0
        )
        hostPorts = containers.flatMap { ($0["ports"]?.array ?? []).compactMap { $0["hostPort"]?.intValue } }
            .filter { $0 > 0 }
        topologySpread = spec["topologySpreadConstraints"]?.array ?? []
    }
}

extension Node {
    /// `status.allocatable`: what pods may request here.
    public struct Allocatable: Sendable, Hashable {
        public var cpuMillis: Int64
        public var memoryBytes: Int64
        public var pods: Int

        public init(cpuMillis: Int64 = .max, memoryBytes: Int64 = .max, pods: Int = 110) {
            self.cpuMillis = cpuMillis
            self.memoryBytes = memoryBytes
            self.pods = pods
        }

        public init(_ json: JSON?) {
            cpuMillis = Quantity(json?["cpu"])?.milliValue ?? .max
            memoryBytes = Quantity(json?["memory"]).map { Int64($0.value) } ?? .max
            pods = Quantity(json?["pods"]).map { Int($0.value) } ?? 110
        }
    }
}
