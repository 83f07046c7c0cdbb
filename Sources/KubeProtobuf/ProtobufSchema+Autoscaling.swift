// Field numbers of autoscaling/v1 (k8s.io/api/autoscaling/v1) messages, as its `generated.proto` states them: facts of the
// wire format, one message per entry and one field per line.

extension KubeProtobuf {
    static let autoscalingMessages: [Message] = [
        Message(
            "autoscaling.Scale",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("autoscaling.ScaleSpec")),
                Field(3, "status", .message("autoscaling.ScaleStatus")),
            ]
        ),
        Message(
            "autoscaling.ScaleSpec",
            [
                Field(1, "replicas", .int)
            ]
        ),
        Message(
            "autoscaling.ScaleStatus",
            [
                Field(1, "replicas", .int),
                Field(2, "selector", .string),
            ]
        ),
    ]
}
