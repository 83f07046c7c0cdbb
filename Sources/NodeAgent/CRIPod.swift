import CRI
import Foundation
import GRPCCore
import KubeMachinery
import KubeModel
import Synchronization

/// A container as the pod worker drives it, whichever runtime runs it.
protocol ContainerRun: AnyObject, Sendable {
    /// `containerd://<id>` or `swiftlet://…`, as `containerStatuses[].containerID` shows it.
    var statusID: String { get }
    var imageID: String? { get }
    var hasExited: Bool { get }
    func wait() async -> ContainerProcess.Exit
    /// SIGTERM, up to `grace` seconds, then SIGKILL.
    func stop(grace: Int) async
}

extension ContainerProcess: ContainerRun {
    var statusID: String { "" }
    var imageID: String? { nil }

    func stop(grace: Int) async {
        signal(SIGTERM)
        let deadline = ContinuousClock.now + .seconds(max(grace, 0))
        while !hasExited, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        signal(SIGKILL)
        _ = await wait()
    }
}

/// An error of the CRI runtime, with the reason kubelet reports for it.
struct RuntimeFailure: Error, CustomStringConvertible {
    var reason: String
    var message: String
    var description: String { message }
}

/// One pod's sandbox in the container runtime, and the runs of its containers.
final class CRIPod: Sendable {
    let cri: CRIClient
    private struct State {
        var id: String?
        var config: Runtime_V1_PodSandboxConfig
    }
    private let state: Mutex<State>

    init(cri: CRIClient, config: Runtime_V1_PodSandboxConfig) {
        self.cri = cri
        state = Mutex(State(id: nil, config: config))
    }

    var sandboxID: String? { state.withLock { $0.id } }
    var config: Runtime_V1_PodSandboxConfig { state.withLock { $0.config } }

    /// The sandbox configuration of a pod: its identity, hostname, log directory and the
    /// annotations by which Swiftlet's CNI plugin wires it into its node. Pure.
    static func sandboxConfig(
        pod: JSON,
        spec: PodSpec,
        logDirectory: String,
        network: [String: String],
        cgroupParent: String
    ) -> Runtime_V1_PodSandboxConfig {
        var c = Runtime_V1_PodSandboxConfig()
        c.metadata.name = pod.name
        c.metadata.namespace = pod.namespace
        c.metadata.uid = pod.uid
        c.hostname = PodFiles.hostname(spec, podName: pod.name)
        c.logDirectory = logDirectory
        c.labels = [
            "io.kubernetes.pod.name": pod.name, "io.kubernetes.pod.namespace": pod.namespace,
            "io.kubernetes.pod.uid": pod.uid,
        ]
        c.annotations = network
        c.linux.cgroupParent = cgroupParent
        // Each container has its own PID namespace unless the pod shares one (kubelet's default).
        c.linux.securityContext.namespaceOptions.pid =
            pod[path: ["spec", "shareProcessNamespace"]]?.bool == true ? .pod : .container
        for container in spec.containers {
            for port in container.ports where (port.hostPort ?? 0) > 0 {
                var m = Runtime_V1_PortMapping()
                m.containerPort = Int32(clamping: port.containerPort ?? 0)
                m.hostPort = Int32(clamping: port.hostPort ?? 0)
                m.protocol = port.protocol == .udp ? .udp : port.protocol == .sctp ? .sctp : .tcp
                c.portMappings.append(m)
            }
        }
        return c
    }

    /// Runs the sandbox; `network` are the annotations the CNI plugin wires it by.
    func start(network: [String: String]) async throws {
        let config = state.withLock { s in
            for (k, v) in network { s.config.annotations[k] = v }
            return s.config
        }
        try FileManager.default.createDirectory(atPath: config.logDirectory, withIntermediateDirectories: true)
        var r = Runtime_V1_RunPodSandboxRequest()
        r.config = config
        do {
            let id = try await cri.runtime.runPodSandbox(r).podSandboxID
            state.withLock { $0.id = id }
        } catch {
            throw RuntimeFailure(reason: "FailedCreatePodSandBox", message: Self.message(error))
        }
    }

    /// Stops and removes the sandbox and every container in it; safe to call twice.
    func remove() async {
        let id: String? = state.withLock { s in
            defer { s.id = nil }
            return s.id
        }
        if let id { try? await cri.removeSandbox(id) }
    }

    // MARK: Images

    /// kubelet's default pull policy: Always for `:latest` or no tag, else IfNotPresent.
    static func pullPolicy(_ container: Container) -> String {
        if let p = container.imagePullPolicy { return p }
        var name = Substring(container.image)
        if name.contains("@") { return "IfNotPresent" }
        if let slash = name.lastIndex(of: "/") { name = name[name.index(after: slash)...] }
        guard let colon = name.lastIndex(of: ":") else { return "Always" }
        return name[name.index(after: colon)...] == "latest" ? "Always" : "IfNotPresent"
    }

    /// The image's id if the runtime has it.
    func presentImage(_ image: String) async -> String? {
        var r = Runtime_V1_ImageStatusRequest()
        r.image.image = image
        guard let status = try? await cri.images.imageStatus(r), status.hasImage else { return nil }
        return status.image.id
    }

    func pull(_ image: String) async throws(RuntimeFailure) -> String {
        var r = Runtime_V1_PullImageRequest()
        r.image.image = image
        r.sandboxConfig = config
        do {
            return try await cri.images.pullImage(r).imageRef
        } catch {
            throw RuntimeFailure(reason: "ErrImagePull", message: Self.message(error))
        }
    }

    // MARK: Containers

    /// A container's configuration: Kubernetes' command and args (CRI applies them to the
    /// image's ENTRYPOINT and CMD as Kubernetes defines), its environment, working directory,
    /// log file and the pod's hosts and resolv.conf. Pure.
    static func containerConfig(
        _ container: Container,
        attempt: Int,
        env: [(String, String)],
        logPath: String,
        mounts: [(host: String, container: String)]
    ) -> Runtime_V1_ContainerConfig {
        var c = Runtime_V1_ContainerConfig()
        c.metadata.name = container.name
        c.metadata.attempt = UInt32(clamping: attempt)
        c.image.image = container.image
        let lookup = Dictionary(env, uniquingKeysWith: { _, b in b })
        if let command = container.command { c.command = command.map { PodEnvironment.expand($0, lookup) } }
        c.args = container.args.map { PodEnvironment.expand($0, lookup) }
        c.workingDir = container.workingDir ?? ""
        c.envs = env.map { k, v in
            var kv = Runtime_V1_KeyValue()
            kv.key = k
            kv.value = v
            return kv
        }
        c.logPath = logPath
        c.stdin = container.stdin
        c.stdinOnce = container.stdinOnce
        c.tty = container.tty
        c.labels = ["io.kubernetes.container.name": container.name]
        for m in mounts {
            var mount = Runtime_V1_Mount()
            mount.hostPath = m.host
            mount.containerPath = m.container
            c.mounts.append(mount)
        }
        c.linux.securityContext.privileged = container.privileged
        c.linux.securityContext.namespaceOptions = config(for: container)
        return c
    }

    static func config(for container: Container) -> Runtime_V1_NamespaceOption {
        var n = Runtime_V1_NamespaceOption()
        n.pid = .container
        return n
    }

    func run(_ config: Runtime_V1_ContainerConfig, imageID: String) async throws(RuntimeFailure) -> CRIContainerRun {
        guard let sandboxID else { throw RuntimeFailure(reason: "CreateContainerError", message: "no pod sandbox") }
        var create = Runtime_V1_CreateContainerRequest()
        create.podSandboxID = sandboxID
        create.config = config
        create.sandboxConfig = self.config
        let id: String
        do {
            id = try await cri.runtime.createContainer(create).containerID
        } catch {
            throw RuntimeFailure(reason: "CreateContainerError", message: Self.message(error))
        }
        var start = Runtime_V1_StartContainerRequest()
        start.containerID = id
        do {
            _ = try await cri.runtime.startContainer(start)
        } catch {
            throw RuntimeFailure(reason: "RunContainerError", message: Self.message(error))
        }
        return CRIContainerRun(cri: cri, id: id, imageID: imageID)
    }

    /// Runs a command in a container to its end (exec probes, non-interactive `kubectl exec`).
    func execSync(_ containerID: String, _ command: [String], timeout: Duration) async -> (Int32, Data, Data) {
        var r = Runtime_V1_ExecSyncRequest()
        r.containerID = containerID
        r.cmd = command
        r.timeout = max(1, timeout.components.seconds)
        do {
            let out = try await cri.runtime.execSync(r, options: .timeout(timeout + .seconds(5)))
            return (out.exitCode, out.stdout, out.stderr)
        } catch {
            return (126, Data(), Data("\(Self.message(error))\n".utf8))
        }
    }

    /// The runtime's own words, without gRPC's framing.
    static func message(_ error: any Error) -> String {
        if let e = error as? RPCError { return e.message }
        return "\(error)"
    }
}

/// One run of a container in containerd, watched until it exits.
final class CRIContainerRun: ContainerRun {
    let cri: CRIClient
    let id: String
    let imageID: String?
    private final class ExitBox: Sendable {
        let value = Mutex<ContainerProcess.Exit?>(nil)
    }
    private let exit = ExitBox()
    private let done: Task<ContainerProcess.Exit, Never>

    init(cri: CRIClient, id: String, imageID: String) {
        self.cri = cri
        self.id = id
        self.imageID = imageID
        let exit = self.exit
        done = Task {
            // Like kubelet's relist, a poll of the container's status; an unreachable runtime
            // is retried, a container it no longer knows is gone.
            var status = Runtime_V1_ContainerStatusRequest()
            status.containerID = id
            var misses = 0
            while true {
                do {
                    let s = try await cri.runtime.containerStatus(status).status
                    misses = 0
                    if s.state == .containerExited {
                        let e = ContainerProcess.Exit(
                            code: s.exitCode,
                            signal: nil,
                            reason: s.reason.isEmpty ? nil : s.reason,
                            message: s.message.isEmpty ? nil : s.message
                        )
                        exit.value.withLock { $0 = e }
                        return e
                    }
                } catch let e as RPCError where e.code == .notFound {
                    let gone = ContainerProcess.Exit(code: 137, signal: nil, reason: "ContainerStatusUnknown")
                    exit.value.withLock { $0 = gone }
                    return gone
                } catch {
                    misses += 1
                }
                try? await Task.sleep(for: .milliseconds(misses > 0 ? 1000 : 250))
            }
        }
    }

    var statusID: String { "containerd://" + id }
    var hasExited: Bool { exit.value.withLock { $0 != nil } }

    func wait() async -> ContainerProcess.Exit { await done.value }

    func stop(grace: Int) async {
        var r = Runtime_V1_StopContainerRequest()
        r.containerID = id
        r.timeout = Int64(max(grace, 0))
        _ = try? await cri.runtime.stopContainer(r, options: .timeout(.seconds(Int64(max(grace, 0)) + 10)))
        _ = await wait()
    }

    func remove() async {
        var r = Runtime_V1_RemoveContainerRequest()
        r.containerID = id
        _ = try? await cri.runtime.removeContainer(r)
    }
}
