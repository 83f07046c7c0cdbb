import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Marks a node whose agent stopped posting status as NotReady (`Unknown`, as Kubernetes'
/// node lifecycle controller does after its 40 s grace period), taints it unreachable, and
/// turns its pods' Ready condition False so Endpoints and EndpointSlices follow.
public actor NodeLifecycleController: Controller {
    let client: KubeClient
    let nodes: Informer<Node>
    let pods: Informer<Pod>
    let grace: Duration
    /// How often each node's heartbeat is looked at (kube-controller-manager's
    /// `--node-monitor-period`).
    let period: Duration
    public nonisolated let logger: Logger
    public nonisolated let queue = WorkQueue(name: "node_lifecycle")

    public static let unreachableTaint = "node.kubernetes.io/unreachable"

    public init(
        client: KubeClient,
        nodes: Informer<Node>,
        pods: Informer<Pod>,
        grace: Duration = .seconds(40),
        period: Duration = .seconds(5),
        logger: Logger
    ) {
        self.client = client
        self.nodes = nodes
        self.pods = pods
        self.grace = grace
        self.period = period
        self.logger = logger
    }

    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { for await c in await self.nodes.changes() { await self.queue.add(c.key) } }
            group.addTask {
                await self.nodes.waitForSync()
                for key in await self.nodes.keys() { await self.queue.add(key) }
                await self.runWorkers()
            }
        }
    }

    /// Whether a node's heartbeat is older than the grace period at `now`.
    public static func isStale(_ node: Node, now: Timestamp, grace: Duration) -> Bool {
        guard let ready = node.conditions["Ready"], ready.status != "Unknown",
            let beat = ready.lastHeartbeatTime.flatMap(Timestamp.init(rfc3339:))
        else { return false }
        return now.micros - beat.micros > grace.components.seconds * 1_000_000
    }

    public func reconcile(_ key: String) async throws {
        guard let node = await nodes.get(key) else { return }  // gone: nothing to watch
        try await check(node, now: .now)
        await queue.add(key, after: period)
    }

    func check(_ node: Node, now: Timestamp) async throws {
        let tainted = node.taints.contains { $0.key == Self.unreachableTaint }
        if Self.isStale(node, now: now, grace: grace) {
            try await markUnknown(node, now: now)
        } else if node.isReady, tainted {
            let kept = node.taints.filter { $0.key != Self.unreachableTaint }
            _ = try await client.patch(
                Resources.nodes,
                namespace: nil,
                name: node.name,
                ["spec": ["taints": kept.isEmpty ? .null : .array(kept.map(\.json))]],
                type: .merge
            )
        }
    }

    func markUnknown(_ node: Node, now: Timestamp) async throws {
        logger.notice("node \(node.name) stopped posting status; marking it NotReady and its pods not ready")
        let conditions: [JSON] = node.conditions.map { c in
            var c = c
            c.status = "Unknown"
            c.reason = "NodeStatusUnknown"
            c.message = "Kubelet stopped posting node status."
            c.lastTransitionTime = now.rfc3339
            return c.json
        }
        _ = try await client.patch(
            Resources.nodes,
            namespace: nil,
            name: node.name,
            ["status": ["conditions": .array(conditions)]],
            type: .merge,
            subresource: "status"
        )
        var taints = node.taints.filter { $0.key != Self.unreachableTaint }
        taints.append(Node.Taint(key: Self.unreachableTaint, effect: "NoSchedule", timeAdded: now.rfc3339))
        taints.append(Node.Taint(key: Self.unreachableTaint, effect: "NoExecute", timeAdded: now.rfc3339))
        _ = try await client.patch(
            Resources.nodes,
            namespace: nil,
            name: node.name,
            ["spec": ["taints": .array(taints.map(\.json))]],
            type: .merge
        )
        for pod in await pods.list() where pod.nodeName == node.name && pod.isReady {
            let patch: JSON = [
                "status": [
                    "conditions": [
                        [
                            "type": "Ready", "status": "False", "lastTransitionTime": .string(now.rfc3339),
                            "lastProbeTime": nil,
                        ]
                    ]
                ]
            ]
            _ = try? await client.patch(
                Resources.pods,
                namespace: pod.namespace,
                name: pod.name,
                patch,
                type: .strategic,
                subresource: "status"
            )
        }
    }
}
