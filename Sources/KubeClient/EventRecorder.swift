import KubeAPI
import KubeMachinery
import KubeModel

/// Records Events as Kubernetes components do, so `kubectl describe` shows what happened.
/// An event repeated within ten minutes (same object, type, reason and message) counts up
/// the one already recorded, as upstream's event correlator does, instead of adding another.
public struct EventRecorder: Sendable {
    let client: KubeClient
    let component: String
    let seen = RecordedEvents()

    public init(client: KubeClient, component: String) {
        self.client = client
        self.component = component
    }

    public func record(_ obj: JSON, type: String = "Normal", reason: String, message: String) async {
        await record(
            apiVersion: obj.apiVersion,
            kind: obj.kind,
            ObjectMeta(obj),
            type: type,
            reason: reason,
            message: message
        )
    }

    public func record<Object: KubeObject>(
        _ obj: Object,
        type: String = "Normal",
        reason: String,
        message: String
    ) async {
        await record(
            apiVersion: Object.apiVersion,
            kind: Object.kind,
            obj.metadata,
            type: type,
            reason: reason,
            message: message
        )
    }

    public func record(
        apiVersion: String,
        kind: String,
        _ meta: ObjectMeta,
        type: String,
        reason: String,
        message: String
    ) async {
        let now = Timestamp.now
        let ns = meta.namespace.isEmpty ? "default" : meta.namespace
        let key = [component, apiVersion, kind, ns, meta.name, meta.uid, type, reason, message].joined(
            separator: "\u{0}"
        )
        if let (name, count) = await seen.repeat(key, now: now) {
            do {
                _ = try await client.patch(
                    Resources.events,
                    namespace: ns,
                    name: name,
                    ["count": JSON(count), "lastTimestamp": .string(now.rfc3339)]
                )
                return
            } catch {
                await seen.forget(key)  // gone (expired or deleted): record it anew
            }
        }
        let event: JSON = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string("\(meta.name).\(String(now.micros, radix: 16))"), "namespace": .string(ns)],
            "involvedObject": [
                "kind": .string(kind), "namespace": .string(meta.namespace), "name": .string(meta.name),
                "uid": .string(meta.uid), "apiVersion": .string(apiVersion),
                "resourceVersion": .string(meta.resourceVersion),
            ],
            "reason": .string(reason), "message": .string(message), "type": .string(type),
            "source": ["component": .string(component)], "reportingComponent": .string(component),
            "firstTimestamp": .string(now.rfc3339), "lastTimestamp": .string(now.rfc3339), "count": 1,
        ]
        if let made = try? await client.create(Resources.events, namespace: ns, event) {
            await seen.remember(key, name: made.name, at: now)
        }
    }
}

/// The events a recorder made recently, by what makes two events the same.
actor RecordedEvents {
    struct Entry {
        var name: String
        var count: Int
        var last: Timestamp
    }
    private var entries: [String: Entry] = [:]
    static let window: Int64 = 600
    static let capacity = 4096

    /// The event to count up and its new count, when `key` was recorded within the window.
    func `repeat`(_ key: String, now: Timestamp) -> (String, Int)? {
        guard var e = entries[key], now.seconds - e.last.seconds < Self.window else { return nil }
        e.count += 1
        e.last = now
        entries[key] = e
        return (e.name, e.count)
    }

    func remember(_ key: String, name: String, at now: Timestamp) {
        if entries.count >= Self.capacity {
            entries = entries.filter { now.seconds - $0.value.last.seconds < Self.window }
            if entries.count >= Self.capacity { entries.removeAll() }
        }
        entries[key] = Entry(name: name, count: 1, last: now)
    }

    func forget(_ key: String) { entries[key] = nil }
}
