import Foundation
import KubeAPI
import KubeMachinery
import KubeModel

/// The pure rules of the Job controller: how many pods to run (or which indexes), when a
/// Job has succeeded or failed (completions, backoffLimit with exponential back-off,
/// activeDeadlineSeconds, podFailurePolicy), suspension, and the status upstream reports.
public enum Jobs {
    public static let indexAnnotation = "batch.kubernetes.io/job-completion-index"
    public static let indexLabel = "batch.kubernetes.io/job-completion-index"
    static let backoffBase: Int64 = 10
    static let backoffMax: Int64 = 360

    /// A pod of the Job (of `index` when Indexed): the template, with the index as annotation,
    /// label, hostname and `JOB_COMPLETION_INDEX`.
    public static func pod(_ job: Job, index: Int?) -> JSON {
        var labels = job.template[path: ["metadata", "labels"]]?.object ?? JSONObject()
        var annotations = job.template[path: ["metadata", "annotations"]]?.object ?? JSONObject()
        var spec = job.template["spec"] ?? .emptyObject
        var generateName = "\(job.name)-"
        if let index {
            labels[indexLabel] = .string(String(index))
            annotations[indexAnnotation] = .string(String(index))
            generateName = "\(job.name)-\(index)-"
            spec["hostname"] = .string("\(job.name)-\(index)")
            let env: JSON = [
                "name": "JOB_COMPLETION_INDEX",
                "valueFrom": [
                    "fieldRef": ["fieldPath": .string("metadata.annotations['\(indexAnnotation)']")]
                ],
            ]
            for key in ["initContainers", "containers"] {
                guard var list = spec[key]?.array else { continue }
                for i in list.indices {
                    var vars = list[i]["env"]?.array ?? []
                    if !vars.contains(where: { $0["name"]?.string == "JOB_COMPLETION_INDEX" }) { vars.append(env) }
                    list[i]["env"] = .array(vars)
                }
                spec[key] = .array(list)
            }
        }
        var meta: JSON = [
            "generateName": .string(generateName), "namespace": .string(job.namespace), "labels": .object(labels),
            "ownerReferences": [OwnerReference.controller(job).json],
        ]
        if !annotations.isEmpty { meta["annotations"] = .object(annotations) }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec]
    }

    static func index(of p: Pod) -> Int? { p.metadata.annotations[indexAnnotation].flatMap { Int($0) } }

    /// What the pod failure policy says of a failed pod: `FailJob` (with upstream's
    /// message), `Ignore`, or `Count` (also when no rule matches).
    static func failureAction(_ job: Job, _ pod: Pod) -> (action: String, message: String) {
        for (i, rule) in job.podFailurePolicy.enumerated() {
            let action = rule["action"]?.string ?? "Count"
            if let codes = rule["onExitCodes"], codes != .null {
                let container = codes["containerName"]?.string
                let values = Set((codes["values"]?.array ?? []).compactMap(\.intValue))
                let notIn = codes["operator"]?.string == "NotIn"
                for (name, code) in pod.exitCodes.sorted(by: { $0.key < $1.key }) where code != 0 {
                    if let container, container != name { continue }
                    if values.contains(code) != notIn {
                        return (
                            action,
                            "Container \(name) for pod \(pod.namespace)/\(pod.name) failed with exit code \(code) matching \(action) rule at index \(i)"
                        )
                    }
                }
            }
            for pattern in rule["onPodConditions"]?.array ?? [] {
                let type = pattern["type"]?.string ?? ""
                let status = pattern["status"]?.string ?? "True"
                if pod.conditions[type]?.status == status {
                    return (
                        action,
                        "Pod \(pod.namespace)/\(pod.name) has condition \(type) matching \(action) rule at index \(i)"
                    )
                }
            }
        }
        return ("Count", "")
    }

    /// `0-2,4`: the indexes as ranges, as `completedIndexes` writes them.
    public static func ranges(_ indexes: Set<Int>) -> String {
        var parts: [String] = []
        var sorted = indexes.sorted()[...]
        while let first = sorted.first {
            var last = first
            sorted = sorted.dropFirst()
            while sorted.first == last + 1 {
                last += 1
                sorted = sorted.dropFirst()
            }
            parts.append(first == last ? "\(first)" : "\(first)-\(last)")
        }
        return parts.joined(separator: ",")
    }

    public struct Plan: Sendable, Equatable {
        /// Pods to make: nil for a non-indexed pod, else its index.
        public var creates: [Int?] = []
        public var deletes: [String] = []
        public var status: JSON = .emptyObject
        /// Look again after this, though nothing changes (back-off, deadline, TTL).
        public var recheckAfter: Duration?
        /// `ttlSecondsAfterFinished` has passed: the Job goes, its pods with it.
        public var deleteJob = false
        /// Events to record: (type, reason, message).
        public var events: [(String, String, String)] = []

        public static func == (a: Plan, b: Plan) -> Bool {
            a.creates == b.creates && a.deletes == b.deletes && a.status == b.status && a.recheckAfter == b.recheckAfter
                && a.deleteJob == b.deleteJob
        }
    }

    static func condition(
        _ type: String,
        _ reason: String,
        _ message: String,
        now: Timestamp,
        status: String = "True"
    )
        -> JSON
    {
        [
            "type": .string(type), "status": .string(status), "reason": .string(reason), "message": .string(message),
            "lastProbeTime": .string(now.rfc3339), "lastTransitionTime": .string(now.rfc3339),
        ]
    }

    public static func plan(_ job: Job, pods: [Pod], now: Timestamp) -> Plan {
        var plan = Plan()
        var status = job.status
        var conditions = status["conditions"]?.array ?? []
        func setCondition(_ c: JSON) {
            let type = c["type"]?.string
            if let i = conditions.firstIndex(where: { $0["type"]?.string == type }) {
                if conditions[i]["status"] == c["status"], conditions[i]["reason"] == c["reason"] { return }
                conditions[i] = c
            } else {
                conditions.append(c)
            }
        }
        let active = pods.filter { !$0.isTerminal && !$0.metadata.isDeleting }
        let terminating = pods.filter { !$0.isTerminal && $0.metadata.isDeleting }
        let succeededPods = pods.filter { $0.phase == "Succeeded" }
        let failedPods = pods.filter { $0.phase == "Failed" }
        var failJob: (reason: String, message: String)?
        var counted = 0
        for p in failedPods.sorted(by: { ($0.finishedAt ?? "") < ($1.finishedAt ?? "") }) {
            let (action, message) = failureAction(job, p)
            switch action {
            case "Ignore": continue
            case "FailJob":
                counted += 1
                if failJob == nil { failJob = ("PodFailurePolicy", message) }
            default: counted += 1
            }
        }
        let succeededIndexes = Set(succeededPods.compactMap(index(of:)))
        let succeeded = job.indexed ? succeededIndexes.count : succeededPods.count

        if job.isFinished {
            plan.deletes = active.map(\.name)
            if let ttl = job.ttlSecondsAfterFinished,
                let done =
                    (status["completionTime"]?.string
                    ?? conditions.first(where: {
                        ["Complete", "Failed"].contains($0["type"]?.string ?? "")
                    })?["lastTransitionTime"]?.string).flatMap(Timestamp.init(rfc3339:))
            {
                let left = done.seconds + Int64(ttl) - now.seconds
                if left <= 0 { plan.deleteJob = true } else { plan.recheckAfter = .seconds(left) }
            }
        } else if job.suspend {
            plan.deletes = active.map(\.name)
            if conditions.first(where: { $0["type"]?.string == "Suspended" })?["status"]?.string != "True" {
                setCondition(condition("Suspended", "JobSuspended", "Job suspended", now: now))
                plan.events.append(("Normal", "Suspended", "Job suspended"))
            }
            status["startTime"] = nil
        } else {
            if conditions.contains(where: { $0["type"]?.string == "Suspended" && $0["status"]?.string == "True" }) {
                setCondition(condition("Suspended", "JobResumed", "Job resumed", now: now, status: "False"))
                plan.events.append(("Normal", "Resumed", "Job resumed"))
            }
            if status["startTime"] == nil || status["startTime"] == .null { status["startTime"] = .string(now.rfc3339) }
            let start = status["startTime"]?.string.flatMap(Timestamp.init(rfc3339:)) ?? now
            if failJob == nil, counted > job.backoffLimit {
                failJob = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
            }
            if failJob == nil, let deadline = job.activeDeadlineSeconds {
                let left = start.seconds + Int64(deadline) - now.seconds
                if left <= 0 {
                    failJob = ("DeadlineExceeded", "Job was active longer than specified deadline")
                } else {
                    plan.recheckAfter = .seconds(left)
                }
            }
            let complete: Bool
            if let c = job.completions {
                complete = succeeded >= c
            } else {
                complete = succeeded > 0 && active.isEmpty
            }
            if let failJob {
                setCondition(condition("FailureTarget", failJob.reason, failJob.message, now: now))
                setCondition(condition("Failed", failJob.reason, failJob.message, now: now))
                plan.deletes = active.map(\.name)
                plan.events.append(("Warning", failJob.reason, failJob.message))
                plan.recheckAfter = nil
            } else if complete {
                let message = "Reached expected number of succeeded pods"
                setCondition(condition("SuccessCriteriaMet", "CompletionsReached", message, now: now))
                setCondition(condition("Complete", "CompletionsReached", message, now: now))
                status["completionTime"] = .string(now.rfc3339)
                plan.deletes = active.map(\.name)
                plan.events.append(("Normal", "Completed", "Job completed"))
                plan.recheckAfter = job.ttlSecondsAfterFinished.map { .seconds(Int64($0)) }
            } else {
                // After a failure, the next pod waits 10 s, doubling per failure up to 6 min.
                var wait: Int64 = 0
                if counted > 0, let last = failedPods.compactMap(\.finishedAt).max().flatMap(Timestamp.init(rfc3339:)) {
                    let delay = min(backoffBase << min(Int64(counted - 1), 10), backoffMax)
                    wait = last.seconds + delay - now.seconds
                }
                if wait > 0 {
                    plan.recheckAfter = .seconds(min(wait, plan.recheckAfter.map { $0.components.seconds } ?? wait))
                } else if job.indexed, let c = job.completions {
                    let running = Set(active.compactMap(index(of:)))
                    let pending = (0..<c).filter { !succeededIndexes.contains($0) && !running.contains($0) }
                    plan.creates = pending.prefix(max(job.parallelism - active.count, 0)).map { Optional($0) }
                } else {
                    let remaining = job.completions.map { $0 - succeeded } ?? (succeeded > 0 ? 0 : job.parallelism)
                    let want = min(job.parallelism, max(remaining, 0))
                    if active.count < want {
                        plan.creates = Array(repeating: nil, count: want - active.count)
                    } else if active.count > want {
                        let newest = active.sorted {
                            ($0.metadata.creationTimestamp ?? "") > ($1.metadata.creationTimestamp ?? "")
                        }
                        plan.deletes = newest.prefix(active.count - want).map(\.name)
                    }
                }
            }
        }
        status["conditions"] = conditions.isEmpty ? nil : .array(conditions)
        status["active"] = JSON(max(active.count - plan.deletes.count, 0))
        status["ready"] = JSON(active.filter(\.isReady).count)
        status["succeeded"] = JSON(succeeded)
        status["failed"] = JSON(counted)
        status["terminating"] = JSON(terminating.count + plan.deletes.count)
        status["uncountedTerminatedPods"] = .emptyObject
        if job.indexed { status["completedIndexes"] = .string(ranges(succeededIndexes)) }
        for key in ["active", "succeeded", "failed"] where status[key] == 0 { status[key] = nil }
        plan.status = status
        return plan
    }
}
