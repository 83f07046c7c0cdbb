import Crypto
import Foundation
import KubeAPI
import KubeMachinery
import Logging
import Testing
import X509

@testable import APIServer

/// CertificateSigningRequests: a bootstrap token's node certificate is approved and signed at
/// once; anything else waits for `kubectl certificate approve`.
@Suite struct CertificateAPITests {
    static let caKey = P256.Signing.PrivateKey()

    static func caPEM() throws -> String {
        let name = try DistinguishedName { CommonName("test-ca") }
        return try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: .init(caKey.publicKey),
            notValidBefore: Date().addingTimeInterval(-60),
            notValidAfter: Date().addingTimeInterval(3600),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            },
            issuerPrivateKey: .init(caKey)
        ).serializeAsPEM().pemString
    }

    static func body(_ csrPEM: String, signer: String, usages: [String] = ["client auth"]) -> String {
        JSON([
            "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
            "metadata": ["generateName": "csr-"],
            "spec": [
                "request": .string(Data(csrPEM.utf8).base64EncodedString()), "signerName": .string(signer),
                "usages": JSON(usages),
            ],
        ]).serializedString()
    }

    static func request(cn: String, orgs: [String]) throws -> String {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            for o in orgs { OrganizationName(o) }
            CommonName(cn)
        }
        return try CertificateSigningRequest(
            version: .v1,
            subject: subject,
            privateKey: .init(key),
            attributes: .init(),
            signatureAlgorithm: .ecdsaWithSHA256
        ).serializeAsPEM().pemString
    }

    static func issued(_ c: TestAPI.Client, _ name: String) async throws -> Certificate? {
        for _ in 0..<100 {
            let csr = try await c.send(.get, "/apis/certificates.k8s.io/v1/certificatesigningrequests/\(name)")
            if let b64 = csr.json[path: ["status", "certificate"]]?.string, let pem = Data(base64Encoded: b64) {
                return try Certificate(pemEncoded: String(decoding: pem, as: UTF8.self))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    @Test func aBootstrapTokenGetsItsNodeCertificateAndNothingElse() async throws {
        let api = try await TestAPI()
        try await Bootstrap.reconcileRBAC(api.registry)
        let caPEM = try Self.caPEM()
        let authorizer = Authorizer(registry: api.registry, logger: Logger(label: "test"))
        let signer = CertificateSigningService(
            registry: api.registry,
            authorizer: authorizer,
            caCertPEM: caPEM,
            caKeyPEM: Self.caKey.pemRepresentation,
            logger: Logger(label: "test")
        )
        let running = Task { await signer.follow() }
        defer { running.cancel() }
        let joiner = UserInfo(
            name: "system:bootstrap:abcdef",
            groups: ["system:bootstrappers", BootstrapToken.nodeGroup]
        )
        let path = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
        try await api.run(authorizer: authorizer) { c in
            let (csrPEM, _) = try CertificateSigning.nodeClientRequest(node: "node-7")
            let made = try await c.send(
                .post,
                path,
                Self.body(
                    csrPEM,
                    signer: CertificateRules.kubeletClientSigner,
                    usages: ["digital signature", "key encipherment", "client auth"]
                ),
                as: joiner
            )
            #expect(made.code == 201, "\(made.text)")
            #expect(made.json[path: ["spec", "username"]]?.string == "system:bootstrap:abcdef")
            let name = try #require(made.json[path: ["metadata", "name"]]?.string)
            let cert = try #require(try await Self.issued(c, name))
            #expect(cert.subject.description.contains("CN=system:node:node-7"))
            #expect(cert.issuer == (try Certificate(pemEncoded: caPEM)).subject)
            let approved = try await c.send(.get, path + "/" + name)
            let reasons = (approved.json[path: ["status", "conditions"]]?.array ?? []).compactMap {
                $0["reason"]?.string
            }
            #expect(reasons == ["AutoApproved"])
            let table = try await c.send(.get, path, accept: "application/json;as=Table;v=v1;g=meta.k8s.io")
            let row = table.json["rows"]?.array?.first?["cells"]?.array?.compactMap(\.string) ?? []
            #expect(row.suffix(3) == ["system:bootstrap:abcdef", "<none>", "Approved,Issued"])

            // A token may not read other objects, nor get a certificate for any other user.
            #expect(try await c.send(.get, "/api/v1/namespaces/default/secrets", as: joiner).code == 403)
            let alice = try Self.request(cn: "alice", orgs: ["system:masters"])
            let wants = try await c.send(
                .post,
                path,
                Self.body(alice, signer: CertificateRules.kubeletClientSigner),
                as: joiner
            )
            let pending = try #require(wants.json[path: ["metadata", "name"]]?.string)
            try await Task.sleep(for: .milliseconds(300))
            let still = try await c.send(.get, path + "/" + pending)
            #expect(still.json[path: ["status", "conditions"]] == nil)
            #expect(still.json[path: ["status", "certificate"]] == nil)
            let crafted = try Self.request(cn: "system:node:a,b", orgs: ["system:nodes"])
            let odd = try await c.send(
                .post,
                path,
                Self.body(crafted, signer: CertificateRules.kubeletClientSigner, usages: ["client auth"]),
                as: joiner
            )
            let oddName = try #require(odd.json[path: ["metadata", "name"]]?.string)
            // An administrator approves it; the signer then refuses it, since it names no node.
            var approval = still.json
            approval["status"] = [
                "conditions": [["type": "Approved", "status": "True", "reason": "KubectlApprove", "message": "ok"]]
            ]
            let put = try await c.send(.put, path + "/" + pending + "/approval", approval.serializedString())
            #expect(put.code == 200, "\(put.text)")
            var failed: JSON = [:]
            for _ in 0..<100 {
                failed = try await c.send(.get, path + "/" + pending).json
                if CertificateRules.condition(failed, "Failed") { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(CertificateRules.condition(failed, "Failed"))
            #expect(failed[path: ["status", "certificate"]] == nil)
            // A node name that is no name is never approved.
            let oddNow = try await c.send(.get, path + "/" + oddName)
            #expect(oddNow.json[path: ["status", "conditions"]] == nil)

            // The plain client signer issues what an administrator approves.
            let bob = try Self.request(cn: "bob", orgs: ["devs"])
            let asked = try await c.send(.post, path, Self.body(bob, signer: CertificateRules.clientSigner))
            let bobName = try #require(asked.json[path: ["metadata", "name"]]?.string)
            var bobApproval = asked.json
            bobApproval["status"] = ["conditions": [["type": "Approved", "status": "True"]]]
            #expect(
                try await c.send(.put, path + "/" + bobName + "/approval", bobApproval.serializedString()).code == 200
            )
            let bobCert = try #require(try await Self.issued(c, bobName))
            #expect(bobCert.subject.description.contains("CN=bob"))
        }
    }

    @Test func badRequestsAreRefusedWithUpstreamsMessages() async throws {
        let api = try await TestAPI()
        try await api.run { c in
            let path = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
            let empty = try await c.send(.post, path, #"{"metadata":{"name":"x"},"spec":{}}"#)
            #expect(empty.code == 422)
            let message = empty.json["message"]?.string ?? ""
            #expect(message.hasPrefix("CertificateSigningRequest.certificates.k8s.io \"x\" is invalid: "))
            for part in [
                "spec.request: Required value", "spec.signerName: Required value", "spec.usages: Required value",
            ] {
                #expect(message.contains(part), "\(message)")
            }
            let garbage = Data("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n".utf8)
            let bad = try await c.send(
                .post,
                path,
                #"{"metadata":{"name":"y"},"spec":{"request":"\#(garbage.base64EncodedString())","signerName":"example.com/x","usages":["client auth"]}}"#
            )
            #expect(bad.code == 422)
            #expect(bad.json["message"]?.string?.contains("the certificate request cannot be parsed") == true)
            let short = try await c.send(
                .post,
                path,
                #"{"metadata":{"name":"z"},"spec":{"request":"\#(Data(try Self.request(cn: "z", orgs: []).utf8).base64EncodedString())","signerName":"example.com/x","usages":["client auth"],"expirationSeconds":60}}"#
            )
            #expect(
                short.json["message"]?.string?.contains("may not specify a duration less than 600 seconds (10 minutes)")
                    == true
            )
            let list = try await c.send(.get, path)
            #expect(list.json["items"]?.array?.isEmpty == true)
        }
    }
}
