import AsyncHTTPClient
import CRI
import Foundation
import HostCommands
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging
import ServiceLifecycle
import ServiceProxy

/// How one node agent is set up.
public struct NodeAgentConfiguration: Sendable {
    public var network: ClusterNetwork
    public var nodeIndex: Int
    /// Where pods keep their files and logs: `<stateDir>/pods/<ns>_<name>_<uid>/`.
    public var stateDir: URL
    /// The `swiftlet` binary, which runs pod processes and the built-in images.
    public var executable: String
    public var clusterDNS: String
    public var clusterDomain = "cluster.local"
    /// The agent's own HTTP endpoint (logs and exec), on loopback.
    public var agentPort: Int
    public var heartbeat: Duration = .seconds(10)
    /// Whether this agent also runs the node's service proxy (kube-proxy's job).
    public var serviceProxy = true
    /// A node that joined with a bootstrap token publishes the token its own endpoint accepts
    /// (the API server's own token is not the node's to know).
    public var publishAgentToken = false
    /// The container runtime pods run on (containerd's CRI); the agent does not start without.
    public var containerRuntime: CRIClient?
    /// The cgroup the runtime puts every pod of the cluster under.
    public var cgroupParent = "/swiftlet"
    /// Swiftlet's own images (agnhost, serve_hostname, pause), made in the runtime on first use.
    public var builtinImages: BuiltinImageSet?

    public init(
        network: ClusterNetwork,
        nodeIndex: Int,
        stateDir: URL,
        executable: String,
        clusterDNS: String,
        agentPort: Int
    ) {
        self.network = network
        self.nodeIndex = nodeIndex
        self.stateDir = stateDir
        self.executable = executable
        self.clusterDNS = clusterDNS
        self.agentPort = agentPort
    }

    public var nodeName: String { network.nodeName(nodeIndex) }
}

/// What a pod worker needs from its agent.
final class AgentContext: Sendable {
    let client: KubeClient
    let network: ClusterNetwork
    let nodeIndex: Int
    let nodeName: String
    let nodeIP: IPv4Address
    let ipam: NodeIPAM
    let services: Informer<KubeModel.Service>
    let prober: Prober
    let events: EventRecorder
    let logger: Logger
    let podsDir: URL
    /// One tmpfs per node for every pod's secret and projected volumes: secrets never touch
    /// the disk, and a pod start mounts nothing more (a mount per pod costs every mount
    /// namespace on the machine a copy).
    let secretsDir: URL
    let dns: PodFiles.DNSSettings
    let registry: PodRegistry
    let proxier: Proxier?
    let runtime: CRIClient
    let exits: ContainerExitWatcher
    let starts = StartGate(limit: 8)
    let cgroupParent: String
    let builtinImages: BuiltinImageSet
    let objects: ObjectCache

    init(
        client: KubeClient,
        config: NodeAgentConfiguration,
        services: Informer<KubeModel.Service>,
        prober: Prober,
        registry: PodRegistry,
        proxier: Proxier?,
        runtime: CRIClient,
        builtinImages: BuiltinImageSet,
        logger: Logger
    ) {
        self.client = client
        network = config.network
        nodeIndex = config.nodeIndex
        nodeName = config.nodeName
        nodeIP = config.network.nodeIP(config.nodeIndex)
        ipam = NodeIPAM(range: config.network.nodePodCIDR(config.nodeIndex))
        self.services = services
        self.prober = prober
        events = EventRecorder(client: client, component: "kubelet")
        self.logger = logger
        podsDir = config.stateDir.appendingPathComponent("pods")
        secretsDir = config.stateDir.appendingPathComponent("secrets")
        let hostResolv = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        dns = .init(clusterDNS: [config.clusterDNS], clusterDomain: config.clusterDomain, hostResolvConf: hostResolv)
        self.registry = registry
        self.proxier = proxier
        self.runtime = runtime
        exits = ContainerExitWatcher(cri: runtime)
        cgroupParent = config.cgroupParent
        self.builtinImages = builtinImages
        objects = ObjectCache(client: client)
    }

    func forget(_ uid: String) async { await registry.remove(uid) }
}

/// The node's tmpfs for secret volumes.
enum NodeSecrets {
    static func isMounted(_ dir: URL) -> Bool {
        let info = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return info.split(separator: "\n").contains {
            $0.split(separator: " ").dropFirst(4).first == Substring(dir.path)
        }
    }

    static func mount(_ dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        guard !isMounted(dir) else { return }
        guard Glibc.mount("tmpfs", dir.path, "tmpfs", 0, "mode=0700") == 0 else {
            throw AgentError("mount tmpfs on \(dir.path) for secret volumes: \(String(cString: strerror(errno)))")
        }
    }

    static func unmount(_ dir: URL) {
        _ = umount2(dir.path, Int32(MNT_DETACH))
        try? FileManager.default.removeItem(at: dir)
    }
}

/// The pod workers of a node, by pod uid.
actor PodRegistry {
    private var workers: [String: PodWorker] = [:]

    func worker(_ uid: String) -> PodWorker? { workers[uid] }
    func all() -> [PodWorker] { Array(workers.values) }
    func add(_ w: PodWorker) { workers[w.uid] = w }
    func remove(_ uid: String) { workers[uid] = nil }

    func find(namespace: String, name: String) async -> PodWorker? {
        for w in workers.values {
            let p = await w.pod
            if p.namespace == namespace && p.name == name { return w }
        }
        return nil
    }
}

/// The node agent (Swiftlet's kubelet): registers its Node, keeps it Ready with heartbeats,
/// and runs the pods bound to it. It reads the cluster only through the API.
public struct NodeAgent: ServiceLifecycle.Service {
    let config: NodeAgentConfiguration
    let client: KubeClient
    let token: String
    let logger: Logger

    public init(config: NodeAgentConfiguration, client: KubeClient, token: String, logger: Logger) {
        self.config = config
        self.client = client
        self.token = token
        self.logger = logger
    }

    public func run() async throws {
        guard let runtime = config.containerRuntime, let builtinImages = config.builtinImages else {
            throw AgentError(
                "node \(config.nodeName) has no container runtime: pods run on containerd (apt-get install containerd runc)"
            )
        }
        let http = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(
                tlsConfiguration: nil,
                redirectConfiguration: .disallow,
                timeout: .init(connect: .seconds(1)),
                connectionPool: .init(idleTimeout: .seconds(5))
            )
        )
        let (services, slices) = ProxyObjects.nodeInformers(client: client, logger: logger)
        let pods = Informer(
            Resources.pods,
            client: client,
            fieldSelector: "spec.nodeName=\(config.nodeName)",
            logger: logger
        )
        let registry = PodRegistry()
        let prober = Prober(http: http)
        let net = config.network
        let proxyNode = ProxyNode(
            name: config.nodeName,
            nodeIP: net.nodeIP(config.nodeIndex),
            clusterPodCIDR: net.podCIDR,
            nodePodCIDR: net.nodePodCIDR(config.nodeIndex),
            serviceCIDR: net.serviceCIDR,
            table: net.nftTable
        )
        let namespace = net.nodeNamespace(config.nodeIndex)
        let proxier =
            config.serviceProxy
            ? Proxier(
                config: .init(node: proxyNode, namespace: namespace),
                dataplane: NamespaceDataplane(namespace: namespace),
                services: services,
                slices: slices,
                logger: logger
            )
            : nil
        let ctx = AgentContext(
            client: client,
            config: config,
            services: services,
            prober: prober,
            registry: registry,
            proxier: proxier,
            runtime: runtime,
            builtinImages: builtinImages,
            logger: logger
        )
        let nodes = Informer(Resources.nodes, of: Node.self, client: client, logger: logger)
        let routes = NodeRoutes(
            nodes: nodes,
            namespace: namespace,
            selfName: config.nodeName,
            network: net,
            logger: logger
        )
        try? FileManager.default.createDirectory(at: ctx.podsDir, withIntermediateDirectories: true)
        do {
            try NodeSecrets.mount(ctx.secretsDir)
        } catch {
            try? await http.shutdown()
            throw error
        }
        defer { NodeSecrets.unmount(ctx.secretsDir) }
        // An API server that refuses or is away for a while is waited for, not fatal.
        var delay = Duration.milliseconds(200)
        while true {
            do {
                try await registerNode()
                break
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully {
                    try? await http.shutdown()
                    return
                }
                logger.warning("node \(config.nodeName) could not register its Node, retrying in \(delay): \(error)")
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
        let server = AgentServer(
            port: config.agentPort,
            token: token,
            registry: registry,
            logger: logger
        )

        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await nodes.run() }
                group.addTask { await routes.run() }
                group.addTask {
                    await self.serve(
                        services: services,
                        pods: pods,
                        slices: slices,
                        proxier: proxier,
                        server: server,
                        ctx: ctx
                    )
                }
            }
        }
        // Stopping: end every pod's processes and namespace; the pod objects stay. The
        // proxy's health check has stopped answering, so load balancers are leaving too.
        await withTaskGroup(of: Void.self) { group in
            for w in await registry.all() { group.addTask { await w.shutdown(drain: .seconds(1)) } }
        }
        try? await http.shutdown()
    }

    func serve(
        services: Informer<KubeModel.Service>,
        pods: Informer<JSON>,
        slices: Informer<EndpointSlice>,
        proxier: Proxier?,
        server: AgentServer,
        ctx: AgentContext
    ) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await services.run() }
            group.addTask { await pods.run() }
            if let proxier {
                group.addTask { await slices.run() }
                group.addTask { await proxier.run() }
            }
            group.addTask { try? await server.run() }
            group.addTask { await self.heartbeats() }
            group.addTask { await self.cleanUpVolumes() }
            group.addTask {
                await services.waitForSync()
                let changes = await pods.changes()
                for p in await pods.list() { await self.sync(key: Informer.key(p), pod: p, ctx: ctx) }
                for await c in changes { await self.sync(key: c.key, pod: c.new, old: c.old, ctx: ctx) }
            }
            await group.waitForAll()
        }
    }

    /// Where this node keeps local-path volumes.
    var storageRoot: URL { config.stateDir.appendingPathComponent("storage") }

    /// Removes the directories of this node's local-path volumes that are being deleted,
    /// then lets the volume go (its cleanup finalizer is this agent's to remove).
    func cleanUpVolumes() async {
        let volumes = Informer(Resources.persistentvolumes, client: client, logger: logger)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await volumes.run() }
            group.addTask {
                let changes = await volumes.changes()
                await volumes.waitForSync()
                for v in await volumes.list() { await self.cleanUp(v) }
                for await c in changes { if let v = c.new { await self.cleanUp(v) } }
            }
            await group.waitForAll()
        }
    }

    func cleanUp(_ volume: JSON) async {
        let finalizer = "swiftlet.dev/local-path-cleanup"
        var finalizers = volume[path: ["metadata", "finalizers"]]?.array ?? []
        guard volume.deletionTimestamp != nil, finalizers.contains(.string(finalizer)),
            LocalPath.node(of: volume) == config.nodeName,
            let path = volume[path: ["spec", "hostPath", "path"]]?.string
        else { return }
        // Only a directory of ours, directly under the storage root, is ever removed.
        let dir = URL(fileURLWithPath: path).standardizedFileURL
        if dir.deletingLastPathComponent().path == storageRoot.standardizedFileURL.path {
            do {
                if FileManager.default.fileExists(atPath: dir.path) { try FileManager.default.removeItem(at: dir) }
            } catch {
                logger.warning("could not remove volume \(volume.name)'s directory \(dir.path): \(error)")
                return
            }
        }
        finalizers.removeAll { $0 == .string(finalizer) }
        _ = try? await client.patch(
            Resources.persistentvolumes,
            namespace: nil,
            name: volume.name,
            ["metadata": ["finalizers": .array(finalizers)]]
        )
    }

    func sync(key: String, pod: JSON?, old: JSON? = nil, ctx: AgentContext) async {
        if let pod {
            let phase = Pod(pod).phase
            if let w = await ctx.registry.worker(pod.uid) {
                await w.update(pod)
            } else if pod.deletionTimestamp != nil {
                // Deleted before it ever ran here: nothing to stop.
                _ = try? await client.delete(
                    Resources.pods,
                    namespace: pod.namespace,
                    name: pod.name,
                    gracePeriodSeconds: 0,
                    preconditionUID: pod.uid
                )
            } else if phase != "Succeeded" && phase != "Failed" {
                let w = PodWorker(ctx: ctx, pod: pod)
                await ctx.registry.add(w)
                await w.start()
            }
            if let old, old.uid != pod.uid, let w = await ctx.registry.worker(old.uid) { await w.vanished() }
        } else if let old, let w = await ctx.registry.worker(old.uid) {
            await w.vanished()
        }
    }

    // MARK: Node object

    func nodeObject() -> JSON {
        let n = config.network
        let i = config.nodeIndex
        let mem = (ProcessInfo.processInfo.physicalMemory / 1024)
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        var uts = utsname()
        uname(&uts)
        let kernel = withUnsafeBytes(of: &uts.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let resources: JSON = [
            "cpu": .string(String(cpus)), "memory": .string("\(mem)Ki"), "pods": "110",
            "ephemeral-storage": "10Gi",
        ]
        return [
            "apiVersion": "v1", "kind": "Node",
            "metadata": [
                "name": .string(config.nodeName),
                "labels": [
                    "kubernetes.io/hostname": .string(config.nodeName), "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
                ],
                "annotations": .object(
                    JSONObject(
                        [
                            (NodeAgent.agentAnnotation, .string("127.0.0.1:\(config.agentPort)")),
                            (NodeAgent.storageRootAnnotation, .string(storageRoot.path)),
                        ]
                            + (config.publishAgentToken ? [(NodeAgent.agentTokenAnnotation, .string(token))] : [])
                    )
                ),
            ],
            "spec": [
                "podCIDR": .string(n.nodePodCIDR(i).description), "podCIDRs": [.string(n.nodePodCIDR(i).description)],
            ],
            "status": [
                "capacity": resources, "allocatable": resources,
                "addresses": [
                    ["type": "InternalIP", "address": .string(n.nodeIP(i).description)],
                    ["type": "Hostname", "address": .string(config.nodeName)],
                ],
                "daemonEndpoints": ["kubeletEndpoint": ["Port": JSON(config.agentPort)]],
                "nodeInfo": [
                    "machineID": "", "systemUUID": "", "bootID": "", "kernelVersion": .string(kernel),
                    "osImage": "Swiftlet", "containerRuntimeVersion": "containerd://unknown",
                    "kubeletVersion": "v1.32.0-swiftlet", "kubeProxyVersion": "v1.32.0-swiftlet",
                    "operatingSystem": "linux", "architecture": "amd64",
                ],
                "conditions": .array(conditions(now: .now, since: .now)),
            ],
        ]
    }

    public static let agentAnnotation = "swiftlet.dev/agent-endpoint"
    public static let agentTokenAnnotation = "swiftlet.dev/agent-token"
    /// Where this node keeps local-path volumes (the provisioner reads it).
    public static let storageRootAnnotation = "swiftlet.dev/local-path-root"

    /// Whether the container runtime answers, as kubelet's runtime health check asks it: nil
    /// when it does, else the Ready condition's message (with the fix).
    func runtimeProblem() async -> String? {
        guard let runtime = config.containerRuntime else { return "no container runtime is configured" }
        do {
            _ = try await runtime.version()
            return nil
        } catch {
            return
                "container runtime is down: containerd at \(runtime.socketPath) does not answer (\(CRIPod.message(error))); "
                + "Swiftlet starts its containerd again by itself; if this stays, see containerd.log in the "
                + "data directory's containerd/ and restart the cluster"
        }
    }

    /// The runtime's name and version for the Node (`containerd://1.6.20`).
    func runtimeVersion() async -> String {
        guard let v = try? await config.containerRuntime?.version() else { return "containerd://unknown" }
        return "\(v.runtimeName)://\(v.runtimeVersion)"
    }

    func conditions(now: Timestamp, since: Timestamp, runtimeProblem: String? = nil) -> [JSON] {
        func c(_ type: String, _ status: String, _ reason: String, _ message: String) -> JSON {
            [
                "type": .string(type), "status": .string(status), "lastHeartbeatTime": .string(now.rfc3339),
                "lastTransitionTime": .string(since.rfc3339), "reason": .string(reason), "message": .string(message),
            ]
        }
        return [
            c("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            c("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            c("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            runtimeProblem.map { c("Ready", "False", "KubeletNotReady", $0) }
                ?? c("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ]
    }

    func registerNode() async throws {
        var desired = nodeObject()
        desired[path: ["status", "nodeInfo", "containerRuntimeVersion"]] = .string(await runtimeVersion())
        desired[path: ["status", "images"]] = .array(await nodeImages())
        if var existing = try await client.getIfExists(Resources.nodes, namespace: nil, name: config.nodeName) {
            existing["spec"] = desired["spec"]
            for key in [NodeAgent.agentAnnotation, NodeAgent.agentTokenAnnotation, NodeAgent.storageRootAnnotation] {
                existing[path: ["metadata", "annotations", key]] = desired[path: ["metadata", "annotations", key]]
            }
            // The taints a controller put on for a node that was away go; the user's stay.
            let kept = (existing[path: ["spec", "taints"]]?.array ?? []).filter {
                !["node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready"].contains($0["key"]?.string ?? "")
            }
            existing[path: ["spec", "taints"]] = kept.isEmpty ? nil : .array(kept)
            let updated = try await client.update(Resources.nodes, namespace: nil, existing)
            var withStatus = updated
            withStatus["status"] = desired["status"]
            _ = try await client.update(Resources.nodes, namespace: nil, withStatus, subresource: "status")
        } else {
            let created = try await client.create(Resources.nodes, namespace: nil, desired)
            var withStatus = created
            withStatus["status"] = desired["status"]
            _ = try await client.update(Resources.nodes, namespace: nil, withStatus, subresource: "status")
        }
        logger.info(
            "node \(config.nodeName) registered",
            metadata: ["ip": "\(config.network.nodeIP(config.nodeIndex))"]
        )
    }

    /// Posts the Ready condition and renews the node Lease, as the kubelet does every 10 s.
    func heartbeats() async {
        var since = Timestamp.now
        var lastProblem: String? = nil
        while !Task.isCancelled {
            try? await Task.sleep(for: config.heartbeat)
            if Task.isCancelled { return }
            let problem = await runtimeProblem()
            if (problem == nil) != (lastProblem == nil) {
                since = .now
                if let problem {
                    logger.warning("node \(config.nodeName) is NotReady: \(problem)")
                } else {
                    logger.notice("node \(config.nodeName) is Ready again: its container runtime answers")
                }
            }
            lastProblem = problem
            do {
                var status: JSON = ["conditions": .array(conditions(now: .now, since: since, runtimeProblem: problem))]
                if problem == nil { status["images"] = .array(await nodeImages()) }
                _ = try await client.patch(
                    Resources.nodes,
                    namespace: nil,
                    name: config.nodeName,
                    ["status": status],
                    type: .strategic,
                    subresource: "status"
                )
                try await renewLease()
            } catch {
                logger.debug("heartbeat of \(config.nodeName) failed: \(error)")
                if let e = error as? APIError, e.code == 404 { try? await registerNode() }
            }
        }
    }

    /// The images the runtime holds, largest first and at most 50, as kubelet lists them
    /// in `status.images`.
    func nodeImages() async -> [JSON] {
        guard let list = try? await config.containerRuntime?.images.listImages(Runtime_V1_ListImagesRequest())
        else { return [] }
        let largest = list.images.sorted { $0.size > $1.size }.prefix(50)
        return largest.map { image -> JSON in
            let names: [String] = image.repoDigests + image.repoTags
            return ["names": JSON(names), "sizeBytes": .int(Int64(clamping: image.size))]
        }
    }

    func renewLease() async throws {
        let now = Timestamp.now.rfc3339Micro
        if var lease = try await client.getIfExists(
            Resources.leases,
            namespace: "kube-node-lease",
            name: config.nodeName
        ) {
            lease[path: ["spec", "renewTime"]] = .string(now)
            _ = try await client.update(Resources.leases, namespace: "kube-node-lease", lease)
        } else {
            _ = try await client.create(
                Resources.leases,
                namespace: "kube-node-lease",
                [
                    "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": ["name": .string(config.nodeName), "namespace": "kube-node-lease"],
                    "spec": [
                        "holderIdentity": .string(config.nodeName), "leaseDurationSeconds": 40,
                        "renewTime": .string(now),
                    ],
                ]
            )
        }
    }
}
