// Field numbers of discovery.k8s.io/v1 (k8s.io/api/discovery/v1) messages, as its `generated.proto` states them: facts of the
// wire format, one message per entry and one field per line.

extension KubeProtobuf {
    static let discoveryMessages: [Message] = [
        Message(
            "discovery.Endpoint",
            [
                Field(1, "addresses", .repeated(.string)),
                Field(2, "conditions", .message("discovery.EndpointConditions")),
                Field(3, "hostname", .string),
                Field(4, "targetRef", .message("core.ObjectReference")),
                Field(5, "deprecatedTopology", .map(.string)),
                Field(6, "nodeName", .string),
                Field(7, "zone", .string),
                Field(8, "hints", .message("discovery.EndpointHints")),
            ]
        ),
        Message(
            "discovery.EndpointConditions",
            [
                Field(1, "ready", .bool),
                Field(2, "serving", .bool),
                Field(3, "terminating", .bool),
            ]
        ),
        Message(
            "discovery.EndpointHints",
            [
                Field(1, "forZones", .repeated(.message("discovery.ForZone"))),
                Field(2, "forNodes", .repeated(.message("discovery.ForNode"))),
            ]
        ),
        Message(
            "discovery.EndpointPort",
            [
                Field(1, "name", .string),
                Field(2, "protocol", .string),
                Field(3, "port", .int),
                Field(4, "appProtocol", .string),
            ]
        ),
        Message(
            "discovery.EndpointSlice",
            [
                Field(1, "metadata", .message("meta.ObjectMeta")),
                Field(4, "addressType", .string),
                Field(2, "endpoints", .repeated(.message("discovery.Endpoint"))),
                Field(3, "ports", .repeated(.message("discovery.EndpointPort"))),
            ]
        ),
        Message(
            "discovery.ForNode",
            [
                Field(1, "name", .string)
            ]
        ),
        Message(
            "discovery.ForZone",
            [
                Field(1, "name", .string)
            ]
        ),
    ]
}
