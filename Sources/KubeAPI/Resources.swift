import KubeMachinery

/// Every resource type Swiftlet serves.
public enum Resources {
    public static let namespaces = Resource(
        kind: "Namespace",
        plural: "namespaces",
        namespaced: false,
        shortNames: ["ns"],
        hasStatus: true,
        rules: NamespaceRules.rules
    )
    public static let pods = Resource(
        kind: "Pod",
        plural: "pods",
        shortNames: ["po"],
        categories: ["all"],
        hasStatus: true,
        rules: PodRules.rules
    )
    public static let services = Resource(
        kind: "Service",
        plural: "services",
        shortNames: ["svc"],
        categories: ["all"],
        hasStatus: true,
        rules: ServiceRules.rules
    )
    public static let endpoints = Resource(
        kind: "Endpoints",
        plural: "endpoints",
        shortNames: ["ep"],
        rules: EndpointsRules.rules
    )
    public static let nodes = Resource(
        kind: "Node",
        plural: "nodes",
        namespaced: false,
        shortNames: ["no"],
        hasStatus: true,
        rules: NodeRules.rules
    )
    public static let events = Resource(
        kind: "Event",
        plural: "events",
        shortNames: ["ev"],
        rules: EventRules.rules
    )
    public static let deployments = Resource(
        group: "apps",
        kind: "Deployment",
        plural: "deployments",
        shortNames: ["deploy"],
        categories: ["all"],
        hasStatus: true,
        hasScale: true,
        tracksGeneration: true,
        rules: WorkloadRules.deployment
    )
    public static let statefulsets = Resource(
        group: "apps",
        kind: "StatefulSet",
        plural: "statefulsets",
        shortNames: ["sts"],
        categories: ["all"],
        hasStatus: true,
        hasScale: true,
        tracksGeneration: true,
        rules: WorkloadRules.statefulSet
    )
    public static let daemonsets = Resource(
        group: "apps",
        kind: "DaemonSet",
        plural: "daemonsets",
        shortNames: ["ds"],
        categories: ["all"],
        hasStatus: true,
        tracksGeneration: true,
        rules: WorkloadRules.daemonSet
    )
    public static let jobs = Resource(
        group: "batch",
        kind: "Job",
        plural: "jobs",
        categories: ["all"],
        hasStatus: true,
        tracksGeneration: true,
        rules: BatchRules.job
    )
    public static let cronjobs = Resource(
        group: "batch",
        kind: "CronJob",
        plural: "cronjobs",
        shortNames: ["cj"],
        categories: ["all"],
        hasStatus: true,
        tracksGeneration: true,
        rules: BatchRules.cronJob
    )
    public static let poddisruptionbudgets = Resource(
        group: "policy",
        kind: "PodDisruptionBudget",
        plural: "poddisruptionbudgets",
        shortNames: ["pdb"],
        hasStatus: true,
        tracksGeneration: true,
        rules: PolicyRules.podDisruptionBudget
    )
    public static let replicationcontrollers = Resource(
        kind: "ReplicationController",
        plural: "replicationcontrollers",
        shortNames: ["rc"],
        categories: ["all"],
        hasStatus: true,
        hasScale: true,
        tracksGeneration: true,
        rules: WorkloadRules.replicationController
    )
    public static let replicasets = Resource(
        group: "apps",
        kind: "ReplicaSet",
        plural: "replicasets",
        shortNames: ["rs"],
        categories: ["all"],
        hasStatus: true,
        hasScale: true,
        tracksGeneration: true,
        rules: WorkloadRules.replicaSet
    )
    public static let endpointslices = Resource(
        group: "discovery.k8s.io",
        kind: "EndpointSlice",
        plural: "endpointslices",
        rules: EndpointSliceRules.rules
    )
    public static let leases = Resource(
        group: "coordination.k8s.io",
        kind: "Lease",
        plural: "leases",
        rules: LeaseRules.rules
    )

    public static let configmaps = Resource(
        kind: "ConfigMap",
        plural: "configmaps",
        shortNames: ["cm"],
        rules: ConfigMapRules.rules
    )
    public static let secrets = Resource(kind: "Secret", plural: "secrets", rules: SecretRules.rules)
    public static let serviceaccounts = Resource(
        kind: "ServiceAccount",
        plural: "serviceaccounts",
        shortNames: ["sa"],
        rules: ServiceAccountRules.rules
    )

    public static let roles = Resource(group: RBACRules.group, kind: "Role", plural: "roles", rules: RBACRules.role)
    public static let clusterroles = Resource(
        group: RBACRules.group,
        kind: "ClusterRole",
        plural: "clusterroles",
        namespaced: false,
        rules: RBACRules.clusterRole
    )
    public static let rolebindings = Resource(
        group: RBACRules.group,
        kind: "RoleBinding",
        plural: "rolebindings",
        rules: RBACRules.roleBinding
    )
    public static let clusterrolebindings = Resource(
        group: RBACRules.group,
        kind: "ClusterRoleBinding",
        plural: "clusterrolebindings",
        namespaced: false,
        rules: RBACRules.clusterRoleBinding
    )

    public static let persistentvolumes = Resource(
        kind: "PersistentVolume",
        plural: "persistentvolumes",
        namespaced: false,
        shortNames: ["pv"],
        hasStatus: true,
        rules: StorageRules.persistentVolume
    )
    public static let persistentvolumeclaims = Resource(
        kind: "PersistentVolumeClaim",
        plural: "persistentvolumeclaims",
        shortNames: ["pvc"],
        hasStatus: true,
        rules: StorageRules.persistentVolumeClaim
    )
    public static let storageclasses = Resource(
        group: StorageRules.group,
        kind: "StorageClass",
        plural: "storageclasses",
        namespaced: false,
        shortNames: ["sc"],
        rules: StorageRules.storageClass
    )

    public static let certificatesigningrequests = Resource(
        group: CertificateRules.group,
        kind: "CertificateSigningRequest",
        plural: "certificatesigningrequests",
        namespaced: false,
        shortNames: ["csr"],
        hasStatus: true,
        rules: CertificateRules.certificateSigningRequest
    )

    /// Requests that are answered, never stored (reviews of credentials and permissions).
    public static let selfsubjectaccessreviews = review("authorization.k8s.io", "SelfSubjectAccessReview")
    public static let selfsubjectrulesreviews = review("authorization.k8s.io", "SelfSubjectRulesReview")
    public static let subjectaccessreviews = review("authorization.k8s.io", "SubjectAccessReview")
    public static let selfsubjectreviews = review("authentication.k8s.io", "SelfSubjectReview")
    public static let tokenreviews = review("authentication.k8s.io", "TokenReview")
    public static let reviews = [
        selfsubjectaccessreviews, selfsubjectrulesreviews, subjectaccessreviews, selfsubjectreviews, tokenreviews,
    ]

    static func review(_ group: String, _ kind: String) -> Resource {
        Resource(
            group: group,
            kind: kind,
            plural: kind.lowercased() + "s",
            namespaced: false,
            verbs: ["create"],
            rules: ResourceRules()
        )
    }

    public static let all: [Resource] =
        [
            namespaces, pods, services, endpoints, nodes, events, deployments, replicasets, statefulsets,
            daemonsets, jobs, cronjobs, poddisruptionbudgets, replicationcontrollers, endpointslices, leases,
            configmaps, secrets, serviceaccounts, roles, clusterroles, rolebindings, clusterrolebindings,
            persistentvolumes, persistentvolumeclaims, storageclasses, certificatesigningrequests,
        ] + reviews

    /// The API groups in discovery order, each with its one version.
    public static let groups: [(group: String, version: String)] = [
        ("apps", "v1"), ("batch", "v1"), ("discovery.k8s.io", "v1"), ("coordination.k8s.io", "v1"),
        (RBACRules.group, "v1"),
        ("authentication.k8s.io", "v1"), ("authorization.k8s.io", "v1"), ("policy", "v1"), (StorageRules.group, "v1"),
        (CertificateRules.group, "v1"),
    ]

    public static func lookup(group: String, version: String, plural: String) -> Resource? {
        all.first { $0.group == group && $0.version == version && $0.plural == plural }
    }

    public static func inGroupVersion(group: String, version: String) -> [Resource] {
        all.filter { $0.group == group && $0.version == version }
    }

    /// The storage key of an object, `/registry/<group>/<plural>/<namespace>/<name>`.
    public static func key(_ r: Resource, namespace: String?, name: String?) -> String {
        var k = "/registry/\(r.group.isEmpty ? "core" : r.group)/\(r.plural)/"
        if r.namespaced, let namespace, !namespace.isEmpty {
            k += namespace + "/"
            if let name { k += name }
        } else if !r.namespaced, let name {
            k += name
        }
        return k
    }
}
