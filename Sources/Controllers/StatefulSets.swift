import KubeAPI
import KubeMachinery
import KubeModel

/// The pure rules of the StatefulSet controller: stable pod names and claims, the order
/// pods start, stop and update in, and the status they add up to.
public enum StatefulSets {
    public static let podNameLabel = "statefulset.kubernetes.io/pod-name"
    public static let podIndexLabel = "apps.kubernetes.io/pod-index"
    public static let revisionLabel = "controller-revision-hash"

    /// `web-3` → 3, for a pod of StatefulSet `web`.
    public static func ordinal(of podName: String, set: String) -> Int? {
        guard podName.hasPrefix(set + "-") else { return nil }
        let tail = podName.dropFirst(set.count + 1)
        guard !tail.isEmpty, tail.allSatisfy(\.isNumber), let n = Int(tail), String(n) == tail else { return nil }
        return n
    }

    /// The revision a pod made from the current template carries (`controller-revision-hash`).
    public static func updateRevision(_ sts: StatefulSet) -> String {
        "\(sts.name)-\(Workloads.templateHash(sts.template))"
    }

    public static func claimName(template: JSON, set: String, ordinal: Int) -> String {
        "\(template.name)-\(set)-\(ordinal)"
    }

    /// Pod `ordinal` as the controller creates it: the template, named `<set>-<ordinal>`,
    /// with its hostname and the governing Service as subdomain (its DNS name), and each
    /// claim template's claim as the volume of that name.
    public static func pod(_ sts: StatefulSet, ordinal: Int, revision: String) -> JSON {
        let name = "\(sts.name)-\(ordinal)"
        var labels = sts.template[path: ["metadata", "labels"]]?.object ?? JSONObject()
        labels[podNameLabel] = .string(name)
        labels[podIndexLabel] = .string(String(ordinal))
        labels[revisionLabel] = .string(revision)
        var meta: JSON = [
            "name": .string(name), "namespace": .string(sts.namespace), "labels": .object(labels),
            "ownerReferences": [OwnerReference.controller(sts).json],
        ]
        if let annotations = sts.template[path: ["metadata", "annotations"]] { meta["annotations"] = annotations }
        var spec = sts.template["spec"] ?? .emptyObject
        spec["hostname"] = .string(name)
        if !sts.serviceName.isEmpty { spec["subdomain"] = .string(sts.serviceName) }
        if !sts.volumeClaimTemplates.isEmpty {
            let claimed = Set(sts.volumeClaimTemplates.map(\.name))
            var volumes = (spec["volumes"]?.array ?? []).filter { !claimed.contains($0["name"]?.string ?? "") }
            for t in sts.volumeClaimTemplates {
                volumes.append([
                    "name": .string(t.name),
                    "persistentVolumeClaim": [
                        "claimName": .string(claimName(template: t, set: sts.name, ordinal: ordinal))
                    ],
                ])
            }
            spec["volumes"] = .array(volumes)
        }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec]
    }

    /// The claim of `template` for pod `ordinal`; owned by the set when its claims go with it.
    public static func claim(_ sts: StatefulSet, template: JSON, ordinal: Int) -> JSON {
        var labels = template[path: ["metadata", "labels"]]?.object ?? JSONObject()
        for (k, v) in sts.selector["matchLabels"]?.object ?? JSONObject() { labels[k] = v }
        var meta: JSON = [
            "name": .string(claimName(template: template, set: sts.name, ordinal: ordinal)),
            "namespace": .string(sts.namespace), "labels": .object(labels),
        ]
        if let annotations = template[path: ["metadata", "annotations"]] { meta["annotations"] = annotations }
        if sts.deleteClaimsWhenDeleted {
            var owner = OwnerReference.controller(sts)
            owner.controller = false
            meta["ownerReferences"] = [owner.json]
        }
        return [
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta,
            "spec": template["spec"] ?? .emptyObject,
        ]
    }

    public enum Action: Equatable, Sendable {
        case create(ordinal: Int)
        case delete(pod: String)
    }

    static func healthy(_ p: Pod) -> Bool { p.phase == "Running" && p.isReady && !p.metadata.isDeleting }

    /// The next steps towards the spec, from the set's pods (every pod it owns, terminating
    /// ones too). OrderedReady goes one pod at a time, waiting for each to be Running and
    /// Ready; Parallel does all at once. A rolling update replaces the highest ordinal not
    /// at `revision` (down to the partition) once every pod is healthy.
    public static func plan(_ sts: StatefulSet, pods: [Pod], revision: String) -> [Action] {
        var byOrdinal: [Int: Pod] = [:]
        for p in pods {
            if let i = ordinal(of: p.name, set: sts.name) { byOrdinal[i] = p }
        }
        // A pod that has finished is replaced: deleted now, made again next time.
        let finished = byOrdinal.values.filter { $0.isTerminal && !$0.metadata.isDeleting }
        if !finished.isEmpty { return finished.map { .delete(pod: $0.name) }.sorted { "\($0)" < "\($1)" } }
        var actions: [Action] = []
        for i in 0..<max(sts.replicas, 0) {
            if let p = byOrdinal[i] {
                if !sts.parallel, !healthy(p) { break }
                continue
            }
            actions.append(.create(ordinal: i))
            if !sts.parallel { break }
        }
        let terminating = byOrdinal.values.contains { $0.metadata.isDeleting }
        let condemned = byOrdinal.filter { $0.key >= sts.replicas && !$0.value.metadata.isDeleting }
            .sorted { $0.key > $1.key }
        if sts.parallel {
            actions += condemned.map { .delete(pod: $0.value.name) }
        } else if let highest = condemned.first, !terminating, actions.isEmpty {
            actions.append(.delete(pod: highest.value.name))
        }
        guard actions.isEmpty, !terminating, !sts.onDelete else { return actions }
        let desired = (0..<max(sts.replicas, 0)).compactMap { byOrdinal[$0] }
        guard desired.count == sts.replicas, desired.allSatisfy(healthy) else { return actions }
        for i in stride(from: sts.replicas - 1, through: max(sts.partition, 0), by: -1) {
            if let p = byOrdinal[i], p.labels[revisionLabel] != revision { return [.delete(pod: p.name)] }
        }
        return actions
    }

    /// Whether a ready pod has been ready for `minReadySeconds` at `now`.
    static func available(_ p: Pod, minReadySeconds: Int, now: Timestamp) -> Bool {
        guard p.isReady else { return false }
        guard minReadySeconds > 0 else { return true }
        guard let since = p.conditions["Ready"]?.lastTransitionTime.flatMap(Timestamp.init(rfc3339:)) else {
            return true
        }
        return now.seconds - since.seconds >= Int64(minReadySeconds)
    }

    /// `status` as upstream's controller reports it.
    public static func status(_ sts: StatefulSet, pods: [Pod], revision: String, now: Timestamp) -> JSON {
        let live = pods.filter { !$0.metadata.isDeleting && ordinal(of: $0.name, set: sts.name) != nil }
        let updated = live.filter { $0.labels[revisionLabel] == revision }.count
        var current = sts.status["currentRevision"]?.string ?? revision
        if updated == live.count, live.count == sts.replicas { current = revision }
        var status: JSON = [
            "observedGeneration": JSON(sts.metadata.generation ?? 1), "replicas": JSON(live.count),
            "readyReplicas": JSON(live.filter(\.isReady).count),
            "availableReplicas": JSON(
                live.filter { available($0, minReadySeconds: sts.minReadySeconds, now: now) }.count
            ),
            "currentReplicas": JSON(live.filter { $0.labels[revisionLabel] == current }.count),
            "updatedReplicas": JSON(updated), "currentRevision": .string(current), "updateRevision": .string(revision),
            "collisionCount": 0,
        ]
        if let conditions = sts.status["conditions"] { status["conditions"] = conditions }
        return status
    }
}
