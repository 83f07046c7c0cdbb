import Foundation
import KubeMachinery

/// Registry credentials from an image pull secret (`kubernetes.io/dockerconfigjson`, or the
/// older `kubernetes.io/dockercfg`), as CRI's AuthConfig carries them. Pure.
struct RegistryAuth: Sendable, Equatable {
    var server: String
    var username: String
    var password: String
    /// base64 of `username:password`, as docker's config files keep it.
    var auth: String

    /// The registry an image reference names (`docker.io` for bare names, as docker reads them).
    static func registry(of image: String) -> String {
        guard let slash = image.firstIndex(of: "/") else { return "docker.io" }
        let first = String(image[..<slash])
        guard first.contains(".") || first.contains(":") || first == "localhost" else { return "docker.io" }
        return first == "index.docker.io" || first == "registry-1.docker.io" ? "docker.io" : first
    }

    /// A config key as a registry host: `https://index.docker.io/v1/` → `docker.io`.
    static func normalize(_ key: String) -> String {
        var k = Substring(key)
        if let r = k.range(of: "://") { k = k[r.upperBound...] }
        if let slash = k.firstIndex(of: "/") { k = k[..<slash] }
        return RegistryAuth.registry(of: String(k) + "/x")
    }

    /// The entry of `secret` for the image's registry, if it has one.
    static func find(for image: String, in secret: JSON) -> RegistryAuth? {
        let type = secret["type"]?.string ?? ""
        let key = type == "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson"
        guard let encoded = secret[path: ["data", key]]?.string, let raw = Data(base64Encoded: encoded),
            let config = try? JSON.parse(Array(raw))
        else { return nil }
        let entries = (type == "kubernetes.io/dockercfg" ? config : config["auths"])?.object ?? JSONObject()
        let wanted = registry(of: image)
        for (server, entry) in entries where normalize(server) == wanted {
            var username = entry["username"]?.string ?? ""
            var password = entry["password"]?.string ?? ""
            let auth = entry["auth"]?.string ?? ""
            if username.isEmpty, let decoded = Data(base64Encoded: auth).map({ String(decoding: $0, as: UTF8.self) }),
                let colon = decoded.firstIndex(of: ":")
            {
                username = String(decoded[..<colon])
                password = String(decoded[decoded.index(after: colon)...])
            }
            // containerd reads the server as a URL (a bare `host:port` does not parse).
            let url = server.contains("://") ? server : "https://" + server
            return RegistryAuth(server: url, username: username, password: password, auth: auth)
        }
        return nil
    }
}
