import Foundation
import HostCommands
import Testing

@Suite struct HostCommandTests {
    /// A child that exits without reading its input used to be a fatal error in the writer
    /// (the Python client's create-then-delete of a pod, whose `ip … netns` failed at once).
    @Test func aChildThatIgnoresItsInputIsAFailureNotACrash() async throws {
        signal(SIGPIPE, SIG_IGN)  // as `swiftlet` sets it first thing
        let big = String(repeating: "x", count: 1 << 20)
        await #expect(throws: HostCommand.Failure.self) { try await HostCommand.run("false", [], input: big) }
        #expect(try await HostCommand.run("true", [], input: big) == "")
    }

    @Test func bothOutputsAreReadWhole() async throws {
        // More than a pipe holds on each stream at once.
        let out = try await HostCommand.run(
            "sh",
            ["-c", "head -c 200000 /dev/zero | tr '\\\\0' o; head -c 200000 /dev/zero | tr '\\\\0' e >&2"]
        )
        #expect(out.count == 200_000)
        do {
            try await HostCommand.run("sh", ["-c", "echo nope >&2; exit 3"])
            Issue.record("expected a failure")
        } catch let f as HostCommand.Failure {
            #expect(f.status == 3 && f.stderr == "nope\n")
        }
    }
}
