import KubeAPI
import KubeMachinery

/// The reviews: requests that are answered from who asks and what the policy says, never
/// stored (`kubectl auth can-i`, `kubectl auth whoami`).
extension APIHandler {
    func review(_ r: Resource, _ body: JSON, user: UserInfo) async throws(APIError) -> JSON {
        if let kind = body["kind"]?.string, !kind.isEmpty, kind != r.kind {
            throw APIError.badRequest("the body of the request was a \(kind), not a \(r.kind)")
        }
        var answer = body
        answer["apiVersion"] = .string(r.apiVersion)
        answer["kind"] = .string(r.kind)
        if answer["metadata"] == nil { answer["metadata"] = ["creationTimestamp": .null] }
        let spec = body["spec"] ?? .emptyObject
        switch r.kind {
        case "SelfSubjectReview":
            answer["status"] = ["userInfo": user.json]
        case "SelfSubjectAccessReview":
            answer["status"] = try await accessReview(spec, user: user, kind: r.kind)
        case "SubjectAccessReview":
            let subject = UserInfo(
                name: spec["user"]?.string ?? "",
                uid: spec["uid"]?.string ?? "",
                groups: spec["groups"]?.array?.compactMap(\.string) ?? []
            )
            if subject.name.isEmpty, subject.groups.isEmpty {
                throw APIError.invalid(
                    kind: r.kind,
                    group: r.group,
                    name: "",
                    causes: [.invalid("spec.user", .string(""), "at least one of user or group must be specified")]
                )
            }
            answer["status"] = try await accessReview(spec, user: subject, kind: r.kind)
        case "SelfSubjectRulesReview":
            let namespace = spec["namespace"]?.string ?? ""
            let rules = await authorizer?.rules(for: user, namespace: namespace) ?? Self.allowAllRules
            answer["status"] = Self.rulesStatus(rules)
        case "TokenReview":
            let token = spec["token"]?.string ?? ""
            if let tokens = serviceAccountTokens, let u = await tokens.authenticate(token, registry: registry) {
                answer["status"] = ["authenticated": true, "user": u.json, "audiences": JSON(tokens.audiences)]
            } else {
                answer["status"] = ["user": .emptyObject, "error": "[invalid bearer token, token lookup failed]"]
            }
        default:
            throw APIError.methodNotAllowed("create", resource: r.plural)
        }
        return answer
    }

    static let allowAllRules: [JSON] = RBACDefaults.clusterRoles.first?["rules"]?.array ?? []

    func accessReview(_ spec: JSON, user: UserInfo, kind: String) async throws(APIError) -> JSON {
        let attributes: RequestAttributes
        if let ra = spec["resourceAttributes"], ra.isObject {
            attributes = RequestAttributes(
                verb: ra["verb"]?.string ?? "",
                apiGroup: ra["group"]?.string ?? "",
                resource: ra["resource"]?.string ?? "",
                subresource: ra["subresource"]?.string ?? "",
                namespace: ra["namespace"]?.string ?? "",
                name: ra["name"]?.string ?? ""
            )
        } else if let na = spec["nonResourceAttributes"], na.isObject {
            attributes = RequestAttributes(verb: na["verb"]?.string ?? "", path: na["path"]?.string ?? "")
        } else {
            throw APIError.invalid(
                kind: kind,
                group: "authorization.k8s.io",
                name: "",
                causes: [
                    .invalid(
                        "spec.resourceAttributes",
                        .null,
                        "exactly one of nonResourceAttributes or resourceAttributes must be specified"
                    )
                ]
            )
        }
        let allowed = await authorizer?.allows(user, attributes) ?? true
        var status: JSON = ["allowed": .bool(allowed)]
        if allowed { status["reason"] = .string(user.groups.contains(UserInfo.masters) ? "" : "RBAC: allowed") }
        if status["reason"] == "" { status["reason"] = nil }
        return status
    }

    /// RBAC rules as a SubjectRulesReviewStatus: resource rules and non-resource rules apart.
    static func rulesStatus(_ rules: [JSON]) -> JSON {
        var resourceRules: [JSON] = [], nonResourceRules: [JSON] = []
        for rule in rules {
            if let urls = rule["nonResourceURLs"]?.array, !urls.isEmpty {
                nonResourceRules.append(["verbs": rule["verbs"] ?? [], "nonResourceURLs": .array(urls)])
            } else {
                var r: JSON = [
                    "verbs": rule["verbs"] ?? [], "apiGroups": rule["apiGroups"] ?? [],
                    "resources": rule["resources"] ?? [],
                ]
                if let names = rule["resourceNames"]?.array, !names.isEmpty { r["resourceNames"] = .array(names) }
                resourceRules.append(r)
            }
        }
        return [
            "resourceRules": .array(resourceRules), "nonResourceRules": .array(nonResourceRules), "incomplete": false,
        ]
    }
}
