import Testing

@testable import KubeClient

@Suite struct WorkQueueTests {
    @Test func aKeyAddedTwiceWhileWaitingIsHandedOutOnce() async {
        let q = WorkQueue(name: "test")
        await q.add("a")
        await q.add("b")
        await q.add("a")
        #expect(await q.depth == 2)
        #expect(await q.next() == "a")
        #expect(await q.next() == "b")
        #expect(await q.depth == 0)
    }

    @Test func aKeyAddedWhileProcessingWaitsForDoneThenGoesAgain() async {
        let q = WorkQueue(name: "test")
        await q.add("a")
        let first = await q.next()
        await q.add("a")
        // Not handed to a second worker while the first still has it.
        #expect(await q.depth == 0)
        await q.done(first!)
        #expect(await q.depth == 1)
        #expect(await q.next() == "a")
    }

    @Test func backOffDoublesPerFailureUpToTheCapAndForgetResetsIt() async {
        var config = WorkQueue.Configuration()
        config.baseDelay = .milliseconds(5)
        config.maxDelay = .milliseconds(40)
        let q = WorkQueue(name: "test", configuration: config)
        var delays: [Duration] = []
        for _ in 0..<6 {
            delays.append(await q.backoff(for: "k"))
            await q.addRateLimited("k")
        }
        #expect(
            delays == [
                .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(40), .milliseconds(40),
                .milliseconds(40),
            ]
        )
        #expect(await q.numRequeues("k") == 6)
        #expect(await q.backoff(for: "other") == .milliseconds(5))
        await q.forget("k")
        #expect(await q.numRequeues("k") == 0)
        #expect(await q.backoff(for: "k") == .milliseconds(5))
        #expect(await q.retries == 6)
    }

    @Test func aDelayedKeyArrivesAfterItsDelayAndTheEarliestWins() async {
        let q = WorkQueue(name: "test")
        let start = ContinuousClock.now
        await q.add("late", after: .seconds(30))
        await q.add("late", after: .milliseconds(50))
        await q.add("now")
        #expect(await q.next() == "now")
        #expect(await q.next() == "late")
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(50) && waited < .seconds(30))
    }

    /// A key that keeps failing waits out its back-off in the queue, not in a worker, so a
    /// single worker goes on with the other keys meanwhile.
    @Test func aFailingKeyDoesNotHoldUpTheOthers() async {
        var config = WorkQueue.Configuration()
        config.baseDelay = .seconds(30)
        let q = WorkQueue(name: "test", configuration: config)
        await q.add("bad")
        await q.add("good")
        let bad = await q.next()
        await q.addRateLimited(bad!)
        await q.done(bad!)
        #expect(await q.next() == "good")
        #expect(await q.depth == 0)
    }

    @Test func shutDownWakesWaitingWorkers() async {
        let q = WorkQueue(name: "test")
        async let waiting = q.next()
        try? await Task.sleep(for: .milliseconds(20))
        await q.shutDown()
        #expect(await waiting == nil)
        await q.add("after")
        #expect(await q.next() == nil)
    }
}
