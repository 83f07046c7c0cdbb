import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Binds pending pods to Ready nodes, spreading them; a pod with no Ready node stays Pending
/// with an event saying why.
public actor Scheduler: Controller {
    let client: KubeClient
    let pods: Informer<Pod>
    let nodes: Informer<Node>
    let events: EventRecorder
    public nonisolated let queue = WorkQueue(name: "scheduler")
    public nonisolated let logger: Logger
    private var reported: Set<String> = []
    /// Pods bound here that the informer does not show bound yet (pod uid → node), so pods
    /// scheduled in a burst spread instead of all seeing the same counts.
    private var assumed: [String: String] = [:]

    public init(client: KubeClient, pods: Informer<Pod>, nodes: Informer<Node>, logger: Logger) {
        self.client = client
        self.pods = pods
        self.nodes = nodes
        self.logger = logger
        events = EventRecorder(client: client, component: "default-scheduler")
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await c in await self.pods.changes() where c.new != nil { await self.queue.add(c.key) }
            }
            group.addTask {
                for await _ in await self.nodes.changes() {
                    for p in await self.pods.list() where Self.needsNode(p) { await self.queue.add(p.cacheKey) }
                }
            }
            group.addTask {
                await self.pods.waitForSync()
                await self.nodes.waitForSync()
                for p in await self.pods.list() where Self.needsNode(p) { await self.queue.add(p.cacheKey) }
                await self.runWorkers()
            }
            await group.waitForAll()
        }
    }

    static func needsNode(_ p: Pod) -> Bool {
        !p.isScheduled && !p.metadata.isDeleting && p.schedulerName == Pod.defaultScheduler
    }

    public func reconcile(_ key: String) async throws {
        guard let pod = await pods.get(key), Self.needsNode(pod) else { return }
        var counts: [String: Int] = [:]
        var seen: Set<String> = []
        for p in await pods.list() where p.isActive {
            let uid = p.metadata.uid
            seen.insert(uid)
            if let n = p.nodeName {
                counts[n, default: 0] += 1
                assumed[uid] = nil
            } else if let n = assumed[uid] {
                counts[n, default: 0] += 1
            }
        }
        assumed = assumed.filter { seen.contains($0.key) }
        let allNodes = await nodes.list()
        guard let node = Workloads.chooseNode(nodes: allNodes, podCounts: counts) else {
            if reported.insert(pod.metadata.uid).inserted {
                let message =
                    "0/\(allNodes.count) nodes are available: \(allNodes.isEmpty ? "no nodes registered" : "no node is Ready and schedulable")."
                await events.record(pod, type: "Warning", reason: "FailedScheduling", message: message)
                _ = try? await client.patch(
                    Resources.pods,
                    namespace: pod.namespace,
                    name: pod.name,
                    [
                        "status": [
                            "conditions": [
                                [
                                    "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                    "message": .string(message),
                                    "lastTransitionTime": .string(Timestamp.now.rfc3339),
                                ]
                            ]
                        ]
                    ],
                    type: .strategic,
                    subresource: "status"
                )
            }
            return
        }
        let binding: JSON = [
            "apiVersion": "v1", "kind": "Binding",
            "metadata": ["name": .string(pod.name), "namespace": .string(pod.namespace)],
            "target": ["apiVersion": "v1", "kind": "Node", "name": .string(node)],
        ]
        do {
            _ = try await client.request(
                .POST,
                KubeClient.path(Resources.pods, namespace: pod.namespace, name: pod.name, subresource: "binding"),
                body: binding
            )
        } catch let e as APIError where e.code == 409 || e.code == 404 {
            return
        }
        reported.remove(pod.metadata.uid)
        assumed[pod.metadata.uid] = node
        await events.record(
            pod,
            reason: "Scheduled",
            message: "Successfully assigned \(pod.namespace)/\(pod.name) to \(node)"
        )
    }
}
