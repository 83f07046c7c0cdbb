import Foundation
import Testing

@testable import KubeStore

/// One suite, run against every store engine: the contract of the `Store` protocol.
enum Engine: String, CaseIterable, CustomTestStringConvertible {
    case memory, sqlite, etcd
    var testDescription: String { rawValue }

    /// Every engine this machine can run: etcd when its server is installed
    /// (scripts/install-deps.sh installs it; each test starts a private one).
    static var available: [Engine] { allCases.filter { $0 != .etcd || EtcdServer.binary != nil } }

    func make() throws -> (any Store, String?) {
        switch self {
        case .memory: return (MemoryStore(), nil)
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
                "swiftlet-store-\(UUID().uuidString)"
            )
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let path = dir.appendingPathComponent("state.db").path
            return (try SQLiteStore(path: path), path)
        case .etcd:
            preconditionFailure("use open()")
        }
    }

    /// Removes the scratch directory `make()` put an SQLite file in.
    static func removeScratch(_ path: String) {
        try? FileManager.default.removeItem(at: URL(fileURLWithPath: path).deletingLastPathComponent())
    }

    /// A fresh store and what ends it (closing the store, and stopping its etcd).
    func open() async throws -> (any Store, @Sendable () async -> Void) {
        guard self == .etcd else {
            let (store, path) = try make()
            return (
                store,
                {
                    await store.close()
                    if let path { Self.removeScratch(path) }
                }
            )
        }
        let server = try await EtcdServer.start()
        let store = try EtcdStore(endpoints: [server.clientURL])
        return (
            store,
            {
                await store.close()
                server.stop()
            }
        )
    }
}

/// A single-member etcd on free loopback ports and a scratch directory, for one test.
final class EtcdServer: @unchecked Sendable {
    static let binary = ["/usr/bin/etcd", "/usr/local/bin/etcd"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    let process = Process()
    let dir: URL
    let clientURL: String

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    private init(dir: URL, client: Int, peer: Int) throws {
        self.dir = dir
        clientURL = "http://127.0.0.1:\(client)"
        let peerURL = "http://127.0.0.1:\(peer)"
        process.executableURL = URL(fileURLWithPath: try #require(Self.binary))
        process.arguments = [
            "--name", "test", "--data-dir", dir.appendingPathComponent("data").path,
            "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
            "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
            "--initial-cluster", "test=\(peerURL)", "--log-level", "error",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    static func start() async throws -> EtcdServer {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-etcd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let server = try EtcdServer(dir: dir, client: freePort(), peer: freePort())
        let probe = try EtcdStore(endpoints: [server.clientURL])
        defer { Task { await probe.close() } }
        for _ in 0..<200 {
            if (try? await probe.currentRevision()) != nil { return server }
            try await Task.sleep(for: .milliseconds(50))
        }
        server.stop()
        throw StoreError.backend("etcd did not start on \(server.clientURL)")
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: dir)
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
    @Test(arguments: Engine.available)
    func createGetUpdateDelete(engine: Engine) async throws {
        let (store, done) = try await engine.open()
        let a = try await store.create("/r/a", value: bytes("1"))
        #expect(a.createRevision == a.modRevision)
        await #expect(throws: StoreError.alreadyExists(key: "/r/a")) {
            try await store.create("/r/a", value: bytes("x"))
        }
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
        await #expect(throws: StoreError.notFound(key: "/r/a")) {
            try await store.delete("/r/a", expectedModRevision: nil)
        }
        #expect(try await store.currentRevision() == deleted.modRevision)
        await done()
    }

    @Test(arguments: Engine.available)
    func listsByPrefixSorted(engine: Engine) async throws {
        let (store, done) = try await engine.open()
        let base = try await store.currentRevision()
        for k in ["/r/ns2/b", "/r/ns1/b", "/r/ns1/a", "/r/ns10/a", "/s/x"] {
            _ = try await store.create(k, value: bytes(k))
        }
        let (items, rev) = try await store.list(prefix: "/r/ns1/")
        #expect(items.map(\.key) == ["/r/ns1/a", "/r/ns1/b"])
        #expect(rev == base + 5)
        #expect(try await store.list(prefix: "/r/").items.count == 4)
        #expect(try await store.count(prefix: "/r/") == 4)
        await done()
    }

    @Test(arguments: Engine.available)
    func watchReplaysHistoryThenGoesLive(engine: Engine) async throws {
        let (store, done) = try await engine.open()
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
        await done()
    }

    @Test(arguments: Engine.available)
    func concurrentWritersGetDistinctRevisionsAndWatchersSeeAllInOrder(engine: Engine) async throws {
        let (store, done) = try await engine.open()
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
        await done()
    }

    @Test(arguments: Engine.available)
    func compactedRevisionsAreGone(engine: Engine) async throws {
        let (store, done) = try await engine.open()
        let base = try await store.currentRevision()
        for i in 0..<5 { _ = try await store.create("/r/\(i)", value: bytes("\(i)")) }
        try await store.compact(through: base + 3)
        await #expect(throws: StoreError.compacted(requested: base + 1, oldest: base + 4)) {
            _ = try await store.watch(prefix: "/r/", afterRevision: base + 1)
        }
        let stream = try await store.watch(prefix: "/r/", afterRevision: base + 3)
        let events = try await collect(stream, count: 2)
        #expect(events.map(\.revision) == [base + 4, base + 5])
        await done()
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
        Engine.removeScratch(try #require(path))
    }

    @Test func unreadableFileGivesClearError() throws {
        #expect(throws: StoreError.self) { try SQLiteStore(path: "/proc/no/such/dir/state.db") }
    }
}
