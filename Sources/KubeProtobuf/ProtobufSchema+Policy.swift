// Field numbers of policy/v1 (k8s.io/api/policy/v1) messages, as its `generated.proto` states
// them: facts of the wire format, one message per entry and one field per line.

extension KubeProtobuf {
    static let policyMessages: [Message] = [
        Message(
            "policy.Eviction",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "deleteOptions", .message("meta.DeleteOptions")),
            ]
        ),
        Message(
            "policy.PodDisruptionBudget",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("policy.PodDisruptionBudgetSpec")),
                Field(3, "status", .message("policy.PodDisruptionBudgetStatus")),
            ]
        ),
        Message(
            "policy.PodDisruptionBudgetSpec",
            [
                Field(1, "minAvailable", .intOrString),
                Field(2, "selector", .message("meta.LabelSelector")),
                Field(3, "maxUnavailable", .intOrString),
                Field(4, "unhealthyPodEvictionPolicy", .string),
            ]
        ),
        Message(
            "policy.PodDisruptionBudgetStatus",
            [
                Field(1, "observedGeneration", .int),
                Field(2, "disruptedPods", .map(.time)),
                Field(3, "disruptionsAllowed", .int),
                Field(4, "currentHealthy", .int),
                Field(5, "desiredHealthy", .int),
                Field(6, "expectedPods", .int),
                Field(7, "conditions", .repeated(.message("meta.Condition"))),
            ]
        ),
    ]
}
