import KubeAPI
import KubeMachinery
import KubeModel

/// The pure rules of the DaemonSet controller: which nodes should run its pod, the pod for
/// each, the rolling replacement of old pods, and the status.
public enum DaemonSets {
    /// The tolerations upstream adds to every daemon pod, so it runs on nodes that are not
    /// Ready, are short of resources, or are cordoned.
    static let automaticTolerations: [JSON] = [
        ["key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"],
        ["key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"],
        ["key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"],
        ["key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"],
        ["key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"],
        ["key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"],
    ]

    public static func revision(_ ds: DaemonSet) -> String { Workloads.templateHash(ds.template) }

    /// The daemon pod for `node`: the template, tolerating what upstream's do, pinned to the
    /// node by affinity on its name (the scheduler binds it, as upstream).
    public static func pod(_ ds: DaemonSet, node: String, revision: String) -> JSON {
        var labels = ds.template[path: ["metadata", "labels"]]?.object ?? JSONObject()
        labels[StatefulSets.revisionLabel] = .string(revision)
        labels["pod-template-generation"] = .string(String(ds.metadata.generation ?? 1))
        var meta: JSON = [
            "generateName": .string("\(ds.name)-"), "namespace": .string(ds.namespace), "labels": .object(labels),
            "ownerReferences": [OwnerReference.controller(ds).json],
        ]
        if let annotations = ds.template[path: ["metadata", "annotations"]] { meta["annotations"] = annotations }
        var spec = ds.template["spec"] ?? .emptyObject
        var tolerations = spec["tolerations"]?.array ?? []
        for t in automaticTolerations
        where !tolerations.contains(where: { $0["key"] == t["key"] && $0["effect"] == t["effect"] }) {
            tolerations.append(t)
        }
        spec["tolerations"] = .array(tolerations)
        // Each term keeps its expressions; its fields become the node's name (upstream's
        // ReplaceDaemonSetPodNodeNameNodeAffinity).
        let termsPath = [
            "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms",
        ]
        let terms = spec[path: termsPath]?.array ?? []
        spec[path: termsPath] = .array(
            (terms.isEmpty ? [[:]] : terms).map { term -> JSON in
                var t = term
                t["matchFields"] = [["key": "metadata.name", "operator": "In", "values": [.string(node)]]]
                return t
            }
        )
        return ["apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec]
    }

    /// Whether the daemon should run on `node`: its selector and affinity match and it
    /// tolerates the node's NoSchedule and NoExecute taints (resources are the scheduler's).
    public static func shouldRun(_ ds: DaemonSet, on node: Node) -> Bool {
        let candidate = Pod(pod(ds, node: node.name, revision: ""))
        guard SchedulingRules.matchesNodeSelectorAndAffinity(candidate, node) else { return false }
        return node.taints.allSatisfy { t in
            !["NoSchedule", "NoExecute"].contains(t.effect)
                || candidate.placement.tolerations.contains { $0.tolerates(t) }
        }
    }

    /// The node a daemon pod is for: where it is bound, or the node its affinity names.
    public static func targetNode(_ p: Pod) -> String? {
        if let n = p.nodeName { return n }
        let terms =
            p.placement.affinity?[
                path: ["nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]
            ]?.array ?? []
        for term in terms {
            for f in term["matchFields"]?.array ?? [] where f["key"]?.string == "metadata.name" {
                if let v = f["values"]?.array?.first?.string { return v }
            }
        }
        return nil
    }

    public enum Action: Equatable, Sendable {
        case create(node: String)
        case delete(pod: String)
    }

    /// One pod on every node that should run one, none elsewhere; then, rolling, old pods
    /// replaced while no more than `maxUnavailable` nodes lack an available daemon.
    public static func plan(_ ds: DaemonSet, nodes: [Node], pods: [Pod], revision: String) -> [Action] {
        var byNode: [String: [Pod]] = [:]
        for p in pods where !p.metadata.isDeleting {
            if let n = targetNode(p) { byNode[n, default: []].append(p) }
        }
        var actions: [Action] = []
        let eligible = Set(nodes.filter { shouldRun(ds, on: $0) }.map(\.name))
        for node in nodes.map(\.name).sorted() {
            let here = (byNode[node] ?? []).sorted {
                ($0.metadata.creationTimestamp ?? "") < ($1.metadata.creationTimestamp ?? "")
            }
            if eligible.contains(node) {
                if here.isEmpty { actions.append(.create(node: node)) }
                // A finished daemon pod is replaced; extras go, the oldest stays.
                actions += here.filter(\.isTerminal).map { .delete(pod: $0.name) }
                actions += here.filter { !$0.isTerminal }.dropFirst().map { .delete(pod: $0.name) }
            } else {
                actions += here.map { .delete(pod: $0.name) }
            }
        }
        // Pods for nodes that no longer exist.
        let known = Set(nodes.map(\.name))
        for (node, here) in byNode where !known.contains(node) { actions += here.map { .delete(pod: $0.name) } }
        guard !ds.onDelete else { return actions }
        let maxUnavailable = max(ds.maxUnavailable?.scaled(of: eligible.count, roundUp: false) ?? 1, 1)
        var unavailable = eligible.filter { n in !(byNode[n] ?? []).contains { $0.isReady && !$0.isTerminal } }.count
        for node in eligible.sorted() where unavailable < maxUnavailable {
            guard let old = (byNode[node] ?? []).first(where: { $0.labels[StatefulSets.revisionLabel] != revision }),
                !actions.contains(.delete(pod: old.name))
            else { continue }
            actions.append(.delete(pod: old.name))
            if old.isReady { unavailable += 1 }
        }
        return actions
    }

    public static func status(_ ds: DaemonSet, nodes: [Node], pods: [Pod], revision: String) -> JSON {
        let eligible = Set(nodes.filter { shouldRun(ds, on: $0) }.map(\.name))
        var scheduled: Set<String> = [], misscheduled: Set<String> = [], ready: Set<String> = [],
            updated: Set<String> = []
        for p in pods where !p.metadata.isDeleting && !p.isTerminal {
            guard let n = p.nodeName else { continue }
            if eligible.contains(n) { scheduled.insert(n) } else { misscheduled.insert(n) }
            if eligible.contains(n), p.isReady { ready.insert(n) }
            if eligible.contains(n), p.labels[StatefulSets.revisionLabel] == revision { updated.insert(n) }
        }
        return [
            "observedGeneration": JSON(ds.metadata.generation ?? 1),
            "desiredNumberScheduled": JSON(eligible.count), "currentNumberScheduled": JSON(scheduled.count),
            "numberMisscheduled": JSON(misscheduled.count), "numberReady": JSON(ready.count),
            "numberAvailable": JSON(ready.count), "numberUnavailable": JSON(eligible.count - ready.count),
            "updatedNumberScheduled": JSON(updated.count),
        ]
    }
}
