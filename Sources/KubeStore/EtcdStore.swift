import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The `Store` on etcd v3, through etcd's JSON gateway (`/v3/kv/…`, `/v3/watch`) with
/// AsyncHTTPClient. etcd's data model is the store's: its revisions are the
/// resourceVersions, a create is a transaction on `create_revision == 0`, an update or
/// delete with an expected revision one on `mod_revision`. Requests go to the first
/// endpoint that answers (then stay there); a watch whose member fails resumes on another
/// from the revision after the last event it delivered.
public final class EtcdStore: Store, Sendable {
    let endpoints: [String]
    let http: HTTPClient
    /// Watches hold their connection for as long as they run: a pool of their own, so that
    /// many watches never starve reads and writes.
    let watchHTTP: HTTPClient
    private struct State {
        var preferred = 0
        var watchTasks: [UUID: Task<Void, Never>] = [:]
        var closed = false
        var watchesClosed = false
    }
    private let state = Mutex(State())

    /// `endpoints`: `http://host:port` of the cluster's members.
    public init(endpoints: [String]) throws {
        guard !endpoints.isEmpty else { throw StoreError.backend("no etcd endpoints given") }
        self.endpoints = endpoints
        http = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(
                redirectConfiguration: .disallow,
                timeout: .init(connect: .seconds(2)),
                connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
            )
        )
        watchHTTP = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(
                redirectConfiguration: .disallow,
                timeout: .init(connect: .seconds(2)),
                connectionPool: .init(idleTimeout: .seconds(5), concurrentHTTP1ConnectionsPerHostSoftLimit: 100_000)
            )
        )
    }

    /// `etcd://host:2379[,host:2379…]`, as `swiftlet server --store` takes it.
    public convenience init(url: String) throws {
        guard url.hasPrefix("etcd://") else {
            throw StoreError.backend("not an etcd URL: \(url) (etcd://host:2379[,host:2379…])")
        }
        let hosts = url.dropFirst("etcd://".count).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !hosts.isEmpty, hosts.allSatisfy({ !$0.isEmpty && !$0.contains("/") }) else {
            throw StoreError.backend("etcd URL \(url) must list host:port members: etcd://host:2379[,host:2379…]")
        }
        try self.init(endpoints: hosts.map { "http://\($0)" })
    }

    // MARK: Requests

    private func orderedEndpoints() -> [String] {
        let first = state.withLock { $0.preferred }
        return (0..<endpoints.count).map { endpoints[(first + $0) % endpoints.count] }
    }

    private func prefer(_ endpoint: String) {
        if let i = endpoints.firstIndex(of: endpoint) { state.withLock { $0.preferred = i } }
    }

    /// POSTs a JSON body to the first member that answers; returns the decoded JSON object.
    func call(_ path: String, _ body: [String: Any]) async throws -> [String: Any] {
        if state.withLock({ $0.closed }) { throw StoreError.closed }
        let data = try JSONSerialization.data(withJSONObject: body)
        var lastError: any Error = StoreError.backend("no etcd member answered")
        for endpoint in orderedEndpoints() {
            var request = HTTPClientRequest(url: endpoint + path)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: data))
            do {
                let response = try await http.execute(request, timeout: .seconds(10))
                let bytes = try await response.body.collect(upTo: 256 << 20)
                let object =
                    (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
                guard response.status == .ok else {
                    let message =
                        object["error"] as? String ?? object["message"] as? String ?? "HTTP \(response.status.code)"
                    // Not this member's fault only when etcd itself refused the request.
                    if response.status.code >= 500,
                        message.contains("leader") || message.contains("timed out") || message.contains("unavailable")
                    {
                        lastError = StoreError.backend("etcd \(endpoint): \(message)")
                        continue
                    }
                    throw EtcdError(message: message)
                }
                prefer(endpoint)
                return object
            } catch let e as EtcdError {
                throw e
            } catch {
                lastError = StoreError.backend("etcd \(endpoint): \(error)")
            }
        }
        throw lastError
    }

    struct EtcdError: Error { var message: String }

    // MARK: Encoding

    static func b64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }
    static func b64(_ b: [UInt8]) -> String { Data(b).base64EncodedString() }
    static func bytes(_ any: Any?) -> [UInt8] {
        (any as? String).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } ?? []
    }
    static func string(_ any: Any?) -> String { String(decoding: bytes(any), as: UTF8.self) }
    /// int64 fields come as strings (protobuf's JSON mapping), absent when zero.
    static func int(_ any: Any?) -> Int64 {
        if let s = any as? String { return Int64(s) ?? 0 }
        if let n = any as? NSNumber { return n.int64Value }
        return 0
    }
    static func revision(_ response: [String: Any]) -> Int64 {
        int((response["header"] as? [String: Any])?["revision"])
    }

    static func keyValue(_ kv: [String: Any]) -> KeyValue {
        KeyValue(
            key: string(kv["key"]),
            value: bytes(kv["value"]),
            createRevision: int(kv["create_revision"]),
            modRevision: int(kv["mod_revision"])
        )
    }

    /// The compare of a write that expects a revision (or, without one, that the key exists).
    static func guardCompare(_ key: String, _ expected: Int64?) -> [String: Any] {
        if let expected {
            return ["target": "MOD", "key": b64(key), "result": "EQUAL", "mod_revision": String(expected)]
        }
        return ["target": "CREATE", "key": b64(key), "result": "GREATER", "create_revision": "0"]
    }

    /// Why a guarded write failed, from the key's current state (the failure branch reads it).
    static func failure(_ key: String, _ txn: [String: Any]) -> StoreError {
        let range = ((txn["responses"] as? [[String: Any]])?.first?["response_range"] as? [String: Any]) ?? [:]
        guard let kv = (range["kvs"] as? [[String: Any]])?.first else { return .notFound(key: key) }
        return .conflict(key: key, currentRevision: int(kv["mod_revision"]))
    }

    // MARK: Store

    public func get(_ key: String) async throws -> KeyValue? {
        let r = try await call("/v3/kv/range", ["key": Self.b64(key)])
        return (r["kvs"] as? [[String: Any]])?.first.map(Self.keyValue)
    }

    public func list(prefix: String) async throws -> (items: [KeyValue], revision: Int64) {
        let r = try await call("/v3/kv/range", ["key": Self.b64(prefix), "range_end": Self.b64(prefixEnd(prefix))])
        return (((r["kvs"] as? [[String: Any]]) ?? []).map(Self.keyValue), Self.revision(r))
    }

    public func count(prefix: String) async throws -> Int {
        let r = try await call(
            "/v3/kv/range",
            ["key": Self.b64(prefix), "range_end": Self.b64(prefixEnd(prefix)), "count_only": true]
        )
        return Int(Self.int(r["count"]))
    }

    public func create(_ key: String, value: [UInt8]) async throws -> KeyValue {
        let r = try await call(
            "/v3/kv/txn",
            [
                "compare": [["target": "CREATE", "key": Self.b64(key), "result": "EQUAL", "create_revision": "0"]],
                "success": [["request_put": ["key": Self.b64(key), "value": Self.b64(value)]]],
            ]
        )
        guard r["succeeded"] as? Bool == true else { throw StoreError.alreadyExists(key: key) }
        let rev = Self.revision(r)
        return KeyValue(key: key, value: value, createRevision: rev, modRevision: rev)
    }

    public func update(_ key: String, value: [UInt8], expectedModRevision: Int64?) async throws -> KeyValue {
        let r = try await call(
            "/v3/kv/txn",
            [
                "compare": [Self.guardCompare(key, expectedModRevision)],
                "success": [["request_put": ["key": Self.b64(key), "value": Self.b64(value), "prev_kv": true]]],
                "failure": [["request_range": ["key": Self.b64(key)]]],
            ]
        )
        guard r["succeeded"] as? Bool == true else { throw Self.failure(key, r) }
        let put = ((r["responses"] as? [[String: Any]])?.first?["response_put"] as? [String: Any]) ?? [:]
        let created = Self.int((put["prev_kv"] as? [String: Any])?["create_revision"])
        let rev = Self.revision(r)
        return KeyValue(key: key, value: value, createRevision: created, modRevision: rev)
    }

    public func delete(_ key: String, expectedModRevision: Int64?) async throws -> KeyValue {
        let r = try await call(
            "/v3/kv/txn",
            [
                "compare": [Self.guardCompare(key, expectedModRevision)],
                "success": [["request_delete_range": ["key": Self.b64(key), "prev_kv": true]]],
                "failure": [["request_range": ["key": Self.b64(key)]]],
            ]
        )
        guard r["succeeded"] as? Bool == true else { throw Self.failure(key, r) }
        let del = ((r["responses"] as? [[String: Any]])?.first?["response_delete_range"] as? [String: Any]) ?? [:]
        guard let prev = (del["prev_kvs"] as? [[String: Any]])?.first else { throw StoreError.notFound(key: key) }
        var kv = Self.keyValue(prev)
        kv.modRevision = Self.revision(r)
        return kv
    }

    public func currentRevision() async throws -> Int64 {
        Self.revision(try await call("/v3/kv/range", ["key": Self.b64("/"), "count_only": true]))
    }

    /// etcd keeps the compaction revision itself readable, so dropping history "through r"
    /// compacts at r + 1 (or at r when r is the newest revision).
    public func compact(through revision: Int64) async throws {
        let current = try await currentRevision()
        let at = min(revision + 1, current)
        guard at > 0 else { return }
        do {
            _ = try await call("/v3/kv/compaction", ["revision": String(at), "physical": true])
        } catch let e as EtcdError where e.message.contains("compacted") {
            // Already compacted at least that far.
        }
    }

    public func watch(prefix: String, afterRevision: Int64) async throws -> AsyncThrowingStream<StoreEvent, any Error> {
        if state.withLock({ $0.closed || $0.watchesClosed }) { throw StoreError.closed }
        // etcd answers a watch from a compacted revision with "created" first and the
        // cancellation after; a read at that revision says at once whether it is gone.
        var compacted = false
        do {
            _ = try await call(
                "/v3/kv/range",
                [
                    "key": Self.b64(prefix), "range_end": Self.b64(prefixEnd(prefix)),
                    "revision": String(afterRevision + 1), "count_only": true,
                ]
            )
        } catch let e as EtcdError {
            compacted = e.message.contains("compacted")
        }
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: StoreEvent.self, throwing: (any Error).self)
        // The first response tells whether the start revision still exists: fail the call, not the stream.
        let opened = AsyncStream.makeStream(of: StoreError?.self)
        let id = UUID()
        let task = Task { [self] in
            await self.runWatch(
                prefix: prefix,
                after: afterRevision,
                expectCompaction: compacted,
                into: continuation,
                opened: opened.continuation
            )
            _ = state.withLock { $0.watchTasks.removeValue(forKey: id) }
        }
        state.withLock { $0.watchTasks[id] = task }
        continuation.onTermination = { _ in task.cancel() }
        var it = opened.stream.makeAsyncIterator()
        if let error = await it.next() ?? nil { throw error }
        return stream
    }

    private func runWatch(
        prefix: String,
        after: Int64,
        expectCompaction: Bool,
        into out: AsyncThrowingStream<StoreEvent, any Error>.Continuation,
        opened: AsyncStream<StoreError?>.Continuation
    ) async {
        var last = after
        var announced = false
        var failures = 0
        defer {
            if !announced {
                opened.yield(StoreError.closed)
                opened.finish()
            }
        }
        while !Task.isCancelled {
            for endpoint in orderedEndpoints() {
                if Task.isCancelled { break }
                do {
                    var request = HTTPClientRequest(url: endpoint + "/v3/watch")
                    request.method = .POST
                    let body: [String: Any] = [
                        "create_request": [
                            "key": Self.b64(prefix), "range_end": Self.b64(prefixEnd(prefix)),
                            "start_revision": String(last + 1),
                            "prev_kv": true,
                        ]
                    ]
                    request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
                    let response = try await watchHTTP.execute(request, timeout: .hours(24 * 365))
                    guard response.status == .ok else {
                        throw StoreError.backend("etcd \(endpoint) watch: HTTP \(response.status.code)")
                    }
                    var buffer: [UInt8] = []
                    for try await chunk in response.body {
                        buffer += chunk.readableBytesView
                        while let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                            let line = Data(buffer[..<nl])
                            buffer.removeSubrange(...nl)
                            guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
                                let result = object["result"] as? [String: Any]
                            else { continue }
                            let compacted = Self.int(result["compact_revision"])
                            if compacted > 0 {
                                let error = StoreError.compacted(requested: last, oldest: compacted)
                                if !announced {
                                    announced = true
                                    opened.yield(error)
                                    opened.finish()
                                } else {
                                    out.finish(throwing: error)
                                }
                                return
                            }
                            if !announced, !expectCompaction || !((result["events"] as? [Any]) ?? []).isEmpty {
                                announced = true
                                opened.yield(nil)
                                opened.finish()
                            }
                            failures = 0
                            prefer(endpoint)
                            for e in (result["events"] as? [[String: Any]]) ?? [] {
                                let event = Self.event(e)
                                last = event.revision
                                out.yield(event)
                            }
                        }
                    }
                    throw StoreError.backend("etcd \(endpoint) ended the watch")
                } catch {
                    if Task.isCancelled { break }
                    failures += 1
                    // Another member, from the revision after the last event delivered.
                }
            }
            if Task.isCancelled { break }
            if failures >= 20 * endpoints.count {
                let error = StoreError.backend("no etcd member serves the watch")
                if !announced {
                    announced = true
                    opened.yield(error)
                    opened.finish()
                } else {
                    out.finish(throwing: error)
                }
                return
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        out.finish(throwing: StoreError.closed)
    }

    static func event(_ e: [String: Any]) -> StoreEvent {
        let kv = e["kv"] as? [String: Any] ?? [:]
        let prev = e["prev_kv"] as? [String: Any]
        if e["type"] as? String == "DELETE" {
            var last = keyValue(prev ?? kv)
            last.key = string(kv["key"])
            last.modRevision = int(kv["mod_revision"])
            return StoreEvent(kind: .deleted, kv: last, prevValue: prev.map { bytes($0["value"]) })
        }
        let v = keyValue(kv)
        return StoreEvent(
            kind: v.createRevision == v.modRevision ? .created : .updated,
            kv: v,
            prevValue: prev.map { bytes($0["value"]) }
        )
    }

    public func closeWatches() async {
        let tasks = state.withLock { s -> [Task<Void, Never>] in
            s.watchesClosed = true
            return Array(s.watchTasks.values)
        }
        for t in tasks { t.cancel() }
    }

    public func close() async {
        await closeWatches()
        state.withLock { $0.closed = true }
        try? await http.shutdown()
        try? await watchHTTP.shutdown()
    }
}
