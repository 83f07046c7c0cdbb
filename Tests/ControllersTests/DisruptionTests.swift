import KubeMachinery
import KubeModel
import Testing

@testable import Controllers

/// Disruption budgets' arithmetic, and when NoExecute taints evict.
@Suite struct DisruptionTests {
    static func pod(_ name: String, ready: Bool = true, labels: [String: String] = ["app": "web"]) -> Pod {
        Pod([
            "metadata": ["name": .string(name), "namespace": "default", "labels": JSON(labels)],
            "status": [
                "phase": "Running", "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]],
            ],
        ])
    }

    static func budget(_ spec: JSON, status: JSON = .emptyObject) -> JSON {
        var s = spec
        s["selector"] = ["matchLabels": ["app": "web"]]
        return ["metadata": ["name": "web", "namespace": "default", "generation": 2], "spec": s, "status": status]
    }

    @Test func allowedDisruptionsFollowTheBudget() {
        let pods = [Self.pod("a"), Self.pod("b"), Self.pod("c", ready: false), Self.pod("x", labels: ["app": "db"])]
        let min2 = Disruption.status(Self.budget(["minAvailable": 2]), pods: pods, now: .now)
        #expect(min2["expectedPods"] == 3 && min2["currentHealthy"] == 2 && min2["desiredHealthy"] == 2)
        #expect(min2["disruptionsAllowed"] == 0 && min2["observedGeneration"] == 2)
        #expect(min2["conditions"]?.array?.first?["reason"] == "InsufficientPods")
        let max1 = Disruption.status(Self.budget(["maxUnavailable": 1]), pods: pods, now: .now)
        #expect(max1["desiredHealthy"] == 2 && max1["disruptionsAllowed"] == 0)
        let half = Disruption.status(Self.budget(["minAvailable": "50%"]), pods: pods, now: .now)
        #expect(half["desiredHealthy"] == 2)
        let one = Disruption.status(Self.budget(["minAvailable": 1]), pods: pods, now: .now)
        #expect(one["disruptionsAllowed"] == 1 && one["conditions"]?.array?.first?["status"] == "True")
        // A pod just evicted no longer counts as healthy.
        let evicted = Disruption.status(
            Self.budget(["minAvailable": 1], status: ["disruptedPods": ["a": .string(Timestamp.now.rfc3339)]]),
            pods: pods,
            now: .now
        )
        #expect(evicted["currentHealthy"] == 1 && evicted["disruptionsAllowed"] == 0)
    }

    @Test func noExecuteTaintsEvictAtOnceOrAfterTheToleration() {
        let now = Timestamp(seconds: 1000)
        let taint = Node.Taint(
            key: "node.kubernetes.io/unreachable",
            effect: "NoExecute",
            timeAdded: Timestamp(seconds: 900).rfc3339
        )
        func pod(_ tolerations: JSON) -> Pod { Pod(["metadata": ["name": "p"], "spec": ["tolerations": tolerations]]) }
        #expect(TaintEvictionController.evictionDelay(pod([]), taints: [taint], now: now) == 0)
        let fiveMinutes: JSON = [
            [
                "key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                "tolerationSeconds": 300,
            ]
        ]
        #expect(TaintEvictionController.evictionDelay(pod(fiveMinutes), taints: [taint], now: now) == 200)
        let forever: JSON = [["operator": "Exists"]]
        #expect(TaintEvictionController.evictionDelay(pod(forever), taints: [taint], now: now) == nil)
        let soft = Node.Taint(key: "x", effect: "NoSchedule")
        #expect(TaintEvictionController.evictionDelay(pod([]), taints: [soft], now: now) == nil)
    }
}
