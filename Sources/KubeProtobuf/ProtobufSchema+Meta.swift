// Field numbers of meta/v1 (k8s.io/apimachinery/pkg/apis/meta/v1) messages, as its `generated.proto` states them: facts of the
// wire format, one message per entry and one field per line.

extension KubeProtobuf {
    static let metaMessages: [Message] = [
        Message(
            "meta.Condition",
            [
                Field(1, "type", .string),
                Field(2, "status", .string),
                Field(3, "observedGeneration", .int),
                Field(4, "lastTransitionTime", .time),
                Field(5, "reason", .string),
                Field(6, "message", .string),
            ]
        ),
        Message(
            "meta.DeleteOptions",
            [
                Field(1, "gracePeriodSeconds", .int),
                Field(2, "preconditions", .message("meta.Preconditions")),
                Field(3, "orphanDependents", .bool),
                Field(4, "propagationPolicy", .string),
                Field(5, "dryRun", .repeated(.string)),
                Field(6, "ignoreStoreReadErrorWithClusterBreakingPotential", .bool),
            ]
        ),
        Message(
            "meta.LabelSelector",
            [
                Field(1, "matchLabels", .map(.string)),
                Field(2, "matchExpressions", .repeated(.message("meta.LabelSelectorRequirement"))),
            ]
        ),
        Message(
            "meta.LabelSelectorRequirement",
            [
                Field(1, "key", .string),
                Field(2, "operator", .string),
                Field(3, "values", .repeated(.string)),
            ]
        ),
        Message(
            "meta.ManagedFieldsEntry",
            [
                Field(1, "manager", .string),
                Field(2, "operation", .string),
                Field(3, "apiVersion", .string),
                Field(4, "time", .time),
                Field(6, "fieldsType", .string),
                Field(7, "fieldsV1", .skip),
                Field(8, "subresource", .string),
            ]
        ),
        Message(
            "meta.ObjectMeta",
            [
                Field(1, "name", .string),
                Field(2, "generateName", .string),
                Field(3, "namespace", .string),
                Field(4, "selfLink", .string),
                Field(5, "uid", .string),
                Field(6, "resourceVersion", .string),
                Field(7, "generation", .int),
                Field(8, "creationTimestamp", .time),
                Field(9, "deletionTimestamp", .time),
                Field(10, "deletionGracePeriodSeconds", .int),
                Field(11, "labels", .map(.string)),
                Field(12, "annotations", .map(.string)),
                Field(13, "ownerReferences", .repeated(.message("meta.OwnerReference"))),
                Field(14, "finalizers", .repeated(.string)),
                Field(17, "managedFields", .repeated(.message("meta.ManagedFieldsEntry"))),
            ]
        ),
        Message(
            "meta.OwnerReference",
            [
                Field(5, "apiVersion", .string),
                Field(1, "kind", .string),
                Field(3, "name", .string),
                Field(4, "uid", .string),
                Field(6, "controller", .bool),
                Field(7, "blockOwnerDeletion", .bool),
            ]
        ),
        Message(
            "meta.Preconditions",
            [
                Field(1, "uid", .string),
                Field(2, "resourceVersion", .string),
            ]
        ),
    ]
}
