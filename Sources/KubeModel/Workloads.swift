import KubeMachinery

/// Annotation and label names of the workload controllers.
extension WellKnownLabels {
    /// On a ReplicaSet and its pods: the hash of the Deployment template it was made from.
    public static let podTemplateHash = "pod-template-hash"
    /// On a Deployment and its ReplicaSets: the rollout revision.
    public static let deploymentRevision = "deployment.kubernetes.io/revision"
}

/// An apps/v1 ReplicaSet as the ReplicaSet and Deployment controllers read it. The pod
/// template stays a JSON tree: it is copied whole into the pods, unknown fields and all.
public struct ReplicaSet: KubeObject {
    public static let apiVersion = "apps/v1"
    public static let kind = "ReplicaSet"

    public struct Status: Sendable, Hashable {
        public var replicas = 0
        public var fullyLabeledReplicas = 0
        public var readyReplicas = 0
        public var availableReplicas = 0
        public var observedGeneration: Int?

        public init(
            replicas: Int = 0,
            fullyLabeledReplicas: Int = 0,
            readyReplicas: Int = 0,
            availableReplicas: Int = 0,
            observedGeneration: Int? = nil
        ) {
            self.replicas = replicas
            self.fullyLabeledReplicas = fullyLabeledReplicas
            self.readyReplicas = readyReplicas
            self.availableReplicas = availableReplicas
            self.observedGeneration = observedGeneration
        }

        public init(_ json: JSON?) {
            replicas = json?["replicas"]?.intValue ?? 0
            fullyLabeledReplicas = json?["fullyLabeledReplicas"]?.intValue ?? 0
            readyReplicas = json?["readyReplicas"]?.intValue ?? 0
            availableReplicas = json?["availableReplicas"]?.intValue ?? 0
            observedGeneration = json?["observedGeneration"]?.intValue
        }

        public var json: JSON {
            var o: JSON = [
                "replicas": JSON(replicas), "fullyLabeledReplicas": JSON(fullyLabeledReplicas),
                "readyReplicas": JSON(readyReplicas), "availableReplicas": JSON(availableReplicas),
            ]
            if let observedGeneration { o["observedGeneration"] = JSON(observedGeneration) }
            return o
        }
    }

    public var metadata: ObjectMeta
    /// `spec.replicas`, 1 when absent (as defaulting sets it).
    public var replicas: Int
    public var minReadySeconds: Int
    /// `spec.template`, as written.
    public var template: JSON
    public var status: Status

    public init(_ json: JSON) {
        metadata = ObjectMeta(json)
        let spec = json["spec"] ?? .emptyObject
        replicas = spec["replicas"]?.intValue ?? 1
        minReadySeconds = spec["minReadySeconds"]?.intValue ?? 0
        template = spec["template"] ?? .emptyObject
        status = Status(json["status"])
    }

    public var json: JSON {
        [
            "metadata": metadata.json,
            "spec": ["replicas": JSON(replicas), "minReadySeconds": JSON(minReadySeconds), "template": template],
            "status": status.json,
        ]
    }

    public var templateLabels: [String: String] { template[path: ["metadata", "labels"]]?.stringMap ?? [:] }
    /// The `deployment.kubernetes.io/revision` annotation, when it is a number.
    public var revision: Int? { metadata.annotations[WellKnownLabels.deploymentRevision].flatMap { Int($0) } }
    /// Ready pods, never more than the replicas asked for (an old ReplicaSet scaled down
    /// still shows the pods that are terminating).
    public var readyWithinSpec: Int { min(status.readyReplicas, replicas) }
}

/// An apps/v1 Deployment as its controller reads it.
public struct Deployment: KubeObject {
    public static let apiVersion = "apps/v1"
    public static let kind = "Deployment"

    public struct StrategyType: OpenEnum {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let rollingUpdate = StrategyType(rawValue: "RollingUpdate")
        public static let recreate = StrategyType(rawValue: "Recreate")
    }

    public struct Status: Sendable, Hashable {
        public var observedGeneration: Int?
        public var replicas = 0
        public var updatedReplicas = 0
        public var readyReplicas = 0
        public var availableReplicas = 0
        public var unavailableReplicas = 0
        public var conditions: [Condition] = []

        public init(
            observedGeneration: Int? = nil,
            replicas: Int = 0,
            updatedReplicas: Int = 0,
            readyReplicas: Int = 0,
            availableReplicas: Int = 0,
            unavailableReplicas: Int = 0,
            conditions: [Condition] = []
        ) {
            self.observedGeneration = observedGeneration
            self.replicas = replicas
            self.updatedReplicas = updatedReplicas
            self.readyReplicas = readyReplicas
            self.availableReplicas = availableReplicas
            self.unavailableReplicas = unavailableReplicas
            self.conditions = conditions
        }

        public init(_ json: JSON?) {
            observedGeneration = json?["observedGeneration"]?.intValue
            replicas = json?["replicas"]?.intValue ?? 0
            updatedReplicas = json?["updatedReplicas"]?.intValue ?? 0
            readyReplicas = json?["readyReplicas"]?.intValue ?? 0
            availableReplicas = json?["availableReplicas"]?.intValue ?? 0
            unavailableReplicas = json?["unavailableReplicas"]?.intValue ?? 0
            conditions = Condition.list(json?["conditions"])
        }

        /// As stored: `unavailableReplicas` only when some are.
        public var json: JSON {
            var o: JSON = [
                "replicas": JSON(replicas), "updatedReplicas": JSON(updatedReplicas),
                "readyReplicas": JSON(readyReplicas), "availableReplicas": JSON(availableReplicas),
                "conditions": .array(conditions.map(\.json)),
            ]
            if let observedGeneration { o["observedGeneration"] = JSON(observedGeneration) }
            if unavailableReplicas > 0 { o["unavailableReplicas"] = JSON(unavailableReplicas) }
            return o
        }

        /// Equal but for the conditions' timestamps: a status worth no write.
        public func sameIgnoringTimes(_ other: Status) -> Bool {
            func untimed(_ s: Status) -> Status {
                var s = s
                s.conditions = s.conditions.map {
                    var c = $0
                    c.lastUpdateTime = nil
                    c.lastTransitionTime = nil
                    return c
                }
                return s
            }
            return untimed(self) == untimed(other)
        }
    }

    public var metadata: ObjectMeta
    /// `spec.replicas`, 1 when absent.
    public var replicas: Int
    /// `spec.selector` and `spec.template`, as written: copied into the ReplicaSets.
    public var selector: JSON
    public var template: JSON
    public var strategy: StrategyType
    public var maxSurge: IntOrString?
    public var maxUnavailable: IntOrString?
    public var minReadySeconds: Int
    /// `spec.revisionHistoryLimit`, 10 when absent.
    public var revisionHistoryLimit: Int
    public var progressDeadlineSeconds: Int?
    public var status: Status

    public init(_ json: JSON) {
        metadata = ObjectMeta(json)
        let spec = json["spec"] ?? .emptyObject
        replicas = spec["replicas"]?.intValue ?? 1
        selector = spec["selector"] ?? .emptyObject
        template = spec["template"] ?? .emptyObject
        strategy = StrategyType(rawValue: spec[path: ["strategy", "type"]]?.nonEmptyString ?? "RollingUpdate")
        maxSurge = IntOrString(spec[path: ["strategy", "rollingUpdate", "maxSurge"]])
        maxUnavailable = IntOrString(spec[path: ["strategy", "rollingUpdate", "maxUnavailable"]])
        minReadySeconds = spec["minReadySeconds"]?.intValue ?? 0
        revisionHistoryLimit = spec["revisionHistoryLimit"]?.intValue ?? 10
        progressDeadlineSeconds = spec["progressDeadlineSeconds"]?.intValue
        status = Status(json["status"])
    }

    public var json: JSON {
        var spec: JSON = [
            "replicas": JSON(replicas), "selector": selector, "template": template,
            "strategy": ["type": .string(strategy.rawValue)], "minReadySeconds": JSON(minReadySeconds),
            "revisionHistoryLimit": JSON(revisionHistoryLimit),
        ]
        if let maxSurge { spec[path: ["strategy", "rollingUpdate", "maxSurge"]] = maxSurge.json }
        if let maxUnavailable { spec[path: ["strategy", "rollingUpdate", "maxUnavailable"]] = maxUnavailable.json }
        if let progressDeadlineSeconds { spec["progressDeadlineSeconds"] = JSON(progressDeadlineSeconds) }
        return ["metadata": metadata.json, "spec": spec, "status": status.json]
    }

    /// `metadata.generation`, 1 when the server set none.
    public var generation: Int { metadata.generation ?? 1 }
}

extension IntOrString {
    /// `maxSurge` / `maxUnavailable`: an integer, or a percentage of `total` rounded up or
    /// down (upstream's `GetScaledValueFromIntOrPercent`); nil when unreadable.
    public func scaled(of total: Int, roundUp: Bool) -> Int? {
        switch self {
        case .int(let i): return i
        case .string(let s) where s.hasSuffix("%"):
            guard let pct = Double(s.dropLast()) else { return nil }
            let x = (Double(total) * pct / 100).rounded(roundUp ? .up : .down)
            // A percentage no validation bounded must not trap the conversion.
            return Int(exactly: x)
        case .string(let s): return Int(s)
        }
    }
}

/// An apps/v1 StatefulSet as its controller reads it: the template and claim templates
/// stay JSON, copied into each pod and claim.
public struct StatefulSet: KubeObject {
    public static let apiVersion = "apps/v1"
    public static let kind = "StatefulSet"

    public var metadata: ObjectMeta
    public var replicas: Int
    public var serviceName: String
    /// `podManagementPolicy: Parallel`: pods start and stop together, not one by one.
    public var parallel: Bool
    /// `updateStrategy.type: OnDelete`: pods change only when someone deletes them.
    public var onDelete: Bool
    public var partition: Int
    public var minReadySeconds: Int
    public var template: JSON
    public var selector: JSON
    public var volumeClaimTemplates: [JSON]
    public var deleteClaimsWhenDeleted: Bool
    public var deleteClaimsWhenScaled: Bool
    /// `status`, as written (compared before a write).
    public var status: JSON

    public init(_ json: JSON) {
        metadata = ObjectMeta(json)
        let spec = json["spec"] ?? .emptyObject
        replicas = spec["replicas"]?.intValue ?? 1
        serviceName = spec["serviceName"]?.string ?? ""
        parallel = spec["podManagementPolicy"]?.string == "Parallel"
        onDelete = spec[path: ["updateStrategy", "type"]]?.string == "OnDelete"
        partition = spec[path: ["updateStrategy", "rollingUpdate", "partition"]]?.intValue ?? 0
        minReadySeconds = spec["minReadySeconds"]?.intValue ?? 0
        template = spec["template"] ?? .emptyObject
        selector = spec["selector"] ?? .emptyObject
        volumeClaimTemplates = spec["volumeClaimTemplates"]?.array ?? []
        deleteClaimsWhenDeleted =
            spec[path: ["persistentVolumeClaimRetentionPolicy", "whenDeleted"]]?.string == "Delete"
        deleteClaimsWhenScaled = spec[path: ["persistentVolumeClaimRetentionPolicy", "whenScaled"]]?.string == "Delete"
        status = json["status"] ?? .emptyObject
    }

    public var json: JSON {
        [
            "metadata": metadata.json,
            "spec": [
                "replicas": JSON(replicas), "serviceName": .string(serviceName), "template": template,
                "selector": selector, "volumeClaimTemplates": .array(volumeClaimTemplates),
                "podManagementPolicy": .string(parallel ? "Parallel" : "OrderedReady"),
            ],
            "status": status,
        ]
    }
}

/// An apps/v1 DaemonSet as its controller reads it.
public struct DaemonSet: KubeObject {
    public static let apiVersion = "apps/v1"
    public static let kind = "DaemonSet"

    public var metadata: ObjectMeta
    public var template: JSON
    public var onDelete: Bool
    public var maxUnavailable: IntOrString?
    public var maxSurge: IntOrString?
    public var minReadySeconds: Int
    public var status: JSON

    public init(_ json: JSON) {
        metadata = ObjectMeta(json)
        let spec = json["spec"] ?? .emptyObject
        template = spec["template"] ?? .emptyObject
        onDelete = spec[path: ["updateStrategy", "type"]]?.string == "OnDelete"
        maxUnavailable = IntOrString(spec[path: ["updateStrategy", "rollingUpdate", "maxUnavailable"]])
        maxSurge = IntOrString(spec[path: ["updateStrategy", "rollingUpdate", "maxSurge"]])
        minReadySeconds = spec["minReadySeconds"]?.intValue ?? 0
        status = json["status"] ?? .emptyObject
    }

    public var json: JSON {
        ["metadata": metadata.json, "spec": ["template": template], "status": status]
    }
}

/// A batch/v1 Job as its controller reads it.
public struct Job: KubeObject {
    public static let apiVersion = "batch/v1"
    public static let kind = "Job"

    public var metadata: ObjectMeta
    public var parallelism: Int
    /// nil: a work queue, done when any pod succeeds and none is left running.
    public var completions: Int?
    public var indexed: Bool
    public var backoffLimit: Int
    public var activeDeadlineSeconds: Int?
    public var suspend: Bool
    public var ttlSecondsAfterFinished: Int?
    public var podFailurePolicy: [JSON]
    public var template: JSON
    public var status: JSON

    public init(_ json: JSON) {
        metadata = ObjectMeta(json)
        let spec = json["spec"] ?? .emptyObject
        parallelism = spec["parallelism"]?.intValue ?? 1
        completions = spec["completions"]?.intValue
        indexed = spec["completionMode"]?.string == "Indexed"
        backoffLimit = spec["backoffLimit"]?.intValue ?? 6
        activeDeadlineSeconds = spec["activeDeadlineSeconds"]?.intValue
        suspend = spec["suspend"]?.bool ?? false
        ttlSecondsAfterFinished = spec["ttlSecondsAfterFinished"]?.intValue
        podFailurePolicy = spec[path: ["podFailurePolicy", "rules"]]?.array ?? []
        template = spec["template"] ?? .emptyObject
        status = json["status"] ?? .emptyObject
    }

    public var json: JSON {
        var spec: JSON = [
            "parallelism": JSON(parallelism), "backoffLimit": JSON(backoffLimit), "suspend": .bool(suspend),
            "completionMode": .string(indexed ? "Indexed" : "NonIndexed"), "template": template,
        ]
        if let completions { spec["completions"] = JSON(completions) }
        if let activeDeadlineSeconds { spec["activeDeadlineSeconds"] = JSON(activeDeadlineSeconds) }
        if let ttlSecondsAfterFinished { spec["ttlSecondsAfterFinished"] = JSON(ttlSecondsAfterFinished) }
        if !podFailurePolicy.isEmpty { spec["podFailurePolicy"] = ["rules": .array(podFailurePolicy)] }
        return ["metadata": metadata.json, "spec": spec, "status": status]
    }

    /// The `Complete` or `Failed` condition is `True`: nothing more will run.
    public var isFinished: Bool { finishedCondition != nil }

    public var finishedCondition: String? {
        for c in status["conditions"]?.array ?? [] {
            if let t = c["type"]?.string, ["Complete", "Failed"].contains(t), c["status"]?.string == "True" {
                return t
            }
        }
        return nil
    }
}
