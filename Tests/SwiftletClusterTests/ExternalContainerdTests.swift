import Testing

@testable import SwiftletCluster

@Suite struct ExternalContainerdTests {
    let layout = ContainerdLayout(dataDir: "/var/lib/swiftlet", cluster: "c1")

    func settings(binDir: String, handlers: [String], systemd: Bool = false) -> ExternalContainerd.RuntimeSettings {
        let runtimes = handlers.map {
            "\"\($0)\": {\"runtimeType\": \"io.containerd.runc.v2\", \"options\": {\"SystemdCgroup\": \(systemd)}}"
        }
        let config = """
            {"sandboxImage": "registry.k8s.io/pause:3.6",
             "cni": {"binDir": "\(binDir)", "confDir": "/var/lib/swiftlet/containerd/cni/net.d"},
             "containerd": {"defaultRuntimeName": "runc", "runtimes": {\(runtimes.joined(separator: ", "))}}}
            """
        return .init(statusInfo: ["config": config])
    }

    @Test func readsWhatCRIStatusSaysOfItsConfiguration() {
        let s = settings(binDir: "/opt/cni/bin", handlers: ["runc", "swiftlet-node"])
        #expect(s.cniBinDir == "/opt/cni/bin")
        #expect(s.sandboxImage == "registry.k8s.io/pause:3.6")
        #expect(s.runtimeHandlers == ["runc", "swiftlet-node"])
        #expect(!s.systemdCgroup)
        #expect(ExternalContainerd.RuntimeSettings(statusInfo: [:]).cniBinDir == nil)
    }

    @Test func aRuntimeNotSetUpForSwiftletIsRefusedWithTheLinesToAdd() throws {
        let endpoint = "unix:///run/containerd/containerd.sock"
        let foreign = try #require(
            ExternalContainerd.problem(
                settings(binDir: "/opt/cni/bin", handlers: ["runc"]),
                layout: layout,
                endpoint: endpoint
            )
        )
        #expect(foreign.contains("does not use Swiftlet's CNI plugin (its CNI bin_dir is /opt/cni/bin"))
        #expect(foreign.hasSuffix(ExternalContainerd.requiredConfig(layout)))
        #expect(
            ExternalContainerd.requiredConfig(layout).contains("bin_dir = \"/var/lib/swiftlet/containerd/cni/bin\"")
        )
        let ours = layout.cniBin
        let noHandler = ExternalContainerd.problem(
            settings(binDir: ours, handlers: ["runc"]),
            layout: layout,
            endpoint: endpoint
        )
        #expect(noHandler?.contains("no runtime handler swiftlet-node") == true)
        let systemd = ExternalContainerd.problem(
            settings(binDir: ours, handlers: ["runc", "swiftlet-node"], systemd: true),
            layout: layout,
            endpoint: endpoint
        )
        #expect(systemd?.contains("systemd cgroup driver") == true)
        #expect(
            ExternalContainerd.problem(
                settings(binDir: ours, handlers: ["runc", "swiftlet-node"]),
                layout: layout,
                endpoint: endpoint
            )
                == nil
        )
    }
}
