import KubeMachinery
import KubeModel
import Testing

@testable import Controllers

/// The DaemonSet controller's choice of nodes, its pods and its rolling replacement.
@Suite struct DaemonSetsTests {
    static let ds = DaemonSet([
        "metadata": ["name": "agent", "namespace": "default", "uid": "d1", "generation": 2],
        "spec": [
            "template": [
                "metadata": ["labels": ["app": "agent"]],
                "spec": ["nodeSelector": ["role": "worker"], "containers": [["name": "c", "image": "i"]]],
            ],
            "updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1]],
        ],
    ])

    static func node(_ name: String, role: String = "worker", taints: [JSON] = [], ready: Bool = true) -> Node {
        Node([
            "metadata": ["name": .string(name), "labels": ["role": .string(role)]],
            "spec": ["taints": .array(taints)],
            "status": ["conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]]],
        ])
    }

    static func pod(_ name: String, node: String, revision: String, ready: Bool = true) -> Pod {
        Pod([
            "metadata": [
                "name": .string(name), "namespace": "default",
                "labels": ["controller-revision-hash": .string(revision)],
            ],
            "spec": ["nodeName": .string(node)],
            "status": [
                "phase": "Running", "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]],
            ],
        ])
    }

    typealias A = DaemonSets.Action

    @Test func runsOnEveryMatchingNodeThatItTolerates() {
        let nodes = [
            Self.node("a"), Self.node("b", role: "db"),
            Self.node("c", taints: [["key": "dedicated", "value": "x", "effect": "NoSchedule"]]),
            Self.node("d", ready: false),
            Self.node("e", taints: [["key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"]]),
        ]
        #expect(nodes.filter { DaemonSets.shouldRun(Self.ds, on: $0) }.map(\.name) == ["a", "d", "e"])
        #expect(
            DaemonSets.plan(Self.ds, nodes: nodes, pods: [Self.pod("agent-x", node: "b", revision: "r")], revision: "r")
                == [A.create(node: "a"), A.delete(pod: "agent-x"), A.create(node: "d"), A.create(node: "e")]
        )
    }

    @Test func itsPodIsPinnedByNameAndToleratesWhatUpstreamsDo() {
        let pod = DaemonSets.pod(Self.ds, node: "a", revision: "r1")
        let terms = pod[path: [
            "spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms",
        ]]
        #expect(terms == [["matchFields": [["key": "metadata.name", "operator": "In", "values": ["a"]]]]])
        let keys = (pod[path: ["spec", "tolerations"]]?.array ?? []).compactMap { $0["key"]?.string }
        #expect(keys.contains("node.kubernetes.io/not-ready") && keys.contains("node.kubernetes.io/unschedulable"))
        #expect(DaemonSets.targetNode(Pod(pod)) == "a")
        #expect(pod[path: ["metadata", "labels", "controller-revision-hash"]] == "r1")
    }

    @Test func rollsOneNodeAtATime() {
        let nodes = [Self.node("a"), Self.node("b")]
        let old = [Self.pod("p1", node: "a", revision: "old"), Self.pod("p2", node: "b", revision: "old")]
        #expect(DaemonSets.plan(Self.ds, nodes: nodes, pods: old, revision: "new") == [A.delete(pod: "p1")])
        // One node without an available daemon: wait.
        let midway = [
            Self.pod("p3", node: "a", revision: "new", ready: false), Self.pod("p2", node: "b", revision: "old"),
        ]
        #expect(DaemonSets.plan(Self.ds, nodes: nodes, pods: midway, revision: "new") == [])
        let status = DaemonSets.status(Self.ds, nodes: nodes, pods: midway, revision: "new")
        #expect(
            status["desiredNumberScheduled"] == 2 && status["numberReady"] == 1 && status["updatedNumberScheduled"] == 1
        )
        #expect(status["observedGeneration"] == 2)
    }
}
