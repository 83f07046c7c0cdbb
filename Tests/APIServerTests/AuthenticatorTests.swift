import NIOEmbedded
import Testing

@testable import APIServer

@Suite struct AuthenticatorTests {
    @Test func oneDecisionForEveryEntryPoint() async throws {
        let channel = EmbeddedChannel()  // no TLS, so no client certificate
        let auth = Authenticator(token: "s3cret-token") { $0 == "abcdef.0123456789abcdef" }
        #expect(await auth.authenticate(authorization: "Bearer s3cret-token", channel: channel))
        #expect(await auth.authenticate(authorization: "Bearer abcdef.0123456789abcdef", channel: channel))
        for refused in [
            nil, "Bearer s3cret-tokeN", "Bearer s3cret-toke", "Bearer ", "Basic s3cret-token", "s3cret-token",
        ] {
            #expect(
                !(await auth.authenticate(authorization: refused, channel: channel)),
                "accepted \(refused ?? "no header")"
            )
        }
        #expect(await Authenticator(token: nil).authenticate(authorization: nil, channel: channel))
        _ = try? channel.finish()
    }
}
