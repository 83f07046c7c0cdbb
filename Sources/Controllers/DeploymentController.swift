import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Rolls Deployments out through ReplicaSets, honouring maxSurge, maxUnavailable and readiness.
public actor DeploymentController: Controller {
    let client: KubeClient
    let deployments: Informer<Deployment>
    let replicaSets: Informer<ReplicaSet>
    let events: EventRecorder
    public nonisolated let queue = WorkQueue(name: "deployment")
    public nonisolated let logger: Logger

    public init(
        client: KubeClient,
        deployments: Informer<Deployment>,
        replicaSets: Informer<ReplicaSet>,
        logger: Logger
    ) {
        self.client = client
        self.deployments = deployments
        self.replicaSets = replicaSets
        self.logger = logger
        events = EventRecorder(client: client, component: "deployment-controller")
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await c in await self.deployments.changes() { await self.queue.add(c.key) } }
            group.addTask {
                for await c in await self.replicaSets.changes() {
                    guard let rs = c.new ?? c.old, let uid = rs.metadata.controller?.uid else { continue }
                    if let d = await self.deployments.list(namespace: rs.namespace).first(where: {
                        $0.metadata.uid == uid
                    }) {
                        await self.queue.add(d.cacheKey)
                    }
                }
            }
            group.addTask {
                await self.deployments.waitForSync()
                await self.replicaSets.waitForSync()
                for d in await self.deployments.list() { await self.queue.add(d.cacheKey) }
                await self.runWorkers()
            }
            await group.waitForAll()
        }
    }

    func scale(_ d: Deployment, _ rs: ReplicaSet, to n: Int) async throws {
        let current = rs.replicas
        guard current != n else { return }
        _ = try await client.patch(
            Resources.replicasets,
            namespace: rs.namespace,
            name: rs.name,
            ["spec": ["replicas": JSON(n)]]
        )
        await events.record(
            d,
            reason: "ScalingReplicaSet",
            message: "Scaled \(n > current ? "up" : "down") replica set \(rs.name) from \(current) to \(n)"
        )
    }

    /// The ReplicaSet of the Deployment's current template, made (at revision `after + 1`)
    /// when there is none.
    func newReplicaSet(_ d: Deployment, hash: String, owned: [ReplicaSet]) async throws -> ReplicaSet {
        if let existing = owned.first(where: { $0.labels[Workloads.templateHashLabel] == hash }) { return existing }
        var template = d.template
        template[path: ["metadata", "labels", Workloads.templateHashLabel]] = .string(hash)
        var selector = d.selector
        selector[path: ["matchLabels", Workloads.templateHashLabel]] = .string(hash)
        var labels = template[path: ["metadata", "labels"]] ?? .emptyObject
        labels[Workloads.templateHashLabel] = .string(hash)
        let revision = (owned.compactMap(\.revision).max() ?? 0) + 1
        let rs: JSON = [
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": [
                "name": .string("\(d.name)-\(hash)"), "namespace": .string(d.namespace), "labels": labels,
                "annotations": [.init(stringLiteral: Workloads.revisionAnnotation): .string(String(revision))],
                "ownerReferences": [OwnerReference.controller(d).json],
            ],
            "spec": [
                "replicas": 0, "selector": selector, "template": template, "minReadySeconds": JSON(d.minReadySeconds),
            ],
        ]
        do {
            return ReplicaSet(try await client.create(Resources.replicasets, namespace: d.namespace, rs))
        } catch let e as APIError where e.code == 409 {
            return ReplicaSet(
                try await client.get(Resources.replicasets, namespace: d.namespace, name: "\(d.name)-\(hash)")
            )
        }
    }

    public func reconcile(_ key: String) async throws {
        guard let d = await deployments.get(key), !d.metadata.isDeleting else { return }
        let hash = Workloads.templateHash(d.template)
        let owned = await replicaSets.list(namespace: d.namespace).filter {
            $0.metadata.controller?.uid == d.metadata.uid
        }
        var newRS = try await newReplicaSet(d, hash: hash, owned: owned)
        let old = owned.filter { $0.metadata.uid != newRS.metadata.uid }
        // An old template again (`kubectl rollout undo`): its ReplicaSet becomes the newest revision.
        let newest = old.compactMap(\.revision).max() ?? 0
        if let current = newRS.revision, current <= newest {
            newRS = ReplicaSet(
                try await client.patch(
                    Resources.replicasets,
                    namespace: newRS.namespace,
                    name: newRS.name,
                    [
                        "metadata": [
                            "annotations": [
                                .init(stringLiteral: Workloads.revisionAnnotation): .string(String(newest + 1))
                            ]
                        ]
                    ]
                )
            )
        }
        if d.strategy == .recreate {
            let oldPods = old.reduce(0) { $0 + $1.status.replicas }
            for rs in old { try await scale(d, rs, to: 0) }
            if oldPods == 0 { try await scale(d, newRS, to: d.replicas) }
        } else {
            let step = Workloads.rollingStep(
                replicas: d.replicas,
                maxSurge: Workloads.scaledValue(d.maxSurge, replicas: d.replicas, roundUp: true, default: 1),
                maxUnavailable: Workloads.scaledValue(
                    d.maxUnavailable,
                    replicas: d.replicas,
                    roundUp: false,
                    default: 0
                ),
                newRS: (newRS.replicas, newRS.readyWithinSpec),
                old: old.map { ($0.name, $0.replicas, $0.readyWithinSpec) }
            )
            try await scale(d, newRS, to: old.isEmpty ? d.replicas : step.new)
            for rs in old { try await scale(d, rs, to: step.old[rs.name] ?? 0) }
        }
        for name in Workloads.historyToPrune(old: old, limit: d.revisionHistoryLimit) {
            _ = try? await client.delete(Resources.replicasets, namespace: d.namespace, name: name)
        }

        let plan = Workloads.deploymentStatus(d, newRS: newRS, old: old, now: .now)
        if let after = plan.recheckAfter { await queue.add(key, after: after) }
        if !plan.status.sameIgnoringTimes(d.status) {
            // Pinned to the version read, as an update would be: a Deployment changed since is
            // reconciled again, from what it is now.
            var status = plan.status.json
            if plan.status.unavailableReplicas == 0 { status["unavailableReplicas"] = .null }
            _ = try await client.patch(
                Resources.deployments,
                namespace: d.namespace,
                name: d.name,
                ["metadata": ["resourceVersion": .string(d.metadata.resourceVersion)], "status": status],
                subresource: "status"
            )
        }
        if let rev = newRS.metadata.annotations[Workloads.revisionAnnotation],
            d.metadata.annotations[Workloads.revisionAnnotation] != rev
        {
            _ = try await client.patch(
                Resources.deployments,
                namespace: d.namespace,
                name: d.name,
                ["metadata": ["annotations": [.init(stringLiteral: Workloads.revisionAnnotation): .string(rev)]]]
            )
        }
    }
}
