import Crypto
import Foundation
import KubeAPI
import KubeMachinery
import Logging
import ServiceLifecycle
import SwiftASN1
import X509

/// The cluster CA's side of CertificateSigningRequests, as kube-controller-manager's
/// `csrapproving` and `csrsigning` controllers do it: a node client request from a caller
/// RBAC lets ask for one (`certificatesigningrequests/nodeclient`, which a bootstrap token
/// has, or `selfnodeclient` for a node renewing its own) is approved at once; an approved
/// request for the `kube-apiserver-client-kubelet` or `kube-apiserver-client` signer is
/// issued by the CA. It runs in the API server, which holds the CA key.
public enum CertificateSigning {
    /// A new request as the API server stores it: who asked is written into the spec, and
    /// the request must be a CSR this server can read.
    static func requested(_ body: JSON, by user: UserInfo) throws(APIError) -> JSON {
        var csr = body
        csr[path: ["spec", "username"]] = .string(user.name)
        csr[path: ["spec", "groups"]] = JSON(user.groups)
        if !user.uid.isEmpty { csr[path: ["spec", "uid"]] = .string(user.uid) }
        if !user.extra.isEmpty {
            var extra = JSONObject()
            for (k, v) in user.extra { extra[k] = JSON(v) }
            csr[path: ["spec", "extra"]] = .object(extra)
        }
        if let pem = CertificateRules.requestPEM(csr), pem.contains("-----BEGIN \(CertificateRules.pemType)-----"),
            (try? CertificateSigningRequest(pemEncoded: pem)) == nil
        {
            throw APIError.invalid(
                kind: "CertificateSigningRequest",
                group: CertificateRules.group,
                name: csr.name,
                causes: [
                    .invalid("spec.request", rendered: "<value omitted>", "the certificate request cannot be parsed")
                ]
            )
        }
        return csr
    }

    /// A new key and the CSR a kubelet sends for its client certificate
    /// (`CN=system:node:<name>`, `O=system:nodes`), both PEM.
    public static func nodeClientRequest(node: String) throws -> (csrPEM: String, keyPEM: String) {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName(UserInfo.nodesGroup)
            CommonName(UserInfo.nodeUserPrefix + node)
        }
        let csr = try CertificateSigningRequest(
            version: .v1,
            subject: subject,
            privateKey: .init(key),
            attributes: .init(),
            signatureAlgorithm: .ecdsaWithSHA256
        )
        return (try csr.serializeAsPEM().pemString, key.pemRepresentation)
    }

    /// Why a request is no kubelet client certificate request upstream's signer would issue.
    static func kubeletClientProblem(_ request: CertificateSigningRequest, usages: [String]) -> String? {
        var names: [String] = [], orgs: [String] = []
        for rdn in request.subject {
            for a in rdn {
                guard let value = String(a.value) else { continue }
                if a.type == .RDNAttributeType.commonName { names.append(value) }
                if a.type == .RDNAttributeType.organizationName { orgs.append(value) }
            }
        }
        guard names.count == 1, let cn = names.first, cn.hasPrefix(UserInfo.nodeUserPrefix),
            cn.count > UserInfo.nodeUserPrefix.count
        else { return "subject common name must begin with \"system:node:\"" }
        let node = String(cn.dropFirst(UserInfo.nodeUserPrefix.count))
        guard Validation.dns1123SubdomainErrors(node).isEmpty else {
            return "subject common name must name a node: \(node) is not a valid node name"
        }
        guard orgs == [UserInfo.nodesGroup] else { return "subject organization must be [\"system:nodes\"]" }
        let allowed: Set<String> = ["digital signature", "key encipherment", "client auth"]
        guard usages.contains("client auth"), Set(usages).isSubset(of: allowed) else {
            return "usages must be \"client auth\", optionally with \"digital signature\" and \"key encipherment\""
        }
        return nil
    }

    static func commonName(_ request: CertificateSigningRequest) -> String? {
        for rdn in request.subject {
            for a in rdn where a.type == .RDNAttributeType.commonName { return String(a.value) }
        }
        return nil
    }

    /// The PEM certificate for an approved request, signed by the CA; or why it fails.
    static func issue(
        _ csr: JSON,
        caCertPEM: String,
        caKeyPEM: String,
        now: Date = Date()
    ) -> Result<String, SigningFailure> {
        guard let pem = CertificateRules.requestPEM(csr), let request = try? CertificateSigningRequest(pemEncoded: pem)
        else { return .failure(.init("the certificate request cannot be parsed")) }
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            return .failure(.init("the certificate request's signature is not valid"))
        }
        let signer = csr[path: ["spec", "signerName"]]?.string ?? ""
        let usages = (csr[path: ["spec", "usages"]]?.array ?? []).compactMap(\.string)
        if signer == CertificateRules.kubeletClientSigner, let problem = kubeletClientProblem(request, usages: usages) {
            return .failure(.init(problem))
        }
        if signer == CertificateRules.clientSigner, !usages.contains("client auth") {
            return .failure(.init("usages must include \"client auth\""))
        }
        let requested = csr[path: ["spec", "expirationSeconds"]]?.int.map(TimeInterval.init)
        let lifetime = min(requested ?? 365 * 86400, 365 * 86400)
        do {
            return .success(
                try PKI.signClientCertificate(
                    publicKey: request.publicKey,
                    subject: request.subject,
                    validFor: lifetime,
                    caCertPEM: caCertPEM,
                    caKeyPEM: caKeyPEM,
                    now: now
                )
            )
        } catch {
            return .failure(.init("the CA could not sign: \(error)"))
        }
    }

    struct SigningFailure: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    static func condition(_ type: String, reason: String, message: String) -> JSON {
        let now = Timestamp.now.rfc3339
        return [
            "type": .string(type), "status": "True", "reason": .string(reason), "message": .string(message),
            "lastUpdateTime": .string(now), "lastTransitionTime": .string(now),
        ]
    }
}

/// Approves and signs CertificateSigningRequests as they come, following the store.
struct CertificateSigningService: Service {
    let registry: Registry
    let authorizer: Authorizer
    let caCertPEM: String
    let caKeyPEM: String
    let logger: Logger
    static let prefix = "/registry/\(CertificateRules.group)/"

    func run() async throws {
        await cancelWhenGracefulShutdown { await follow() }
    }

    func follow() async {
        var revision: Int64 = 0
        while !Task.isCancelled {
            revision = (try? await registry.store.currentRevision()) ?? revision
            await sweep()
            do {
                let events = try await registry.store.watch(prefix: Self.prefix, afterRevision: revision)
                for try await _ in events { await sweep() }
            } catch {
                if Task.isCancelled { return }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    func sweep() async {
        guard
            let csrs = try? await registry.list(Resources.certificatesigningrequests, namespace: nil, options: .init())
                .0
        else { return }
        for csr in csrs { await handle(csr) }
    }

    func handle(_ csr: JSON) async {
        let approved = CertificateRules.condition(csr, "Approved")
        let denied = CertificateRules.condition(csr, "Denied")
        let failed = CertificateRules.condition(csr, "Failed")
        let signer = csr[path: ["spec", "signerName"]]?.string ?? ""
        if !approved, !denied, signer == CertificateRules.kubeletClientSigner, await mayAutoApprove(csr) {
            await update(
                csr,
                adding: CertificateSigning.condition(
                    "Approved",
                    reason: "AutoApproved",
                    message: "Auto approving kubelet client certificate after SubjectAccessReview."
                )
            )
            return
        }
        guard approved, !failed, !CertificateRules.isIssued(csr),
            [CertificateRules.kubeletClientSigner, CertificateRules.clientSigner].contains(signer)
        else { return }
        switch CertificateSigning.issue(csr, caCertPEM: caCertPEM, caKeyPEM: caKeyPEM) {
        case .success(let pem):
            var signed = csr
            signed[path: ["status", "certificate"]] = .string(Data(pem.utf8).base64EncodedString())
            await write(signed)
        case .failure(let failure):
            logger.notice("CertificateSigningRequest \(csr.name) is not signed: \(failure.message)")
            await update(
                csr,
                adding: CertificateSigning.condition(
                    "Failed",
                    reason: "SignerValidationFailure",
                    message: failure.message
                )
            )
        }
    }

    /// Whether the requestor may ask for this node client certificate: for its own node
    /// (`selfnodeclient`) or for a new one (`nodeclient`), as RBAC says.
    func mayAutoApprove(_ csr: JSON) async -> Bool {
        guard let pem = CertificateRules.requestPEM(csr), let request = try? CertificateSigningRequest(pemEncoded: pem),
            CertificateSigning.kubeletClientProblem(
                request,
                usages: (csr[path: ["spec", "usages"]]?.array ?? []).compactMap(\.string)
            ) == nil
        else { return false }
        let username = csr[path: ["spec", "username"]]?.string ?? ""
        let requestor = UserInfo(
            name: username,
            uid: csr[path: ["spec", "uid"]]?.string ?? "",
            groups: (csr[path: ["spec", "groups"]]?.array ?? []).compactMap(\.string)
        )
        let sub = CertificateSigning.commonName(request) == username ? "selfnodeclient" : "nodeclient"
        return await authorizer.allows(
            requestor,
            RequestAttributes(
                verb: "create",
                apiGroup: CertificateRules.group,
                resource: "certificatesigningrequests",
                subresource: sub
            )
        )
    }

    func update(_ csr: JSON, adding condition: JSON) async {
        var next = csr
        var conditions = next[path: ["status", "conditions"]]?.array ?? []
        conditions.append(condition)
        next[path: ["status", "conditions"]] = .array(conditions)
        await write(next)
    }

    /// A status write at the version read: another API server that got there first wins.
    func write(_ csr: JSON) async {
        do {
            _ = try await registry.update(
                Resources.certificatesigningrequests,
                namespace: nil,
                name: csr.name,
                body: csr,
                subresource: "status"
            )
        } catch {
            guard error.code == 409 || error.code == 404 else {
                logger.warning("could not update CertificateSigningRequest \(csr.name): \(error)")
                return
            }
        }
    }
}
