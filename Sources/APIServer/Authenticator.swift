import NIOCore
import NIOSSL

/// Who may call the API, decided the same way at every entry point (requests, and the
/// WebSocket upgrades of `pods/exec`): the cluster's bearer token (compared in constant
/// time), a token another component vouches for (bootstrap tokens), or a client
/// certificate the TLS layer verified against the cluster CA. A server without a token
/// (tests) lets everyone in.
public struct Authenticator: Sendable {
    let token: String?
    let tokenCheck: (@Sendable (String) async -> Bool)?

    public init(token: String?, tokenCheck: (@Sendable (String) async -> Bool)? = nil) {
        self.token = token
        self.tokenCheck = tokenCheck
    }

    /// `authorization`: the request's `Authorization` header.
    public func authenticate(authorization: String?, channel: any Channel) async -> Bool {
        if let authorization, authorization.hasPrefix("Bearer ") {
            let given = String(authorization.dropFirst(7))
            if let token, Self.constantTimeEqual(given, token) { return true }
            if let tokenCheck, await tokenCheck(given) { return true }
        }
        if (try? await channel.nioSSL_peerCertificate().get()) != nil { return true }
        return token == nil
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
