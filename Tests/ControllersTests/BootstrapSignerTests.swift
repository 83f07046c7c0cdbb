import Foundation
import KubeAPI
import KubeMachinery
import Testing

@testable import Controllers

@Suite struct BootstrapSignerTests {
    let token = BootstrapToken("abcdef.0123456789abcdef")!

    /// The expected value comes from an independent implementation (Python's hmac and
    /// base64 over the same header and payload), not from this code.
    @Test func detachedSignatureMatchesAnIndependentImplementation() {
        let content = "apiVersion: v1\nkind: Config\n"
        #expect(
            DetachedJWS.sign(content, token: token)
                == "eyJhbGciOiJIUzI1NiIsImtpZCI6ImFiY2RlZiJ9..vH_kT4yiol-nrAWgjfCYqvum5wsKETXe0S7OOp1VgnE"
        )
        #expect(DetachedJWS.verify(content, signature: DetachedJWS.sign(content, token: token), token: token))
        #expect(!DetachedJWS.verify(content + " ", signature: DetachedJWS.sign(content, token: token), token: token))
        #expect(
            !DetachedJWS.verify(
                content,
                signature: DetachedJWS.sign(content, token: BootstrapToken("abcdef.0000000000000000")!),
                token: token
            )
        )
    }

    @Test func signaturesForValidSigningTokensOnly() {
        let now = Date()
        let live = token.secretObject(expiration: now.addingTimeInterval(60), description: "")
        let expired = BootstrapToken("zzzzzz.0123456789abcdef")!.secretObject(
            expiration: now.addingTimeInterval(-1),
            description: ""
        )
        let sigs = BootstrapSigner.signatures(kubeconfig: "k", secrets: [live, expired], now: now)
        #expect(Array(sigs.keys) == ["jws-kubeconfig-abcdef"])
        #expect(BootstrapSigner.expired(expired, now: now) && !BootstrapSigner.expired(live, now: now))
    }
}
