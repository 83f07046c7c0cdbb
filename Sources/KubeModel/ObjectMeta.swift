import KubeMachinery

/// A model of one Kubernetes kind, built once from the object's JSON tree. Decoding is
/// lenient, as readers need it to be: a field of the wrong type reads as absent (the API
/// server's validation is what refuses such objects). `json` writes the modeled fields
/// back, leaving out defaults, so a cache can keep the model packed as bytes.
public protocol KubeObject: CacheableObject {
    /// The group/version and kind every object of this model has (`apps/v1`, `Deployment`).
    static var apiVersion: String { get }
    static var kind: String { get }
    var metadata: ObjectMeta { get set }
    init(_ json: JSON)
    var json: JSON { get }
}

/// The metadata readers use: identity, labels, annotations, generation, deletion, owners.
public struct ObjectMeta: Sendable, Hashable {
    public var name: String
    public var namespace: String
    public var uid: String
    public var resourceVersion: String
    public var generation: Int?
    public var labels: [String: String]
    public var annotations: [String: String]
    public var creationTimestamp: String?
    public var deletionTimestamp: String?
    public var finalizers: [String]
    public var ownerReferences: [OwnerReference]

    public init(
        name: String = "",
        namespace: String = "",
        uid: String = "",
        resourceVersion: String = "",
        generation: Int? = nil,
        labels: [String: String] = [:],
        annotations: [String: String] = [:],
        creationTimestamp: String? = nil,
        deletionTimestamp: String? = nil,
        finalizers: [String] = [],
        ownerReferences: [OwnerReference] = []
    ) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.generation = generation
        self.labels = labels
        self.annotations = annotations
        self.creationTimestamp = creationTimestamp
        self.deletionTimestamp = deletionTimestamp
        self.finalizers = finalizers
        self.ownerReferences = ownerReferences
    }

    public init(_ object: JSON) {
        let m = object["metadata"] ?? .emptyObject
        name = m["name"]?.string ?? ""
        namespace = m["namespace"]?.string ?? ""
        uid = m["uid"]?.string ?? ""
        resourceVersion = m["resourceVersion"]?.string ?? ""
        generation = m["generation"]?.intValue
        labels = m["labels"]?.stringMap ?? [:]
        annotations = m["annotations"]?.stringMap ?? [:]
        creationTimestamp = m["creationTimestamp"]?.string
        deletionTimestamp = m["deletionTimestamp"]?.string
        finalizers = m["finalizers"]?.stringArray ?? []
        ownerReferences = (m["ownerReferences"]?.array ?? []).map(OwnerReference.init)
    }

    /// `namespace/name`, or the name of a cluster-scoped object: the key caches use.
    public var key: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }
    public var isDeleting: Bool { deletionTimestamp != nil }

    /// The controller among the owners (`controller: true`), as `metav1.GetControllerOf`.
    public var controller: OwnerReference? { ownerReferences.first { $0.controller } }

    /// Only the labels named kept, and no uid, resourceVersion, generation, annotations,
    /// finalizers or creation time: what a large cache needs.
    public func slimmed(keepingLabels kept: Set<String>) -> ObjectMeta {
        ObjectMeta(
            name: name,
            namespace: namespace,
            labels: labels.filter { kept.contains($0.key) },
            deletionTimestamp: deletionTimestamp,
            ownerReferences: ownerReferences
        )
    }

    public var json: JSON {
        var m = JSONObject()
        m["name"] = .string(name)
        if !namespace.isEmpty { m["namespace"] = .string(namespace) }
        if !uid.isEmpty { m["uid"] = .string(uid) }
        if !resourceVersion.isEmpty { m["resourceVersion"] = .string(resourceVersion) }
        if let generation { m["generation"] = JSON(generation) }
        if !labels.isEmpty { m["labels"] = JSON(labels) }
        if !annotations.isEmpty { m["annotations"] = JSON(annotations) }
        if let creationTimestamp { m["creationTimestamp"] = .string(creationTimestamp) }
        if let deletionTimestamp { m["deletionTimestamp"] = .string(deletionTimestamp) }
        if !finalizers.isEmpty { m["finalizers"] = JSON(finalizers) }
        if !ownerReferences.isEmpty { m["ownerReferences"] = .array(ownerReferences.map(\.json)) }
        return .object(m)
    }
}

public struct OwnerReference: Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool
    public var blockOwnerDeletion: Bool

    public init(
        apiVersion: String,
        kind: String,
        name: String,
        uid: String,
        controller: Bool = false,
        blockOwnerDeletion: Bool = false
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }

    /// The reference a controller puts on what it creates (`controller` and
    /// `blockOwnerDeletion` set, as upstream's `NewControllerRef`).
    public static func controller<Owner: KubeObject>(_ owner: Owner) -> OwnerReference {
        OwnerReference(
            apiVersion: Owner.apiVersion,
            kind: Owner.kind,
            name: owner.metadata.name,
            uid: owner.metadata.uid,
            controller: true,
            blockOwnerDeletion: true
        )
    }

    public init(_ json: JSON) {
        apiVersion = json["apiVersion"]?.string ?? ""
        kind = json["kind"]?.string ?? ""
        name = json["name"]?.string ?? ""
        uid = json["uid"]?.string ?? ""
        controller = json["controller"]?.bool ?? false
        blockOwnerDeletion = json["blockOwnerDeletion"]?.bool ?? false
    }

    public var json: JSON {
        var o: JSON = [
            "apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(name), "uid": .string(uid),
        ]
        if controller { o["controller"] = true }
        if blockOwnerDeletion { o["blockOwnerDeletion"] = true }
        return o
    }
}

/// A status condition (`type`, `status`, `reason`, `message`), as Pods and Nodes carry them.
public struct Condition: Sendable, Hashable {
    public var type: String
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastTransitionTime: String?
    /// Nodes' conditions: when the kubelet last posted it.
    public var lastHeartbeatTime: String?
    /// Deployments' conditions: when the controller last saw the condition hold.
    public var lastUpdateTime: String?

    public init(
        type: String,
        status: String,
        reason: String? = nil,
        message: String? = nil,
        lastTransitionTime: String? = nil,
        lastHeartbeatTime: String? = nil,
        lastUpdateTime: String? = nil
    ) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
        self.lastHeartbeatTime = lastHeartbeatTime
        self.lastUpdateTime = lastUpdateTime
    }

    public init(_ json: JSON) {
        type = json["type"]?.string ?? ""
        status = json["status"]?.string ?? ""
        reason = json["reason"]?.string
        message = json["message"]?.string
        lastTransitionTime = json["lastTransitionTime"]?.string
        lastHeartbeatTime = json["lastHeartbeatTime"]?.string
        lastUpdateTime = json["lastUpdateTime"]?.string
    }

    public var isTrue: Bool { status == "True" }

    public var json: JSON {
        var o: JSON = ["type": .string(type), "status": .string(status)]
        if let reason { o["reason"] = .string(reason) }
        if let message { o["message"] = .string(message) }
        if let lastTransitionTime { o["lastTransitionTime"] = .string(lastTransitionTime) }
        if let lastHeartbeatTime { o["lastHeartbeatTime"] = .string(lastHeartbeatTime) }
        if let lastUpdateTime { o["lastUpdateTime"] = .string(lastUpdateTime) }
        return o
    }

    public static func list(_ json: JSON?) -> [Condition] { (json?.array ?? []).map(Condition.init) }
}

extension Array where Element == Condition {
    public subscript(type: String) -> Condition? { first { $0.type == type } }
}

/// A port given as a number or as a name (`targetPort`, probe ports).
public enum IntOrString: Sendable, Hashable {
    case int(Int)
    case string(String)

    public init?(_ json: JSON?) {
        switch json {
        case .int(let i)?: self = .int(Int(truncatingIfNeeded: i))
        case .string(let s)?: self = .string(s)
        default: return nil
        }
    }

    public var json: JSON {
        switch self {
        case .int(let i): return JSON(i)
        case .string(let s): return .string(s)
        }
    }
}

/// A Kubernetes string enumeration (`type: NodePort`, `protocol: UDP`) that keeps values it
/// does not know, so validation can name them and readers can tell them from known ones.
public protocol OpenEnum: RawRepresentable, Sendable, Hashable, CustomStringConvertible where RawValue == String {
    init(rawValue: String)
}

extension OpenEnum {
    public var description: String { rawValue }
}

/// The L4 protocol of a port; absent means TCP.
public struct PortProtocol: OpenEnum {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let tcp = PortProtocol(rawValue: "TCP")
    public static let udp = PortProtocol(rawValue: "UDP")
    public static let sctp = PortProtocol(rawValue: "SCTP")

    init(_ json: JSON?) { self.init(rawValue: json?.string.flatMap { $0.isEmpty ? nil : $0 } ?? "TCP") }
}

extension JSON {
    /// A non-empty string, or nil: how Kubernetes reads optional strings that may be "".
    var nonEmptyString: String? { string.flatMap { $0.isEmpty ? nil : $0 } }
    /// The strings of an array (others dropped), or nil when it is not an array.
    var stringArray: [String]? { array.map { $0.compactMap(\.string) } }
}

/// What an informer cache needs of the objects it keeps: to be built from and written back
/// to JSON, and a key, namespace and labels to index them by. Plain JSON trees qualify, and
/// so does every `KubeObject`.
public protocol CacheableObject: Sendable, Equatable {
    init(_ json: JSON)
    var json: JSON { get }
    var cacheKey: String { get }
    var cacheNamespace: String { get }
    var cacheLabels: [String: String] { get }
    /// The metadata, for readers that need nothing else (the garbage collector).
    var cacheMetadata: ObjectMeta { get }
}

extension KubeObject {
    public var cacheKey: String { metadata.key }
    public var cacheNamespace: String { metadata.namespace }
    public var cacheLabels: [String: String] { metadata.labels }
    public var cacheMetadata: ObjectMeta { metadata }
    public var name: String { metadata.name }
    public var namespace: String { metadata.namespace }
    public var labels: [String: String] { metadata.labels }
}

extension JSON: CacheableObject {
    public init(_ json: JSON) { self = json }
    public var json: JSON { self }
    public var cacheKey: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }
    public var cacheNamespace: String { namespace }
    public var cacheLabels: [String: String] { labels }
    public var cacheMetadata: ObjectMeta { ObjectMeta(self) }
}
