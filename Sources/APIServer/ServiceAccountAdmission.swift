import KubeAPI
import KubeMachinery

/// The ServiceAccount admission of a pod's create, as upstream's plugin does it: the pod
/// runs as `default` unless it names an account, the account must exist, and unless
/// automounting is off (on the pod, else on the account) every container gets the
/// projected `kube-api-access-*` volume at the well-known path: a bound token, the cluster
/// CA and the namespace.
public enum ServiceAccountAdmission {
    public static let mountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
    public static let volumePrefix = "kube-api-access-"
    /// What kubelet asks the token's lifetime to be (an hour and a bit, as upstream).
    public static let tokenExpirationSeconds: Int64 = 3607
    static let mirrorAnnotation = "kubernetes.io/config.mirror"

    /// The letters upstream's random names use (no vowels, no look-alikes).
    static let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    static func randomSuffix() -> String {
        var rng = SystemRandomNumberGenerator()
        return String((0..<5).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
    }

    /// The name of the account a pod runs as, once admission defaulted it.
    public static func accountName(_ pod: JSON) -> String {
        let name = pod[path: ["spec", "serviceAccountName"]]?.string ?? ""
        return name.isEmpty ? (pod[path: ["spec", "serviceAccount"]]?.string ?? "") : name
    }

    /// The projected volume of the token, the CA and the namespace.
    public static func tokenVolume(name: String) -> JSON {
        [
            "name": .string(name),
            "projected": [
                "defaultMode": 420,
                "sources": [
                    ["serviceAccountToken": ["expirationSeconds": .int(tokenExpirationSeconds), "path": "token"]],
                    ["configMap": ["name": "kube-root-ca.crt", "items": [["key": "ca.crt", "path": "ca.crt"]]]],
                    [
                        "downwardAPI": [
                            "items": [
                                [
                                    "path": "namespace",
                                    "fieldRef": ["apiVersion": "v1", "fieldPath": "metadata.namespace"],
                                ]
                            ]
                        ]
                    ],
                ],
            ],
        ]
    }

    /// The pure part: defaults the account, and mounts the token volume (named with
    /// `suffix`) where it belongs. `account` is the ServiceAccount object.
    public static func mutate(_ pod: inout JSON, account: JSON, suffix: String) {
        let name = accountName(pod).isEmpty ? "default" : accountName(pod)
        pod[path: ["spec", "serviceAccountName"]] = .string(name)
        pod[path: ["spec", "serviceAccount"]] = .string(name)
        let automount =
            pod[path: ["spec", "automountServiceAccountToken"]]?.bool
            ?? account["automountServiceAccountToken"]?.bool ?? true
        guard automount else { return }
        let volumes = pod[path: ["spec", "volumes"]]?.array ?? []
        // A pod that already projects a token volume of ours keeps it (a re-created copy).
        let existing = volumes.first { ($0["name"]?.string ?? "").hasPrefix(volumePrefix) }?["name"]?.string
        let volumeName = existing ?? volumePrefix + suffix
        var used = false
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            guard var containers = pod[path: ["spec", list]]?.array else { continue }
            for i in containers.indices {
                var mounts = containers[i]["volumeMounts"]?.array ?? []
                if mounts.contains(where: { $0["mountPath"]?.string == mountPath }) { continue }
                mounts.append(["name": .string(volumeName), "readOnly": true, "mountPath": .string(mountPath)])
                containers[i]["volumeMounts"] = .array(mounts)
                used = true
            }
            pod[path: ["spec", list]] = .array(containers)
        }
        if used, existing == nil { pod[path: ["spec", "volumes"]] = .array(volumes + [tokenVolume(name: volumeName)]) }
    }

    /// Admits a pod being created: its account must exist. The `default` account may lag
    /// a namespace created a moment ago (the controller makes it), so it is waited for
    /// briefly rather than failing the first pod of a fresh namespace.
    static func admit(_ pod: inout JSON, registry: Registry) async throws(APIError) {
        if pod[path: ["metadata", "annotations", mirrorAnnotation]] != nil { return }
        let name = accountName(pod).isEmpty ? "default" : accountName(pod)
        let namespace = pod.namespace
        // A missing namespace is the create's own 404.
        guard (try? await registry.get(Resources.namespaces, namespace: nil, name: namespace)) != nil else { return }
        var account: JSON?
        for attempt in 0..<60 {
            account = try? await registry.get(Resources.serviceaccounts, namespace: namespace, name: name)
            if account != nil || name != "default" { break }
            if attempt < 59 { try? await Task.sleep(for: .milliseconds(50)) }
        }
        guard let account else {
            throw APIError.forbidden(
                resource: "pods",
                name: pod.name,
                "error looking up service account \(namespace)/\(name): serviceaccount \"\(name)\" not found"
            )
        }
        mutate(&pod, account: account, suffix: randomSuffix())
    }
}

/// Upstream's DefaultTolerationSeconds admission: every pod tolerates its node being
/// not-ready or unreachable for five minutes before it is evicted, unless it says otherwise.
public enum DefaultTolerations {
    public static let seconds: Int64 = 300

    public static func admit(_ pod: inout JSON) {
        var tolerations = pod[path: ["spec", "tolerations"]]?.array ?? []
        for key in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] {
            let covered = tolerations.contains { t in
                let effect = t["effect"]?.string ?? ""
                let k = t["key"]?.string ?? ""
                return (effect.isEmpty || effect == "NoExecute")
                    && (k == key || (k.isEmpty && t["operator"] == "Exists"))
            }
            if !covered {
                tolerations.append([
                    "key": .string(key), "operator": "Exists", "effect": "NoExecute",
                    "tolerationSeconds": .int(seconds),
                ])
            }
        }
        pod[path: ["spec", "tolerations"]] = .array(tolerations)
    }
}
