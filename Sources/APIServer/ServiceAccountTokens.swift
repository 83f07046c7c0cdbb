import Crypto
import Foundation
import KubeAPI
import KubeMachinery

/// ServiceAccount tokens: JWTs (ES256) with the claims of Kubernetes' bound tokens. The
/// signing key is derived from the cluster CA's key, so every API server of a cluster
/// issues and accepts the same tokens without another secret to share.
public struct ServiceAccountTokens: Sendable {
    let key: P256.Signing.PrivateKey
    public let issuer: String
    /// The API server's own audiences: a token for another audience is not accepted here.
    public let audiences: [String]
    public let keyID: String

    public static let defaultIssuer = "https://kubernetes.default.svc.cluster.local"

    /// The cluster CA (PEM), which a ServiceAccount token Secret carries as `ca.crt`.
    public var caCertPEM = ""

    public init(caKeyPEM: String, issuer: String = Self.defaultIssuer) throws {
        let ca = try P256.Signing.PrivateKey(pemRepresentation: caKeyPEM)
        var derived: P256.Signing.PrivateKey?
        // A derived scalar outside the curve's order (odds of 2^-32) takes the next counter.
        for counter in 0..<8 where derived == nil {
            let bytes = HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: ca.rawRepresentation),
                info: Array("swiftlet service account signing key \(counter)".utf8),
                outputByteCount: 32
            )
            derived = try? P256.Signing.PrivateKey(rawRepresentation: bytes.withUnsafeBytes { Array($0) })
        }
        guard let derived else { throw APIError.internalError("could not derive the ServiceAccount signing key") }
        key = derived
        self.issuer = issuer
        audiences = [issuer]
        keyID = Base64URL.encode(SHA256.hash(data: derived.publicKey.derRepresentation))
    }

    /// What a token is issued for.
    public struct Grant: Sendable, Equatable {
        public var namespace: String
        public var serviceAccount: (name: String, uid: String)
        public var audiences: [String]
        public var expirationSeconds: Int64
        public var pod: (name: String, uid: String)?
        public var secret: (name: String, uid: String)?
        public var node: (name: String, uid: String)?

        public init(
            namespace: String,
            serviceAccount: (name: String, uid: String),
            audiences: [String],
            expirationSeconds: Int64
        ) {
            self.namespace = namespace
            self.serviceAccount = serviceAccount
            self.audiences = audiences
            self.expirationSeconds = expirationSeconds
        }

        public static func == (a: Grant, b: Grant) -> Bool {
            a.namespace == b.namespace && a.serviceAccount == b.serviceAccount && a.audiences == b.audiences
                && a.expirationSeconds == b.expirationSeconds && a.pod ?? ("", "") == b.pod ?? ("", "")
                && a.secret ?? ("", "") == b.secret ?? ("", "") && a.node ?? ("", "") == b.node ?? ("", "")
        }
    }

    /// The claims of a verified token.
    public struct Claims: Sendable, Equatable {
        public var grant: Grant
        public var id: String
        public var expires: Date

        /// The user the token authenticates as, with the groups and extras upstream gives it.
        public var user: UserInfo {
            var extra: [String: [String]] = ["authentication.kubernetes.io/credential-id": ["JTI=\(id)"]]
            if let pod = grant.pod {
                extra["authentication.kubernetes.io/pod-name"] = [pod.name]
                extra["authentication.kubernetes.io/pod-uid"] = [pod.uid]
            }
            if let node = grant.node {
                extra["authentication.kubernetes.io/node-name"] = [node.name]
                extra["authentication.kubernetes.io/node-uid"] = [node.uid]
            }
            return UserInfo(
                name: UserInfo.serviceAccountName(namespace: grant.namespace, name: grant.serviceAccount.name),
                uid: grant.serviceAccount.uid,
                groups: [
                    "system:serviceaccounts", "system:serviceaccounts:\(grant.namespace)", UserInfo.authenticated,
                ],
                extra: extra
            )
        }
    }

    /// A signed token for `grant`, and when it expires. Pure but for the clock and the JTI.
    public func issue(
        _ grant: Grant,
        now: Date = Date(),
        id: String = UUID().uuidString.lowercased()
    ) -> (
        token: String, expires: Date
    ) {
        let iat = Int64(now.timeIntervalSince1970)
        let exp = iat + grant.expirationSeconds
        func ref(_ r: (name: String, uid: String)) -> JSON { ["name": .string(r.name), "uid": .string(r.uid)] }
        var k8s: JSON = ["namespace": .string(grant.namespace)]
        if let node = grant.node { k8s["node"] = ref(node) }
        if let pod = grant.pod { k8s["pod"] = ref(pod) }
        if let secret = grant.secret { k8s["secret"] = ref(secret) }
        k8s["serviceaccount"] = ref(grant.serviceAccount)
        let claims: JSON = [
            "aud": JSON(grant.audiences), "exp": .int(exp), "iat": .int(iat), "iss": .string(issuer),
            "jti": .string(id), "kubernetes.io": k8s, "nbf": .int(iat),
            "sub": .string(UserInfo.serviceAccountName(namespace: grant.namespace, name: grant.serviceAccount.name)),
        ]
        let header: JSON = ["alg": "ES256", "kid": .string(keyID)]
        let input = Base64URL.encode(header.serialized()) + "." + Base64URL.encode(claims.serialized())
        let signature = (try? key.signature(for: Array(input.utf8)).rawRepresentation) ?? Data()
        return (input + "." + Base64URL.encode(signature), Date(timeIntervalSince1970: TimeInterval(exp)))
    }

    /// The claims of `token` when its signature is ours, it is meant for this server and it
    /// is within its lifetime; nil otherwise. The objects it is bound to are checked by the caller.
    public func verify(_ token: String, now: Date = Date()) -> Claims? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]),
            let header = try? JSON.parse(headerBytes), header["alg"]?.string == "ES256",
            let payloadBytes = Base64URL.decode(parts[1]), let sigBytes = Base64URL.decode(parts[2]),
            let signature = try? P256.Signing.ECDSASignature(rawRepresentation: sigBytes),
            key.publicKey.isValidSignature(signature, for: Array("\(parts[0]).\(parts[1])".utf8)),
            let claims = try? JSON.parse(payloadBytes), claims["iss"]?.string == issuer
        else { return nil }
        let aud = claims["aud"]?.array?.compactMap(\.string) ?? claims["aud"]?.string.map { [$0] } ?? []
        let t = Int64(now.timeIntervalSince1970)
        guard aud.contains(where: audiences.contains), let exp = claims["exp"]?.int, t < exp,
            (claims["nbf"]?.int ?? 0) <= t + 60,
            let k8s = claims["kubernetes.io"], let namespace = k8s["namespace"]?.string,
            let saName = k8s[path: ["serviceaccount", "name"]]?.string,
            let saUID = k8s[path: ["serviceaccount", "uid"]]?.string
        else { return nil }
        func ref(_ key: String) -> (name: String, uid: String)? {
            guard let name = k8s[path: [key, "name"]]?.string, let uid = k8s[path: [key, "uid"]]?.string else {
                return nil
            }
            return (name, uid)
        }
        var grant = Grant(
            namespace: namespace,
            serviceAccount: (saName, saUID),
            audiences: aud,
            expirationSeconds: exp - (claims["iat"]?.int ?? exp)
        )
        grant.pod = ref("pod")
        grant.secret = ref("secret")
        grant.node = ref("node")
        return Claims(
            grant: grant,
            id: claims["jti"]?.string ?? "",
            expires: Date(timeIntervalSince1970: TimeInterval(exp))
        )
    }

    /// How long after its deletion began an object still vouches for its tokens (upstream's
    /// grace: a pod being deleted keeps talking to the API until it stops).
    static let deletionGrace: Int64 = 60

    /// The user of a ServiceAccount token, once the account and the objects the token is
    /// bound to exist with the uids it names.
    public func authenticate(_ token: String, registry: Registry, now: Date = Date()) async -> UserInfo? {
        guard let claims = verify(token, now: now) else { return nil }
        let g = claims.grant
        func alive(_ r: Resource, _ ref: (name: String, uid: String)) async -> Bool {
            guard let obj = try? await registry.get(r, namespace: g.namespace, name: ref.name), obj.uid == ref.uid
            else { return false }
            if let ts = obj.deletionTimestamp.flatMap(Timestamp.init(rfc3339:)),
                ts.seconds + Self.deletionGrace < Int64(now.timeIntervalSince1970)
            {
                return false
            }
            return true
        }
        guard await alive(Resources.serviceaccounts, g.serviceAccount) else { return nil }
        if let pod = g.pod, !(await alive(Resources.pods, pod)) { return nil }
        if let secret = g.secret, !(await alive(Resources.secrets, secret)) { return nil }
        return claims.user
    }
}

extension ServiceAccountTokens {
    /// The shortest and longest lifetimes a TokenRequest may ask for.
    static let minimumExpiration: Int64 = 600
    static let maximumExpiration: Int64 = 1 << 32

    /// `POST serviceaccounts/<name>/token`: a TokenRequest answered with its token, as
    /// upstream's TokenRequest REST does it (the account and the bound object must exist).
    func tokenRequest(
        _ body: JSON,
        namespace: String,
        serviceAccount name: String,
        registry: Registry,
        now: Date = Date()
    ) async throws(APIError) -> JSON {
        if let kind = body["kind"]?.string, kind != "TokenRequest" {
            throw APIError.badRequest("the body of a token request must be a TokenRequest, not \(kind)")
        }
        let sa = try await registry.get(Resources.serviceaccounts, namespace: namespace, name: name)
        var spec = body["spec"] ?? .emptyObject
        let expiration = spec["expirationSeconds"]?.int ?? 3600
        var audiences = spec["audiences"]?.array?.compactMap(\.string) ?? []
        if audiences.isEmpty { audiences = self.audiences }
        spec["expirationSeconds"] = .int(expiration)
        spec["audiences"] = JSON(audiences)
        var errs: [FieldError] = []
        if expiration < Self.minimumExpiration {
            errs.append(
                .invalid("spec.expirationSeconds", .int(expiration), "may not specify a duration less than 10 minutes")
            )
        } else if expiration > Self.maximumExpiration {
            errs.append(
                .invalid(
                    "spec.expirationSeconds",
                    .int(expiration),
                    "may not specify a duration larger than 2^32 seconds"
                )
            )
        }
        var grant = Grant(
            namespace: namespace,
            serviceAccount: (name, sa.uid),
            audiences: audiences,
            expirationSeconds: expiration
        )
        if let ref = spec["boundObjectRef"], ref != .null {
            let kind = ref["kind"]?.string ?? "", refName = ref["name"]?.string ?? ""
            let resource: Resource
            switch kind {
            case "Pod": resource = Resources.pods
            case "Secret": resource = Resources.secrets
            case "Node": resource = Resources.nodes
            default:
                errs.append(.notSupported("spec.boundObjectRef.kind", .string(kind), ["Pod", "Secret", "Node"]))
                throw APIError.invalid(kind: "TokenRequest", group: "authentication.k8s.io", name: name, causes: errs)
            }
            if let v = ref["apiVersion"]?.string, v != "v1" {
                errs.append(.notSupported("spec.boundObjectRef.apiVersion", .string(v), ["v1"]))
            }
            if refName.isEmpty { errs.append(.required("spec.boundObjectRef.name")) }
            if !errs.isEmpty {
                throw APIError.invalid(kind: "TokenRequest", group: "authentication.k8s.io", name: name, causes: errs)
            }
            let obj = try await registry.get(resource, namespace: kind == "Node" ? nil : namespace, name: refName)
            if let uid = ref["uid"]?.string, !uid.isEmpty, uid != obj.uid {
                throw APIError.conflict(
                    resource: kind,
                    name: refName,
                    detail:
                        "the UID in the bound object reference (\(uid)) does not match the UID in record. The object might have been deleted and then recreated"
                )
            }
            switch kind {
            case "Pod":
                grant.pod = (refName, obj.uid)
                if let node = obj[path: ["spec", "nodeName"]]?.string, !node.isEmpty,
                    let n = try? await registry.get(Resources.nodes, namespace: nil, name: node)
                {
                    grant.node = (node, n.uid)
                }
            case "Secret": grant.secret = (refName, obj.uid)
            default: grant.node = (refName, obj.uid)
            }
            var bound = ref
            bound["uid"] = .string(obj.uid)
            if bound["apiVersion"] == nil { bound["apiVersion"] = "v1" }
            spec["boundObjectRef"] = bound
        }
        if !errs.isEmpty {
            throw APIError.invalid(kind: "TokenRequest", group: "authentication.k8s.io", name: name, causes: errs)
        }
        let (token, expires) = issue(grant, now: now)
        return [
            "kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace), "creationTimestamp": .null,
            ],
            "spec": spec,
            "status": [
                "token": .string(token),
                "expirationTimestamp": .string(Timestamp(seconds: Int64(expires.timeIntervalSince1970)).rfc3339),
            ],
        ]
    }
}

extension ServiceAccountTokens {
    static let accountNameAnnotation = "kubernetes.io/service-account.name"
    static let accountUIDAnnotation = "kubernetes.io/service-account.uid"
    static let legacyTokenSecondsLeft: Int64 = 1 << 32

    /// A `kubernetes.io/service-account-token` Secret as upstream's token controller fills
    /// it: a token of the account it names (bound to the Secret, so deleting the Secret
    /// revokes it), `ca.crt` and `namespace`, and the account's uid. Nil: nothing to fill
    /// (another type, a token already there, or no such account).
    func populatedLegacySecret(_ secret: JSON, account: JSON?, now: Date = Date()) -> JSON? {
        guard secret["type"]?.string == "kubernetes.io/service-account-token",
            let name = secret[path: ["metadata", "annotations", Self.accountNameAnnotation]]?.string,
            secret[path: ["data", "token"]] == nil, let account, account.name == name
        else { return nil }
        var grant = Grant(
            namespace: secret.namespace,
            serviceAccount: (name, account.uid),
            audiences: audiences,
            expirationSeconds: Self.legacyTokenSecondsLeft
        )
        grant.secret = (secret.name, secret.uid)
        var out = secret
        var data = out["data"]?.object ?? JSONObject()
        data["token"] = .string(Data(issue(grant, now: now).token.utf8).base64EncodedString())
        if !caCertPEM.isEmpty { data["ca.crt"] = .string(Data(caCertPEM.utf8).base64EncodedString()) }
        data["namespace"] = .string(Data(secret.namespace.utf8).base64EncodedString())
        out["data"] = .object(data)
        out[path: ["metadata", "annotations", Self.accountUIDAnnotation]] = .string(account.uid)
        return out
    }
}
