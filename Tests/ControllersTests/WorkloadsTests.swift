import KubeModel
import Testing

@testable import Controllers
@testable import KubeAPI
@testable import KubeMachinery

@Suite struct WorkloadsTests {
    @Test(
        arguments: [
            // replicas, surge, unavailable, new (cur, ready), old (cur, ready) → new target, old target
            (3, 1, 0, (0, 0), (3, 3), 1, 3),  // start: surge one new pod, keep all old
            (3, 1, 0, (1, 1), (3, 3), 1, 2),  // one new ready: one old may go
            (3, 1, 0, (1, 1), (2, 2), 2, 2),  // room again: another new pod
            (3, 0, 1, (0, 0), (3, 3), 0, 2),  // no surge: remove one old first
            (3, 1, 0, (3, 3), (0, 0), 3, 0),  // done
            (3, 1, 0, (1, 0), (3, 2), 1, 2),  // an unready old pod goes at no cost
        ] as [(Int, Int, Int, (Int, Int), (Int, Int), Int, Int)]
    )
    func rollingUpdateSteps(
        replicas: Int,
        surge: Int,
        unavailable: Int,
        new: (Int, Int),
        old: (Int, Int),
        wantNew: Int,
        wantOld: Int
    ) {
        let step = Workloads.rollingStep(
            replicas: replicas,
            maxSurge: surge,
            maxUnavailable: unavailable,
            newRS: (new.0, new.1),
            old: [("old", old.0, old.1)]
        )
        #expect(step.new == wantNew)
        #expect(step.old["old"] == wantOld)
    }

    @Test func percentagesRoundAsKubernetesDoes() {
        #expect(Workloads.scaledValue("25%", replicas: 10, roundUp: true, default: 0) == 3)
        #expect(Workloads.scaledValue("25%", replicas: 10, roundUp: false, default: 0) == 2)
        #expect(Workloads.scaledValue(2, replicas: 10, roundUp: true, default: 0) == 2)
        #expect(Workloads.scaledValue(nil, replicas: 10, roundUp: true, default: 1) == 1)
    }

    @Test func schedulerSpreadsOverReadySchedulableNodes() {
        func node(_ n: String, ready: Bool = true, cordoned: Bool = false) -> Node {
            Node([
                "metadata": ["name": .string(n)], "spec": ["unschedulable": .bool(cordoned)],
                "status": ["conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]]],
            ])
        }
        let nodes = [node("a"), node("b"), node("c", ready: false), node("d", cordoned: true)]
        #expect(Workloads.chooseNode(nodes: nodes, podCounts: ["a": 2, "b": 1]) == "b")
        #expect(Workloads.chooseNode(nodes: nodes, podCounts: [:]) == "a")
        #expect(Workloads.chooseNode(nodes: [node("c", ready: false)], podCounts: [:]) == nil)
    }

    @Test func templateHashIsStableAndIgnoresKeyOrderAndItsOwnLabel() throws {
        let a = try JSON.parse(#"{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"c","image":"i"}]}}"#)
        let b = try JSON.parse(
            #"{"spec":{"containers":[{"image":"i","name":"c"}]},"metadata":{"labels":{"app":"x","pod-template-hash":"zzz"}}}"#
        )
        #expect(Workloads.templateHash(a) == Workloads.templateHash(b))
        var c = a
        c[path: ["spec", "containers"]] = [["name": "c", "image": "j"]]
        #expect(Workloads.templateHash(a) != Workloads.templateHash(c))
    }

    @Test func scaleDownOrder() {
        func p(_ n: String, node: String, phase: String, ready: Bool) -> JSON {
            [
                "metadata": ["name": .string(n), "creationTimestamp": "2026-01-01T00:00:00Z"],
                "spec": ["nodeName": .string(node)],
                "status": [
                    "phase": .string(phase),
                    "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]],
                ],
            ]
        }
        let order = Workloads.deletionOrder([
            p("running-ready", node: "n", phase: "Running", ready: true),
            p("unscheduled", node: "", phase: "Pending", ready: false),
            p("running-unready", node: "n", phase: "Running", ready: false),
            p("pending", node: "n", phase: "Pending", ready: false),
        ])
        #expect(order.map(\.name) == ["unscheduled", "pending", "running-unready", "running-ready"])
    }

    @Test func revisionHistoryKeepsTheNewestIdleReplicaSets() {
        func rs(_ name: String, revision: Int, replicas: Int = 0, pods: Int = 0) -> JSON {
            [
                "metadata": [
                    "name": .string(name),
                    "annotations": ["deployment.kubernetes.io/revision": .string(String(revision))],
                ],
                "spec": ["replicas": JSON(replicas)], "status": ["replicas": JSON(pods)],
            ]
        }
        let old = [
            rs("r3", revision: 3), rs("r1", revision: 1), rs("r10", revision: 10), rs("r2", revision: 2),
            rs("scaling-down", revision: 4, replicas: 0, pods: 2), rs("busy", revision: 5, replicas: 1, pods: 1),
        ]
        #expect(Workloads.historyToPrune(old: old, limit: 2) == ["r1", "r2"])  // by revision, not by name
        #expect(Workloads.historyToPrune(old: old, limit: 0) == ["r1", "r2", "r3", "r10"])
        #expect(Workloads.historyToPrune(old: old, limit: 10).isEmpty)
    }

    @Test func nullMembersDoNotChangeTheTemplateHash() {
        let t: JSON = [
            "metadata": ["labels": ["app": "kiada"]], "spec": ["containers": [["name": "a", "image": "agnhost"]]],
        ]
        var undone = t
        undone[path: ["metadata", "creationTimestamp"]] = .null
        #expect(Workloads.templateHash(t) == Workloads.templateHash(undone))
        var changed = t
        changed[path: ["metadata", "labels", "app"]] = "quiz"
        #expect(Workloads.templateHash(t) != Workloads.templateHash(changed))
    }

    @Test func progressDeadline() {
        let t0 = Timestamp(seconds: 1_000_000)
        func prev(_ reason: String, at t: Timestamp) -> JSON {
            [
                "type": "Progressing", "status": reason == "ProgressDeadlineExceeded" ? "False" : "True",
                "reason": .string(reason),
                "lastUpdateTime": .string(t.rfc3339),
            ]
        }
        func p(
            _ complete: Bool,
            _ moved: Bool,
            _ previous: JSON?,
            at seconds: Int64,
            deadline: Int? = 600
        ) -> (Bool, String, Int64) {
            let r = Workloads.progressing(
                complete: complete,
                moved: moved,
                previous: previous,
                deadlineSeconds: deadline,
                now: t0.adding(seconds: seconds),
                replicaSet: "rs"
            )
            return (r.status, r.reason, r.lastUpdate.seconds - t0.seconds)
        }
        #expect(p(false, true, nil, at: 0) == (true, "ReplicaSetUpdated", 0))
        // Stuck, in time.
        #expect(p(false, false, prev("ReplicaSetUpdated", at: t0), at: 599) == (true, "ReplicaSetUpdated", 0))
        #expect(p(false, false, prev("ReplicaSetUpdated", at: t0), at: 601) == (false, "ProgressDeadlineExceeded", 601))
        // It moved.
        #expect(p(false, true, prev("ReplicaSetUpdated", at: t0), at: 601) == (true, "ReplicaSetUpdated", 601))
        #expect(
            p(false, false, prev("ProgressDeadlineExceeded", at: t0), at: 900) == (false, "ProgressDeadlineExceeded", 0)
        )
        #expect(p(false, true, prev("ProgressDeadlineExceeded", at: t0), at: 900) == (true, "ReplicaSetUpdated", 900))
        #expect(p(true, false, prev("ProgressDeadlineExceeded", at: t0), at: 900).1 == "NewReplicaSetAvailable")
        #expect(p(false, false, prev("ReplicaSetUpdated", at: t0), at: 10_000, deadline: nil).1 == "ReplicaSetUpdated")
    }
}
