import KubeMachinery

/// The roles of kube-controller-manager and kube-scheduler, as upstream's bootstrap policy
/// has them, for the controllers Swiftlet runs. Upstream binds each `system:controller:*`
/// role to that controller's ServiceAccount; Swiftlet's controllers share one client, so
/// each binding also names `system:kube-controller-manager` (and the scheduler's, which runs
/// alongside). Status writes may `patch` as well as `update`: Swiftlet's controllers patch.
extension RBACDefaults {
    static let events = rule(["", "events.k8s.io"], ["events"], ["create", "patch", "update"])
    static let statusVerbs = ["patch", "update"]

    static func named(_ groups: [String], _ resources: [String], _ verbs: [String], names: [String]) -> JSON {
        ["apiGroups": JSON(groups), "resources": JSON(resources), "verbs": JSON(verbs), "resourceNames": JSON(names)]
    }

    /// Controller name → its rules.
    static let controllerRules: [(String, [JSON])] = [
        (
            "endpoint-controller",
            [
                rule([""], ["services", "pods"], readVerbs),
                rule([""], ["endpoints"], ["create", "delete", "get", "list", "update"]),
                rule([""], ["endpoints/restricted"], ["create"]), events,
            ]
        ),
        (
            "endpointslice-controller",
            [
                rule([""], ["services", "pods", "nodes"], readVerbs),
                rule(["discovery.k8s.io"], ["endpointslices"], ["create", "delete", "get", "list", "update"]), events,
            ]
        ),
        (
            "endpointslicemirroring-controller",
            [
                rule([""], ["services", "endpoints"], readVerbs),
                rule(["discovery.k8s.io"], ["endpointslices"], ["create", "delete", "get", "list", "update"]), events,
            ]
        ),
        (
            "replicaset-controller",
            [
                rule(["apps"], ["replicasets"], ["get", "list", "watch", "update"]),
                rule(["apps"], ["replicasets/status"], statusVerbs),
                rule(["apps"], ["replicasets/finalizers"], ["update"]),
                rule([""], ["pods"], ["create", "delete", "list", "patch", "watch"]), events,
            ]
        ),
        (
            "replication-controller",
            [
                rule([""], ["replicationcontrollers"], ["get", "list", "watch", "update"]),
                rule([""], ["replicationcontrollers/status"], statusVerbs),
                rule([""], ["replicationcontrollers/finalizers"], ["update"]),
                rule([""], ["pods"], ["create", "delete", "list", "patch", "watch"]), events,
            ]
        ),
        (
            "deployment-controller",
            [
                rule(["apps"], ["deployments"], ["get", "list", "patch", "watch", "update"]),
                rule(["apps"], ["deployments/status"], statusVerbs),
                rule(["apps"], ["deployments/finalizers"], ["update"]),
                rule(["apps"], ["replicasets"], ["create", "delete", "get", "list", "patch", "update", "watch"]),
                rule([""], ["pods"], ["get", "list", "update", "watch"]), events,
            ]
        ),
        (
            "statefulset-controller",
            [
                rule([""], ["pods"], ["create", "delete", "get", "patch", "update"]),
                rule(["apps"], ["statefulsets"], ["list", "watch"]),
                rule(["apps"], ["statefulsets/status"], statusVerbs),
                rule(["apps"], ["statefulsets/finalizers"], ["update"]),
                rule([""], ["persistentvolumeclaims"], ["create", "delete", "get", "update"]),
                rule(["apps"], ["controllerrevisions"], ["create", "delete", "get", "list", "patch", "update"]), events,
            ]
        ),
        (
            "daemon-set-controller",
            [
                rule(["apps"], ["daemonsets"], readVerbs), rule(["apps"], ["daemonsets/status"], statusVerbs),
                rule(["apps"], ["daemonsets/finalizers"], ["update"]), rule([""], ["nodes"], ["list", "watch"]),
                rule([""], ["pods"], ["create", "delete", "list", "patch", "watch"]),
                rule([""], ["pods/binding"], ["create"]),
                rule(["apps"], ["controllerrevisions"], ["create", "delete", "list", "patch", "update", "watch"]),
                events,
            ]
        ),
        (
            "job-controller",
            [
                rule(["batch"], ["jobs"], ["get", "list", "patch", "update", "watch"]),
                rule(["batch"], ["jobs/status"], statusVerbs),
                rule(["batch"], ["jobs/finalizers"], ["patch", "update"]),
                rule([""], ["pods"], ["create", "delete", "list", "patch", "watch"]), events,
            ]
        ),
        (
            "ttl-after-finished-controller",
            [rule(["batch"], ["jobs"], ["delete", "get", "list", "watch"]), events]
        ),
        (
            "cronjob-controller",
            [
                rule(["batch"], ["cronjobs"], ["get", "list", "update", "watch"]),
                rule(["batch"], ["jobs"], ["create", "delete", "get", "list", "patch", "update", "watch"]),
                rule(["batch"], ["cronjobs/status"], statusVerbs), rule(["batch"], ["cronjobs/finalizers"], ["update"]),
                rule([""], ["pods"], ["delete", "list"]), events,
            ]
        ),
        (
            "generic-garbage-collector",
            [rule(["*"], ["*"], ["delete", "get", "list", "patch", "update", "watch"])]
        ),
        (
            "node-controller",
            [
                rule([""], ["nodes"], ["delete", "get", "list", "patch", "update"]),
                rule([""], ["nodes/status"], statusVerbs), rule([""], ["pods/status"], statusVerbs),
                rule([""], ["pods"], ["delete", "list"]), events,
            ]
        ),
        (
            "taint-eviction-controller",
            [
                rule([""], ["pods"], ["delete", "get", "list", "watch"]), rule([""], ["pods/status"], ["patch"]),
                events,
            ]
        ),
        (
            "persistent-volume-binder",
            [
                rule([""], ["persistentvolumes"], ["create", "delete", "get", "list", "patch", "update", "watch"]),
                rule([""], ["persistentvolumes/status"], statusVerbs),
                rule([""], ["persistentvolumeclaims"], ["get", "list", "patch", "update", "watch"]),
                rule([""], ["persistentvolumeclaims/status"], statusVerbs),
                rule([""], ["pods"], ["create", "delete", "get", "list", "watch"]),
                rule([""], ["nodes"], ["get", "list", "watch"]),
                rule([StorageRules.group], ["storageclasses"], readVerbs),
                events,
            ]
        ),
        ("service-account-controller", [rule([""], ["serviceaccounts"], ["create"]), events]),
        ("root-ca-cert-publisher", [rule([""], ["configmaps"], ["create", "update"]), events]),
        (
            "bootstrap-signer",
            [
                rule([""], ["configmaps"], ["get", "list", "watch", "update"]), rule([""], ["secrets"], readVerbs),
                events,
            ]
        ),
        ("token-cleaner", [rule([""], ["secrets"], ["delete", "get", "list", "watch"]), events]),
        (
            "clusterrole-aggregation-controller",
            [rule([RBACRules.group], ["clusterroles"], ["escalate", "get", "list", "patch", "update", "watch"])]
        ),
        (
            "disruption-controller",
            [
                rule(["apps"], ["deployments", "replicasets", "statefulsets"], readVerbs),
                rule([""], ["replicationcontrollers", "pods"], readVerbs),
                rule(["policy"], ["poddisruptionbudgets"], readVerbs),
                rule(["policy"], ["poddisruptionbudgets/status"], statusVerbs), rule(["*"], ["*/scale"], ["get"]),
                events,
            ]
        ),
        (
            "service-controller",
            [
                rule([""], ["services"], readVerbs), rule([""], ["services/status"], statusVerbs),
                rule([""], ["nodes"], ["list", "watch"]), events,
            ]
        ),
    ]

    static let controllerManagerRules: [JSON] = [
        events,
        rule(["coordination.k8s.io"], ["leases"], ["create"]),
        named(
            ["coordination.k8s.io"],
            ["leases"],
            ["get", "update"],
            names: ["kube-controller-manager", "swiftlet-controller-manager"]
        ),
        rule([""], ["secrets", "serviceaccounts"], ["create"]), rule([""], ["secrets"], ["delete"]),
        rule([""], ["configmaps", "namespaces", "secrets", "serviceaccounts"], ["get"]),
        rule([""], ["secrets", "serviceaccounts"], ["update"]),
        rule(["authentication.k8s.io"], ["tokenreviews"], ["create"]),
        rule(["authorization.k8s.io"], ["subjectaccessreviews"], ["create"]),
        rule(["*"], ["*"], ["list", "watch"]),
        rule([""], ["serviceaccounts/token"], ["create"]),
    ]

    static let schedulerRules: [JSON] = [
        events,
        rule(["coordination.k8s.io"], ["leases"], ["create"]),
        named(["coordination.k8s.io"], ["leases"], ["get", "update"], names: ["kube-scheduler"]),
        rule([""], ["nodes"], readVerbs), rule([""], ["namespaces"], readVerbs),
        rule([""], ["pods"], ["delete", "get", "list", "watch"]),
        rule([""], ["bindings", "pods/binding"], ["create"]), rule([""], ["pods/status"], statusVerbs),
        rule([""], ["replicationcontrollers", "services"], readVerbs),
        rule(["apps", "extensions"], ["replicasets"], readVerbs), rule(["apps"], ["statefulsets"], readVerbs),
        rule(["policy"], ["poddisruptionbudgets"], readVerbs),
        rule([""], ["persistentvolumeclaims", "persistentvolumes"], readVerbs),
        rule(["authentication.k8s.io"], ["tokenreviews"], ["create"]),
        rule(["authorization.k8s.io"], ["subjectaccessreviews"], ["create"]),
        rule([StorageRules.group], ["csinodes", "storageclasses", "csidrivers", "csistoragecapacities"], readVerbs),
    ]

    static let volumeSchedulerRules: [JSON] = [
        rule([""], ["persistentvolumes"], ["get", "list", "patch", "update", "watch"]),
        rule([StorageRules.group], ["storageclasses"], readVerbs),
        rule([""], ["persistentvolumeclaims"], ["get", "list", "patch", "update", "watch"]),
    ]

    static let componentRoles: [JSON] =
        [
            clusterRole("system:kube-controller-manager", rules: controllerManagerRules),
            clusterRole("system:kube-scheduler", rules: schedulerRules),
            clusterRole("system:volume-scheduler", rules: volumeSchedulerRules),
        ] + controllerRules.map { clusterRole("system:controller:\($0.0)", rules: $0.1) }

    static let componentBindings: [JSON] =
        [
            binding(
                "system:kube-controller-manager",
                role: "system:kube-controller-manager",
                users: [UserInfo.controllerManager.name]
            ),
            binding(
                "system:kube-scheduler",
                role: "system:kube-scheduler",
                users: ["system:kube-scheduler", UserInfo.controllerManager.name]
            ),
            binding(
                "system:volume-scheduler",
                role: "system:volume-scheduler",
                users: ["system:kube-scheduler", UserInfo.controllerManager.name]
            ),
        ]
        + controllerRules.map { name, _ in
            var b = serviceAccountBinding(
                "system:controller:\(name)",
                role: "system:controller:\(name)",
                namespace: "kube-system",
                account: name
            )
            var subjects = b["subjects"]?.array ?? []
            subjects.append([
                "apiGroup": .string(group), "kind": "User", "name": .string(UserInfo.controllerManager.name),
            ])
            b["subjects"] = .array(subjects)
            return b
        }
}
