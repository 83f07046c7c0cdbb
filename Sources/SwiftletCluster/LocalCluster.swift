import APIServer
import CRI
import ClusterDNS
import Controllers
import Foundation
import HostCommands
import HostLoadBalancer
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging
import NodeAgent
import ServiceLifecycle
import ServiceProxy

/// A whole cluster on this machine, as `swiftlet up` runs it in the foreground: the
/// network, the API server and store, the controllers, cluster DNS, the host load balancer
/// and a node agent per node, until SIGINT or SIGTERM; then the network goes and the data
/// stays.
package struct LocalCluster {
    package var record: ClusterRecord
    package var dnsTTL: UInt32 = 30
    /// `--dns-upstream`: nil for the host's resolvers.
    package var dnsUpstream: String?
    /// Each node agent as its own `swiftlet node` process instead of inside this one.
    package var agentProcesses = false
    package var logLevel = "notice"
    /// Registry mirrors and credentials (`--registry-config`, k3s's registries.yaml).
    package var registry = RegistryConfig()
    /// `--container-runtime-endpoint`: a containerd to use instead of starting one.
    package var containerRuntimeEndpoint: String?
    /// When unused images are removed from the cluster's own containerd.
    package var imageGC = ImageGCPolicy()

    package init(record: ClusterRecord) { self.record = record }

    package func run(logger: Logger) async throws {
        var r = record
        // A bad --dns-upstream is refused before anything is built.
        let dnsMetrics = DNSMetrics()
        let upstream = try KubeDNS.upstream(dnsUpstream, metrics: dnsMetrics)
        let progress = ProgressLog()
        let started = ContinuousClock.now
        let dir = URL(fileURLWithPath: r.dataDir)
        let resuming = FileManager.default.fileExists(atPath: ClusterRecord.url(in: dir).path)
        progress.step(
            resuming ? "Resuming cluster \(r.name) from \(r.dataDir)" : "Creating cluster \(r.name) in \(r.dataDir)"
        )
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let lock = try DataDirLock(dir)
        defer { withExtendedLifetime(lock) {} }
        if let clash = await ClusterPlumbing.clash(r) { throw ClusterSetupError(clash) }
        r.pid = getpid()
        r.containerRuntimeEndpoint = containerRuntimeEndpoint
        try r.save()
        let net = r.network
        defer { r.unregister() }

        progress.step("Cleaning up what an earlier run of \(r.name) left")
        await ClusterPlumbing.tearDown(net)
        progress.step(
            "Building the network: bridge \(net.bridge) (\(net.hostIP)), \(r.nodes) node namespaces, pods in \(net.podCIDR)"
        )
        do {
            try await ClusterPlumbing.build(net, nodes: r.nodes)
        } catch {
            await ClusterPlumbing.tearDown(net)
            throw error
        }

        let layout = ContainerdLayout(dataDir: r.dataDir, cluster: r.name)
        let containerd: any ClusterRuntime
        if let endpoint = containerRuntimeEndpoint {
            progress.step(
                "Connecting to the container runtime at \(endpoint), with Swiftlet's pause image and CNI plugin"
            )
            if !registry.isEmpty {
                logger.warning("--registry-config has no effect on a runtime Swiftlet does not configure (\(endpoint))")
            }
            containerd = ExternalContainerd(endpoint: endpoint, layout: layout, logger: logger)
        } else {
            progress.step("Starting containerd (\(layout.socket)), with Swiftlet's pause image and CNI plugin")
            containerd = ContainerdProcess(layout: layout, logger: logger, registry: registry)
        }
        let runtime: CRIClient
        let builtinImages: BuiltinImageSet
        do {
            (runtime, builtinImages) = try await containerd.start(executable: SwiftletExecutable.current)
        } catch {
            await ClusterPlumbing.tearDown(net)
            throw error
        }

        progress.step("Starting the API server on https://127.0.0.1:\(r.port) and https://\(net.hostIP):\(r.port)")
        var config = ServerConfiguration(dataDir: dir)
        config.port = r.port
        config.bindAddresses = ["127.0.0.1", net.hostIP.description]
        config.advertiseAddress = net.hostIP.description
        config.serviceCIDR = net.serviceCIDR
        config.contextName = r.contextName
        config.storeURL = r.store
        var apiLogger = logger
        apiLogger.logLevel = max(logger.logLevel, .warning)
        let plane: ControlPlane
        do {
            plane = try await ControlPlane.make(config, logger: apiLogger)
        } catch {
            await containerd.stop(runtime)
            await ClusterPlumbing.tearDown(net)
            throw error
        }
        let client = try plane.loopbackClient(port: r.port)
        // The controllers and the scheduler are kube-controller-manager, with its roles.
        let controllerClient = try plane.loopbackClient(port: r.port, as: .controllerManager)
        let controllers = ControllerManager(
            client: controllerClient,
            loadBalancerPool: net.loadBalancerPool,
            identity: ControllerIdentity.of(dataDir: dir),
            rootCA: plane.pki.caCertPEM,
            logger: logger
        )
        let loadBalancer = HostLoadBalancer(
            config: .init(cluster: r.name, table: net.loadBalancerTable, pool: net.loadBalancerPool),
            client: client,
            dataplane: HostDataplane(),
            logger: logger
        )
        let executable = SwiftletExecutable.current
        var agents: [any ServiceLifecycle.Service] = []
        // Each node's agent is its own kubelet, with a node certificate (the Node authorizer
        // decides what it may read); the DNS server is CoreDNS's ServiceAccount.
        var componentClients: [KubeClient] = [controllerClient]
        for i in 1...r.nodes {
            var c = NodeAgentConfiguration(
                network: net,
                nodeIndex: i,
                stateDir: dir.appendingPathComponent("nodes/\(net.nodeName(i))"),
                executable: executable,
                clusterDNS: net.serviceCIDR.address(10).description,
                agentPort: try freeLoopbackPort()
            )
            c.clusterDomain = r.clusterDomain
            // A connection of its own per node, as each kubelet has: one connection carrying
            // every node's burst of sandbox calls was dropped under load.
            c.containerRuntime = try CRIClient(socketPath: containerd.socket)
            c.cgroupParent = layout.cgroupParent
            c.builtinImages = builtinImages
            if !agentProcesses {
                let nodeClient = try plane.loopbackClient(port: r.port, as: .node(net.nodeName(i)))
                componentClients.append(nodeClient)
                agents.append(NodeAgent(config: c, client: nodeClient, token: plane.pki.token, logger: logger))
            }
        }
        if agentProcesses {
            agents = [ChildAgents(executable: executable, dataDir: dir, nodes: r.nodes, logLevel: logLevel)]
        }
        let dnsLogger = logger
        let dnsClient = try plane.loopbackClient(port: r.port, as: .clusterDNS, maxConnections: 8)
        componentClients.append(dnsClient)
        let dnsEngine = DNSEngine(
            zone: ClusterZone(
                domain: r.clusterDomain,
                ttl: dnsTTL,
                dnsServiceIP: net.serviceCIDR.address(10),
                clusterRanges: [net.serviceCIDR, net.podCIDR, net.nodeCIDR]
            ),
            upstream: upstream,
            metrics: dnsMetrics
        )
        let ports = BoundPorts { dns, metrics in
            Task { await KubeDNS.publish(client: client, net: net, port: dns, metricsPort: metrics, logger: dnsLogger) }
        }
        let host = net.hostIP.description
        let dnsServices: [any ServiceLifecycle.Service] = [
            ZoneWatcher(client: dnsClient, engine: dnsEngine, logger: logger),
            // Port 53 (and 9153) on the bridge address, or any free port if something else holds it.
            FirstBindable(candidates: [53, 0]) { port, onBound in
                DNSServer(host: host, port: port, engine: dnsEngine, logger: dnsLogger, onBound: onBound)
            } onBound: {
                ports.set(dns: $0)
            },
            FirstBindable(candidates: [9153, 0]) { port, onBound in
                MetricsServer(host: host, port: port, metrics: dnsMetrics, logger: dnsLogger, onBound: onBound)
            } onBound: {
                ports.set(metrics: $0)
            },
        ]
        // The images of a containerd Swiftlet runs are collected once for all its nodes (they
        // share them); a runtime that was given is left to whoever runs it.
        var imageServices: [any ServiceLifecycle.Service] = []
        if containerRuntimeEndpoint == nil {
            imageServices.append(
                ImageGarbageCollector(
                    runtime: try CRIClient(socketPath: containerd.socket),
                    policy: imageGC,
                    pinned: [ContainerdConfig.sandboxImage],
                    events: EventRecorder(client: client, component: "kubelet"),
                    node: net.nodeName(1),
                    logger: logger
                )
            )
        }
        let readiness = ReadinessReporter(
            client: client,
            nodes: (1...r.nodes).map(net.nodeName),
            progress: progress,
            started: started,
            record: r,
            readyFile: dir.appendingPathComponent("ready")
        )
        progress.step(
            "Starting the controllers, cluster DNS (kube-dns at \(net.serviceCIDR.address(10)), zone \(r.clusterDomain)), "
                + "the load balancer (external IPs \(net.loadBalancerPool), table ip \(net.loadBalancerTable)) and \(r.nodes) node agents"
        )
        var services: [any ServiceLifecycle.Service] = plane.services
        services +=
            [ClientCloser(clients: [client] + componentClients), controllers, loadBalancer]
            as [any ServiceLifecycle.Service]
        services += dnsServices
        services += agents
        services += imageServices
        services.append(readiness)
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        var failure: (any Error)?
        do { try await group.run() } catch { failure = error }
        progress.step("Stopping: removing the network of \(r.name)")
        try? FileManager.default.removeItem(at: dir.appendingPathComponent("ready"))
        await plane.store.close()
        progress.step(
            containerRuntimeEndpoint == nil
                ? "Stopping containerd and the pods left in it"
                : "Removing the cluster's pods from the container runtime"
        )
        await containerd.stop(runtime)
        await ClusterPlumbing.tearDown(net)
        progress.step(
            "Stopped. The data is kept in \(r.dataDir): `swiftlet up --data-dir \(r.dataDir)` resumes the cluster."
        )
        if let failure { throw failure }
    }
}

/// Node agents as child processes (`swiftlet node --index i`), each logging to
/// `DATA/nodes/<node>/agent.log`; stopped with SIGTERM at shutdown.
struct ChildAgents: ServiceLifecycle.Service {
    let executable: String
    let dataDir: URL
    let nodes: Int
    let logLevel: String

    func run() async throws {
        var children: [Process] = []
        for i in 1...nodes {
            let logDir = dataDir.appendingPathComponent("nodes/node-\(i)")
            try FileManager.default.createDirectory(at: logDir, withIntermediateDirectories: true)
            let logURL = logDir.appendingPathComponent("agent.log")
            _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
            let log = try FileHandle(forWritingTo: logURL)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = ["node", "--data-dir", dataDir.path, "--index", String(i), "--log-level", logLevel]
            p.standardOutput = log
            p.standardError = log
            p.standardInput = FileHandle.nullDevice
            try HostCommand.launch(p)
            children.append(p)
        }
        try? await gracefulShutdown()
        for p in children where p.isRunning { kill(p.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(15)
        while children.contains(where: \.isRunning), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        for p in children where p.isRunning { kill(p.processIdentifier, SIGKILL) }
    }
}

/// Closes the in-process components' connections to the API server once they have
/// stopped (services stop in reverse order), so the server's graceful shutdown does not
/// wait on idle keep-alive connections.
package struct ClientCloser: ServiceLifecycle.Service {
    let clients: [KubeClient]
    package init(client: KubeClient) { self.clients = [client] }
    package init(clients: [KubeClient]) { self.clients = clients }
    package func run() async throws {
        try? await gracefulShutdown()
        // Not awaited: a request still open (a watch) ends when the server closes it next.
        for client in clients { Task { await client.shutdown() } }
    }
}

/// Waits for every node to be Ready, then prints what the user needs.
struct ReadinessReporter: ServiceLifecycle.Service {
    let client: KubeClient
    let nodes: [String]
    let progress: ProgressLog
    let started: ContinuousClock.Instant
    let record: ClusterRecord
    let readyFile: URL

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var reported: Set<String> = []
            while reported.count < nodes.count {
                if let list = try? await client.list(Resources.nodes) {
                    for n in list.items.map(KubeModel.Node.init)
                    where !reported.contains(n.name) && nodes.contains(n.name) && n.isReady {
                        reported.insert(n.name)
                        let ip = n.internalIP?.description ?? ""
                        progress.step("Node \(n.name) is Ready (\(ip), pods \(n.podCIDR ?? ""))")
                    }
                }
                if reported.count < nodes.count { try await Task.sleep(for: .milliseconds(50)) }
            }
            // What a node on the node network needs to join: the cluster's ranges, and a token (24 h).
            var join = ""
            do {
                try await ClusterInfo.publish(client: client, record: record)
                let token = try await ClusterInfo.createToken(
                    client: client,
                    ttl: 24 * 3600,
                    description: "made by swiftlet up"
                )
                try await ClusterInfo.waitForSignature(client: client, token: token)
                join =
                    "\n  Join another node: "
                    + ClusterInfo.joinCommand(server: "https://\(record.network.hostIP):\(record.port)", token: token)
                    + "   (token valid 24 h; `swiftlet token create` makes another)"
            } catch {
                join = "\n  (no join token: \(error))"
            }
            let t = ContinuousClock.now - started
            let dir = record.dataDir
            ProgressLog.say(
                """

                Cluster \(record.name) is up with \(nodes.count) nodes in \(String(format: "%.1f", Double(t.components.seconds) + Double(t.components.attoseconds) / 1e18)) s.
                  kubectl config use-context \(record.contextName)     (merged into ~/.kube/config)
                  export KUBECONFIG=\(dir)/kubeconfig            (or use this file)
                  kubectl get nodes -o wide
                Data: \(dir)   Pod logs: \(dir)/nodes/<node>/pods/
                Stop with Ctrl-C, or `swiftlet down --data-dir \(dir)`.\(join)
                """
            )
            _ = FileManager.default.createFile(atPath: readyFile.path, contents: Data())
            try await gracefulShutdown()
        }
    }
}

/// One `up` per data directory: an exclusive lock held for the process's lifetime.
final class DataDirLock: Sendable {
    let fd: Int32
    init(_ dir: URL) throws {
        fd = open(dir.appendingPathComponent("lock").path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let pid = ClusterRecord.load(from: dir)?.pid.map(String.init) ?? "?"
            throw ClusterSetupError(
                "a cluster is already running from \(dir.path) (pid \(pid)); stop it with `swiftlet down --data-dir \(dir.path)`"
            )
        }
    }
    deinit { close(fd) }
}
