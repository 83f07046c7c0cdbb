import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Runs each Job's pods to completion (`Jobs.plan`), reports its status and conditions,
/// and removes a finished Job once its `ttlSecondsAfterFinished` has passed (upstream's
/// job and ttl-after-finished controllers).
public actor JobController: Controller {
    let client: KubeClient
    let jobs: Informer<Job>
    let pods: Informer<Pod>
    let events: EventRecorder
    public nonisolated let queue = WorkQueue(name: "job")
    public nonisolated let logger: Logger

    public init(client: KubeClient, jobs: Informer<Job>, pods: Informer<Pod>, logger: Logger) {
        self.client = client
        self.jobs = jobs
        self.pods = pods
        self.logger = logger
        events = EventRecorder(client: client, component: "job-controller")
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await c in await self.jobs.changes() { await self.queue.add(c.key) } }
            group.addTask {
                for await c in await self.pods.changes() {
                    guard let p = c.new ?? c.old, let owner = p.metadata.controller, owner.kind == Job.kind else {
                        continue
                    }
                    await self.queue.add("\(p.namespace)/\(owner.name)")
                }
            }
            group.addTask {
                await self.jobs.waitForSync()
                await self.pods.waitForSync()
                for j in await self.jobs.list() { await self.queue.add(j.cacheKey) }
                await self.runWorkers(2)
            }
            await group.waitForAll()
        }
    }

    public func reconcile(_ key: String) async throws {
        guard let job = await jobs.get(key), !job.metadata.isDeleting else { return }
        let owned = await pods.list(namespace: job.namespace).filter { $0.metadata.controller?.uid == job.metadata.uid }
        let plan = Jobs.plan(job, pods: owned, now: .now)
        if plan.deleteJob {
            do {
                _ = try await client.delete(
                    Resources.jobs,
                    namespace: job.namespace,
                    name: job.name,
                    propagationPolicy: "Background",
                    preconditionUID: job.metadata.uid
                )
            } catch let e as APIError where e.code == 404 || e.code == 409 {
                return
            }
            return
        }
        var failure: (any Error)?
        for index in plan.creates {
            do {
                let pod = try await client.create(Resources.pods, namespace: job.namespace, Jobs.pod(job, index: index))
                await events.record(job, reason: "SuccessfulCreate", message: "Created pod: \(pod.name)")
            } catch {
                await events.record(job, type: "Warning", reason: "FailedCreate", message: "Error creating: \(error)")
                failure = error
                break
            }
        }
        for name in plan.deletes {
            do {
                _ = try await client.delete(Resources.pods, namespace: job.namespace, name: name)
                await events.record(job, reason: "SuccessfulDelete", message: "Deleted pod: \(name)")
            } catch let e as APIError where e.code == 404 {
                continue
            } catch {
                failure = error
            }
        }
        if plan.status != job.status {
            _ = try await client.patch(
                Resources.jobs,
                namespace: job.namespace,
                name: job.name,
                ["status": plan.status],
                subresource: "status"
            )
            for (type, reason, message) in plan.events {
                await events.record(job, type: type, reason: reason, message: message)
            }
        }
        if let after = plan.recheckAfter { await queue.add(key, after: after + .milliseconds(100)) }
        if let failure { throw failure }
    }
}
