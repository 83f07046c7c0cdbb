import KubeAPI
import KubeMachinery

/// The storage admissions of a claim's create, as upstream's DefaultStorageClass and
/// StorageObjectInUseProtection plugins do them: a claim that names no class gets the
/// default one, and every claim carries the protection finalizer, so it is not removed
/// while a pod uses it.
enum StorageAdmission {
    static func admit(_ claim: inout JSON, registry: Registry) async {
        if claim[path: ["spec", "storageClassName"]] == nil,
            let classes = try? await registry.list(Resources.storageclasses, namespace: nil, options: ListOptions())
                .items,
            let chosen = defaultClass(classes)
        {
            claim[path: ["spec", "storageClassName"]] = .string(chosen)
        }
        var finalizers = claim[path: ["metadata", "finalizers"]]?.array ?? []
        if !finalizers.contains(.string(StorageRules.protectionFinalizer)) {
            finalizers.append(.string(StorageRules.protectionFinalizer))
            claim[path: ["metadata", "finalizers"]] = .array(finalizers)
        }
    }

    /// The newest class marked default (upstream picks the newest when several are).
    static func defaultClass(_ classes: [JSON]) -> String? {
        classes.filter { $0[path: ["metadata", "annotations", StorageRules.defaultClassAnnotation]]?.string == "true" }
            .max {
                ($0[path: ["metadata", "creationTimestamp"]]?.string ?? "", $1.name) < (
                    $1[path: ["metadata", "creationTimestamp"]]?.string ?? "", $0.name
                )
            }?
            .name
    }
}
