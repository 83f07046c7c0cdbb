import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// What a PodDisruptionBudget allows, from the pods it selects (upstream's disruption
/// controller): healthy pods against the budget's minimum, and how many may go now.
public enum Disruption {
    /// How long an eviction the informer has not shown yet keeps its pod out of the count.
    static let evictionGrace: Int64 = 120

    public static func status(_ pdb: JSON, pods: [Pod], now: Timestamp) -> JSON {
        let selectorJSON = pdb[path: ["spec", "selector"]]
        let empty = (selectorJSON?.object ?? JSONObject()).isEmpty
        let selector = (try? LabelSelector(structured: selectorJSON)) ?? .nothing
        let matching =
            empty ? [] : pods.filter { $0.namespace == pdb.namespace && !$0.isTerminal && selector.matches($0.labels) }
        let live = matching.filter { !$0.metadata.isDeleting }
        var disrupted = pdb[path: ["status", "disruptedPods"]]?.object ?? JSONObject()
        for (name, at) in disrupted {
            let t = at.string.flatMap(Timestamp.init(rfc3339:)) ?? now
            if !live.contains(where: { $0.name == name }) || now.seconds - t.seconds > evictionGrace {
                disrupted[name] = nil
            }
        }
        let expected = live.count
        let healthy = live.filter { $0.isReady && disrupted[$0.name] == nil }.count
        let desired: Int
        if let min = IntOrString(pdb[path: ["spec", "minAvailable"]]) {
            desired = min.scaled(of: expected, roundUp: true) ?? expected
        } else if let max = IntOrString(pdb[path: ["spec", "maxUnavailable"]]) {
            desired = Swift.max(expected - (max.scaled(of: expected, roundUp: true) ?? 0), 0)
        } else {
            desired = 1
        }
        let allowed = Swift.max(healthy - desired, 0)
        let previous = (pdb[path: ["status", "conditions"]]?.array ?? []).first { $0["type"] == "DisruptionAllowed" }
        let state = allowed > 0 ? "True" : "False"
        let generation = pdb[path: ["metadata", "generation"]]?.int ?? 1
        var condition: JSON = [
            "type": "DisruptionAllowed", "status": .string(state),
            "reason": .string(allowed > 0 ? "SufficientPods" : "InsufficientPods"), "message": "",
            "observedGeneration": .int(generation),
            "lastTransitionTime": previous?["status"]?.string == state
                ? (previous?["lastTransitionTime"] ?? .string(now.rfc3339)) : .string(now.rfc3339),
        ]
        if previous?["status"]?.string == state, let msg = previous?["message"] { condition["message"] = msg }
        var status: JSON = [
            "observedGeneration": .int(generation), "expectedPods": JSON(expected), "currentHealthy": JSON(healthy),
            "desiredHealthy": JSON(desired), "disruptionsAllowed": JSON(allowed), "conditions": [condition],
        ]
        if !disrupted.isEmpty { status["disruptedPods"] = .object(disrupted) }
        return status
    }
}

/// Keeps every PodDisruptionBudget's status true as its pods come and go.
public actor DisruptionController: Controller {
    let client: KubeClient
    let budgets: Informer<JSON>
    let pods: Informer<Pod>
    public nonisolated let queue = WorkQueue(name: "disruption")
    public nonisolated let logger: Logger

    public init(client: KubeClient, budgets: Informer<JSON>, pods: Informer<Pod>, logger: Logger) {
        self.client = client
        self.budgets = budgets
        self.pods = pods
        self.logger = logger
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await c in await self.budgets.changes() { await self.queue.add(c.key) } }
            group.addTask {
                for await c in await self.pods.changes() {
                    guard let p = c.new ?? c.old else { continue }
                    for b in await self.budgets.list(namespace: p.namespace) { await self.queue.add(b.cacheKey) }
                }
            }
            group.addTask {
                await self.budgets.waitForSync()
                await self.pods.waitForSync()
                for b in await self.budgets.list() { await self.queue.add(b.cacheKey) }
                await self.runWorkers()
            }
            await group.waitForAll()
        }
    }

    public func reconcile(_ key: String) async throws {
        guard let pdb = await budgets.get(key), pdb.deletionTimestamp == nil else { return }
        let status = Disruption.status(pdb, pods: await pods.list(namespace: pdb.namespace), now: .now)
        guard status != pdb["status"] else { return }
        _ = try await client.update(
            Resources.poddisruptionbudgets,
            namespace: pdb.namespace,
            {
                var next = pdb
                next["status"] = status
                return next
            }(),
            subresource: "status"
        )
        // Evictions not yet seen leave the count after the grace, without another change.
        if status["disruptedPods"] != nil { await queue.add(key, after: .seconds(Disruption.evictionGrace)) }
    }
}
