import APIServer
import Foundation
import KubeMachinery

/// Registry mirrors and credentials in k3s's `registries.yaml` format (`swiftlet up
/// --registry-config FILE`):
///
/// ```yaml
/// mirrors:
///   docker.io:
///     endpoint: ["http://127.0.0.1:5000"]
/// configs:
///   "127.0.0.1:5000":
///     auth: {username: me, password: secret}
///     tls: {insecure_skip_verify: true}
/// ```
///
/// Mirrors become containerd's `hosts.toml` files (one directory per registry, `*` as
/// `_default`); credentials and TLS settings go with each endpoint. Pure.
package struct RegistryConfig: Sendable, Equatable {
    package struct Mirror: Sendable, Equatable {
        package var registry: String
        package var endpoints: [String]
    }
    package struct HostConfig: Sendable, Equatable {
        package var username: String?
        package var password: String?
        package var auth: String?
        package var insecureSkipVerify = false
        package var caFile: String?
    }

    package var mirrors: [Mirror] = []
    /// By registry host (`127.0.0.1:5000`, `registry.example.com`).
    package var configs: [String: HostConfig] = [:]
    package var isEmpty: Bool { mirrors.isEmpty && configs.isEmpty }

    package init() {}

    package init(yaml text: String, file: String) throws(ClusterSetupError) {
        let json: JSON
        do {
            json = try YAMLBridge.parse(text)
        } catch {
            throw ClusterSetupError("\(file) is not valid YAML: \(error)")
        }
        guard json.object != nil || json == .null else {
            throw ClusterSetupError("\(file) must be a mapping with `mirrors:` and `configs:` (k3s registries.yaml)")
        }
        for (registry, m) in json["mirrors"]?.object ?? JSONObject() {
            let endpoints = (m["endpoint"]?.array ?? []).compactMap(\.string)
            guard !endpoints.isEmpty else {
                throw ClusterSetupError("\(file): mirrors.\(registry) needs an `endpoint:` list of URLs")
            }
            for e in endpoints where !(e.hasPrefix("http://") || e.hasPrefix("https://")) {
                throw ClusterSetupError(
                    "\(file): mirrors.\(registry).endpoint \"\(e)\" must be a URL (http://host:port or https://host)"
                )
            }
            mirrors.append(Mirror(registry: registry, endpoints: endpoints))
        }
        for (host, c) in json["configs"]?.object ?? JSONObject() {
            var h = HostConfig()
            h.username = c[path: ["auth", "username"]]?.string
            h.password = c[path: ["auth", "password"]]?.string
            h.auth = c[path: ["auth", "auth"]]?.string
            h.insecureSkipVerify = c[path: ["tls", "insecure_skip_verify"]]?.bool ?? false
            h.caFile = c[path: ["tls", "ca_file"]]?.string
            configs[host] = h
        }
    }

    /// The upstream server of a registry name, as containerd's hosts.toml names it.
    static func server(of registry: String) -> String {
        registry == "docker.io" ? "https://registry-1.docker.io" : "https://\(registry)"
    }

    static func host(of endpoint: String) -> String {
        let rest = endpoint.split(separator: "://", maxSplits: 1).last.map(String.init) ?? endpoint
        return String(rest.split(separator: "/").first ?? "")
    }

    /// `certs.d/<registry>/hosts.toml` files: path under the certs.d directory → content.
    package func hostsFiles() -> [(directory: String, content: String)] {
        return mirrors.map { m in
            var lines = ["# Written by swiftlet from --registry-config; edits are lost."]
            if m.registry != "*" { lines.append("server = \(TOML.quoted(Self.server(of: m.registry)))") }
            for e in m.endpoints {
                lines.append("")
                lines.append("[host.\(TOML.quoted(e))]")
                lines.append("  capabilities = [\"pull\", \"resolve\"]")
                let c = configs[Self.host(of: e)]
                if c?.insecureSkipVerify == true { lines.append("  skip_verify = true") }
                if let ca = c?.caFile { lines.append("  ca = \(TOML.quoted(ca))") }
            }
            return (m.registry == "*" ? "_default" : m.registry, lines.joined(separator: "\n") + "\n")
        }
    }

    /// containerd's CRI credentials table (`registry.configs."host".auth`), for config.toml.
    package func authTOML() -> String {
        var out = ""
        for host in configs.keys.sorted() {
            guard let c = configs[host], c.username != nil || c.auth != nil else { continue }
            out += "  [plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\(TOML.quoted(host)).auth]\n"
            if let u = c.username { out += "    username = \(TOML.quoted(u))\n" }
            if let p = c.password { out += "    password = \(TOML.quoted(p))\n" }
            if let a = c.auth { out += "    auth = \(TOML.quoted(a))\n" }
        }
        return out
    }
}

/// TOML's basic strings, for the configuration files written for containerd. Pure.
enum TOML {
    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
