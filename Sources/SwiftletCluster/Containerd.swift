import CRI
import Foundation
import HostCommands
import Logging
import NodeAgent
import OCIImage
import Synchronization

/// Where one cluster's containerd keeps everything: all of it under `DATA/containerd`, so
/// two clusters (or a system containerd) never share a socket, a store or a shim.
package struct ContainerdLayout: Sendable, Equatable {
    package var dir: String
    package var cluster: String

    package init(dataDir: String, cluster: String) {
        dir = (dataDir as NSString).appendingPathComponent("containerd")
        self.cluster = cluster
    }

    package var config: String { dir + "/config.toml" }
    package var root: String { dir + "/root" }
    package var state: String { dir + "/state" }
    package var socket: String { dir + "/containerd.sock" }
    package var ttrpcSocket: String { dir + "/containerd.sock.ttrpc" }
    package var log: String { dir + "/containerd.log" }
    package var pidFile: String { dir + "/containerd.pid" }
    /// hosts.toml per registry host, made from `--registry-config`.
    package var registryHosts: String { dir + "/certs.d" }
    package var cniBin: String { dir + "/cni/bin" }
    package var cniConf: String { dir + "/cni/net.d" }
    /// Runtime binaries containerd's shim runs: the hostNetwork pods' runc.
    package var runtimeBin: String { dir + "/bin" }
    package var nodeNamespaceRunc: String { runtimeBin + "/" + NodeNamespaceRuntime.programName }
    /// The cgroup every pod of the cluster lives under (in each v1 hierarchy, or in v2's).
    package var cgroupParent: String { "/swiftlet-\(cluster)" }
}

/// containerd's configuration for a Swiftlet cluster. Pure.
package enum ContainerdConfig {
    /// The pause image every sandbox runs, imported at start and never pulled.
    package static let sandboxImage = PauseImage.reference

    /// Plugins a Swiftlet cluster never uses; left out, containerd starts faster and smaller.
    static let disabledPlugins = [
        "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
        "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
        "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing",
    ]

    /// The runtime handler of hostNetwork pods: runc entered into their node's network
    /// namespace by this binary.
    package static func nodeNamespaceRuntime(_ l: ContainerdLayout) -> String {
        let runtime = "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.\(NodeNamespaceRuntime.handler)"
        return """
            \(runtime)]
              runtime_type = "io.containerd.runc.v2"
              pod_annotations = [\(NodeNamespaceRuntime.passedAnnotations.map(TOML.quoted).joined(separator: ", "))]
            \(runtime).options]
              BinaryName = \(TOML.quoted(l.nodeNamespaceRunc))
            """
    }

    package static func render(_ l: ContainerdLayout, registry: RegistryConfig = .init()) -> String {
        let cri = "[plugins.\"io.containerd.grpc.v1.cri\"]"
        return """
            # Written by swiftlet at every start; edits are lost.
            version = 2
            root = \(TOML.quoted(l.root))
            state = \(TOML.quoted(l.state))
            disabled_plugins = [\(disabledPlugins.map(TOML.quoted).joined(separator: ", "))]

            [grpc]
              address = \(TOML.quoted(l.socket))
            [ttrpc]
              address = \(TOML.quoted(l.ttrpcSocket))
            [metrics]
              address = ""
            [plugins."io.containerd.internal.v1.opt"]
              path = \(TOML.quoted(l.dir + "/opt"))
            \(cri)
              sandbox_image = \(TOML.quoted(sandboxImage))
              # The pause container asks for oom_score_adj -998, which needs CAP_SYS_RESOURCE;
              # without this every sandbox fails to start where that capability is missing.
              restrict_oom_score_adj = true
              enable_selinux = false
              stream_server_address = "127.0.0.1"
              stream_server_port = "0"
              max_container_log_line_size = 16384
              \(cri.dropLast()).containerd]
                snapshotter = "overlayfs"
                default_runtime_name = "runc"
                \(cri.dropLast()).containerd.runtimes.runc]
                  runtime_type = "io.containerd.runc.v2"
            \(nodeNamespaceRuntime(l))
              \(cri.dropLast()).cni]
                bin_dir = \(TOML.quoted(l.cniBin))
                conf_dir = \(TOML.quoted(l.cniConf))
                max_conf_num = 1
              \(cri.dropLast()).registry]
                config_path = \(TOML.quoted(l.registryHosts))
            \(registry.authTOML())
            """
    }
}

package struct ContainerdError: Error, CustomStringConvertible {
    package var description: String
    init(_ d: String) { description = d }
}

/// The container runtime of a cluster: its own containerd, or one it is given.
package protocol ClusterRuntime: Sendable {
    /// The CRI socket's path.
    var socket: String { get }
    /// Ready to run pods: connected, Swiftlet's CNI plugin and pause image in place.
    func start(executable: String) async throws -> (CRIClient, BuiltinImageSet)
    /// The cluster's pods are gone from it (and its own containerd has stopped).
    func stop(_ client: CRIClient?) async
}

/// A cluster's own containerd: `start` writes its config, removes what a crashed earlier
/// run left (a containerd, shims, mounts, stale sockets), starts it and waits until CRI
/// answers; `stop` removes every pod sandbox still there (so CNI tears down their links),
/// then stops containerd. Not a lifecycle Service: it must be up before the node agents
/// start and go only after they have stopped, whichever way the group ends.
package final class ContainerdProcess: ClusterRuntime {
    package let layout: ContainerdLayout
    let logger: Logger
    let registry: RegistryConfig
    package var socket: String { layout.socket }
    private struct State {
        var process = Process()
        /// Set by `stop`: an exit is then expected, not restarted.
        var stopping = false
        var restarts = 0
        /// Exits already handled (Foundation's and the zombie check may both see one).
        var handled: Set<Int32> = []
    }
    private let state = Mutex(State())
    private var process: Process { state.withLock { $0.process } }

    package init(layout: ContainerdLayout, logger: Logger, registry: RegistryConfig = .init()) {
        self.layout = layout
        self.logger = logger
        self.registry = registry
    }

    /// Where containerd is installed, or an error that names the fix.
    package static func binary() throws -> String {
        for dir in ["/usr/bin", "/usr/local/bin", "/usr/sbin"] {
            let path = dir + "/containerd"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw ContainerdError(
            "containerd is not installed: pods run on containerd with runc "
                + "(./scripts/install-deps.sh, or apt-get install containerd runc)"
        )
    }

    /// Writes the configuration and directories containerd needs.
    package func prepare() throws {
        let fm = FileManager.default
        for d in [
            layout.dir, layout.root, layout.state, layout.registryHosts, layout.cniBin, layout.cniConf,
            layout.runtimeBin,
        ] {
            try fm.createDirectory(atPath: d, withIntermediateDirectories: true)
        }
        try ContainerdConfig.render(layout, registry: registry).write(
            toFile: layout.config,
            atomically: true,
            encoding: .utf8
        )
        // The mirrors of this start only: a registry left out of the file is reached directly.
        try? fm.removeItem(atPath: layout.registryHosts)
        try fm.createDirectory(atPath: layout.registryHosts, withIntermediateDirectories: true)
        for (directory, content) in registry.hostsFiles() {
            let dir = layout.registryHosts + "/" + directory
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try content.write(toFile: dir + "/hosts.toml", atomically: true, encoding: .utf8)
        }
    }

    /// Swiftlet's CNI plugin: this binary, under both plugin names containerd runs; and
    /// the runc of hostNetwork pods, this binary too.
    package func installCNI(executable: String) throws {
        let fm = FileManager.default
        for d in [layout.cniBin, layout.cniConf, layout.runtimeBin] {
            try fm.createDirectory(atPath: d, withIntermediateDirectories: true)
        }
        for link in ["swiftlet", "loopback"].map({ layout.cniBin + "/" + $0 }) + [layout.nodeNamespaceRunc] {
            try? fm.removeItem(atPath: link)
            try fm.createSymbolicLink(atPath: link, withDestinationPath: executable)
        }
        try CNIPlugin.configList().write(
            toFile: layout.cniConf + "/10-swiftlet.conflist",
            atomically: true,
            encoding: .utf8
        )
    }

    /// Starts containerd with Swiftlet's CNI plugin and pause image in place; `images` makes
    /// Swiftlet's other images when a pod first asks for one.
    package func start(executable: String) async throws -> (CRIClient, BuiltinImageSet) {
        let client = try await start()
        let images = BuiltinImageSet(
            socket: layout.socket,
            executable: executable,
            scratch: URL(fileURLWithPath: layout.dir)
        )
        do {
            try installCNI(executable: executable)
            try await images.provide(ContainerdConfig.sandboxImage, kind: .pause)
            // Sandboxes a crashed run left: their pods start anew.
            await client.removeAllSandboxes(logger: logger)
            images.prepareAgnhost(logger: logger)
        } catch {
            await stop(client)
            throw error
        }
        return (client, images)
    }

    package func start() async throws -> CRIClient {
        let bin = try Self.binary()
        try prepare()
        Self.removeLeftovers(layout, logger: logger)
        _ = FileManager.default.createFile(atPath: layout.log, contents: nil)
        try launch(bin)
        let process = self.process
        do {
            return try await Self.connect(layout.socket, process: process, log: layout.log)
        } catch {
            kill(process.processIdentifier, SIGKILL)
            throw error
        }
    }

    /// Starts containerd; if it exits while the cluster runs, it is started again (after a
    /// pause that grows with each restart, up to 10 s): pods and their shims outlive it, and
    /// the node agents report NotReady until it answers again.
    private func launch(_ bin: String) throws {
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: layout.log))
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bin)
        process.arguments = ["--config", layout.config, "--log-level", "warn"]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { [weak self] p in
            try? log.close()
            self?.exited(p, bin: bin, status: p.terminationStatus)
        }
        state.withLock { $0.process = process }
        try HostCommand.launch(process)
        try? String(process.processIdentifier).write(toFile: layout.pidFile, atomically: true, encoding: .utf8)
        watch(process, bin: bin)
    }

    /// Foundation misses a child's exit after the child was stopped and continued (SIGSTOP,
    /// SIGCONT): the exit is then seen here, as a zombie, reaped and handled the same way.
    private func watch(_ p: Process, bin: String) {
        let pid = p.processIdentifier
        Task { [weak self] in
            while let self, self.state.withLock({ !$0.stopping && $0.process === p }) {
                try? await Task.sleep(for: .seconds(2))
                let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
                let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
                guard fields.first == "Z" else { continue }
                var status: Int32 = 0
                guard waitpid(pid, &status, WNOHANG) == pid else { continue }
                self.exited(p, bin: bin, status: status)
                return
            }
        }
    }

    private func exited(_ p: Process, bin: String, status: Int32) {
        let restart: Int? = state.withLock { s in
            guard !s.stopping, s.process === p, !s.handled.contains(p.processIdentifier) else { return nil }
            s.handled.insert(p.processIdentifier)
            s.restarts += 1
            return s.restarts
        }
        guard let restart else { return }
        let pause = min(10, restart)
        logger.warning(
            "containerd exited (status \(status)); starting it again in \(pause) s (its log: \(layout.log))"
        )
        Task {
            try? await Task.sleep(for: .seconds(pause))
            guard !self.state.withLock({ $0.stopping }) else { return }
            do {
                try self.launch(bin)
            } catch {
                self.logger.error("could not start containerd again: \(error)")
            }
        }
    }

    package func stop(_ client: CRIClient?) async {
        state.withLock { $0.stopping = true }
        if let client { await client.removeAllSandboxes(logger: logger) }
        client?.close()
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        Self.removeLeftovers(layout, logger: logger)
        try? FileManager.default.removeItem(atPath: layout.pidFile)
    }

    /// Connects once containerd's socket answers CRI's Version, or fails with the end of its log.
    static func connect(_ socket: String, process: Process, log: String) async throws -> CRIClient {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if !process.isRunning {
                let tail = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").suffix(5)
                throw ContainerdError(
                    "containerd exited at start (status \(process.terminationStatus)): "
                        + (tail?.joined(separator: " | ") ?? "") + " (its log: \(log))"
                )
            }
            if FileManager.default.fileExists(atPath: socket) {
                let client = try CRIClient(socketPath: socket)
                if (try? await client.version()) != nil { return client }
                client.close()
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ContainerdError("containerd did not answer on \(socket) within 30 s (its log: \(log))")
    }

    /// Kills the shims and containers a crashed run left (they outlive containerd), unmounts
    /// their root filesystems and network namespaces, and removes the stale sockets.
    package static func removeLeftovers(_ layout: ContainerdLayout, logger: Logger) {
        if let pid = (try? String(contentsOfFile: layout.pidFile, encoding: .utf8)).flatMap({ Int32($0) }),
            isProcess(pid, runningFrom: layout.config)
        {
            kill(pid, SIGKILL)
        }
        for pid in runtimeProcesses(of: layout) {
            // The shim's children (each container's processes) go with their cgroup below;
            // killing the shim's process group covers runc's own children.
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
        }
        for mount in mounts(under: [layout.root, layout.state]).sorted(by: >) {
            if umount2(mount, Int32(MNT_DETACH)) != 0 {
                logger.debug("could not unmount \(mount): \(String(cString: strerror(errno)))")
            }
        }
        // The shims' state stays: a new containerd finds them dead and cleans up after them.
        for s in [layout.socket, layout.ttrpcSocket] { try? FileManager.default.removeItem(atPath: s) }
        Cgroups.killAll(layout.cgroupParent)
        // Killed processes leave their cgroups a moment later.
        usleep(100_000)
        Cgroups.remove(layout.cgroupParent)
    }

    static func isProcess(_ pid: Int32, runningFrom config: String) -> Bool {
        guard let cmd = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { return false }
        return cmd.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == config }
    }

    /// containerd-shim processes started for this containerd, and its `ctr` clients (their
    /// command lines name its socket).
    static func runtimeProcesses(of layout: ContainerdLayout) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var out: [Int32] = []
        for e in entries {
            guard let pid = Int32(e), pid != getpid(),
                let cmd = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(e)/cmdline"))
            else { continue }
            let args = cmd.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            // The shims, and `ctr` clients of this containerd (an image import a stop cut short).
            let program = args.first ?? ""
            if program.hasSuffix("containerd-shim-runc-v2") || program.hasSuffix("/ctr"),
                args.contains(layout.socket)
            {
                out.append(pid)
            }
        }
        return out
    }

    /// Mount points at or below the given directories, from /proc/self/mountinfo.
    package static func mounts(under dirs: [String]) -> [String] {
        guard let info = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
        return info.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let point = String(fields[4]).replacingOccurrences(of: "\\040", with: " ")
            return dirs.contains { point == $0 || point.hasPrefix($0 + "/") } ? point : nil
        }
    }
}
