import KubeMachinery
import KubeModel

/// Who Swiftlet's own components are, each with the rights of its upstream counterpart: a
/// node's agent is a kubelet (`system:node:<name>` in `system:nodes`), the DNS server is
/// CoreDNS.
extension UserInfo {
    public static let nodesGroup = "system:nodes"
    public static let nodeUserPrefix = "system:node:"

    public static func node(_ name: String) -> UserInfo {
        UserInfo(name: nodeUserPrefix + name, groups: [nodesGroup, authenticated])
    }

    public static let kubeProxy = UserInfo(name: "system:kube-proxy", groups: [authenticated])
    /// The controllers and the scheduler, which run together (kube-controller-manager's user).
    public static let controllerManager = UserInfo(name: "system:kube-controller-manager", groups: [authenticated])
    /// The cluster DNS server: CoreDNS's ServiceAccount, as kubeadm and k3s deploy it.
    public static let clusterDNS = UserInfo(
        name: serviceAccountName(namespace: "kube-system", name: "coredns"),
        groups: ["system:serviceaccounts", "system:serviceaccounts:kube-system", authenticated]
    )

    /// The node a kubelet's credential names, as the Node authorizer reads it.
    public var nodeName: String? {
        guard groups.contains(Self.nodesGroup), name.hasPrefix(Self.nodeUserPrefix) else { return nil }
        let node = String(name.dropFirst(Self.nodeUserPrefix.count))
        return node.isEmpty ? nil : node
    }
}

/// What upstream's Node authorizer and NodeRestriction admission let a kubelet do: read the
/// Secrets, ConfigMaps, claims and ServiceAccounts of the pods bound to it (and nothing
/// else of those kinds), change only its own Node, Lease and pods, and otherwise what the
/// `system:node` role's rules say. `check` decides what is known from the request alone;
/// the authorizer looks up the rest (the node's pods) and asks `references`.
public enum NodeAuthorization {
    public enum Reference: String, Sendable {
        case secret, configMap, claim, serviceAccount
    }

    public enum Check: Equatable, Sendable {
        /// The `system:node` rules decide.
        case rules
        case deny(String)
        /// Allowed if a pod bound to the node in the request's namespace uses the named object.
        case referencedByPod(Reference)
        /// Allowed by the rules and if the named pod is bound to the node.
        case podOnNode
        /// Allowed by the rules and if the named PersistentVolume is a local volume of the node.
        case volumeOfNode
    }

    public static func noRelationship(_ node: String) -> String {
        "no relationship found between node '\(node)' and this object"
    }

    public static func check(node: String, _ a: RequestAttributes) -> Check {
        guard a.isResourceRequest else { return .rules }
        let reads = ["get", "list", "watch"]
        switch (a.apiGroup, a.resource, a.subresource) {
        case ("", "secrets", ""), ("", "configmaps", ""), ("", "persistentvolumeclaims", ""),
            ("", "serviceaccounts", ""):
            guard a.verb == "get", !a.name.isEmpty else {
                return .deny("can only get individual resources of this type")
            }
            let kinds: [String: Reference] = [
                "secrets": .secret, "configmaps": .configMap, "persistentvolumeclaims": .claim,
                "serviceaccounts": .serviceAccount,
            ]
            return kinds[a.resource].map { .referencedByPod($0) } ?? .rules
        case ("", "persistentvolumeclaims", "status"):
            guard ["get", "update", "patch"].contains(a.verb), !a.name.isEmpty else {
                return .deny("can only get, update or patch the status of individual claims")
            }
            return .referencedByPod(.claim)
        case ("", "serviceaccounts", "token"):
            guard a.verb == "create", !a.name.isEmpty else {
                return .deny("can only create tokens for individual service accounts")
            }
            return .referencedByPod(.serviceAccount)
        case ("", "persistentvolumes", ""):
            // Reading volumes is how an agent finds its local-path volumes to clean up.
            return reads.contains(a.verb) ? .rules : .volumeOfNode
        case ("", "nodes", _):
            if reads.contains(a.verb) || a.verb == "create" { return .rules }
            return a.name == node ? .rules : .deny("node \"\(node)\" is not allowed to modify node \"\(a.name)\"")
        case ("", "pods", ""):
            if reads.contains(a.verb) { return .rules }
            if a.verb == "create" { return .deny("node \"\(node)\" can only create mirror pods") }
            return a.name.isEmpty ? .deny("node \"\(node)\" can only delete individual pods") : .podOnNode
        case ("", "pods", "status"), ("", "pods", "eviction"):
            return a.name.isEmpty ? .rules : .podOnNode
        case ("coordination.k8s.io", "leases", ""):
            guard a.namespace == "kube-node-lease", !reads.contains(a.verb), a.verb != "create" else { return .rules }
            return a.name == node
                ? .rules : .deny("can only access node lease with the same name as the requesting node")
        default:
            return .rules
        }
    }

    /// Whether `pod` uses the object of `kind` named `name` (in its own namespace).
    public static func references(_ pod: JSON, _ kind: Reference, name: String) -> Bool {
        let spec = pod["spec"] ?? [:]
        switch kind {
        case .serviceAccount:
            return (spec["serviceAccountName"]?.string ?? "default") == name
        case .claim:
            return Pod(pod).claimNames.contains(name)
        case .secret, .configMap:
            let volumeKey = kind == .secret ? "secret" : "configMap"
            let nameKey = kind == .secret ? "secretName" : "name"
            let refKey = kind == .secret ? "secretRef" : "configMapRef"
            let keyRefKey = kind == .secret ? "secretKeyRef" : "configMapKeyRef"
            if kind == .secret, (spec["imagePullSecrets"]?.array ?? []).contains(where: { $0["name"]?.string == name })
            {
                return true
            }
            for volume in spec["volumes"]?.array ?? [] {
                if volume[volumeKey]?[nameKey]?.string == name { return true }
                for source in volume[path: ["projected", "sources"]]?.array ?? []
                where source[volumeKey]?["name"]?.string == name {
                    return true
                }
            }
            let containers =
                (spec["initContainers"]?.array ?? []) + (spec["containers"]?.array ?? [])
                + (spec["ephemeralContainers"]?.array ?? [])
            for c in containers {
                if (c["envFrom"]?.array ?? []).contains(where: { $0[refKey]?["name"]?.string == name }) { return true }
                if (c["env"]?.array ?? []).contains(where: {
                    $0[path: ["valueFrom", keyRefKey, "name"]]?.string == name
                }) {
                    return true
                }
            }
            return false
        }
    }

    /// The rules every node has (upstream compiles them into the Node authorizer): those of
    /// the default `system:node` role, whatever the stored copy says.
    public static let rules: RBACPolicy = {
        let role = RBACDefaults.clusterRoles.first { $0.name == "system:node" } ?? [:]
        return RBACPolicy(
            roles: [],
            clusterRoles: [role],
            roleBindings: [],
            clusterRoleBindings: [
                RBACDefaults.binding("system:node", role: "system:node", groups: [UserInfo.nodesGroup])
            ]
        )
    }()
}
