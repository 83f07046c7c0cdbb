import Foundation
import HostCommands
import Synchronization

/// A child process of the agent whose end is awaited (`ctr tasks exec` behind
/// `kubectl exec`), in a process group of its own so a timeout can end all of it.
final class ContainerProcess: Sendable {
    struct Exit: Sendable {
        var code: Int32
        var signal: Int32?
    }

    private let process = Process()
    private struct State {
        var exit: Exit?
        var waiters: [CheckedContinuation<Exit, Never>] = []
    }
    private let state = Mutex(State())

    var pid: Int32 { process.processIdentifier }

    init(
        executable: String,
        arguments: [String],
        environment: [String: String],
        stdin: FileHandle?,
        stdout: Pipe,
        stderr: Pipe
    ) {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin ?? FileHandle.nullDevice
        process.terminationHandler = { [weak self] p in
            let e =
                p.terminationReason == .uncaughtSignal
                ? Exit(code: 128 + p.terminationStatus, signal: p.terminationStatus)
                : Exit(code: p.terminationStatus, signal: nil)
            self?.finish(e)
        }
    }

    func start() throws { try HostCommand.launch(process) }

    private func finish(_ e: Exit) {
        let w: [CheckedContinuation<Exit, Never>] = state.withLock { s in
            s.exit = e
            defer { s.waiters = [] }
            return s.waiters
        }
        for c in w { c.resume(returning: e) }
    }

    var hasExited: Bool { state.withLock { $0.exit != nil } }

    func wait() async -> Exit {
        await withCheckedContinuation { c in
            let done: Exit? = state.withLock { s in
                if let exit = s.exit { return exit }
                s.waiters.append(c)
                return nil
            }
            if let done { c.resume(returning: done) }
        }
    }

    func signal(_ sig: Int32) {
        if !hasExited, pid > 0 { kill(pid, sig) }
    }

    /// Signals the child and everything it started, when it leads a process group of its
    /// own (as children started here do): a shell's children go too.
    func signalGroup(_ sig: Int32) {
        guard !hasExited, pid > 0 else { return }
        if getpgid(pid) == pid { kill(-pid, sig) } else { kill(pid, sig) }
    }
}
