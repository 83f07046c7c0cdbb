import KubeMachinery

/// Jobs and CronJobs (batch/v1), with upstream's defaults, generated selectors, validation
/// and `kubectl get` columns.
enum BatchRules {
    static let controllerUIDLabel = "batch.kubernetes.io/controller-uid"
    static let jobNameLabel = "batch.kubernetes.io/job-name"

    static func jobDefaults(_ obj: inout JSON, specPath: [String]) {
        var spec = obj[path: specPath] ?? .emptyObject
        let hasParallelism = spec["parallelism"] != nil && spec["parallelism"] != .null
        let hasCompletions = spec["completions"] != nil && spec["completions"] != .null
        if !hasParallelism, !hasCompletions {
            spec["completions"] = 1
            spec["parallelism"] = 1
        } else if !hasParallelism {
            spec["parallelism"] = 1
        }
        if spec["backoffLimit"] == nil {
            spec["backoffLimit"] = spec["backoffLimitPerIndex"] == nil ? 6 : .int(Int64(Int32.max))
        }
        if spec["completionMode"] == nil { spec["completionMode"] = "NonIndexed" }
        if spec["suspend"] == nil { spec["suspend"] = false }
        if spec["manualSelector"] == nil, spec["selector"] == nil { spec["manualSelector"] = false }
        if spec["podReplacementPolicy"] == nil {
            spec["podReplacementPolicy"] = spec["podFailurePolicy"] == nil ? "TerminatingOrFailed" : "Failed"
        }
        if var tspec = spec[path: ["template", "spec"]], tspec.isObject {
            PodRules.defaultPodSpec(&tspec)
            spec[path: ["template", "spec"]] = tspec
        }
        obj[path: specPath] = spec
    }

    /// The selector and template labels upstream generates from the Job's uid (unless
    /// `manualSelector`).
    static func generateSelector(_ obj: inout JSON) {
        guard obj[path: ["spec", "manualSelector"]]?.bool != true else { return }
        let uid = obj.uid
        let name = obj.name
        obj[path: ["spec", "selector"]] = .emptyObject
        obj[path: ["spec", "selector", "matchLabels", controllerUIDLabel]] = .string(uid)
        for (k, v) in [
            (controllerUIDLabel, uid), (jobNameLabel, name), ("controller-uid", uid), ("job-name", name),
        ] where obj[path: ["spec", "template", "metadata", "labels", k]] == nil {
            obj[path: ["spec", "template", "metadata", "labels", k]] = .string(v)
        }
    }

    static func jobSpecErrors(_ obj: JSON, path: String, specPath: [String]) -> [FieldError] {
        let spec = obj[path: specPath] ?? .emptyObject
        var errs: [FieldError] = []
        for key in ["parallelism", "completions", "backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished"] {
            if let v = spec[key]?.int, v < (key == "activeDeadlineSeconds" ? 1 : 0) {
                errs.append(
                    .invalid(
                        "\(path).\(key)",
                        .int(v),
                        key == "activeDeadlineSeconds"
                            ? "must be greater than 0" : "must be greater than or equal to 0"
                    )
                )
            }
        }
        let mode = spec["completionMode"]?.string ?? "NonIndexed"
        if !["NonIndexed", "Indexed"].contains(mode) {
            errs.append(.notSupported("\(path).completionMode", .string(mode), ["NonIndexed", "Indexed"]))
        }
        if mode == "Indexed", spec["completions"] == nil || spec["completions"] == .null {
            errs.append(.required("\(path).completions", "when completion mode is Indexed"))
        }
        let restart = spec[path: ["template", "spec", "restartPolicy"]]?.string ?? ""
        if !["OnFailure", "Never"].contains(restart) {
            errs.append(.notSupported("\(path).template.spec.restartPolicy", .string(restart), ["OnFailure", "Never"]))
        }
        if spec["podFailurePolicy"] != nil, spec["podFailurePolicy"] != .null, restart != "Never" {
            errs.append(
                .invalid(
                    "\(path).template.spec.restartPolicy",
                    .string(restart),
                    "only \"Never\" is supported when podFailurePolicy is specified"
                )
            )
        }
        for (i, rule) in (spec[path: ["podFailurePolicy", "rules"]]?.array ?? []).enumerated() {
            let action = rule["action"]?.string ?? ""
            let actions = ["Count", "FailIndex", "FailJob", "Ignore"]
            if !actions.contains(action) {
                errs.append(.notSupported("\(path).podFailurePolicy.rules[\(i)].action", .string(action), actions))
            }
            let hasCodes = rule["onExitCodes"] != nil && rule["onExitCodes"] != .null
            let hasConditions = !(rule["onPodConditions"]?.array ?? []).isEmpty
            if hasCodes == hasConditions {
                errs.append(
                    .invalid(
                        "\(path).podFailurePolicy.rules[\(i)]",
                        .string("specifying one of OnExitCodes and OnPodConditions is required"),
                        "specifying one of OnExitCodes and OnPodConditions is required"
                    )
                )
            }
        }
        errs += PodRules.validateSpec(spec[path: ["template", "spec"]] ?? .emptyObject, path: "\(path).template.spec")
        return errs
    }

    /// `Complete`, `Failed`, `Suspended` or `Running`, as kubectl's STATUS column says.
    static func jobStatusText(_ obj: JSON) -> String {
        let conditions = obj[path: ["status", "conditions"]]?.array ?? []
        func has(_ type: String) -> Bool {
            conditions.contains { $0["type"]?.string == type && $0["status"]?.string == "True" }
        }
        if has("Complete") { return "Complete" }
        if has("Failed") { return "Failed" }
        if has("FailureTarget") { return "FailureTarget" }
        if has("SuccessCriteriaMet") { return "SuccessCriteriaMet" }
        if has("Suspended") { return "Suspended" }
        if obj[path: ["metadata", "deletionTimestamp"]] != nil { return "Terminating" }
        return "Running"
    }

    static let job = ResourceRules(
        prepareForCreate: { obj in
            obj["status"] = .emptyObject
            generateSelector(&obj)
        },
        defaults: { obj in jobDefaults(&obj, specPath: ["spec"]) },
        validate: { obj in
            var errs = jobSpecErrors(obj, path: "spec", specPath: ["spec"])
            let sel = obj[path: ["spec", "selector"]]
            if sel == nil || sel == .null {
                errs.append(.required("spec.selector"))
            } else if let selector = try? LabelSelector(structured: sel),
                !selector.matches(obj[path: ["spec", "template", "metadata", "labels"]]?.stringMap ?? [:])
            {
                errs.append(
                    .invalid(
                        "spec.template.metadata.labels",
                        obj[path: ["spec", "template", "metadata", "labels"]] ?? .null,
                        "`selector` does not match template `labels`"
                    )
                )
            }
            return errs
        },
        validateUpdate: { new, old in
            var errs: [FieldError] = []
            if new[path: ["spec", "selector"]] != old[path: ["spec", "selector"]] {
                errs.append(.invalid("spec.selector", new[path: ["spec", "selector"]] ?? .null, "field is immutable"))
            }
            if new[path: ["spec", "completions"]] != old[path: ["spec", "completions"]],
                new[path: ["spec", "completionMode"]]?.string != "Indexed"
            {
                errs.append(
                    .invalid("spec.completions", new[path: ["spec", "completions"]] ?? .null, "field is immutable")
                )
            }
            // The template may change only while the Job is suspended (upstream's rule).
            if new[path: ["spec", "template"]] != old[path: ["spec", "template"]],
                old[path: ["spec", "suspend"]]?.bool != true
            {
                errs.append(
                    .invalid(
                        "spec.template",
                        rendered: "core.PodTemplateSpec{…}",
                        "field is immutable"
                    )
                )
            }
            return errs
        },
        columns: [
            TableColumn("Status", "Status of the job."),
            TableColumn("Completions", "The completion status of the job."),
            TableColumn("Duration", "Time required to complete the job."),
            TableColumn.age,
        ] + WorkloadRules.wideColumns,
        cells: { obj, now in
            let succeeded = obj[path: ["status", "succeeded"]]?.int ?? 0
            let completions: String
            if let c = obj[path: ["spec", "completions"]]?.int {
                completions = "\(succeeded)/\(c)"
            } else {
                let parallelism = obj[path: ["spec", "parallelism"]]?.int ?? 0
                completions = parallelism > 1 ? "\(succeeded)/1 of \(parallelism)" : "\(succeeded)/1"
            }
            var duration = ""
            if let start = obj[path: ["status", "startTime"]]?.string.flatMap(Timestamp.init(rfc3339:)) {
                let end = obj[path: ["status", "completionTime"]]?.string.flatMap(Timestamp.init(rfc3339:)) ?? now
                duration = humanDuration(seconds: end.seconds - start.seconds)
            }
            return [
                .string(jobStatusText(obj)), .string(completions), .string(duration), .string(age(obj, now)),
            ] + WorkloadRules.containerCells(obj)
        }
    )

    static let cronJob = ResourceRules(
        prepareForCreate: { obj in obj["status"] = .emptyObject },
        defaults: { obj in
            if obj[path: ["spec", "concurrencyPolicy"]] == nil { obj[path: ["spec", "concurrencyPolicy"]] = "Allow" }
            if obj[path: ["spec", "suspend"]] == nil { obj[path: ["spec", "suspend"]] = false }
            if obj[path: ["spec", "successfulJobsHistoryLimit"]] == nil {
                obj[path: ["spec", "successfulJobsHistoryLimit"]] = 3
            }
            if obj[path: ["spec", "failedJobsHistoryLimit"]] == nil {
                obj[path: ["spec", "failedJobsHistoryLimit"]] = 1
            }
            jobDefaults(&obj, specPath: ["spec", "jobTemplate", "spec"])
        },
        validate: { obj in
            var errs: [FieldError] = []
            let schedule = obj[path: ["spec", "schedule"]]?.string ?? ""
            if schedule.isEmpty {
                errs.append(.required("spec.schedule"))
            } else if CronSchedule(schedule) == nil {
                errs.append(.invalid("spec.schedule", .string(schedule), "unparseable cron schedule"))
            }
            if schedule.contains("TZ=") || schedule.contains("CRON_TZ=") {
                errs.append(
                    .invalid(
                        "spec.schedule",
                        .string(schedule),
                        "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
                    )
                )
            }
            if let tz = obj[path: ["spec", "timeZone"]]?.string, CronSchedule.timeZone(tz) == nil {
                errs.append(.invalid("spec.timeZone", .string(tz), "unknown time zone \(tz)"))
            }
            let policy = obj[path: ["spec", "concurrencyPolicy"]]?.string ?? ""
            if !["Allow", "Forbid", "Replace"].contains(policy) {
                errs.append(.notSupported("spec.concurrencyPolicy", .string(policy), ["Allow", "Forbid", "Replace"]))
            }
            if let d = obj[path: ["spec", "startingDeadlineSeconds"]]?.int, d < 0 {
                errs.append(.invalid("spec.startingDeadlineSeconds", .int(d), "must be greater than or equal to 0"))
            }
            errs += jobSpecErrors(obj, path: "spec.jobTemplate.spec", specPath: ["spec", "jobTemplate", "spec"])
            return errs
        },
        columns: [
            TableColumn("Schedule", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
            TableColumn("Timezone", "The time zone name for the given schedule."),
            TableColumn("Suspend", "This flag tells the controller to suspend subsequent executions."),
            TableColumn("Active", "A list of pointers to currently running jobs."),
            TableColumn("Last Schedule", "Information when was the last time the job was successfully scheduled."),
            TableColumn.age,
        ],
        cells: { obj, now in
            let last = obj[path: ["status", "lastScheduleTime"]]?.string.flatMap(Timestamp.init(rfc3339:))
            return [
                .string(obj[path: ["spec", "schedule"]]?.string ?? ""),
                .string(obj[path: ["spec", "timeZone"]]?.string ?? "<none>"),
                .string(obj[path: ["spec", "suspend"]]?.bool == true ? "True" : "False"),
                .int(Int64(obj[path: ["status", "active"]]?.array?.count ?? 0)),
                .string(last.map { humanDuration(seconds: now.seconds - $0.seconds) } ?? "<none>"),
                .string(age(obj, now)),
            ]
        }
    )
}
