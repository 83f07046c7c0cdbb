import KubeAPI
import KubeMachinery

/// Records Events as Kubernetes components do, so `kubectl describe` shows what happened.
public struct EventRecorder: Sendable {
    let client: KubeClient
    let component: String

    public init(client: KubeClient, component: String) {
        self.client = client
        self.component = component
    }

    public func record(_ obj: JSON, type: String = "Normal", reason: String, message: String) async {
        let now = Timestamp.now
        let ns = obj.namespace.isEmpty ? "default" : obj.namespace
        let event: JSON = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string("\(obj.name).\(String(now.micros, radix: 16))"), "namespace": .string(ns)],
            "involvedObject": [
                "kind": .string(obj.kind), "namespace": .string(obj.namespace), "name": .string(obj.name),
                "uid": .string(obj.uid), "apiVersion": .string(obj.apiVersion),
                "resourceVersion": .string(obj.resourceVersion),
            ],
            "reason": .string(reason), "message": .string(message), "type": .string(type),
            "source": ["component": .string(component)], "reportingComponent": .string(component),
            "firstTimestamp": .string(now.rfc3339), "lastTimestamp": .string(now.rfc3339), "count": 1,
        ]
        _ = try? await client.create(Resources.events, namespace: ns, event)
    }
}
