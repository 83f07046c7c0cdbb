import KubeMachinery
import KubeModel

/// kube-scheduler's filters and scores, as pure functions: whether a pod fits a node (and
/// upstream's words when it does not), and which fitting node it prefers.
public enum SchedulingRules {
    static let notReadyTaint = Node.Taint(key: "node.kubernetes.io/not-ready", effect: "NoSchedule")
    static let unschedulableKey = "node.kubernetes.io/unschedulable"

    /// The taints a node is scheduled against: its own, and `not-ready` while it is not
    /// Ready (which the node lifecycle controller adds upstream).
    static func taints(of node: Node) -> [Node.Taint] {
        var taints = node.taints
        if !node.isReady, !taints.contains(where: { $0.key == notReadyTaint.key }) { taints.append(notReadyTaint) }
        return taints
    }

    /// What the cluster looks like to one scheduling decision.
    public struct Snapshot: Sendable {
        public var nodes: [Node]
        /// Active pods by node name, including those bound a moment ago.
        public var podsByNode: [String: [Pod]]

        public init(nodes: [Node], podsByNode: [String: [Pod]]) {
            self.nodes = nodes
            self.podsByNode = podsByNode
        }

        func node(named name: String) -> Node? { nodes.first { $0.name == name } }
    }

    /// Why `pod` cannot run on `node`: upstream's reasons of the first filter that fails
    /// (empty: it fits). `volumeNodes`: where its volumes allow it (nil: anywhere).
    public static func unfit(
        _ pod: Pod,
        on node: Node,
        snapshot: Snapshot,
        volumeNodes: Set<String>? = nil
    ) -> [String] {
        let p = pod.placement
        if node.unschedulable,
            !p.tolerations.contains(where: {
                $0.tolerates(Node.Taint(key: unschedulableKey, effect: "NoSchedule"))
            })
        {
            return ["node(s) were unschedulable"]
        }
        if let taint = taints(of: node).first(where: { t in
            ["NoSchedule", "NoExecute"].contains(t.effect) && !p.tolerations.contains { $0.tolerates(t) }
        }) {
            return ["node(s) had untolerated taint {\(taint.key): \(taint.value ?? "")}"]
        }
        if !matchesNodeSelectorAndAffinity(pod, node) { return ["node(s) didn't match Pod's node affinity/selector"] }
        let here = snapshot.podsByNode[node.name] ?? []
        if !p.hostPorts.isEmpty {
            let used = Set(here.flatMap(\.placement.hostPorts))
            if p.hostPorts.contains(where: used.contains) {
                return ["node(s) didn't have free ports for the requested pod ports"]
            }
        }
        var insufficient: [String] = []
        if here.count + 1 > node.allocatable.pods { insufficient.append("Too many pods") }
        let cpu = here.reduce(Int64(0)) { $0 + $1.placement.cpuMillis }
        if p.cpuMillis > 0, p.cpuMillis > node.allocatable.cpuMillis - cpu { insufficient.append("Insufficient cpu") }
        let memory = here.reduce(Int64(0)) { $0 + $1.placement.memoryBytes }
        if p.memoryBytes > 0, p.memoryBytes > node.allocatable.memoryBytes - memory {
            insufficient.append("Insufficient memory")
        }
        if !insufficient.isEmpty { return insufficient }
        if let volumeNodes, !volumeNodes.contains(node.name) { return ["node(s) had volume node affinity conflict"] }
        if !fitsTopologySpread(pod, node, snapshot) {
            return ["node(s) didn't match pod topology spread constraints"]
        }
        if let reason = interPodAffinityProblem(pod, node, snapshot) { return [reason] }
        return []
    }

    /// `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node
    /// affinity/selector. preemption: …`, as kube-scheduler words a FailedScheduling event.
    public static func unschedulableMessage(nodeCount: Int, reasons: [String: Int]) -> String {
        guard nodeCount > 0 else { return "no nodes available to schedule pods" }
        let parts = reasons.map { "\($0.value) \($0.key)" }.sorted()
        return "0/\(nodeCount) nodes are available: \(parts.joined(separator: ", ")). "
            + "preemption: 0/\(nodeCount) nodes are available: \(nodeCount) Preemption is not helpful for scheduling."
    }

    /// Among the nodes a pod fits, the one it prefers: the highest preferred node affinity,
    /// fewest `PreferNoSchedule` taints it does not tolerate, then the fewest pods (spread).
    public static func best(_ pod: Pod, among nodes: [Node], snapshot: Snapshot) -> String? {
        func score(_ n: Node) -> (Int, Int, Int) {
            let affinity = preferredAffinityWeight(pod, n)
            let soft =
                taints(of: n).filter { t in
                    t.effect == "PreferNoSchedule" && !pod.placement.tolerations.contains { $0.tolerates(t) }
                }
                .count
            return (affinity, -soft, -(snapshot.podsByNode[n.name]?.count ?? 0))
        }
        return nodes.sorted { $0.name < $1.name }.max { a, b in score(a) < score(b) }?.name
    }

    // MARK: Node affinity

    static func matchesNodeSelectorAndAffinity(_ pod: Pod, _ node: Node) -> Bool {
        let labels = node.metadata.labels
        for (k, v) in pod.placement.nodeSelector where labels[k] != v { return false }
        guard
            let required = pod.placement.affinity?[
                path: ["nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]
            ]?.array
        else { return true }
        // Terms are ORed; an empty list matches nothing.
        return required.contains { matches(term: $0, node) }
    }

    static func preferredAffinityWeight(_ pod: Pod, _ node: Node) -> Int {
        let preferred =
            pod.placement.affinity?[path: ["nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution"]]?.array
            ?? []
        return preferred.reduce(0) { sum, p in
            guard let term = p["preference"], matches(term: term, node) else { return sum }
            return sum + (p["weight"]?.intValue ?? 0)
        }
    }

    /// A node selector term: its expressions (on labels) and fields (`metadata.name`) are
    /// ANDed; a term with neither matches nothing.
    static func matches(term: JSON, _ node: Node) -> Bool {
        let expressions = term["matchExpressions"]?.array ?? []
        let fields = term["matchFields"]?.array ?? []
        if expressions.isEmpty, fields.isEmpty { return false }
        return expressions.allSatisfy { requirement($0, node.metadata.labels) }
            && fields.allSatisfy { f in
                f["key"]?.string == "metadata.name" && requirement(f, ["metadata.name": node.name])
            }
    }

    static func requirement(_ r: JSON, _ labels: [String: String]) -> Bool {
        let key = r["key"]?.string ?? ""
        let values = (r["values"]?.array ?? []).compactMap(\.string)
        let value = labels[key]
        switch r["operator"]?.string ?? "" {
        case "In": return value.map(values.contains) ?? false
        case "NotIn": return value.map { !values.contains($0) } ?? true
        case "Exists": return value != nil
        case "DoesNotExist": return value == nil
        case "Gt", "Lt":
            guard let v = value.flatMap({ Int64($0) }), values.count == 1, let bound = Int64(values[0]) else {
                return false
            }
            return r["operator"]?.string == "Gt" ? v > bound : v < bound
        default: return false
        }
    }

    // MARK: Pod affinity and topology spread

    static func podMatches(_ term: JSON, _ candidate: Pod, ownerNamespace: String) -> Bool {
        let namespaces = (term["namespaces"]?.array ?? []).compactMap(\.string)
        if term["namespaceSelector"] == nil || term["namespaceSelector"] == .null {
            guard (namespaces.isEmpty ? [ownerNamespace] : namespaces).contains(candidate.namespace) else {
                return false
            }
        }
        guard let selector = try? LabelSelector(structured: term["labelSelector"]), term["labelSelector"] != nil,
            term["labelSelector"] != .null
        else { return false }
        return selector.matches(candidate.labels)
    }

    /// The required pod affinity and anti-affinity of the pod, and the anti-affinity of the
    /// pods already there towards it.
    static func interPodAffinityProblem(_ pod: Pod, _ node: Node, _ snapshot: Snapshot) -> String? {
        func domain(_ n: Node, _ key: String) -> String? { n.metadata.labels[key] }
        func pods(inDomainOf key: String) -> [Pod] {
            guard let value = domain(node, key) else { return [] }
            return snapshot.nodes.filter { domain($0, key) == value }.flatMap { snapshot.podsByNode[$0.name] ?? [] }
        }
        let required = "requiredDuringSchedulingIgnoredDuringExecution"
        let affinityTerms = pod.placement.affinity?[path: ["podAffinity", required]]?.array ?? []
        for term in affinityTerms {
            let key = term["topologyKey"]?.string ?? ""
            let inDomain = pods(inDomainOf: key).contains { podMatches(term, $0, ownerNamespace: pod.namespace) }
            if inDomain { continue }
            // The first pod of a group that selects itself may go anywhere (upstream's rule).
            let anywhere = snapshot.podsByNode.values.joined().contains {
                podMatches(term, $0, ownerNamespace: pod.namespace)
            }
            if !anywhere, podMatches(term, pod, ownerNamespace: pod.namespace), domain(node, key) != nil { continue }
            return "node(s) didn't match pod affinity rules"
        }
        for term in pod.placement.affinity?[path: ["podAntiAffinity", required]]?.array ?? [] {
            let key = term["topologyKey"]?.string ?? ""
            if pods(inDomainOf: key).contains(where: { podMatches(term, $0, ownerNamespace: pod.namespace) }) {
                return "node(s) didn't match pod anti-affinity rules"
            }
        }
        for existing in snapshot.nodes.flatMap({ snapshot.podsByNode[$0.name] ?? [] }) {
            for term in existing.placement.affinity?[path: ["podAntiAffinity", required]]?.array ?? [] {
                let key = term["topologyKey"]?.string ?? ""
                guard let host = existing.nodeName, let hostNode = snapshot.node(named: host),
                    let value = domain(hostNode, key), domain(node, key) == value
                else { continue }
                if podMatches(term, pod, ownerNamespace: existing.namespace) {
                    return "node(s) didn't satisfy existing pods anti-affinity rules"
                }
            }
        }
        return nil
    }

    /// `topologySpreadConstraints` with `whenUnsatisfiable: DoNotSchedule`: placing the pod
    /// here may not make its domain exceed the emptiest one by more than `maxSkew`.
    static func fitsTopologySpread(_ pod: Pod, _ node: Node, _ snapshot: Snapshot) -> Bool {
        for c in pod.placement.topologySpread
        where (c["whenUnsatisfiable"]?.string ?? "DoNotSchedule") == "DoNotSchedule" {
            let key = c["topologyKey"]?.string ?? ""
            let maxSkew = c["maxSkew"]?.intValue ?? 1
            guard let selector = try? LabelSelector(structured: c["labelSelector"]),
                let mine = node.metadata.labels[key]
            else { continue }
            var counts: [String: Int] = [:]
            for n in snapshot.nodes where matchesNodeSelectorAndAffinity(pod, n) {
                guard let value = n.metadata.labels[key] else { continue }
                let matching = (snapshot.podsByNode[n.name] ?? []).filter {
                    $0.namespace == pod.namespace && selector.matches($0.labels)
                }
                counts[value, default: 0] += matching.count
            }
            let minimum = counts.values.min() ?? 0
            if (counts[mine] ?? 0) + 1 - minimum > maxSkew { return false }
        }
        return true
    }
}
