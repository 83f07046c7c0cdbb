/// One stored key with the revisions at which it was created and last changed.
///
/// The data model is etcd's: keys map to opaque values, every write bumps one global revision,
/// and that revision is what Kubernetes calls `resourceVersion`.
public struct KeyValue: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]
    public var createRevision: Int64
    public var modRevision: Int64

    public init(key: String, value: [UInt8], createRevision: Int64, modRevision: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
    }
}

public struct StoreEvent: Sendable, Equatable {
    public enum Kind: Int, Sendable {
        case created = 0
        case updated = 1
        case deleted = 2
    }
    public var kind: Kind
    /// For a deletion: the last value, with `modRevision` set to the revision of the deletion.
    public var kv: KeyValue
    /// The value before this change (nil for a creation), so watchers can tell
    /// an object entering or leaving their selector.
    public var prevValue: [UInt8]?
    public var revision: Int64 { kv.modRevision }

    public init(kind: Kind, kv: KeyValue, prevValue: [UInt8]? = nil) {
        self.kind = kind
        self.kv = kv
        self.prevValue = prevValue
    }
}

public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case alreadyExists(key: String)
    case notFound(key: String)
    /// The key changed since the revision the caller based its write on.
    case conflict(key: String, currentRevision: Int64)
    /// The requested revision is older than the kept history.
    case compacted(requested: Int64, oldest: Int64)
    /// A watcher fell too far behind and was closed; the client must list again.
    case watcherTooSlow
    case closed
    case backend(String)

    public var description: String {
        switch self {
        case .alreadyExists(let k): return "key \(k) already exists"
        case .notFound(let k): return "key \(k) not found"
        case .conflict(let k, let r): return "key \(k) was modified (now at revision \(r))"
        case .compacted(let req, let oldest): return "revision \(req) has been compacted (oldest kept: \(oldest))"
        case .watcherTooSlow: return "watcher fell behind and was closed"
        case .closed: return "store is closed"
        case .backend(let m): return "store backend error: \(m)"
        }
    }
}

/// The contract every storage engine meets (memory, SQLite, and etcd later).
/// `StoreConformance` in the tests holds one suite that runs against each.
public protocol Store: Sendable {
    func get(_ key: String) async throws -> KeyValue?
    /// Every key under `prefix`, sorted by key, and the store revision the list reflects.
    func list(prefix: String) async throws -> (items: [KeyValue], revision: Int64)
    func count(prefix: String) async throws -> Int
    func create(_ key: String, value: [UInt8]) async throws -> KeyValue
    /// Replaces a key's value. With `expectedModRevision` the write fails with `.conflict`
    /// unless the key is still at that revision.
    func update(_ key: String, value: [UInt8], expectedModRevision: Int64?) async throws -> KeyValue
    /// Removes a key; returns its last value with `modRevision` = the deletion's revision.
    func delete(_ key: String, expectedModRevision: Int64?) async throws -> KeyValue
    /// Events under `prefix` with revision > `afterRevision`, in revision order, then live ones.
    /// Throws `.compacted` when `afterRevision` is older than the kept history.
    func watch(prefix: String, afterRevision: Int64) async throws -> AsyncThrowingStream<StoreEvent, any Error>
    func currentRevision() async throws -> Int64
    /// Drops history at and below `revision`; watches from there on get `.compacted`.
    func compact(through revision: Int64) async throws
    /// Ends every open watch (the server is shutting down); new watches fail with `.closed`.
    func closeWatches() async
    func close() async
}

/// Prefix ranges: the smallest key greater than every key starting with `prefix`.
func prefixEnd(_ prefix: String) -> String {
    var bytes = Array(prefix.utf8)
    while let last = bytes.last {
        if last < 0xFF {
            bytes[bytes.count - 1] = last + 1
            return String(decoding: bytes, as: UTF8.self)
        }
        bytes.removeLast()
    }
    return "\u{10FFFF}"
}
