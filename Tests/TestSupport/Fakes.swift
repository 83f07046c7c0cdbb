import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import Synchronization

/// Informers' source in controller tests: `list` returns the objects a test set, and each
/// resource's watch streams what the test sends (held until the informer starts watching).
public final class FakeListerWatcher: ListerWatcher {
    public init() {}

    private struct State {
        var objects: [String: [JSON]] = [:]
        var watchers: [String: AsyncThrowingStream<KubeClient.Event, any Error>.Continuation] = [:]
        var held: [String: [KubeClient.Event]] = [:]
    }
    private let state = Mutex(State())

    public func set(_ r: Resource, _ objects: [JSON]) { state.withLock { $0.objects[r.plural] = objects } }

    public func send(_ r: Resource, _ type: String, _ object: JSON) {
        let event = KubeClient.Event(type: type, object: object)
        state.withLock { s in
            if let w = s.watchers[r.plural] { w.yield(event) } else { s.held[r.plural, default: []].append(event) }
        }
    }

    public func list(_ r: Resource, fieldSelector: String?) async throws -> (items: [JSON], resourceVersion: String) {
        (state.withLock { $0.objects[r.plural] ?? [] }, "1")
    }

    public func listBytes(_ r: Resource, fieldSelector: String?) async throws -> [UInt8] {
        let items = try await list(r, fieldSelector: fieldSelector).items
        return JSON.object(JSONObject([("metadata", ["resourceVersion": "1"]), ("items", .array(items))])).serialized()
    }

    public func watch(
        _ r: Resource,
        resourceVersion: String,
        fieldSelector: String?,
        timeoutSeconds: Int
    )
        -> AsyncThrowingStream<KubeClient.Event, any Error>
    {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: KubeClient.Event.self)
        state.withLock { s in
            s.watchers[r.plural] = continuation
            for e in s.held.removeValue(forKey: r.plural) ?? [] { continuation.yield(e) }
        }
        return stream
    }
}

/// The writes a controller makes, recorded; each answered as an API server would, with the
/// object as stored (a name for `generateName`, a uid, the next resourceVersion).
public actor RecordingWriter: ObjectWriter {
    public init() {}

    public struct Write: Sendable {
        public var verb: String
        public var plural: String
        public var object: JSON
    }

    public private(set) var writes: [Write] = []
    private var revision = 100

    private func stored(_ obj: JSON, verb: String, _ r: Resource) -> JSON {
        revision += 1
        var o = obj
        if o.name.isEmpty, let prefix = o[path: ["metadata", "generateName"]]?.string {
            o[path: ["metadata", "name"]] = .string("\(prefix)\(revision)")
        }
        if o.uid.isEmpty { o[path: ["metadata", "uid"]] = .string("uid-\(revision)") }
        o[path: ["metadata", "resourceVersion"]] = .string(String(revision))
        writes.append(Write(verb: verb, plural: r.plural, object: o))
        return o
    }

    public func create(_ r: Resource, namespace: String?, _ obj: JSON) async throws -> JSON {
        stored(obj, verb: "create", r)
    }

    public func update(_ r: Resource, namespace: String?, _ obj: JSON, subresource: String?) async throws -> JSON {
        stored(obj, verb: "update", r)
    }

    public func patch(
        _ r: Resource,
        namespace: String?,
        name: String,
        _ patch: JSON,
        type: PatchType,
        subresource: String?
    ) async throws -> JSON {
        stored(patch, verb: "patch", r)
    }

    public func delete(
        _ r: Resource,
        namespace: String?,
        name: String,
        gracePeriodSeconds: Int?,
        propagationPolicy: String?,
        preconditionUID: String?
    ) async throws -> JSON {
        stored(["metadata": ["name": .string(name), "namespace": .string(namespace ?? "")]], verb: "delete", r)
    }
}

/// Polls `condition` every 10 ms for up to `timeout`; returns whether it came true.
public func eventually(_ timeout: Duration = .seconds(5), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}
