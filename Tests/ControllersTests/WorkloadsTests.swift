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
        #expect(Workloads.scaledValue(.string("25%"), replicas: 10, roundUp: true, default: 0) == 3)
        #expect(Workloads.scaledValue(.string("25%"), replicas: 10, roundUp: false, default: 0) == 2)
        #expect(Workloads.scaledValue(.int(2), replicas: 10, roundUp: true, default: 0) == 2)
        #expect(Workloads.scaledValue(nil, replicas: 10, roundUp: true, default: 1) == 1)
        // Unreadable or absurd percentages fall back instead of trapping.
        #expect(Workloads.scaledValue(.string("x%"), replicas: 10, roundUp: true, default: 1) == 1)
        #expect(Workloads.scaledValue(.string("1e300%"), replicas: 10, roundUp: true, default: 1) == 1)
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
        func p(_ n: String, node: String, phase: String, ready: Bool) -> Pod {
            Pod([
                "metadata": ["name": .string(n), "creationTimestamp": "2026-01-01T00:00:00Z"],
                "spec": ["nodeName": .string(node)],
                "status": [
                    "phase": .string(phase),
                    "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]],
                ],
            ])
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
        func rs(_ name: String, revision: Int, replicas: Int = 0, pods: Int = 0) -> ReplicaSet {
            ReplicaSet([
                "metadata": [
                    "name": .string(name),
                    "annotations": ["deployment.kubernetes.io/revision": .string(String(revision))],
                ],
                "spec": ["replicas": JSON(replicas)], "status": ["replicas": JSON(pods)],
            ])
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
        func prev(_ reason: String, at t: Timestamp) -> Condition {
            Condition(
                type: "Progressing",
                status: reason == "ProgressDeadlineExceeded" ? "False" : "True",
                reason: reason,
                lastUpdateTime: t.rfc3339
            )
        }
        func p(
            _ complete: Bool,
            _ moved: Bool,
            _ previous: Condition?,
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

    /// One row: the Deployment (replicas, maxUnavailable, its last status), its ReplicaSets'
    /// status, and the status the controller must write.
    struct StatusCase: Sendable, CustomTestStringConvertible {
        var name: String
        var replicas = 3
        var maxUnavailable: IntOrString? = .string("25%")
        /// (replicas, ready, available) of the new ReplicaSet and of one old one (nil: none).
        var new: (Int, Int, Int)
        var old: (Int, Int, Int)? = nil
        /// The status last written, seconds before now that Progressing last moved.
        var last: (counts: [Int], progressing: String, movedAgo: Int64)? = nil
        var want: (counts: [Int], unavailable: Int, available: String, progressing: String, progressingStatus: String)
        var wantRecheck: Duration?
        var testDescription: String { name }
    }

    static let statusCases: [StatusCase] = [
        StatusCase(
            name: "mid-rollout: old pods keep it available",
            new: (1, 0, 0),
            old: (3, 3, 3),
            want: ([4, 1, 3, 3], 1, "MinimumReplicasAvailable", "ReplicaSetUpdated", "True"),
            wantRecheck: .seconds(600) + .milliseconds(500)
        ),
        StatusCase(
            name: "complete",
            new: (3, 3, 3),
            want: ([3, 3, 3, 3], 0, "MinimumReplicasAvailable", "NewReplicaSetAvailable", "True")
        ),
        StatusCase(
            name: "too few available with no unavailability allowed",
            maxUnavailable: .int(0),
            new: (3, 1, 1),
            want: ([3, 3, 1, 1], 2, "MinimumReplicasUnavailable", "ReplicaSetUpdated", "True"),
            wantRecheck: .seconds(600) + .milliseconds(500)
        ),
        StatusCase(
            name: "stuck past the deadline",
            new: (3, 1, 1),
            last: ([3, 3, 1, 1], "ReplicaSetUpdated", 601),
            want: ([3, 3, 1, 1], 2, "MinimumReplicasUnavailable", "ProgressDeadlineExceeded", "False")
        ),
        StatusCase(
            name: "stuck within the deadline: look again when it passes",
            new: (3, 1, 1),
            last: ([3, 3, 1, 1], "ReplicaSetUpdated", 100),
            want: ([3, 3, 1, 1], 2, "MinimumReplicasUnavailable", "ReplicaSetUpdated", "True"),
            wantRecheck: .seconds(500) + .milliseconds(500)
        ),
    ]

    @Test(arguments: statusCases) func deploymentStatusFromItsReplicaSets(_ c: StatusCase) {
        let now = Timestamp(seconds: 2_000_000)
        var spec: JSON = ["replicas": JSON(c.replicas), "progressDeadlineSeconds": 600]
        if let u = c.maxUnavailable { spec[path: ["strategy", "rollingUpdate", "maxUnavailable"]] = u.json }
        var d = Deployment(["metadata": ["name": "web", "namespace": "ns", "generation": 2], "spec": spec])
        if let last = c.last {
            let moved = now.adding(seconds: -last.movedAgo).rfc3339
            d.status = Deployment.Status(
                observedGeneration: 2,
                replicas: last.counts[0],
                updatedReplicas: last.counts[1],
                readyReplicas: last.counts[2],
                availableReplicas: last.counts[3],
                conditions: [
                    Condition(type: "Progressing", status: "True", reason: last.progressing, lastUpdateTime: moved)
                ]
            )
        }
        func rs(_ name: String, _ counts: (Int, Int, Int)) -> ReplicaSet {
            var r = ReplicaSet(["metadata": ["name": .string(name), "namespace": "ns"]])
            r.replicas = counts.0
            r.status = ReplicaSet.Status(
                replicas: counts.0,
                readyReplicas: counts.1,
                availableReplicas: counts.2
            )
            return r
        }
        let plan = Workloads.deploymentStatus(
            d,
            newRS: rs("web-new", c.new),
            old: c.old.map { [rs("web-old", $0)] } ?? [],
            now: now
        )
        let st = plan.status
        #expect([st.replicas, st.updatedReplicas, st.readyReplicas, st.availableReplicas] == c.want.counts)
        #expect(st.unavailableReplicas == c.want.unavailable)
        #expect(st.observedGeneration == 2)
        #expect(st.conditions.map(\.type) == ["Available", "Progressing"])
        #expect(st.conditions["Available"]?.reason == c.want.available)
        #expect(st.conditions["Progressing"]?.reason == c.want.progressing)
        #expect(st.conditions["Progressing"]?.status == c.want.progressingStatus)
        #expect(st.conditions["Progressing"]?.message?.contains("\"web-new\"") == true)
        #expect(plan.recheckAfter == c.wantRecheck)
    }

    @Test func deploymentConditionTimesMoveOnlyWithTheCondition() {
        let t0 = Timestamp(seconds: 2_000_000)
        let d = Deployment(["metadata": ["name": "web", "generation": 1], "spec": ["replicas": 1]])
        var rs = ReplicaSet(["metadata": ["name": "web-1"]])
        rs.status = ReplicaSet.Status(replicas: 1, readyReplicas: 1, availableReplicas: 1)
        var first = d
        first.status = Workloads.deploymentStatus(d, newRS: rs, old: [], now: t0).status
        let again = Workloads.deploymentStatus(first, newRS: rs, old: [], now: t0.adding(seconds: 30)).status
        #expect(again.conditions["Available"]?.lastTransitionTime == t0.rfc3339)
        #expect(again.sameIgnoringTimes(first.status))
        // The pod goes unready: Available flips, and its times move.
        rs.status.availableReplicas = 0
        rs.status.readyReplicas = 0
        let later = t0.adding(seconds: 60)
        let flipped = Workloads.deploymentStatus(first, newRS: rs, old: [], now: later).status
        #expect(flipped.conditions["Available"]?.isTrue == false)
        #expect(flipped.conditions["Available"]?.lastTransitionTime == later.rfc3339)
        #expect(!flipped.sameIgnoringTimes(first.status))
        #expect(flipped.json["unavailableReplicas"] == 1)
        #expect(first.status.json["unavailableReplicas"] == nil)
    }
}
