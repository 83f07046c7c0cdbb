import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Keeps each ReplicaSet's (or ReplicationController's) number of pods at `spec.replicas`.
public actor ReplicaSetController: Controller {
    let client: KubeClient
    let kind: WorkloadKind
    let replicaSets: Informer<ReplicaSet>
    let pods: Informer<Pod>
    let events: EventRecorder
    public nonisolated let queue: WorkQueue
    public nonisolated let logger: Logger
    /// Pods created or deleted but not yet seen by the informer, per ReplicaSet uid.
    private var expectations: [String: (creates: Int, deletes: Set<String>)] = [:]

    public init(
        client: KubeClient,
        kind: WorkloadKind = .replicaSet,
        replicaSets: Informer<ReplicaSet>,
        pods: Informer<Pod>,
        logger: Logger
    ) {
        self.client = client
        self.kind = kind
        self.replicaSets = replicaSets
        self.pods = pods
        self.logger = logger
        let name = kind == .replicaSet ? "replicaset" : "replicationmanager"
        queue = WorkQueue(name: name)
        events = EventRecorder(client: client, component: "\(name)-controller")
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await c in await self.replicaSets.changes() { await self.queue.add(c.key) } }
            group.addTask {
                for await c in await self.pods.changes() {
                    guard let p = c.new ?? c.old, let uid = p.metadata.controller?.uid else { continue }
                    await self.podChanged(p, uid: uid, created: c.old == nil, deleted: c.new == nil)
                }
            }
            group.addTask {
                await self.replicaSets.waitForSync()
                await self.pods.waitForSync()
                for rs in await self.replicaSets.list() { await self.queue.add(rs.cacheKey) }
                await self.runWorkers()
            }
            await group.waitForAll()
        }
    }

    func podChanged(_ pod: Pod, uid: String, created: Bool, deleted: Bool) async {
        if var e = expectations[uid] {
            if created { e.creates = max(0, e.creates - 1) }
            if deleted || pod.metadata.isDeleting { e.deletes.remove(pod.name) }
            expectations[uid] = e
        }
        if let rs = await replicaSets.list(namespace: pod.namespace).first(where: { $0.metadata.uid == uid }) {
            await queue.add(rs.cacheKey)
        }
    }

    public func reconcile(_ key: String) async throws {
        guard let rs = await replicaSets.get(key), !rs.metadata.isDeleting else { return }
        let uid = rs.metadata.uid
        // Until the informer has seen our last creates and deletes, the pod list is not the
        // whole truth: make no new pods and delete none, but keep the status true of what
        // is there (terminating pods do not count), as Kubernetes' controller does.
        let settled = expectations[uid].map { $0.creates == 0 && $0.deletes.isEmpty } ?? true
        let owned = await pods.list(namespace: rs.namespace).filter {
            $0.metadata.controller?.uid == uid && $0.isActive
        }
        let want = rs.replicas
        var gone: Set<String> = []
        var failure: (any Error)?
        var announce: [(reason: String, message: String)] = []  // Events, recorded once the status is written
        if !settled {
            // Status only, below.
        } else if owned.count < want {
            let n = want - owned.count
            expectations[uid] = (n, [])
            var names: [String] = []
            for _ in 0..<n {
                do {
                    let pod = try await client.create(
                        Resources.pods,
                        namespace: rs.namespace,
                        Workloads.podFromTemplate(rs, ownerKind: kind)
                    )
                    names.append(pod.name)
                } catch {
                    expectations[uid]?.creates -= 1
                    await record(rs, type: "Warning", reason: "FailedCreate", message: "Error creating: \(error)")
                    throw error
                }
            }
            announce += names.map { "Created pod: \($0)" }.map { ("SuccessfulCreate", $0) }
        } else if owned.count > want {
            let victims = Array(Workloads.deletionOrder(owned).prefix(owned.count - want))
            expectations[uid] = (0, Set(victims.map(\.name)))
            // In parallel: a large scale-down is one round trip, not one per pod.
            let client = self.client
            // Each result: nil when deleted, else the error (404: already gone, which is fine).
            let results = await withTaskGroup(of: (String, (any Error)?).self) { group in
                for p in victims {
                    group.addTask {
                        do { try await client.delete(Resources.pods, namespace: p.namespace, name: p.name) } catch {
                            return (p.name, error)
                        }
                        return (p.name, nil)
                    }
                }
                return await group.reduce(into: [(String, (any Error)?)]()) { $0.append($1) }
            }
            for (name, error) in results {
                guard let error else {
                    announce.append(("SuccessfulDelete", "Deleted pod: \(name)"))
                    gone.insert(name)
                    continue
                }
                expectations[uid]?.deletes.remove(name)  // no event will come for it
                if (error as? APIError)?.code == 404 { gone.insert(name) } else { failure = failure ?? error }
            }
        }
        // Pods just deleted are terminating: they no longer count, even before the informer says so.
        let status = Workloads.replicaSetStatus(rs, pods: owned.filter { !gone.contains($0.name) })
        if rs.status != status {
            _ = try await client.patch(
                kind.resource,
                namespace: rs.namespace,
                name: rs.name,
                ["status": status.json],
                subresource: "status"
            )
        }
        for e in announce { await record(rs, reason: e.reason, message: e.message) }
        if let failure { throw failure }  // retried
    }

    /// An event about the ReplicaSet or ReplicationController, named as its own kind.
    func record(_ rs: ReplicaSet, type: String = "Normal", reason: String, message: String) async {
        await events.record(
            apiVersion: kind.apiVersion,
            kind: kind.kind,
            rs.metadata,
            type: type,
            reason: reason,
            message: message
        )
    }
}
