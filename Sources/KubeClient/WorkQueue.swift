import Metrics

/// The queue of keys a controller reconciles, with client-go's `workqueue` semantics:
///
/// - a key added while it waits is handled once; a key is never handed to two workers at
///   the same time (one added while being processed waits until `done`, then goes again);
/// - `add(_:after:)` holds a key back for a while (a retry, a periodic check);
/// - `addRateLimited` holds it back for the key's own exponential back-off (5 ms, doubling
///   per failure, up to `maxDelay`), and `forget` resets that after a success — so a key
///   that keeps failing waits longer and longer, and never holds up the others;
/// - `shutDown` wakes every worker with nil.
///
/// It reports depth, adds and retries as `workqueue_depth`, `workqueue_adds_total` and
/// `workqueue_retries_total` with a `name` label, as client-go does, to whatever metrics
/// backend the process bootstrapped.
public actor WorkQueue {
    public struct Configuration: Sendable {
        public var baseDelay: Duration = .milliseconds(5)
        public var maxDelay: Duration = .seconds(1000)
        public init() {}
    }

    public nonisolated let name: String
    public nonisolated let configuration: Configuration
    private var pending: [String] = []
    private var pendingHead = 0
    private var queued: Set<String> = []
    private var processing: Set<String> = []
    private var dirty: Set<String> = []
    private var waiters: [CheckedContinuation<String?, Never>] = []
    private var failures: [String: Int] = [:]
    /// Keys held back, with the instant each is due; the earliest wins when added twice.
    private var delayed: [String: ContinuousClock.Instant] = [:]
    private var timer: Task<Void, Never>?
    private var closed = false
    private let depthGauge: Gauge
    private let addsCounter: Counter
    private let retriesCounter: Counter
    public private(set) var adds = 0
    public private(set) var retries = 0

    public init(name: String = "", configuration: Configuration = Configuration()) {
        self.name = name
        self.configuration = configuration
        depthGauge = Gauge(label: "workqueue_depth", dimensions: [("name", name)])
        addsCounter = Counter(label: "workqueue_adds_total", dimensions: [("name", name)])
        retriesCounter = Counter(label: "workqueue_retries_total", dimensions: [("name", name)])
    }

    /// Keys waiting to be handed out (not those being processed or held back).
    public var depth: Int { pending.count - pendingHead }

    public func add(_ key: String) {
        guard !closed else { return }
        adds += 1
        addsCounter.increment()
        if processing.contains(key) {
            dirty.insert(key)
            return
        }
        guard !queued.contains(key) else { return }
        if !waiters.isEmpty {
            processing.insert(key)
            waiters.removeFirst().resume(returning: key)
            return
        }
        queued.insert(key)
        pending.append(key)
        depthGauge.record(depth)
    }

    /// Adds `key` once `delay` has passed (at once if it is not positive).
    public func add(_ key: String, after delay: Duration) {
        guard !closed else { return }
        guard delay > .zero else { return add(key) }
        let due = ContinuousClock.now + delay
        if let earlier = delayed[key], earlier <= due { return }
        delayed[key] = due
        armTimer()
    }

    /// Adds `key` after its back-off: `baseDelay * 2^failures`, capped at `maxDelay`.
    public func addRateLimited(_ key: String) {
        retries += 1
        retriesCounter.increment()
        add(key, after: backoff(for: key))
        failures[key, default: 0] += 1
    }

    /// The key succeeded: its next failure starts the back-off afresh.
    public func forget(_ key: String) { failures[key] = nil }

    /// How many times in a row `key` has been retried.
    public func numRequeues(_ key: String) -> Int { failures[key] ?? 0 }

    func backoff(for key: String) -> Duration {
        let n = failures[key] ?? 0
        // 2^n overflows long before it matters: past 40 doublings it is the cap anyway.
        guard n < 40 else { return configuration.maxDelay }
        return min(configuration.baseDelay * (1 << n), configuration.maxDelay)
    }

    /// The next key to work on, suspending until there is one; nil once shut down.
    public func next() async -> String? {
        if pendingHead < pending.count {
            let k = pending[pendingHead]
            pendingHead += 1
            if pendingHead > 1024, pendingHead * 2 > pending.count {
                pending.removeFirst(pendingHead)
                pendingHead = 0
            }
            queued.remove(k)
            processing.insert(k)
            depthGauge.record(depth)
            return k
        }
        if closed { return nil }
        return await withCheckedContinuation { waiters.append($0) }
    }

    /// The worker finished `key`; if it was added meanwhile, it goes again now.
    public func done(_ key: String) {
        processing.remove(key)
        if dirty.remove(key) != nil { add(key) }
    }

    public func shutDown() {
        closed = true
        timer?.cancel()
        timer = nil
        delayed = [:]
        for w in waiters { w.resume(returning: nil) }
        waiters = []
    }

    private func armTimer() {
        timer?.cancel()
        guard let due = delayed.values.min() else {
            timer = nil
            return
        }
        timer = Task { [weak self] in
            try? await Task.sleep(until: due, clock: .continuous)
            guard !Task.isCancelled else { return }
            await self?.releaseDue()
        }
    }

    private func releaseDue() {
        let now = ContinuousClock.now
        for (key, due) in delayed where due <= now {
            delayed[key] = nil
            add(key)
        }
        armTimer()
    }
}
