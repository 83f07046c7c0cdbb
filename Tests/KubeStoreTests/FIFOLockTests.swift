import Synchronization
import Testing

@testable import KubeStore

@Suite struct FIFOLockTests {
    /// More waiters than the machine has threads for Swift's tasks: with a lock that blocked
    /// its waiters' threads, nothing else could run until it was released.
    @Test func waitersSuspendAndTakeTheLockInTurn() async {
        let lock = FIFOLock()
        await lock.lock()
        let order = Order()
        var tasks: [Task<Void, Never>] = []
        for i in 0..<16 {
            tasks.append(
                Task {
                    await lock.lock()
                    order.list.withLock { $0.append(i) }
                    lock.unlock()
                }
            )
            while lock.waiting < i + 1 { await Task.yield() }
        }
        #expect(await Task { 42 }.value == 42, "another task ran while 16 waited")
        #expect(order.list.withLock { $0.isEmpty })
        lock.unlock()
        for t in tasks { await t.value }
        #expect(order.list.withLock { $0 } == Array(0..<16))
        // Free again: taken at once.
        await lock.lock()
        #expect(lock.waiting == 0)
        lock.unlock()
    }
}

private final class Order: Sendable {
    let list = Mutex<[Int]>([])
}
