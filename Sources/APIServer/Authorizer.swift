import KubeAPI
import KubeMachinery
import KubeStore
import Logging
import ServiceLifecycle

/// RBAC authorization of every request, from the cluster's Roles, ClusterRoles and
/// bindings, kept in memory and followed through a watch of the store. A denial looks at
/// the store once more before it is final: a binding made a moment ago grants at once.
public actor Authorizer {
    let registry: Registry
    let logger: Logger
    private(set) var policy = RBACPolicy()
    private var loadedAt: Int64 = -1
    static let prefix = "/registry/\(RBACRules.group)/"

    public init(registry: Registry, logger: Logger) {
        self.registry = registry
        self.logger = logger
    }

    /// Reads the four kinds anew, unless the store has not changed since the last read.
    func reload() async {
        guard let rev = try? await registry.store.currentRevision(), rev != loadedAt else { return }
        do {
            let options = ListOptions()
            let roles = try await registry.list(Resources.roles, namespace: nil, options: options).0
            let clusterRoles = try await registry.list(Resources.clusterroles, namespace: nil, options: options).0
            let roleBindings = try await registry.list(Resources.rolebindings, namespace: nil, options: options).0
            let clusterBindings = try await registry.list(
                Resources.clusterrolebindings,
                namespace: nil,
                options: options
            )
            .0
            policy = RBACPolicy(
                roles: roles,
                clusterRoles: clusterRoles,
                roleBindings: roleBindings,
                clusterRoleBindings: clusterBindings
            )
            loadedAt = rev
        } catch {
            logger.warning("could not read the RBAC policy: \(error)")
        }
    }

    public func allows(_ user: UserInfo, _ attributes: RequestAttributes) async -> Bool {
        await decide(user, attributes).allowed
    }

    /// The Node authorizer first (for kubelets), then RBAC, as kube-apiserver's
    /// `--authorization-mode=Node,RBAC`. A denial carries the Node authorizer's reason.
    public func decide(_ user: UserInfo, _ attributes: RequestAttributes) async -> (allowed: Bool, reason: String) {
        if user.groups.contains(UserInfo.masters) { return (true, "") }
        var reason = ""
        if let node = user.nodeName {
            let (allowed, why) = await nodeDecision(node: node, user: user, attributes)
            if allowed { return (true, "") }
            reason = why
        }
        if loadedAt < 0 { await reload() }
        if policy.allows(user, attributes) { return (true, "") }
        await reload()
        return (policy.allows(user, attributes), reason)
    }

    func nodeDecision(node: String, user: UserInfo, _ a: RequestAttributes) async -> (Bool, String) {
        let rules = NodeAuthorization.rules
        switch NodeAuthorization.check(node: node, a) {
        case .rules:
            return (rules.allows(user, a), "")
        case .deny(let reason):
            return (false, reason)
        case .referencedByPod(let kind):
            let pods = await podsBound(to: node, namespace: a.namespace)
            let used = pods.contains { NodeAuthorization.references($0, kind, name: a.name) }
            return (used, used ? "" : NodeAuthorization.noRelationship(node))
        case .podOnNode:
            guard rules.allows(user, a) else { return (false, "") }
            let pod = try? await registry.get(Resources.pods, namespace: a.namespace, name: a.name)
            // A pod already gone is the node's to forget: its delete answers 404 as for anyone.
            guard let pod else { return (true, "") }
            let bound = pod[path: ["spec", "nodeName"]]?.string == node
            return (bound, bound ? "" : "node \"\(node)\" can only access pods bound to it")
        case .volumeOfNode:
            guard rules.allows(user, a) else { return (false, "") }
            let volume = try? await registry.get(Resources.persistentvolumes, namespace: nil, name: a.name)
            guard let volume else { return (true, "") }
            let local = LocalPath.node(of: volume) == node
            return (local, local ? "" : NodeAuthorization.noRelationship(node))
        }
    }

    /// The pods bound to `node` in `namespace`, read afresh: a pod bound a moment ago
    /// already lets its node read what it uses.
    func podsBound(to node: String, namespace: String) async -> [JSON] {
        // A name that is no valid selector value reads nothing, never everything.
        guard let selector = try? FieldSelector.parse("spec.nodeName=\(node)"), selector.requirements.count == 1 else {
            return []
        }
        var options = ListOptions()
        options.fieldSelector = selector
        let pods = (try? await registry.list(Resources.pods, namespace: namespace, options: options).0) ?? []
        return pods.filter { $0[path: ["spec", "nodeName"]]?.string == node }
    }

    public func rules(for user: UserInfo, namespace: String) async -> [JSON] {
        await reload()
        return policy.rules(for: user, namespace: namespace)
    }

    /// Follows the store until cancelled, so revocations take effect without a request.
    func follow() async {
        while !Task.isCancelled {
            await reload()
            do {
                let events = try await registry.store.watch(prefix: Self.prefix, afterRevision: max(loadedAt, 0))
                for try await _ in events { await reload() }
            } catch {
                if Task.isCancelled { return }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// The 403 of a denial, in upstream's words.
    public static func forbidden(_ user: UserInfo, _ a: RequestAttributes, reason: String = "") -> APIError {
        let why = "User \"\(user.name)\" \(a.forbiddenReason)" + (reason.isEmpty ? "" : ": \(reason)")
        guard a.isResourceRequest else { return APIError(code: 403, reason: "Forbidden", message: "forbidden: \(why)") }
        let resource = a.apiGroup.isEmpty ? a.qualifiedResource : "\(a.qualifiedResource).\(a.apiGroup)"
        let subject = a.name.isEmpty ? resource : "\(resource) \"\(a.name)\""
        return APIError(
            code: 403,
            reason: "Forbidden",
            message: "\(subject) is forbidden: \(why)",
            name: a.name.isEmpty ? nil : a.name,
            group: a.apiGroup.isEmpty ? nil : a.apiGroup,
            kind: a.resource
        )
    }

    /// What a request asks, from its method, path and query.
    static func attributes(method: String, path: String, query: [String: String]) -> RequestAttributes {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        guard let rp = ResourcePath.parse(segments) else {
            return RequestAttributes(
                verb: method == "GET" || method == "HEAD" ? "get" : method.lowercased(),
                path: path
            )
        }
        var verb: String
        switch method {
        case "POST": verb = "create"
        case "PUT": verb = "update"
        case "PATCH": verb = "patch"
        case "DELETE": verb = rp.name == nil ? "deletecollection" : "delete"
        default:
            verb = rp.name == nil ? (query["watch"] == "true" || query["watch"] == "1" ? "watch" : "list") : "get"
            if rp.name != nil, query["watch"] == "true" { verb = "watch" }
        }
        // Streams are creates whatever the method of their upgrade (upstream since 1.31).
        if ["exec", "attach", "portforward"].contains(rp.subresource ?? "") { verb = "create" }
        var a = RequestAttributes(
            verb: verb,
            apiGroup: rp.group,
            resource: rp.plural,
            subresource: rp.subresource ?? "",
            namespace: rp.namespace ?? "",
            name: rp.name ?? ""
        )
        // `namespaces/NAME` is the namespace itself; its objects are in it.
        if rp.group.isEmpty, rp.plural == "namespaces", let name = rp.name { a.namespace = name }
        return a
    }
}

/// Runs the authorizer's watch as part of the server.
struct AuthorizerService: Service {
    let authorizer: Authorizer
    func run() async throws {
        await cancelWhenGracefulShutdown { await authorizer.follow() }
    }
}
