// Field numbers of apps/v1 (k8s.io/api/apps/v1) messages, as its `generated.proto` states them: facts of the
// wire format, one message per entry and one field per line.

extension KubeProtobuf {
    static let appsMessages: [Message] = [
        Message(
            "apps.Deployment",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("apps.DeploymentSpec")),
                Field(3, "status", .message("apps.DeploymentStatus")),
            ]
        ),
        Message(
            "apps.DeploymentCondition",
            [
                Field(1, "type", .string),
                Field(2, "status", .string),
                Field(6, "lastUpdateTime", .time),
                Field(7, "lastTransitionTime", .time),
                Field(4, "reason", .string),
                Field(5, "message", .string),
            ]
        ),
        Message(
            "apps.DeploymentSpec",
            [
                Field(1, "replicas", .int),
                Field(2, "selector", .message("meta.LabelSelector")),
                Field(3, "template", .message("core.PodTemplateSpec")),
                Field(4, "strategy", .message("apps.DeploymentStrategy")),
                Field(5, "minReadySeconds", .int),
                Field(6, "revisionHistoryLimit", .int),
                Field(7, "paused", .bool),
                Field(9, "progressDeadlineSeconds", .int),
            ]
        ),
        Message(
            "apps.DeploymentStatus",
            [
                Field(1, "observedGeneration", .int),
                Field(2, "replicas", .int),
                Field(3, "updatedReplicas", .int),
                Field(7, "readyReplicas", .int),
                Field(4, "availableReplicas", .int),
                Field(5, "unavailableReplicas", .int),
                Field(9, "terminatingReplicas", .int),
                Field(6, "conditions", .repeated(.message("apps.DeploymentCondition"))),
                Field(8, "collisionCount", .int),
            ]
        ),
        Message(
            "apps.DeploymentStrategy",
            [
                Field(1, "type", .string),
                Field(2, "rollingUpdate", .message("apps.RollingUpdateDeployment")),
            ]
        ),
        Message(
            "apps.ReplicaSet",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("apps.ReplicaSetSpec")),
                Field(3, "status", .message("apps.ReplicaSetStatus")),
            ]
        ),
        Message(
            "apps.ReplicaSetCondition",
            [
                Field(1, "type", .string),
                Field(2, "status", .string),
                Field(3, "lastTransitionTime", .time),
                Field(4, "reason", .string),
                Field(5, "message", .string),
            ]
        ),
        Message(
            "apps.ReplicaSetSpec",
            [
                Field(1, "replicas", .int),
                Field(4, "minReadySeconds", .int),
                Field(2, "selector", .message("meta.LabelSelector")),
                Field(3, "template", .message("core.PodTemplateSpec")),
            ]
        ),
        Message(
            "apps.ReplicaSetStatus",
            [
                Field(1, "replicas", .int),
                Field(2, "fullyLabeledReplicas", .int),
                Field(4, "readyReplicas", .int),
                Field(5, "availableReplicas", .int),
                Field(7, "terminatingReplicas", .int),
                Field(3, "observedGeneration", .int),
                Field(6, "conditions", .repeated(.message("apps.ReplicaSetCondition"))),
            ]
        ),
        Message(
            "apps.RollingUpdateDeployment",
            [
                Field(1, "maxUnavailable", .intOrString),
                Field(2, "maxSurge", .intOrString),
            ]
        ),
    ]
}
