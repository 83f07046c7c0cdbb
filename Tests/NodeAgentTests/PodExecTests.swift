import Foundation
import Synchronization
import Testing

@testable import NodeAgent

@Suite struct PodExecTests {
    final class Collected: Sendable {
        let streams = Mutex<[UInt8: Data]>([:])
        func add(_ id: UInt8, _ data: Data) { streams.withLock { $0[id, default: Data()].append(data) } }
        func text(_ id: UInt8) -> String { String(decoding: streams.withLock { $0[id] ?? Data() }, as: UTF8.self) }
    }

    func exec(_ script: String, stdin: Data? = nil, timeout: Duration = .seconds(20)) async -> (Int32, Collected) {
        let got = Collected()
        let code = await PodExec.run(
            executable: "/bin/sh",
            arguments: ["-c", script],
            environment: ["PATH": "/usr/bin:/bin"],
            stdin: stdin,
            timeout: timeout
        ) { got.add($0, $1) }
        return (code, got)
    }

    @Test func streamsStdoutStderrAndStdinAndReturnsTheExitCode() async {
        let (code, got) = await exec("echo out; echo err >&2; cat; exit 3", stdin: Data("hello".utf8))
        #expect(code == 3)
        #expect(got.text(PodExec.stdout) == "out\nhello")
        #expect(got.text(PodExec.stderr) == "err\n")
    }

    @Test func largeOutputArrivesWhole() async {
        // Far more than a pipe holds: the reader must keep up while the child writes.
        let (code, got) = await exec("head -c 1048576 /dev/zero | tr '\\0' 'x'")
        #expect(code == 0)
        #expect(got.text(PodExec.stdout).count == 1_048_576)
    }

    @Test func aChildThatIgnoresItsStdinStillEnds() async {
        let big = Data(repeating: 0x61, count: 1 << 20)
        let (code, _) = await exec("exit 0", stdin: big)
        #expect(code == 0)
    }

    @Test func theTimeoutKillsIt() async {
        let (code, _) = await exec("sleep 30", timeout: .milliseconds(300))
        #expect(code == 137)
    }

    @Test func manyAtOnce() async {
        let codes = await withTaskGroup(of: (Int32, String).self) { group in
            for i in 0..<24 {
                group.addTask {
                    let (code, got) = await exec("sleep 0.2; echo \(i)")
                    return (code, got.text(PodExec.stdout))
                }
            }
            return await group.reduce(into: [(Int32, String)]()) { $0.append($1) }
        }
        #expect(codes.count == 24 && codes.allSatisfy { $0.0 == 0 })
        #expect(Set(codes.map(\.1)) == Set((0..<24).map { "\($0)\n" }))
    }
}
