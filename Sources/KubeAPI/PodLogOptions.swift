import KubeMachinery

/// The query of `GET pods/NAME/log`, decoded and checked as the API server does
/// (`ValidatePodLogOptions`): a value that is not a number is a 400, a number out of range a
/// 422 naming the field.
public struct PodLogOptions: Sendable, Equatable {
    public var container: String?
    public var follow = false
    public var previous = false
    public var timestamps = false
    public var tailLines: Int?
    public var limitBytes: Int?
    public var sinceSeconds: Int?
    public var sinceTime: String?

    public init() {}

    public init(query: [String: String], pod: String) throws(APIError) {
        container = query["container"].flatMap { $0.isEmpty ? nil : $0 }
        follow = QueryValue.bool(query["follow"])
        previous = QueryValue.bool(query["previous"])
        timestamps = QueryValue.bool(query["timestamps"])
        tailLines = try QueryValue.int(query["tailLines"])
        limitBytes = try QueryValue.int(query["limitBytes"])
        sinceSeconds = try QueryValue.int(query["sinceSeconds"])
        sinceTime = query["sinceTime"].flatMap { $0.isEmpty ? nil : $0 }
        if let t = sinceTime, Timestamp(rfc3339: t) == nil {
            throw APIError.badRequest("parsing time \"\(t)\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\(t)\"")
        }
        var errors: [FieldError] = []
        if let n = tailLines, n < 0 {
            errors.append(.invalid("tailLines", JSON(n), "must be greater than or equal to 0"))
        }
        if let n = limitBytes, n < 1 { errors.append(.invalid("limitBytes", JSON(n), "must be greater than 0")) }
        if sinceSeconds != nil, sinceTime != nil {
            errors.append(.forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be specified"))
        } else if let n = sinceSeconds, n < 1 {
            errors.append(.invalid("sinceSeconds", JSON(n), "must be greater than 0"))
        }
        if !errors.isEmpty { throw APIError.invalid(kind: "PodLogOptions", name: pod, causes: errors) }
    }

    /// The query the node agent is sent: only what was given, in a fixed order.
    public var agentQuery: [(String, String)] {
        var q: [(String, String)] = []
        if follow { q.append(("follow", "true")) }
        if previous { q.append(("previous", "true")) }
        if timestamps { q.append(("timestamps", "true")) }
        if let tailLines { q.append(("tailLines", String(tailLines))) }
        if let limitBytes { q.append(("limitBytes", String(limitBytes))) }
        if let sinceSeconds { q.append(("sinceSeconds", String(sinceSeconds))) }
        if let sinceTime { q.append(("sinceTime", sinceTime)) }
        return q
    }
}
