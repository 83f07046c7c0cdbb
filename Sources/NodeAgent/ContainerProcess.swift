import Foundation
import HostCommands

/// One running container: a child process started through `swiftlet pod-exec`, which
/// enters the pod's network namespace, sets its hostname and DNS files, and execs the
/// container's command. Output goes to the container's log file.
final class ContainerProcess: @unchecked Sendable {
    struct Exit: Sendable {
        var code: Int32
        var signal: Int32?
    }

    private let process = Process()
    private let lock = NSLock()
    private var exit: Exit?
    private var waiters: [CheckedContinuation<Exit, Never>] = []

    var pid: Int32 { process.processIdentifier }

    init(executable: String, arguments: [String], environment: [String: String], logFile: URL,
         stdin: FileHandle? = nil, stdout: Any? = nil, stderr: Any? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        if let stdout {
            process.standardOutput = stdout
            process.standardError = stderr ?? stdout
        } else {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
            let log = try FileHandle(forWritingTo: logFile)
            log.seekToEndOfFile()
            process.standardOutput = log
            process.standardError = log
        }
        process.standardInput = stdin ?? FileHandle.nullDevice
        process.terminationHandler = { [weak self] p in
            let e = p.terminationReason == .uncaughtSignal
                ? Exit(code: 128 + p.terminationStatus, signal: p.terminationStatus)
                : Exit(code: p.terminationStatus, signal: nil)
            self?.finish(e)
        }
    }

    func start() throws { try HostCommand.launch(process) }

    private func finish(_ e: Exit) {
        let w: [CheckedContinuation<Exit, Never>] = lock.withLock {
            exit = e
            defer { waiters = [] }
            return waiters
        }
        for c in w { c.resume(returning: e) }
    }

    var hasExited: Bool { lock.withLock { exit != nil } }

    func wait() async -> Exit {
        await withCheckedContinuation { c in
            let done: Exit? = lock.withLock {
                if let exit { return exit }
                waiters.append(c)
                return nil
            }
            if let done { c.resume(returning: done) }
        }
    }

    func signal(_ sig: Int32) {
        if !hasExited, pid > 0 { kill(pid, sig) }
    }
}
