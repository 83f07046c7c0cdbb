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
}
