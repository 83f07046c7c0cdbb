/// An error the API answers with: an HTTP code plus a Kubernetes `Status` object.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var code: Int
    public var reason: String
    public var message: String
    public var name: String?
    public var group: String?
    public var kind: String?
    public var causes: [FieldError]
    /// Causes that are not field errors (`{"reason": "DisruptionBudget", "message": …}`).
    public var otherCauses: [(reason: String, message: String)] = []
    public var retryAfterSeconds: Int?

    public init(
        code: Int,
        reason: String,
        message: String,
        name: String? = nil,
        group: String? = nil,
        kind: String? = nil,
        causes: [FieldError] = []
    ) {
        self.code = code
        self.reason = reason
        self.message = message
        self.name = name
        self.group = group
        self.kind = kind
        self.causes = causes
    }

    public var description: String { message }

    /// `services "x"` or `deployments.apps "x"`: how Kubernetes names a resource in messages.
    static func qualified(_ resource: String, _ group: String) -> String {
        group.isEmpty ? resource : "\(resource).\(group)"
    }

    public static func notFound(resource: String, group: String = "", name: String) -> APIError {
        APIError(
            code: 404,
            reason: "NotFound",
            message: "\(qualified(resource, group)) \"\(name)\" not found",
            name: name,
            group: group.isEmpty ? nil : group,
            kind: resource
        )
    }

    public static func alreadyExists(resource: String, group: String = "", name: String) -> APIError {
        APIError(
            code: 409,
            reason: "AlreadyExists",
            message: "\(qualified(resource, group)) \"\(name)\" already exists",
            name: name,
            group: group.isEmpty ? nil : group,
            kind: resource
        )
    }

    public static func conflict(resource: String, group: String = "", name: String, detail: String? = nil) -> APIError {
        let why =
            detail ?? "the object has been modified; please apply your changes to the latest version and try again"
        return APIError(
            code: 409,
            reason: "Conflict",
            message: "Operation cannot be fulfilled on \(qualified(resource, group)) \"\(name)\": \(why)",
            name: name,
            group: group.isEmpty ? nil : group,
            kind: resource
        )
    }

    public static func invalid(kind: String, group: String = "", name: String, causes: [FieldError]) -> APIError {
        let list = causes.map(\.description)
        let joined = list.count == 1 ? list[0] : "[" + list.joined(separator: ", ") + "]"
        let qualifiedKind = group.isEmpty ? kind : "\(kind).\(group)"
        return APIError(
            code: 422,
            reason: "Invalid",
            message: "\(qualifiedKind) \"\(name)\" is invalid: \(joined)",
            name: name,
            group: group.isEmpty ? nil : group,
            kind: kind,
            causes: causes
        )
    }

    public static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    public static func gone(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    public static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    public static func methodNotAllowed(_ verb: String, resource: String) -> APIError {
        APIError(
            code: 405,
            reason: "MethodNotAllowed",
            message: "the server does not allow this method on the requested resource"
        )
    }

    public static func tooLarge(limit: Int) -> APIError {
        APIError(code: 413, reason: "RequestEntityTooLarge", message: "Request entity too large: limit is \(limit)")
    }

    public static func unsupportedMediaType(_ type: String) -> APIError {
        APIError(
            code: 415,
            reason: "UnsupportedMediaType",
            message:
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json"
        )
    }

    public static func notAcceptable(_ message: String) -> APIError {
        APIError(code: 406, reason: "NotAcceptable", message: message)
    }

    public static func forbidden(resource: String, group: String = "", name: String, _ why: String) -> APIError {
        APIError(
            code: 403,
            reason: "Forbidden",
            message: "\(qualified(resource, group)) \"\(name)\" is forbidden: \(why)",
            name: name,
            group: group.isEmpty ? nil : group,
            kind: resource
        )
    }

    public static func internalError(_ message: String) -> APIError {
        APIError(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)")
    }

    public static func serviceUnavailable(_ message: String) -> APIError {
        APIError(code: 503, reason: "ServiceUnavailable", message: message)
    }

    public static func timeout(_ message: String) -> APIError {
        APIError(code: 504, reason: "Timeout", message: message)
    }

    /// The `Status` object body.
    public var status: JSON {
        var s: JSON = [
            "kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Failure",
            "message": .string(message), "reason": .string(reason),
        ]
        var details = JSONObject()
        if let name { details["name"] = .string(name) }
        if let group { details["group"] = .string(group) }
        if let kind { details["kind"] = .string(kind) }
        if !causes.isEmpty || !otherCauses.isEmpty {
            details["causes"] = .array(
                causes.map { c in
                    ["reason": .string(c.kind.causeReason), "message": .string(c.body), "field": .string(c.field)]
                } + otherCauses.map { ["reason": .string($0.reason), "message": .string($0.message)] }
            )
        }
        if let retryAfterSeconds { details["retryAfterSeconds"] = JSON(retryAfterSeconds) }
        if !details.isEmpty { s["details"] = .object(details) }
        s["code"] = JSON(code)
        return s
    }

    public static func success(details: JSON? = nil) -> JSON {
        var s: JSON = ["kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Success"]
        if let details { s["details"] = details }
        return s
    }
}
