import Foundation
import KubeAPI
import NIOCore
import NIOSSL
import X509

/// Who may call the API, decided the same way at every entry point (requests, and the
/// WebSocket upgrades of `pods/exec`): the cluster's bearer token (compared in constant
/// time), a token another component vouches for (bootstrap and ServiceAccount tokens),
/// or a client certificate the TLS layer verified against the cluster CA (its CommonName
/// is the user, its Organizations the groups). A server without a token (tests) lets
/// everyone in as an administrator.
public struct Authenticator: Sendable {
    let token: String?
    let tokenCheck: (@Sendable (String) async -> UserInfo?)?

    /// The user of the cluster's own token: Swiftlet's components.
    public static let componentUser = UserInfo(
        name: "system:swiftlet",
        groups: [UserInfo.masters, UserInfo.authenticated]
    )

    public init(token: String?, tokenCheck: (@Sendable (String) async -> UserInfo?)? = nil) {
        self.token = token
        self.tokenCheck = tokenCheck
    }

    /// `authorization`: the request's `Authorization` header. Nil: not authenticated.
    public func authenticate(authorization: String?, channel: any Channel) async -> UserInfo? {
        // The scheme is case-insensitive (the Python client sends `bearer`), as upstream reads it.
        if let authorization, authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " {
            let given = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
            if let token, Self.constantTimeEqual(given, token) { return Self.componentUser }
            if let tokenCheck, let user = await tokenCheck(given) { return user }
        }
        if let peer = try? await channel.nioSSL_peerCertificate().get(), let user = Self.user(of: peer) {
            return user
        }
        return token == nil ? Self.componentUser : nil
    }

    /// The user a client certificate names, as kube-apiserver reads it.
    static func user(of certificate: NIOSSLCertificate) -> UserInfo? {
        guard let der = try? certificate.toDERBytes(), let cert = try? Certificate(derEncoded: der) else {
            return nil
        }
        var name = ""
        var groups: [String] = []
        for rdn in cert.subject {
            for attribute in rdn {
                guard let value = String(attribute.value) else { continue }
                if attribute.type == .RDNAttributeType.commonName { name = value }
                if attribute.type == .RDNAttributeType.organizationName { groups.append(value) }
            }
        }
        guard !name.isEmpty else { return nil }
        return UserInfo(name: name, groups: groups + [UserInfo.authenticated])
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
