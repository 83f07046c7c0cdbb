import CRI
import Foundation
import HostCommands
import Logging
import NodeAgent
import OCIImage
import Testing

@testable import SwiftletCluster

enum ContainerRuntimeHere {
    static var available: Bool {
        getuid() == 0 && (try? ContainerdProcess.binary()) != nil
            && FileManager.default.isExecutableFile(atPath: "/bin/busybox")
    }
}

/// A real containerd, started as `swiftlet up` starts it, running a sandbox wired into a
/// node namespace by Swiftlet's CNI plugin and a busybox container built from the host's
/// `busybox-static`. Needs root, containerd and runc (scripts/install-deps.sh).
@Suite(.serialized, .enabled(if: ContainerRuntimeHere.available))
struct ContainerdTests {
    /// The test's own names: a node namespace and a pod range that no cluster uses.
    let tag = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
    var nodeNamespace: String { "swl-ct\(tag)-node-1" }

    static func busybox(reference: String) -> ImageBuild {
        var files: [ImageBuild.File] = [
            .init("bin", mode: 0o755, .directory),
            .init("bin/busybox", mode: 0o755, .file(URL(fileURLWithPath: "/bin/busybox"))),
            .init("www", mode: 0o755, .directory),
            .init("www/index.html", .data(Data("hello from a container\n".utf8))),
            .init("tmp", mode: 0o1777, .directory),
        ]
        for tool in ["sh", "httpd", "cat", "ls", "sleep", "echo", "id", "hostname", "ps"] {
            files.append(.init("bin/\(tool)", mode: 0o777, .symlink("busybox")))
        }
        return ImageBuild(reference: reference, files: files, entrypoint: ["/bin/sh"])
    }

    @Test func aSandboxJoinsItsNodeAndAContainerServesFromIt() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-ctd-\(tag)")
        defer { try? FileManager.default.removeItem(at: data) }
        let layout = ContainerdLayout(dataDir: data.path, cluster: "ct\(tag)")
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let containerd = ContainerdProcess(layout: layout, logger: logger)
        _ = try await HostCommand.run("ip", ["netns", "add", nodeNamespace])
        defer { Task { _ = await HostCommand.deleteNamespace(nodeNamespace) } }
        _ = try await HostCommand.run("ip", ["-n", nodeNamespace, "link", "set", "lo", "up"])
        var client: CRIClient?
        do {
            let cri = try await containerd.start()
            client = cri
            try await run(cri, containerd, scratch: data)
        } catch {
            await containerd.stop(client)
            throw error
        }
        await containerd.stop(client)
        #expect(ContainerdProcess.runtimeProcesses(of: layout).isEmpty)
        #expect(ContainerdProcess.mounts(under: [layout.root, layout.state]).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory" + layout.cgroupParent))
    }

    func run(_ cri: CRIClient, _ containerd: ContainerdProcess, scratch: URL) async throws {
        let layout = containerd.layout
        let version = try await cri.version()
        #expect(version.runtimeName == "containerd")
        try containerd.installCNI(executable: SwiftletExecutable.swiftlet)
        try await ContainerdImages.importBuilt(PauseImage.build, socket: layout.socket, scratch: scratch)
        try await ContainerdImages.importBuilt(
            Self.busybox(reference: "swiftlet.local/busybox:test"),
            socket: layout.socket,
            scratch: scratch
        )

        var sandbox = Runtime_V1_PodSandboxConfig()
        sandbox.metadata.name = "web"
        sandbox.metadata.namespace = "default"
        sandbox.metadata.uid = "uid-\(tag)"
        sandbox.hostname = "web"
        sandbox.logDirectory = layout.dir + "/pods/default_web_uid-\(tag)"
        sandbox.annotations = [
            CNIPlugin.nodeNamespaceAnnotation: nodeNamespace, CNIPlugin.podIPAnnotation: "10.251.1.7",
            CNIPlugin.gatewayAnnotation: "10.251.1.1",
        ]
        sandbox.linux.cgroupParent = layout.cgroupParent
        sandbox.linux.securityContext.namespaceOptions.pid = .container
        try FileManager.default.createDirectory(atPath: sandbox.logDirectory, withIntermediateDirectories: true)
        var runRequest = Runtime_V1_RunPodSandboxRequest()
        runRequest.config = sandbox
        let sandboxID = try await cri.runtime.runPodSandbox(runRequest).podSandboxID

        var status = Runtime_V1_PodSandboxStatusRequest()
        status.podSandboxID = sandboxID
        let s = try await cri.runtime.podSandboxStatus(status).status
        #expect(s.state == .sandboxReady)
        #expect(s.network.ip == "10.251.1.7")

        var container = Runtime_V1_ContainerConfig()
        container.metadata.name = "httpd"
        container.image.image = "swiftlet.local/busybox:test"
        container.command = ["httpd", "-f", "-p", "8080", "-h", "/www"]
        container.logPath = "httpd/0.log"
        var create = Runtime_V1_CreateContainerRequest()
        create.podSandboxID = sandboxID
        create.config = container
        create.sandboxConfig = sandbox
        let containerID = try await cri.runtime.createContainer(create).containerID
        var start = Runtime_V1_StartContainerRequest()
        start.containerID = containerID
        _ = try await cri.runtime.startContainer(start)

        // From the node's namespace, as the proxy and other pods reach it.
        var answer = ""
        for _ in 0..<50 {
            answer =
                (try? await HostCommand.run(
                    "ip",
                    ["netns", "exec", nodeNamespace, "curl", "-s", "--max-time", "1", "http://10.251.1.7:8080/"]
                )) ?? ""
            if !answer.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(answer == "hello from a container\n")

        // The container sees its image, not the host.
        var exec = Runtime_V1_ExecSyncRequest()
        exec.containerID = containerID
        exec.cmd = ["ls", "/"]
        exec.timeout = 5
        let listing = String(decoding: try await cri.runtime.execSync(exec).stdout, as: UTF8.self)
        #expect(listing.split(separator: "\n").contains("www"))
        #expect(!listing.split(separator: "\n").contains("work"))
    }
}

@Suite struct ContainerdConfigTests {
    @Test func everythingLivesUnderTheDataDirectoryAndSandboxesNeverPull() {
        let layout = ContainerdLayout(dataDir: "/var/lib/swiftlet", cluster: "blue")
        let config = ContainerdConfig.render(layout)
        for line in [
            #"root = "/var/lib/swiftlet/containerd/root""#, #"state = "/var/lib/swiftlet/containerd/state""#,
            #"address = "/var/lib/swiftlet/containerd/containerd.sock""#,
            #"sandbox_image = "swiftlet.local/pause:1""#, "restrict_oom_score_adj = true",
            #"stream_server_port = "0""#, #"bin_dir = "/var/lib/swiftlet/containerd/cni/bin""#,
            #"config_path = "/var/lib/swiftlet/containerd/certs.d""#,
        ] {
            #expect(config.contains(line), "\(line)")
        }
        #expect(layout.cgroupParent == "/swiftlet-blue")
        #expect(!config.contains("/opt/containerd") && !config.contains("/run/containerd"))
    }
}
