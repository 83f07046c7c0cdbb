import KubeAPI
import KubeMachinery
import Testing

@Suite struct RBACPolicyTests {
    static let alice = UserInfo(name: "alice", groups: ["devs", "system:authenticated"])

    static func rule(_ groups: [String], _ resources: [String], _ verbs: [String], names: [String] = []) -> JSON {
        var r: JSON = ["apiGroups": JSON(groups), "resources": JSON(resources), "verbs": JSON(verbs)]
        if !names.isEmpty { r["resourceNames"] = JSON(names) }
        return r
    }

    @Test(arguments: [
        // (rule, attributes, allowed)
        (rule([""], ["pods"], ["get"]), RequestAttributes(verb: "get", resource: "pods", namespace: "a"), true),
        (rule([""], ["pods"], ["get"]), RequestAttributes(verb: "list", resource: "pods", namespace: "a"), false),
        (rule([""], ["pods"], ["*"]), RequestAttributes(verb: "delete", resource: "pods", namespace: "a"), true),
        (rule(["apps"], ["pods"], ["get"]), RequestAttributes(verb: "get", resource: "pods", namespace: "a"), false),
        (rule(["*"], ["*"], ["get"]), RequestAttributes(verb: "get", apiGroup: "apps", resource: "deployments"), true),
        (
            rule([""], ["pods"], ["create"]),
            RequestAttributes(verb: "create", resource: "pods", subresource: "exec", namespace: "a"), false
        ),
        (
            rule([""], ["pods/exec"], ["create"]),
            RequestAttributes(verb: "create", resource: "pods", subresource: "exec", namespace: "a"), true
        ),
        (
            rule([""], ["*/scale"], ["update"]),
            RequestAttributes(verb: "update", resource: "deployments", subresource: "scale"), true
        ),
        (
            rule([""], ["configmaps"], ["get"], names: ["app"]),
            RequestAttributes(verb: "get", resource: "configmaps", namespace: "a", name: "app"), true
        ),
        (
            rule([""], ["configmaps"], ["get"], names: ["app"]),
            RequestAttributes(verb: "get", resource: "configmaps", namespace: "a", name: "other"), false
        ),
        (
            ["nonResourceURLs": ["/healthz", "/apis/*"], "verbs": ["get"]] as JSON,
            RequestAttributes(verb: "get", path: "/apis/apps/v1"), true
        ),
        (
            ["nonResourceURLs": ["/healthz"], "verbs": ["get"]] as JSON,
            RequestAttributes(verb: "get", path: "/version"), false
        ),
    ])
    func aRuleAllowsWhatItNames(_ rule: JSON, _ a: RequestAttributes, _ allowed: Bool) {
        #expect(RBACPolicy.rule(rule, allows: a) == allowed)
    }

    @Test func bindingsGrantTheirRoleToTheirSubjectsInTheirNamespace() {
        let role: JSON = [
            "metadata": ["name": "reader", "namespace": "a"], "rules": [Self.rule([""], ["pods"], ["get", "list"])],
        ]
        let clusterRole: JSON = ["metadata": ["name": "node-reader"], "rules": [Self.rule([""], ["nodes"], ["list"])]]
        let toGroup: JSON = [
            "metadata": ["name": "b", "namespace": "a"],
            "roleRef": ["kind": "Role", "name": "reader", "apiGroup": "rbac.authorization.k8s.io"],
            "subjects": [["kind": "Group", "name": "devs"]],
        ]
        let toAccount: JSON = [
            "metadata": ["name": "c", "namespace": "a"],
            "roleRef": ["kind": "Role", "name": "reader", "apiGroup": "rbac.authorization.k8s.io"],
            "subjects": [["kind": "ServiceAccount", "name": "bot"]],
        ]
        let cluster: JSON = [
            "metadata": ["name": "d"],
            "roleRef": ["kind": "ClusterRole", "name": "node-reader", "apiGroup": "rbac.authorization.k8s.io"],
            "subjects": [["kind": "User", "name": "alice"]],
        ]
        let policy = RBACPolicy(
            roles: [role],
            clusterRoles: [clusterRole],
            roleBindings: [toGroup, toAccount],
            clusterRoleBindings: [cluster]
        )
        let pods = RequestAttributes(verb: "list", resource: "pods", namespace: "a")
        #expect(policy.allows(Self.alice, pods))
        #expect(!policy.allows(Self.alice, RequestAttributes(verb: "list", resource: "pods", namespace: "b")))
        #expect(policy.allows(Self.alice, RequestAttributes(verb: "list", resource: "nodes")))
        let bot = UserInfo(name: "system:serviceaccount:a:bot", groups: ["system:serviceaccounts"])
        #expect(policy.allows(bot, pods))
        #expect(!policy.allows(UserInfo(name: "system:serviceaccount:b:bot", groups: []), pods))
        #expect(!policy.allows(UserInfo(name: "bob", groups: []), pods))
        #expect(policy.allows(UserInfo(name: "root", groups: [UserInfo.masters]), pods))
    }

    @Test func aggregationCollectsTheRulesOfTheRolesItSelects() throws {
        let roles = RBACDefaults.clusterRoles
        let policy = RBACPolicy(roles: [], clusterRoles: roles, roleBindings: [], clusterRoleBindings: [])
        func named(_ name: String) throws -> JSON { try #require(roles.first { $0.name == name }) }
        let want = try named("system:aggregate-to-view")["rules"]?.array
        let got = policy.aggregated(try named("view"))
        #expect(got == want)
        let admin = policy.aggregated(try named("cluster-admin"))
        #expect(admin == nil)
    }

    @Test func deniedRequestsAreWordedAsUpstream() {
        #expect(
            RequestAttributes(verb: "create", resource: "pods", subresource: "exec", namespace: "a").forbiddenReason
                == "cannot create resource \"pods/exec\" in API group \"\" in the namespace \"a\""
        )
        #expect(RequestAttributes(verb: "get", path: "/metrics").forbiddenReason == "cannot get path \"/metrics\"")
    }

    /// What Swiftlet's controllers write, each allowed by its upstream role; what none of
    /// them does, refused.
    @Test func theControllerManagerHasItsControllersRolesAndNoMore() {
        let policy = RBACPolicy(
            roles: [],
            clusterRoles: RBACDefaults.allClusterRoles,
            roleBindings: [],
            clusterRoleBindings: RBACDefaults.allClusterRoleBindings
        )
        let kcm = UserInfo.controllerManager
        let allowed: [RequestAttributes] = [
            .init(verb: "create", resource: "pods", subresource: "binding", namespace: "a", name: "p"),
            .init(verb: "patch", resource: "pods", subresource: "status", namespace: "a", name: "p"),
            .init(verb: "create", resource: "pods", namespace: "a"),
            .init(verb: "patch", apiGroup: "apps", resource: "deployments", subresource: "status", namespace: "a"),
            .init(verb: "patch", apiGroup: "apps", resource: "deployments", namespace: "a", name: "d"),
            .init(verb: "create", apiGroup: "apps", resource: "replicasets", namespace: "a"),
            .init(verb: "patch", apiGroup: "apps", resource: "statefulsets", subresource: "status", namespace: "a"),
            .init(verb: "create", resource: "persistentvolumeclaims", namespace: "a"),
            .init(verb: "patch", apiGroup: "batch", resource: "jobs", subresource: "status", namespace: "a"),
            .init(verb: "delete", apiGroup: "batch", resource: "jobs", namespace: "a", name: "j"),
            .init(verb: "update", apiGroup: "policy", resource: "poddisruptionbudgets", subresource: "status"),
            .init(verb: "update", resource: "endpoints", namespace: "a", name: "s"),
            .init(verb: "create", apiGroup: "discovery.k8s.io", resource: "endpointslices", namespace: "a"),
            .init(verb: "patch", resource: "nodes", name: "n"),
            .init(verb: "create", resource: "persistentvolumes"),
            .init(verb: "update", apiGroup: RBACRules.group, resource: "clusterroles", name: "view"),
            .init(
                verb: "update",
                apiGroup: "coordination.k8s.io",
                resource: "leases",
                namespace: "kube-system",
                name: "swiftlet-controller-manager"
            ),
            .init(verb: "watch", apiGroup: "apps", resource: "daemonsets"),
            .init(verb: "patch", resource: "events", namespace: "a", name: "e"),
        ]
        for a in allowed { #expect(policy.allows(kcm, a), "\(a)") }
        let refused: [RequestAttributes] = [
            .init(verb: "create", apiGroup: RBACRules.group, resource: "clusterrolebindings"),
            .init(verb: "create", resource: "pods", subresource: "exec", namespace: "a", name: "p"),
            .init(verb: "create", resource: "namespaces"),
        ]
        for a in refused { #expect(!policy.allows(kcm, a), "\(a)") }
    }
}
