import Foundation
import KubeAPI
import KubeMachinery
import KubeModel

/// What a replica controller keeps pods for: a ReplicaSet, or the older ReplicationController
/// that the same controller serves (its selector is a plain map; its pods are the same).
public struct WorkloadKind: Sendable, Equatable {
    public var apiVersion: String
    public var kind: String
    public var resource: Resource

    public static let replicaSet = WorkloadKind(
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        resource: Resources.replicasets
    )
    public static let replicationController = WorkloadKind(
        apiVersion: "v1",
        kind: "ReplicationController",
        resource: Resources.replicationcontrollers
    )

    public static func == (a: WorkloadKind, b: WorkloadKind) -> Bool { a.kind == b.kind }
}

/// The pure rules of the ReplicaSet and Deployment controllers and of the scheduler.
public enum Workloads {
    public static let templateHashLabel = WellKnownLabels.podTemplateHash
    public static let revisionAnnotation = WellKnownLabels.deploymentRevision

    /// A pod as a ReplicaSet makes it from its template.
    public static func podFromTemplate(_ rs: ReplicaSet, ownerKind: WorkloadKind = .replicaSet) -> JSON {
        var owner = OwnerReference.controller(rs)
        owner.apiVersion = ownerKind.apiVersion
        owner.kind = ownerKind.kind
        var meta: JSON = [
            "generateName": .string("\(rs.name)-"), "namespace": .string(rs.namespace),
            "ownerReferences": [owner.json],
        ]
        if let labels = rs.template[path: ["metadata", "labels"]] { meta["labels"] = labels }
        if let annotations = rs.template[path: ["metadata", "annotations"]] { meta["annotations"] = annotations }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": rs.template["spec"] ?? .emptyObject]
    }

    /// Which pods go first when scaling down, as Kubernetes ranks them: unscheduled before
    /// scheduled, pending before running, not ready before ready, newer before older.
    public static func deletionOrder(_ pods: [Pod]) -> [Pod] {
        func rank(_ p: Pod) -> (Int, Int, Int) {
            let running = p.phase == "Running" ? 2 : (p.phase == "Pending" ? 1 : 0)
            return (p.isScheduled ? 1 : 0, running, p.isReady ? 1 : 0)
        }
        return pods.sorted { a, b in
            let ra = rank(a), rb = rank(b)
            if ra != rb { return ra < rb }
            return (a.metadata.creationTimestamp ?? "") > (b.metadata.creationTimestamp ?? "")
        }
    }

    public static func replicaSetStatus(_ rs: ReplicaSet, pods: [Pod]) -> ReplicaSet.Status {
        let labels = rs.templateLabels
        let ready = pods.filter(\.isReady).count
        return ReplicaSet.Status(
            replicas: pods.count,
            fullyLabeledReplicas: pods.filter { p in labels.allSatisfy { p.labels[$0.key] == $0.value } }.count,
            readyReplicas: ready,
            availableReplicas: ready,
            observedGeneration: rs.metadata.generation
        )
    }

    /// A stable hash of a pod template, as the `pod-template-hash` label carries it.
    public static func templateHash(_ template: JSON) -> String {
        var t = template
        t[path: ["metadata", "labels", templateHashLabel]] = nil
        var h: UInt64 = 14_695_981_039_346_656_037
        for b in canonical(t).utf8 { h = (h ^ UInt64(b)) &* 1_099_511_628_211 }
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var out = ""
        for _ in 0..<10 {
            out.append(alphabet[Int(h % UInt64(alphabet.count))])
            h /= UInt64(alphabet.count)
        }
        return out
    }

    /// JSON with object keys sorted, so equal templates hash equally. A null member is the
    /// same as an absent one (as in Kubernetes' typed objects: `kubectl rollout undo` sends
    /// `creationTimestamp: null`, and the template must still match its old ReplicaSet).
    static func canonical(_ v: JSON) -> String {
        switch v {
        case .object(let o):
            return "{"
                + o.entries.filter { $0.value != .null }.sorted { $0.key < $1.key }.map {
                    "\"\($0.key)\":\(canonical($0.value))"
                }.joined(separator: ",") + "}"
        case .array(let a): return "[" + a.map(canonical).joined(separator: ",") + "]"
        default: return v.serializedString()
        }
    }

    /// `maxSurge` / `maxUnavailable`: an integer or a percentage of `replicas`.
    public static func scaledValue(_ v: IntOrString?, replicas: Int, roundUp: Bool, default def: Int) -> Int {
        v?.scaled(of: replicas, roundUp: roundUp) ?? def
    }

    /// Target replicas for the new and old ReplicaSets of a Deployment, one rolling-update step.
    public static func rollingStep(
        replicas: Int,
        maxSurge: Int,
        maxUnavailable: Int,
        newRS: (current: Int, ready: Int),
        old: [(name: String, current: Int, ready: Int)]
    ) -> (new: Int, old: [String: Int]) {
        var surge = maxSurge, unavailable = maxUnavailable
        if surge == 0 && unavailable == 0 { unavailable = 1 }
        surge = max(0, surge)
        let total = newRS.current + old.reduce(0) { $0 + $1.current }
        let allowed = replicas + surge - total
        let newTarget = min(replicas, newRS.current + max(0, allowed))
        let minAvailable = replicas - unavailable
        let available = newRS.ready + old.reduce(0) { $0 + $1.ready }
        var canRemove = available - minAvailable
        var oldTargets: [String: Int] = [:]
        // Unready old pods go first: removing them costs no availability.
        for o in old {
            let unready = o.current - o.ready
            oldTargets[o.name] = o.current - unready
        }
        for o in old.sorted(by: { $0.ready < $1.ready }) {
            let cur = oldTargets[o.name] ?? 0
            let remove = max(0, min(cur, canRemove))
            oldTargets[o.name] = cur - remove
            canRemove -= remove
        }
        // Never shrink old below what keeps the total at `replicas` until the new ones exist.
        return (newTarget, oldTargets)
    }

    /// The Deployment's `Progressing` condition, as Kubernetes computes it: True while the
    /// rollout moves (its `lastUpdateTime` is the last time it moved), False with
    /// `ProgressDeadlineExceeded` once it has not moved for `progressDeadlineSeconds`.
    public static func progressing(
        complete: Bool,
        moved: Bool,
        previous: Condition?,
        deadlineSeconds: Int?,
        now: Timestamp,
        replicaSet: String
    ) -> (status: Bool, reason: String, message: String, lastUpdate: Timestamp) {
        if complete {
            return (true, "NewReplicaSetAvailable", "ReplicaSet \"\(replicaSet)\" has successfully progressed.", now)
        }
        let last = (previous?.lastUpdateTime).flatMap(Timestamp.init(rfc3339:)) ?? now
        let wasTimedOut = previous?.reason == "ProgressDeadlineExceeded"
        if !moved, let deadline = deadlineSeconds, wasTimedOut || now.micros - last.micros > Int64(deadline) * 1_000_000
        {
            return (
                false, "ProgressDeadlineExceeded", "ReplicaSet \"\(replicaSet)\" has timed out progressing.",
                wasTimedOut ? last : now
            )
        }
        return (
            true, "ReplicaSetUpdated", "ReplicaSet \"\(replicaSet)\" is progressing.",
            moved || previous == nil ? now : last
        )
    }

    /// The old ReplicaSets a Deployment no longer keeps (`spec.revisionHistoryLimit`, default 10):
    /// those scaled to zero with no pods left, oldest revision first, beyond the limit.
    public static func historyToPrune(old: [ReplicaSet], limit: Int) -> [String] {
        let idle = old.filter { !$0.metadata.isDeleting && $0.replicas == 0 && $0.status.replicas == 0 }
        guard idle.count > max(limit, 0) else { return [] }
        let byRevision = idle.sorted { ($0.revision ?? 0, $0.name) < ($1.revision ?? 0, $1.name) }
        return byRevision.prefix(idle.count - max(limit, 0)).map(\.name)
    }
}

/// A Deployment's status as its controller computes it from the ReplicaSets' status, and
/// when to look again if nothing else changes (a rollout that may pass its deadline).
public struct DeploymentStatusPlan: Sendable, Equatable {
    public var status: Deployment.Status
    public var recheckAfter: Duration?
}

extension Workloads {
    /// Counts summed over the ReplicaSets; `Available` from maxUnavailable; `Progressing` from
    /// `progressing(…)`. Condition times move only when a condition's status or reason does.
    public static func deploymentStatus(
        _ d: Deployment,
        newRS: ReplicaSet,
        old: [ReplicaSet],
        now: Timestamp
    ) -> DeploymentStatusPlan {
        let all = [newRS] + old
        let ready = all.reduce(0) { $0 + $1.status.readyReplicas }
        let total = all.reduce(0) { $0 + $1.status.replicas }
        let available = all.reduce(0) { $0 + $1.status.availableReplicas }
        let updated = newRS.status.replicas
        let nowText = now.rfc3339
        let existing = d.status.conditions

        func condition(_ type: String, _ status: Bool, _ reason: String, _ message: String) -> Condition {
            let prev = existing[type]
            let value = status ? "True" : "False"
            let changed = prev?.status != value || prev?.reason != reason
            return Condition(
                type: type,
                status: value,
                reason: reason,
                message: message,
                lastTransitionTime: changed ? nowText : (prev?.lastTransitionTime ?? nowText),
                lastUpdateTime: changed ? nowText : (prev?.lastUpdateTime ?? nowText)
            )
        }

        let minAvailable =
            d.replicas - scaledValue(d.maxUnavailable, replicas: d.replicas, roundUp: false, default: 0)
        let isAvailable = available >= minAvailable
        let availableCondition = condition(
            "Available",
            isAvailable,
            isAvailable ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
            isAvailable ? "Deployment has minimum availability." : "Deployment does not have minimum availability."
        )

        let complete = updated == d.replicas && total == d.replicas && available == d.replicas
        let previous = existing["Progressing"]
        let s = d.status
        let moved =
            [s.replicas, s.updatedReplicas, s.readyReplicas, s.availableReplicas] != [total, updated, ready, available]
            || previous == nil || s.observedGeneration != d.generation
        let p = progressing(
            complete: complete,
            moved: moved,
            previous: previous,
            deadlineSeconds: d.progressDeadlineSeconds,
            now: now,
            replicaSet: newRS.name
        )
        var progressingCondition = condition("Progressing", p.status, p.reason, p.message)
        progressingCondition.lastUpdateTime = p.lastUpdate.rfc3339

        var recheck: Duration?
        if !complete, p.reason == "ReplicaSetUpdated", let deadline = d.progressDeadlineSeconds {
            // Nothing may change while a rollout is stuck: look again when the deadline passes.
            let left = Duration.seconds(deadline) - .microseconds(now.micros - p.lastUpdate.micros)
            recheck = max(left, .zero) + .milliseconds(500)
        }
        return DeploymentStatusPlan(
            status: Deployment.Status(
                observedGeneration: d.generation,
                replicas: total,
                updatedReplicas: updated,
                readyReplicas: ready,
                availableReplicas: available,
                unavailableReplicas: max(0, total - available),
                conditions: [availableCondition, progressingCondition]
            ),
            recheckAfter: recheck
        )
    }
}
