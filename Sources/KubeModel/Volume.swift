import KubeMachinery

/// One of a pod's `spec.volumes`, as the node agent reads it to make it.
public struct Volume: Sendable, Hashable {
    /// `items[]` of a configMap or secret volume: a key, the file it becomes, its mode.
    public struct KeyToPath: Sendable, Hashable {
        public var key: String
        public var path: String
        public var mode: Int?

        init(_ json: JSON) {
            key = json["key"]?.string ?? ""
            path = json["path"]?.string ?? ""
            mode = json["mode"]?.intValue
        }

        static func list(_ json: JSON?) -> [KeyToPath] { (json?.array ?? []).map(KeyToPath.init) }
    }

    /// `items[]` of a downwardAPI volume: a file with a field of the pod, or a container's
    /// resource.
    public struct DownwardItem: Sendable, Hashable {
        public var path: String
        public var fieldPath: String?
        public var resource: String?
        public var containerName: String?
        public var mode: Int?

        init(_ json: JSON) {
            path = json["path"]?.string ?? ""
            fieldPath = json[path: ["fieldRef", "fieldPath"]]?.string
            resource = json[path: ["resourceFieldRef", "resource"]]?.string
            containerName = json[path: ["resourceFieldRef", "containerName"]]?.nonEmptyString
            mode = json["mode"]?.intValue
        }

        static func list(_ json: JSON?) -> [DownwardItem] { (json?.array ?? []).map(DownwardItem.init) }
    }

    /// One source of a projected volume.
    public enum Projection: Sendable, Hashable {
        case configMap(name: String, items: [KeyToPath], optional: Bool)
        case secret(name: String, items: [KeyToPath], optional: Bool)
        case downwardAPI(items: [DownwardItem])
        case serviceAccountToken(path: String, audience: String?, expirationSeconds: Int64)
        case unknown
    }

    public enum Source: Sendable, Hashable {
        case emptyDir(medium: String?, sizeLimit: String?)
        case configMap(name: String, items: [KeyToPath], defaultMode: Int?, optional: Bool)
        case secret(name: String, items: [KeyToPath], defaultMode: Int?, optional: Bool)
        case downwardAPI(items: [DownwardItem], defaultMode: Int?)
        case projected(sources: [Projection], defaultMode: Int?)
        case hostPath(path: String, type: String)
        case persistentVolumeClaim(claimName: String, readOnly: Bool)
        /// A volume type the agent does not know, by its field name.
        case unsupported(String)
    }

    public var name: String
    public var source: Source

    public init(_ json: JSON) {
        name = json["name"]?.string ?? ""
        if let e = json["emptyDir"] {
            source = .emptyDir(medium: e["medium"]?.nonEmptyString, sizeLimit: e["sizeLimit"]?.string)
        } else if let c = json["configMap"] {
            source = .configMap(
                name: c["name"]?.string ?? "",
                items: KeyToPath.list(c["items"]),
                defaultMode: c["defaultMode"]?.intValue,
                optional: c["optional"]?.bool ?? false
            )
        } else if let s = json["secret"] {
            source = .secret(
                name: s["secretName"]?.string ?? "",
                items: KeyToPath.list(s["items"]),
                defaultMode: s["defaultMode"]?.intValue,
                optional: s["optional"]?.bool ?? false
            )
        } else if let d = json["downwardAPI"] {
            source = .downwardAPI(items: DownwardItem.list(d["items"]), defaultMode: d["defaultMode"]?.intValue)
        } else if let p = json["projected"] {
            source = .projected(
                sources: (p["sources"]?.array ?? []).map(Self.projection),
                defaultMode: p["defaultMode"]?.intValue
            )
        } else if let h = json["hostPath"] {
            source = .hostPath(path: h["path"]?.string ?? "", type: h["type"]?.string ?? "")
        } else if let c = json["persistentVolumeClaim"] {
            source = .persistentVolumeClaim(
                claimName: c["claimName"]?.string ?? "",
                readOnly: c["readOnly"]?.bool ?? false
            )
        } else {
            let kind = json.object?.keys.first { $0 != "name" } ?? "unknown"
            source = .unsupported(kind)
        }
    }

    static func projection(_ json: JSON) -> Projection {
        if let c = json["configMap"] {
            return .configMap(
                name: c["name"]?.string ?? "",
                items: KeyToPath.list(c["items"]),
                optional: c["optional"]?.bool ?? false
            )
        }
        if let s = json["secret"] {
            return .secret(
                name: s["name"]?.string ?? "",
                items: KeyToPath.list(s["items"]),
                optional: s["optional"]?.bool ?? false
            )
        }
        if let d = json["downwardAPI"] { return .downwardAPI(items: DownwardItem.list(d["items"])) }
        if let t = json["serviceAccountToken"] {
            return .serviceAccountToken(
                path: t["path"]?.string ?? "",
                audience: t["audience"]?.nonEmptyString,
                expirationSeconds: t["expirationSeconds"]?.int ?? 3600
            )
        }
        return .unknown
    }

    /// Whether it holds secrets (a Secret's keys or a token), which kubelet keeps in memory.
    public var isSecret: Bool {
        switch source {
        case .secret, .projected: true
        default: false
        }
    }

    /// Whether its files follow objects that may change (kubelet's periodic remount).
    public var isRefreshed: Bool {
        switch source {
        case .configMap, .secret, .downwardAPI, .projected: true
        default: false
        }
    }
}
