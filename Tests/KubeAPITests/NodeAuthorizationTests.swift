import KubeAPI
import KubeMachinery
import Testing

/// The Node authorizer's decisions that need nothing but the request, and the pod
/// references it follows.
@Suite struct NodeAuthorizationTests {
    typealias Check = NodeAuthorization.Check

    static let cases: [(RequestAttributes, Check)] = [
        (.init(verb: "get", resource: "secrets", namespace: "kiada", name: "db"), .referencedByPod(.secret)),
        (
            .init(verb: "list", resource: "secrets", namespace: "kiada"),
            .deny("can only get individual resources of this type")
        ),
        (
            .init(verb: "watch", resource: "configmaps", namespace: "kiada"),
            .deny("can only get individual resources of this type")
        ),
        (.init(verb: "get", resource: "configmaps", namespace: "kiada", name: "app"), .referencedByPod(.configMap)),
        (
            .init(verb: "get", resource: "persistentvolumeclaims", namespace: "kiada", name: "data"),
            .referencedByPod(.claim)
        ),
        (
            .init(verb: "get", resource: "serviceaccounts", namespace: "kiada", name: "default"),
            .referencedByPod(.serviceAccount)
        ),
        (
            .init(
                verb: "create",
                resource: "serviceaccounts",
                subresource: "token",
                namespace: "kiada",
                name: "default"
            ),
            .referencedByPod(.serviceAccount)
        ),
        (
            .init(verb: "create", resource: "serviceaccounts", subresource: "token", namespace: "kiada"),
            .deny("can only create tokens for individual service accounts")
        ),
        (.init(verb: "get", resource: "nodes", name: "node-2"), .rules),
        (.init(verb: "patch", resource: "nodes", subresource: "status", name: "node-1"), .rules),
        (
            .init(verb: "update", resource: "nodes", subresource: "status", name: "node-2"),
            .deny("node \"node-1\" is not allowed to modify node \"node-2\"")
        ),
        (
            .init(verb: "delete", resource: "nodes", name: "node-2"),
            .deny("node \"node-1\" is not allowed to modify node \"node-2\"")
        ),
        (.init(verb: "watch", resource: "pods"), .rules),
        (
            .init(verb: "create", resource: "pods", namespace: "kiada"),
            .deny("node \"node-1\" can only create mirror pods")
        ),
        (.init(verb: "patch", resource: "pods", subresource: "status", namespace: "kiada", name: "web"), .podOnNode),
        (.init(verb: "delete", resource: "pods", namespace: "kiada", name: "web"), .podOnNode),
        (.init(verb: "list", resource: "persistentvolumes"), .rules),
        (.init(verb: "patch", resource: "persistentvolumes", name: "pvc-1"), .volumeOfNode),
        (
            .init(
                verb: "update",
                apiGroup: "coordination.k8s.io",
                resource: "leases",
                namespace: "kube-node-lease",
                name: "node-1"
            ), .rules
        ),
        (
            .init(
                verb: "update",
                apiGroup: "coordination.k8s.io",
                resource: "leases",
                namespace: "kube-node-lease",
                name: "node-2"
            ),
            .deny("can only access node lease with the same name as the requesting node")
        ),
        (.init(verb: "list", resource: "services"), .rules),
        (.init(verb: "get", path: "/healthz"), .rules),
    ]

    @Test(arguments: cases) func decidesFromTheRequest(_ attributes: RequestAttributes, _ expected: Check) {
        #expect(NodeAuthorization.check(node: "node-1", attributes) == expected)
    }

    @Test func onlyANodeCredentialNamesANode() {
        #expect(UserInfo.node("node-1").nodeName == "node-1")
        #expect(UserInfo(name: "system:node:node-1", groups: ["system:authenticated"]).nodeName == nil)
        #expect(UserInfo(name: "system:node:", groups: ["system:nodes"]).nodeName == nil)
        #expect(UserInfo(name: "alice", groups: ["system:nodes"]).nodeName == nil)
    }

    @Test func findsWhatAPodUses() throws {
        let pod = try JSON.parse(
            #"""
            {"spec":{"serviceAccountName":"reader","imagePullSecrets":[{"name":"pull"}],
             "volumes":[{"name":"a","secret":{"secretName":"files"}},{"name":"b","configMap":{"name":"conf"}},
                        {"name":"c","projected":{"sources":[{"secret":{"name":"proj-secret"}},{"configMap":{"name":"kube-root-ca.crt"}}]}},
                        {"name":"d","persistentVolumeClaim":{"claimName":"data"}}],
             "initContainers":[{"name":"i","envFrom":[{"secretRef":{"name":"init-env"}}]}],
             "containers":[{"name":"c","env":[{"name":"X","valueFrom":{"configMapKeyRef":{"name":"keys","key":"x"}}}],
                            "envFrom":[{"configMapRef":{"name":"env-conf"}}]}]}}
            """#
        )
        for name in ["pull", "files", "proj-secret", "init-env"] {
            #expect(NodeAuthorization.references(pod, .secret, name: name), "secret \(name)")
        }
        for name in ["conf", "kube-root-ca.crt", "keys", "env-conf"] {
            #expect(NodeAuthorization.references(pod, .configMap, name: name), "configmap \(name)")
        }
        #expect(!NodeAuthorization.references(pod, .secret, name: "conf"))
        #expect(!NodeAuthorization.references(pod, .configMap, name: "files"))
        #expect(!NodeAuthorization.references(pod, .secret, name: "other"))
        #expect(NodeAuthorization.references(pod, .claim, name: "data"))
        #expect(!NodeAuthorization.references(pod, .claim, name: "other"))
        #expect(NodeAuthorization.references(pod, .serviceAccount, name: "reader"))
        #expect(!NodeAuthorization.references(pod, .serviceAccount, name: "default"))
        #expect(NodeAuthorization.references(["spec": [:]], .serviceAccount, name: "default"))
    }

    @Test func nodesHaveTheirRoleWhateverTheStoreSays() {
        let node = UserInfo.node("node-1")
        #expect(NodeAuthorization.rules.allows(node, .init(verb: "watch", resource: "services")))
        #expect(NodeAuthorization.rules.allows(node, .init(verb: "create", resource: "events", namespace: "kiada")))
        #expect(!NodeAuthorization.rules.allows(node, .init(verb: "create", resource: "services", namespace: "kiada")))
        #expect(
            !NodeAuthorization.rules.allows(
                UserInfo(name: "bob", groups: []),
                .init(verb: "watch", resource: "services")
            )
        )
    }
}
