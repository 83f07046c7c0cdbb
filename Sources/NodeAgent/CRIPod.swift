import CRI
import Foundation
import GRPCCore
import HostCommands
import KubeMachinery
import KubeModel
import Synchronization

/// How a container's run ended.
struct ContainerExit: Sendable {
    var code: Int32
    var signal: Int32?
    /// The runtime's reason (`OOMKilled`, `Error`, `Completed`), when it gives one.
    var reason: String? = nil
    var message: String? = nil
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
        var tries: UInt32 = 0
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
        cgroupParent: String,
        cluster: String = ""
    ) -> Runtime_V1_PodSandboxConfig {
        var c = Runtime_V1_PodSandboxConfig()
        c.metadata.name = pod.name
        c.metadata.namespace = pod.namespace
        c.metadata.uid = pod.uid
        // A hostNetwork pod has no UTS namespace of its own in containerd (a hostname would
        // be refused); the node-namespace runtime gives it the node's.
        c.hostname = spec.hostNetwork ? "" : PodFiles.hostname(spec, podName: pod.name)
        c.logDirectory = logDirectory
        c.labels = [
            "io.kubernetes.pod.name": pod.name, "io.kubernetes.pod.namespace": pod.namespace,
            "io.kubernetes.pod.uid": pod.uid, CRILabels.cluster: cluster,
        ]
        c.annotations = network
        c.linux.cgroupParent = cgroupParent
        // Each container has its own PID namespace unless the pod shares one (kubelet's default).
        c.linux.securityContext.namespaceOptions.pid =
            pod[path: ["spec", "shareProcessNamespace"]]?.bool == true ? .pod : .container
        if spec.hostNetwork { c.linux.securityContext.namespaceOptions.network = .node }
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
    func start(network: [String: String]) async throws(RuntimeFailure) {
        // Each try is a new attempt: a sandbox the runtime made but could not report keeps
        // its name (name and attempt) reserved until `remove` finds it by the pod's uid.
        let config = state.withLock { s in
            for (k, v) in network { s.config.annotations[k] = v }
            s.config.metadata.attempt = s.tries
            s.tries += 1
            return s.config
        }
        do {
            try FileManager.default.createDirectory(atPath: config.logDirectory, withIntermediateDirectories: true)
        } catch {
            throw RuntimeFailure(reason: "FailedCreatePodSandBox", message: "\(config.logDirectory): \(error)")
        }
        var r = Runtime_V1_RunPodSandboxRequest()
        r.config = config
        if config.linux.securityContext.namespaceOptions.network == .node {
            r.runtimeHandler = NodeNamespaceRuntime.handler
        }
        let cri = self.cri
        do {
            // Not cancelled with the pod's task: a RunPodSandbox cut off half way leaves a
            // sandbox the runtime cannot list; one that completes is found and removed.
            let id = try await Task { try await cri.runtime.runPodSandbox(r).podSandboxID }.value
            state.withLock { $0.id = id }
        } catch {
            throw RuntimeFailure(reason: "FailedCreatePodSandBox", message: Self.message(error))
        }
    }

    /// Stops and removes the sandbox and every container in it; safe to call twice, and
    /// carried through even when the caller's task is cancelled (a pod deleted at once).
    func remove() async {
        await Task { await self.removeNow() }.value
    }

    private func removeNow() async {
        let id: String? = state.withLock { s in
            defer { s.id = nil }
            return s.id
        }
        if let id { try? await cri.removeSandbox(id) }
        // Sandboxes of this pod that a failed call left behind.
        var list = Runtime_V1_ListPodSandboxRequest()
        list.filter.labelSelector = ["io.kubernetes.pod.uid": config.metadata.uid]
        for orphan in (try? await cri.runtime.listPodSandbox(list).items) ?? [] where orphan.id != id {
            try? await cri.removeSandbox(orphan.id)
        }
        // runc removes each container's cgroup; the pod's, made for them, goes here, once
        // the killed processes have left it (a moment after the runtime answers).
        let cgroup = state.withLock { $0.config.linux.cgroupParent }
        for _ in 0..<20 {
            Cgroups.remove(cgroup)
            guard Cgroups.exists(cgroup) else { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
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

    /// The user an image runs as (its config's `User`), and the ID a container status
    /// reports for it (its repository digest when it was pulled, as kubelet shows it, else
    /// the image's own ID), as the runtime has them.
    func imageInfo(_ image: String) async -> (uid: Int64?, user: String, reportedID: String?) {
        var r = Runtime_V1_ImageStatusRequest()
        r.image.image = image
        guard let status = try? await cri.images.imageStatus(r, options: .timeout(.seconds(10))), status.hasImage
        else { return (nil, "", nil) }
        return (
            status.image.hasUid ? status.image.uid.value : nil, status.image.username,
            status.image.repoDigests.first ?? status.image.id
        )
    }

    /// The image's id if the runtime has it.
    func presentImage(_ image: String) async -> String? {
        if case .present(let id) = await imagePresence(image) { return id }
        return nil
    }

    enum ImagePresence: Equatable {
        case present(String)
        case absent
        /// The runtime did not answer.
        case unknown
    }

    /// Whether the runtime has the image, telling "no" from "no answer".
    func imagePresence(_ image: String) async -> ImagePresence {
        var r = Runtime_V1_ImageStatusRequest()
        r.image.image = image
        guard let status = try? await cri.images.imageStatus(r) else { return .unknown }
        return status.hasImage ? .present(status.image.id) : .absent
    }

    func pull(_ image: String, auth: RegistryAuth? = nil) async throws(RuntimeFailure) -> String {
        var r = Runtime_V1_PullImageRequest()
        r.image.image = image
        r.sandboxConfig = config
        if let auth {
            r.auth.username = auth.username
            r.auth.password = auth.password
            r.auth.auth = auth.auth
            r.auth.serverAddress = auth.server
        }
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
        qosClass: String = "BestEffort",
        pod: PodSpec? = nil,
        mounts: [(host: String, container: String, readOnly: Bool)]
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
            mount.readonly = m.readOnly
            c.mounts.append(mount)
        }
        c.linux.securityContext = securityContext(container, pod: pod)
        c.linux.resources = resources(container, qosClass: qosClass)
        return c
    }

    /// A container's `securityContext` over its pod's, as CRI takes it. Pure.
    static func securityContext(_ container: Container, pod: PodSpec?) -> Runtime_V1_LinuxContainerSecurityContext {
        let sc = container.securityContext.over(pod?.securityContext ?? SecurityContext(nil))
        var out = Runtime_V1_LinuxContainerSecurityContext()
        out.privileged = sc.privileged ?? false
        if let uid = sc.runAsUser { out.runAsUser.value = uid }
        if let gid = sc.runAsGroup { out.runAsGroup.value = gid }
        out.readonlyRootfs = sc.readOnlyRootFilesystem ?? false
        out.capabilities.addCapabilities = sc.addCapabilities
        out.capabilities.dropCapabilities = sc.dropCapabilities
        // kubelet sets no_new_privs only when escalation is refused outright.
        out.noNewPrivs = sc.allowPrivilegeEscalation == false
        switch sc.seccompType {
        case "RuntimeDefault":
            out.seccomp.profileType = .runtimeDefault
        case "Localhost":
            out.seccomp.profileType = .localhost
            out.seccomp.localhostRef = sc.seccompLocalhostProfile ?? ""
        default:
            // Unconfined, kubelet's default without the SeccompDefault feature.
            out.seccomp.profileType = .unconfined
        }
        out.supplementalGroups = (pod?.supplementalGroups ?? []) + (pod?.fsGroup.map { [$0] } ?? [])
        return out
    }

    /// kubelet's check of `runAsNonRoot` before it creates a container: the user it will
    /// run as (its own `runAsUser`, else the image's) must be known and not root. The
    /// message is upstream's; nil when the container may run. Pure.
    static func nonRootViolation(
        _ container: Container,
        pod: PodSpec,
        podName: String,
        imageUID: Int64?,
        imageUser: String
    ) -> String? {
        let sc = container.securityContext.over(pod.securityContext)
        guard sc.runAsNonRoot == true else { return nil }
        if let uid = sc.runAsUser {
            return uid == 0
                ? "container's runAsUser breaks non-root policy (pod: \"\(podName)\", container: \(container.name))"
                : nil
        }
        if imageUID == nil, !imageUser.isEmpty {
            return
                "container has runAsNonRoot and image has non-numeric user (\(imageUser)), cannot verify user is non-root (pod: \"\(podName)\", container: \(container.name))"
        }
        if (imageUID ?? 0) == 0 {
            return
                "container has runAsNonRoot and image will run as root (pod: \"\(podName)\", container: \(container.name))"
        }
        return nil
    }

    /// The page size of the CPU period kubelet uses (100 ms), and its floor for a quota.
    static let cpuPeriod: Int64 = 100_000
    static let minQuota: Int64 = 1000

    /// Requests and limits as cgroup settings, as kubelet sets them: CPU shares from the
    /// request (1024 a core, at least 2), a CFS quota from the limit, the memory limit, and
    /// the OOM score adjustment of the pod's QoS class. Pure.
    static func resources(
        _ container: Container,
        qosClass: String,
        nodeMemory: Int64 = NodeMemory.total
    ) -> Runtime_V1_LinuxContainerResources {
        var r = Runtime_V1_LinuxContainerResources()
        let cpuRequest = container.requests["cpu"].flatMap { Quantity($0) }
        let cpuLimit = container.limits["cpu"].flatMap { Quantity($0) }
        let shareMilli = cpuRequest.map(\.milliValue) ?? cpuLimit.map(\.milliValue) ?? 0
        r.cpuShares = max(2, shareMilli * 1024 / 1000)
        if let cpuLimit, !cpuLimit.isZero {
            r.cpuPeriod = cpuPeriod
            r.cpuQuota = max(minQuota, cpuLimit.milliValue * cpuPeriod / 1000)
        }
        if let memory = container.limits["memory"].flatMap({ Quantity($0) }), !memory.isZero {
            r.memoryLimitInBytes = memory.intValue
        }
        switch qosClass {
        case "Guaranteed": r.oomScoreAdj = -997
        case "BestEffort": r.oomScoreAdj = 1000
        default:
            let request = container.requests["memory"].flatMap { Quantity($0) }?.intValue ?? 0
            let adj = 1000 - (1000 * request) / max(1, nodeMemory)
            r.oomScoreAdj = min(999, max(2, adj))
        }
        return r
    }

    func run(
        _ config: Runtime_V1_ContainerConfig,
        imageID: String,
        watcher: ContainerExitWatcher
    ) async throws(RuntimeFailure) -> CRIContainerRun {
        guard let sandboxID else { throw RuntimeFailure(reason: "CreateContainerError", message: "no pod sandbox") }
        var create = Runtime_V1_CreateContainerRequest()
        create.podSandboxID = sandboxID
        create.config = config
        // The container's PID namespace is the pod's choice (shareProcessNamespace).
        create.config.linux.securityContext.namespaceOptions.pid =
            self.config.linux.securityContext.namespaceOptions.pid
        create.sandboxConfig = self.config
        let id: String
        let cri = self.cri
        // As RunPodSandbox: never cut off half way by the pod task's cancellation (a half-made
        // container is one the runtime cannot list, so nothing would remove it).
        do {
            id = try await Task { [create] in try await cri.runtime.createContainer(create).containerID }.value
        } catch {
            throw RuntimeFailure(reason: "CreateContainerError", message: Self.message(error))
        }
        var start = Runtime_V1_StartContainerRequest()
        start.containerID = id
        do {
            _ = try await Task { [start] in try await cri.runtime.startContainer(start) }.value
        } catch {
            throw RuntimeFailure(reason: "RunContainerError", message: Self.message(error))
        }
        return CRIContainerRun(cri: cri, id: id, imageID: imageID, watcher: watcher)
    }

    /// Runs a command in a container to its end (exec probes and hooks); nil: no time limit.
    func execSync(_ containerID: String, _ command: [String], timeout: Duration?) async -> (Int32, Data, Data) {
        var r = Runtime_V1_ExecSyncRequest()
        r.containerID = containerID
        r.cmd = command
        r.timeout = timeout.map { max(1, $0.components.seconds) } ?? 0
        var options = CallOptions.defaults
        options.timeout = timeout.map { $0 + .seconds(5) }
        do {
            let out = try await cri.runtime.execSync(r, options: options)
            return (out.exitCode, out.stdout, out.stderr)
        } catch {
            return (126, Data(), Data("\(Self.message(error))\n".utf8))
        }
    }

    /// Asks the runtime for a streaming URL (CRI Exec, Attach or PortForward).
    func streamingURL(_ request: StreamingRequest, containerID: String) async throws(RuntimeFailure) -> String {
        do {
            switch request {
            case .exec(_, let command, let streams):
                var r = Runtime_V1_ExecRequest()
                r.containerID = containerID
                r.cmd = command
                r.tty = streams.tty
                r.stdin = streams.stdin
                r.stdout = streams.stdout
                r.stderr = streams.stderr && !streams.tty
                return try await cri.runtime.exec(r, options: .timeout(.seconds(10))).url
            case .attach(_, let streams):
                var r = Runtime_V1_AttachRequest()
                r.containerID = containerID
                r.tty = streams.tty
                r.stdin = streams.stdin
                r.stdout = streams.stdout
                r.stderr = streams.stderr && !streams.tty
                return try await cri.runtime.attach(r, options: .timeout(.seconds(10))).url
            case .portForward(let ports):
                guard let sandboxID else {
                    throw RuntimeFailure(reason: "NotRunning", message: "the pod has no sandbox yet")
                }
                var r = Runtime_V1_PortForwardRequest()
                r.podSandboxID = sandboxID
                r.port = ports.map { Int32($0) }
                return try await cri.runtime.portForward(r, options: .timeout(.seconds(10))).url
            }
        } catch let failure as RuntimeFailure {
            throw failure
        } catch {
            throw RuntimeFailure(reason: "StreamingError", message: Self.message(error))
        }
    }

    /// The runtime's own words, without gRPC's framing.
    static func message(_ error: any Error) -> String {
        if let e = error as? RPCError { return e.message }
        return "\(error)"
    }
}

/// Container exits, seen as kubelet's PLEG sees them: one ListContainers per period for
/// every run being waited on, then ContainerStatus for each that exited. (A status poll per
/// container kept containerd busy with hundreds of calls a second.)
actor ContainerExitWatcher {
    let cri: CRIClient
    let period: Duration
    private var waiting: [String: [CheckedContinuation<ContainerExit, Never>]] = [:]
    private var relisting = false

    init(cri: CRIClient, period: Duration = .milliseconds(300)) {
        self.cri = cri
        self.period = period
    }

    func exit(of id: String) async -> ContainerExit {
        await withCheckedContinuation { c in
            waiting[id, default: []].append(c)
            if !relisting {
                relisting = true
                Task { await self.relist() }
            }
        }
    }

    private func relist() async {
        while !waiting.isEmpty {
            try? await Task.sleep(for: period)
            // An unreachable runtime is asked again next period.
            guard let list = try? await cri.runtime.listContainers(Runtime_V1_ListContainersRequest()) else { continue }
            var states: [String: Runtime_V1_ContainerState] = [:]
            for c in list.containers { states[c.id] = c.state }
            for id in Array(waiting.keys) where states[id] == nil || states[id] == .containerExited {
                let exit = await finalStatus(id)
                for c in waiting.removeValue(forKey: id) ?? [] { c.resume(returning: exit) }
            }
        }
        relisting = false
    }

    private func finalStatus(_ id: String) async -> ContainerExit {
        var r = Runtime_V1_ContainerStatusRequest()
        r.containerID = id
        guard let s = try? await cri.runtime.containerStatus(r).status else {
            return ContainerExit(code: 137, signal: nil, reason: "ContainerStatusUnknown")
        }
        return ContainerExit(
            code: s.exitCode,
            signal: nil,
            reason: s.reason.isEmpty ? nil : s.reason,
            message: s.message.isEmpty ? nil : s.message
        )
    }
}

/// One run of a container in containerd, watched until it exits.
final class CRIContainerRun: Sendable {
    let cri: CRIClient
    let id: String
    let imageID: String?
    private final class ExitBox: Sendable {
        let value = Mutex<ContainerExit?>(nil)
    }
    private let exit = ExitBox()
    private let done: Task<ContainerExit, Never>

    init(cri: CRIClient, id: String, imageID: String, watcher: ContainerExitWatcher) {
        self.cri = cri
        self.id = id
        self.imageID = imageID
        let exit = self.exit
        done = Task {
            let e = await watcher.exit(of: id)
            exit.value.withLock { $0 = e }
            return e
        }
    }

    var statusID: String { "containerd://" + id }
    var hasExited: Bool { exit.value.withLock { $0 != nil } }

    func wait() async -> ContainerExit { await done.value }

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
        let cri = self.cri
        await Task { [r] in _ = try? await cri.runtime.removeContainer(r) }.value
    }
}

/// At most `limit` pod sandboxes and containers being started at once on a node: a burst of
/// a hundred pods otherwise asks containerd for all of them together, and its calls time
/// out or drop.
actor StartGate {
    let limit: Int
    private var running = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = limit }

    private func acquire() async {
        if running < limit {
            running += 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            running -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }

    nonisolated func run<T: Sendable, E: Error>(_ body: @Sendable () async throws(E) -> T) async throws(E) -> T {
        await acquire()
        do {
            let result = try await body()
            await release()
            return result
        } catch {
            await release()
            throw error
        }
    }
}

/// The machine's memory, which a Burstable pod's OOM score is measured against.
enum NodeMemory {
    static let total: Int64 = {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
            let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int64($0) })
        else { return 1 << 30 }
        return kib * 1024
    }()
}
