import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Keeps each ReplicaSet's number of pods at `spec.replicas`.
public actor ReplicaSetController: Controller {
    let client: KubeClient
    let replicaSets: Informer<JSON>
    let pods: Informer<JSON>
    let events: EventRecorder
    public nonisolated let queue = WorkQueue(name: "replicaset")
    public nonisolated let logger: Logger
    /// Pods created or deleted but not yet seen by the informer, per ReplicaSet uid.
    private var expectations: [String: (creates: Int, deletes: Set<String>)] = [:]

    public init(client: KubeClient, replicaSets: Informer<JSON>, pods: Informer<JSON>, logger: Logger) {
        self.client = client
        self.replicaSets = replicaSets
        self.pods = pods
        self.logger = logger
        events = EventRecorder(client: client, component: "replicaset-controller")
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await c in await self.replicaSets.changes() { await self.queue.add(c.key) } }
            group.addTask {
                for await c in await self.pods.changes() {
                    guard let p = c.new ?? c.old, let uid = Workloads.controllerUID(p) else { continue }
                    await self.podChanged(p, uid: uid, created: c.old == nil, deleted: c.new == nil)
                }
            }
            group.addTask {
                await self.replicaSets.waitForSync()
                await self.pods.waitForSync()
                for rs in await self.replicaSets.list() { await self.queue.add(Informer.key(rs)) }
                await self.runWorkers()
            }
            await group.waitForAll()
        }
    }

    func podChanged(_ pod: JSON, uid: String, created: Bool, deleted: Bool) async {
        if var e = expectations[uid] {
            if created { e.creates = max(0, e.creates - 1) }
            if deleted || pod.deletionTimestamp != nil { e.deletes.remove(pod.name) }
            expectations[uid] = e
        }
        if let rs = await replicaSets.list(namespace: pod.namespace).first(where: { $0.uid == uid }) {
            await queue.add(Informer.key(rs))
        }
    }

    public func reconcile(_ key: String) async throws {
        guard let rs = await replicaSets.get(key), rs.deletionTimestamp == nil else { return }
        // Until the informer has seen our last creates and deletes, the pod list is not the
        // whole truth: make no new pods and delete none, but keep the status true of what
        // is there (terminating pods do not count), as Kubernetes' controller does.
        let settled = expectations[rs.uid].map { $0.creates == 0 && $0.deletes.isEmpty } ?? true
        let owned = await pods.list(namespace: rs.namespace).filter {
            Workloads.controllerUID($0) == rs.uid && Workloads.isActive($0)
        }
        let want = rs[path: ["spec", "replicas"]]?.intValue ?? 1
        var gone: Set<String> = []
        var failure: (any Error)?
        var announce: [(reason: String, message: String)] = []  // Events, recorded once the status is written
        if !settled {
            // Status only, below.
        } else if owned.count < want {
            let n = want - owned.count
            expectations[rs.uid] = (n, [])
            var names: [String] = []
            for _ in 0..<n {
                do {
                    let pod = try await client.create(
                        Resources.pods,
                        namespace: rs.namespace,
                        Workloads.podFromTemplate(rs)
                    )
                    names.append(pod.name)
                } catch {
                    expectations[rs.uid]?.creates -= 1
                    await events.record(
                        rs,
                        type: "Warning",
                        reason: "FailedCreate",
                        message: "Error creating: \(error)"
                    )
                    throw error
                }
            }
            announce += names.map { "Created pod: \($0)" }.map { ("SuccessfulCreate", $0) }
        } else if owned.count > want {
            let victims = Array(Workloads.deletionOrder(owned).prefix(owned.count - want))
            expectations[rs.uid] = (0, Set(victims.map(\.name)))
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
                expectations[rs.uid]?.deletes.remove(name)  // no event will come for it
                if (error as? APIError)?.code == 404 { gone.insert(name) } else { failure = failure ?? error }
            }
        }
        // Pods just deleted are terminating: they no longer count, even before the informer says so.
        let status = Workloads.replicaSetStatus(rs, pods: owned.filter { !gone.contains($0.name) })
        var current = rs["status"] ?? .emptyObject
        current["conditions"] = nil
        if current != status {
            _ = try await client.patch(
                Resources.replicasets,
                namespace: rs.namespace,
                name: rs.name,
                ["status": status],
                subresource: "status"
            )
        }
        for e in announce { await events.record(rs, reason: e.reason, message: e.message) }
        if let failure { throw failure }  // retried
    }
}

/// Rolls Deployments out through ReplicaSets, honouring maxSurge, maxUnavailable and readiness.
public actor DeploymentController: Controller {
    let client: KubeClient
    let deployments: Informer<JSON>
    let replicaSets: Informer<JSON>
    let events: EventRecorder
    public nonisolated let queue = WorkQueue(name: "deployment")
    public nonisolated let logger: Logger

    public init(client: KubeClient, deployments: Informer<JSON>, replicaSets: Informer<JSON>, logger: Logger) {
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
                    guard let rs = c.new ?? c.old, let uid = Workloads.controllerUID(rs) else { continue }
                    if let d = await self.deployments.list(namespace: rs.namespace).first(where: { $0.uid == uid }) {
                        await self.queue.add(Informer.key(d))
                    }
                }
            }
            group.addTask {
                await self.deployments.waitForSync()
                await self.replicaSets.waitForSync()
                for d in await self.deployments.list() { await self.queue.add(Informer.key(d)) }
                await self.runWorkers()
            }
            await group.waitForAll()
        }
    }

    func scale(_ d: JSON, _ rs: JSON, to n: Int) async throws {
        let current = rs[path: ["spec", "replicas"]]?.intValue ?? 0
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

    public func reconcile(_ key: String) async throws {
        guard let d = await deployments.get(key), d.deletionTimestamp == nil else { return }
        let replicas = d[path: ["spec", "replicas"]]?.intValue ?? 1
        var template = d[path: ["spec", "template"]] ?? .emptyObject
        let hash = Workloads.templateHash(template)
        template[path: ["metadata", "labels", Workloads.templateHashLabel]] = .string(hash)
        let owned = await replicaSets.list(namespace: d.namespace).filter { Workloads.controllerUID($0) == d.uid }
        let revisions = owned.compactMap { $0.annotations[Workloads.revisionAnnotation].flatMap(Int.init) }
        var newRS = owned.first { $0.labels[Workloads.templateHashLabel] == hash }
        if newRS == nil {
            var selector = d[path: ["spec", "selector"]] ?? .emptyObject
            selector[path: ["matchLabels", Workloads.templateHashLabel]] = .string(hash)
            var labels = template[path: ["metadata", "labels"]] ?? .emptyObject
            labels[Workloads.templateHashLabel] = .string(hash)
            let rs: JSON = [
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": [
                    "name": .string("\(d.name)-\(hash)"), "namespace": .string(d.namespace), "labels": labels,
                    "annotations": [
                        .init(stringLiteral: Workloads.revisionAnnotation): .string(String((revisions.max() ?? 0) + 1))
                    ],
                    "ownerReferences": [Workloads.ownerReference(d)],
                ],
                "spec": [
                    "replicas": 0, "selector": selector, "template": template,
                    "minReadySeconds": d[path: ["spec", "minReadySeconds"]] ?? 0,
                ],
            ]
            do {
                newRS = try await client.create(Resources.replicasets, namespace: d.namespace, rs)
            } catch let e as APIError where e.code == 409 {
                newRS = try await client.get(Resources.replicasets, namespace: d.namespace, name: "\(d.name)-\(hash)")
            }
        }
        guard var newRS else { return }
        let old = owned.filter { $0.uid != newRS.uid }
        // An old template again (`kubectl rollout undo`): its ReplicaSet becomes the newest revision.
        let newest = old.compactMap { $0.annotations[Workloads.revisionAnnotation].flatMap(Int.init) }.max() ?? 0
        if let current = newRS.annotations[Workloads.revisionAnnotation].flatMap(Int.init), current <= newest {
            newRS = try await client.patch(
                Resources.replicasets,
                namespace: newRS.namespace,
                name: newRS.name,
                [
                    "metadata": [
                        "annotations": [.init(stringLiteral: Workloads.revisionAnnotation): .string(String(newest + 1))]
                    ]
                ]
            )
        }
        func count(_ rs: JSON) -> (Int, Int) {
            (
                rs[path: ["spec", "replicas"]]?.intValue ?? 0,
                min(
                    rs[path: ["status", "readyReplicas"]]?.intValue ?? 0,
                    rs[path: ["spec", "replicas"]]?.intValue ?? 0
                )
            )
        }
        let strategy = d[path: ["spec", "strategy", "type"]]?.string ?? "RollingUpdate"
        if strategy == "Recreate" {
            let oldPods = old.reduce(0) { $0 + (($1[path: ["status", "replicas"]]?.intValue ?? 0)) }
            for rs in old { try await scale(d, rs, to: 0) }
            if oldPods == 0 { try await scale(d, newRS, to: replicas) }
        } else {
            let surge = Workloads.scaledValue(
                d[path: ["spec", "strategy", "rollingUpdate", "maxSurge"]],
                replicas: replicas,
                roundUp: true,
                default: 1
            )
            let unavailable = Workloads.scaledValue(
                d[path: ["spec", "strategy", "rollingUpdate", "maxUnavailable"]],
                replicas: replicas,
                roundUp: false,
                default: 0
            )
            let (nc, nr) = count(newRS)
            let step = Workloads.rollingStep(
                replicas: replicas,
                maxSurge: surge,
                maxUnavailable: unavailable,
                newRS: (nc, nr),
                old: old.map { ($0.name, count($0).0, count($0).1) }
            )
            try await scale(d, newRS, to: old.isEmpty ? replicas : step.new)
            for rs in old { try await scale(d, rs, to: step.old[rs.name] ?? 0) }
        }
        let limit = d[path: ["spec", "revisionHistoryLimit"]]?.intValue ?? 10
        for name in Workloads.historyToPrune(old: old, limit: limit) {
            _ = try? await client.delete(Resources.replicasets, namespace: d.namespace, name: name)
        }
        // Status, from the ReplicaSets' status.
        let all = [newRS] + old
        func sum(_ path: [String]) -> Int { all.reduce(0) { $0 + ($1[path: path]?.intValue ?? 0) } }
        let ready = sum(["status", "readyReplicas"]), total = sum(["status", "replicas"])
        let updated = newRS[path: ["status", "replicas"]]?.intValue ?? 0
        let available = sum(["status", "availableReplicas"])
        let now = Timestamp.now.rfc3339
        let minAvailable =
            replicas
            - Workloads.scaledValue(
                d[path: ["spec", "strategy", "rollingUpdate", "maxUnavailable"]],
                replicas: replicas,
                roundUp: false,
                default: 0
            )
        let isAvailable = available >= minAvailable
        var conditions: [JSON] = []
        let existing = d[path: ["status", "conditions"]]?.array ?? []
        func condition(_ type: String, _ status: Bool, _ reason: String, _ message: String) -> JSON {
            let prev = existing.first { $0["type"]?.string == type }
            let changed = prev?["status"]?.string != (status ? "True" : "False") || prev?["reason"]?.string != reason
            return [
                "type": .string(type), "status": .string(status ? "True" : "False"),
                "lastUpdateTime": changed ? .string(now) : (prev?["lastUpdateTime"] ?? .string(now)),
                "lastTransitionTime": changed ? .string(now) : (prev?["lastTransitionTime"] ?? .string(now)),
                "reason": .string(reason), "message": .string(message),
            ]
        }
        conditions.append(
            condition(
                "Available",
                isAvailable,
                isAvailable ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                isAvailable ? "Deployment has minimum availability." : "Deployment does not have minimum availability."
            )
        )
        let complete = updated == replicas && total == replicas && available == replicas
        let previous = existing.first { $0["type"]?.string == "Progressing" }
        let counts = { (s: JSON?) in
            ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas"].map { s?[$0]?.intValue ?? 0 }
        }
        let moved =
            counts(d["status"]) != [total, updated, ready, available] || previous == nil
            || d[path: ["status", "observedGeneration"]] != (d[path: ["metadata", "generation"]] ?? 1)
        let deadline = d[path: ["spec", "progressDeadlineSeconds"]]?.intValue
        let p = Workloads.progressing(
            complete: complete,
            moved: moved,
            previous: previous,
            deadlineSeconds: deadline,
            now: .now,
            replicaSet: newRS.name
        )
        var progressingCondition = condition("Progressing", p.status, p.reason, p.message)
        progressingCondition["lastUpdateTime"] = .string(p.lastUpdate.rfc3339)
        conditions.append(progressingCondition)
        if !complete, p.reason == "ReplicaSetUpdated", let deadline {
            // Nothing may change while a rollout is stuck: look again when the deadline passes.
            let wait = Duration.seconds(deadline) - .microseconds(Timestamp.now.micros - p.lastUpdate.micros)
            await queue.add(Informer.key(d), after: max(wait, .zero) + .milliseconds(500))
        }
        var status: JSON = [
            "observedGeneration": d[path: ["metadata", "generation"]] ?? 1, "replicas": JSON(total),
            "updatedReplicas": JSON(updated), "readyReplicas": JSON(ready), "availableReplicas": JSON(available),
            "conditions": .array(conditions),
        ]
        if total - available > 0 { status["unavailableReplicas"] = JSON(total - available) }
        var currentStatus = d["status"] ?? .emptyObject
        // Timestamps alone do not make a change.
        func stripTimes(_ s: JSON) -> JSON {
            var s = s
            s["conditions"] = .array(
                (s["conditions"]?.array ?? []).map { c in
                    var c = c
                    c["lastUpdateTime"] = nil
                    c["lastTransitionTime"] = nil
                    return c
                }
            )
            return s
        }
        if stripTimes(currentStatus) != stripTimes(status) {
            currentStatus = status
            _ = try await client.update(
                Resources.deployments,
                namespace: d.namespace,
                {
                    var x = d
                    x["status"] = currentStatus
                    return x
                }(),
                subresource: "status"
            )
        }
        if let rev = newRS.annotations[Workloads.revisionAnnotation], d.annotations[Workloads.revisionAnnotation] != rev
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

/// Binds pending pods to Ready nodes, spreading them; a pod with no Ready node stays Pending
/// with an event saying why.
public actor Scheduler: Controller {
    let client: KubeClient
    let pods: Informer<JSON>
    let nodes: Informer<Node>
    let events: EventRecorder
    public nonisolated let queue = WorkQueue(name: "scheduler")
    public nonisolated let logger: Logger
    private var reported: Set<String> = []
    /// Pods bound here that the informer does not show bound yet (pod uid → node), so pods
    /// scheduled in a burst spread instead of all seeing the same counts.
    private var assumed: [String: String] = [:]

    public init(client: KubeClient, pods: Informer<JSON>, nodes: Informer<Node>, logger: Logger) {
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
                    for p in await self.pods.list() where Self.needsNode(p) { await self.queue.add(Informer.key(p)) }
                }
            }
            group.addTask {
                await self.pods.waitForSync()
                await self.nodes.waitForSync()
                for p in await self.pods.list() where Self.needsNode(p) { await self.queue.add(Informer.key(p)) }
                await self.runWorkers()
            }
            await group.waitForAll()
        }
    }

    static func needsNode(_ p: JSON) -> Bool {
        (p[path: ["spec", "nodeName"]]?.string ?? "").isEmpty && p.deletionTimestamp == nil
            && (p[path: ["spec", "schedulerName"]]?.string ?? "default-scheduler") == "default-scheduler"
    }

    public func reconcile(_ key: String) async throws {
        guard let pod = await pods.get(key), Self.needsNode(pod) else { return }
        var counts: [String: Int] = [:]
        var seen: Set<String> = []
        for p in await pods.list() where Workloads.isActive(p) {
            seen.insert(p.uid)
            if let n = p[path: ["spec", "nodeName"]]?.string, !n.isEmpty {
                counts[n, default: 0] += 1
                assumed[p.uid] = nil
            } else if let n = assumed[p.uid] {
                counts[n, default: 0] += 1
            }
        }
        assumed = assumed.filter { seen.contains($0.key) }
        let allNodes = await nodes.list()
        guard let node = Workloads.chooseNode(nodes: allNodes, podCounts: counts) else {
            if reported.insert(pod.uid).inserted {
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
        reported.remove(pod.uid)
        assumed[pod.uid] = node
        await events.record(
            pod,
            reason: "Scheduled",
            message: "Successfully assigned \(pod.namespace)/\(pod.name) to \(node)"
        )
    }
}
