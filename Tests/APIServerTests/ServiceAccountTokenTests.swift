import Crypto
import Foundation
import KubeAPI
import KubeMachinery
import Testing

@testable import APIServer

@Suite struct ServiceAccountTokenTests {
    static let caKey = P256.Signing.PrivateKey().pemRepresentation

    static func grant() -> ServiceAccountTokens.Grant {
        var g = ServiceAccountTokens.Grant(
            namespace: "kiada",
            serviceAccount: ("quiz", "sa-uid"),
            audiences: [ServiceAccountTokens.defaultIssuer],
            expirationSeconds: 3600
        )
        g.pod = ("quiz-1", "pod-uid")
        g.node = ("node-1", "node-uid")
        return g
    }

    @Test func aTokenVerifiesWithItsClaims() throws {
        let tokens = try ServiceAccountTokens(caKeyPEM: Self.caKey)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let (token, expires) = tokens.issue(Self.grant(), now: now, id: "jti-1")
        #expect(expires == now.addingTimeInterval(3600))
        #expect(token.split(separator: ".").count == 3)
        let claims = try #require(tokens.verify(token, now: now.addingTimeInterval(10)))
        #expect(claims.grant == Self.grant())
        #expect(claims.id == "jti-1")
        let user = claims.user
        #expect(user.name == "system:serviceaccount:kiada:quiz")
        #expect(user.uid == "sa-uid")
        #expect(user.groups == ["system:serviceaccounts", "system:serviceaccounts:kiada", "system:authenticated"])
        #expect(user.extra["authentication.kubernetes.io/pod-name"] == ["quiz-1"])
        #expect(user.extra["authentication.kubernetes.io/node-name"] == ["node-1"])
        #expect(user.extra["authentication.kubernetes.io/credential-id"] == ["JTI=jti-1"])
    }

    @Test func everyServerOfTheClusterDerivesTheSameKey() throws {
        let a = try ServiceAccountTokens(caKeyPEM: Self.caKey)
        let b = try ServiceAccountTokens(caKeyPEM: Self.caKey)
        let other = try ServiceAccountTokens(caKeyPEM: P256.Signing.PrivateKey().pemRepresentation)
        let (token, _) = a.issue(Self.grant())
        #expect(b.verify(token) != nil)
        #expect(a.keyID == b.keyID)
        #expect(other.verify(token) == nil)
    }

    @Test(arguments: ["expired", "tampered", "otherAudience", "otherIssuer", "notAJWT", "unsigned"])
    func refused(_ how: String) throws {
        let tokens = try ServiceAccountTokens(caKeyPEM: Self.caKey)
        let now = Date()
        var grant = Self.grant()
        var token: String
        switch how {
        case "expired":
            token = tokens.issue(grant, now: now.addingTimeInterval(-3601)).token
        case "tampered":
            token = tokens.issue(grant, now: now).token
            let parts = token.split(separator: ".").map(String.init)
            var claims = try JSON.parse(Base64URL.decode(parts[1]) ?? [])
            claims[path: ["kubernetes.io", "serviceaccount", "name"]] = "admin"
            token = [parts[0], Base64URL.encode(claims.serialized()), parts[2]].joined(separator: ".")
        case "otherAudience":
            grant.audiences = ["vault"]
            token = tokens.issue(grant, now: now).token
        case "otherIssuer":
            let elsewhere = try ServiceAccountTokens(caKeyPEM: Self.caKey, issuer: "https://elsewhere")
            token = elsewhere.issue(grant, now: now).token
        case "notAJWT":
            token = "abcdef.0123456789abcdef"
        default:
            let parts = tokens.issue(grant, now: now).token.split(separator: ".")
            token = parts[0] + "." + parts[1] + "."
        }
        #expect(tokens.verify(token, now: now) == nil)
    }
}
