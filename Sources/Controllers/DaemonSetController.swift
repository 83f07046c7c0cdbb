import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Keeps one pod of each DaemonSet on every node that should run it (`DaemonSets.plan`),
/// new nodes included, and its status true.
public actor DaemonSetController: Controller {
    let client: KubeClient
    let sets: Informer<DaemonSet>
    let pods: Informer<Pod>
    let nodes: Informer<Node>
    let events: EventRecorder
    public nonisolated let queue = WorkQueue(name: "daemonset")
    public nonisolated let logger: Logger

    public init(
        client: KubeClient,
        sets: Informer<DaemonSet>,
        pods: Informer<Pod>,
        nodes: Informer<Node>,
        logger: Logger
    ) {
        self.client = client
        self.sets = sets
        self.pods = pods
        self.nodes = nodes
        self.logger = logger
        events = EventRecorder(client: client, component: "daemonset-controller")
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await c in await self.sets.changes() { await self.queue.add(c.key) } }
            group.addTask {
                for await c in await self.pods.changes() {
                    guard let p = c.new ?? c.old, let owner = p.metadata.controller, owner.kind == DaemonSet.kind
                    else { continue }
                    await self.queue.add("\(p.namespace)/\(owner.name)")
                }
            }
            group.addTask {
                for await _ in await self.nodes.changes() {
                    for s in await self.sets.list() { await self.queue.add(s.cacheKey) }
                }
            }
            group.addTask {
                await self.sets.waitForSync()
                await self.pods.waitForSync()
                await self.nodes.waitForSync()
                for s in await self.sets.list() { await self.queue.add(s.cacheKey) }
                await self.runWorkers()
            }
            await group.waitForAll()
        }
    }

    public func reconcile(_ key: String) async throws {
        guard let ds = await sets.get(key), !ds.metadata.isDeleting else { return }
        let owned = await pods.list(namespace: ds.namespace).filter { $0.metadata.controller?.uid == ds.metadata.uid }
        let allNodes = await nodes.list()
        let revision = DaemonSets.revision(ds)
        var failure: (any Error)?
        for action in DaemonSets.plan(ds, nodes: allNodes, pods: owned, revision: revision) {
            switch action {
            case .create(let node):
                do {
                    let pod = try await client.create(
                        Resources.pods,
                        namespace: ds.namespace,
                        DaemonSets.pod(ds, node: node, revision: revision)
                    )
                    await events.record(ds, reason: "SuccessfulCreate", message: "Created pod: \(pod.name)")
                } catch {
                    await events.record(
                        ds,
                        type: "Warning",
                        reason: "FailedCreate",
                        message: "Error creating: \(error)"
                    )
                    failure = error
                }
            case .delete(let name):
                do {
                    try await client.delete(Resources.pods, namespace: ds.namespace, name: name)
                    await events.record(ds, reason: "SuccessfulDelete", message: "Deleted pod: \(name)")
                } catch let e as APIError where e.code == 404 {
                    continue
                } catch {
                    failure = error
                }
            }
        }
        let status = DaemonSets.status(ds, nodes: allNodes, pods: owned, revision: revision)
        if status != ds.status {
            _ = try await client.patch(
                Resources.daemonsets,
                namespace: ds.namespace,
                name: ds.name,
                ["status": status],
                subresource: "status"
            )
        }
        if let failure { throw failure }
    }
}
