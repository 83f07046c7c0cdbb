import Foundation
import KubeAPI
import KubeMachinery
import KubeStore
import Logging

/// Serving watches: the history from the store's log, then live events, with bookmarks,
/// selectors applied to the previous value too, and events decoded once for every watcher.
extension Registry {
    public struct WatchOptions: Sendable {
        public var list = ListOptions()
        public var resourceVersion: String?
        public var sendInitialEvents: Bool?
        public var allowBookmarks = false
        public var timeout: Duration = .seconds(1800)
        public var bookmarkInterval: Duration = .seconds(30)
        public init() {}
    }

    public func watch(
        _ r: Resource,
        namespace: String?,
        options: WatchOptions
    ) async throws(APIError) -> AsyncStream<WatchEvent> {
        let prefix = Resources.key(r, namespace: namespace, name: nil)
        var initial: [JSON] = []
        var startRevision: Int64
        let rv = options.resourceVersion ?? ""
        let sendInitial = options.sendInitialEvents ?? (rv.isEmpty || rv == "0")
        if sendInitial {
            let (items, revision) = try await list(r, namespace: namespace, options: options.list)
            initial = items
            startRevision = revision
            if let explicit = Int64(rv), explicit > revision { startRevision = explicit }
        } else if let n = Int64(rv) {
            startRevision = n
        } else if rv.isEmpty {
            do { startRevision = try await store.currentRevision() } catch {
                throw Self.mapStoreError(error, r, name: "")
            }
        } else {
            throw APIError.badRequest("invalid resource version: \(rv)")
        }

        let (stream, continuation) = AsyncStream<WatchEvent>.makeStream(bufferingPolicy: .unbounded)
        let storeStream: AsyncThrowingStream<StoreEvent, any Error>
        do {
            storeStream = try await store.watch(prefix: prefix, afterRevision: startRevision)
        } catch StoreError.compacted(let req, let oldest) {
            continuation.yield(
                WatchEvent(type: "ERROR", object: APIError.gone("too old resource version: \(req) (\(oldest))").status)
            )
            continuation.finish()
            return stream
        } catch {
            throw Self.mapStoreError(error, r, name: "")
        }

        for obj in initial { continuation.yield(WatchEvent(type: "ADDED", object: obj)) }
        if options.sendInitialEvents == true, options.allowBookmarks {
            continuation.yield(
                WatchEvent(type: "BOOKMARK", object: bookmark(r, revision: startRevision, initialEventsEnd: true))
            )
        }
        let lastRevision = LockedBox(startRevision)
        let pump = Task { [self] in
            do {
                for try await event in storeStream {
                    lastRevision.value = event.revision
                    guard let out = try? translate(r, event, options.list) else { continue }
                    continuation.yield(out)
                }
            } catch StoreError.watcherTooSlow {
                continuation.yield(
                    WatchEvent(
                        type: "ERROR",
                        object: APIError.gone("watch closed: the client fell too far behind; list again").status
                    )
                )
            } catch {}
            continuation.finish()
        }
        let timer = Task { [self] in
            let deadline = ContinuousClock.now.advanced(by: options.timeout)
            while !Task.isCancelled {
                let next = min(deadline, ContinuousClock.now.advanced(by: options.bookmarkInterval))
                try? await Task.sleep(until: next)
                if Task.isCancelled { return }
                if ContinuousClock.now >= deadline { break }
                if options.allowBookmarks {
                    continuation.yield(
                        WatchEvent(
                            type: "BOOKMARK",
                            object: bookmark(r, revision: lastRevision.value, initialEventsEnd: false)
                        )
                    )
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in
            pump.cancel()
            timer.cancel()
        }
        return stream
    }

    func bookmark(_ r: Resource, revision: Int64, initialEventsEnd: Bool) -> JSON {
        var meta: JSON = ["resourceVersion": .string(String(revision))]
        if initialEventsEnd { meta["annotations"] = ["k8s.io/initial-events-end": "true"] }
        return ["kind": .string(r.kind), "apiVersion": .string(r.apiVersion), "metadata": meta]
    }

    /// A store event as the watcher should see it: an object entering its selector is ADDED,
    /// one leaving it is DELETED.
    func translate(_ r: Resource, _ event: StoreEvent, _ options: ListOptions) throws -> WatchEvent? {
        let obj: JSON
        if let cached = decoded.get(event.revision) {
            obj = cached
        } else {
            obj = try decode(event.kv)
            decoded.set(event.revision, obj)
        }
        guard var out = try translateDecoded(r, event, obj, options) else { return nil }
        out.revision = event.revision
        return out
    }

    func translateDecoded(_ r: Resource, _ event: StoreEvent, _ obj: JSON, _ options: ListOptions) throws -> WatchEvent?
    {
        let filtered = !options.labelSelector.isEverything || !options.fieldSelector.isEverything
        switch event.kind {
        case .created:
            return matches(r, obj, options) ? WatchEvent(type: "ADDED", object: obj) : nil
        case .deleted:
            guard !filtered || matches(r, obj, options) else { return nil }
            return WatchEvent(type: "DELETED", object: obj)
        case .updated:
            guard filtered else { return WatchEvent(type: "MODIFIED", object: obj) }
            let now = matches(r, obj, options)
            var before = false
            if let prev = event.prevValue, let p = try? JSON.parse(prev) { before = matches(r, p, options) }
            switch (before, now) {
            case (true, true): return WatchEvent(type: "MODIFIED", object: obj)
            case (false, true): return WatchEvent(type: "ADDED", object: obj)
            case (true, false): return WatchEvent(type: "DELETED", object: obj)
            case (false, false): return nil
            }
        }
    }
}
