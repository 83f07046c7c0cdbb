import Crypto
import Foundation
import KubeAPI
import NIOEmbedded
import NIOSSL
import Testing
import X509

@testable import APIServer

@Suite struct AuthenticatorTests {
    @Test func oneDecisionForEveryEntryPoint() async throws {
        let channel = EmbeddedChannel()  // no TLS, so no client certificate
        let bootstrap = UserInfo(name: "system:bootstrap:abcdef", groups: ["system:bootstrappers"])
        let auth = Authenticator(token: "s3cret-token") { $0 == "abcdef.0123456789abcdef" ? bootstrap : nil }
        #expect(
            await auth.authenticate(authorization: "Bearer s3cret-token", channel: channel)
                == Authenticator.componentUser
        )
        #expect(await auth.authenticate(authorization: "Bearer abcdef.0123456789abcdef", channel: channel) == bootstrap)
        // The Python client's spelling.
        #expect(await auth.authenticate(authorization: "bearer s3cret-token", channel: channel) != nil)
        for refused in [
            nil, "Bearer s3cret-tokeN", "Bearer s3cret-toke", "Bearer ", "Basic s3cret-token", "s3cret-token",
        ] {
            #expect(
                await auth.authenticate(authorization: refused, channel: channel) == nil,
                "accepted \(refused ?? "no header")"
            )
        }
        #expect(await Authenticator(token: nil).authenticate(authorization: nil, channel: channel) != nil)
        _ = try? channel.finish()
    }

    @Test func aClientCertificateNamesItsUserAndGroups() throws {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName("system:masters")
            OrganizationName("team-a")
            CommonName("alice")
        }
        let cert = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: .init(key.publicKey),
            notValidBefore: Date().addingTimeInterval(-60),
            notValidAfter: Date().addingTimeInterval(3600),
            issuer: subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: Certificate.Extensions(),
            issuerPrivateKey: .init(key)
        )
        let pem = try cert.serializeAsPEM().pemString
        let nio = try NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem)
        let user = try #require(Authenticator.user(of: nio))
        #expect(user.name == "alice")
        #expect(user.groups == ["system:masters", "team-a", "system:authenticated"])
    }
}
