import KubeMachinery

/// The ClusterRoles and ClusterRoleBindings every cluster starts with, as upstream's
/// bootstrap policy has them: `cluster-admin` for `system:masters`; `admin`, `edit` and
/// `view` aggregated from the `system:aggregate-to-*` roles; discovery, basic-user (the
/// self-reviews) and public-info-viewer for everyone who authenticated. A ServiceAccount
/// gets nothing more unless bound.
public enum RBACDefaults {
    static let group = RBACRules.group
    public static let autoupdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate"
    static let readVerbs = ["get", "list", "watch"]
    static let writeVerbs = ["create", "delete", "deletecollection", "patch", "update"]

    static func rule(_ groups: [String], _ resources: [String], _ verbs: [String]) -> JSON {
        ["apiGroups": JSON(groups), "resources": JSON(resources), "verbs": JSON(verbs)]
    }

    static func urls(_ paths: [String], _ verbs: [String] = ["get"]) -> JSON {
        ["nonResourceURLs": JSON(paths), "verbs": JSON(verbs)]
    }

    static func meta(_ name: String, labels: [String: String] = [:]) -> JSON {
        var l = labels
        l["kubernetes.io/bootstrapping"] = "rbac-defaults"
        return ["name": .string(name), "labels": JSON(l), "annotations": [autoupdateAnnotation: "true"]]
    }

    static func clusterRole(_ name: String, labels: [String: String] = [:], rules: [JSON]) -> JSON {
        [
            "apiVersion": .string("\(group)/v1"), "kind": "ClusterRole", "metadata": meta(name, labels: labels),
            "rules": .array(rules),
        ]
    }

    static func aggregate(_ name: String, from label: String, labels: [String: String] = [:]) -> JSON {
        [
            "apiVersion": .string("\(group)/v1"), "kind": "ClusterRole", "metadata": meta(name, labels: labels),
            "aggregationRule": ["clusterRoleSelectors": [["matchLabels": [label: "true"]]]], "rules": [],
        ]
    }

    static func binding(_ name: String, role: String, groups: [String] = [], users: [String] = []) -> JSON {
        [
            "apiVersion": .string("\(group)/v1"), "kind": "ClusterRoleBinding", "metadata": meta(name),
            "roleRef": ["apiGroup": .string(group), "kind": "ClusterRole", "name": .string(role)],
            "subjects": .array(
                groups.map { ["apiGroup": .string(group), "kind": "Group", "name": .string($0)] }
                    + users.map { ["apiGroup": .string(group), "kind": "User", "name": .string($0)] }
            ),
        ]
    }

    static func serviceAccountBinding(_ name: String, role: String, namespace: String, account: String) -> JSON {
        [
            "apiVersion": .string("\(group)/v1"), "kind": "ClusterRoleBinding", "metadata": meta(name),
            "roleRef": ["apiGroup": .string(group), "kind": "ClusterRole", "name": .string(role)],
            "subjects": [["kind": "ServiceAccount", "name": .string(account), "namespace": .string(namespace)]],
        ]
    }

    static let aggregateLabel = "rbac.authorization.k8s.io/aggregate-to-"

    public static let clusterRoles: [JSON] = [
        clusterRole(
            "cluster-admin",
            rules: [rule(["*"], ["*"], ["*"]), urls(["*"], ["*"])]
        ),
        aggregate("admin", from: aggregateLabel + "admin"),
        aggregate("edit", from: aggregateLabel + "edit", labels: [aggregateLabel + "admin": "true"]),
        aggregate(
            "view",
            from: aggregateLabel + "view",
            labels: [aggregateLabel + "edit": "true"]
        ),
        clusterRole(
            "system:aggregate-to-admin",
            labels: [aggregateLabel + "admin": "true"],
            rules: [
                rule([group], ["rolebindings", "roles"], readVerbs + writeVerbs),
                rule(["authorization.k8s.io"], ["localsubjectaccessreviews"], ["create"]),
            ]
        ),
        clusterRole(
            "system:aggregate-to-edit",
            labels: [aggregateLabel + "edit": "true"],
            rules: [
                rule(
                    [""],
                    ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"],
                    readVerbs
                ),
                rule([""], ["serviceaccounts"], ["impersonate"]),
                rule(
                    [""],
                    [
                        "pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "configmaps", "endpoints",
                        "events", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale",
                        "secrets", "serviceaccounts", "services", "services/proxy",
                    ],
                    writeVerbs
                ),
                rule([""], ["serviceaccounts/token"], ["create"]),
                rule(
                    ["apps"],
                    [
                        "daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
                        "replicasets/scale", "statefulsets", "statefulsets/scale",
                    ],
                    writeVerbs
                ),
                rule(["autoscaling"], ["horizontalpodautoscalers"], writeVerbs),
                rule(["batch"], ["cronjobs", "jobs"], writeVerbs),
                rule(["networking.k8s.io"], ["ingresses", "networkpolicies"], writeVerbs),
                rule(["policy"], ["poddisruptionbudgets"], writeVerbs),
                rule(["discovery.k8s.io"], ["endpointslices"], writeVerbs),
                rule(["coordination.k8s.io"], ["leases"], readVerbs + writeVerbs),
            ]
        ),
        clusterRole(
            "system:aggregate-to-view",
            labels: [aggregateLabel + "view": "true"],
            rules: [
                rule(
                    [""],
                    [
                        "configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods",
                        "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
                        "services/status",
                    ],
                    readVerbs
                ),
                rule(
                    [""],
                    [
                        "bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
                        "replicationcontrollers/status", "resourcequotas", "resourcequotas/status",
                    ],
                    readVerbs
                ),
                rule([""], ["namespaces"], readVerbs),
                rule(["discovery.k8s.io"], ["endpointslices"], readVerbs),
                rule(
                    ["apps"],
                    [
                        "controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                        "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets",
                        "statefulsets/scale", "statefulsets/status",
                    ],
                    readVerbs
                ),
                rule(["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"], readVerbs),
                rule(["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"], readVerbs),
                rule(["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"], readVerbs),
                rule(["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"], readVerbs),
            ]
        ),
        clusterRole(
            "system:discovery",
            rules: [
                urls([
                    "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz",
                    "/version", "/version/",
                ])
            ]
        ),
        clusterRole(
            "system:basic-user",
            rules: [
                rule(["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], ["create"]),
                rule(["authentication.k8s.io"], ["selfsubjectreviews"], ["create"]),
            ]
        ),
        // What a node's agent does: upstream's system:node role, which the Node authorizer
        // narrows to the node's own objects. Nodes also patch and delete the local-path
        // volumes they hold (the provisioner is part of the agent), and only those.
        clusterRole(
            "system:node",
            rules: [
                rule([""], ["nodes"], readVerbs + ["create", "delete", "patch", "update"]),
                rule([""], ["nodes/status"], ["patch", "update"]),
                rule([""], ["pods"], readVerbs + ["create", "delete"]),
                rule([""], ["pods/status"], ["patch", "update"]),
                rule([""], ["pods/eviction"], ["create"]),
                rule([""], ["configmaps", "secrets", "services", "endpoints", "namespaces"], readVerbs),
                rule([""], ["serviceaccounts"], ["get"]),
                rule([""], ["serviceaccounts/token"], ["create"]),
                rule([""], ["events"], ["create", "patch", "update"]),
                rule([""], ["persistentvolumeclaims"], readVerbs),
                rule([""], ["persistentvolumeclaims/status"], ["get", "patch", "update"]),
                rule([""], ["persistentvolumes"], readVerbs + ["delete", "patch", "update"]),
                rule(["discovery.k8s.io"], ["endpointslices"], readVerbs),
                rule(["coordination.k8s.io"], ["leases"], readVerbs + ["create", "delete", "patch", "update"]),
                rule([StorageRules.group], ["storageclasses"], readVerbs),
                rule(["authentication.k8s.io"], ["tokenreviews"], ["create"]),
                rule(["authorization.k8s.io"], ["subjectaccessreviews"], ["create"]),
                rule([CertificateRules.group], ["certificatesigningrequests"], ["create", "get", "list", "watch"]),
            ]
        ),
        clusterRole(
            "system:node-proxier",
            rules: [
                rule([""], ["endpoints", "services"], ["list", "watch"]),
                rule([""], ["nodes"], readVerbs),
                rule(["", "events.k8s.io"], ["events"], ["create", "patch", "update"]),
                rule(["discovery.k8s.io"], ["endpointslices"], ["list", "watch"]),
            ]
        ),
        clusterRole(
            "system:kube-dns",
            rules: [rule([""], ["endpoints", "services"], ["list", "watch"])]
        ),
        // What CoreDNS's manifests give it (kubeadm, k3s); Swiftlet's DNS server acts as it.
        clusterRole(
            "system:coredns",
            rules: [
                rule([""], ["endpoints", "services", "pods", "namespaces"], ["list", "watch"]),
                rule(["discovery.k8s.io"], ["endpointslices"], ["list", "watch"]),
            ]
        ),
        clusterRole(
            "system:node-bootstrapper",
            rules: [rule([CertificateRules.group], ["certificatesigningrequests"], ["create", "get", "list", "watch"])]
        ),
        clusterRole(
            "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
            rules: [rule([CertificateRules.group], ["certificatesigningrequests/nodeclient"], ["create"])]
        ),
        clusterRole(
            "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
            rules: [rule([CertificateRules.group], ["certificatesigningrequests/selfnodeclient"], ["create"])]
        ),
        // What a joining node does with its bootstrap token before it has a certificate: read
        // the cluster's network (`kube-system/swiftlet-cluster`), and read and claim the Node
        // it will be (Swiftlet numbers nodes; kubeadm names them).
        clusterRole(
            "swiftlet:node-joiner",
            rules: [
                rule([""], ["nodes"], ["get", "create"]),
                [
                    "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["swiftlet-cluster"],
                    "verbs": ["get"],
                ],
            ]
        ),
        clusterRole(
            "system:public-info-viewer",
            rules: [urls(["/healthz", "/livez", "/readyz", "/version", "/version/"])]
        ),
    ]

    public static var allClusterRoles: [JSON] { clusterRoles + componentRoles }
    public static var allClusterRoleBindings: [JSON] { clusterRoleBindings + componentBindings }

    public static let clusterRoleBindings: [JSON] = [
        binding("cluster-admin", role: "cluster-admin", groups: [UserInfo.masters]),
        binding("system:discovery", role: "system:discovery", groups: [UserInfo.authenticated]),
        binding("system:basic-user", role: "system:basic-user", groups: [UserInfo.authenticated]),
        // Nodes are kubelets with certificates, authorized by the Node authorizer (so
        // `system:node` binds no one, as upstream). A bootstrap token may only ask for a
        // node certificate, which is approved at once (kubeadm's bindings).
        binding("system:node", role: "system:node"),
        binding("kubeadm:kubelet-bootstrap", role: "system:node-bootstrapper", groups: [BootstrapToken.nodeGroup]),
        binding(
            "kubeadm:node-autoapprove-bootstrap",
            role: "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
            groups: [BootstrapToken.nodeGroup]
        ),
        binding(
            "kubeadm:node-autoapprove-certificate-rotation",
            role: "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
            groups: [UserInfo.nodesGroup]
        ),
        binding("swiftlet:node-joiner", role: "swiftlet:node-joiner", groups: [BootstrapToken.nodeGroup]),
        binding("system:node-proxier", role: "system:node-proxier", users: [UserInfo.kubeProxy.name]),
        serviceAccountBinding(
            "system:kube-dns",
            role: "system:kube-dns",
            namespace: "kube-system",
            account: "kube-dns"
        ),
        serviceAccountBinding("system:coredns", role: "system:coredns", namespace: "kube-system", account: "coredns"),
        binding(
            "system:public-info-viewer",
            role: "system:public-info-viewer",
            groups: [UserInfo.authenticated, "system:unauthenticated"]
        ),
    ]
}
