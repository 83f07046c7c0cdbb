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
    @Option(
        help: ArgumentHelp(
            "Registry mirrors and credentials, in k3s's registries.yaml format.",
            discussion: "mirrors: {docker.io: {endpoint: [http://127.0.0.1:5000]}}; configs: {HOST: {auth: …, tls: …}}",
            valueName: "file"
        )
    )
    var registryConfig: String?
    @Option(
        help: ArgumentHelp(
            "A containerd to run pods on instead of Swiftlet's own (kubelet's flag).",
            discussion:
                "unix:///run/containerd/containerd.sock; `up` says which lines its config.toml needs (Swiftlet's CNI plugin, the hostNetwork runtime handler).",
            valueName: "endpoint"
        )
    )
    var containerRuntimeEndpoint: String?
    @Option(help: "Disk use (percent) of the image filesystem at which unused images are removed (kubelet's flag).")
    var imageGCHighThreshold = 85
    @Option(help: "Disk use (percent) that image garbage collection frees down to (kubelet's flag).")
    var imageGCLowThreshold = 80
    @Option(help: "How long an image must be unused before it may be collected, e.g. 2m (kubelet's flag).")
    var minimumImageTTLDuration = "2m"
    @Flag(help: "Start in the background and return when the cluster is ready.") var detach = false
    @Flag(help: "Run each node agent as its own `swiftlet node` process instead of inside this one.")
    var agentProcesses = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "notice"

    var settings: ClusterSettings {
        var s = ClusterSettings()
        s.name = name
        s.nodes = nodes
        s.port = port
        s.nodeCIDR = nodeCIDR
        s.podCIDR = podCIDR
        s.serviceCIDR = serviceCIDR
        s.clusterDomain = clusterDomain
        s.loadBalancerPool = loadBalancerPool
        s.store = store
        return s
    }

    func record() throws -> ClusterRecord {
        let dir = ClusterRecord.dataDir(dataDir)
        do {
            return try ClusterRecord.resolving(settings, saved: ClusterRecord.load(from: dir), dataDir: dir)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        guard getuid() == 0 else {
            throw ValidationError("swiftlet up builds network namespaces and must run as root: sudo swiftlet up")
        }
        let r = try record()
        if detach {
            try await startDetached(r)
            return
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "swiftlet")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .notice
        var cluster = LocalCluster(record: r)
        cluster.dnsTTL = dnsTTL
        cluster.dnsUpstream = dnsUpstream
        cluster.agentProcesses = agentProcesses
        cluster.logLevel = logLevel
        cluster.containerRuntimeEndpoint = containerRuntimeEndpoint
        cluster.imageGC.highThresholdPercent = imageGCHighThreshold
        cluster.imageGC.lowThresholdPercent = imageGCLowThreshold
        guard let ttl = ImageGCPolicy.duration(minimumImageTTLDuration) else {
            throw ValidationError(
                "--minimum-image-ttl-duration \(minimumImageTTLDuration): not a duration; write it as 2m, 90s or 1h30m"
            )
        }
        cluster.imageGC.minimumAge = ttl
        if let problem = cluster.imageGC.problem { throw ValidationError(problem) }
        if let file = registryConfig {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ValidationError("--registry-config: cannot read \(file)")
            }
            cluster.registry = try RegistryConfig(yaml: text, file: file)
        }
        try await cluster.run(logger: logger)
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
