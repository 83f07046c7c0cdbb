import KubeMachinery

/// PodDisruptionBudgets (policy/v1), with upstream's validation and `kubectl get` columns.
enum PolicyRules {
    static func intOrPercentErrors(_ value: JSON?, _ path: String) -> [FieldError] {
        guard let value, value != .null else { return [] }
        if let i = value.int, i < 0 { return [.invalid(path, value, "must be greater than or equal to 0")] }
        if let s = value.string {
            guard s.hasSuffix("%"), let pct = Int(s.dropLast()) else {
                return [
                    .invalid(path, value, "a valid percent string must be a numeric string followed by an ending '%'")
                ]
            }
            if pct < 0 || pct > 100 { return [.invalid(path, value, "must not be greater than 100%")] }
        }
        return []
    }

    static let podDisruptionBudget = ResourceRules(
        prepareForCreate: { obj in
            obj["status"] = ["currentHealthy": 0, "desiredHealthy": 0, "disruptionsAllowed": 0, "expectedPods": 0]
        },
        defaults: { obj in
            if obj[path: ["spec", "selector"]] == nil { obj[path: ["spec", "selector"]] = .emptyObject }
        },
        validate: { obj in
            var errs: [FieldError] = []
            let minAvailable = obj[path: ["spec", "minAvailable"]]
            let maxUnavailable = obj[path: ["spec", "maxUnavailable"]]
            if let minAvailable, minAvailable != .null, let maxUnavailable, maxUnavailable != .null {
                errs.append(
                    .invalid("spec", obj["spec"] ?? .null, "minAvailable and maxUnavailable cannot be both set")
                )
            }
            errs += intOrPercentErrors(minAvailable, "spec.minAvailable")
            errs += intOrPercentErrors(maxUnavailable, "spec.maxUnavailable")
            if let policy = obj[path: ["spec", "unhealthyPodEvictionPolicy"]]?.string,
                !["IfHealthyBudget", "AlwaysAllow"].contains(policy)
            {
                errs.append(
                    .notSupported(
                        "spec.unhealthyPodEvictionPolicy",
                        .string(policy),
                        ["AlwaysAllow", "IfHealthyBudget"]
                    )
                )
            }
            return errs
        },
        columns: [
            TableColumn("Min Available", "The minimum number of pods that must be available simultaneously."),
            TableColumn("Max Unavailable", "The maximum number of pods that may be unavailable simultaneously."),
            TableColumn("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time."),
            TableColumn.age,
        ],
        cells: { obj, now in
            func text(_ v: JSON?) -> String {
                guard let v, v != .null else { return "N/A" }
                return v.string ?? v.int.map { String($0) } ?? "N/A"
            }
            return [
                .string(text(obj[path: ["spec", "minAvailable"]])),
                .string(text(obj[path: ["spec", "maxUnavailable"]])),
                .int(obj[path: ["status", "disruptionsAllowed"]]?.int ?? 0), .string(age(obj, now)),
            ]
        }
    )
}
