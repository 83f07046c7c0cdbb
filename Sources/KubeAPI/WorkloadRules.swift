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

    /// `kind`: how the empty-selector message names the workload (`deployment`, `statefulset`…).
    static func validateTemplate(_ obj: JSON, kind: String = "deployment") -> [FieldError] {
        var errs: [FieldError] = []
        let sel = obj[path: ["spec", "selector"]]
        if sel == nil || sel!.isNull {
            errs.append(.required("spec.selector"))
        } else if (sel?["matchLabels"]?.object?.isEmpty ?? true) && (sel?["matchExpressions"]?.array?.isEmpty ?? true) {
            errs.append(.invalid("spec.selector", sel!, "empty selector is invalid for \(kind)"))
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
        validate: { validateTemplate($0) },
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

    static let statefulSet = ResourceRules(
        prepareForCreate: { obj in obj["status"] = ["replicas": 0, "availableReplicas": 0] },
        defaults: { obj in
            defaultTemplate(&obj)
            if obj[path: ["spec", "podManagementPolicy"]] == nil {
                obj[path: ["spec", "podManagementPolicy"]] = "OrderedReady"
            }
            if obj[path: ["spec", "updateStrategy", "type"]] == nil {
                obj[path: ["spec", "updateStrategy", "type"]] = "RollingUpdate"
            }
            if obj[path: ["spec", "updateStrategy", "type"]]?.string == "RollingUpdate",
                obj[path: ["spec", "updateStrategy", "rollingUpdate", "partition"]] == nil
            {
                obj[path: ["spec", "updateStrategy", "rollingUpdate", "partition"]] = 0
            }
            if obj[path: ["spec", "revisionHistoryLimit"]] == nil { obj[path: ["spec", "revisionHistoryLimit"]] = 10 }
            for key in ["whenDeleted", "whenScaled"]
            where obj[path: ["spec", "persistentVolumeClaimRetentionPolicy", key]] == nil {
                obj[path: ["spec", "persistentVolumeClaimRetentionPolicy", key]] = "Retain"
            }
            if var templates = obj[path: ["spec", "volumeClaimTemplates"]]?.array {
                for i in templates.indices {
                    if templates[i][path: ["spec", "volumeMode"]] == nil {
                        templates[i][path: ["spec", "volumeMode"]] = "Filesystem"
                    }
                    if templates[i]["apiVersion"] == nil { templates[i]["apiVersion"] = "v1" }
                    if templates[i]["kind"] == nil { templates[i]["kind"] = "PersistentVolumeClaim" }
                }
                obj[path: ["spec", "volumeClaimTemplates"]] = .array(templates)
            }
        },
        validate: { obj in
            // The template is checked as the pods will be: with a volume per claim template.
            var withClaims = obj
            let claimed = (obj[path: ["spec", "volumeClaimTemplates"]]?.array ?? []).map(\.name).filter { !$0.isEmpty }
            if !claimed.isEmpty {
                var volumes = (obj[path: ["spec", "template", "spec", "volumes"]]?.array ?? []).filter {
                    !claimed.contains($0["name"]?.string ?? "")
                }
                volumes += claimed.map { ["name": .string($0), "persistentVolumeClaim": ["claimName": .string($0)]] }
                withClaims[path: ["spec", "template", "spec", "volumes"]] = .array(volumes)
            }
            var errs = validateTemplate(withClaims, kind: "statefulset")
            let policy = obj[path: ["spec", "podManagementPolicy"]]?.string ?? ""
            if !["OrderedReady", "Parallel"].contains(policy) {
                errs.append(.notSupported("spec.podManagementPolicy", .string(policy), ["OrderedReady", "Parallel"]))
            }
            let st = obj[path: ["spec", "updateStrategy", "type"]]?.string ?? ""
            if !["OnDelete", "RollingUpdate"].contains(st) {
                errs.append(.notSupported("spec.updateStrategy.type", .string(st), ["OnDelete", "RollingUpdate"]))
            }
            if let p = obj[path: ["spec", "updateStrategy", "rollingUpdate", "partition"]]?.int, p < 0 {
                errs.append(
                    .invalid(
                        "spec.updateStrategy.rollingUpdate.partition",
                        .int(p),
                        "must be greater than or equal to 0"
                    )
                )
            }
            for key in ["whenDeleted", "whenScaled"] {
                let v = obj[path: ["spec", "persistentVolumeClaimRetentionPolicy", key]]?.string ?? ""
                if !["Retain", "Delete"].contains(v) {
                    errs.append(
                        .notSupported(
                            "spec.persistentVolumeClaimRetentionPolicy.\(key)",
                            .string(v),
                            ["Retain", "Delete"]
                        )
                    )
                }
            }
            let names = (obj[path: ["spec", "volumeClaimTemplates"]]?.array ?? []).map { $0.name }
            for (i, name) in names.enumerated() where name.isEmpty {
                errs.append(.required("spec.volumeClaimTemplates[\(i)].metadata.name"))
            }
            return errs
        },
        validateUpdate: { new, old in
            var errs = immutableSelector(new, old)
            // Upstream lets only these change after creation.
            var a = new["spec"] ?? [:], b = old["spec"] ?? [:]
            for key in [
                "replicas", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds",
                "ordinals", "revisionHistoryLimit", "selector",
            ] {
                a[key] = nil
                b[key] = nil
            }
            if a != b {
                errs.append(
                    .forbidden(
                        "spec",
                        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
                    )
                )
            }
            return errs
        },
        columns: [TableColumn("Ready", "Number of the pod with ready state"), TableColumn.age]
            + wideColumns.prefix(2),
        cells: { obj, now in
            let desired = obj[path: ["spec", "replicas"]]?.int ?? 0
            let ready = obj[path: ["status", "readyReplicas"]]?.int ?? 0
            return [.string("\(ready)/\(desired)"), .string(age(obj, now))] + containerCells(obj).prefix(2)
        }
    )

    static let daemonSet = ResourceRules(
        prepareForCreate: { obj in
            obj["status"] = [
                "currentNumberScheduled": 0, "desiredNumberScheduled": 0, "numberMisscheduled": 0, "numberReady": 0,
            ]
        },
        defaults: { obj in
            defaultTemplate(&obj)
            obj[path: ["spec", "replicas"]] = nil
            if obj[path: ["spec", "updateStrategy", "type"]] == nil {
                obj[path: ["spec", "updateStrategy", "type"]] = "RollingUpdate"
            }
            if obj[path: ["spec", "updateStrategy", "type"]]?.string == "RollingUpdate" {
                if obj[path: ["spec", "updateStrategy", "rollingUpdate", "maxUnavailable"]] == nil {
                    obj[path: ["spec", "updateStrategy", "rollingUpdate", "maxUnavailable"]] = 1
                }
                if obj[path: ["spec", "updateStrategy", "rollingUpdate", "maxSurge"]] == nil {
                    obj[path: ["spec", "updateStrategy", "rollingUpdate", "maxSurge"]] = 0
                }
            }
            if obj[path: ["spec", "revisionHistoryLimit"]] == nil { obj[path: ["spec", "revisionHistoryLimit"]] = 10 }
        },
        validate: { obj in
            var errs = validateTemplate(obj, kind: "daemonset")
            let restart = obj[path: ["spec", "template", "spec", "restartPolicy"]]?.string ?? "Always"
            if restart != "Always" {
                errs.append(.notSupported("spec.template.spec.restartPolicy", .string(restart), ["Always"]))
            }
            let st = obj[path: ["spec", "updateStrategy", "type"]]?.string ?? ""
            if !["OnDelete", "RollingUpdate"].contains(st) {
                errs.append(.notSupported("spec.updateStrategy.type", .string(st), ["OnDelete", "RollingUpdate"]))
            }
            return errs
        },
        validateUpdate: immutableSelector,
        columns: [
            TableColumn("Desired", "The desired number of nodes that should be running the daemon pod."),
            TableColumn("Current", "The number of nodes that are running at least 1 daemon pod."),
            TableColumn("Ready", "The number of nodes that should be running the daemon pod and have one ready."),
            TableColumn("Up-to-date", "The total number of nodes that are running updated daemon pod"),
            TableColumn(
                "Available",
                "The number of nodes that should be running the daemon pod and have one available."
            ),
            TableColumn("Node Selector", "NodeSelector is a selector which must be true for the pod to fit on a node."),
            TableColumn.age,
        ] + wideColumns,
        cells: { obj, now in
            let st = obj["status"]
            let selector = (obj[path: ["spec", "template", "spec", "nodeSelector"]]?.object ?? JSONObject())
                .map { "\($0.key)=\($0.value.string ?? "")" }.sorted().joined(separator: ",")
            return [
                .int(st?["desiredNumberScheduled"]?.int ?? 0), .int(st?["currentNumberScheduled"]?.int ?? 0),
                .int(st?["numberReady"]?.int ?? 0), .int(st?["updatedNumberScheduled"]?.int ?? 0),
                .int(st?["numberAvailable"]?.int ?? 0), .string(selector.isEmpty ? "<none>" : selector),
                .string(age(obj, now)),
            ] + containerCells(obj)
        }
    )

    /// v1 ReplicationControllers: a map for a selector, defaulted from the template's labels.
    static let replicationController = ResourceRules(
        prepareForCreate: { obj in obj["status"] = ["replicas": 0] },
        defaults: { obj in
            defaultTemplate(&obj)
            let labels = obj[path: ["spec", "template", "metadata", "labels"]]
            if obj[path: ["spec", "selector"]] == nil || obj[path: ["spec", "selector"]]?.object?.isEmpty == true,
                let labels
            {
                obj[path: ["spec", "selector"]] = labels
            }
            if obj[path: ["metadata", "labels"]] == nil, let labels { obj[path: ["metadata", "labels"]] = labels }
        },
        validate: { obj in
            var errs: [FieldError] = []
            let selector = obj[path: ["spec", "selector"]]?.stringMap ?? [:]
            if selector.isEmpty { errs.append(.required("spec.selector")) }
            let labels = obj[path: ["spec", "template", "metadata", "labels"]]?.stringMap ?? [:]
            if !selector.allSatisfy({ labels[$0.key] == $0.value }) {
                errs.append(
                    .invalid(
                        "spec.template.metadata.labels",
                        JSON(labels),
                        "`selector` does not match template `labels`"
                    )
                )
            }
            if let r = obj[path: ["spec", "replicas"]]?.int, r < 0 {
                errs.append(.invalid("spec.replicas", .int(r), "must be greater than or equal to 0"))
            }
            errs += PodRules.validateSpec(
                obj[path: ["spec", "template", "spec"]] ?? .emptyObject,
                path: "spec.template.spec"
            )
            return errs
        },
        columns: [
            TableColumn("Desired", "Number of desired pods"),
            TableColumn("Current", "Number of actual replicas"),
            TableColumn("Ready", "Number of ready replicas"),
            TableColumn.age,
        ] + wideColumns,
        cells: { obj, now in
            let st = obj["status"]
            let cs = obj[path: ["spec", "template", "spec", "containers"]]?.array ?? []
            let selector = (obj[path: ["spec", "selector"]]?.object ?? JSONObject())
                .map { "\($0.key)=\($0.value.string ?? "")" }.sorted().joined(separator: ",")
            return [
                .int(obj[path: ["spec", "replicas"]]?.int ?? 0), .int(st?["replicas"]?.int ?? 0),
                .int(st?["readyReplicas"]?.int ?? 0), .string(age(obj, now)),
                .string(cs.compactMap { $0["name"]?.string }.joined(separator: ",")),
                .string(cs.compactMap { $0["image"]?.string }.joined(separator: ",")), .string(selector),
            ]
        }
    )
}
