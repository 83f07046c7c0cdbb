import Synchronization

/// Fans store events out to watchers, in revision order, without gaps between a watcher's
/// replayed history and its live events.
///
/// A new watcher is registered *before* its history is read; live events that arrive meanwhile
/// are held and released after the history, skipping any revision the history already covered.
public final class WatchHub: Sendable {
    /// Events a watcher may have queued before it is closed as too slow.
    public let bufferLimit: Int

    private struct Watcher {
        let prefix: String
        let continuation: AsyncThrowingStream<StoreEvent, any Error>.Continuation
        var pending: [StoreEvent]?  // non-nil while the history is being replayed
        var delivered: Int64
    }

    private struct State {
        var nextID = 0
        var watchers: [Int: Watcher] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    public init(bufferLimit: Int = 100_000) { self.bufferLimit = bufferLimit }

    public struct Registration: Sendable {
        public let id: Int
        public let stream: AsyncThrowingStream<StoreEvent, any Error>
    }

    /// Registers a watcher in replay mode; call `finishReplay` with its history next.
    public func register(prefix: String, afterRevision: Int64) throws -> Registration {
        let (stream, continuation) = AsyncThrowingStream<StoreEvent, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(bufferLimit)
        )
        let id = try state.withLock { s -> Int in
            guard !s.closed else { throw StoreError.closed }
            let id = s.nextID
            s.nextID += 1
            s.watchers[id] = Watcher(prefix: prefix, continuation: continuation, pending: [], delivered: afterRevision)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.watchers.removeValue(forKey: id) }
        }
        return Registration(id: id, stream: stream)
    }

    /// Delivers the replayed history, then whatever arrived live meanwhile, and goes live.
    public func finishReplay(id: Int, history: [StoreEvent]) {
        let tooSlow = state.withLock { s -> Watcher? in
            guard var w = s.watchers[id] else { return nil }
            var ok = true
            for e in history where ok && e.revision > w.delivered {
                ok = Self.send(e, to: &w)
            }
            for e in w.pending ?? [] where ok && e.revision > w.delivered {
                ok = Self.send(e, to: &w)
            }
            w.pending = nil
            if ok {
                s.watchers[id] = w
                return nil
            }
            s.watchers[id] = nil
            return w
        }
        // Finished outside the lock: termination handlers take the lock themselves.
        tooSlow?.continuation.finish(throwing: StoreError.watcherTooSlow)
    }

    public func fail(id: Int, error: any Error) {
        let w = state.withLock { $0.watchers.removeValue(forKey: id) }
        w?.continuation.finish(throwing: error)
    }

    /// Called by the store, in revision order, once the write is durable.
    public func publish(_ event: StoreEvent) {
        let tooSlow = state.withLock { s -> [Watcher] in
            var dropped: [Watcher] = []
            for (id, var w) in s.watchers where event.kv.key.hasPrefix(w.prefix) {
                if w.pending != nil {
                    w.pending!.append(event)
                    s.watchers[id] = w
                } else if Self.send(event, to: &w) {
                    s.watchers[id] = w
                } else {
                    dropped.append(w)
                    s.watchers[id] = nil
                }
            }
            return dropped
        }
        for w in tooSlow { w.continuation.finish(throwing: StoreError.watcherTooSlow) }
    }

    public var watcherCount: Int { state.withLock { $0.watchers.count } }

    public func closeAll() {
        let ws = state.withLock { s -> [Watcher] in
            s.closed = true
            defer { s.watchers = [:] }
            return Array(s.watchers.values)
        }
        for w in ws { w.continuation.finish() }
    }

    private static func send(_ e: StoreEvent, to w: inout Watcher) -> Bool {
        switch w.continuation.yield(e) {
        case .enqueued:
            w.delivered = e.revision
            return true
        case .dropped:
            return false
        case .terminated:
            return false
        @unknown default:
            return false
        }
    }
}
