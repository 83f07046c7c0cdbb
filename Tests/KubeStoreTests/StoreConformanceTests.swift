import Foundation
import Testing
@testable import KubeStore

/// One suite, run against every store engine: the contract of the `Store` protocol.
enum Engine: String, CaseIterable, CustomTestStringConvertible {
    case memory, sqlite
    var testDescription: String { rawValue }

    func make() throws -> (any Store, String?) {
        switch self {
        case .memory: return (MemoryStore(), nil)
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let path = dir.appendingPathComponent("state.db").path
            return (try SQLiteStore(path: path), path)
        }
    }
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

func collect(_ stream: AsyncThrowingStream<StoreEvent, any Error>, count: Int) async throws -> [StoreEvent] {
    var out: [StoreEvent] = []
    for try await e in stream {
        out.append(e)
        if out.count == count { break }
    }
    return out
}

@Suite struct StoreConformanceTests {
    @Test(arguments: Engine.allCases)
    func createGetUpdateDelete(engine: Engine) async throws {
        let (store, _) = try engine.make()
        let a = try await store.create("/r/a", value: bytes("1"))
        #expect(a.createRevision == a.modRevision)
        await #expect(throws: StoreError.alreadyExists(key: "/r/a")) { try await store.create("/r/a", value: bytes("x")) }
        let got = try await store.get("/r/a")
        #expect(got == a)
        let b = try await store.update("/r/a", value: bytes("2"), expectedModRevision: a.modRevision)
        #expect(b.modRevision > a.modRevision && b.createRevision == a.createRevision)
        await #expect(throws: StoreError.conflict(key: "/r/a", currentRevision: b.modRevision)) {
            try await store.update("/r/a", value: bytes("3"), expectedModRevision: a.modRevision)
        }
        await #expect(throws: StoreError.notFound(key: "/r/missing")) {
            try await store.update("/r/missing", value: bytes("3"), expectedModRevision: nil)
        }
        let deleted = try await store.delete("/r/a", expectedModRevision: b.modRevision)
        #expect(deleted.value == bytes("2") && deleted.modRevision > b.modRevision)
        #expect(try await store.get("/r/a") == nil)
        await #expect(throws: StoreError.notFound(key: "/r/a")) { try await store.delete("/r/a", expectedModRevision: nil) }
        #expect(try await store.currentRevision() == deleted.modRevision)
        await store.close()
    }

    @Test(arguments: Engine.allCases)
    func listsByPrefixSorted(engine: Engine) async throws {
        let (store, _) = try engine.make()
        for k in ["/r/ns2/b", "/r/ns1/b", "/r/ns1/a", "/r/ns10/a", "/s/x"] { _ = try await store.create(k, value: bytes(k)) }
        let (items, rev) = try await store.list(prefix: "/r/ns1/")
        #expect(items.map(\.key) == ["/r/ns1/a", "/r/ns1/b"])
        #expect(rev == 5)
        #expect(try await store.list(prefix: "/r/").items.count == 4)
        #expect(try await store.count(prefix: "/r/") == 4)
        await store.close()
    }

    @Test(arguments: Engine.allCases)
    func watchReplaysHistoryThenGoesLive(engine: Engine) async throws {
        let (store, _) = try engine.make()
        let first = try await store.create("/r/a", value: bytes("1"))
        _ = try await store.update("/r/a", value: bytes("2"), expectedModRevision: nil)
        _ = try await store.create("/other/x", value: bytes("x"))
        let stream = try await store.watch(prefix: "/r/", afterRevision: first.modRevision)
        _ = try await store.delete("/r/a", expectedModRevision: nil)
        _ = try await store.create("/r/b", value: bytes("b"))
        let events = try await collect(stream, count: 3)
        #expect(events.map(\.kind) == [.updated, .deleted, .created])
        #expect(events.map(\.kv.key) == ["/r/a", "/r/a", "/r/b"])
        #expect(events[0].prevValue == bytes("1"))
        #expect(events[1].kv.value == bytes("2"))
        #expect(events.map(\.revision) == events.map(\.revision).sorted())
        await store.close()
    }

    @Test(arguments: Engine.allCases)
    func concurrentWritersGetDistinctRevisionsAndWatchersSeeAllInOrder(engine: Engine) async throws {
        let (store, _) = try engine.make()
        let start = try await store.currentRevision()
        let stream = try await store.watch(prefix: "/c/", afterRevision: start)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<8 {
                group.addTask {
                    for i in 0..<25 { _ = try await store.create("/c/\(w)/\(i)", value: bytes("\(i)")) }
                }
            }
            try await group.waitForAll()
        }
        let events = try await collect(stream, count: 200)
        let revisions = events.map(\.revision)
        #expect(Set(revisions).count == 200)
        #expect(revisions == revisions.sorted())
        #expect(try await store.count(prefix: "/c/") == 200)
        await store.close()
    }

    @Test(arguments: Engine.allCases)
    func compactedRevisionsAreGone(engine: Engine) async throws {
        let (store, _) = try engine.make()
        for i in 0..<5 { _ = try await store.create("/r/\(i)", value: bytes("\(i)")) }
        try await store.compact(through: 3)
        await #expect(throws: StoreError.compacted(requested: 1, oldest: 4)) {
            _ = try await store.watch(prefix: "/r/", afterRevision: 1)
        }
        let stream = try await store.watch(prefix: "/r/", afterRevision: 3)
        let events = try await collect(stream, count: 2)
        #expect(events.map(\.revision) == [4, 5])
        await store.close()
    }
}

@Suite struct SQLiteDurabilityTests {
    @Test func reopenedStoreKeepsDataRevisionsAndHistory() async throws {
        let (s1, path) = try Engine.sqlite.make()
        let a = try await s1.create("/r/a", value: bytes("1"))
        _ = try await s1.update("/r/a", value: bytes("2"), expectedModRevision: a.modRevision)
        await s1.close()
        let s2 = try SQLiteStore(path: try #require(path))
        #expect(try await s2.get("/r/a")?.value == bytes("2"))
        #expect(try await s2.currentRevision() == 2)
        let next = try await s2.create("/r/b", value: bytes("b"))
        #expect(next.modRevision == 3)
        let replay = try await collect(try await s2.watch(prefix: "/r/", afterRevision: 0), count: 3)
        #expect(replay.map(\.revision) == [1, 2, 3])
        await s2.close()
    }

    @Test func unreadableFileGivesClearError() throws {
        #expect(throws: StoreError.self) { try SQLiteStore(path: "/proc/no/such/dir/state.db") }
    }
}
