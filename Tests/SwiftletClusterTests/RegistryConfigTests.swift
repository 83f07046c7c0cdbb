import Foundation
import Testing

@testable import SwiftletCluster

@Suite struct RegistryConfigTests {
    let yaml = """
        mirrors:
          docker.io:
            endpoint:
              - "http://127.0.0.1:5000"
              - "https://mirror.example.com"
          "*":
            endpoint: ["http://127.0.0.1:5001"]
        configs:
          "127.0.0.1:5000":
            auth: {username: me, password: "se\\"cret"}
          mirror.example.com:
            tls: {insecure_skip_verify: true, ca_file: /etc/ca.pem}
        """

    @Test func mirrorsBecomeHostsFiles() throws {
        let c = try RegistryConfig(yaml: yaml, file: "r.yaml")
        let files = Dictionary(uniqueKeysWithValues: c.hostsFiles().map { ($0.directory, $0.content) })
        let docker = try #require(files["docker.io"])
        #expect(docker.contains(#"server = "https://registry-1.docker.io""#))
        #expect(docker.contains(#"[host."http://127.0.0.1:5000"]"#))
        #expect(docker.contains("skip_verify = true") && docker.contains(#"ca = "/etc/ca.pem""#))
        // `*` is containerd's _default, with no upstream of its own.
        let fallback = try #require(files["_default"])
        #expect(!fallback.contains("server =") && fallback.contains(#"[host."http://127.0.0.1:5001"]"#))
    }

    @Test func credentialsGoToContainerdsConfig() throws {
        let c = try RegistryConfig(yaml: yaml, file: "r.yaml")
        let toml = c.authTOML()
        #expect(toml.contains(#"registry.configs."127.0.0.1:5000".auth]"#))
        #expect(toml.contains(#"username = "me""#) && toml.contains(#"password = "se\"cret""#))
        #expect(!toml.contains("mirror.example.com"))
    }

    @Test(arguments: [
        ("mirrors: {docker.io: {}}", "r.yaml: mirrors.docker.io needs an `endpoint:` list of URLs"),
        (
            "mirrors: {docker.io: {endpoint: [127.0.0.1:5000]}}",
            "r.yaml: mirrors.docker.io.endpoint \"127.0.0.1:5000\" must be a URL (http://host:port or https://host)"
        ),
        ("- a list", "r.yaml must be a mapping with `mirrors:` and `configs:` (k3s registries.yaml)"),
    ])
    func badFilesSayWhatIsWrong(_ text: String, _ message: String) {
        #expect(throws: ClusterSetupError(message)) { try RegistryConfig(yaml: text, file: "r.yaml") }
    }
}
