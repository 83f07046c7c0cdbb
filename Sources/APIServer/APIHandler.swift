import Foundation
import Hummingbird
import KubeAPI
import KubeMachinery
import KubeProtobuf
import KubeStore
import Logging
import NIOCore
import NIOSSL

/// The request context: Hummingbird's, plus the channel for reading the client certificate.
public struct KubeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Answers every request of the Kubernetes API: authentication, discovery, resources, watch.
public struct APIHandler: HTTPResponder {
    public typealias Context = KubeRequestContext

    let registry: Registry
    public let authenticator: Authenticator
    let serverAddress: String
    let version: String
    let maxBodyBytes: Int
    let logger: Logger
    let extensions: APIExtensions
    /// Issues ServiceAccount tokens (`serviceaccounts/<name>/token`); nil: not served.
    let serviceAccountTokens: ServiceAccountTokens?
    /// RBAC; nil: every authenticated caller may do everything (tests).
    let authorizer: Authorizer?

    public init(
        registry: Registry,
        token: String?,
        serverAddress: String,
        version: String,
        maxBodyBytes: Int = 3 * 1024 * 1024,
        extensions: APIExtensions = APIExtensions(),
        serviceAccountTokens: ServiceAccountTokens? = nil,
        authorizer: Authorizer? = nil,
        logger: Logger = Logger(label: "swiftlet.apiserver")
    ) {
        self.serviceAccountTokens = serviceAccountTokens
        self.authorizer = authorizer
        self.registry = registry
        authenticator = Authenticator(token: token, tokenCheck: extensions.tokenCheck)
        self.serverAddress = serverAddress
        self.version = version
        self.maxBodyBytes = maxBodyBytes
        self.extensions = extensions
        self.logger = logger
    }

    public func respond(to request: Request, context: KubeRequestContext) async throws -> Response {
        do {
            return try await handle(request, context: context)
        } catch let e as APIError {
            return Self.status(e)
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return Self.status(.internalError(String(describing: error)))
        }
    }

    static func status(_ e: APIError) -> Response {
        json(e.status, status: .init(code: e.code))
    }

    static func json(_ value: JSON, status: HTTPResponse.Status = .ok) -> Response {
        var bytes = value.serialized()
        bytes.append(0x0A)
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    static func text(_ s: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: s))
        )
    }

    func handle(_ request: Request, context: KubeRequestContext) async throws -> Response {
        let path = request.uri.path
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        if ["/healthz", "/livez", "/readyz"].contains(path) { return Self.text("ok") }
        if path == "/version" { return Self.json(Discovery.version(swiftletVersion: version)) }
        // kubeadm's RBAC lets anyone read the cluster-info ConfigMap: joining nodes start there.
        let anonymous = request.method == .get && path == "/api/v1/namespaces/kube-public/configmaps/cluster-info"
        let user: UserInfo
        if anonymous {
            user = .anonymous
        } else {
            guard
                let u = await authenticator.authenticate(
                    authorization: request.headers[.authorization],
                    channel: context.channel
                )
            else { throw APIError.unauthorized }
            user = try await impersonation(of: u, request.headers)
            try await authorize(user, method: request.method.rawValue, path: path, query: request.uri.query)
        }
        let query = Query(request.uri.query)

        switch segments.count {
        case 0:
            return Self.json([
                "paths": JSON(
                    ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/version"]
                        + Resources.groups.map { "/apis/\($0.group)/\($0.version)" }
                )
            ])
        case 1 where segments[0] == "api":
            return Self.json(Discovery.apiVersions(serverAddress: serverAddress))
        case 1 where segments[0] == "apis":
            return Self.json(Discovery.groupList)
        case 2 where segments[0] == "api":
            guard let list = Discovery.resourceList(group: "", version: String(segments[1])) else { break }
            return Self.json(list)
        case 2 where segments[0] == "apis":
            guard let g = Discovery.group(String(segments[1])) else { break }
            return Self.json(g)
        case 3 where segments[0] == "apis":
            guard let list = Discovery.resourceList(group: String(segments[1]), version: String(segments[2])) else {
                break
            }
            return Self.json(list)
        default:
            break
        }
        if segments.first == "openapi" { return try OpenAPI.respond(segments: segments) }
        guard let rp = ResourcePath.parse(segments) else {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        guard let r = Resources.lookup(group: rp.group, version: rp.version, plural: rp.plural) else {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        if rp.namespace != nil, !r.namespaced {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        if let sub = rp.subresource {
            let known =
                (sub == "status" && r.hasStatus) || (sub == "scale" && r.hasScale)
                || (sub == "binding" && r.plural == "pods") || extensions.handlesSubresource(r, sub)
                || (sub == "token" && r.plural == "serviceaccounts" && serviceAccountTokens != nil)
                || (sub == "approval" && r.plural == "certificatesigningrequests" && r.group == CertificateRules.group)
                || (sub == "eviction" && r.plural == "pods" && r.group.isEmpty)
            guard known else {
                throw APIError(
                    code: 404,
                    reason: "NotFound",
                    message: "the server could not find the requested resource"
                )
            }
        }
        return try await handleResource(request, context: context, r: r, rp: rp, query: query, user: user)
    }

    /// Fills a new ServiceAccount token Secret, as upstream's token controller does a moment
    /// after its creation; a Secret whose account does not exist stays as it was made.
    func populateLegacyToken(_ secret: JSON, tokens: ServiceAccountTokens) async -> JSON {
        guard secret["type"]?.string == "kubernetes.io/service-account-token",
            let name = secret[path: ["metadata", "annotations", ServiceAccountTokens.accountNameAnnotation]]?.string
        else { return secret }
        let account = try? await registry.get(Resources.serviceaccounts, namespace: secret.namespace, name: name)
        guard let filled = tokens.populatedLegacySecret(secret, account: account) else { return secret }
        do {
            return try await registry.update(
                Resources.secrets,
                namespace: secret.namespace,
                name: secret.name,
                body: filled
            )
        } catch {
            logger.warning("could not fill ServiceAccount token Secret \(secret.namespace)/\(secret.name): \(error)")
            return secret
        }
    }

    static func headerValues(_ headers: HTTPFields, _ name: String) -> [String] {
        headers.filter { $0.name.canonicalName == name }.map(\.value)
    }

    /// The user a request acts as: its own, or the one its `Impersonate-*` headers name
    /// (`kubectl --as`), once the caller may impersonate that user and those groups.
    public func impersonation(of caller: UserInfo, _ headers: HTTPFields) async throws(APIError) -> UserInfo {
        let groups = Self.headerValues(headers, "impersonate-group")
        guard let name = Self.headerValues(headers, "impersonate-user").first else {
            if !groups.isEmpty {
                throw APIError(
                    code: 500,
                    reason: "InternalError",
                    message:
                        "Internal error occurred: requested [\(groups.map { "{Group \($0)}" }.joined(separator: " "))] without impersonating a user"
                )
            }
            return caller
        }
        var checks: [RequestAttributes] = []
        var user = UserInfo(name: name, uid: Self.headerValues(headers, "impersonate-uid").first ?? "", groups: groups)
        if let sa = UserInfo.serviceAccount(fromUserName: name) {
            checks.append(
                RequestAttributes(
                    verb: "impersonate",
                    resource: "serviceaccounts",
                    namespace: sa.namespace,
                    name: sa.name
                )
            )
            if groups.isEmpty { user.groups = ["system:serviceaccounts", "system:serviceaccounts:\(sa.namespace)"] }
        } else {
            checks.append(RequestAttributes(verb: "impersonate", resource: "users", name: name))
        }
        for g in groups {
            checks.append(RequestAttributes(verb: "impersonate", resource: "groups", name: g))
        }
        if let authorizer {
            for a in checks where !(await authorizer.allows(caller, a)) { throw Authorizer.forbidden(caller, a) }
        }
        if name != UserInfo.anonymous.name, !user.groups.contains(UserInfo.authenticated) {
            user.groups.append(UserInfo.authenticated)
        }
        return user
    }

    /// RBAC's decision on a request; a denial is upstream's 403.
    public func authorize(_ user: UserInfo, method: String, path: String, query: String?) async throws(APIError) {
        guard let authorizer else { return }
        let attributes = Authorizer.attributes(method: method, path: path, query: Query(query).values)
        let decision = await authorizer.decide(user, attributes)
        if !decision.allowed { throw Authorizer.forbidden(user, attributes, reason: decision.reason) }
    }

    func readBody(_ request: Request) async throws -> (bytes: ByteBuffer, contentType: String) {
        var req = request
        let buffer: ByteBuffer
        do {
            buffer = try await req.collectBody(upTo: maxBodyBytes)
        } catch {
            throw APIError.tooLarge(limit: maxBodyBytes)
        }
        let ct =
            request.headers[.contentType]?.split(separator: ";").first.map {
                $0.trimmingCharacters(in: " ").lowercased()
            } ?? "application/json"
        return (buffer, ct)
    }

    func parseBody(_ buffer: ByteBuffer, contentType: String) throws -> JSON {
        if buffer.readableBytes == 0 {
            throw APIError.badRequest("the request body is empty; send a JSON or YAML object")
        }
        switch contentType {
        case "application/json", "application/json-patch+json", "application/merge-patch+json",
            "application/strategic-merge-patch+json", "text/plain", "*/*", "":
            do {
                return try buffer.readableBytesView.withContiguousStorageIfAvailable { try JSON.parse(bytes: $0) }
                    ?? JSON.parse(Array(buffer.readableBytesView))
            } catch let e as JSONParseError {
                throw APIError.badRequest("the body of the request could not be decoded as JSON: \(e)")
            }
        case "application/vnd.kubernetes.protobuf":
            do { return try KubeProtobuf.decode(Array(buffer.readableBytesView)) } catch {
                throw APIError.badRequest("the body of the request could not be decoded as protobuf: \(error)")
            }
        case "application/yaml", "application/x-yaml", "text/yaml", "application/apply-patch+yaml":
            do {
                return try YAMLBridge.parse(String(buffer: buffer))
            } catch {
                throw APIError.badRequest("\(error)")
            }
        default:
            throw APIError.unsupportedMediaType(contentType)
        }
    }

    func listOptions(_ query: Query, _ r: Resource) throws -> ListOptions {
        // Numbers that do not parse are refused as upstream's parameter conversion refuses them.
        for key in ["limit", "timeoutSeconds"] { _ = try QueryValue.int(query[key]) }
        var o = ListOptions()
        if let ls = query["labelSelector"], !ls.isEmpty {
            do { o.labelSelector = try LabelSelector.parse(ls) } catch {
                throw APIError.badRequest("unable to parse requirement: \(error)")
            }
        }
        if let fs = query["fieldSelector"], !fs.isEmpty {
            do { o.fieldSelector = try FieldSelector.parse(fs) } catch {
                throw APIError.badRequest("\(error)")
            }
            for req in o.fieldSelector.requirements where !r.supportsFieldLabel(req.field) {
                throw APIError.badRequest("field label not supported: \(req.field)")
            }
        }
        return o
    }

    /// Upstream's `ValidateListOptions` for a list (not a watch): `resourceVersionMatch`.
    static func listOptionErrors(_ query: Query) -> [FieldError]? {
        guard let match = query["resourceVersionMatch"], !match.isEmpty else { return nil }
        var errors: [FieldError] = []
        let rv = query["resourceVersion"] ?? ""
        if rv.isEmpty {
            errors.append(
                .forbidden(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden unless resourceVersion is provided"
                )
            )
        }
        if !(query["continue"] ?? "").isEmpty {
            errors.append(
                .forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided")
            )
        }
        if match != "Exact" && match != "NotOlderThan" {
            errors.append(.notSupported("resourceVersionMatch", .string(match), ["Exact", "NotOlderThan", ""]))
        }
        if match == "Exact" && rv == "0" {
            errors.append(
                .forbidden(
                    "resourceVersionMatch",
                    "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""
                )
            )
        }
        return errors
    }

    func handleResource(
        _ request: Request,
        context: KubeRequestContext,
        r: Resource,
        rp: ResourcePath,
        query: Query,
        user: UserInfo
    ) async throws -> Response {
        let format = ResponseFormat.from(accept: request.headers[.accept], query: query)
        if case .unsupported(let a) = format {
            throw APIError.notAcceptable(
                "only the following media types are accepted: application/json, application/yaml (asked for \(a))"
            )
        }
        if Resources.reviews.contains(where: { $0.group == r.group && $0.plural == r.plural }) {
            guard request.method == .post, rp.name == nil else {
                throw APIError.methodNotAllowed(request.method.rawValue, resource: r.plural)
            }
            let (buf, ct) = try await readBody(request)
            return Self.json(try await review(r, try parseBody(buf, contentType: ct), user: user), status: .created)
        }
        let dryRun = query["dryRun"] == "All"
        let ns = rp.namespace
        if let sub = rp.subresource, extensions.handlesSubresource(r, sub) {
            return try await extensions.handle(
                request,
                r: r,
                namespace: ns,
                name: rp.name!,
                subresource: sub,
                query: query,
                registry: registry
            )
        }
        switch request.method {
        case .get where rp.name == nil:
            if query.bool("watch") == true {
                return try await watch(r, namespace: ns, query: query, format: format)
            }
            if let errors = Self.listOptionErrors(query), !errors.isEmpty {
                throw APIError.invalid(kind: "ListOptions", group: "meta.k8s.io", name: "", causes: errors)
            }
            let (items, rev) = try await registry.list(r, namespace: ns, options: try listOptions(query, r))
            if case .table(let include) = format {
                return Self.json(
                    Tables.table(r, objects: items, resourceVersion: String(rev), includeObject: include, now: .now)
                )
            }
            return Self.json([
                "kind": .string(r.listKind), "apiVersion": .string(r.apiVersion),
                "metadata": ["resourceVersion": .string(String(rev))], "items": .array(items),
            ])
        case .get:
            let obj = try await registry.get(r, namespace: ns, name: rp.name!)
            if rp.subresource == "scale" { return Self.json(Scale.from(obj)) }
            return render(r, obj, format: format)
        case .post where rp.subresource == "token" && r.plural == "serviceaccounts":
            guard let tokens = serviceAccountTokens else {
                throw APIError(
                    code: 404,
                    reason: "NotFound",
                    message: "the server could not find the requested resource"
                )
            }
            let (buf, ct) = try await readBody(request)
            let body = try parseBody(buf, contentType: ct)
            let answer = try await tokens.tokenRequest(
                body,
                namespace: ns ?? "default",
                serviceAccount: rp.name!,
                registry: registry
            )
            return Self.json(answer, status: .created)
        case .post where rp.subresource == "eviction":
            let (buf, ct) = try await readBody(request)
            let eviction = try parseBody(buf, contentType: ct)
            try await evict(namespace: ns ?? "default", name: rp.name!, eviction, dryRun: dryRun)
            return Self.json(APIError.success(), status: .created)
        case .post where rp.subresource == "binding":
            let (buf, ct) = try await readBody(request)
            let binding = try parseBody(buf, contentType: ct)
            guard let node = binding[path: ["target", "name"]]?.string, !node.isEmpty else {
                throw APIError.invalid(kind: "Binding", name: rp.name!, causes: [.required("target.name")])
            }
            _ = try await registry.bind(namespace: ns ?? "default", name: rp.name!, node: node, dryRun: dryRun)
            return Self.json(APIError.success(), status: .created)
        case .post where rp.name == nil:
            let (buf, ct) = try await readBody(request)
            var body = try parseBody(buf, contentType: ct)
            // NodeRestriction: a kubelet registers its own Node and no other.
            if r.plural == "nodes", r.group.isEmpty, let node = user.nodeName, body.name != node {
                throw Authorizer.forbidden(
                    user,
                    RequestAttributes(verb: "create", resource: "nodes", name: body.name),
                    reason: "node \"\(node)\" is not allowed to modify node \"\(body.name)\""
                )
            }
            if r.plural == "certificatesigningrequests", r.group == CertificateRules.group {
                body = try CertificateSigning.requested(body, by: user)
            }
            var obj = try await registry.create(r, namespace: ns, body: body, dryRun: dryRun)
            if r.plural == "secrets", r.group.isEmpty, !dryRun, let tokens = serviceAccountTokens {
                obj = await populateLegacyToken(obj, tokens: tokens)
            }
            return render(r, obj, format: format, status: .created)
        case .put where rp.name != nil:
            let (buf, ct) = try await readBody(request)
            var body = try parseBody(buf, contentType: ct)
            if rp.subresource == "scale" {
                let scaleBody = body
                let obj = try await Scale.update(registry, r, namespace: ns, name: rp.name!, dryRun: dryRun) { _ in
                    scaleBody
                }
                return Self.json(Scale.from(obj))
            }
            if body.isObject, body.kind.isEmpty { body["kind"] = .string(r.kind) }
            if rp.subresource == "approval" {
                // The approval subresource sets the Approved and Denied conditions, nothing else.
                var current = try await registry.get(r, namespace: nil, name: rp.name!)
                let decided = (body[path: ["status", "conditions"]]?.array ?? []).filter {
                    ["Approved", "Denied"].contains($0["type"]?.string ?? "")
                }
                let kept = (current[path: ["status", "conditions"]]?.array ?? []).filter {
                    !["Approved", "Denied"].contains($0["type"]?.string ?? "")
                }
                let stamped = decided.map { c -> JSON in
                    var c = c
                    if c["lastUpdateTime"] == nil { c["lastUpdateTime"] = .string(Timestamp.now.rfc3339) }
                    if c["lastTransitionTime"] == nil { c["lastTransitionTime"] = .string(Timestamp.now.rfc3339) }
                    return c
                }
                current[path: ["status", "conditions"]] = .array(kept + stamped)
                if !body.resourceVersion.isEmpty {
                    current[path: ["metadata", "resourceVersion"]] = .string(body.resourceVersion)
                }
                let obj = try await registry.update(
                    r,
                    namespace: nil,
                    name: rp.name!,
                    body: current,
                    subresource: "status",
                    dryRun: dryRun
                )
                return render(r, obj, format: format)
            }
            let obj = try await registry.update(
                r,
                namespace: ns,
                name: rp.name!,
                body: body,
                subresource: rp.subresource,
                dryRun: dryRun
            )
            return render(r, obj, format: format)
        case .patch where rp.name != nil:
            let (buf, ct) = try await readBody(request)
            guard let type = PatchType(rawValue: ct) else { throw APIError.unsupportedMediaType(ct) }
            if type == .apply {
                throw APIError(
                    code: 415,
                    reason: "UnsupportedMediaType",
                    message:
                        "server-side apply is not supported by Swiftlet yet; use client-side `kubectl apply` (the default)"
                )
            }
            let patch = try parseBody(buf, contentType: ct)
            if type == .json, let ops = patch.array?.count, ops > Patch.maxJSONPatchOperations {
                throw APIError(
                    code: 413,
                    reason: "RequestEntityTooLarge",
                    message:
                        "The allowed maximum operations in a JSON patch is \(Patch.maxJSONPatchOperations), got \(ops)"
                )
            }
            if rp.subresource == "scale" {
                let obj = try await Scale.update(registry, r, namespace: ns, name: rp.name!, dryRun: dryRun) {
                    scale throws(APIError) in
                    do throws(PatchError) { return try Patch.apply(type, patch: patch, to: scale) } catch {
                        throw APIError.badRequest(error.description)
                    }
                }
                return Self.json(Scale.from(obj))
            }
            let obj = try await registry.patch(
                r,
                namespace: ns,
                name: rp.name!,
                type: type,
                patch: patch,
                subresource: rp.subresource,
                dryRun: dryRun
            )
            return render(r, obj, format: format)
        case .delete:
            var options = DeleteOptions()
            if let g = query["gracePeriodSeconds"] { options.gracePeriodSeconds = Int64(g) }
            options.propagationPolicy = query["propagationPolicy"]
            let (buf, _) = try await readBody(request)
            if buf.readableBytes > 0, let body = try? JSON.parse(Array(buf.readableBytesView)) {
                if let g = body["gracePeriodSeconds"]?.int { options.gracePeriodSeconds = g }
                if let p = body["propagationPolicy"]?.string { options.propagationPolicy = p }
                if body["orphanDependents"]?.bool == true { options.propagationPolicy = "Orphan" }
                options.preconditionUID = body[path: ["preconditions", "uid"]]?.string
                options.preconditionResourceVersion = body[path: ["preconditions", "resourceVersion"]]?.string
                if body["dryRun"]?.array?.first?.string == "All" {
                    return try await deleteResponse(r, rp, ns, options, query, dryRun: true, format)
                }
            }
            return try await deleteResponse(r, rp, ns, options, query, dryRun: dryRun, format)
        default:
            throw APIError.methodNotAllowed(request.method.rawValue, resource: r.plural)
        }
    }

    func deleteResponse(
        _ r: Resource,
        _ rp: ResourcePath,
        _ ns: String?,
        _ options: DeleteOptions,
        _ query: Query,
        dryRun: Bool,
        _ format: ResponseFormat
    ) async throws -> Response {
        if let name = rp.name {
            let obj = try await registry.delete(r, namespace: ns, name: name, options: options, dryRun: dryRun)
            return render(r, obj, format: .object)
        }
        let items = try await registry.deleteCollection(
            r,
            namespace: ns,
            options: try listOptions(query, r),
            deleteOptions: options,
            dryRun: dryRun
        )
        return Self.json([
            "kind": .string(r.listKind), "apiVersion": .string(r.apiVersion), "metadata": .emptyObject,
            "items": .array(items),
        ])
    }

    func render(_ r: Resource, _ obj: JSON, format: ResponseFormat, status: HTTPResponse.Status = .ok) -> Response {
        if case .table(let include) = format {
            return Self.json(
                Tables.table(r, objects: [obj], resourceVersion: nil, includeObject: include, now: .now),
                status: status
            )
        }
        return Self.json(obj, status: status)
    }

    func watch(_ r: Resource, namespace: String?, query: Query, format: ResponseFormat) async throws -> Response {
        var options = Registry.WatchOptions()
        options.list = try listOptions(query, r)
        options.resourceVersion = query["resourceVersion"]
        options.sendInitialEvents = query.bool("sendInitialEvents")
        options.allowBookmarks = query.bool("allowWatchBookmarks") ?? false
        if let t = try QueryValue.int(query["timeoutSeconds"]), t > 0 { options.timeout = .seconds(t) }
        let events = try await registry.watch(r, namespace: namespace, options: options)
        let cache = registry.encodedEvents
        let body = ResponseBody { writer in
            for await event in events {
                var e = event
                var cacheKey: String?
                if case .table(let include) = format, e.type != "ERROR", e.type != "BOOKMARK" {
                    e.object = Tables.table(
                        r,
                        objects: [e.object],
                        resourceVersion: nil,
                        includeObject: include,
                        now: .now
                    )
                } else if e.revision > 0 {
                    cacheKey = "\(e.revision)/\(e.type)"
                }
                var bytes: [UInt8]
                if let cacheKey, let cached = cache.get(cacheKey) {
                    bytes = cached
                } else {
                    bytes = e.json.serialized()
                    bytes.append(0x0A)
                    if let cacheKey { cache.set(cacheKey, bytes) }
                }
                try await writer.write(ByteBuffer(bytes: bytes))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: body)
    }
}

/// The `autoscaling/v1` Scale subresource of Deployments and ReplicaSets.
enum Scale {
    static func from(_ obj: JSON) -> JSON {
        var meta: JSON = .emptyObject
        for key in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
            if let v = obj[path: ["metadata", key]] { meta[key] = v }
        }
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": meta,
            "spec": ["replicas": .int(obj[path: ["spec", "replicas"]]?.int ?? 0)],
            "status": [
                "replicas": .int(obj[path: ["status", "replicas"]]?.int ?? 0),
                "selector": .string(Printing.selectorString(obj[path: ["spec", "selector"]])),
            ],
        ]
    }

    static func update(
        _ registry: Registry,
        _ r: Resource,
        namespace: String?,
        name: String,
        dryRun: Bool,
        _ change: @escaping @Sendable (JSON) throws(APIError) -> JSON
    ) async throws -> JSON {
        try await registry.guaranteedUpdate(
            r,
            namespace: namespace,
            name: name,
            subresource: nil,
            dryRun: dryRun,
            retryOnConflict: true
        ) { current throws(APIError) in
            let scale = try change(from(current))
            guard let replicas = scale[path: ["spec", "replicas"]]?.int else {
                throw APIError.badRequest("spec.replicas is required in a Scale")
            }
            if replicas < 0 {
                throw APIError.invalid(
                    kind: "Scale",
                    group: "autoscaling",
                    name: name,
                    causes: [.invalid("spec.replicas", .int(replicas), "must be greater than or equal to 0")]
                )
            }
            var updated = current
            updated[path: ["spec", "replicas"]] = .int(replicas)
            return updated
        }
    }
}
