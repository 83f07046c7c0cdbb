import APIServer
import ArgumentParser
import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import SwiftletCluster
import Synchronization

/// `swiftlet bench pods`: `swiftlet up --nodes N` time to all nodes Ready, idle RSS of the
/// whole cluster, then a Deployment of R agnhost replicas from create to all pods Ready,
/// with per-pod start times (first seen → Ready, from a watch).
struct PodsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pods",
        abstract: "Cluster start, pod start and memory figures."
    )

    @Option var nodes = 3
    @Option var replicas = 100

    func run() async throws {
        guard getuid() == 0 else { throw ValidationError("bench pods starts a cluster and must run as root") }
        let cluster = try await BenchCluster(tag: "bp", nodes: nodes)
        defer { cluster.stop() }
        let up = cluster.process
        print("swiftlet up --nodes \(nodes): all nodes Ready after \(format(Stats.ms(cluster.upTime))) ms")
        try await Task.sleep(for: .seconds(5))
        print("idle RSS, whole cluster (\(nodes) nodes, no pods): \(format(treeRSS(up.processIdentifier))) MiB")

        let client = try cluster.client()
        defer { Task { await client.shutdown() } }
        let (_, rv) = try await client.list(Resources.pods, namespace: "default")
        let seen = LockedTimes()
        let watcher = Task {
            for try await e in client.watch(Resources.pods, namespace: "default", resourceVersion: rv) {
                let name = e.object.name
                let now = ContinuousClock.now
                seen.first(name, now)
                if Pod(e.object).isReady { seen.ready(name, now) }
            }
        }
        let deployment: JSON = [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "bench"],
            "spec": [
                "replicas": JSON(replicas), "selector": ["matchLabels": ["app": "bench"]],
                "template": [
                    "metadata": ["labels": ["app": "bench"]],
                    "spec": [
                        "containers": [
                            [
                                "name": "app", "image": "registry.k8s.io/e2e-test-images/agnhost:2.53",
                                "args": ["netexec", "--http-port=8080", "--udp-port=8081"],
                                "readinessProbe": [
                                    "httpGet": ["path": "/healthz", "port": 8080],
                                    "periodSeconds": 1,
                                ],
                            ]
                        ]
                    ],
                ],
            ],
        ]
        let containerd = processes {
            $0.first?.hasSuffix("containerd") == true && $0.count > 2 && $0[2].hasPrefix(cluster.dir.path)
        }.first
        let cpuBefore = (
            up: cpuSecondsWithReaped(pid: up.processIdentifier),
            containerd: containerd.map(cpuSecondsWithReaped) ?? .nan,
            machine: machineBusySeconds()
        )
        let t0 = ContinuousClock.now
        _ = try await client.create(Resources.deployments, namespace: "default", deployment)
        while seen.readyCount < replicas {
            if ContinuousClock.now - t0 > .seconds(300) {
                throw ValidationError("pods not Ready after 300 s (\(seen.readyCount)/\(replicas))")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let all = ContinuousClock.now - t0
        let shimPids = processes {
            $0.first?.hasSuffix("containerd-shim-runc-v2") == true && $0.contains { $0.hasPrefix(cluster.dir.path) }
        }
        let cpu = (
            up: cpuSecondsWithReaped(pid: up.processIdentifier) - cpuBefore.up,
            containerd: (containerd.map(cpuSecondsWithReaped) ?? .nan) - cpuBefore.containerd,
            shims: shimPids.map(cpuSecondsWithReaped).filter { !$0.isNaN }.reduce(0, +),
            machine: machineBusySeconds() - cpuBefore.machine
        )
        watcher.cancel()
        let starts = Stats(samples: seen.durations().map(Stats.ms))
        print("Deployment of \(replicas) replicas: all Ready after \(format(Stats.ms(all))) ms")
        print(
            "pod start (first seen -> Ready): p50 \(format(starts.percentile(0.5))) ms, p99 \(format(starts.percentile(0.99))) ms"
        )
        print(
            "CPU during the rollout: machine \(format(cpu.machine)) s busy; swiftlet up \(format(cpu.up)) s, "
                + "containerd (with CNI plugins) \(format(cpu.containerd)) s, shims (with runc) \(format(cpu.shims)) s"
        )
        try await Task.sleep(for: .seconds(3))
        // containerd's shims leave the process tree (they are re-parented), so the pods'
        // processes are found by their command lines.
        let shims = processes {
            $0.first?.hasSuffix("containerd-shim-runc-v2") == true && $0.contains { $0.hasPrefix(cluster.dir.path) }
        }
        let pauses = processes { $0 == ["/pause"] }
        let apps = processes { $0.first == "/agnhost" }
        let perPod = { (pids: [Int32]) in
            pids.map { rssMiB(pid: $0) }.filter { !$0.isNaN }.reduce(0, +) / Double(max(pids.count, 1))
        }
        print(
            "RSS with \(replicas) pods: control plane + agents \(format(rssMiB(pid: up.processIdentifier))) MiB, "
                + "with containerd \(format(treeRSS(up.processIdentifier))) MiB"
        )
        print(
            "per pod: shim \(format(perPod(shims))) MiB (\(shims.count) shims), pause \(format(perPod(pauses))) MiB, "
                + "agnhost container \(format(perPod(apps))) MiB"
        )
    }

    /// Processes whose command line (split at NULs) matches.
    func processes(_ matches: ([String]) -> Bool) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { e -> Int32? in
            guard let pid = Int32(e), let data = FileManager.default.contents(atPath: "/proc/\(e)/cmdline") else {
                return nil
            }
            let args = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return matches(args) ? pid : nil
        }
    }
}

final class LockedText: Sendable {
    private let text = Mutex("")
    var value: String { text.withLock { $0 } }
    func append(_ s: String) { text.withLock { $0 += s } }
}

final class LockedTimes: Sendable {
    private struct Times {
        var firstSeen: [String: ContinuousClock.Instant] = [:]
        var readyAt: [String: ContinuousClock.Instant] = [:]
    }
    private let times = Mutex(Times())
    func first(_ n: String, _ t: ContinuousClock.Instant) {
        times.withLock { if $0.firstSeen[n] == nil { $0.firstSeen[n] = t } }
    }
    func ready(_ n: String, _ t: ContinuousClock.Instant) {
        times.withLock { if $0.readyAt[n] == nil { $0.readyAt[n] = t } }
    }
    var readyCount: Int { times.withLock { $0.readyAt.count } }
    func durations() -> [Duration] {
        times.withLock { t in t.readyAt.compactMap { n, r in t.firstSeen[n].map { r - $0 } } }
    }
}

/// A `swiftlet up` child process on a scratch data directory, private ranges and a random
/// port, for benchmarks; `stop()` brings it down (Ctrl-C) and removes the directory.
final class BenchCluster {
    let process = Process()
    let dir: URL
    let port: Int
    let name: String
    let nodeCIDR = "172.31.254.0/24"
    let upTime: Duration

    init(tag: String, nodes: Int, extraArgs: [String] = []) async throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-bench-\(tag)-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        name = "\(tag)\(getpid() % 100000)"
        port = Int.random(in: 20000...29999)
        process.executableURL = URL(fileURLWithPath: SwiftletExecutable.swiftlet)
        process.arguments =
            [
                "up", "--nodes", String(nodes), "--data-dir", dir.path, "--name", name, "--port", String(port),
                "--node-cidr", nodeCIDR, "--pod-cidr", "10.199.0.0/16", "--service-cidr", "10.198.0.0/16",
                "--dns-upstream", "none",
            ] + extraArgs
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = dir.path
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        let started = ContinuousClock.now
        try process.run()
        // Interrupted: the cluster is asked to come down as `stop()` does; if it cannot in time
        // (it may wait on this process's own requests), `swiftlet down` removes what it left.
        let scratch = dir, pid = process.processIdentifier, clusterName = name
        interruption = BenchInterruption.onInterrupt {
            BenchInterruption.stop(pid, signal: SIGINT, grace: .seconds(15))
            let down = Process()
            down.executableURL = URL(fileURLWithPath: SwiftletExecutable.swiftlet)
            down.arguments = ["down", "--data-dir", scratch.path, "--name", clusterName]
            down.standardOutput = FileHandle.nullDevice
            if (try? down.run()) != nil { down.waitUntilExit() }
            try? FileManager.default.removeItem(at: scratch)
        }
        let output = LockedText()
        DispatchQueue.global().async {
            while true {
                let d = out.fileHandleForReading.availableData
                if d.isEmpty { break }
                output.append(String(decoding: d, as: UTF8.self))
            }
        }
        while !output.value.contains("is up with") {
            guard process.isRunning else { throw ValidationError("swiftlet up failed:\n\(output.value)") }
            try await Task.sleep(for: .milliseconds(5))
        }
        upTime = ContinuousClock.now - started
    }

    private var interruption = 0

    var kubeconfig: String { dir.appendingPathComponent("kubeconfig").path }

    func client() throws -> KubeClient {
        try KubeClient(credentials: ClusterCredentials.fromDataDir(dir, server: "https://127.0.0.1:\(port)"))
    }

    func stop() {
        BenchInterruption.remove(interruption)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: dir)
    }
}
