import Foundation
import KubeAPI
import KubeMachinery

extension APIHandler {
    /// `POST pods/<name>/eviction`: deletes the pod unless a PodDisruptionBudget forbids it
    /// (429, as upstream's eviction REST answers), taking one allowed disruption from the
    /// budget first so two evictions at once cannot both spend the last one.
    func evict(namespace: String, name: String, _ eviction: JSON, dryRun: Bool) async throws(APIError) {
        let pod = try await registry.get(Resources.pods, namespace: namespace, name: name)
        let labels = pod[path: ["metadata", "labels"]]?.stringMap ?? [:]
        let budgets = try await registry.list(Resources.poddisruptionbudgets, namespace: namespace, options: .init()).0
            .filter { pdb in
                guard let selector = try? LabelSelector(structured: pdb[path: ["spec", "selector"]]) else {
                    return false
                }
                // An empty selector selects nothing here, as upstream's policy/v1 says.
                let empty = (pdb[path: ["spec", "selector"]]?.object ?? JSONObject()).isEmpty
                return !empty && selector.matches(labels)
            }
        if budgets.count > 1 {
            throw APIError(
                code: 500,
                reason: "InternalError",
                message:
                    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
            )
        }
        let phase = pod[path: ["status", "phase"]]?.string ?? ""
        let ready = (pod[path: ["status", "conditions"]]?.array ?? []).contains {
            $0["type"]?.string == "Ready" && $0["status"]?.string == "True"
        }
        // A finished pod, or one not yet counted healthy, costs the budget nothing.
        if let pdb = budgets.first, phase == "Running", ready, !dryRun {
            _ = try await registry.guaranteedUpdate(
                Resources.poddisruptionbudgets,
                namespace: namespace,
                name: pdb.name,
                subresource: "status",
                dryRun: false,
                retryOnConflict: true
            ) { current throws(APIError) in
                var next = current
                let allowed = current[path: ["status", "disruptionsAllowed"]]?.int ?? 0
                let observed = current[path: ["status", "observedGeneration"]]?.int ?? 0
                let generation = current[path: ["metadata", "generation"]]?.int ?? 1
                guard allowed > 0, observed >= generation else {
                    var e = APIError(
                        code: 429,
                        reason: "TooManyRequests",
                        message: "Cannot evict pod as it would violate the pod's disruption budget."
                    )
                    let desired = current[path: ["status", "desiredHealthy"]]?.int ?? 0
                    let healthy = current[path: ["status", "currentHealthy"]]?.int ?? 0
                    e.otherCauses = [
                        (
                            "DisruptionBudget",
                            "The disruption budget \(current.name) needs \(desired) healthy pods and has \(healthy) currently"
                        )
                    ]
                    throw e
                }
                next[path: ["status", "disruptionsAllowed"]] = .int(allowed - 1)
                next[path: ["status", "disruptedPods", name]] = .string(Timestamp.now.rfc3339)
                return next
            }
        }
        var options = DeleteOptions()
        options.gracePeriodSeconds = eviction[path: ["deleteOptions", "gracePeriodSeconds"]]?.int
        options.preconditionUID = eviction[path: ["deleteOptions", "preconditions", "uid"]]?.string
        options.preconditionResourceVersion =
            eviction[path: ["deleteOptions", "preconditions", "resourceVersion"]]?.string
        _ = try await registry.delete(
            Resources.pods,
            namespace: namespace,
            name: name,
            options: options,
            dryRun: dryRun
        )
    }
}
