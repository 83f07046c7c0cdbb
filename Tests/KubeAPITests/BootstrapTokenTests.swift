import Foundation
import Testing

@testable import KubeAPI
@testable import KubeMachinery

@Suite struct BootstrapTokenTests {
    @Test(arguments: [
        ("abcdef.0123456789abcdef", true), ("ABCDEF.0123456789abcdef", false), ("abcde.0123456789abcdef", false),
        ("abcdef.0123456789abcde", false), ("abcdef0123456789abcdef", false), ("abcdef.0123456789abcdef.x", false),
        ("abc-ef.0123456789abcdef", false), ("", false),
    ])
    func parsing(text: String, valid: Bool) {
        #expect((BootstrapToken(text) != nil) == valid)
        if valid { #expect(BootstrapToken(text)?.description == text) }
    }

    @Test func generatedTokensParseAndDiffer() {
        let a = BootstrapToken.generate(), b = BootstrapToken.generate()
        #expect(BootstrapToken(a.description) == a && a != b)
    }

    @Test func secretRoundTripAndExpiry() {
        let t = BootstrapToken("abcdef.0123456789abcdef")!
        #expect(t.secretName == "bootstrap-token-abcdef")
        let now = Date()
        let live = t.secretObject(expiration: now.addingTimeInterval(3600), description: "test")
        #expect(BootstrapToken.from(secret: live, usage: "authentication", now: now) == t)
        #expect(BootstrapToken.from(secret: live, usage: "signing", now: now) == t)
        #expect(BootstrapToken.from(secret: live, usage: "authentication", now: now.addingTimeInterval(7200)) == nil)
        #expect(
            BootstrapToken.from(
                secret: t.secretObject(expiration: nil, description: ""),
                usage: "signing",
                now: now.addingTimeInterval(1e9)
            ) == t
        )
        var other = live
        other["type"] = "Opaque"
        #expect(BootstrapToken.from(secret: other, usage: "authentication", now: now) == nil)
        var renamed = live
        renamed[path: ["metadata", "name"]] = "bootstrap-token-zzzzzz"
        #expect(BootstrapToken.from(secret: renamed, usage: "authentication", now: now) == nil)
        var noAuth = live
        noAuth[path: ["data", "usage-bootstrap-authentication"]] = .string(Data("false".utf8).base64EncodedString())
        #expect(BootstrapToken.from(secret: noAuth, usage: "authentication", now: now) == nil)
        #expect(Resources.secrets.validate(live).isEmpty)
        #expect(Resources.secrets.validate(renamed).map(\.field) == ["metadata.name"])
    }

    @Test func secretsFoldStringDataAndValidateData() {
        var s: JSON = [
            "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "db", "namespace": "default"],
            "stringData": ["password": "hunter2"],
            "data": ["user": "YWRtaW4="],
        ]
        Resources.secrets.prepareForCreate(&s)
        #expect(s["stringData"] == nil && s["type"] == "Opaque")
        #expect(
            s[path: ["data", "password"]] == .string(Data("hunter2".utf8).base64EncodedString())
                && s[path: ["data", "user"]] == "YWRtaW4="
        )
        #expect(Resources.secrets.validate(s).isEmpty)
        s[path: ["data", "bad key"]] = "!!!"
        #expect(Set(Resources.secrets.validate(s).map(\.field)) == ["data[bad key]"])
        var changed = s
        changed["type"] = "kubernetes.io/tls"
        #expect(Resources.secrets.validateUpdate(changed, old: s).map(\.field).contains("type"))
        #expect(!Resources.secrets.validateUpdate(s, old: s).map(\.field).contains("type"))
        let cm: JSON = [
            "metadata": ["name": "c", "namespace": "default"], "data": ["a": "1", "b/c": "2"],
            "binaryData": ["a": "AA=="],
        ]
        #expect(Set(Resources.configmaps.validate(cm).map(\.field)) == ["data[b/c]", "data[a]"])
    }
}
