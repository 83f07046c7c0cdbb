import APIServer
import ArgumentParser
import ClusterDNS
import Controllers
import Foundation
import HostCommands
import HostLoadBalancer
import KubeAPI
import KubeClient
import KubeMachinery
import Logging
import NodeAgent
import ServiceLifecycle
import ServiceProxy
import SwiftletCluster

struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a cluster: the control plane, the network and the node agents.",
        discussion: """
            Runs in the foreground until Ctrl-C, which stops everything and removes the network \
            (the data directory is kept: the next `swiftlet up` resumes the same cluster). \
            With --detach it starts in the background and returns once every node is Ready.
            """
    )

    @Option(help: "How many nodes (network namespaces with their own pods).") var nodes: Int?
    @Option(help: "Where the store, certificates, kubeconfig and logs live.") var dataDir: String?
    @Option(
        help:
            "The cluster's name (1-8 lowercase letters or digits); it is part of every namespace, link and table name."
    )
    var name: String?
    @Option(help: "The HTTPS port of the API server.") var port: Int?
    @Option(help: "The host bridge network: the host is .1, node i is .(10+i).") var nodeCIDR: String?
    @Option(help: "The pod network; node i gets the i-th /24.") var podCIDR: String?
    @Option(help: "The Service ClusterIP range.") var serviceCIDR: String?
    @Option(help: "The cluster's DNS domain.") var clusterDomain: String?
    @Option(
        help: ArgumentHelp(
            "Where LoadBalancer Services' external IPs come from: a range (first-last) or a CIDR.",
            discussion: "Default: the upper half of the node network (172.30.0.128-172.30.0.254)."
        )
    )
    var loadBalancerPool: String?
    @Option(
        help:
            "Where cluster DNS forwards other names: none, or IPv4 addresses with optional ports (default: the host's resolvers)."
    )
    var dnsUpstream: String?
    @Option(help: "The TTL of cluster DNS answers, in seconds.") var dnsTTL: UInt32 = 30
    @Option(
        help: ArgumentHelp(
            "The store: sqlite (a file in the data directory) or etcd://host:2379[,host:2379…].",
            discussion: "With etcd, more `swiftlet server`s can share the cluster (see the README)."
        )
    )
    var store: String?
    @Flag(help: "Start in the background and return when the cluster is ready.") var detach = false
    @Flag(help: "Run each node agent as its own `swiftlet node` process instead of inside this one.")
    var agentProcesses = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "notice"

    func record() throws -> ClusterRecord {
        let dir = ClusterRecord.dataDir(dataDir)
        var r =
            ClusterRecord.load(from: dir)
            ?? ClusterRecord(
                name: "swiftlet",
                nodes: 2,
                nodeCIDR: "172.30.0.0/24",
                podCIDR: "10.244.0.0/16",
                serviceCIDR: "10.96.0.0/12",
                clusterDomain: "cluster.local",
                port: 6443,
                dataDir: dir.path
            )
        let resumed = FileManager.default.fileExists(atPath: ClusterRecord.url(in: dir).path)
        if resumed, let name, name != r.name {
            throw ValidationError(
                "\(dir.path) holds cluster \(r.name), not \(name): use another --data-dir for a second cluster"
            )
        }
        if let name { r.name = name }
        if let nodes { r.nodes = nodes }
        if let port { r.port = port }
        if let nodeCIDR { r.nodeCIDR = nodeCIDR }
        if let podCIDR { r.podCIDR = podCIDR }
        if let clusterDomain { r.clusterDomain = clusterDomain }
        if let store {
            let wanted: String?
            switch store {
            case "sqlite": wanted = nil
            case let url where url.hasPrefix("etcd://"): wanted = url
            default: throw ValidationError("--store \(store) is not known: use sqlite or etcd://host:2379[,host:2379…]")
            }
            if resumed, wanted != r.store {
                throw ValidationError(
                    "the cluster in \(dir.path) keeps its data in \(r.store ?? "SQLite (\(dir.path)/state.db)"); "
                        + "it cannot move to \(store): start a new cluster with another --data-dir"
                )
            }
            r.store = wanted
        }
        if let loadBalancerPool { r.loadBalancerPool = loadBalancerPool }
        if let serviceCIDR {
            if resumed, serviceCIDR != r.serviceCIDR {
                throw ValidationError("the cluster in \(dir.path) uses service CIDR \(r.serviceCIDR); it cannot change")
            }
            r.serviceCIDR = serviceCIDR
        }
        r.dataDir = dir.path
        if let problem = ClusterNetwork.problem(withName: r.name) { throw ValidationError(problem) }
        guard (1...ClusterNetwork.maxNodes).contains(r.nodes) else {
            throw ValidationError("--nodes must be 1 to \(ClusterNetwork.maxNodes)")
        }
        for (flag, value, maxPrefix) in [
            ("--node-cidr", r.nodeCIDR, 24), ("--pod-cidr", r.podCIDR, 16), ("--service-cidr", r.serviceCIDR, 24),
        ] {
            guard let n = IPv4Network(value), n.prefixLength <= maxPrefix else {
                throw ValidationError("\(flag) \(value) must be an IPv4 CIDR of /\(maxPrefix) or larger")
            }
        }
        guard IPv4Network(r.nodeCIDR)!.size >= UInt64(r.nodes + 11) else {
            throw ValidationError("--node-cidr is too small for \(r.nodes) nodes")
        }
        guard IPv4Network(r.podCIDR)!.size >= UInt64(r.nodes + 1) << 8 else {
            throw ValidationError("--pod-cidr is too small for \(r.nodes) nodes")
        }
        if let text = r.loadBalancerPool, LoadBalancerPool(text) == nil {
            throw ValidationError(
                "--load-balancer-pool \(text) must be an IPv4 range (172.30.0.200-172.30.0.250) or CIDR (172.30.1.0/24)"
            )
        }
        let net = r.network
        let pool = net.loadBalancerPool
        let taken = [net.nodeCIDR.first, net.hostIP, net.nodeCIDR.broadcast] + (1...r.nodes).map(net.nodeIP)
        if let clash = taken.first(where: pool.contains) {
            throw ValidationError(
                "the load balancer pool \(pool) holds \(clash), which the node network uses; choose a --load-balancer-pool above \(net.nodeIP(r.nodes))"
            )
        }
        for (what, range) in [("pod network", net.podCIDR), ("service range", net.serviceCIDR)]
        where pool.blocks.contains(where: range.overlaps) {
            throw ValidationError(
                "the load balancer pool \(pool) overlaps the \(what) \(range); choose another --load-balancer-pool"
            )
        }
        return r
    }

    func run() async throws {
        guard getuid() == 0 else {
            throw ValidationError("swiftlet up builds network namespaces and must run as root: sudo swiftlet up")
        }
        var r = try record()
        if detach {
            try await startDetached(r)
            return
        }

        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "swiftlet")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .notice
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
        if let clash = await ClusterPlumbing.clash(r) { throw ValidationError(clash) }
        r.pid = getpid()
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
            await ClusterPlumbing.tearDown(net)
            throw error
        }
        let client = try KubeClient(
            credentials: ClusterCredentials(
                servers: ["https://127.0.0.1:\(r.port)"],
                caPEM: plane.pki.caCertPEM,
                token: plane.pki.token
            )
        )
        let controllers = ControllerManager(
            client: client,
            loadBalancerPool: net.loadBalancerPool,
            identity: ControllerIdentity.of(dataDir: dir),
            logger: logger
        )
        let loadBalancer = HostLoadBalancer(
            config: .init(cluster: r.name, table: net.loadBalancerTable, pool: net.loadBalancerPool),
            client: client,
            dataplane: HostDataplane(),
            logger: logger
        )
        let executable = SwiftletExecutable.current
        var agents: [any Service] = []
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
            agents.append(NodeAgent(config: c, client: client, token: plane.pki.token, logger: logger))
        }
        if agentProcesses {
            agents = [ChildAgents(executable: executable, dataDir: dir, nodes: r.nodes, logLevel: logLevel)]
        }
        let dnsLogger = logger
        let dnsMetrics = DNSMetrics()
        let dnsEngine = DNSEngine(
            zone: ClusterZone(
                domain: r.clusterDomain,
                ttl: dnsTTL,
                dnsServiceIP: net.serviceCIDR.address(10),
                clusterRanges: [net.serviceCIDR, net.podCIDR, net.nodeCIDR]
            ),
            upstream: try KubeDNS.upstream(dnsUpstream, metrics: dnsMetrics),
            metrics: dnsMetrics
        )
        let ports = BoundPorts { dns, metrics in
            Task { await KubeDNS.publish(client: client, net: net, port: dns, metricsPort: metrics, logger: dnsLogger) }
        }
        let host = net.hostIP.description
        let dnsServices: [any Service] = [
            ZoneWatcher(client: client, engine: dnsEngine, logger: logger),
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
        let group = ServiceGroup(
            configuration: .init(
                services: plane.services.map { .init(service: $0) } + [
                    .init(service: ClientCloser(client: client)), .init(service: controllers),
                    .init(service: loadBalancer),
                ]
                    + dnsServices.map { .init(service: $0) } + agents.map { .init(service: $0) } + [
                        .init(service: readiness)
                    ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        var failure: (any Error)?
        do { try await group.run() } catch { failure = error }
        progress.step("Stopping: removing the network of \(r.name)")
        try? FileManager.default.removeItem(at: dir.appendingPathComponent("ready"))
        await plane.store.close()
        await ClusterPlumbing.tearDown(net)
        progress.step(
            "Stopped. The data is kept in \(r.dataDir): `swiftlet up --data-dir \(r.dataDir)` resumes the cluster."
        )
        if let failure { throw failure }
    }

    /// Re-runs itself in a new session with output to `DATA/swiftlet.log`, and waits for
    /// the cluster to be ready (or for the background process to fail).
    func startDetached(_ r: ClusterRecord) async throws {
        let dir = URL(fileURLWithPath: r.dataDir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let ready = dir.appendingPathComponent("ready")
        try? FileManager.default.removeItem(at: ready)
        let logURL = dir.appendingPathComponent("swiftlet.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: HostCommand.which("setsid") ?? "/usr/bin/setsid")
        p.arguments = [SwiftletExecutable.current] + CommandLine.arguments.dropFirst().filter { $0 != "--detach" }
        p.standardOutput = log
        p.standardError = log
        p.standardInput = FileHandle.nullDevice
        try p.run()
        var shown = 0
        while true {
            let text = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            for line in lines.dropFirst(shown).dropLast() { print(line) }
            shown = max(shown, lines.count - 1)
            if FileManager.default.fileExists(atPath: ready.path) {
                print(
                    "Running in the background (pid \(p.processIdentifier)); logs in \(logURL.path). Stop it with `swiftlet down --data-dir \(r.dataDir)`."
                )
                return
            }
            if !p.isRunning {
                p.waitUntilExit()
                let rest = ((try? String(contentsOf: logURL, encoding: .utf8)) ?? "")
                    .split(separator: "\n", omittingEmptySubsequences: false).dropFirst(shown)
                for line in rest where !line.isEmpty { print(line) }
                throw ValidationError(
                    "the cluster did not start (exit status \(p.terminationStatus)); see \(logURL.path)"
                )
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// Node agents as child processes (`swiftlet node --index i`), each logging to
/// `DATA/nodes/<node>/agent.log`; stopped with SIGTERM at shutdown.
struct ChildAgents: Service {
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
struct ClientCloser: Service {
    let client: KubeClient
    func run() async throws {
        try? await gracefulShutdown()
        // Not awaited: a request still open (a watch) ends when the server closes it next.
        Task { await client.shutdown() }
    }
}

/// Waits for every node to be Ready, then prints what the user needs.
struct ReadinessReporter: Service {
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
                    for n in list.items where !reported.contains(n.name) && nodes.contains(n.name) {
                        if NodeObject(n).isReady {
                            reported.insert(n.name)
                            let ip =
                                (n[path: ["status", "addresses"]]?.array ?? []).first {
                                    $0["type"]?.string == "InternalIP"
                                }?["address"]?.string ?? ""
                            progress.step(
                                "Node \(n.name) is Ready (\(ip), pods \(n[path: ["spec", "podCIDR"]]?.string ?? ""))"
                            )
                        }
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
            throw ValidationError(
                "a cluster is already running from \(dir.path) (pid \(pid)); stop it with `swiftlet down --data-dir \(dir.path)`"
            )
        }
    }
    deinit { close(fd) }
}
