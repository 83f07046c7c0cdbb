import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Keeps each StatefulSet's pods `<name>-0…<name>-(n-1)`, each with its own claims, in the
/// order its policy says (`StatefulSets.plan`), and its status true.
public actor StatefulSetController: Controller {
    let client: KubeClient
    let sets: Informer<StatefulSet>
    let pods: Informer<Pod>
    let claims: Informer<JSON>
    let events: EventRecorder
    public nonisolated let queue = WorkQueue(name: "statefulset")
    public nonisolated let logger: Logger

    public init(
        client: KubeClient,
        sets: Informer<StatefulSet>,
        pods: Informer<Pod>,
        claims: Informer<JSON>,
        logger: Logger
    ) {
        self.client = client
        self.sets = sets
        self.pods = pods
        self.claims = claims
        self.logger = logger
        events = EventRecorder(client: client, component: "statefulset-controller")
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await c in await self.sets.changes() { await self.queue.add(c.key) } }
            group.addTask {
                for await c in await self.pods.changes() {
                    guard let p = c.new ?? c.old, let owner = p.metadata.controller, owner.kind == StatefulSet.kind
                    else { continue }
                    await self.queue.add("\(p.namespace)/\(owner.name)")
                }
            }
            group.addTask {
                await self.sets.waitForSync()
                await self.pods.waitForSync()
                await self.claims.waitForSync()
                for s in await self.sets.list() { await self.queue.add(s.cacheKey) }
                await self.runWorkers()
            }
            await group.waitForAll()
        }
    }

    public func reconcile(_ key: String) async throws {
        guard let sts = await sets.get(key), !sts.metadata.isDeleting else { return }
        let owned = await pods.list(namespace: sts.namespace).filter { $0.metadata.controller?.uid == sts.metadata.uid }
        let revision = StatefulSets.updateRevision(sts)
        var failure: (any Error)?
        for action in StatefulSets.plan(sts, pods: owned, revision: revision) {
            do {
                switch action {
                case .create(let ordinal):
                    try await createClaims(sts, ordinal: ordinal)
                    let pod = StatefulSets.pod(sts, ordinal: ordinal, revision: revision)
                    do {
                        _ = try await client.create(Resources.pods, namespace: sts.namespace, pod)
                    } catch let e as APIError where e.code == 409 {
                        continue  // made a moment ago; the informer has not shown it yet
                    }
                    await events.record(
                        sts,
                        reason: "SuccessfulCreate",
                        message: "create Pod \(pod.name) in StatefulSet \(sts.name) successful"
                    )
                case .delete(let name):
                    do {
                        try await client.delete(Resources.pods, namespace: sts.namespace, name: name)
                    } catch let e as APIError where e.code == 404 {
                        continue
                    }
                    await events.record(
                        sts,
                        reason: "SuccessfulDelete",
                        message: "delete Pod \(name) in StatefulSet \(sts.name) successful"
                    )
                }
            } catch {
                let (verb, pod): (String, String)
                switch action {
                case .create(let ordinal): (verb, pod) = ("create", "\(sts.name)-\(ordinal)")
                case .delete(let name): (verb, pod) = ("delete", name)
                }
                await events.record(
                    sts,
                    type: "Warning",
                    reason: verb == "create" ? "FailedCreate" : "FailedDelete",
                    message: "\(verb) Pod \(pod) in StatefulSet \(sts.name) failed error: \(error)"
                )
                failure = error
                break
            }
        }
        if sts.deleteClaimsWhenScaled { await deleteScaledClaims(sts, owned: owned) }
        let now = Timestamp.now
        let status = StatefulSets.status(sts, pods: owned, revision: revision, now: now)
        if status != sts.status {
            _ = try await client.patch(
                Resources.statefulsets,
                namespace: sts.namespace,
                name: sts.name,
                ["status": status],
                subresource: "status"
            )
        }
        // Ready pods become available after minReadySeconds with nothing else changing.
        if sts.minReadySeconds > 0, status["availableReplicas"] != status["readyReplicas"] {
            await queue.add(key, after: .seconds(Int64(sts.minReadySeconds)))
        }
        if let failure { throw failure }
    }

    /// The claims pod `ordinal` mounts, made before it when missing (kept afterwards: its
    /// data outlives the pod).
    func createClaims(_ sts: StatefulSet, ordinal: Int) async throws {
        for template in sts.volumeClaimTemplates {
            let claim = StatefulSets.claim(sts, template: template, ordinal: ordinal)
            if await claims.get("\(sts.namespace)/\(claim.name)") != nil { continue }
            do {
                _ = try await client.create(Resources.persistentvolumeclaims, namespace: sts.namespace, claim)
                await events.record(
                    sts,
                    reason: "SuccessfulCreate",
                    message:
                        "create Claim \(claim.name) Pod \(sts.name)-\(ordinal) in StatefulSet \(sts.name) success"
                )
            } catch let e as APIError where e.code == 409 {
                continue
            }
        }
    }

    /// `whenScaled: Delete`: the claims of ordinals beyond the replicas go once their pod has.
    func deleteScaledClaims(_ sts: StatefulSet, owned: [Pod]) async {
        let present = Set(owned.compactMap { StatefulSets.ordinal(of: $0.name, set: sts.name) })
        for template in sts.volumeClaimTemplates {
            let prefix = "\(template.name)-\(sts.name)-"
            for claim in await claims.list(namespace: sts.namespace) where claim.name.hasPrefix(prefix) {
                guard let ordinal = Int(claim.name.dropFirst(prefix.count)), ordinal >= sts.replicas,
                    !present.contains(ordinal), claim.deletionTimestamp == nil
                else { continue }
                _ = try? await client.delete(
                    Resources.persistentvolumeclaims,
                    namespace: sts.namespace,
                    name: claim.name
                )
            }
        }
    }
}
