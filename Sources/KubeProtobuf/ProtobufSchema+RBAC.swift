// Field numbers of rbac.authorization.k8s.io/v1 and authorization.k8s.io/v1 (k8s.io/api/rbac/v1,
// k8s.io/api/authorization/v1) messages, as their `generated.proto` files state them: facts of
// the wire format, one message per entry and one field per line.

extension KubeProtobuf {
    static let rbacMessages: [Message] = [
        Message(
            "rbac.Role",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "rules", .repeated(.message("rbac.PolicyRule"))),
            ]
        ),
        Message(
            "rbac.ClusterRole",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "rules", .repeated(.message("rbac.PolicyRule"))),
                Field(3, "aggregationRule", .message("rbac.AggregationRule")),
            ]
        ),
        Message(
            "rbac.AggregationRule",
            [Field(1, "clusterRoleSelectors", .repeated(.message("meta.LabelSelector")))]
        ),
        Message(
            "rbac.PolicyRule",
            [
                Field(1, "verbs", .repeated(.string)),
                Field(2, "apiGroups", .repeated(.string)),
                Field(3, "resources", .repeated(.string)),
                Field(4, "resourceNames", .repeated(.string)),
                Field(5, "nonResourceURLs", .repeated(.string)),
            ]
        ),
        Message(
            "rbac.RoleBinding",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "subjects", .repeated(.message("rbac.Subject"))),
                Field(3, "roleRef", .message("rbac.RoleRef")),
            ]
        ),
        Message(
            "rbac.ClusterRoleBinding",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "subjects", .repeated(.message("rbac.Subject"))),
                Field(3, "roleRef", .message("rbac.RoleRef")),
            ]
        ),
        Message(
            "rbac.RoleRef",
            [
                Field(1, "apiGroup", .string),
                Field(2, "kind", .string),
                Field(3, "name", .string),
            ]
        ),
        Message(
            "rbac.Subject",
            [
                Field(1, "kind", .string),
                Field(2, "apiGroup", .string),
                Field(3, "name", .string),
                Field(4, "namespace", .string),
            ]
        ),
    ]

    static let authorizationMessages: [Message] = [
        Message(
            "authorization.SelfSubjectAccessReview",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("authorization.SelfSubjectAccessReviewSpec")),
                Field(3, "status", .message("authorization.SubjectAccessReviewStatus")),
            ]
        ),
        Message(
            "authorization.SelfSubjectAccessReviewSpec",
            [
                Field(1, "resourceAttributes", .message("authorization.ResourceAttributes")),
                Field(2, "nonResourceAttributes", .message("authorization.NonResourceAttributes")),
            ]
        ),
        Message(
            "authorization.SubjectAccessReview",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("authorization.SubjectAccessReviewSpec")),
                Field(3, "status", .message("authorization.SubjectAccessReviewStatus")),
            ]
        ),
        Message(
            "authorization.SubjectAccessReviewSpec",
            [
                Field(1, "resourceAttributes", .message("authorization.ResourceAttributes")),
                Field(2, "nonResourceAttributes", .message("authorization.NonResourceAttributes")),
                Field(3, "user", .string),
                Field(4, "groups", .repeated(.string)),
                Field(6, "uid", .string),
            ]
        ),
        Message(
            "authorization.ResourceAttributes",
            [
                Field(1, "namespace", .string),
                Field(2, "verb", .string),
                Field(3, "group", .string),
                Field(4, "version", .string),
                Field(5, "resource", .string),
                Field(6, "subresource", .string),
                Field(7, "name", .string),
            ]
        ),
        Message(
            "authorization.NonResourceAttributes",
            [
                Field(1, "path", .string),
                Field(2, "verb", .string),
            ]
        ),
        Message(
            "authorization.SelfSubjectRulesReview",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("authorization.SelfSubjectRulesReviewSpec")),
                Field(3, "status", .message("authorization.SubjectRulesReviewStatus")),
            ]
        ),
        Message("authorization.SelfSubjectRulesReviewSpec", [Field(1, "namespace", .string)]),
        Message(
            "authorization.SubjectAccessReviewStatus",
            [
                Field(1, "allowed", .bool),
                Field(2, "reason", .string),
                Field(3, "evaluationError", .string),
                Field(4, "denied", .bool),
            ]
        ),
        Message(
            "authorization.SubjectRulesReviewStatus",
            [
                Field(1, "resourceRules", .repeated(.message("authorization.ResourceRule"))),
                Field(2, "nonResourceRules", .repeated(.message("authorization.NonResourceRule"))),
                Field(3, "incomplete", .bool),
                Field(4, "evaluationError", .string),
            ]
        ),
        Message(
            "authorization.ResourceRule",
            [
                Field(1, "verbs", .repeated(.string)),
                Field(2, "apiGroups", .repeated(.string)),
                Field(3, "resources", .repeated(.string)),
                Field(4, "resourceNames", .repeated(.string)),
            ]
        ),
        Message(
            "authorization.NonResourceRule",
            [
                Field(1, "verbs", .repeated(.string)),
                Field(2, "nonResourceURLs", .repeated(.string)),
            ]
        ),
    ]
}
