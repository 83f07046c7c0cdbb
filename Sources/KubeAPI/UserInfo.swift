import KubeMachinery

/// Who made a request, as the authenticators name them: a user name, the groups it is in,
/// and what else the credential said (the pod a ServiceAccount token is bound to).
public struct UserInfo: Sendable, Equatable {
    public var name: String
    public var uid: String
    public var groups: [String]
    public var extra: [String: [String]]

    public init(name: String, uid: String = "", groups: [String], extra: [String: [String]] = [:]) {
        self.name = name
        self.uid = uid
        self.groups = groups
        self.extra = extra
    }

    public static let authenticated = "system:authenticated"
    public static let masters = "system:masters"
    public static let anonymous = UserInfo(name: "system:anonymous", groups: ["system:unauthenticated"])

    /// A ServiceAccount's user name: `system:serviceaccount:<namespace>:<name>`.
    public static func serviceAccountName(namespace: String, name: String) -> String {
        "system:serviceaccount:\(namespace):\(name)"
    }

    /// `system:serviceaccount:ns:name` → (ns, name).
    public static func serviceAccount(fromUserName user: String) -> (namespace: String, name: String)? {
        let parts = user.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "system", parts[1] == "serviceaccount", !parts[2].isEmpty,
            !parts[3].isEmpty
        else { return nil }
        return (String(parts[2]), String(parts[3]))
    }

    /// `authentication.k8s.io/v1` UserInfo.
    public var json: JSON {
        var j: JSON = ["username": .string(name), "groups": JSON(groups)]
        if !uid.isEmpty { j["uid"] = .string(uid) }
        if !extra.isEmpty {
            var e = JSONObject()
            for (k, v) in extra.sorted(by: { $0.key < $1.key }) { e[k] = JSON(v) }
            j["extra"] = .object(e)
        }
        return j
    }
}
