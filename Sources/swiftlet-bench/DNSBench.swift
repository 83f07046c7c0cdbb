import ArgumentParser
import ClusterDNS
import Foundation
import HostCommands
import KubeAPI
import KubeClient
import KubeMachinery
import Logging
import ServiceLifecycle
import SwiftletCluster
import Synchronization

/// `swiftlet bench dns`: query throughput and latency of the cluster DNS server, and how
/// fast a change made through the API is answered.
struct DNSBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract: "Cluster DNS: queries/s, latency, freshness."
    )

    @Option(help: "Services in the cluster.") var services = 10_000
    @Option(help: "Changes to time.") var changes = 50
    @Option(help: "Seconds of queries.") var seconds = 3.0
    @Flag(
        help:
            "Also run dnsperf against `swiftlet dns` and against NSD serving the same records (each server on core 0, dnsperf on core 1)."
    )
    var dnsperf = false

    func run() async throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let client = try await server.waitReady()
        ProgressLog.say(
            "Cluster DNS benchmark: \(services) services (SQLite API server in a child process; DNS in this process on 127.0.0.1)"
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<8 {
                group.addTask {
                    for i in stride(from: c, to: services, by: 8) {
                        let svc: JSON = [
                            "apiVersion": "v1", "kind": "Service", "metadata": ["name": .string("svc-\(i)")],
                            "spec": ["ports": [["name": "http", "port": 80]]],
                        ]
                        _ = try await client.create(Resources.services, namespace: "default", svc)
                    }
                }
            }
            try await group.waitForAll()
        }
        var logger = Logger(label: "bench.dns")
        logger.logLevel = .warning
        let rssBefore = rssMiB(pid: getpid())
        let engine = DNSEngine(zone: ClusterZone(), upstream: nil)
        let bound = PortBox()
        let dns = DNSServer(host: "127.0.0.1", port: 0, engine: engine, logger: logger) { bound.set($0) }
        let watcher = ZoneWatcher(client: client, engine: engine, logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: watcher), .init(service: dns)], logger: logger)
        )
        let running = Task { try await group.run() }
        defer { running.cancel() }
        while bound.get() == nil || engine.current.services.count < services {
            try await Task.sleep(for: .milliseconds(20))
        }
        let port = bound.get()!
        ProgressLog.say(
            "zone loaded; process RSS \(format(rssMiB(pid: getpid()))) MiB (before the DNS server: \(format(rssBefore)) MiB)"
        )

        // Throughput: one blocking client thread, a new name each time (no client cache).
        let fd = udpSocket(timeout: 1)
        defer { close(fd) }
        var lat: [Double] = []
        let end = Date().addingTimeInterval(seconds)
        var i = 0
        while Date() < end {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = exchange(
                fd,
                port: port,
                name: "svc-\(i % services).default.svc.cluster.local",
                id: UInt16(truncatingIfNeeded: i)
            )
            lat.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            i += 1
        }
        let l = Stats(samples: lat)
        ProgressLog.say(
            "UDP queries, 1 client: \(format(Double(lat.count) / seconds)) queries/s, p50 \(format(l.percentile(0.5) * 1000)) µs, "
                + "p99 \(format(l.percentile(0.99) * 1000)) µs"
        )

        // Freshness: a Service created through the API, until its name answers.
        var fresh: [Double] = []
        let clock = ContinuousClock()
        for n in 0..<changes {
            let name = "fresh-\(n)"
            let start = clock.now
            _ = try await client.create(
                Resources.services,
                namespace: "default",
                [
                    "apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name)],
                    "spec": ["ports": [["port": 80]]],
                ]
            )
            while exchange(fd, port: port, name: "\(name).default.svc.cluster.local", id: UInt16(n)) != 0 {
                try await Task.sleep(for: .milliseconds(1))
            }
            fresh.append(Stats.ms(clock.now - start))
        }
        let f = Stats(samples: fresh)
        ProgressLog.say(
            "API create → name answers: p50 \(format(f.percentile(0.5))) ms, p99 \(format(f.percentile(0.99))) ms"
        )
        running.cancel()
        if dnsperf { try await compare(server: server, client: client) }
        await client.shutdown()
    }

    // MARK: dnsperf: Swiftlet's DNS server against NSD

    struct PerfResult {
        var qps: Double
        var p50: Double
        var p99: Double
        var rss: Double
        var lost: String
    }

    func compare(server: ServerProcess, client: KubeClient) async throws {
        for tool in ["dnsperf", "nsd", "taskset"] where HostCommand.which(tool) == nil {
            throw ValidationError("\(tool) is missing: scripts/bench-dns.sh installs dnsperf and nsd, then runs this")
        }
        let (items, _) = try await client.list(Resources.services, namespace: "default")
        let records = items.compactMap { s -> (String, String)? in
            guard let ip = s[path: ["spec", "clusterIP"]]?.string, IPv4Address(ip) != nil else { return nil }
            return ("\(s.name).default.svc", ip)
        }
        let dir = server.dir.appendingPathComponent("dnsperf")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let queries = records.shuffled().map { "\($0.0).cluster.local A" }.joined(separator: "\n") + "\n"
        try queries.write(to: dir.appendingPathComponent("queries"), atomically: true, encoding: .utf8)
        ProgressLog.say(
            "dnsperf: \(records.count) names, A queries in random order, 10 s, 4 clients x 100 outstanding; servers on core 0, dnsperf on core 1"
        )

        let swiftletPort = 20000 + Int(getpid() % 10000), nsdPort = swiftletPort + 1
        let swiftlet = try launch([
            "taskset", "-c", "0", SwiftletExecutable.swiftlet, "dns", "--data-dir", server.dir.path,
            "--api-port", String(server.port), "--listen", "127.0.0.1:\(swiftletPort)", "--upstream", "none",
        ])
        defer {
            swiftlet.terminate()
            swiftlet.waitUntilExit()
        }
        let last = records.last!.0 + ".cluster.local"
        for _ in 0..<600 where exchangeCode(port: swiftletPort, name: last) != 0 {
            try await Task.sleep(for: .milliseconds(50))
        }
        let ours = try await perf(port: swiftletPort, dir: dir, pid: swiftlet.processIdentifier)

        var zone =
            "$ORIGIN cluster.local.\n$TTL 30\n@ IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 30\n"
        zone += "@ IN NS ns.dns.cluster.local.\nns.dns IN A 10.96.0.10\n"
        for (name, ip) in records { zone += "\(name) IN A \(ip)\n" }
        try zone.write(to: dir.appendingPathComponent("cluster.local.zone"), atomically: true, encoding: .utf8)
        let conf = """
            server:
              ip-address: 127.0.0.1@\(nsdPort)
              server-count: 1
              username: ""
              chroot: ""
              zonesdir: "\(dir.path)"
              database: ""
              pidfile: "\(dir.path)/nsd.pid"
              xfrdfile: "\(dir.path)/xfrd.state"
              zonelistfile: "\(dir.path)/zone.list"
              logfile: "\(dir.path)/nsd.log"
            remote-control:
              control-enable: no
            zone:
              name: cluster.local
              zonefile: cluster.local.zone

            """
        try conf.write(to: dir.appendingPathComponent("nsd.conf"), atomically: true, encoding: .utf8)
        let nsd = try launch([
            "taskset", "-c", "0", HostCommand.which("nsd")!, "-d", "-c", dir.appendingPathComponent("nsd.conf").path,
        ])
        // NSD does not always stop on SIGTERM while it is busy; it has no state worth keeping.
        defer {
            killTree(nsd.processIdentifier)
            nsd.waitUntilExit()
        }
        for _ in 0..<200 where exchangeCode(port: nsdPort, name: last) != 0 {
            try await Task.sleep(for: .milliseconds(50))
        }
        // nsd -d forks one server process; measure the whole tree.
        let theirs = try await perf(port: nsdPort, dir: dir, pid: nsd.processIdentifier)

        func row(_ name: String, _ r: PerfResult) {
            ProgressLog.say(
                "  \(name): \(format(r.qps)) queries/s, latency p50 \(format(r.p50 * 1000)) µs, p99 \(format(r.p99 * 1000)) µs, "
                    + "RSS \(format(r.rss)) MiB, lost \(r.lost)"
            )
        }
        row("swiftlet dns", ours)
        row("NSD \(nsdVersion())", theirs)
        ProgressLog.say("  ratio swiftlet / NSD: \(format(100 * ours.qps / theirs.qps))% of its queries/s")
    }

    func launch(_ argv: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: HostCommand.which(argv[0]) ?? argv[0])
        p.arguments = Array(argv.dropFirst())
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    func perf(port: Int, dir: URL, pid: Int32) async throws -> PerfResult {
        let out = dir.appendingPathComponent("dnsperf-\(port).txt")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: HostCommand.which("taskset")!)
        p.arguments = [
            "-c", "1", HostCommand.which("dnsperf")!, "-s", "127.0.0.1", "-p", String(port), "-d",
            dir.appendingPathComponent("queries").path, "-l", "10", "-c", "4", "-q", "100", "-v",
        ]
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = FileHandle.nullDevice
        try p.run()
        while p.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        let text = try String(contentsOf: out, encoding: .utf8)
        var latencies: [Double] = []
        var qps = 0.0, lost = "?"
        for line in text.split(separator: "\n") {
            if line.hasPrefix("> "), let v = line.split(separator: " ").last.flatMap({ Double($0) }) {
                latencies.append(v * 1000)
            }
            if line.contains("Queries per second:") { qps = Double(line.split(separator: " ").last ?? "") ?? 0 }
            if line.contains("Queries lost:") {
                lost =
                    line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "?"
            }
        }
        let s = Stats(samples: latencies)
        return PerfResult(qps: qps, p50: s.percentile(0.5), p99: s.percentile(0.99), rss: treeRSS(pid), lost: lost)
    }

    func killTree(_ pid: Int32) {
        for p in descendants(of: pid).reversed() { kill(p, SIGKILL) }
        kill(pid, SIGKILL)
    }

    func nsdVersion() -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: HostCommand.which("nsd")!)
        p.arguments = ["-v"]
        let pipe = Pipe()
        p.standardError = pipe
        p.standardOutput = pipe
        try? p.run()
        p.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return text.split(separator: "\n").first.map(String.init) ?? "NSD"
    }
}

private func exchangeCode(port: Int, name: String) -> Int {
    let fd = udpSocket(timeout: 1)
    defer { close(fd) }
    return exchange(fd, port: port, name: name, id: 4242)
}

final class PortBox: Sendable {
    private let port = Mutex<Int?>(nil)
    func set(_ p: Int) { port.withLock { $0 = p } }
    func get() -> Int? { port.withLock { $0 } }
}

private func udpSocket(timeout: Int) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    var tv = timeval(tv_sec: timeout, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    return fd
}

/// One A query; returns the rcode, or -1 on timeout.
private func exchange(_ fd: Int32, port: Int, name: String, id: UInt16) -> Int {
    var q = DNSMessage()
    q.id = id
    q.recursionDesired = true
    q.questions = [DNSQuestion(name: name, type: DNSType.a)]
    let bytes = q.encode()
    var sin = sockaddr_in()
    sin.sin_family = sa_family_t(AF_INET)
    sin.sin_port = UInt16(port).bigEndian
    sin.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &sin) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
            bytes.withUnsafeBytes {
                sendto(fd, $0.baseAddress, $0.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }
    var buf = [UInt8](repeating: 0, count: 1500)
    while true {
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { return -1 }
        guard let m = try? DNSMessage(bytes: Array(buf[0..<n])), m.id == id else { continue }
        return m.answers.isEmpty && m.rcode == .noError ? 99 : Int(m.rcode.rawValue)
    }
}
