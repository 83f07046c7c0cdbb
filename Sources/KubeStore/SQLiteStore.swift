import Foundation
import GRDB
import Synchronization

/// The embedded default: one SQLite file in WAL mode.
///
/// Two tables, as in kine: `kv` holds the current value of each key, `log` every change with
/// its revision, so watches can replay from any revision that has not been compacted.
/// `synchronous=NORMAL` in WAL mode keeps every acknowledged write across a crash of the
/// process (the WAL is written before the call returns); only a power loss can cost the tail.
public final class SQLiteStore: Store {
    private let pool: DatabasePool
    private let hub = WatchHub()
    /// SQLite has one writer at a time. Writes wait for their turn here, suspended, rather than
    /// in GRDB's writer queue, which would block the thread: with as many threads as cores
    /// in Swift's pool, two blocked writers on two cores stop every other task (request
    /// handling, the controllers) until the first commits.
    private let writers = FIFOLock()
    public let path: String

    public init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.journalMode = .wal
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try pool.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS kv (
                            key TEXT PRIMARY KEY NOT NULL,
                            value BLOB NOT NULL,
                            create_rev INTEGER NOT NULL,
                            mod_rev INTEGER NOT NULL
                        ) WITHOUT ROWID;
                        CREATE TABLE IF NOT EXISTS log (
                            rev INTEGER PRIMARY KEY NOT NULL,
                            key TEXT NOT NULL,
                            value BLOB NOT NULL,
                            create_rev INTEGER NOT NULL,
                            kind INTEGER NOT NULL,
                            prev_value BLOB
                        );
                        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);
                        INSERT OR IGNORE INTO meta VALUES ('revision', 0), ('compacted', 0);
                        """
                )
            }
        } catch {
            throw StoreError.backend("cannot open SQLite store at \(path): \(error)")
        }
    }

    private static func row(_ r: Row) -> KeyValue {
        KeyValue(
            key: r["key"],
            value: [UInt8](r["value"] as Data),
            createRevision: r["create_rev"],
            modRevision: r["mod_rev"]
        )
    }

    public func get(_ key: String) async throws -> KeyValue? {
        try wrap {
            try pool.read { db in
                try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM kv WHERE key = ?"), arguments: [key]).map(
                    Self.row
                )
            }
        }
    }

    public func list(prefix: String) async throws -> (items: [KeyValue], revision: Int64) {
        try wrap {
            try pool.read { db in
                let rev =
                    try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE name = 'revision'")) ?? 0
                let rows = try Row.fetchAll(
                    db,
                    sql: "SELECT * FROM kv WHERE key >= ? AND key < ? ORDER BY key",
                    arguments: [prefix, prefixEnd(prefix)]
                )
                return (rows.map(Self.row), rev)
            }
        }
    }

    public func count(prefix: String) async throws -> Int {
        try wrap {
            try pool.read { db in
                try Int.fetchOne(
                    db,
                    sql: "SELECT count(*) FROM kv WHERE key >= ? AND key < ?",
                    arguments: [prefix, prefixEnd(prefix)]
                ) ?? 0
            }
        }
    }

    /// Runs one write transaction that bumps the revision; publishes the event after commit,
    /// on the writer queue, so watchers see events in revision order.
    private func write(_ body: @escaping @Sendable (Database, Int64) throws -> StoreEvent) async throws -> StoreEvent {
        let hub = self.hub
        await writers.lock()
        defer { writers.unlock() }
        return try wrap {
            try pool.write { db in
                let rev =
                    (try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE name = 'revision'")) ?? 0)
                    + 1
                let event = try body(db, rev)
                try db.cachedStatement(sql: "UPDATE meta SET value = ? WHERE name = 'revision'").execute(arguments: [
                    rev
                ])
                try db.cachedStatement(
                    sql: "INSERT INTO log (rev, key, value, create_rev, kind, prev_value) VALUES (?, ?, ?, ?, ?, ?)"
                ).execute(
                    arguments: [
                        rev, event.kv.key, Data(event.kv.value), event.kv.createRevision, event.kind.rawValue,
                        event.prevValue.map { Data($0) },
                    ])
                db.afterNextTransaction { _ in hub.publish(event) }
                return event
            }
        }
    }

    public func create(_ key: String, value: [UInt8]) async throws -> KeyValue {
        try await write { db, rev in
            if try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM kv WHERE key = ?"), arguments: [key]) != nil {
                throw StoreError.alreadyExists(key: key)
            }
            let kv = KeyValue(key: key, value: value, createRevision: rev, modRevision: rev)
            try db.cachedStatement(sql: "INSERT INTO kv (key, value, create_rev, mod_rev) VALUES (?, ?, ?, ?)")
                .execute(arguments: [key, Data(value), rev, rev])
            return StoreEvent(kind: .created, kv: kv)
        }.kv
    }

    public func update(_ key: String, value: [UInt8], expectedModRevision: Int64?) async throws -> KeyValue {
        try await write { db, rev in
            guard
                let old = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT value, create_rev, mod_rev FROM kv WHERE key = ?"),
                    arguments: [key]
                )
            else { throw StoreError.notFound(key: key) }
            let oldMod: Int64 = old["mod_rev"]
            if let expected = expectedModRevision, expected != oldMod {
                throw StoreError.conflict(key: key, currentRevision: oldMod)
            }
            let kv = KeyValue(key: key, value: value, createRevision: old["create_rev"], modRevision: rev)
            try db.cachedStatement(sql: "UPDATE kv SET value = ?, mod_rev = ? WHERE key = ?").execute(arguments: [
                Data(value), rev, key,
            ])
            return StoreEvent(kind: .updated, kv: kv, prevValue: [UInt8](old["value"] as Data))
        }.kv
    }

    public func delete(_ key: String, expectedModRevision: Int64?) async throws -> KeyValue {
        try await write { db, rev in
            guard
                let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM kv WHERE key = ?"), arguments: [key])
            else { throw StoreError.notFound(key: key) }
            var kv = Self.row(row)
            if let expected = expectedModRevision, expected != kv.modRevision {
                throw StoreError.conflict(key: key, currentRevision: kv.modRevision)
            }
            try db.cachedStatement(sql: "DELETE FROM kv WHERE key = ?").execute(arguments: [key])
            kv.modRevision = rev
            return StoreEvent(kind: .deleted, kv: kv, prevValue: kv.value)
        }.kv
    }

    public func watch(prefix: String, afterRevision: Int64) async throws -> AsyncThrowingStream<StoreEvent, any Error> {
        let reg = try hub.register(prefix: prefix, afterRevision: afterRevision)
        do {
            let history = try wrap {
                try pool.read { db -> [StoreEvent] in
                    let compacted = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'compacted'") ?? 0
                    if afterRevision < compacted {
                        throw StoreError.compacted(requested: afterRevision, oldest: compacted + 1)
                    }
                    let rows = try Row.fetchAll(
                        db,
                        sql: "SELECT * FROM log WHERE rev > ? AND key >= ? AND key < ? ORDER BY rev",
                        arguments: [afterRevision, prefix, prefixEnd(prefix)]
                    )
                    return rows.map { r in
                        StoreEvent(
                            kind: StoreEvent.Kind(rawValue: r["kind"]) ?? .updated,
                            kv: KeyValue(
                                key: r["key"],
                                value: [UInt8](r["value"] as Data),
                                createRevision: r["create_rev"],
                                modRevision: r["rev"]
                            ),
                            prevValue: (r["prev_value"] as Data?).map { [UInt8]($0) }
                        )
                    }
                }
            }
            hub.finishReplay(id: reg.id, history: history)
        } catch {
            hub.fail(id: reg.id, error: error)
            throw error
        }
        return reg.stream
    }

    public func currentRevision() async throws -> Int64 {
        try wrap {
            try pool.read { db in
                try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE name = 'revision'")) ?? 0
            }
        }
    }

    public func compact(through revision: Int64) async throws {
        await writers.lock()
        defer { writers.unlock() }
        try wrap {
            try pool.write { db in
                let current = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'compacted'") ?? 0
                guard revision > current else { return }
                try db.execute(sql: "DELETE FROM log WHERE rev <= ?", arguments: [revision])
                try db.execute(sql: "UPDATE meta SET value = ? WHERE name = 'compacted'", arguments: [revision])
            }
        }
    }

    public func closeWatches() async { hub.closeAll() }

    public func close() async {
        hub.closeAll()
        try? pool.close()
    }

    /// SQLite calls run synchronously on the caller's thread: they take microseconds, less
    /// than the thread hops of GRDB's asynchronous calls. Writers take turns in `writers`
    /// first. Reads stay synchronous too: GRDB's asynchronous reads hold a reader connection
    /// while suspended, and a synchronous read waiting for one then blocks a thread that the
    /// holder needs to finish (seen: a server with both of its pool threads stuck so).
    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError.backend(String(describing: error))
        }
    }
}

/// A first-come, first-served lock whose waiters suspend instead of blocking their thread.
/// Taking it when free costs one uncontended mutex.
final class FIFOLock: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var head = 0
    }
    private let state = Mutex(State())

    func lock() async {
        if state.withLock({ s in
            defer { s.held = true }
            return !s.held
        }) {
            return
        }
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            // Freed meanwhile: take it; otherwise wait for `unlock` to hand it over.
            let freed = state.withLock { s -> Bool in
                if s.held { s.waiters.append(waiter) }
                defer { s.held = true }
                return !s.held
            }
            if freed { waiter.resume() }
        }
    }

    var waiting: Int { state.withLock { $0.waiters.count - $0.head } }

    /// Hands the lock to the longest waiter, if any, which then holds it.
    func unlock() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard s.head < s.waiters.count else {
                s.held = false
                s.waiters.removeAll(keepingCapacity: true)
                s.head = 0
                return nil
            }
            defer { s.head += 1 }
            return s.waiters[s.head]
        }
        next?.resume()
    }
}
