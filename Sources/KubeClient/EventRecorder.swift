import KubeAPI
import KubeMachinery
import KubeModel

/// Records Events as Kubernetes components do, so `kubectl describe` shows what happened.
public struct EventRecorder: Sendable {
    let client: KubeClient
    let component: String

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

    func record(
        apiVersion: String,
        kind: String,
        _ meta: ObjectMeta,
        type: String,
        reason: String,
        message: String
    ) async {
        let now = Timestamp.now
        let ns = meta.namespace.isEmpty ? "default" : meta.namespace
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
        _ = try? await client.create(Resources.events, namespace: ns, event)
    }
}
