// Field numbers of authentication.k8s.io/v1 (k8s.io/api/authentication/v1) messages, as its `generated.proto` states them: facts of the
// wire format, one message per entry and one field per line.

extension KubeProtobuf {
    static let authenticationMessages: [Message] = [
        Message(
            "authentication.TokenRequest",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("authentication.TokenRequestSpec")),
                Field(3, "status", .message("authentication.TokenRequestStatus")),
            ]
        ),
        Message(
            "authentication.TokenRequestSpec",
            [
                Field(1, "audiences", .repeated(.string)),
                Field(3, "boundObjectRef", .message("authentication.BoundObjectReference")),
                Field(4, "expirationSeconds", .int),
            ]
        ),
        Message(
            "authentication.BoundObjectReference",
            [
                Field(1, "kind", .string),
                Field(2, "apiVersion", .string),
                Field(3, "name", .string),
                Field(4, "uid", .string),
            ]
        ),
        Message(
            "authentication.TokenRequestStatus",
            [
                Field(1, "token", .string),
                Field(2, "expirationTimestamp", .time),
            ]
        ),
        Message(
            "authentication.SelfSubjectReview",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "status", .message("authentication.SelfSubjectReviewStatus")),
            ]
        ),
        Message(
            "authentication.SelfSubjectReviewStatus",
            [Field(1, "userInfo", .message("authentication.UserInfo"))]
        ),
        Message(
            "authentication.UserInfo",
            [
                Field(1, "username", .string),
                Field(2, "uid", .string),
                Field(3, "groups", .repeated(.string)),
            ]
        ),
    ]
}
