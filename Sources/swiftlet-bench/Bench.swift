import APIServer
import ArgumentParser
import Foundation
import HostCommands
import KubeAPI
import KubeClient
import KubeMachinery
import SwiftletCluster
import Synchronization

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftlet-bench",
        abstract: "Swiftlet's benchmarks: each prints its figures (see docs/benchmarks.md).",
        discussion: "They start what they measure from the `swiftlet` binary beside this one (or $SWIFTLET_BIN).",
        subcommands: [
            APIBench.self, EndpointsBench.self, PodsBench.self, ProxyBench.self, ProxyProcessProbe.self, DNSBench.self,
            LoadBalancerBench.self,
        ]
    )
}

/// Percentiles of a sample, in milliseconds.
struct Stats {
    var samples: [Double]
    func percentile(_ p: Double) -> Double {
        guard !samples.isEmpty else { return .nan }
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }
    static func ms(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
}

func format(_ v: Double) -> String { String(format: "%.2f", v) }

/// Where a watch starting now begins: a list that matches nothing is the cheapest way to read it.
func currentResourceVersion(_ client: KubeClient, _ r: Resource, namespace: String) async throws -> String {
    try await client.list(r, namespace: namespace, labelSelector: "swiftlet-bench=none").resourceVersion
}

/// Resident memory of a process in MiB, from /proc.
func rssMiB(pid: Int32) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return .nan }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? .nan
        return kb / 1024
    }
    return .nan
}

/// CPU seconds (user + system) a process has used, from /proc.
func cpuSeconds(pid: Int32) -> Double {
    guard let fields = procStatFields(pid), fields.count > 13, let u = Double(fields[11]), let s = Double(fields[12])
    else { return .nan }
    return (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// CPU seconds of a process with those of its children it has waited for (runc under a
/// shim, CNI plugins under containerd).
func cpuSecondsWithReaped(pid: Int32) -> Double {
    guard let f = procStatFields(pid), f.count > 15 else { return .nan }
    let ticks = [11, 12, 13, 14].compactMap { Double(f[$0]) }.reduce(0, +)
    return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// CPU seconds all cores spent busy (not idle or waiting), from /proc/stat.
func machineBusySeconds() -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
        let line = stat.split(separator: "\n").first
    else { return .nan }
    let v = line.split(separator: " ").dropFirst().compactMap { Double($0) }
    guard v.count >= 5 else { return .nan }
    return (v.reduce(0, +) - v[3] - v[4]) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// /proc/<pid>/stat after the command name (which may hold spaces): state, parent's pid, …
func procStatFields(_ pid: Int32, thread: String? = nil) -> [Substring]? {
    guard
        let stat = try? String(
            contentsOfFile: "/proc/\(pid)" + (thread.map { "/task/\($0)" } ?? "") + "/stat",
            encoding: .utf8
        ),
        let close = stat.lastIndex(of: ")")
    else { return nil }
    return stat[stat.index(after: close)...].split(separator: " ")
}

/// Every descendant of a process: its children, then theirs, and so on.
func descendants(of root: Int32) -> [Int32] {
    var children: [Int32: [Int32]] = [:]
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(entry), let fields = procStatFields(pid), fields.count > 1, let ppid = Int32(fields[1])
        else { continue }
        children[ppid, default: []].append(pid)
    }
    var found: [Int32] = []
    var frontier = [root]
    while !frontier.isEmpty {
        frontier = frontier.flatMap { children[$0] ?? [] }
        found += frontier
    }
    return found
}

/// RSS of a process and all its descendants, in MiB.
func treeRSS(_ root: Int32) -> Double {
    ([root] + descendants(of: root)).map { rssMiB(pid: $0) }.filter { !$0.isNaN }.reduce(0, +)
}

/// A `swiftlet server` child process on a scratch data directory and a free port.
final class ServerProcess {
    let process = Process()
    let dir: URL
    let port: Int

    init(extraArgs: [String] = []) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-bench-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        port = Int.random(in: 20000...29999)
        let exe = URL(fileURLWithPath: SwiftletExecutable.swiftlet)
        let arguments =
            ["server", "--data-dir", dir.path, "--port", String(port), "--log-level", "warning"] + extraArgs
        // SWIFTLET_BENCH_SERVER_WRAPPER runs the server under a profiler, e.g.
        // "valgrind --tool=callgrind --collect-atstart=no" (then `callgrind_control -i on`).
        if let wrapper = ProcessInfo.processInfo.environment["SWIFTLET_BENCH_SERVER_WRAPPER"], !wrapper.isEmpty {
            let words = wrapper.split(separator: " ").map(String.init)
            process.executableURL = URL(fileURLWithPath: HostCommand.which(words[0]) ?? words[0])
            process.arguments = Array(words.dropFirst()) + [exe.path] + arguments
        } else {
            process.executableURL = exe
            process.arguments = arguments
        }
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = dir.path
        env["KUBECONFIG"] = dir.appendingPathComponent("kubeconfig").path
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("server.log").path, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: dir.appendingPathComponent("server.log").path)
        try process.run()
        let dir = self.dir, pid = process.processIdentifier
        interruption = BenchInterruption.onInterrupt {
            BenchInterruption.stop(pid, grace: .seconds(2))
            try? FileManager.default.removeItem(at: dir)
        }
    }

    private var interruption = 0

    var url: String { "https://127.0.0.1:\(port)" }
    var pid: Int32 { process.processIdentifier }

    func waitReady() async throws -> KubeClient {
        for _ in 0..<2400 {  // up to 2 minutes: a server under a profiler starts slowly
            if let creds = try? ClusterCredentials.fromDataDir(dir, server: url),
                let client = try? KubeClient(credentials: creds)
            {
                if (try? await client.request(.GET, "/api/v1/namespaces/default")) != nil { return client }
                await client.shutdown()
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("the benchmark's server did not start")
    }

    func stop() {
        BenchInterruption.remove(interruption)
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: dir)
    }
}

struct APIBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Create services over HTTPS with concurrent clients, list them, and time watch delivery."
    )

    @Option(help: "How many services to create.") var services = 10_000
    @Option(help: "Concurrent clients creating them.") var clients = 8
    @Option(help: "Watchers that must each receive every change.") var watchers = 100
    @Option(help: "Changes made while the watchers listen.") var changes = 20
    @Option(help: "The store: sqlite, or etcd (a 3-member etcd cluster on loopback, started here).") var store =
        "sqlite"

    func run() async throws {
        var etcd: LocalEtcdCluster?
        var extra: [String] = []
        switch store {
        case "sqlite": break
        case "etcd":
            let cluster = try LocalEtcdCluster(members: 3)
            etcd = cluster
            try await cluster.waitReady()
            extra = ["--store", cluster.storeURL]
        default: throw ValidationError("--store \(store): use sqlite or etcd")
        }
        defer { etcd?.stop() }
        let server = try ServerProcess(extraArgs: extra)
        defer { server.stop() }
        let client = try await server.waitReady()
        defer { Task { await client.shutdown() } }
        let storeName = etcd.map { "3-member etcd (\($0.storeURL))" } ?? "SQLite store"
        print(
            "API server benchmark: \(services) services, \(clients) clients, \(watchers) watchers, \(storeName), HTTPS"
        )

        let perClient = services / clients
        let clock = ContinuousClock()
        // Every Service has a selector, so the controllers answer each create with an EndpointSlice and an
        // Endpoints object: the creates are only done when those exist too. One watch counts the slices.
        let sliceWatch = try KubeClient(credentials: client.credentials, maxConnections: 2)
        defer { Task { await sliceWatch.shutdown() } }
        let before = try await currentResourceVersion(client, Resources.endpointslices, namespace: "default")
        let slicesWritten = Task {
            var seen = Set<String>()
            for try await e in sliceWatch.watch(
                Resources.endpointslices,
                namespace: "default",
                resourceVersion: before,
                bookmarks: false
            )
            where e.type == "ADDED" && e.object.labels["kubernetes.io/service-name"]?.hasPrefix("svc-") == true {
                seen.insert(e.object.name)
                if seen.count == perClient * clients { return }
            }
        }
        let serverCPU0 = cpuSeconds(pid: server.pid), selfCPU0 = cpuSeconds(pid: getpid())
        let started = clock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for c in 0..<clients {
                group.addTask {
                    var lat: [Double] = []
                    lat.reserveCapacity(perClient)
                    for i in 0..<perClient {
                        let svc: JSON = [
                            "apiVersion": "v1", "kind": "Service",
                            "metadata": ["name": .string("svc-\(c)-\(i)"), "labels": ["bench": "api"]],
                            "spec": [
                                "selector": ["app": .string("app-\(i % 50)")],
                                "ports": [["name": "http", "port": 80, "targetPort": 8080]],
                            ],
                        ]
                        let t0 = clock.now
                        _ = try await client.create(Resources.services, namespace: "default", svc)
                        lat.append(Stats.ms(clock.now - t0))
                    }
                    return lat
                }
            }
            var all: [Double] = []
            for try await l in group { all += l }
            return all
        }
        let elapsed = Stats.ms(clock.now - started) / 1000
        let created = Stats(samples: latencies)
        print(
            "creates: \(latencies.count) in \(format(elapsed)) s = \(format(Double(latencies.count) / elapsed)) creates/s"
        )
        print(
            "CPU during creates: server \(format(cpuSeconds(pid: server.pid) - serverCPU0)) s, benchmark client \(format(cpuSeconds(pid: getpid()) - selfCPU0)) s (2 cores shared)"
        )
        print("mutation latency: p50 \(format(created.percentile(0.5))) ms, p99 \(format(created.percentile(0.99))) ms")

        let createsDone = clock.now
        _ = try await slicesWritten.value
        print(
            "controllers caught up (a slice for every service) \(format(Stats.ms(clock.now - createsDone) / 1000)) s after the last create; "
                + "server CPU from the first create: \(format(cpuSeconds(pid: server.pid) - serverCPU0)) s"
        )

        let t0 = clock.now
        let (items, rv) = try await client.list(Resources.services, namespace: "default")
        print("list of \(items.count) services: \(format(Stats.ms(clock.now - t0))) ms")
        let watchClient = try KubeClient(credentials: client.credentials, maxConnections: watchers + 8)
        defer { Task { await watchClient.shutdown() } }

        // Watchers: each must see every change; delivery = receipt time - time the write was sent.
        let sent = SentTimes()
        let delivery = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<watchers {
                group.addTask {
                    var got: [Double] = []
                    for try await e in watchClient.watch(
                        Resources.services,
                        namespace: "default",
                        resourceVersion: rv,
                        bookmarks: false
                    ) {
                        guard e.type == "MODIFIED", let seq = e.object.labels["seq"].flatMap(Int.init),
                            let t = sent.get(seq)
                        else { continue }
                        got.append(Stats.ms(clock.now - t))
                        if got.count == changes { break }
                    }
                    return got
                }
            }
            try await Task.sleep(for: .seconds(2))  // let every watcher connect
            for seq in 0..<changes {
                sent.set(seq, clock.now)
                _ = try await client.patch(
                    Resources.services,
                    namespace: "default",
                    name: "svc-0-0",
                    ["metadata": ["labels": ["seq": .string(String(seq))]]]
                )
                try await Task.sleep(for: .milliseconds(50))
            }
            var all: [Double] = []
            for try await l in group { all += l }
            return all
        }
        let d = Stats(samples: delivery)
        print(
            "watch delivery: \(delivery.count) events to \(watchers) watchers, p50 \(format(d.percentile(0.5))) ms, p99 \(format(d.percentile(0.99))) ms"
        )
        print(
            "server RSS with \(items.count) services and \(watchers) watchers done: \(format(rssMiB(pid: server.pid))) MiB"
        )
    }
}

final class SentTimes: Sendable {
    private let times = Mutex<[Int: ContinuousClock.Instant]>([:])
    func set(_ k: Int, _ t: ContinuousClock.Instant) { times.withLock { $0[k] = t } }
    func get(_ k: Int) -> ContinuousClock.Instant? { times.withLock { $0[k] } }
}

struct EndpointsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endpoints",
        abstract: "Flip pods' readiness and time how fast EndpointSlices follow."
    )

    @Option(help: "Services.") var services = 1_000
    @Option(help: "Pods per service.") var podsPerService = 10
    @Option(help: "Concurrent clients for the set-up.") var clients = 8
    @Option(
        parsing: .upToNextOption,
        help:
            "One phase per rate: readiness flips per second at a steady pace, 0 for a burst (the clients as fast as they can)."
    )
    var rates: [Double] = [100, 200, 300, 400, 0]

    /// The latency target, judged on the steady phases: Kubernetes states its network-programming
    /// latency objective for a cluster in steady state, and what it promises under a burst is
    /// throughput (how soon everything is done), which is what the burst phase reports.
    static let targetP99Milliseconds = 100.0

    func validate() throws {
        guard !rates.isEmpty, rates.count < podsPerService, rates.allSatisfy({ $0 >= 0 }) else {
            throw ValidationError(
                "--rates takes 1 to \(podsPerService - 1) rates (each phase turns one more pod per service not-ready), each ≥ 0"
            )
        }
    }

    func run() async throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let client = try await server.waitReady()
        defer { Task { await client.shutdown() } }
        let ns = "default"
        print(
            "EndpointSlice benchmark: \(services) services × \(podsPerService) pods, one pod per service turned not-ready in each phase"
        )
        func parallel(_ count: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for c in 0..<clients {
                    group.addTask { for i in stride(from: c, to: count, by: clients) { try await body(i) } }
                }
                try await group.waitForAll()
            }
        }
        let clock = ContinuousClock()
        var t0 = clock.now
        try await parallel(services) { i in
            _ = try await client.create(
                Resources.services,
                namespace: ns,
                [
                    "apiVersion": "v1", "kind": "Service", "metadata": ["name": .string("svc-\(i)")],
                    "spec": [
                        "selector": ["app": .string("svc-\(i)")],
                        "ports": [["name": "http", "port": 80, "targetPort": 8080]],
                    ],
                ]
            )
        }
        let total = services * podsPerService
        try await parallel(total) { n in
            let svc = n / podsPerService
            let pod = try await client.create(
                Resources.pods,
                namespace: ns,
                [
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": ["name": .string("pod-\(n)"), "labels": ["app": .string("svc-\(svc)")]],
                    "spec": ["nodeName": "bench-node", "containers": [["name": "c", "image": "agnhost"]]],
                ]
            )
            _ = try await client.patch(
                Resources.pods,
                namespace: ns,
                name: pod.name,
                [
                    "status": [
                        "phase": "Running", "podIP": .string("10.\(100 + n / 65536).\(n / 256 % 256).\(n % 256)"),
                        "conditions": [["type": "Ready", "status": "True"]],
                    ]
                ],
                subresource: "status"
            )
        }
        print("set-up: \(services) services and \(total) ready pods in \(format(Stats.ms(clock.now - t0) / 1000)) s")

        // Wait until every slice lists its pods as ready.
        func readyCount(_ s: JSON) -> Int {
            (s["endpoints"]?.array ?? []).filter { $0[path: ["conditions", "ready"]]?.bool == true }.count
        }
        t0 = clock.now
        var rv = ""
        while true {
            let (slices, v) = try await client.list(Resources.endpointslices, namespace: ns)
            rv = v
            let complete = slices.filter { $0.name.hasPrefix("svc-") && readyCount($0) == podsPerService }.count
            if complete >= services { break }
            if clock.now - t0 > .seconds(300) {
                throw ValidationError("slices did not converge (\(complete)/\(services))")
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        print("slices converged \(format(Stats.ms(clock.now - t0) / 1000)) s after the last pod turned ready")

        let watchClient = try KubeClient(credentials: client.credentials, maxConnections: 4)
        defer { Task { await watchClient.shutdown() } }
        print(
            "phase: flips | status writes took | status write → updated EndpointSlice seen by a watcher | slice writes | server + controllers CPU"
                + " | p99 ≤ \(Int(Self.targetP99Milliseconds)) ms with writes = changes (steady rates) or throughput (burst)"
        )
        var steady: [(rate: Double, met: Bool)] = []
        for (phase, rate) in rates.enumerated() {
            // Phase k turns pod k of every service not-ready, a fresh change per service, after which its slice lists
            // one ready endpoint fewer than before the phase.
            let readyAfter = podsPerService - 1 - phase
            let sent = SentTimes()
            let cpu0 = cpuSeconds(pid: server.pid)
            let since = rv
            let watcher = Task { () -> ([Double], Int, ContinuousClock.Instant) in
                var latencies: [Double] = []
                var writes = 0
                var seen = Set<Int>()
                var last = clock.now
                for try await e in watchClient.watch(
                    Resources.endpointslices,
                    namespace: ns,
                    resourceVersion: since,
                    bookmarks: false
                ) {
                    guard e.type != "BOOKMARK", let svc = e.object.labels["kubernetes.io/service-name"],
                        svc.hasPrefix("svc-"),
                        let i = Int(svc.dropFirst(4))
                    else { continue }
                    writes += 1
                    if readyCount(e.object) == readyAfter, !seen.contains(i), let t = sent.get(i) {
                        seen.insert(i)
                        last = clock.now
                        latencies.append(Stats.ms(last - t))
                        if seen.count == services { break }
                    }
                }
                return (latencies, writes, last)
            }
            try await Task.sleep(for: .seconds(1))
            t0 = clock.now
            @Sendable func flip(_ i: Int) async throws {
                sent.set(i, clock.now)
                _ = try await client.patch(
                    Resources.pods,
                    namespace: ns,
                    name: "pod-\(i * podsPerService + phase)",
                    [
                        "status": [
                            "conditions": [["type": "Ready", "status": "False"]]
                        ]
                    ],
                    subresource: "status"
                )
            }
            if rate > 0 {
                // Open loop: each flip starts on schedule, whether or not earlier ones have finished.
                let start = clock.now, period = Duration.seconds(1 / rate)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in 0..<services {
                        try await clock.sleep(until: start + period * i)
                        group.addTask { try await flip(i) }
                    }
                    try await group.waitForAll()
                }
            } else {
                try await parallel(services) { i in try await flip(i) }
            }
            let wrote = Stats.ms(clock.now - t0) / 1000
            let (latencies, writes, lastSeen) = try await watcher.value
            let s = Stats(samples: latencies)
            let p99 = s.percentile(0.99)
            let verdict: String
            if rate > 0 {
                let met = latencies.count == services && writes == services && p99 <= Self.targetP99Milliseconds
                verdict = met ? "target met" : "target missed"
                steady.append((rate, met))
            } else {
                // All changes arrive at once, so each one's latency includes the wait behind the others:
                // what the burst measures is how soon the last slice is right.
                let drained = Stats.ms(lastSeen - t0) / 1000
                verdict =
                    "all seen \(format(drained)) s after the first write, \(Int((Double(services) / drained).rounded())) changes a second"
            }
            print(
                "\(rate > 0 ? "\(format(rate)) per second" : "burst (\(clients) clients, as fast as they can)"): "
                    + "\(services) flips | \(format(wrote)) s | p50 \(format(s.percentile(0.5))) ms, p99 \(format(p99)) ms "
                    + "(\(latencies.count) samples) | \(writes) for \(services) changes | \(format(cpuSeconds(pid: server.pid) - cpu0)) s | \(verdict)"
            )
            // The next phase watches from now.
            rv = try await currentResourceVersion(client, Resources.endpointslices, namespace: ns)
        }
        print(
            "server + controllers RSS with \(services) services, \(total) pods: \(format(rssMiB(pid: server.pid))) MiB"
        )
        if !steady.isEmpty {
            let met = steady.filter(\.met).map { format($0.rate) },
                missed = steady.filter { !$0.met }.map { format($0.rate) }
            print(
                "steady rates: "
                    + [
                        met.isEmpty ? nil : "target met at \(met.joined(separator: ", ")) per second",
                        missed.isEmpty ? nil : "target missed at \(missed.joined(separator: ", ")) per second",
                    ]
                    .compactMap { $0 }.joined(separator: "; ")
            )
        }
    }
}
