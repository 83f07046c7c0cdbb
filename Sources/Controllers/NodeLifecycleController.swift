import Foundation
import KubeAPI
import KubeMachinery
import KubeModel
import KubeClient
import Logging

/// Marks a node whose agent stopped posting status as NotReady (`Unknown`, as Kubernetes'
/// node lifecycle controller does after its 40 s grace period), taints it unreachable, and
/// turns its pods' Ready condition False so Endpoints and EndpointSlices follow.
public actor NodeLifecycleController {
    let client: KubeClient
    let nodes: Informer<JSON>
    let pods: Informer<JSON>
    let grace: Duration
    let period: Duration
    let logger: Logger
    private var stopped = false

    public static let unreachableTaint = "node.kubernetes.io/unreachable"

    public init(client: KubeClient, nodes: Informer<JSON>, pods: Informer<JSON>, grace: Duration = .seconds(40),
                period: Duration = .seconds(5), logger: Logger) {
        self.client = client
        self.nodes = nodes
        self.pods = pods
        self.grace = grace
        self.period = period
        self.logger = logger
    }

    public func stop() { stopped = true }

    public func run() async {
        await nodes.waitForSync()
        while !stopped && !Task.isCancelled {
            await check(now: .now)
            try? await Task.sleep(for: period)
        }
    }

    static func readyCondition(_ node: JSON) -> JSON? {
        (node[path: ["status", "conditions"]]?.array ?? []).first { $0["type"]?.string == "Ready" }
    }

    /// Whether a node's heartbeat is older than the grace period at `now`.
    public static func isStale(_ node: JSON, now: Timestamp, grace: Duration) -> Bool {
        guard let ready = readyCondition(node), ready["status"]?.string != "Unknown",
              let beat = (ready["lastHeartbeatTime"]?.string).flatMap(Timestamp.init(rfc3339:)) else { return false }
        return now.micros - beat.micros > grace.components.seconds * 1_000_000
    }

    func check(now: Timestamp) async {
        for node in await nodes.list() {
            let ready = Self.readyCondition(node)
            let taints = node[path: ["spec", "taints"]]?.array ?? []
            let tainted = taints.contains { $0["key"]?.string == Self.unreachableTaint }
            if Self.isStale(node, now: now, grace: grace) {
                await markUnknown(node, now: now)
            } else if ready?["status"]?.string == "True", tainted {
                let kept = taints.filter { $0["key"]?.string != Self.unreachableTaint }
                _ = try? await client.patch(Resources.nodes, namespace: nil, name: node.name,
                                            ["spec": ["taints": kept.isEmpty ? .null : .array(kept)]], type: .merge)
            }
        }
    }

    func markUnknown(_ node: JSON, now: Timestamp) async {
        logger.notice("node \(node.name) stopped posting status; marking it NotReady and its pods not ready")
        let conditions: [JSON] = (node[path: ["status", "conditions"]]?.array ?? []).map { c in
            var c = c
            c["status"] = "Unknown"
            c["reason"] = "NodeStatusUnknown"
            c["message"] = "Kubelet stopped posting node status."
            c["lastTransitionTime"] = .string(now.rfc3339)
            return c
        }
        do {
            _ = try await client.patch(Resources.nodes, namespace: nil, name: node.name,
                                       ["status": ["conditions": .array(conditions)]], type: .merge, subresource: "status")
            var taints = (node[path: ["spec", "taints"]]?.array ?? []).filter { $0["key"]?.string != Self.unreachableTaint }
            taints.append(["key": .string(Self.unreachableTaint), "effect": "NoSchedule", "timeAdded": .string(now.rfc3339)])
            taints.append(["key": .string(Self.unreachableTaint), "effect": "NoExecute", "timeAdded": .string(now.rfc3339)])
            _ = try await client.patch(Resources.nodes, namespace: nil, name: node.name, ["spec": ["taints": .array(taints)]], type: .merge)
        } catch {
            logger.warning("cannot mark node \(node.name) NotReady: \(error)")
            return
        }
        for pod in await pods.list() where pod[path: ["spec", "nodeName"]]?.string == node.name {
            let isReady = (pod[path: ["status", "conditions"]]?.array ?? []).contains {
                $0["type"]?.string == "Ready" && $0["status"]?.string == "True"
            }
            guard isReady else { continue }
            let patch: JSON = ["status": ["conditions": [[
                "type": "Ready", "status": "False", "lastTransitionTime": .string(now.rfc3339), "lastProbeTime": nil,
            ]]]]
            _ = try? await client.patch(Resources.pods, namespace: pod.namespace, name: pod.name, patch, type: .strategic,
                                        subresource: "status")
        }
    }
}
