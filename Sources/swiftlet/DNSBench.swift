import ArgumentParser
import ClusterDNS
import Foundation
import KubeAPI
import KubeClient
import Logging
import ServiceLifecycle

/// `swiftlet bench dns`: query throughput and latency of the cluster DNS server, and how
/// fast a change made through the API is answered.
struct DNSBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dns", abstract: "Cluster DNS: queries/s, latency, freshness.")

    @Option(help: "Services in the cluster.") var services = 10_000
    @Option(help: "Changes to time.") var changes = 50
    @Option(help: "Seconds of queries.") var seconds = 3.0

    func run() async throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let client = try await server.waitReady()
        print("Cluster DNS benchmark: \(services) services (SQLite API server in a child process; DNS in this process on 127.0.0.1)")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<8 {
                group.addTask {
                    for i in stride(from: c, to: services, by: 8) {
                        let svc: JSON = ["apiVersion": "v1", "kind": "Service", "metadata": ["name": .string("svc-\(i)")],
                                         "spec": ["ports": [["name": "http", "port": 80]]]]
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
        let group = ServiceGroup(configuration: .init(services: [.init(service: watcher), .init(service: dns)], logger: logger))
        let running = Task { try await group.run() }
        defer { running.cancel() }
        while bound.get() == nil || engine.current.services.count < services { try await Task.sleep(for: .milliseconds(20)) }
        let port = bound.get()!
        print("zone loaded; process RSS \(format(rssMiB(pid: getpid()))) MiB (before the DNS server: \(format(rssBefore)) MiB)")

        // Throughput: one blocking client thread, a new name each time (no client cache).
        let fd = udpSocket(timeout: 1)
        defer { close(fd) }
        var lat: [Double] = []
        let end = Date().addingTimeInterval(seconds)
        var i = 0
        while Date() < end {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = exchange(fd, port: port, name: "svc-\(i % services).default.svc.cluster.local", id: UInt16(truncatingIfNeeded: i))
            lat.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            i += 1
        }
        let l = Stats(samples: lat)
        print("UDP queries, 1 client: \(format(Double(lat.count) / seconds)) queries/s, p50 \(format(l.percentile(0.5) * 1000)) µs, "
              + "p99 \(format(l.percentile(0.99) * 1000)) µs")

        // Freshness: a Service created through the API, until its name answers.
        var fresh: [Double] = []
        let clock = ContinuousClock()
        for n in 0..<changes {
            let name = "fresh-\(n)"
            let start = clock.now
            _ = try await client.create(Resources.services, namespace: "default",
                                        ["apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name)],
                                         "spec": ["ports": [["port": 80]]]])
            while exchange(fd, port: port, name: "\(name).default.svc.cluster.local", id: UInt16(n)) != 0 {
                try await Task.sleep(for: .milliseconds(1))
            }
            fresh.append(Stats.ms(clock.now - start))
        }
        let f = Stats(samples: fresh)
        print("API create → name answers: p50 \(format(f.percentile(0.5))) ms, p99 \(format(f.percentile(0.99))) ms")
        running.cancel()
        await client.shutdown()
    }
}

final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?
    func set(_ p: Int) { lock.withLock { port = p } }
    func get() -> Int? { lock.withLock { port } }
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
            bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
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
