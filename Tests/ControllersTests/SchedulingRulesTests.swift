import KubeMachinery
import KubeModel
import Testing

@testable import Controllers

/// kube-scheduler's filters, scores and messages, on nodes and pods written as JSON.
@Suite struct SchedulingRulesTests {
    static func node(
        _ name: String,
        ready: Bool = true,
        cordoned: Bool = false,
        labels: [String: String] = [:],
        taints: [JSON] = [],
        cpu: String = "2",
        memory: String = "4Gi",
        pods: String = "110"
    ) -> Node {
        var l = labels
        l["kubernetes.io/hostname"] = name
        return Node([
            "metadata": ["name": .string(name), "labels": JSON(l)],
            "spec": ["unschedulable": .bool(cordoned), "taints": .array(taints)],
            "status": [
                "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]],
                "allocatable": ["cpu": .string(cpu), "memory": .string(memory), "pods": .string(pods)],
            ],
        ])
    }

    static func pod(
        _ name: String = "p",
        node: String? = nil,
        labels: [String: String] = [:],
        spec: String = "{}"
    )
        throws -> Pod
    {
        var s = try JSON.parse(spec)
        if s["containers"] == nil { s["containers"] = [["name": "c", "image": "i"]] }
        if let node { s["nodeName"] = .string(node) }
        return Pod([
            "metadata": ["name": .string(name), "namespace": "default", "labels": JSON(labels), "uid": .string(name)],
            "spec": s,
        ])
    }

    static func snapshot(_ nodes: [Node], _ pods: [Pod] = []) -> SchedulingRules.Snapshot {
        SchedulingRules.Snapshot(nodes: nodes, podsByNode: Dictionary(grouping: pods) { $0.nodeName ?? "" })
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let spec: String
        let node: Node
        let expected: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "plain pod fits", spec: "{}", node: node("a"), expected: []),
        Case(name: "cordoned", spec: "{}", node: node("a", cordoned: true), expected: ["node(s) were unschedulable"]),
        Case(
            name: "cordoned but tolerated",
            spec:
                #"{"tolerations":[{"key":"node.kubernetes.io/unschedulable","operator":"Exists","effect":"NoSchedule"}]}"#,
            node: node("a", cordoned: true),
            expected: []
        ),
        Case(
            name: "not ready",
            spec: "{}",
            node: node("a", ready: false),
            expected: ["node(s) had untolerated taint {node.kubernetes.io/not-ready: }"]
        ),
        Case(
            name: "tainted",
            spec: "{}",
            node: node("a", taints: [["key": "dedicated", "value": "gpu", "effect": "NoSchedule"]]),
            expected: ["node(s) had untolerated taint {dedicated: gpu}"]
        ),
        Case(
            name: "toleration with the value",
            spec: #"{"tolerations":[{"key":"dedicated","value":"gpu","effect":"NoSchedule"}]}"#,
            node: node("a", taints: [["key": "dedicated", "value": "gpu", "effect": "NoSchedule"]]),
            expected: []
        ),
        Case(
            name: "toleration with another value",
            spec: #"{"tolerations":[{"key":"dedicated","value":"db","effect":"NoSchedule"}]}"#,
            node: node("a", taints: [["key": "dedicated", "value": "gpu", "effect": "NoSchedule"]]),
            expected: ["node(s) had untolerated taint {dedicated: gpu}"]
        ),
        Case(
            name: "PreferNoSchedule never filters",
            spec: "{}",
            node: node("a", taints: [["key": "soft", "effect": "PreferNoSchedule"]]),
            expected: []
        ),
        Case(
            name: "tolerate everything",
            spec: #"{"tolerations":[{"operator":"Exists"}]}"#,
            node: node("a", taints: [["key": "x", "effect": "NoExecute"]]),
            expected: []
        ),
        Case(
            name: "node selector",
            spec: #"{"nodeSelector":{"disk":"ssd"}}"#,
            node: node("a", labels: ["disk": "hdd"]),
            expected: ["node(s) didn't match Pod's node affinity/selector"]
        ),
        Case(
            name: "required node affinity In",
            spec:
                #"{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["z1","z2"]}]}]}}}}"#,
            node: node("a", labels: ["zone": "z2"]),
            expected: []
        ),
        Case(
            name: "required node affinity NotIn and Gt",
            spec:
                #"{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"NotIn","values":["z2"]}]},{"matchExpressions":[{"key":"cores","operator":"Gt","values":["8"]}]}]}}}}"#,
            node: node("a", labels: ["zone": "z2", "cores": "4"]),
            expected: ["node(s) didn't match Pod's node affinity/selector"]
        ),
        Case(
            name: "matchFields on the name",
            spec:
                #"{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchFields":[{"key":"metadata.name","operator":"In","values":["a"]}]}]}}}}"#,
            node: node("a"),
            expected: []
        ),
        Case(
            name: "too much cpu",
            spec: #"{"containers":[{"name":"c","image":"i","resources":{"requests":{"cpu":"64"}}}]}"#,
            node: node("a"),
            expected: ["Insufficient cpu"]
        ),
        Case(
            name: "limits count as requests",
            spec: #"{"containers":[{"name":"c","image":"i","resources":{"limits":{"cpu":"3","memory":"8Gi"}}}]}"#,
            node: node("a"),
            expected: ["Insufficient cpu", "Insufficient memory"]
        ),
        Case(
            name: "an init container's larger request counts",
            spec: #"{"initContainers":[{"name":"i","image":"i","resources":{"requests":{"memory":"5Gi"}}}]}"#,
            node: node("a"),
            expected: ["Insufficient memory"]
        ),
        Case(name: "pods full", spec: "{}", node: node("a", pods: "0"), expected: ["Too many pods"]),
    ]

    @Test(arguments: cases) func filters(_ c: Case) throws {
        let pod = try Self.pod(spec: c.spec)
        #expect(SchedulingRules.unfit(pod, on: c.node, snapshot: Self.snapshot([c.node])) == c.expected)
    }

    @Test func requestsOfThePodsAlreadyThereCount() throws {
        let a = Self.node("a")
        let half = #"{"containers":[{"name":"c","image":"i","resources":{"requests":{"cpu":"1500m"}}}]}"#
        let running = try Self.pod("r", node: "a", spec: half)
        let pod = try Self.pod(spec: half)
        #expect(SchedulingRules.unfit(pod, on: a, snapshot: Self.snapshot([a], [running])) == ["Insufficient cpu"])
        let ports = #"{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80,"hostPort":8080}]}]}"#
        let holder = try Self.pod("h", node: "a", spec: ports)
        #expect(
            SchedulingRules.unfit(try Self.pod(spec: ports), on: a, snapshot: Self.snapshot([a], [holder]))
                == ["node(s) didn't have free ports for the requested pod ports"]
        )
    }

    @Test func podAntiAffinityKeepsReplicasApart() throws {
        let nodes = [Self.node("a"), Self.node("b")]
        let anti = #"""
            {"affinity":{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[
             {"labelSelector":{"matchLabels":{"app":"web"}},"topologyKey":"kubernetes.io/hostname"}]}}}
            """#
        let first = try Self.pod("web-1", node: "a", labels: ["app": "web"], spec: anti)
        let second = try Self.pod("web-2", labels: ["app": "web"], spec: anti)
        let snap = Self.snapshot(nodes, [first])
        #expect(
            SchedulingRules.unfit(second, on: nodes[0], snapshot: snap) == [
                "node(s) didn't match pod anti-affinity rules"
            ]
        )
        #expect(SchedulingRules.unfit(second, on: nodes[1], snapshot: snap) == [])
        // A pod without the rule is still kept off by the existing pod's own anti-affinity.
        let plain = try Self.pod("other", labels: ["app": "web"])
        #expect(
            SchedulingRules.unfit(plain, on: nodes[0], snapshot: snap)
                == ["node(s) didn't satisfy existing pods anti-affinity rules"]
        )
        // Affinity: with the cache pod, or anywhere when it is the first of its group.
        let withCache = #"""
            {"affinity":{"podAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[
             {"labelSelector":{"matchLabels":{"app":"cache"}},"topologyKey":"kubernetes.io/hostname"}]}}}
            """#
        let cache = try Self.pod("cache", node: "b", labels: ["app": "cache"])
        let follower = try Self.pod("f", spec: withCache)
        let snap2 = Self.snapshot(nodes, [cache])
        #expect(
            SchedulingRules.unfit(follower, on: nodes[0], snapshot: snap2) == [
                "node(s) didn't match pod affinity rules"
            ]
        )
        #expect(SchedulingRules.unfit(follower, on: nodes[1], snapshot: snap2) == [])
    }

    @Test func topologySpreadLimitsSkew() throws {
        let nodes = [Self.node("a"), Self.node("b")]
        let spread = #"""
            {"topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"kubernetes.io/hostname",
             "whenUnsatisfiable":"DoNotSchedule","labelSelector":{"matchLabels":{"app":"web"}}}]}
            """#
        let placed = try Self.pod("w1", node: "a", labels: ["app": "web"])
        let next = try Self.pod("w2", labels: ["app": "web"], spec: spread)
        let snap = Self.snapshot(nodes, [placed])
        #expect(
            SchedulingRules.unfit(next, on: nodes[0], snapshot: snap)
                == ["node(s) didn't match pod topology spread constraints"]
        )
        #expect(SchedulingRules.unfit(next, on: nodes[1], snapshot: snap) == [])
    }

    @Test func prefersAffinityThenFewerSoftTaintsThenFewerPods() throws {
        let a = Self.node("a", labels: ["disk": "ssd"])
        let b = Self.node("b")
        let c = Self.node("c", taints: [["key": "soft", "effect": "PreferNoSchedule"]])
        let busy = try Self.pod("x", node: "b")
        let plain = try Self.pod()
        #expect(SchedulingRules.best(plain, among: [b, c], snapshot: Self.snapshot([b, c])) == "b")
        #expect(SchedulingRules.best(plain, among: [a, b], snapshot: Self.snapshot([a, b], [busy])) == "a")
        let prefersSSD = try Self.pod(
            spec:
                #"{"affinity":{"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":10,"preference":{"matchExpressions":[{"key":"disk","operator":"In","values":["ssd"]}]}}]}}}"#
        )
        let busyA = try Self.pod("y", node: "a")
        #expect(SchedulingRules.best(prefersSSD, among: [a, b], snapshot: Self.snapshot([a, b], [busyA])) == "a")
        #expect(SchedulingRules.best(plain, among: [], snapshot: Self.snapshot([])) == nil)
    }

    @Test func theFailedSchedulingMessageIsUpstreams() {
        #expect(
            SchedulingRules.unschedulableMessage(
                nodeCount: 3,
                reasons: ["Insufficient cpu": 2, "node(s) had untolerated taint {dedicated: gpu}": 1]
            )
                == "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. "
                + "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        )
        #expect(
            SchedulingRules.unschedulableMessage(nodeCount: 0, reasons: [:]) == "no nodes available to schedule pods"
        )
    }
}
