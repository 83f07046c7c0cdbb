import KubeMachinery

/// What a request asks to do, as authorizers see it (upstream's authorizer.Attributes).
public struct RequestAttributes: Sendable, Equatable {
    public var verb: String
    /// Resource requests: group, resource (plural), subresource, namespace, name.
    public var apiGroup = ""
    public var resource = ""
    public var subresource = ""
    public var namespace = ""
    public var name = ""
    /// Non-resource requests (`/healthz`, `/api`): the path.
    public var path = ""
    public var isResourceRequest: Bool

    public init(
        verb: String,
        apiGroup: String = "",
        resource: String,
        subresource: String = "",
        namespace: String = "",
        name: String = ""
    ) {
        self.verb = verb
        self.apiGroup = apiGroup
        self.resource = resource
        self.subresource = subresource
        self.namespace = namespace
        self.name = name
        isResourceRequest = true
    }

    public init(verb: String, path: String) {
        self.verb = verb
        self.path = path
        isResourceRequest = false
    }

    /// `pods/exec`, as RBAC rules name a subresource.
    public var qualifiedResource: String { subresource.isEmpty ? resource : "\(resource)/\(subresource)" }

    /// Upstream's reason for a denial, after `User "x" `.
    public var forbiddenReason: String {
        guard isResourceRequest else { return "cannot \(verb) path \"\(path)\"" }
        let scope = namespace.isEmpty ? "at the cluster scope" : "in the namespace \"\(namespace)\""
        return "cannot \(verb) resource \"\(qualifiedResource)\" in API group \"\(apiGroup)\" \(scope)"
    }
}

/// The RBAC objects of a cluster, and the decisions they make. Pure.
public struct RBACPolicy: Sendable {
    public var roles: [String: JSON] = [:]  // "ns/name"
    public var clusterRoles: [String: JSON] = [:]  // "name"
    public var roleBindings: [JSON] = []
    public var clusterRoleBindings: [JSON] = []

    public init() {}

    public init(roles: [JSON], clusterRoles: [JSON], roleBindings: [JSON], clusterRoleBindings: [JSON]) {
        for r in roles { self.roles["\(r.namespace)/\(r.name)"] = r }
        for r in clusterRoles { self.clusterRoles[r.name] = r }
        self.roleBindings = roleBindings
        self.clusterRoleBindings = clusterRoleBindings
    }

    /// Whether a binding's subjects include the user. A ServiceAccount subject without a
    /// namespace (allowed in a RoleBinding) means the binding's own.
    public static func binds(_ binding: JSON, _ user: UserInfo) -> Bool {
        for s in binding["subjects"]?.array ?? [] {
            let name = s["name"]?.string ?? ""
            switch s["kind"]?.string {
            case "User": if name == user.name { return true }
            case "Group": if user.groups.contains(name) { return true }
            case "ServiceAccount":
                let ns = s["namespace"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? binding.namespace
                if UserInfo.serviceAccountName(namespace: ns, name: name) == user.name { return true }
            default: continue
            }
        }
        return false
    }

    /// The rules of the role a binding refers to (none when it does not exist).
    func rules(of binding: JSON) -> [JSON] {
        let name = binding[path: ["roleRef", "name"]]?.string ?? ""
        switch binding[path: ["roleRef", "kind"]]?.string {
        case "ClusterRole": return clusterRoles[name]?["rules"]?.array ?? []
        case "Role": return roles["\(binding.namespace)/\(name)"]?["rules"]?.array ?? []
        default: return []
        }
    }

    /// The rules that apply to the user in `namespace` (cluster-wide ones for "").
    public func rules(for user: UserInfo, namespace: String) -> [JSON] {
        var out: [JSON] = []
        for b in clusterRoleBindings where Self.binds(b, user) { out += rules(of: b) }
        if !namespace.isEmpty {
            for b in roleBindings where b.namespace == namespace && Self.binds(b, user) { out += rules(of: b) }
        }
        return out
    }

    public func allows(_ user: UserInfo, _ a: RequestAttributes) -> Bool {
        if user.groups.contains(UserInfo.masters) { return true }
        return rules(for: user, namespace: a.namespace).contains { Self.rule($0, allows: a) }
    }

    static func matches(_ values: [String], _ wanted: String) -> Bool {
        values.contains("*") || values.contains(wanted)
    }

    public static func rule(_ rule: JSON, allows a: RequestAttributes) -> Bool {
        let verbs = rule["verbs"]?.array?.compactMap(\.string) ?? []
        guard matches(verbs, a.verb) else { return false }
        guard a.isResourceRequest else {
            return (rule["nonResourceURLs"]?.array?.compactMap(\.string) ?? []).contains { url in
                url == "*" || url == a.path || (url.hasSuffix("*") && a.path.hasPrefix(String(url.dropLast())))
            }
        }
        let groups = rule["apiGroups"]?.array?.compactMap(\.string) ?? []
        guard matches(groups, a.apiGroup) else { return false }
        let resources = rule["resources"]?.array?.compactMap(\.string) ?? []
        let resourceMatch =
            resources.contains("*") || resources.contains(a.qualifiedResource)
            || (!a.subresource.isEmpty && resources.contains("*/\(a.subresource)"))
            || (a.subresource.isEmpty == false && resources.contains("\(a.resource)/*"))
        guard resourceMatch else { return false }
        let names = rule["resourceNames"]?.array?.compactMap(\.string) ?? []
        return names.isEmpty || names.contains(a.name)
    }

    /// The ClusterRoles whose labels an aggregation rule selects.
    public func aggregated(_ role: JSON) -> [JSON]? {
        guard let selectors = role[path: ["aggregationRule", "clusterRoleSelectors"]]?.array else { return nil }
        var rules: [JSON] = []
        for other in clusterRoles.values.sorted(by: { $0.name < $1.name }) where other.name != role.name {
            let labels = other.labels
            guard selectors.contains(where: { (try? LabelSelector(structured: $0))?.matches(labels) ?? false }) else {
                continue
            }
            for r in other["rules"]?.array ?? [] where !rules.contains(r) { rules.append(r) }
        }
        return rules
    }
}
