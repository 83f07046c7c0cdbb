import Foundation
import HostCommands

/// Runs a command inside a pod (through `swiftlet pod-exec`), streaming its output.
enum PodExec {
    /// Stream ids as the Kubernetes exec protocol numbers them.
    static let stdout: UInt8 = 1
    static let stderr: UInt8 = 2

    /// Returns the exit code (126/127 when the command cannot run, 137 when killed at the timeout).
    static func run(
        executable: String,
        arguments: [String],
        environment: [String: String],
        stdin: Data?,
        timeout: Duration?,
        output: @escaping @Sendable (UInt8, Data) -> Void
    ) async -> Int32 {
        let out = HostCommand.pipe(), err = HostCommand.pipe(), inp = HostCommand.pipe()
        let process: ContainerProcess
        do {
            process = try ContainerProcess(
                executable: executable,
                arguments: arguments,
                environment: environment,
                logFile: URL(fileURLWithPath: "/dev/null"),
                stdin: stdin == nil ? nil : inp.fileHandleForReading,
                stdout: out,
                stderr: err
            )
            try process.start()
        } catch {
            output(Self.stderr, Data("cannot start: \(error)\n".utf8))
            return 126
        }
        let done = DispatchGroup()
        for (pipe, id) in [(out, Self.stdout), (err, Self.stderr)] {
            done.enter()
            BlockingThread.run {
                let h = pipe.fileHandleForReading
                while true {
                    let chunk = h.availableData
                    if chunk.isEmpty { break }
                    output(id, chunk)
                }
                done.leave()
            }
        }
        if let stdin {
            BlockingThread.run {
                inp.fileHandleForWriting.write(stdin)
                try? inp.fileHandleForWriting.close()
            }
        }
        let killer = timeout.map { t in
            Task {
                try? await Task.sleep(for: t)
                if !Task.isCancelled { process.signal(SIGKILL) }
            }
        }
        let exit = await process.wait()
        killer?.cancel()
        await withCheckedContinuation { c in done.notify(queue: .global()) { c.resume() } }
        return exit.code
    }
}
