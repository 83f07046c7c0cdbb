import Foundation
import Testing

@testable import KubeStore

/// A 3-member etcd cluster on loopback: the store keeps reading, writing and watching
/// when the member it talks to dies.
@Suite(.enabled(if: EtcdServer.binary != nil, "needs etcd (scripts/install-deps.sh installs it)"))
struct EtcdFailoverTests {
    final class Cluster: @unchecked Sendable {
        var members: [(client: String, process: Process)] = []
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-etcd3-\(UUID().uuidString)")

        init() throws {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let ports = (0..<3).map { _ in (EtcdServer.freePort(), EtcdServer.freePort()) }
            let initial = ports.enumerated().map { "m\($0.offset)=http://127.0.0.1:\($0.element.1)" }.joined(
                separator: ","
            )
            for (i, (client, peer)) in ports.enumerated() {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: try #require(EtcdServer.binary))
                let c = "http://127.0.0.1:\(client)", pe = "http://127.0.0.1:\(peer)"
                p.arguments = [
                    "--name", "m\(i)", "--data-dir", dir.appendingPathComponent("m\(i)").path,
                    "--listen-client-urls", c, "--advertise-client-urls", c, "--listen-peer-urls", pe,
                    "--initial-advertise-peer-urls", pe, "--initial-cluster", initial, "--log-level", "error",
                ]
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                try p.run()
                members.append((c, p))
            }
        }

        func stop() {
            for m in members where m.process.isRunning { m.process.terminate() }
            for m in members { m.process.waitUntilExit() }
            try? FileManager.default.removeItem(at: dir)
        }
    }

    @Test func writesAndWatchesSurviveTheLossOfTheMemberInUse() async throws {
        let cluster = try Cluster()
        defer { cluster.stop() }
        let store = try EtcdStore(endpoints: cluster.members.map(\.client))
        var ready = false
        for _ in 0..<200 where !ready {
            ready = (try? await store.create("/ready", value: [1])) != nil
            if !ready { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(ready, "the etcd cluster did not start")
        let start = try await store.currentRevision()
        let stream = try await store.watch(prefix: "/f/", afterRevision: start)
        for i in 0..<20 { _ = try await store.create("/f/\(i)", value: Array("\(i)".utf8)) }
        // The store talks to the first member: kill it.
        cluster.members[0].process.terminate()
        cluster.members[0].process.waitUntilExit()
        var written = 20
        let deadline = ContinuousClock.now + .seconds(30)
        while written < 40, ContinuousClock.now < deadline {
            // A write may fail while the cluster elects a new leader; it is retried, never lost.
            if (try? await store.create("/f/\(written)", value: Array("\(written)".utf8))) != nil {
                written += 1
            } else {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        #expect(written == 40)
        let events = try await collect(stream, count: 40)
        #expect(events.map(\.kv.key) == (0..<40).map { "/f/\($0)" }, "every event once, in order, across the failover")
        #expect(try await store.count(prefix: "/f/") == 40)
        await store.close()
    }
}
