import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Evicts pods from nodes with `NoExecute` taints they do not tolerate, at once or when
/// their `tolerationSeconds` run out (upstream's taint eviction controller).
public actor TaintEvictionController: Controller {
    let client: KubeClient
    let nodes: Informer<Node>
    let pods: Informer<Pod>
    let events: EventRecorder
    public nonisolated let queue = WorkQueue(name: "taint_eviction")
    public nonisolated let logger: Logger

    public init(client: KubeClient, nodes: Informer<Node>, pods: Informer<Pod>, logger: Logger) {
        self.client = client
        self.nodes = nodes
        self.pods = pods
        self.logger = logger
        events = EventRecorder(client: client, component: "taint-eviction-controller")
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await c in await self.nodes.changes() { await self.queue.add(c.key) } }
            group.addTask {
                for await c in await self.pods.changes() {
                    if let n = c.new?.nodeName { await self.queue.add(n) }
                }
            }
            group.addTask {
                await self.nodes.waitForSync()
                await self.pods.waitForSync()
                for key in await self.nodes.keys() { await self.queue.add(key) }
                await self.runWorkers()
            }
            await group.waitForAll()
        }
    }

    /// When a pod must leave a node with these taints: now (0), after a delay, or never (nil).
    public static func evictionDelay(_ pod: Pod, taints: [Node.Taint], now: Timestamp) -> Int64? {
        var delay: Int64?
        for taint in taints where taint.effect == "NoExecute" {
            let matching = pod.placement.tolerations.filter { $0.tolerates(taint) }
            if matching.isEmpty { return 0 }
            // Tolerated for the shortest of its limits; without one, forever.
            let limits = matching.compactMap(\.tolerationSeconds)
            guard limits.count == matching.count, let limit = limits.min() else { continue }
            let added = taint.timeAdded.flatMap(Timestamp.init(rfc3339:)) ?? now
            let left = max(added.seconds + Int64(limit) - now.seconds, 0)
            delay = min(delay ?? left, left)
        }
        return delay
    }

    public func reconcile(_ key: String) async throws {
        guard let node = await nodes.get(key), node.taints.contains(where: { $0.effect == "NoExecute" }) else { return }
        let now = Timestamp.now
        var soonest: Int64?
        for pod in await pods.list() where pod.nodeName == node.name && !pod.metadata.isDeleting && !pod.isTerminal {
            guard let delay = Self.evictionDelay(pod, taints: node.taints, now: now) else { continue }
            if delay > 0 {
                soonest = min(soonest ?? delay, delay)
                continue
            }
            await events.record(
                pod,
                reason: "TaintManagerEviction",
                message: "Marking for deletion Pod \(pod.namespace)/\(pod.name)"
            )
            do {
                _ = try await client.delete(Resources.pods, namespace: pod.namespace, name: pod.name)
            } catch let e as APIError where e.code == 404 {
                continue
            }
        }
        if let soonest { await queue.add(key, after: .seconds(soonest)) }
    }
}
