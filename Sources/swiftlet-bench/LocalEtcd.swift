import ArgumentParser
import Foundation
import HostCommands
import SwiftletCluster

/// An etcd cluster of `members` on loopback ports and a scratch directory, for benchmarks
/// (each member is Debian's `etcd`, started and stopped here).
final class LocalEtcdCluster {
    struct Member {
        var name: String
        var clientURL: String
        var peerURL: String
        var process: Process
    }

    let dir: URL
    private(set) var members: [Member] = []

    var storeURL: String {
        "etcd://" + members.map { $0.clientURL.replacingOccurrences(of: "http://", with: "") }.joined(separator: ",")
    }

    init(members count: Int) throws {
        guard let etcd = HostCommand.which("etcd") else {
            throw ValidationError(
                "etcd is not installed: `apt-get install etcd-server` (scripts/install-deps.sh does it)"
            )
        }
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-etcd-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let ports = try (0..<count).map { _ in (try freeLoopbackPort(), try freeLoopbackPort()) }
        let names = (0..<count).map { "m\($0)" }
        let initial = zip(names, ports).map { "\($0)=http://127.0.0.1:\($1.1)" }.joined(separator: ",")
        for (name, (client, peer)) in zip(names, ports) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: etcd)
            let clientURL = "http://127.0.0.1:\(client)", peerURL = "http://127.0.0.1:\(peer)"
            p.arguments = [
                "--name", name, "--data-dir", dir.appendingPathComponent(name).path,
                "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
                "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
                "--initial-cluster", initial, "--initial-cluster-state", "new", "--log-level", "error",
            ]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try HostCommand.launch(p)
            members.append(Member(name: name, clientURL: clientURL, peerURL: peerURL, process: p))
        }
    }

    /// Waits until every member answers a read (the cluster has a leader).
    func waitReady() async throws {
        for m in members {
            var ok = false
            for _ in 0..<200 where !ok {
                ok =
                    (try? await HostCommand.run(
                        "curl",
                        [
                            "-s", "-f", "-m", "1", "-X", "POST", m.clientURL + "/v3/kv/range",
                            "-d", #"{"key":"Lw=="}"#,
                        ]
                    )) != nil
                if !ok { try await Task.sleep(for: .milliseconds(50)) }
            }
            guard ok else { throw ValidationError("etcd member \(m.name) at \(m.clientURL) did not start") }
        }
    }

    func stop() {
        for m in members where m.process.isRunning { m.process.terminate() }
        for m in members { m.process.waitUntilExit() }
        try? FileManager.default.removeItem(at: dir)
    }
}
