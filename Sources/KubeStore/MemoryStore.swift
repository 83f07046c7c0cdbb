/// A store that lives in memory only: for tests and for throwaway clusters.
public actor MemoryStore: Store {
    private var data: [String: KeyValue] = [:]
    private var log: [StoreEvent] = []
    private var revision: Int64 = 0
    private var compactedThrough: Int64 = 0
    private let hub = WatchHub()

    public init() {}

    public func get(_ key: String) -> KeyValue? { data[key] }

    public func list(prefix: String) -> (items: [KeyValue], revision: Int64) {
        let items = data.values.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }
        return (items, revision)
    }

    public func count(prefix: String) -> Int { data.keys.reduce(0) { $0 + ($1.hasPrefix(prefix) ? 1 : 0) } }

    public func create(_ key: String, value: [UInt8]) throws -> KeyValue {
        if data[key] != nil { throw StoreError.alreadyExists(key: key) }
        revision += 1
        let kv = KeyValue(key: key, value: value, createRevision: revision, modRevision: revision)
        data[key] = kv
        record(StoreEvent(kind: .created, kv: kv))
        return kv
    }

    public func update(_ key: String, value: [UInt8], expectedModRevision: Int64?) throws -> KeyValue {
        guard let old = data[key] else { throw StoreError.notFound(key: key) }
        if let expected = expectedModRevision, expected != old.modRevision {
            throw StoreError.conflict(key: key, currentRevision: old.modRevision)
        }
        revision += 1
        let kv = KeyValue(key: key, value: value, createRevision: old.createRevision, modRevision: revision)
        data[key] = kv
        record(StoreEvent(kind: .updated, kv: kv, prevValue: old.value))
        return kv
    }

    public func delete(_ key: String, expectedModRevision: Int64?) throws -> KeyValue {
        guard var old = data[key] else { throw StoreError.notFound(key: key) }
        if let expected = expectedModRevision, expected != old.modRevision {
            throw StoreError.conflict(key: key, currentRevision: old.modRevision)
        }
        revision += 1
        data[key] = nil
        old.modRevision = revision
        record(StoreEvent(kind: .deleted, kv: old, prevValue: old.value))
        return old
    }

    private func record(_ event: StoreEvent) {
        log.append(event)
        hub.publish(event)
    }

    public func watch(prefix: String, afterRevision: Int64) throws -> AsyncThrowingStream<StoreEvent, any Error> {
        if afterRevision < compactedThrough {
            throw StoreError.compacted(requested: afterRevision, oldest: compactedThrough + 1)
        }
        let reg = try hub.register(prefix: prefix, afterRevision: afterRevision)
        // The log is sorted by revision: find the first event after the requested one.
        var lo = 0, hi = log.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if log[mid].revision <= afterRevision { lo = mid + 1 } else { hi = mid }
        }
        hub.finishReplay(id: reg.id, history: log[lo...].filter { $0.kv.key.hasPrefix(prefix) })
        return reg.stream
    }

    public func currentRevision() -> Int64 { revision }

    public func compact(through rev: Int64) {
        guard rev > compactedThrough else { return }
        compactedThrough = min(rev, revision)
        log.removeAll { $0.revision <= compactedThrough }
    }

    public func closeWatches() { hub.closeAll() }

    public func close() { hub.closeAll() }
}
