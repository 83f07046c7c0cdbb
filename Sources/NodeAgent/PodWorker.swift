import Foundation
import HostCommands
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Pod addresses of one node: `.2` to `.254` of its /24.
actor NodeIPAM {
    let range: IPv4Network
    private var used: Set<UInt64> = []

    init(range: IPv4Network) { self.range = range }

    func allocate(preferring wanted: String?) -> IPv4Address? {
        if let wanted, let a = IPv4Address(wanted), range.contains(a) {
            let i = UInt64(a.value - range.network.value)
            if i >= 2, i < 255, !used.contains(i) {
                used.insert(i)
                return a
            }
        }
        for i in UInt64(2)..<255 where !used.contains(i) {
            used.insert(i)
            return range.address(i)
        }
        return nil
    }

    func release(_ a: IPv4Address) { used.remove(UInt64(a.value - range.network.value)) }
}

/// Runs one pod on this node from start to final deletion: sandbox, containers, probes,
/// restarts, status, and graceful termination.
actor PodWorker {
    let ctx: AgentContext
    let uid: String
    private(set) var pod: JSON
    /// `pod.spec`, read once per change of the pod.
    private(set) var spec: PodSpec
    private var status: PodStatusModel
    private var processes: [String: CRIContainerRun] = [:]
    /// The pod's sandbox in the container runtime.
    private let runtimePod: CRIPod
    private var ip: IPv4Address?
    private var terminating = false
    private var finished = false
    private var tasks: [Task<Void, Never>] = []
    private let statusSignal: AsyncStream<Void>.Continuation
    private let statusStream: AsyncStream<Void>
    private var lastPublished: JSON?

    init(ctx: AgentContext, pod: JSON) {
        self.ctx = ctx
        self.pod = pod
        spec = PodSpec(pod: pod)
        uid = pod.uid
        var s = PodStatusModel(
            hostIP: ctx.nodeIP.description,
            startTime: Timestamp(rfc3339: pod[path: ["status", "startTime"]]?.string ?? "") ?? .now
        )
        s.restartPolicy = spec.restartPolicy
        s.qosClass = pod[path: ["status", "qosClass"]]?.string ?? PodRules.qosClass(pod)
        // The restart counts a pod had before this agent (re)started, from its own status.
        let previous = pod[path: ["status", "containerStatuses"]]?.array ?? []
        for c in spec.containers {
            var cs = ContainerStatus(name: c.name, image: c.image)
            cs.restartCount = previous.first { $0["name"]?.string == cs.name }?["restartCount"]?.intValue ?? 0
            s.containers.append(cs)
        }
        let previousInit = pod[path: ["status", "initContainerStatuses"]]?.array ?? []
        for c in spec.initContainers {
            var cs = ContainerStatus(name: c.name, image: c.image)
            cs.restartable = c.isSidecar
            if c.isSidecar {
                cs.restartCount =
                    previousInit.first { $0["name"]?.string == cs.name }?["restartCount"]?.intValue ?? 0
            }
            s.initContainers.append(cs)
        }
        s.initialized = s.initContainers.isEmpty
        status = s
        let podDir = ctx.podsDir.appendingPathComponent("\(pod.namespace)_\(pod.name)_\(pod.uid)")
        runtimePod = CRIPod(
            cri: ctx.runtime,
            config: CRIPod.sandboxConfig(
                pod: pod,
                spec: spec,
                logDirectory: podDir.path,
                network: [:],
                // Per pod, as kubelet's `kubepods/…/pod<uid>`.
                cgroupParent: ctx.cgroupParent + "/pod" + pod.uid,
                cluster: ctx.network.name
            )
        )
        (statusStream, statusSignal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    var podDir: URL { ctx.podsDir.appendingPathComponent("\(pod.namespace)_\(pod.name)_\(uid)") }

    func logFile(container: String, restart: Int) -> URL {
        podDir.appendingPathComponent(container).appendingPathComponent("\(restart).log")
    }

    /// The log file of a container's current (or previous) run.
    func logPath(container: String, previous: Bool) -> URL? {
        guard
            let c = status.containers.first(where: { $0.name == container })
                ?? status.initContainers.first(where: { $0.name == container })
        else { return nil }
        let n = previous ? c.restartCount - 1 : c.restartCount
        return n < 0 ? nil : logFile(container: container, restart: n)
    }

    func containerNames() -> [String] { status.containers.map(\.name) + status.initContainers.map(\.name) }
    func isRunning(_ container: String) -> Bool { status.containers.first { $0.name == container }?.isRunning ?? false }

    // MARK: Lifecycle

    func start() {
        tasks.append(Task { await self.publishLoop() })
        tasks.append(Task { await self.runPod() })
    }

    func update(_ new: JSON) {
        pod = new
        spec = PodSpec(pod: new)
        // Someone else (the node lifecycle controller) changed our Ready condition: say it again.
        if let published = lastPublished, Self.readyStatus(new["status"]) != Self.readyStatus(published) {
            lastPublished = nil
            changed()
        }
        if new.deletionTimestamp != nil, !terminating {
            terminating = true
            Task {
                await self.terminate(
                    grace: new[path: ["metadata", "deletionGracePeriodSeconds"]]?.intValue ?? 30,
                    deleteObject: true
                )
            }
        }
    }

    /// The pod object is gone (force-deleted): stop at once.
    func vanished() {
        guard !terminating else { return }
        terminating = true
        Task { await self.terminate(grace: 0, deleteObject: false) }
    }

    /// The agent is stopping: kill everything, keep the pod object.
    /// The node is stopping: the pod turns unready first and keeps serving for `drain`,
    /// so endpoints, every node's proxy and the load balancer stop sending to it before
    /// its processes get SIGTERM.
    func shutdown(drain: Duration) async {
        terminating = true
        if status.containersReady {
            for i in status.containers.indices { status.containers[i].ready = false }
            changed()
            try? await Task.sleep(for: drain)
        }
        await terminate(grace: 2, deleteObject: false)
    }

    private func changed() { statusSignal.yield() }

    static func readyStatus(_ status: JSON?) -> String? { Condition.list(status?["conditions"])["Ready"]?.status }

    private func publishLoop() async {
        for await _ in statusStream {
            if finished { break }
            var s = status
            let json = s.json()
            status.transitions = s.transitions
            if json == lastPublished { continue }
            do {
                _ = try await ctx.client.patch(
                    Resources.pods,
                    namespace: pod.namespace,
                    name: pod.name,
                    ["status": json],
                    type: .merge,
                    subresource: "status"
                )
                lastPublished = json
            } catch let e as APIError where e.code == 404 {
                break
            } catch {
                ctx.logger.debug("status of pod \(pod.namespace)/\(pod.name): \(error)")
                try? await Task.sleep(for: .milliseconds(500))
                statusSignal.yield()
            }
        }
    }

    private func event(_ reason: String, _ message: String, warning: Bool = false) {
        let pod = self.pod, events = ctx.events
        Task { await events.record(pod, type: warning ? "Warning" : "Normal", reason: reason, message: message) }
    }

    private func runPod() async {
        if let why = Self.unsupported(spec) {
            status.failure = ("Unsupported", why)
            for i in status.containers.indices {
                status.containers[i].state = .waiting(reason: "CreateContainerConfigError", message: why)
            }
            event("Failed", why, warning: true)
            changed()
            return
        }
        // As kubelet: a sandbox that could not be made is tried again, backing off to 30 s.
        var failures = 0
        while true {
            do {
                try await setUpSandbox()
                // Deleted while the runtime was making it (a pod created and deleted within
                // milliseconds): the teardown ran before the sandbox existed, so it goes here.
                if terminating {
                    await tearDownSandbox()
                    return
                }
                break
            } catch {
                let message = "Failed to create pod sandbox: \((error as? RuntimeFailure)?.message ?? "\(error)")"
                ctx.logger.warning("pod \(pod.namespace)/\(pod.name): \(message)")
                for i in status.containers.indices {
                    status.containers[i].state = .waiting(reason: "ContainerCreating", message: message)
                }
                event("FailedCreatePodSandBox", message, warning: true)
                changed()
                await tearDownSandbox(keepAddress: true)
                failures += 1
                try? await Task.sleep(for: .seconds(min(1 << min(failures - 1, 5), 30)))
                if terminating {
                    await tearDownSandbox()
                    return
                }
            }
        }
        status.sandboxReady = true
        changed()
        // The volumes before any container, as kubelet mounts them: a failure is a
        // FailedMount event and a retry, while the containers wait in ContainerCreating.
        var volumeFailures = 0
        while !terminating {
            let problems = await makeVolumes()
            if problems.isEmpty { break }
            for (name, message) in problems {
                event("FailedMount", "MountVolume.SetUp failed for volume \"\(name)\" : \(message)", warning: true)
            }
            volumeFailures += 1
            try? await Task.sleep(for: .seconds(min(1 << min(volumeFailures - 1, 5), 30)))
        }
        if terminating { return }
        if spec.volumes.contains(where: \.isRefreshed) { tasks.append(Task { await self.refreshVolumes() }) }
        var sidecars: [Task<Void, Never>] = []
        for (i, container) in spec.initContainers.enumerated() where !terminating {
            if container.isSidecar {
                // A sidecar starts in its turn and then runs beside the others until the pod
                // ends; the next container waits until it has started (postStart and startup
                // probe passed), as kubelet does.
                sidecars.append(Task { await self.superviseContainer(container, index: i, isInit: true) })
                while !terminating, !status.initContainers[i].started {
                    try? await Task.sleep(for: .milliseconds(100))
                }
                continue
            }
            while !terminating {
                let exit = await runOnce(container, index: i, isInit: true)
                if exit == 0 { break }
                if status.restartPolicy == "Never" {
                    status.failure = ("Init:Error", "init container \(container.name) failed")
                    changed()
                    return
                }
                try? await Task.sleep(for: .seconds(backoff(status.initContainers[i].restartCount)))
            }
        }
        status.initialized = true
        changed()
        await withTaskGroup(of: Void.self) { group in
            for (i, container) in spec.containers.enumerated() {
                group.addTask { await self.superviseContainer(container, index: i) }
            }
        }
        if !terminating, status.phase == "Succeeded" || status.phase == "Failed" {
            // The pod's work is done: its sidecars stop too, last started first.
            sidecarsStopping = true
            await stopSidecars(grace: spec.terminationGracePeriodSeconds)
            for t in sidecars { await t.value }
            await tearDownSandbox()
        }
    }

    /// Set once a finished pod stops its sidecars: they are not restarted any more.
    private var sidecarsStopping = false

    private func stopped(_ isInit: Bool) -> Bool { terminating || (isInit && sidecarsStopping) }

    /// Stops the running sidecars in reverse order, each with what is left of `grace`.
    private func stopSidecars(grace: Int) async {
        let deadline = ContinuousClock.now + .seconds(max(grace, 0))
        for c in spec.initContainers.reversed() where c.isSidecar {
            guard let run = processes[c.name] else { continue }
            let left = max(0, Int((deadline - ContinuousClock.now).components.seconds))
            await stop(run, c, grace: grace > 0 ? max(left, Self.minimumGrace) : 0)
        }
    }

    /// Why a pod cannot run here yet, or nil.
    static func unsupported(_ spec: PodSpec) -> String? {
        for v in spec.volumes {
            switch v.source {
            case .unsupported(let kind):
                return "volume \(v.name) is of type \(kind), which Swiftlet does not support"
            default: continue
            }
        }
        return nil
    }

    // MARK: Volumes

    /// Where each volume is on the host, once made.
    private var volumeDirs: [String: URL] = [:]

    /// The pod's ServiceAccount tokens, each with when kubelet would renew it (at 80% of its
    /// life), and why the last request for one failed.
    private var tokens: [ServiceAccountTokenKey: (token: String, renewAt: ContinuousClock.Instant)] = [:]
    private var tokenErrors: [ServiceAccountTokenKey: String] = [:]

    /// Requests the tokens the pod's projected volumes want that it lacks or should renew;
    /// returns those it has.
    private func serviceAccountTokens() async -> [ServiceAccountTokenKey: String] {
        let now = ContinuousClock.now
        for key in ServiceAccountTokenKey.all(spec.volumes) where tokens[key].map({ now >= $0.renewAt }) ?? true {
            var tokenSpec: JSON = [
                "expirationSeconds": .int(key.expirationSeconds),
                "boundObjectRef": ["apiVersion": "v1", "kind": "Pod", "name": .string(pod.name), "uid": .string(uid)],
            ]
            if let audience = key.audience { tokenSpec["audiences"] = [.string(audience)] }
            let body: JSON = ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": tokenSpec]
            do {
                let answer = try await ctx.client.request(
                    .POST,
                    KubeClient.path(
                        Resources.serviceaccounts,
                        namespace: pod.namespace,
                        name: spec.serviceAccountName,
                        subresource: "token"
                    ),
                    body: body
                )
                guard let token = answer[path: ["status", "token"]]?.string else {
                    throw AgentError("the token request was answered without a token")
                }
                var life = Duration.seconds(key.expirationSeconds)
                if let exp = answer[path: ["status", "expirationTimestamp"]]?.string.flatMap(Timestamp.init(rfc3339:)) {
                    life = .seconds(max(0, exp.seconds - Timestamp.now.seconds))
                }
                tokens[key] = (token, now + life * 0.8)
                tokenErrors[key] = nil
            } catch {
                tokenErrors[key] = (error as? APIError)?.message ?? "\(error)"
            }
        }
        return tokens.mapValues(\.token)
    }

    /// The failure of a projected volume whose token could not be had.
    private func tokenProblem(_ v: Volume, _ tokens: [ServiceAccountTokenKey: String]) -> VolumeError? {
        for key in ServiceAccountTokenKey.all([v]) where tokens[key] == nil {
            return VolumeError(
                message:
                    "failed to fetch token: \(tokenErrors[key] ?? "no token for service account \(spec.serviceAccountName)")"
            )
        }
        return nil
    }
    /// emptyDir volumes on tmpfs (`medium: Memory`), unmounted at the end.
    private var memoryMounts: [URL] = []

    private func volumeDir(_ v: Volume) -> URL {
        let plugin: String
        switch v.source {
        case .emptyDir: plugin = "kubernetes.io~empty-dir"
        case .configMap: plugin = "kubernetes.io~configmap"
        case .secret: plugin = "kubernetes.io~secret"
        case .downwardAPI: plugin = "kubernetes.io~downward-api"
        case .projected: plugin = "kubernetes.io~projected"
        default: plugin = "kubernetes.io~other"
        }
        // Secrets and tokens never touch the disk: they live in the node's tmpfs, as kubelet
        // keeps them in memory.
        let base = v.isSecret ? ctx.secretsDir.appendingPathComponent(uid) : podDir
        return base.appendingPathComponent("volumes").appendingPathComponent(plugin).appendingPathComponent(v.name)
    }

    /// Makes every volume not made yet (and writes the files of those that follow objects);
    /// returns the volumes that failed, with why.
    private func makeVolumes() async -> [(String, String)] {
        var problems: [(String, String)] = []
        let objects = await volumeObjects()
        let tokens = await serviceAccountTokens()
        for v in spec.volumes {
            do {
                switch v.source {
                case let .emptyDir(medium, sizeLimit):
                    let dir = volumeDir(v)
                    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                    if medium == "Memory", !memoryMounts.contains(dir) {
                        var options = "mode=0777"
                        if let limit = sizeLimit.flatMap(Quantity.init), limit.value > 0 {
                            options += ",size=\(Int64(limit.value))"
                        }
                        guard mount("tmpfs", dir.path, "tmpfs", 0, options) == 0 else {
                            throw VolumeError(
                                message: "mount tmpfs on \(dir.path): \(String(cString: strerror(errno)))"
                            )
                        }
                        memoryMounts.append(dir)
                    } else {
                        _ = chmod(dir.path, 0o777)
                    }
                    volumeDirs[v.name] = dir
                case let .hostPath(path, type):
                    try HostPathCheck.check(path, type: type)
                    volumeDirs[v.name] = URL(fileURLWithPath: path)
                case .configMap, .secret, .downwardAPI, .projected:
                    let dir = volumeDir(v)
                    if let problem = tokenProblem(v, tokens) { throw problem }
                    let payload = try VolumeFiles.payload(
                        v.source,
                        pod: podWithStatus(),
                        containers: spec.allContainers,
                        configMaps: objects.configMaps,
                        secrets: objects.secrets,
                        tokens: tokens
                    )
                    try AtomicWriter.write(payload, to: dir)
                    volumeDirs[v.name] = dir
                case let .persistentVolumeClaim(claimName, _):
                    volumeDirs[v.name] = try await claimDirectory(claimName)
                case .unsupported:
                    throw VolumeError(message: Self.unsupported(spec) ?? "not supported")
                }
            } catch let e as VolumeError {
                problems.append((v.name, e.message))
            } catch {
                problems.append((v.name, "\(error)"))
            }
        }
        return problems
    }

    /// The directory of the volume a claim is bound to, made when its volume says so.
    private func claimDirectory(_ claimName: String) async throws(VolumeError) -> URL {
        let claim: JSON?
        do {
            claim = try await ctx.client.getIfExists(
                Resources.persistentvolumeclaims,
                namespace: pod.namespace,
                name: claimName
            )
        } catch {
            throw VolumeError(message: "error reading persistentvolumeclaim \"\(claimName)\": \(error)")
        }
        guard let claim else { throw VolumeError(message: "persistentvolumeclaim \"\(claimName)\" not found") }
        guard let volumeName = claim[path: ["spec", "volumeName"]]?.string, !volumeName.isEmpty,
            claim[path: ["status", "phase"]]?.string == "Bound"
        else { throw VolumeError(message: "persistentvolumeclaim \"\(claimName)\" is not bound yet") }
        guard
            let volume = try? await ctx.client.getIfExists(
                Resources.persistentvolumes,
                namespace: nil,
                name: volumeName
            )
        else { throw VolumeError(message: "persistentvolume \"\(volumeName)\" not found") }
        if let n = LocalPath.node(of: volume), n != ctx.nodeName {
            throw VolumeError(message: "persistentvolume \"\(volumeName)\" lives on node \(n), not \(ctx.nodeName)")
        }
        guard
            let path = (volume[path: ["spec", "hostPath", "path"]] ?? volume[path: ["spec", "local", "path"]])?.string
        else {
            throw VolumeError(
                message:
                    "persistentvolume \"\(volumeName)\" is of a type Swiftlet cannot mount (hostPath and local only)"
            )
        }
        let type = volume[path: ["spec", "hostPath", "type"]]?.string ?? ""
        let fresh = !FileManager.default.fileExists(atPath: path)
        try HostPathCheck.check(path, type: type)
        // A provisioned directory is anyone's to write, as local-path makes it.
        if fresh,
            volume[path: ["metadata", "annotations", StorageRules.provisionedByAnnotation]]?.string
                == LocalPath.provisioner
        {
            _ = chmod(path, 0o777)
        }
        return URL(fileURLWithPath: path)
    }

    /// The ConfigMaps and Secrets the pod's volumes name, those that exist.
    private func volumeObjects() async -> (configMaps: [String: JSON], secrets: [String: JSON]) {
        var configMapNames = Set<String>(), secretNames = Set<String>()
        for v in spec.volumes {
            switch v.source {
            case .configMap(let name, _, _, _): configMapNames.insert(name)
            case .secret(let name, _, _, _): secretNames.insert(name)
            case .projected(let sources, _):
                for s in sources {
                    if case .configMap(let name, _, _) = s { configMapNames.insert(name) }
                    if case .secret(let name, _, _) = s { secretNames.insert(name) }
                }
            default: break
            }
        }
        return await fetch(configMaps: configMapNames, secrets: secretNames)
    }

    /// kubelet's remount of configMap, secret, downwardAPI and projected volumes: their
    /// files follow the objects (an object that is gone leaves the files as they were).
    private func refreshVolumes() async {
        while !Task.isCancelled, !terminating {
            try? await Task.sleep(for: .seconds(2))
            if Task.isCancelled || terminating { return }
            let objects = await volumeObjects()
            let tokens = await serviceAccountTokens()
            for v in spec.volumes where v.isRefreshed {
                guard
                    let payload = try? VolumeFiles.payload(
                        v.source,
                        pod: podWithStatus(),
                        containers: spec.allContainers,
                        configMaps: objects.configMaps,
                        secrets: objects.secrets,
                        tokens: tokens
                    )
                else { continue }
                _ = try? AtomicWriter.write(payload, to: volumeDir(v))
            }
        }
    }

    /// A container's volume mounts as CRI mounts: the volume's directory, or its `subPath`
    /// (made when missing, as kubelet does; resolved once, so it does not follow updates).
    private func volumeMounts(_ container: Container) -> [(host: String, container: String, readOnly: Bool)] {
        container.volumeMounts.compactMap { m in
            guard let dir = volumeDirs[m.name] else { return nil }
            var host = dir
            if let sub = m.subPath {
                host = dir.appendingPathComponent(sub)
                if !FileManager.default.fileExists(atPath: host.path) {
                    try? FileManager.default.createDirectory(at: host, withIntermediateDirectories: true)
                }
                host = host.resolvingSymlinksInPath()
            }
            return (host.path, m.mountPath, m.readOnly)
        }
    }

    private func unmountVolumes() {
        for dir in memoryMounts { _ = umount2(dir.path, Int32(MNT_DETACH)) }
        memoryMounts = []
    }

    static let initialBackoff = 10

    private func backoff(_ restarts: Int) -> Int {
        restarts <= 0 ? 0 : min(Self.initialBackoff << min(restarts - 1, 10), 300)
    }

    /// Runs a container, restarting it as the pod's restartPolicy says (a sidecar: always).
    private func superviseContainer(_ container: Container, index: Int, isInit: Bool = false) async {
        // Whatever happens, the next container's first start does not wait for this one.
        defer { if !isInit { passTurn(index) } }
        var crashes = 0
        while !stopped(isInit) {
            let started = ContinuousClock.now
            let code = await runOnce(container, index: index, isInit: isInit)
            if stopped(isInit) { return }
            guard let code else {
                if let failures = pullFailures[container.name], failures > 0 {
                    // kubelet's image back-off: 10 s, doubling, at most 5 minutes.
                    let image = container.image
                    try? await Task.sleep(for: .seconds(1))
                    setStatus(isInit, index) {
                        $0.state = .waiting(reason: "ImagePullBackOff", message: "Back-off pulling image \"\(image)\"")
                    }
                    event("BackOff", "Back-off pulling image \"\(image)\"")
                    try? await Task.sleep(for: .seconds(min(10 << min(failures - 1, 5), 300)))
                } else {
                    // The container could not be created (bad config); retry slowly.
                    try? await Task.sleep(for: .seconds(10))
                }
                continue
            }
            let policy = isInit ? "Always" : status.restartPolicy
            if policy == "Never" || (policy == "OnFailure" && code == 0) { return }
            if ContinuousClock.now - started > .seconds(600) { crashes = 0 }
            let delay = backoff(crashes)
            crashes += 1
            // The run that just ended is lastState from now on (after a failed postStart
            // hook it is there already).
            if current(isInit, index).isTerminated {
                setStatus(isInit, index) { $0.lastTerminated = $0.state }
            }
            if delay > 0 {
                let name = container.name
                let msg =
                    "back-off \(delay)s restarting failed container=\(name) pod=\(pod.name)_\(pod.namespace)(\(uid))"
                setStatus(isInit, index) { $0.state = .waiting(reason: "CrashLoopBackOff", message: msg) }
                event(
                    "BackOff",
                    "Back-off restarting failed container \(name) in pod \(pod.name)_\(pod.namespace)(\(uid))",
                    warning: true
                )
                var waited = 0
                while waited < delay * 10, !stopped(isInit) {
                    try? await Task.sleep(for: .milliseconds(100))
                    waited += 1
                }
                if stopped(isInit) { return }
            }
            setStatus(isInit, index) { $0.restartCount += 1 }
        }
    }

    // MARK: Start order

    /// kubelet starts a pod's containers one after another, each after the previous one's
    /// postStart hook: the main containers' first starts take turns here.
    private var startTurn = 0
    private var turnWaiters: [(Int, CheckedContinuation<Void, Never>)] = []

    private func waitTurn(_ index: Int) async {
        if startTurn >= index || terminating { return }
        await withCheckedContinuation { turnWaiters.append((index, $0)) }
    }

    private func passTurn(_ index: Int) {
        startTurn = max(startTurn, index + 1)
        releaseTurns(all: false)
    }

    private func releaseTurns(all: Bool) {
        let due = turnWaiters.filter { all || $0.0 <= startTurn }
        turnWaiters.removeAll { all || $0.0 <= startTurn }
        for (_, c) in due { c.resume() }
    }

    private func setStatus(_ isInit: Bool, _ index: Int, _ body: (inout ContainerStatus) -> Void) {
        if isInit { body(&status.initContainers[index]) } else { body(&status.containers[index]) }
        changed()
    }

    private func current(_ isInit: Bool, _ index: Int) -> ContainerStatus {
        isInit ? status.initContainers[index] : status.containers[index]
    }

    /// Follows a started run to its end: probes while it runs, then its terminated state.
    private func watch(
        _ run: CRIContainerRun,
        _ container: Container,
        index: Int,
        isInit: Bool,
        startedAt: Timestamp,
        messageFile: URL,
        logFile: URL,
        probing: Bool = true
    ) async -> Int32 {
        let probed = probing && (!isInit || container.isSidecar)
        let probes = probed ? Task { await self.runProbes(container, index: index, isInit: isInit, process: run) } : nil
        let exit = await run.wait()
        probes?.cancel()
        if processes[container.name] === run { processes[container.name] = nil }
        let reason = exit.reason ?? (exit.code == 0 ? "Completed" : "Error")
        let message =
            Self.terminationMessage(
                file: (try? Data(contentsOf: messageFile)) ?? Data(),
                log: container.terminationMessagePolicy == "FallbackToLogsOnError" && exit.code != 0
                    ? (try? Data(contentsOf: logFile)) : nil
            ) ?? exit.message
        setStatus(isInit, index) {
            $0.ready = false
            $0.started = false
            $0.state = .terminated(
                exitCode: exit.code,
                signal: exit.signal,
                reason: reason,
                message: message,
                startedAt: startedAt,
                finishedAt: .now
            )
        }
        Task { await run.remove() }
        return exit.code
    }

    /// A terminated container's message, as kubelet reads it: the termination-message file
    /// (at most 4096 bytes), else, when `log` is given (FallbackToLogsOnError and a
    /// failure), the last 80 lines of the log, at most 2048 bytes. Pure.
    static func terminationMessage(file: Data, log: Data?) -> String? {
        if !file.isEmpty { return String(decoding: file.prefix(4096), as: UTF8.self) }
        guard let log, !log.isEmpty else { return nil }
        var carry: [UInt8] = []
        let text = String(decoding: CRILog.decode(log, timestamps: false, carry: &carry), as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        let tail = lines.suffix(80).joined(separator: "\n")
        let bytes = Array(tail.utf8)
        return bytes.isEmpty ? nil : String(decoding: bytes.suffix(2048), as: UTF8.self)
    }

    /// Starts one run of a container and waits for it to end; nil if it could not start.
    /// A failed postStart hook stops the run: it ends as `PostStartHookError`.
    private func runOnce(_ container: Container, index: Int, isInit: Bool) async -> Int32? {
        if !isInit { await waitTurn(index) }
        let started = await startRun(container, index: index, isInit: isInit)
        if !isInit { passTurn(index) }
        guard let started else { return nil }
        if started.hookFailure != nil {
            // kubelet keeps the hook's words out of the event (they may hold secrets).
            event("FailedPostStartHook", "PostStartHook failed", warning: true)
            event("Killing", "FailedPostStartHook")
            await stop(started.run, container, grace: spec.terminationGracePeriodSeconds)
        }
        let code = await watch(
            started.run,
            container,
            index: index,
            isInit: isInit,
            startedAt: started.startedAt,
            messageFile: started.messageFile,
            logFile: started.logFile,
            probing: started.hookFailure == nil
        )
        guard let failure = started.hookFailure else { return code }
        // A container that will start again waits with the hook's error; one that will not
        // (restartPolicy Never) stays terminated.
        let policy = isInit ? "Always" : status.restartPolicy
        if policy == "Always" || (policy == "OnFailure" && code != 0) {
            setStatus(isInit, index) {
                $0.lastTerminated = $0.state
                $0.state = .waiting(reason: "PostStartHookError", message: failure)
            }
        }
        return code
    }

    /// A run that started: what `watch` needs, and why its postStart hook failed, if it did.
    private struct StartedRun {
        var run: CRIContainerRun
        var startedAt: Timestamp
        var messageFile: URL
        var logFile: URL
        var hookFailure: String?
    }

    /// Starts one run of a container: the image first (made by Swiftlet, or pulled as its
    /// policy says), then create and start and the postStart hook, with kubelet's events and
    /// waiting reasons; nil if it could not start.
    private func startRun(_ container: Container, index: Int, isInit: Bool) async -> StartedRun? {
        let runtime = runtimePod
        let name = container.name
        let services = await ctx.services.list()
        var env: [(String, String)]
        let (configMaps, secrets) = await referencedObjects(container)
        var skipped: [String] = []
        do {
            env = try PodEnvironment.build(
                container: container,
                spec: spec,
                pod: podWithStatus(),
                services: services,
                configMaps: configMaps,
                secrets: secrets,
                skipped: &skipped
            )
            for message in skipped { event("InvalidEnvironmentVariableNames", message, warning: true) }
            // containerd names a hostNetwork container after the host; it is on the node.
            if spec.hostNetwork, !env.contains(where: { $0.0 == "HOSTNAME" }) { env.append(("HOSTNAME", ctx.nodeName)) }
        } catch {
            setStatus(isInit, index) { $0.state = .waiting(reason: error.reason, message: error.message) }
            event("Failed", "Error: \(error.message)", warning: true)
            return nil
        }
        let image = container.image
        let policy = CRIPod.pullPolicy(container)
        var imageID = await runtime.presentImage(image)
        if let kind = BuiltinImageSet.kind(of: image) {
            let builtin = ctx.builtinImages
            // Swiftlet's own image: made here, never pulled; made anew by each Swiftlet
            // process (once), so one left by an older Swiftlet is replaced.
            do {
                try await builtin.provide(image, kind: kind)
                switch await runtime.imagePresence(image) {
                case .present(let id):
                    imageID = id
                case .absent:
                    // Removed since it was made (image garbage collection): made again.
                    try await builtin.remake(image, kind: kind)
                    imageID = await runtime.presentImage(image)
                case .unknown:
                    imageID = nil
                }
            } catch {
                let message = "Swiftlet could not make its image \"\(image)\": \(error)"
                setStatus(isInit, index) { $0.state = .waiting(reason: "ErrImagePull", message: message) }
                event("Failed", message, warning: true)
                return nil
            }
        }
        if policy == "Never", imageID == nil {
            let message = "Container image \"\(image)\" is not present with pull policy of Never"
            setStatus(isInit, index) { $0.state = .waiting(reason: "ErrImageNeverPull", message: message) }
            event("ErrImageNeverPull", message, warning: true)
            return nil
        }
        if imageID == nil || (policy == "Always" && BuiltinImageSet.kind(of: image) == nil) {
            event("Pulling", "Pulling image \"\(image)\"")
            let started = ContinuousClock.now
            do {
                imageID = try await runtime.pull(image, auth: await pullCredentials(image))
                let took = ContinuousClock.now - started
                let ms = took.components.seconds * 1000 + took.components.attoseconds / 1_000_000_000_000_000
                event("Pulled", "Successfully pulled image \"\(image)\" in \(ms)ms")
            } catch {
                let message = "Failed to pull image \"\(image)\": \(error.message)"
                setStatus(isInit, index) { $0.state = .waiting(reason: "ErrImagePull", message: message) }
                event("Failed", message, warning: true)
                event("Failed", "Error: ErrImagePull", warning: true)
                pullFailures[name, default: 0] += 1
                return nil
            }
        } else if current(isInit, index).restartCount == 0 {
            event("Pulled", "Container image \"\(image)\" already present on machine")
        }
        pullFailures[name] = nil
        let restart = current(isInit, index).restartCount
        let user = await runtime.imageInfo(imageID ?? image)
        if let violation = CRIPod.nonRootViolation(
            container,
            pod: spec,
            podName: "\(pod.name)_\(pod.namespace)(\(uid))",
            imageUID: user.uid,
            imageUser: user.user
        ) {
            setStatus(isInit, index) { $0.state = .waiting(reason: "CreateContainerConfigError", message: violation) }
            event("Failed", "Error: \(violation)", warning: true)
            return nil
        }
        let etc = podDir.appendingPathComponent("etc")
        // kubelet's termination-message file: one per run, mounted where the container
        // expects it, read when it ends.
        let messageFile = podDir.appendingPathComponent("termination").appendingPathComponent(
            "\(name)-\(restart)"
        )
        try? FileManager.default.createDirectory(
            at: messageFile.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        _ = FileManager.default.createFile(
            atPath: messageFile.path,
            contents: Data(),
            attributes: [.posixPermissions: 0o666]
        )
        // Each create gets a new attempt number: a create the runtime finished but could not
        // answer keeps its name reserved, and a retry under the same name is refused.
        attempts[name, default: -1] += 1
        let config = CRIPod.containerConfig(
            container,
            attempt: attempts[name] ?? restart,
            env: env,
            logPath: "\(name)/\(restart).log",
            qosClass: status.qosClass,
            pod: spec,
            mounts: [
                (etc.appendingPathComponent("hosts").path, "/etc/hosts", false),
                (etc.appendingPathComponent("resolv.conf").path, "/etc/resolv.conf", false),
                (messageFile.path, container.terminationMessagePath, false),
            ] + volumeMounts(container)
        )
        let run: CRIContainerRun
        let ref = imageID ?? image, exits = ctx.exits
        do {
            run = try await ctx.starts.run { () async throws(RuntimeFailure) in
                try await runtime.run(config, imageID: ref, watcher: exits)
            }
        } catch {
            setStatus(isInit, index) { $0.state = .waiting(reason: error.reason, message: error.message) }
            event("Failed", "Error: \(error.message)", warning: true)
            return nil
        }
        // Deleted while the runtime made it: the pod's teardown did not see it.
        if terminating {
            await run.stop(grace: 0)
            await run.remove()
            // runc made the pod's cgroup again for it.
            await tearDownSandbox()
            return nil
        }
        let startedAt = Timestamp.now
        processes[name] = run
        setStatus(isInit, index) {
            $0.containerID = run.statusID
            $0.imageID = user.reportedID ?? run.imageID
        }
        event("Created", "Created container \(name)")
        event("Started", "Started container \(name)")
        // The container counts as running once its postStart hook is done, as in kubelet.
        var hookFailure: String? = nil
        if let hook = container.postStart { hookFailure = await runHook(hook, container) }
        if hookFailure == nil {
            setStatus(isInit, index) {
                $0.state = .running(startedAt: startedAt)
                $0.ready = false
                $0.started = false
            }
        }
        return StartedRun(
            run: run,
            startedAt: startedAt,
            messageFile: messageFile,
            logFile: logFile(container: name, restart: restart),
            hookFailure: hookFailure
        )
    }

    /// Runs one of a container's lifecycle hooks; nil when it succeeded, else kubelet's message.
    private func runHook(_ hook: LifecycleHook, _ container: Container) async -> String? {
        let name = container.name
        return await ctx.prober.run(
            hook,
            container: container,
            pod: "\(pod.name)_\(pod.namespace)(\(uid))",
            podIP: ip?.description ?? ctx.nodeIP.description,
            exec: { command, timeout in
                let (code, out, err) = await self.execute(name, command, timeout: timeout)
                return (code, String(decoding: out + err, as: UTF8.self))
            }
        )
    }

    /// kubelet's least grace for SIGTERM once a preStop hook has run.
    static let minimumGrace = 2

    /// Stops a run as kubelet's killContainer does: the preStop hook, bounded by the grace
    /// period, then SIGTERM and, after what is left of it (at least 2 s after a hook), SIGKILL.
    private func stop(_ run: CRIContainerRun, _ container: Container?, grace: Int) async {
        var left = grace
        if let container, let hook = container.preStop, grace > 0, !run.hasExited {
            let began = ContinuousClock.now
            let outcome: String?? = await withTaskGroup(of: String??.self) { group in
                group.addTask { .some(await self.runHook(hook, container)) }
                group.addTask {
                    try? await Task.sleep(for: .seconds(grace))
                    return .none
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
            if case .some(.some(let message)) = outcome { event("FailedPreStopHook", message, warning: true) }
            let spent = Int((ContinuousClock.now - began).components.seconds)
            left = max(grace - spent, Self.minimumGrace)
        }
        await run.stop(grace: left)
    }

    /// The ConfigMaps and Secrets of the pod's namespace with these names that exist, by name.
    private func fetch(
        configMaps: Set<String>,
        secrets: Set<String>
    ) async -> (configMaps: [String: JSON], secrets: [String: JSON]) {
        var foundConfigMaps: [String: JSON] = [:], foundSecrets: [String: JSON] = [:]
        for name in configMaps {
            if let o = await ctx.objects.get(Resources.configmaps, namespace: pod.namespace, name: name) {
                foundConfigMaps[name] = o
            }
        }
        for name in secrets {
            if let o = await ctx.objects.get(Resources.secrets, namespace: pod.namespace, name: name) {
                foundSecrets[name] = o
            }
        }
        return (foundConfigMaps, foundSecrets)
    }

    /// The ConfigMaps and Secrets of the pod's namespace that a container's env names, those
    /// that exist (a missing one is the build's error, and the start is tried again).
    private func referencedObjects(
        _ container: Container
    ) async -> (configMaps: [String: JSON], secrets: [String: JSON]) {
        let (configMapNames, secretNames) = PodEnvironment.references(container)
        return await fetch(configMaps: configMapNames, secrets: secretNames)
    }

    /// Image pulls that failed in a row, per container: the next wait is ImagePullBackOff.
    private var pullFailures: [String: Int] = [:]
    /// Creates asked of the runtime, per container.
    private var attempts: [String: Int] = [:]

    /// Runs a command in a running container to its end (exec probes).
    func execute(_ container: String, _ command: [String], timeout: Duration?) async -> (Int32, Data, Data) {
        guard let run = processes[container] else {
            return (126, Data(), Data("container \(container) is not running\n".utf8))
        }
        return await runtimePod.execSync(run.id, command, timeout: timeout)
    }

    /// The credentials of the pod's `imagePullSecrets` for the image's registry, as kubelet
    /// finds them (the first secret with an entry for that registry). A secret that is
    /// missing or unreadable is skipped: the pull then goes without and the registry says why.
    private func pullCredentials(_ image: String) async -> RegistryAuth? {
        let names = (pod[path: ["spec", "imagePullSecrets"]]?.array ?? []).compactMap { $0["name"]?.string }
        for name in names {
            guard let secret = try? await ctx.client.get(Resources.secrets, namespace: pod.namespace, name: name),
                let auth = RegistryAuth.find(for: image, in: secret)
            else { continue }
            return auth
        }
        return nil
    }

    /// A one-time URL on the runtime's streaming server for `kubectl exec`, `attach` or
    /// `port-forward` (the API server connects to it and relays the client's streams).
    func streamingURL(_ request: StreamingRequest) async throws(RuntimeFailure) -> String {
        switch request {
        case .exec(let container, _, _), .attach(let container, _):
            guard let run = processes[container] else {
                throw RuntimeFailure(reason: "NotRunning", message: "container \(container) is not running")
            }
            return try await runtimePod.streamingURL(request, containerID: run.id)
        case .portForward:
            return try await runtimePod.streamingURL(request, containerID: "")
        }
    }

    private func podWithStatus() -> JSON {
        var p = pod
        if let podIP = status.podIP {
            p[path: ["status", "podIP"]] = .string(podIP)
            p[path: ["status", "podIPs"]] = [["ip": .string(podIP)]]
        }
        p[path: ["status", "hostIP"]] = .string(ctx.nodeIP.description)
        return p
    }

    // MARK: Probes

    private func runProbes(_ container: Container, index: Int, isInit: Bool, process: CRIContainerRun) async {
        let name = container.name
        let startup = ProbeSpec(container.startupProbe, container: container)
        let liveness = ProbeSpec(container.livenessProbe, container: container)
        let readiness = ProbeSpec(container.readinessProbe, container: container)
        if let startup {
            let ok = await probeLoop(startup, kind: "Startup", container: name, until: true)
            if !ok {
                await kill(process, container, reason: "Container \(name) failed startup probe, will be restarted")
                return
            }
        }
        if Task.isCancelled { return }
        setStatus(isInit, index) {
            $0.started = true
            if readiness == nil { $0.ready = true }
        }
        await withTaskGroup(of: Void.self) { group in
            if let readiness {
                group.addTask {
                    await self.probeForever(readiness, kind: "Readiness", container: name) { ok in
                        await self.setReady(isInit, index, ok)
                    }
                }
            }
            if let liveness {
                group.addTask {
                    await self.probeForever(liveness, kind: "Liveness", container: name) { ok in
                        if !ok {
                            await self.kill(
                                process,
                                container,
                                reason: "Container \(name) failed liveness probe, will be restarted"
                            )
                        }
                    }
                }
            }
        }
    }

    private func setReady(_ isInit: Bool, _ index: Int, _ ok: Bool) {
        if terminating, ok { return }
        let c = current(isInit, index)
        if c.isRunning, c.ready != ok { setStatus(isInit, index) { $0.ready = ok } }
    }

    /// Probes until one success (startup); false once the failure threshold is reached.
    private func probeLoop(_ spec: ProbeSpec, kind: String, container: String, until: Bool) async -> Bool {
        try? await Task.sleep(for: .seconds(spec.initialDelay))
        var failures = 0
        while !Task.isCancelled {
            let ip = self.ip?.description ?? ctx.nodeIP.description
            switch await ctx.prober.probe(
                spec,
                podIP: ip,
                exec: { command, timeout in
                    let (code, out, err) = await self.execute(container, command, timeout: timeout)
                    return (code, String(decoding: out + err, as: UTF8.self))
                }
            ) {
            case .success: return true
            case let .failure(why):
                failures += 1
                event("Unhealthy", "\(kind) probe failed: \(why)", warning: true)
                if failures >= spec.failureThreshold { return false }
            }
            try? await Task.sleep(for: .seconds(spec.period))
        }
        return false
    }

    /// Probes every period, reporting each threshold crossing.
    private func probeForever(
        _ spec: ProbeSpec,
        kind: String,
        container: String,
        report: @Sendable (Bool) async -> Void
    ) async {
        try? await Task.sleep(for: .seconds(spec.initialDelay))
        var successes = 0, failures = 0
        var state: Bool? = nil
        while !Task.isCancelled {
            let ip = self.ip?.description ?? ctx.nodeIP.description
            switch await ctx.prober.probe(
                spec,
                podIP: ip,
                exec: { command, timeout in
                    let (code, out, err) = await self.execute(container, command, timeout: timeout)
                    return (code, String(decoding: out + err, as: UTF8.self))
                }
            ) {
            case .success:
                successes += 1
                failures = 0
                if successes >= spec.successThreshold, state != true {
                    state = true
                    await report(true)
                }
            case let .failure(why):
                failures += 1
                successes = 0
                if !Task.isCancelled { event("Unhealthy", "\(kind) probe failed: \(why)", warning: true) }
                if failures >= spec.failureThreshold, state != false {
                    state = false
                    await report(false)
                    if kind == "Liveness" { return }
                }
            }
            try? await Task.sleep(for: .seconds(spec.period))
        }
    }

    private func kill(_ process: CRIContainerRun, _ container: Container, reason: String) async {
        event("Killing", reason)
        await stop(process, container, grace: spec.terminationGracePeriodSeconds)
    }

    // MARK: Sandbox

    private func setUpSandbox() async throws {
        let etc = podDir.appendingPathComponent("etc")
        try FileManager.default.createDirectory(at: etc, withIntermediateDirectories: true)
        // A hostNetwork pod lives in its node's namespace, with the node's address and name.
        let address: IPv4Address
        if spec.hostNetwork {
            address = ctx.nodeIP
        } else {
            // A retry keeps the address of the attempt before: a sandbox that attempt left
            // half-made (a call that timed out while the runtime went on) may still hold it.
            if let ip {
                address = ip
            } else {
                guard let allocated = await ctx.ipam.allocate(preferring: Pod(pod).podIP) else {
                    throw AgentError("no free pod address on \(ctx.nodeName) (\(ctx.ipam.range))")
                }
                address = allocated
                ip = allocated
            }
        }
        try PodFiles.resolvConf(spec, namespace: pod.namespace, dns: ctx.dns).write(
            to: etc.appendingPathComponent("resolv.conf"),
            atomically: true,
            encoding: .utf8
        )
        try PodFiles.hosts(
            spec,
            podName: spec.hostNetwork ? ctx.nodeName : pod.name,
            namespace: pod.namespace,
            podIP: address.description,
            clusterDomain: ctx.dns.clusterDomain
        )
        .write(to: etc.appendingPathComponent("hosts"), atomically: true, encoding: .utf8)
        let network: [String: String]
        if spec.hostNetwork {
            network = [
                NodeNamespaceRuntime.netnsAnnotation: "/run/netns/" + ctx.network.nodeNamespace(ctx.nodeIndex),
                NodeNamespaceRuntime.hostnameAnnotation: ctx.nodeName,
            ]
        } else {
            network = [
                CNIPlugin.nodeNamespaceAnnotation: ctx.network.nodeNamespace(ctx.nodeIndex),
                CNIPlugin.podIPAnnotation: address.description,
                CNIPlugin.gatewayAnnotation: ctx.network.podGateway(node: ctx.nodeIndex).description,
            ]
        }
        let sandbox = runtimePod
        try await ctx.starts.run { () async throws(RuntimeFailure) in try await sandbox.start(network: network) }
        // Deleted while the sandbox was being made: it goes at once.
        if terminating { await runtimePod.remove() }
        let ports = HostPorts.mappings(spec)
        if !spec.hostNetwork, !ports.isEmpty {
            let table = HostPorts.table(uid: uid)
            try await HostCommand.run(
                "ip",
                ["netns", "exec", ctx.network.nodeNamespace(ctx.nodeIndex), "nft", "-f", "-"],
                input: HostPorts.ruleset(table: table, podIP: address.description, ports)
            )
            hostPortTable = table
        }
        status.podIP = address.description
    }

    /// The nftables table of the pod's hostPorts in its node's namespace, once made.
    private var hostPortTable: String?

    /// `keepAddress`: a sandbox that failed is tried again with the same address.
    private func tearDownSandbox(keepAddress: Bool = false) async {
        await runtimePod.remove()
        let node = ctx.network.nodeNamespace(ctx.nodeIndex)
        if let table = hostPortTable {
            _ = try? await HostCommand.run("ip", ["netns", "exec", node, "nft", "delete", "table", "ip", table])
            hostPortTable = nil
        }
        guard let ip, !keepAddress else { return }
        // The pod's link, and with it its route, goes before the address is free again: a
        // sandbox the runtime failed to remove keeps its link, and the address's next
        // holder would find the route taken.
        try? await HostCommand.apply([
            .init(namespace: node, batch: ["link del \(ClusterNetwork.podLinkName(uid: uid))"], ignoreErrors: true)
        ])
        await ctx.ipam.release(ip)
        self.ip = nil
    }

    private func terminate(grace: Int, deleteObject: Bool) async {
        if !processes.isEmpty {
            event("Killing", "Stopping container \(processes.keys.sorted().joined(separator: ", "))")
        }
        let deadline = ContinuousClock.now + .seconds(max(grace, 0))
        // Out of every Service's rules before SIGTERM, so no new connection reaches a pod
        // that is shutting down (a rolling update loses no request).
        if deleteObject, grace > 0, let ip, let proxier = ctx.proxier {
            await proxier.waitUntilDrained(ip, timeout: min(.seconds(grace), .seconds(5)))
        }
        releaseTurns(all: true)
        let left = max(0, Int((deadline - ContinuousClock.now).components.seconds))
        // The main (and init) containers first, each with its preStop hook; the sidecars
        // outlive the containers they serve and stop afterwards, last started first.
        let byName = Dictionary(spec.allContainers.map { ($0.name, $0) }) { first, _ in first }
        let sidecarNames = Set(spec.initContainers.filter(\.isSidecar).map(\.name))
        await withTaskGroup(of: Void.self) { group in
            for (name, p) in processes where !sidecarNames.contains(name) {
                group.addTask { await self.stop(p, byName[name], grace: left) }
            }
        }
        let rest = max(0, Int((deadline - ContinuousClock.now).components.seconds))
        await stopSidecars(grace: grace > 0 ? max(rest, Self.minimumGrace) : 0)
        await tearDownSandbox()
        changed()
        // Give the publisher a moment to write the final container states.
        try? await Task.sleep(for: .milliseconds(100))
        finished = true
        statusSignal.finish()
        for t in tasks { t.cancel() }
        if deleteObject {
            _ = try? await ctx.client.delete(
                Resources.pods,
                namespace: pod.namespace,
                name: pod.name,
                gracePeriodSeconds: 0,
                preconditionUID: uid
            )
        }
        unmountVolumes()
        try? FileManager.default.removeItem(at: podDir)
        try? FileManager.default.removeItem(at: ctx.secretsDir.appendingPathComponent(uid))
        await ctx.forget(uid)
    }
}

struct AgentError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
