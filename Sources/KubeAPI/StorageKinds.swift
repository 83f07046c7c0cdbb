import KubeMachinery

/// PersistentVolumes, PersistentVolumeClaims and StorageClasses, with upstream's defaults,
/// validation and `kubectl get` columns.
public enum StorageRules {
    public static let group = "storage.k8s.io"
    public static let defaultClassAnnotation = "storageclass.kubernetes.io/is-default-class"
    public static let selectedNodeAnnotation = "volume.kubernetes.io/selected-node"
    public static let provisionedByAnnotation = "pv.kubernetes.io/provisioned-by"
    public static let protectionFinalizer = "kubernetes.io/pvc-protection"
    public static let accessModes = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]

    /// `RWO,ROX`, as kubectl abbreviates access modes.
    static func modes(_ obj: JSON, _ path: [String]) -> String {
        let short = [
            "ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP",
        ]
        return (obj[path: path]?.array ?? []).compactMap { $0.string.map { short[$0] ?? $0 } }.joined(separator: ",")
    }

    static func modeErrors(_ obj: JSON, _ path: String) -> [FieldError] {
        let modes = obj[path: path.split(separator: ".").map(String.init)]?.array ?? []
        if modes.isEmpty { return [.required(path, "at least 1 access mode is required")] }
        var errs: [FieldError] = []
        for m in modes where !accessModes.contains(m.string ?? "") {
            errs.append(.notSupported(path, m, accessModes))
        }
        let names = modes.compactMap(\.string)
        if names.contains("ReadWriteOncePod"), names.count > 1 {
            errs.append(.forbidden(path, "may not use ReadWriteOncePod with other access modes"))
        }
        return errs
    }

    static func quantityErrors(_ value: JSON?, _ path: String) -> [FieldError] {
        guard let value, value != .null else { return [.required(path)] }
        guard let q = value.string.flatMap(Quantity.init) ?? value.int.map({ Quantity(value: Double($0)) }) else {
            return [.invalid(path, value, "must be a quantity")]
        }
        if q.value <= 0 { return [.invalid(path, value, "must be greater than zero")] }
        return []
    }

    static let volumeSources = [
        "hostPath", "local", "nfs", "csi", "iscsi", "fc", "awsElasticBlockStore", "gcePersistentDisk", "azureDisk",
        "azureFile", "cephfs", "rbd", "cinder", "flexVolume", "glusterfs", "portworxVolume", "quobyte",
        "scaleIO", "storageos", "vsphereVolume", "photonPersistentDisk",
    ]

    static let persistentVolume = ResourceRules(
        prepareForCreate: { obj in obj["status"] = ["phase": "Pending"] },
        defaults: { obj in
            if obj[path: ["spec", "persistentVolumeReclaimPolicy"]] == nil {
                obj[path: ["spec", "persistentVolumeReclaimPolicy"]] = "Retain"
            }
            if obj[path: ["spec", "volumeMode"]] == nil { obj[path: ["spec", "volumeMode"]] = "Filesystem" }
        },
        validate: { obj in
            var errs = modeErrors(obj, "spec.accessModes")
            errs += quantityErrors(obj[path: ["spec", "capacity", "storage"]], "spec.capacity[storage]")
            let sources = volumeSources.filter { obj[path: ["spec", $0]] != nil }
            if sources.isEmpty { errs.append(.required("spec", "must specify a volume type")) }
            if sources.count > 1 {
                errs.append(.forbidden("spec.\(sources[1])", "may not specify more than 1 volume type"))
            }
            for path in ["hostPath", "local"] {
                if obj[path: ["spec", path]] != nil, (obj[path: ["spec", path, "path"]]?.string ?? "").isEmpty {
                    errs.append(.required("spec.\(path).path"))
                }
            }
            if obj[path: ["spec", "local"]] != nil, obj[path: ["spec", "nodeAffinity"]] == nil {
                errs.append(.required("spec.nodeAffinity", "Local volumes require node affinity"))
            }
            let policy = obj[path: ["spec", "persistentVolumeReclaimPolicy"]]?.string ?? ""
            if !["Retain", "Delete", "Recycle"].contains(policy) {
                errs.append(
                    .notSupported(
                        "spec.persistentVolumeReclaimPolicy",
                        .string(policy),
                        ["Delete", "Recycle", "Retain"]
                    )
                )
            }
            return errs
        },
        columns: [
            TableColumn("Capacity", "capacity of the persistent volume."),
            TableColumn("Access Modes", "access modes of the persistent volume."),
            TableColumn("Reclaim Policy", "reclaim policy of the persistent volume."),
            TableColumn("Status", "phase of the persistent volume."),
            TableColumn("Claim", "the claim bound to the persistent volume."),
            TableColumn("StorageClass", "storage class of the persistent volume."),
            TableColumn("VolumeAttributesClass", "volume attributes class of the persistent volume."),
            TableColumn("Reason", "reason of the persistent volume's phase."), TableColumn.age,
            TableColumn("VolumeMode", priority: 1, "volume mode of the persistent volume."),
        ],
        cells: { obj, now in
            let ref = obj[path: ["spec", "claimRef"]]
            let claim = ref.map { "\($0["namespace"]?.string ?? "")/\($0["name"]?.string ?? "")" } ?? ""
            return [
                .string(obj[path: ["spec", "capacity", "storage"]]?.string ?? ""),
                .string(modes(obj, ["spec", "accessModes"])),
                .string(obj[path: ["spec", "persistentVolumeReclaimPolicy"]]?.string ?? ""),
                .string(obj[path: ["status", "phase"]]?.string ?? ""), .string(claim),
                .string(obj[path: ["spec", "storageClassName"]]?.string ?? ""),
                .string(obj[path: ["spec", "volumeAttributesClassName"]]?.string ?? "<unset>"),
                .string(obj[path: ["status", "reason"]]?.string ?? ""), .string(age(obj, now)),
                .string(obj[path: ["spec", "volumeMode"]]?.string ?? "Filesystem"),
            ]
        }
    )

    static let persistentVolumeClaim = ResourceRules(
        prepareForCreate: { obj in obj["status"] = ["phase": "Pending"] },
        defaults: { obj in
            if obj[path: ["spec", "volumeMode"]] == nil { obj[path: ["spec", "volumeMode"]] = "Filesystem" }
        },
        validate: { obj in
            var errs = modeErrors(obj, "spec.accessModes")
            errs += quantityErrors(obj[path: ["spec", "resources", "requests", "storage"]], "spec.resources[storage]")
            return errs
        },
        validateUpdate: { new, old in
            var a = new["spec"] ?? .emptyObject, b = old["spec"] ?? .emptyObject
            a["resources"] = nil
            b["resources"] = nil
            // The binder fills volumeName once; a class may be set on a claim that had none.
            if b["volumeName"] == nil || b["volumeName"] == "" { a["volumeName"] = nil }
            b["volumeName"] = nil
            a["volumeName"] = nil
            if b["storageClassName"] == nil { a["storageClassName"] = nil }
            guard a != b else { return [] }
            return [
                .forbidden(
                    "spec",
                    "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"
                )
            ]
        },
        columns: [
            TableColumn("Status", "phase of the persistent volume claim."),
            TableColumn("Volume", "the volume bound to the claim."),
            TableColumn("Capacity", "capacity of the bound volume."),
            TableColumn("Access Modes", "access modes of the bound volume."),
            TableColumn("StorageClass", "storage class of the claim."),
            TableColumn("VolumeAttributesClass", "volume attributes class of the claim."), TableColumn.age,
            TableColumn("VolumeMode", priority: 1, "volume mode of the claim."),
        ],
        cells: { obj, now in
            [
                .string(obj[path: ["status", "phase"]]?.string ?? ""),
                .string(obj[path: ["spec", "volumeName"]]?.string ?? ""),
                .string(obj[path: ["status", "capacity", "storage"]]?.string ?? ""),
                .string(modes(obj, ["status", "accessModes"])),
                .string(obj[path: ["spec", "storageClassName"]]?.string ?? ""),
                .string(obj[path: ["spec", "volumeAttributesClassName"]]?.string ?? "<unset>"), .string(age(obj, now)),
                .string(obj[path: ["spec", "volumeMode"]]?.string ?? "Filesystem"),
            ]
        }
    )

    static let storageClass = ResourceRules(
        defaults: { obj in
            if obj["reclaimPolicy"] == nil { obj["reclaimPolicy"] = "Delete" }
            if obj["volumeBindingMode"] == nil { obj["volumeBindingMode"] = "Immediate" }
        },
        validate: { obj in
            var errs: [FieldError] = []
            let provisioner = obj["provisioner"]?.string ?? ""
            if provisioner.isEmpty { errs.append(.required("provisioner")) }
            let mode = obj["volumeBindingMode"]?.string ?? ""
            if !["Immediate", "WaitForFirstConsumer"].contains(mode) {
                errs.append(.notSupported("volumeBindingMode", .string(mode), ["Immediate", "WaitForFirstConsumer"]))
            }
            let policy = obj["reclaimPolicy"]?.string ?? ""
            if !["Delete", "Retain"].contains(policy) {
                errs.append(.notSupported("reclaimPolicy", .string(policy), ["Delete", "Retain"]))
            }
            return errs
        },
        validateUpdate: { new, old in
            var errs: [FieldError] = []
            for field in ["provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"]
            where new[field] != old[field] {
                errs.append(.forbidden(field, "updates to \(field) are forbidden."))
            }
            return errs
        },
        nameCell: { obj in
            obj[path: ["metadata", "annotations", defaultClassAnnotation]]?.string == "true"
                ? "\(obj.name) (default)" : obj.name
        },
        columns: [
            TableColumn("Provisioner", "the provisioner of the storage class."),
            TableColumn("ReclaimPolicy", "the reclaim policy of volumes it makes."),
            TableColumn("VolumeBindingMode", "when volumes are bound."),
            TableColumn("AllowVolumeExpansion", "whether claims may grow."), TableColumn.age,
        ],
        cells: { obj, now in
            [
                .string(obj["provisioner"]?.string ?? ""), .string(obj["reclaimPolicy"]?.string ?? "Delete"),
                .string(obj["volumeBindingMode"]?.string ?? "Immediate"),
                .string(obj["allowVolumeExpansion"]?.bool == true ? "true" : "false"), .string(age(obj, now)),
            ]
        }
    )
}

/// The built-in provisioner: a directory on the node per volume.
public enum LocalPath {
    public static let className = "local-path"
    public static let provisioner = "swiftlet.dev/local-path"

    /// The PersistentVolume that holds a claim on `node`, at `directory` on that node.
    public static func volume(for claim: JSON, node: String, directory: String, reclaimPolicy: String) -> JSON {
        [
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": [
                "name": .string("pvc-\(claim.uid)"),
                "annotations": [StorageRules.provisionedByAnnotation: .string(provisioner)],
            ],
            "spec": [
                "capacity": ["storage": claim[path: ["spec", "resources", "requests", "storage"]] ?? "1Gi"],
                "accessModes": claim[path: ["spec", "accessModes"]] ?? ["ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": .string(reclaimPolicy),
                "storageClassName": claim[path: ["spec", "storageClassName"]] ?? .string(className),
                "volumeMode": "Filesystem",
                "claimRef": [
                    "apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": .string(claim.namespace),
                    "name": .string(claim.name), "uid": .string(claim.uid),
                ],
                "hostPath": ["path": .string(directory), "type": "DirectoryOrCreate"],
                "nodeAffinity": [
                    "required": [
                        "nodeSelectorTerms": [
                            [
                                "matchExpressions": [
                                    ["key": "kubernetes.io/hostname", "operator": "In", "values": [.string(node)]]
                                ]
                            ]
                        ]
                    ]
                ],
            ],
        ]
    }

    /// The node a volume of ours lives on (its node affinity's one hostname).
    public static func node(of volume: JSON) -> String? {
        let terms = volume[path: ["spec", "nodeAffinity", "required", "nodeSelectorTerms"]]?.array ?? []
        for t in terms {
            for e in t["matchExpressions"]?.array ?? [] where e["key"]?.string == "kubernetes.io/hostname" {
                if let v = e["values"]?.array?.first?.string { return v }
            }
        }
        return nil
    }
}
