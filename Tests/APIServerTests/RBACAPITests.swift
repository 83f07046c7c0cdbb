import Crypto
import Foundation
import KubeAPI
import KubeMachinery
import Logging
import Testing

@testable import APIServer

/// Authorization of requests by RBAC, and the reviews kubectl's `auth` commands send.
@Suite struct RBACAPITests {
    static func token(_ c: TestAPI.Client, account: String) async throws -> String {
        _ = try await c.send(
            .post,
            "/api/v1/namespaces/kiada/serviceaccounts",
            #"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"\#(account)"}}"#
        )
        let r = try await c.send(.post, "/api/v1/namespaces/kiada/serviceaccounts/\(account)/token", "{}")
        return try #require(r.json[path: ["status", "token"]]?.string)
    }

    @Test func aServiceAccountMayDoOnlyWhatABindingGrants() async throws {
        let api = try await TestAPI()
        try await Bootstrap.reconcileRBAC(api.registry)
        let tokens = try ServiceAccountTokens(caKeyPEM: P256.Signing.PrivateKey().pemRepresentation)
        let authorizer = Authorizer(registry: api.registry, logger: Logger(label: "test"))
        let follower = Task { await authorizer.follow() }
        defer { follower.cancel() }
        try await api.run(serviceAccountTokens: tokens, authorizer: authorizer) { c in
            let token = try await Self.token(c, account: "reader")
            let denied = try await c.send(.get, "/api/v1/namespaces/kiada/pods", token: token)
            #expect(denied.code == 403)
            #expect(
                denied.json["message"]?.string
                    == "pods is forbidden: User \"system:serviceaccount:kiada:reader\" cannot list resource \"pods\" in API group \"\" in the namespace \"kiada\""
            )
            #expect(denied.json["reason"]?.string == "Forbidden")
            #expect(denied.json[path: ["details", "kind"]]?.string == "pods")
            let named = try await c.send(.get, "/apis/apps/v1/namespaces/kiada/deployments/web", token: token)
            #expect(
                named.json["message"]?.string
                    == "deployments.apps \"web\" is forbidden: User \"system:serviceaccount:kiada:reader\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"kiada\""
            )
            let nodes = try await c.send(.get, "/api/v1/nodes", token: token)
            #expect(
                nodes.json["message"]?.string?.hasSuffix(
                    "cannot list resource \"nodes\" in API group \"\" at the cluster scope"
                ) == true
            )
            // Discovery is everyone's.
            #expect(try await c.send(.get, "/api/v1", token: token).code == 200)

            let binding = #"""
                {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"reader-view"},
                 "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},
                 "subjects":[{"kind":"ServiceAccount","name":"reader","namespace":"kiada"}]}
                """#
            #expect(
                try await c.send(.post, "/apis/rbac.authorization.k8s.io/v1/namespaces/kiada/rolebindings", binding)
                    .code
                    == 201
            )
            // `view` aggregates its rules from system:aggregate-to-view (the controller's
            // work in a cluster; here the rules are copied in by hand).
            var view = try await api.registry.get(Resources.clusterroles, namespace: nil, name: "view")
            let policy = await authorizer.policy
            view["rules"] = .array(policy.aggregated(view) ?? [])
            _ = try await api.registry.update(Resources.clusterroles, namespace: nil, name: "view", body: view)

            #expect(try await c.send(.get, "/api/v1/namespaces/kiada/pods", token: token).code == 200)
            #expect(try await c.send(.get, "/api/v1/namespaces/default/pods", token: token).code == 403)
            #expect(try await c.send(.get, "/api/v1/namespaces/kiada/secrets", token: token).code == 403)
            let create = try await c.send(.post, "/api/v1/namespaces/kiada/configmaps", "{}", token: token)
            #expect(create.code == 403)

            let can = try await c.send(
                .post,
                "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                #"{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","spec":{"resourceAttributes":{"namespace":"kiada","verb":"watch","resource":"pods"}}}"#,
                token: token
            )
            #expect(can.code == 201)
            #expect(can.json[path: ["status", "allowed"]]?.bool == true)
            let cannot = try await c.send(
                .post,
                "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                #"{"spec":{"resourceAttributes":{"namespace":"kiada","verb":"delete","resource":"pods"}}}"#,
                token: token
            )
            #expect(cannot.json[path: ["status", "allowed"]]?.bool == false)

            let rules = try await c.send(
                .post,
                "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                #"{"spec":{"namespace":"kiada"}}"#,
                token: token
            )
            let resourceRules = rules.json[path: ["status", "resourceRules"]]?.array ?? []
            let resources = resourceRules.flatMap { $0["resources"]?.array ?? [] }.compactMap(\.string)
            #expect(resources.contains("pods"))
            #expect(!resources.contains("secrets"))
            let nonResource = rules.json[path: ["status", "nonResourceRules"]]?.array ?? []
            #expect(!nonResource.isEmpty)

            let me = try await c.send(
                .post,
                "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                #"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#,
                token: token
            )
            #expect(me.json[path: ["status", "userInfo", "username"]]?.string == "system:serviceaccount:kiada:reader")
            #expect(
                me.json[path: ["status", "userInfo", "groups"]]
                    == JSON(["system:serviceaccounts", "system:serviceaccounts:kiada", "system:authenticated"])
            )

            // Revoked: gone with the binding, as soon as the authorizer's watch sees it.
            #expect(
                try await c.send(
                    .delete,
                    "/apis/rbac.authorization.k8s.io/v1/namespaces/kiada/rolebindings/reader-view"
                )
                .code == 200
            )
            var code = 0
            for _ in 0..<100 {
                code = try await c.send(.get, "/api/v1/namespaces/kiada/pods", token: token).code
                if code == 403 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(code == 403)
        }
    }

    @Test func bindingsAreValidated() async throws {
        let api = try await TestAPI()
        try await api.run { c in
            let bad = #"""
                {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"b"},
                 "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r"},
                 "subjects":[{"kind":"ServiceAccount","name":"x"},{"kind":"Robot","name":"y"}]}
                """#
            let r = try await c.send(.post, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", bad)
            #expect(r.code == 422)
            let fields = (r.json[path: ["details", "causes"]]?.array ?? []).compactMap { $0["field"]?.string }
            #expect(fields == ["roleRef.kind", "subjects[0].namespace", "subjects[1].kind"])
            let role = #"""
                {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r"},
                 "rules":[{"apiGroups":[""],"resources":["pods"]},{"nonResourceURLs":["/healthz"],"verbs":["get"]}]}
                """#
            let rr = try await c.send(.post, "/apis/rbac.authorization.k8s.io/v1/namespaces/kiada/roles", role)
            #expect(rr.code == 422)
            #expect(
                (rr.json[path: ["details", "causes"]]?.array ?? []).compactMap { $0["field"]?.string } == [
                    "rules[0].verbs", "rules[1].nonResourceURLs",
                ]
            )
            let good = #"""
                {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"g"},
                 "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},
                 "subjects":[{"kind":"User","name":"alice"}]}
                """#
            let made = try await c.send(.post, "/apis/rbac.authorization.k8s.io/v1/namespaces/kiada/rolebindings", good)
            #expect(made.code == 201)
            #expect(made.json["subjects"]?.array?.first?["apiGroup"]?.string == "rbac.authorization.k8s.io")
            var changed = made.json
            changed[path: ["roleRef", "name"]] = "edit"
            let update = try await c.send(
                .put,
                "/apis/rbac.authorization.k8s.io/v1/namespaces/kiada/rolebindings/g",
                changed.serializedString()
            )
            #expect(update.code == 422)
            #expect(update.json["message"]?.string?.contains("cannot change roleRef") == true)
        }
    }

    /// The Node authorizer: a kubelet reads what its own pods use, and changes only its
    /// own Node, Lease and pods.
    @Test func aNodeReadsOnlyWhatItsPodsUse() async throws {
        let api = try await TestAPI()
        try await Bootstrap.reconcileRBAC(api.registry)
        let authorizer = Authorizer(registry: api.registry, logger: Logger(label: "test"))
        try await api.run(authorizer: authorizer) { c in
            for (kind, name) in [("secrets", "mine"), ("secrets", "theirs"), ("configmaps", "conf")] {
                let made = try await c.send(
                    .post,
                    "/api/v1/namespaces/default/\(kind)",
                    #"{"metadata":{"name":"\#(name)"},"data":{}}"#
                )
                #expect(made.code == 201)
            }
            for (pod, node, secret) in [("web", "node-1", "mine"), ("db", "node-2", "theirs")] {
                let body = #"""
                    {"metadata":{"name":"\#(pod)"},"spec":{"nodeName":"\#(node)","containers":[{"name":"c","image":"busybox",
                     "envFrom":[{"configMapRef":{"name":"conf"}}]}],
                     "volumes":[{"name":"s","secret":{"secretName":"\#(secret)"}}]}}
                    """#
                #expect(try await c.send(.post, "/api/v1/namespaces/default/pods", body).code == 201)
            }
            let node = UserInfo.node("node-1")
            #expect(try await c.send(.get, "/api/v1/namespaces/default/secrets/mine", as: node).code == 200)
            #expect(try await c.send(.get, "/api/v1/namespaces/default/configmaps/conf", as: node).code == 200)
            let theirs = try await c.send(.get, "/api/v1/namespaces/default/secrets/theirs", as: node)
            #expect(theirs.code == 403)
            #expect(
                theirs.json["message"]?.string
                    == "secrets \"theirs\" is forbidden: User \"system:node:node-1\" cannot get resource \"secrets\" in API group \"\" in the namespace \"default\": no relationship found between node 'node-1' and this object"
            )
            let list = try await c.send(.get, "/api/v1/namespaces/default/secrets", as: node)
            #expect(list.code == 403)
            #expect(list.json["message"]?.string?.hasSuffix(": can only get individual resources of this type") == true)
            // Another node's pod is not this node's to change; its own is.
            let status = #"{"status":{"message":"hello"}}"#
            let other = try await c.send(
                .patch,
                "/api/v1/namespaces/default/pods/db/status",
                status,
                contentType: "application/merge-patch+json",
                as: node
            )
            #expect(other.code == 403)
            #expect(other.json["message"]?.string?.hasSuffix("can only access pods bound to it") == true)
            let own = try await c.send(
                .patch,
                "/api/v1/namespaces/default/pods/web/status",
                status,
                contentType: "application/merge-patch+json",
                as: node
            )
            #expect(own.code == 200)
            // Its own Node, and no other.
            #expect(try await c.send(.post, "/api/v1/nodes", #"{"metadata":{"name":"node-1"}}"#, as: node).code == 201)
            let foreign = try await c.send(.post, "/api/v1/nodes", #"{"metadata":{"name":"node-2"}}"#, as: node)
            #expect(foreign.code == 403)
            #expect(
                foreign.json["message"]?.string?.hasSuffix("node \"node-1\" is not allowed to modify node \"node-2\"")
                    == true
            )
            // Everything else is the system:node role: reading Services yes, writing them no.
            #expect(try await c.send(.get, "/api/v1/services", as: node).code == 200)
            #expect(try await c.send(.post, "/api/v1/namespaces/default/services", "{}", as: node).code == 403)
            // A user merely named like a node is no node.
            let impostor = UserInfo(name: "system:node:node-1", groups: [])
            #expect(try await c.send(.get, "/api/v1/namespaces/default/secrets/mine", as: impostor).code == 403)
            // A node name that would widen the pod lookup reads nothing.
            let crafted = UserInfo.node("node-1,metadata.namespace=default")
            #expect(try await c.send(.get, "/api/v1/namespaces/default/secrets/mine", as: crafted).code == 403)
        }
    }
}
