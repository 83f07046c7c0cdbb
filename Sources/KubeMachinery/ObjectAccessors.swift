/// Reading the metadata every object has straight off its JSON tree (apimachinery's meta accessors).
extension JSON {
    public var name: String { self[path: ["metadata", "name"]]?.string ?? "" }
    public var namespace: String { self[path: ["metadata", "namespace"]]?.string ?? "" }
    public var uid: String { self[path: ["metadata", "uid"]]?.string ?? "" }
    public var resourceVersion: String { self[path: ["metadata", "resourceVersion"]]?.string ?? "" }
    public var labels: [String: String] { self[path: ["metadata", "labels"]]?.stringMap ?? [:] }
    public var annotations: [String: String] { self[path: ["metadata", "annotations"]]?.stringMap ?? [:] }
    public var finalizers: [String] { (self[path: ["metadata", "finalizers"]]?.array ?? []).compactMap(\.string) }
    public var deletionTimestamp: String? { self[path: ["metadata", "deletionTimestamp"]]?.string }
    public var ownerReferences: [JSON] { self[path: ["metadata", "ownerReferences"]]?.array ?? [] }
    public var kind: String { self["kind"]?.string ?? "" }
    public var apiVersion: String { self["apiVersion"]?.string ?? "" }

    /// A copy with `status` and non-identifying metadata removed, for generation tracking.
    public var specPart: JSON {
        var c = self
        c["status"] = nil
        c["metadata"] = nil
        return c
    }
}
