import Controllers
import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import Logging
import Testing

@Suite struct LeaderElectionTests {
    /// The safety half of leader election: a leader whose renewals stop being answered (a
    /// request that hangs rather than fails) stops leading while the Lease it last renewed is
    /// still valid, so no other candidate can have taken over while it still leads.
    @Test func aLeaderWhoseRenewalsHangStopsLeadingBeforeItsLeaseRunsOut() async throws {
        let server = try FakeLeaseServer()
        defer { server.stop() }
        let client = try KubeClient(
            credentials: ClusterCredentials(
                servers: ["http://127.0.0.1:\(server.port)"],
                caPEM: FakeLeaseServer.unusedCA,
                token: "t"
            )
        )
        var config = LeaderElector.Configuration(name: "test-controllers", identity: "candidate-a")
        config.leaseDuration = .seconds(3)
        config.renewDeadline = .seconds(1)
        config.retryPeriod = .milliseconds(200)
        let elector = LeaderElector(client: client, config: config, logger: Logger(label: "test"))
        let (events, sink) = AsyncStream<String>.makeStream()
        let run = Task {
            await elector.run {
                sink.yield("leading")
                while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(10)) }
                sink.yield("stopped")
            }
        }
        var next = events.makeAsyncIterator()
        #expect(await next.next() == "leading")
        server.hang()
        #expect(await next.next() == "stopped")
        let stoppedAt = Date()
        let lease = try #require(server.lastWrite)
        #expect(lease.json[path: ["spec", "holderIdentity"]] == "candidate-a")
        #expect(stoppedAt < lease.at.addingTimeInterval(3), "led past the lease's expiry")
        #expect(server.held >= 1, "no renewal was held unanswered")
        // Stopping while the server still holds every request: giving the Lease up is tried and
        // abandoned at the deadline (before, this waited for the 30 s request timeout).
        run.cancel()
        await run.value
        await client.shutdown()
    }
}

/// An API server that knows one Lease and can stop answering: requests then are read and held
/// open, as a wedged server would hold them.
final class FakeLeaseServer: @unchecked Sendable {
    /// The fake speaks plain HTTP; a client still wants a CA to trust, and this one signs nothing.
    static let unusedCA = """
        -----BEGIN CERTIFICATE-----
        MIIBkzCCATugAwIBAgIUCInHbOWQNcdOKOWIo3aKovNLCSUwCgYIKoZIzj0EAwIw
        HzEdMBsGA1UEAwwUZmFrZS1sZWFzZS1zZXJ2ZXItY2EwIBcNMjYxMjA1MDMzMDU2
        WhgPMjEyNjExMTEwMzMwNTZaMB8xHTAbBgNVBAMMFGZha2UtbGVhc2Utc2VydmVy
        LWNhMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEwLeeQfzkUNhfHmycZWQFGitp
        soh3mcelPpXNhFhbVIxqhYWzzQT39ex2eGTyqauGMPxPypYPy5oIpxjLK+N3g6NT
        MFEwHQYDVR0OBBYEFDSEfgPDPLYOr8YnccF26dJnESVBMB8GA1UdIwQYMBaAFDSE
        fgPDPLYOr8YnccF26dJnESVBMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwID
        RgAwQwIfJequPZ0eV7Oui/4K1PtRqrpcxfLvUjAzIXAOvo/CFwIgayTdGjBYNxlO
        M+pTRLxbWaglJo9wUoQMUGZPHk21koM=
        -----END CERTIFICATE-----
        """

    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var lease: JSON?
    private var revision = 0
    private var hanging = false
    private var connections: [Int32] = []
    private var heldCount = 0
    private var written: (json: JSON, at: Date)?

    var held: Int { lock.withLock { heldCount } }
    /// The Lease as last created or updated, and when.
    var lastWrite: (json: JSON, at: Date)? { lock.withLock { written } }

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, len) == 0 && getsockname(listener, $0, &len) == 0
            }
        }
        guard bound, listen(listener, 16) == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
        port = Int(UInt16(bigEndian: addr.sin_port))
        self.listener = listener
        Thread.detachNewThread { [self] in
            while true {
                let fd = accept(listener, nil, nil)
                if fd < 0 { return }
                lock.withLock { connections.append(fd) }
                Thread.detachNewThread { [self] in serve(fd) }
            }
        }
    }

    func hang() { lock.withLock { hanging = true } }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in lock.withLock({ connections }) { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var buffer: [UInt8] = []
        func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { return false }
            buffer += chunk[0..<n]
            return true
        }
        while true {
            var headEnd: Int?
            while headEnd == nil {
                headEnd = buffer.indices.dropLast(3).first {
                    buffer[$0] == 13 && buffer[$0 + 1] == 10 && buffer[$0 + 2] == 13 && buffer[$0 + 3] == 10
                }
                if headEnd == nil, !fill() { return }
            }
            let head = String(decoding: buffer[..<headEnd!], as: UTF8.self).split(separator: "\r\n")
            let length =
                head.dropFirst().compactMap { line -> Int? in
                    let kv = line.split(separator: ":", maxSplits: 1)
                    return kv.count == 2 && kv[0].lowercased() == "content-length"
                        ? Int(kv[1].trimmingCharacters(in: .whitespaces)) : nil
                }.first ?? 0
            while buffer.count < headEnd! + 4 + length { if !fill() { return } }
            let body = Array(buffer[(headEnd! + 4)..<(headEnd! + 4 + length)])
            buffer.removeFirst(headEnd! + 4 + length)
            let requestLine = head.first?.split(separator: " ") ?? []
            let method = requestLine.first.map(String.init) ?? ""
            if lock.withLock({
                hanging
                    ? {
                        heldCount += 1
                        return true
                    }() : false
            }) {
                while fill() {}  // held until the client gives up and closes
                return
            }
            let (code, reply) = respond(method: method, body: body)
            let bytes = reply.serialized()
            let header =
                "HTTP/1.1 \(code) X\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\n\r\n"
            let out = Array(header.utf8) + bytes
            guard out.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == out.count else { return }
        }
    }

    private func respond(method: String, body: [UInt8]) -> (Int, JSON) {
        lock.withLock {
            switch method {
            case "GET":
                if let lease { return (200, lease) }
                return (404, ["kind": "Status", "code": 404, "reason": "NotFound", "message": "leases not found"])
            case "POST", "PUT":
                guard var obj = try? JSON.parse(body) else { return (400, ["kind": "Status", "code": 400]) }
                if method == "PUT", obj.resourceVersion != lease?.resourceVersion {
                    return (
                        409,
                        [
                            "kind": "Status", "code": 409, "reason": "Conflict",
                            "message": "the object has been modified",
                        ]
                    )
                }
                revision += 1
                obj[path: ["metadata", "resourceVersion"]] = .string(String(revision))
                lease = obj
                written = (obj, Date())
                return (method == "POST" ? 201 : 200, obj)
            default:
                return (405, ["kind": "Status", "code": 405])
            }
        }
    }
}
