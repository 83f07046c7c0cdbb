// Field numbers of batch/v1 (k8s.io/api/batch/v1) messages, as its `generated.proto` states
// them: facts of the wire format, one message per entry and one field per line.

extension KubeProtobuf {
    static let batchMessages: [Message] = [
        Message(
            "batch.Job",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("batch.JobSpec")),
                Field(3, "status", .message("batch.JobStatus")),
            ]
        ),
        Message(
            "batch.JobSpec",
            [
                Field(1, "parallelism", .int),
                Field(2, "completions", .int),
                Field(3, "activeDeadlineSeconds", .int),
                Field(4, "selector", .message("meta.LabelSelector")),
                Field(5, "manualSelector", .bool),
                Field(6, "template", .message("core.PodTemplateSpec")),
                Field(7, "backoffLimit", .int),
                Field(8, "ttlSecondsAfterFinished", .int),
                Field(9, "completionMode", .string),
                Field(10, "suspend", .bool),
                Field(11, "podFailurePolicy", .message("batch.PodFailurePolicy")),
                Field(12, "backoffLimitPerIndex", .int),
                Field(13, "maxFailedIndexes", .int),
                Field(14, "podReplacementPolicy", .string),
                Field(15, "managedBy", .string),
                Field(16, "successPolicy", .message("batch.SuccessPolicy")),
            ]
        ),
        Message(
            "batch.JobStatus",
            [
                Field(1, "conditions", .repeated(.message("batch.JobCondition"))),
                Field(2, "startTime", .time),
                Field(3, "completionTime", .time),
                Field(4, "active", .int),
                Field(5, "succeeded", .int),
                Field(6, "failed", .int),
                Field(7, "completedIndexes", .string),
                Field(9, "ready", .int),
                Field(10, "failedIndexes", .string),
                Field(11, "terminating", .int),
            ]
        ),
        Message(
            "batch.JobCondition",
            [
                Field(1, "type", .string),
                Field(2, "status", .string),
                Field(3, "lastProbeTime", .time),
                Field(4, "lastTransitionTime", .time),
                Field(5, "reason", .string),
                Field(6, "message", .string),
            ]
        ),
        Message("batch.PodFailurePolicy", [Field(1, "rules", .repeated(.message("batch.PodFailurePolicyRule")))]),
        Message(
            "batch.PodFailurePolicyRule",
            [
                Field(1, "action", .string),
                Field(2, "onExitCodes", .message("batch.PodFailurePolicyOnExitCodesRequirement")),
                Field(3, "onPodConditions", .repeated(.message("batch.PodFailurePolicyOnPodConditionsPattern"))),
            ]
        ),
        Message(
            "batch.PodFailurePolicyOnExitCodesRequirement",
            [
                Field(1, "containerName", .string),
                Field(2, "operator", .string),
                Field(3, "values", .repeated(.int)),
            ]
        ),
        Message(
            "batch.PodFailurePolicyOnPodConditionsPattern",
            [
                Field(1, "type", .string),
                Field(2, "status", .string),
            ]
        ),
        Message("batch.SuccessPolicy", [Field(1, "rules", .repeated(.message("batch.SuccessPolicyRule")))]),
        Message(
            "batch.SuccessPolicyRule",
            [
                Field(1, "succeededIndexes", .string),
                Field(2, "succeededCount", .int),
            ]
        ),
        Message(
            "batch.CronJob",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("batch.CronJobSpec")),
                Field(3, "status", .message("batch.CronJobStatus")),
            ]
        ),
        Message(
            "batch.CronJobSpec",
            [
                Field(1, "schedule", .string),
                Field(2, "startingDeadlineSeconds", .int),
                Field(3, "concurrencyPolicy", .string),
                Field(4, "suspend", .bool),
                Field(5, "jobTemplate", .message("batch.JobTemplateSpec")),
                Field(6, "successfulJobsHistoryLimit", .int),
                Field(7, "failedJobsHistoryLimit", .int),
                Field(8, "timeZone", .string),
            ]
        ),
        Message(
            "batch.JobTemplateSpec",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(2, "spec", .message("batch.JobSpec")),
            ]
        ),
        Message(
            "batch.CronJobStatus",
            [
                Field(1, "active", .repeated(.message("core.ObjectReference"))),
                Field(4, "lastScheduleTime", .time),
                Field(5, "lastSuccessfulTime", .time),
            ]
        ),
    ]
}
