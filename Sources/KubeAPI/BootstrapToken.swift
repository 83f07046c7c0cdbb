import Foundation
import KubeMachinery

/// A bootstrap token, `<id>.<secret>` (6 and 16 lowercase letters or digits), as kubeadm's:
/// kept in a Secret `kube-system/bootstrap-token-<id>` of type `bootstrap.kubernetes.io/token`.
/// A joining node presents it as a bearer token, and checks with it that the cluster CA it
/// was handed comes from a server that knows the token (the signed `kube-public/cluster-info`).
public struct BootstrapToken: Sendable, Equatable, CustomStringConvertible {
    public let id: String
    public let secret: String

    public static let secretType = "bootstrap.kubernetes.io/token"
    public static let namespace = "kube-system"
    /// The group of the tokens `swiftlet token create` makes: bound to `system:node`.
    public static let nodeGroup = "system:bootstrappers:swiftlet:default-node-token"
    public static let format = "abcdef.0123456789abcdef (6 and 16 lowercase letters or digits)"

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, Self.valid(parts[0], count: 6), Self.valid(parts[1], count: 16) else { return nil }
        id = String(parts[0])
        secret = String(parts[1])
    }

    static func valid(_ s: Substring, count: Int) -> Bool {
        s.count == count && s.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) }
    }

    public static func generate() -> BootstrapToken {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var rng = SystemRandomNumberGenerator()
        func random(_ n: Int) -> String {
            String((0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
        }
        return BootstrapToken("\(random(6)).\(random(16))")!
    }

    public var description: String { "\(id).\(secret)" }
    public var secretName: String { "bootstrap-token-\(id)" }

    /// The Secret that makes this token valid until `expiration` (nil: forever).
    public func secretObject(expiration: Date?, description: String) -> JSON {
        var data: [(String, String)] = [
            ("description", description), ("token-id", id), ("token-secret", secret),
            ("usage-bootstrap-authentication", "true"), ("usage-bootstrap-signing", "true"),
            ("auth-extra-groups", Self.nodeGroup),
        ]
        if let expiration {
            data.append(("expiration", Timestamp(seconds: Int64(expiration.timeIntervalSince1970)).rfc3339))
        }
        return [
            "apiVersion": "v1", "kind": "Secret", "type": .string(Self.secretType),
            "metadata": ["name": .string(secretName), "namespace": .string(Self.namespace)],
            "data": .object(JSONObject(data.map { ($0.0, JSON.string(Data($0.1.utf8).base64EncodedString())) })),
        ]
    }

    /// The decoded `data` of a bootstrap token Secret.
    public static func values(_ secret: JSON) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in secret["data"]?.object ?? JSONObject() {
            if let d = v.string.flatMap({ Data(base64Encoded: $0) }) { out[k] = String(decoding: d, as: UTF8.self) }
        }
        return out
    }

    /// The token a bootstrap Secret holds, if it is one, is unexpired at `now` and allows `usage`
    /// (`authentication` or `signing`).
    public static func from(secret: JSON, usage: String, now: Date = Date()) -> BootstrapToken? {
        guard secret["type"]?.string == secretType, secret.namespace == namespace, secret.deletionTimestamp == nil
        else { return nil }
        let v = values(secret)
        guard let id = v["token-id"], let s = v["token-secret"], secret.name == "bootstrap-token-\(id)",
            let token = BootstrapToken("\(id).\(s)"), v["usage-bootstrap-\(usage)"] == "true"
        else { return nil }
        if let e = v["expiration"] {
            guard let t = Timestamp(rfc3339: e), Double(t.micros) / 1e6 > now.timeIntervalSince1970 else { return nil }
        }
        return token
    }

    /// The user a bootstrap token authenticates as: `system:bootstrap:<id>`, in
    /// `system:bootstrappers` and the Secret's `auth-extra-groups`.
    public static func user(id: String, secret: JSON) -> UserInfo {
        let extra = (values(secret)["auth-extra-groups"] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        return UserInfo(
            name: "system:bootstrap:\(id)",
            groups: ["system:bootstrappers"] + extra.filter { !$0.isEmpty } + [UserInfo.authenticated]
        )
    }

    /// Field errors of a Secret of the bootstrap type, as the API server validates them.
    static func secretErrors(_ obj: JSON) -> [FieldError] {
        let v = values(obj)
        var errs: [FieldError] = []
        guard let id = v["token-id"], BootstrapToken("\(id).0123456789abcdef") != nil else {
            return [.invalid("data[token-id]", .string(v["token-id"] ?? ""), "must be 6 lowercase letters or digits")]
        }
        if obj.name != "bootstrap-token-\(id)" {
            errs.append(
                .invalid("metadata.name", .string(obj.name), "must be bootstrap-token-\(id) for token-id \(id)")
            )
        }
        if BootstrapToken("\(id).\(v["token-secret"] ?? "")") == nil {
            errs.append(.invalid("data[token-secret]", "<value omitted>", "must be 16 lowercase letters or digits"))
        }
        if let e = v["expiration"], Timestamp(rfc3339: e) == nil {
            errs.append(
                .invalid("data[expiration]", .string(e), "must be an RFC 3339 time such as 2026-11-28T12:00:00Z")
            )
        }
        return errs
    }
}
