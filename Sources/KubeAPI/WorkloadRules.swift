import KubeMachinery

/// Deployments and ReplicaSets (apps/v1).
enum WorkloadRules {
    static func defaultTemplate(_ obj: inout JSON) {
        if obj[path: ["spec", "replicas"]] == nil { obj[path: ["spec", "replicas"]] = 1 }
        if var tspec = obj[path: ["spec", "template", "spec"]], tspec.isObject {
            PodRules.defaultPodSpec(&tspec)
            obj[path: ["spec", "template", "spec"]] = tspec
        }
        if obj[path: ["spec", "template", "metadata"]] == nil {
            obj[path: ["spec", "template", "metadata"]] = .emptyObject
        }
    }

    static func validateTemplate(_ obj: JSON) -> [FieldError] {
        var errs: [FieldError] = []
        let sel = obj[path: ["spec", "selector"]]
        if sel == nil || sel!.isNull {
            errs.append(.required("spec.selector"))
        } else if (sel?["matchLabels"]?.object?.isEmpty ?? true) && (sel?["matchExpressions"]?.array?.isEmpty ?? true) {
            errs.append(.invalid("spec.selector", sel!, "empty selector is invalid for deployment"))
        }
        if let r = obj[path: ["spec", "replicas"]]?.int, r < 0 {
            errs.append(.invalid("spec.replicas", .int(r), "must be greater than or equal to 0"))
        }
        let templateLabels = obj[path: ["spec", "template", "metadata", "labels"]]?.stringMap ?? [:]
        if let selector = try? LabelSelector(structured: sel), sel != nil, !selector.matches(templateLabels) {
            errs.append(
                .invalid(
                    "spec.template.metadata.labels",
                    JSON(templateLabels),
                    "`selector` does not match template `labels`"
                )
            )
        }
        errs += Validation.validateLabels(
            obj[path: ["spec", "template", "metadata", "labels"]],
            path: "spec.template.metadata.labels"
        )
        errs += PodRules.validateSpec(
            obj[path: ["spec", "template", "spec"]] ?? .emptyObject,
            path: "spec.template.spec"
        )
        return errs
    }

    static func immutableSelector(_ new: JSON, _ old: JSON) -> [FieldError] {
        let a = new[path: ["spec", "selector"]], b = old[path: ["spec", "selector"]]
        return a == b ? [] : [.invalid("spec.selector", a ?? .null, "field is immutable")]
    }

    static func containerCells(_ obj: JSON) -> [JSON] {
        let cs = obj[path: ["spec", "template", "spec", "containers"]]?.array ?? []
        return [
            .string(cs.compactMap { $0["name"]?.string }.joined(separator: ",")),
            .string(cs.compactMap { $0["image"]?.string }.joined(separator: ",")),
            .string(Printing.labelSelector(obj[path: ["spec", "selector"]])),
        ]
    }

    static let wideColumns = [
        TableColumn("Containers", priority: 1, "Names of each container in the template."),
        TableColumn("Images", priority: 1, "Images referenced by each container in the template."),
        TableColumn(
            "Selector",
            priority: 1,
            "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment."
        ),
    ]

    static let deployment = ResourceRules(
        prepareForCreate: { obj in obj["status"] = .emptyObject },
        defaults: { obj in
            defaultTemplate(&obj)
            if obj[path: ["spec", "strategy", "type"]] == nil {
                obj[path: ["spec", "strategy", "type"]] = "RollingUpdate"
            }
            if obj[path: ["spec", "strategy", "type"]]?.string == "RollingUpdate" {
                if obj[path: ["spec", "strategy", "rollingUpdate", "maxUnavailable"]] == nil {
                    obj[path: ["spec", "strategy", "rollingUpdate", "maxUnavailable"]] = "25%"
                }
                if obj[path: ["spec", "strategy", "rollingUpdate", "maxSurge"]] == nil {
                    obj[path: ["spec", "strategy", "rollingUpdate", "maxSurge"]] = "25%"
                }
            }
            if obj[path: ["spec", "revisionHistoryLimit"]] == nil { obj[path: ["spec", "revisionHistoryLimit"]] = 10 }
            if obj[path: ["spec", "progressDeadlineSeconds"]] == nil {
                obj[path: ["spec", "progressDeadlineSeconds"]] = 600
            }
        },
        validate: { obj in
            var errs = validateTemplate(obj)
            let st = obj[path: ["spec", "strategy", "type"]]?.string ?? ""
            if !["Recreate", "RollingUpdate"].contains(st) {
                errs.append(.notSupported("spec.strategy.type", .string(st), ["Recreate", "RollingUpdate"]))
            }
            return errs
        },
        validateUpdate: immutableSelector,
        columns: [
            TableColumn("Ready", "Number of the pod with ready state"),
            TableColumn(
                "Up-to-date",
                "Total number of non-terminated pods targeted by this deployment that have the desired template spec."
            ),
            TableColumn(
                "Available",
                "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."
            ),
            TableColumn.age,
        ] + wideColumns,
        cells: { obj, now in
            let st = obj["status"]
            let desired = obj[path: ["spec", "replicas"]]?.int ?? 0
            return [
                .string("\(st?["readyReplicas"]?.int ?? 0)/\(desired)"), .int(st?["updatedReplicas"]?.int ?? 0),
                .int(st?["availableReplicas"]?.int ?? 0), .string(age(obj, now)),
            ] + containerCells(obj)
        }
    )

    static let replicaSet = ResourceRules(
        prepareForCreate: { obj in obj["status"] = ["replicas": 0] },
        defaults: { obj in defaultTemplate(&obj) },
        validate: validateTemplate,
        validateUpdate: immutableSelector,
        columns: [
            TableColumn("Desired", "Number of desired pods"),
            TableColumn("Current", "Number of actual replicas"),
            TableColumn("Ready", "Number of ready replicas"),
            TableColumn.age,
        ] + wideColumns,
        cells: { obj, now in
            let st = obj["status"]
            return [
                .int(obj[path: ["spec", "replicas"]]?.int ?? 0), .int(st?["replicas"]?.int ?? 0),
                .int(st?["readyReplicas"]?.int ?? 0), .string(age(obj, now)),
            ] + containerCells(obj)
        }
    )
}
