import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Makes each CronJob's Jobs at the times its schedule names (in its time zone), as its
/// concurrency policy and starting deadline allow, keeps its status, and removes finished
/// Jobs beyond its history limits.
public actor CronJobController: Controller {
    let client: KubeClient
    let cronJobs: Informer<JSON>
    let jobs: Informer<Job>
    let events: EventRecorder
    public nonisolated let queue = WorkQueue(name: "cronjob")
    public nonisolated let logger: Logger
    public static let scheduledAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp"

    public init(client: KubeClient, cronJobs: Informer<JSON>, jobs: Informer<Job>, logger: Logger) {
        self.client = client
        self.cronJobs = cronJobs
        self.jobs = jobs
        self.logger = logger
        events = EventRecorder(client: client, component: "cronjob-controller")
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await c in await self.cronJobs.changes() { await self.queue.add(c.key) } }
            group.addTask {
                for await c in await self.jobs.changes() {
                    guard let j = c.new ?? c.old, let owner = j.metadata.controller, owner.kind == "CronJob" else {
                        continue
                    }
                    await self.queue.add("\(j.namespace)/\(owner.name)")
                }
            }
            group.addTask {
                await self.cronJobs.waitForSync()
                await self.jobs.waitForSync()
                for cj in await self.cronJobs.list() { await self.queue.add(cj.cacheKey) }
                await self.runWorkers()
            }
            await group.waitForAll()
        }
    }

    /// The latest scheduled time in (after, now], and how many were missed before it.
    static func mostRecent(_ schedule: CronSchedule, after: Date, now: Date, zone: TimeZone) -> (Date?, Int) {
        var latest: Date?
        var count = 0
        var t = after
        while let next = schedule.next(after: t, in: zone), next <= now {
            latest = next
            count += 1
            t = next
            if count > 100 { break }
        }
        return (latest, count)
    }

    public func reconcile(_ key: String) async throws {
        guard let cj = await cronJobs.get(key), cj.deletionTimestamp == nil,
            let schedule = CronSchedule(cj[path: ["spec", "schedule"]]?.string ?? "")
        else { return }
        let zone =
            cj[path: ["spec", "timeZone"]]?.string.flatMap(CronSchedule.timeZone) ?? TimeZone(identifier: "UTC")
            ?? .current
        let owned = await jobs.list(namespace: cj.namespace).filter { $0.metadata.controller?.uid == cj.uid }
        var running = owned.filter { !$0.isFinished && !$0.metadata.isDeleting }
        var status = cj["status"] ?? .emptyObject
        let now = Date()
        let lastScheduled =
            (status["lastScheduleTime"]?.string ?? cj[path: ["metadata", "creationTimestamp"]]?.string)
            .flatMap(Timestamp.init(rfc3339:)).map { Date(timeIntervalSince1970: TimeInterval($0.seconds)) } ?? now
        if cj[path: ["spec", "suspend"]]?.bool != true {
            let (due, missed) = Self.mostRecent(schedule, after: lastScheduled, now: now, zone: zone)
            if missed > 100 {
                await events.record(
                    cj,
                    type: "Warning",
                    reason: "TooManyMissedTimes",
                    message:
                        "too many missed start times: \(missed). Set or decrease .spec.startingDeadlineSeconds or check clock skew"
                )
            }
            if let due {
                let deadline = cj[path: ["spec", "startingDeadlineSeconds"]]?.int
                let late = now.timeIntervalSince(due)
                let policy = cj[path: ["spec", "concurrencyPolicy"]]?.string ?? "Allow"
                if let deadline, late > Double(deadline) {
                    await events.record(
                        cj,
                        type: "Warning",
                        reason: "MissSchedule",
                        message:
                            "Missed scheduled time to start a job: \(Timestamp(seconds: Int64(due.timeIntervalSince1970)).rfc3339)"
                    )
                    status["lastScheduleTime"] = .string(Timestamp(seconds: Int64(due.timeIntervalSince1970)).rfc3339)
                } else if policy == "Forbid", !running.isEmpty {
                    await events.record(
                        cj,
                        reason: "JobAlreadyActive",
                        message: "Not starting job because prior execution is running and concurrency policy is Forbid"
                    )
                } else {
                    if policy == "Replace" {
                        for j in running {
                            _ = try? await client.delete(
                                Resources.jobs,
                                namespace: j.namespace,
                                name: j.name,
                                propagationPolicy: "Background"
                            )
                            await events.record(cj, reason: "SuccessfulDelete", message: "Deleted job \(j.name)")
                        }
                        running = []
                    }
                    let job = Self.job(cj, scheduledAt: due)
                    do {
                        let made = try await client.create(Resources.jobs, namespace: cj.namespace, job)
                        running.append(Job(made))
                        await events.record(cj, reason: "SuccessfulCreate", message: "Created job \(made.name)")
                    } catch let e as APIError where e.code == 409 {
                        // Made already (by an earlier pass): the time is taken.
                    }
                    status["lastScheduleTime"] = .string(Timestamp(seconds: Int64(due.timeIntervalSince1970)).rfc3339)
                }
            }
        }
        status["active"] =
            running.isEmpty
            ? nil
            : .array(
                running.map {
                    [
                        "apiVersion": "batch/v1", "kind": "Job", "name": .string($0.name),
                        "namespace": .string($0.namespace), "uid": .string($0.metadata.uid),
                    ]
                }
            )
        let succeeded = owned.filter { $0.finishedCondition == "Complete" }
        if let last = succeeded.compactMap({ $0.status["completionTime"]?.string }).max() {
            status["lastSuccessfulTime"] = .string(last)
        }
        if status != (cj["status"] ?? .emptyObject) {
            _ = try await client.patch(
                Resources.cronjobs,
                namespace: cj.namespace,
                name: cj.name,
                ["status": status],
                subresource: "status"
            )
        }
        await pruneHistory(cj, owned: owned)
        if let next = schedule.next(after: now, in: zone) {
            await queue.add(key, after: .milliseconds(Int64(max(next.timeIntervalSince(Date()), 0) * 1000) + 200))
        }
    }

    /// The Job for the run scheduled at `time`: `<cronjob>-<minutes since the epoch>`.
    static func job(_ cj: JSON, scheduledAt time: Date) -> JSON {
        let template = cj[path: ["spec", "jobTemplate"]] ?? .emptyObject
        var meta: JSON = [
            "name": .string("\(cj.name)-\(Int64(time.timeIntervalSince1970) / 60)"),
            "namespace": .string(cj.namespace),
            "ownerReferences": [
                [
                    "apiVersion": "batch/v1", "kind": "CronJob", "name": .string(cj.name), "uid": .string(cj.uid),
                    "controller": true, "blockOwnerDeletion": true,
                ]
            ],
        ]
        if let labels = template[path: ["metadata", "labels"]] { meta["labels"] = labels }
        var annotations = template[path: ["metadata", "annotations"]]?.object ?? JSONObject()
        annotations[scheduledAnnotation] = .string(Timestamp(seconds: Int64(time.timeIntervalSince1970)).rfc3339)
        meta["annotations"] = .object(annotations)
        return ["apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": template["spec"] ?? .emptyObject]
    }

    func pruneHistory(_ cj: JSON, owned: [Job]) async {
        for (kind, limitKey) in [("Complete", "successfulJobsHistoryLimit"), ("Failed", "failedJobsHistoryLimit")] {
            let limit = cj[path: ["spec", limitKey]]?.int.map(Int.init) ?? (kind == "Complete" ? 3 : 1)
            let finished = owned.filter { $0.finishedCondition == kind && !$0.metadata.isDeleting }
                .sorted { ($0.metadata.creationTimestamp ?? "") < ($1.metadata.creationTimestamp ?? "") }
            guard finished.count > limit else { continue }
            for j in finished.prefix(finished.count - max(limit, 0)) {
                _ = try? await client.delete(
                    Resources.jobs,
                    namespace: j.namespace,
                    name: j.name,
                    propagationPolicy: "Background"
                )
                await events.record(
                    cj,
                    reason: "SawCompletedJob",
                    message: "Saw completed job: \(j.name), status: \(kind)"
                )
            }
        }
    }
}
