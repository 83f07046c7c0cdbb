import KubeAPI
import KubeClient
import KubeMachinery
import Logging

/// A controller as kube-controller-manager runs one: its informers' changes put keys in a
/// rate-limited `WorkQueue`, and workers reconcile one key at a time. A reconcile that
/// throws is retried after the key's back-off; the other keys go on meanwhile. Success
/// forgets the key's failures.
public protocol Controller: Actor {
    nonisolated var queue: WorkQueue { get }
    nonisolated var logger: Logger { get }
    /// Brings the object (or whatever the key names) to its desired state.
    func reconcile(_ key: String) async throws
}

extension Controller {
    /// Runs `count` workers until the queue shuts down (`stop`).
    public func runWorkers(_ count: Int = 1) async {
        await withDiscardingTaskGroup { group in
            for _ in 0..<max(1, count) { group.addTask { await self.work() } }
        }
    }

    private func work() async {
        while let key = await queue.next() {
            do {
                try await reconcile(key)
                await queue.forget(key)
            } catch {
                if Task.isCancelled {
                    await queue.done(key)
                    return
                }
                let retries = await queue.numRequeues(key)
                // A conflict or a vanished object is the normal race with other writers.
                let routine = (error as? APIError).map { $0.code == 409 || $0.code == 404 } ?? false
                logger.log(
                    level: routine || retries < 3 ? .debug : .warning,
                    "\(queue.name): \(key) not reconciled (retry \(retries + 1)): \(error)"
                )
                await queue.addRateLimited(key)
            }
            await queue.done(key)
        }
    }

    /// Ends the workers: the queue hands out nothing more.
    public func stop() async { await queue.shutDown() }
}
