// Field numbers of certificates.k8s.io/v1 (k8s.io/api/certificates/v1) messages, as its
// `generated.proto` states them: facts of the wire format, one message per entry and one
// field per line.

extension KubeProtobuf {
    static let certificatesMessages: [Message] = [
        Message(
            "certificates.CertificateSigningRequest",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("certificates.CertificateSigningRequestSpec")),
                Field(3, "status", .message("certificates.CertificateSigningRequestStatus")),
            ]
        ),
        Message(
            "certificates.CertificateSigningRequestSpec",
            [
                Field(1, "request", .bytes),
                Field(2, "username", .string),
                Field(3, "uid", .string),
                Field(4, "groups", .repeated(.string)),
                Field(5, "usages", .repeated(.string)),
                Field(6, "extra", .map(.message("certificates.ExtraValue"))),
                Field(7, "signerName", .string),
                Field(8, "expirationSeconds", .int),
            ]
        ),
        Message("certificates.ExtraValue", [Field(1, "items", .repeated(.string))]),
        Message(
            "certificates.CertificateSigningRequestStatus",
            [
                Field(1, "conditions", .repeated(.message("certificates.CertificateSigningRequestCondition"))),
                Field(2, "certificate", .bytes),
            ]
        ),
        Message(
            "certificates.CertificateSigningRequestCondition",
            [
                Field(1, "type", .string),
                Field(2, "reason", .string),
                Field(3, "message", .string),
                Field(4, "lastUpdateTime", .time),
                Field(5, "lastTransitionTime", .time),
                Field(6, "status", .string),
            ]
        ),
    ]
}
