// Field numbers of coordination.k8s.io/v1 (k8s.io/api/coordination/v1) messages, as its `generated.proto` states them: facts of the
// wire format, one message per entry and one field per line.

extension KubeProtobuf {
    static let coordinationMessages: [Message] = [
        Message(
            "coordination.Lease",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("coordination.LeaseSpec")),
            ]
        ),
        Message(
            "coordination.LeaseSpec",
            [
                Field(1, "holderIdentity", .string),
                Field(2, "leaseDurationSeconds", .int),
                Field(3, "acquireTime", .time),
                Field(4, "renewTime", .time),
                Field(5, "leaseTransitions", .int),
                Field(6, "strategy", .string),
                Field(7, "preferredHolder", .string),
            ]
        ),
    ]
}
