import KubeMachinery
import KubeModel
import Testing

@testable import Controllers

/// The StatefulSet controller's order of work, names, claims and status.
@Suite struct StatefulSetsTests {
    static func set(replicas: Int, parallel: Bool = false, partition: Int = 0, onDelete: Bool = false) -> StatefulSet {
        StatefulSet([
            "metadata": ["name": "web", "namespace": "default", "uid": "u1", "generation": 3],
            "spec": [
                "replicas": JSON(replicas), "serviceName": "web",
                "podManagementPolicy": .string(parallel ? "Parallel" : "OrderedReady"),
                "updateStrategy": [
                    "type": .string(onDelete ? "OnDelete" : "RollingUpdate"),
                    "rollingUpdate": ["partition": JSON(partition)],
                ],
                "selector": ["matchLabels": ["app": "web"]],
                "template": [
                    "metadata": ["labels": ["app": "web"]],
                    "spec": [
                        "containers": [["name": "c", "image": "i"]],
                        "volumes": [["name": "data", "emptyDir": [:]]],
                    ],
                ],
                "volumeClaimTemplates": [["metadata": ["name": "data"], "spec": ["accessModes": ["ReadWriteOnce"]]]],
            ],
        ])
    }

    static func pod(
        _ ordinal: Int,
        ready: Bool = true,
        revision: String = "rev",
        deleting: Bool = false,
        phase: String = "Running"
    )
        -> Pod
    {
        var meta: JSON = [
            "name": .string("web-\(ordinal)"), "namespace": "default",
            "labels": ["app": "web", StatefulSets.revisionLabel: .string(revision)],
        ]
        if deleting { meta["deletionTimestamp"] = "2026-01-01T00:00:00Z" }
        return Pod([
            "metadata": meta, "spec": ["nodeName": "n1"],
            "status": [
                "phase": .string(phase),
                "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]],
            ],
        ])
    }

    typealias A = StatefulSets.Action

    @Test func orderedReadyStartsOneAtATimeAndParallelAllAtOnce() {
        #expect(StatefulSets.plan(Self.set(replicas: 3), pods: [], revision: "rev") == [A.create(ordinal: 0)])
        #expect(StatefulSets.plan(Self.set(replicas: 3), pods: [Self.pod(0, ready: false)], revision: "rev") == [])
        #expect(
            StatefulSets.plan(Self.set(replicas: 3), pods: [Self.pod(0)], revision: "rev") == [A.create(ordinal: 1)]
        )
        #expect(
            StatefulSets.plan(Self.set(replicas: 3, parallel: true), pods: [Self.pod(1)], revision: "rev")
                == [A.create(ordinal: 0), A.create(ordinal: 2)]
        )
    }

    @Test func scaleDownRemovesTheHighestOrdinalFirst() {
        let pods = (0..<4).map { Self.pod($0) }
        #expect(StatefulSets.plan(Self.set(replicas: 2), pods: pods, revision: "rev") == [A.delete(pod: "web-3")])
        let stopping = [Self.pod(0), Self.pod(1), Self.pod(2), Self.pod(3, deleting: true)]
        #expect(StatefulSets.plan(Self.set(replicas: 2), pods: stopping, revision: "rev") == [])
        #expect(
            StatefulSets.plan(Self.set(replicas: 2, parallel: true), pods: pods, revision: "rev")
                == [A.delete(pod: "web-3"), A.delete(pod: "web-2")]
        )
    }

    @Test func rollingUpdateGoesDownToThePartitionOnePodAtATime() {
        let old = (0..<3).map { Self.pod($0, revision: "old") }
        #expect(StatefulSets.plan(Self.set(replicas: 3), pods: old, revision: "new") == [A.delete(pod: "web-2")])
        let half = [Self.pod(0, revision: "old"), Self.pod(1, revision: "old"), Self.pod(2, revision: "new")]
        #expect(StatefulSets.plan(Self.set(replicas: 3), pods: half, revision: "new") == [A.delete(pod: "web-1")])
        #expect(StatefulSets.plan(Self.set(replicas: 3, partition: 2), pods: half, revision: "new") == [])
        #expect(StatefulSets.plan(Self.set(replicas: 3, onDelete: true), pods: old, revision: "new") == [])
        // An unready pod holds the update.
        let unready = [
            Self.pod(0, revision: "old"), Self.pod(1, ready: false, revision: "old"), Self.pod(2, revision: "new"),
        ]
        #expect(StatefulSets.plan(Self.set(replicas: 3), pods: unready, revision: "new") == [])
    }

    @Test func aFinishedPodIsReplaced() {
        let pods = [Self.pod(0), Self.pod(1, ready: false, phase: "Failed")]
        #expect(StatefulSets.plan(Self.set(replicas: 2), pods: pods, revision: "rev") == [A.delete(pod: "web-1")])
    }

    @Test func podsHaveStableNamesHostnamesAndTheirOwnClaims() {
        let sts = Self.set(replicas: 3)
        let pod = StatefulSets.pod(sts, ordinal: 2, revision: "web-abc")
        #expect(pod.name == "web-2")
        #expect(pod[path: ["spec", "hostname"]] == "web-2")
        #expect(pod[path: ["spec", "subdomain"]] == "web")
        #expect(pod[path: ["metadata", "labels", StatefulSets.podNameLabel]] == "web-2")
        #expect(pod[path: ["metadata", "labels", StatefulSets.podIndexLabel]] == "2")
        #expect(pod[path: ["metadata", "labels", StatefulSets.revisionLabel]] == "web-abc")
        let volumes = pod[path: ["spec", "volumes"]]?.array ?? []
        #expect(volumes.count == 1)
        #expect(volumes.first?[path: ["persistentVolumeClaim", "claimName"]] == "data-web-2")
        let claim = StatefulSets.claim(sts, template: sts.volumeClaimTemplates[0], ordinal: 2)
        #expect(claim.name == "data-web-2")
        #expect(claim[path: ["metadata", "labels", "app"]] == "web")
        #expect(claim[path: ["metadata", "ownerReferences"]] == nil)
        #expect(StatefulSets.ordinal(of: "web-12", set: "web") == 12)
        #expect(StatefulSets.ordinal(of: "web-012", set: "web") == nil)
        #expect(StatefulSets.ordinal(of: "webby-1", set: "web") == nil)
    }

    @Test func statusCountsRevisionsAndMovesTheCurrentRevisionWhenAllAreUpdated() {
        let sts = Self.set(replicas: 2)
        let mixed = [Self.pod(0, revision: "old"), Self.pod(1, ready: false, revision: "new")]
        var withCurrent = sts
        withCurrent.status = ["currentRevision": "old"]
        let s = StatefulSets.status(withCurrent, pods: mixed, revision: "new", now: .now)
        #expect(s["replicas"] == 2 && s["readyReplicas"] == 1 && s["updatedReplicas"] == 1 && s["currentReplicas"] == 1)
        #expect(s["currentRevision"] == "old" && s["updateRevision"] == "new" && s["observedGeneration"] == 3)
        let done = StatefulSets.status(
            withCurrent,
            pods: [Self.pod(0, revision: "new"), Self.pod(1, revision: "new")],
            revision: "new",
            now: .now
        )
        #expect(done["currentRevision"] == "new" && done["currentReplicas"] == 2)
    }
}
