import Foundation
import KubeAPI
import KubeMachinery
import KubeModel

/// The pure rules of the ReplicaSet and Deployment controllers and of the scheduler.
public enum Workloads {
    public static let templateHashLabel = "pod-template-hash"
    public static let revisionAnnotation = "deployment.kubernetes.io/revision"

    public static func isActive(_ pod: JSON) -> Bool {
        let phase = pod[path: ["status", "phase"]]?.string
        return pod.deletionTimestamp == nil && phase != "Succeeded" && phase != "Failed"
    }

    public static func controllerUID(_ obj: JSON) -> String? {
        obj.ownerReferences.first { $0["controller"]?.bool == true }?["uid"]?.string
    }

    public static func ownerReference(_ owner: JSON) -> JSON {
        [
            "apiVersion": .string(owner.apiVersion), "kind": .string(owner.kind), "name": .string(owner.name),
            "uid": .string(owner.uid), "controller": true, "blockOwnerDeletion": true,
        ]
    }

    /// A pod as a ReplicaSet makes it from its template.
    public static func podFromTemplate(_ rs: JSON) -> JSON {
        let template = rs[path: ["spec", "template"]] ?? .emptyObject
        var meta: JSON = [
            "generateName": .string("\(rs.name)-"), "namespace": .string(rs.namespace),
            "ownerReferences": [ownerReference(rs)],
        ]
        if let labels = template[path: ["metadata", "labels"]] { meta["labels"] = labels }
        if let annotations = template[path: ["metadata", "annotations"]] { meta["annotations"] = annotations }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": template["spec"] ?? .emptyObject]
    }

    /// Which pods go first when scaling down, as Kubernetes ranks them: unscheduled before
    /// scheduled, pending before running, not ready before ready, newer before older.
    public static func deletionOrder(_ pods: [JSON]) -> [JSON] {
        func rank(_ p: JSON) -> (Int, Int, Int, String) {
            let scheduled = (p[path: ["spec", "nodeName"]]?.string ?? "").isEmpty ? 0 : 1
            let phase = p[path: ["status", "phase"]]?.string
            let running = phase == "Running" ? 2 : (phase == "Pending" ? 1 : 0)
            let ready = EndpointsPlanner.isPodReady(p) ? 1 : 0
            return (scheduled, running, ready, p[path: ["metadata", "creationTimestamp"]]?.string ?? "")
        }
        return pods.sorted { a, b in
            let ra = rank(a), rb = rank(b)
            if ra.0 != rb.0 { return ra.0 < rb.0 }
            if ra.1 != rb.1 { return ra.1 < rb.1 }
            if ra.2 != rb.2 { return ra.2 < rb.2 }
            return ra.3 > rb.3
        }
    }

    public static func replicaSetStatus(_ rs: JSON, pods: [JSON]) -> JSON {
        let labels = rs[path: ["spec", "template", "metadata", "labels"]]?.stringMap ?? [:]
        let fully = pods.filter { p in labels.allSatisfy { p.labels[$0.key] == $0.value } }.count
        let ready = pods.filter(EndpointsPlanner.isPodReady).count
        var st: JSON = [
            "replicas": JSON(pods.count), "fullyLabeledReplicas": JSON(fully), "readyReplicas": JSON(ready),
            "availableReplicas": JSON(ready),
        ]
        if let g = rs[path: ["metadata", "generation"]] { st["observedGeneration"] = g }
        return st
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
    public static func scaledValue(_ v: JSON?, replicas: Int, roundUp: Bool, default def: Int) -> Int {
        switch v {
        case .some(.int(let i)): return Int(i)
        case .some(.string(let s)) where s.hasSuffix("%"):
            let pct = Double(s.dropLast()) ?? 0
            let x = Double(replicas) * pct / 100
            return Int(roundUp ? x.rounded(.up) : x.rounded(.down))
        case .some(.string(let s)): return Int(s) ?? def
        default: return def
        }
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
            let cur = oldTargets[o.name]!
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
        previous: JSON?,
        deadlineSeconds: Int?,
        now: Timestamp,
        replicaSet: String
    ) -> (status: Bool, reason: String, message: String, lastUpdate: Timestamp) {
        if complete {
            return (true, "NewReplicaSetAvailable", "ReplicaSet \"\(replicaSet)\" has successfully progressed.", now)
        }
        let last = (previous?["lastUpdateTime"]?.string).flatMap(Timestamp.init(rfc3339:)) ?? now
        let wasTimedOut = previous?["reason"]?.string == "ProgressDeadlineExceeded"
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
    public static func historyToPrune(old: [JSON], limit: Int) -> [String] {
        let idle = old.filter { rs in
            rs.deletionTimestamp == nil && (rs[path: ["spec", "replicas"]]?.intValue ?? 0) == 0
                && (rs[path: ["status", "replicas"]]?.intValue ?? 0) == 0
        }
        guard idle.count > max(limit, 0) else { return [] }
        let byRevision = idle.sorted {
            (Int($0.annotations[revisionAnnotation] ?? "") ?? 0, $0.name) < (
                Int($1.annotations[revisionAnnotation] ?? "") ?? 0, $1.name
            )
        }
        return byRevision.prefix(idle.count - max(limit, 0)).map(\.name)
    }

    /// The scheduler's choice: a Ready, schedulable node with the fewest pods; ties by name.
    public static func chooseNode(nodes: [Node], podCounts: [String: Int]) -> String? {
        nodes.filter(\.isSchedulable).map(\.name).sorted().min { (podCounts[$0] ?? 0) < (podCounts[$1] ?? 0) }
    }
}
