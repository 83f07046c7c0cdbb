import Dispatch
import Foundation
import Synchronization

/// `defer` does not run when a signal ends a process, so a benchmark also registers here what
/// it made outside itself (child processes, network namespaces, scratch directories). On
/// SIGINT or SIGTERM the clean-ups run, newest first, then whatever child processes remain
/// are stopped, and the process ends as the signal would have ended it.
enum BenchInterruption {
    private struct State {
        var next = 0
        var cleanups: [Int: @Sendable () -> Void] = [:]
        var installed = false
    }
    private static let state = Mutex(State())

    /// Registers `cleanup` for an interruption; pass the token to `remove` once the normal path
    /// has cleaned up.
    static func onInterrupt(_ cleanup: @escaping @Sendable () -> Void) -> Int {
        let (token, install) = state.withLock { s -> (Int, Bool) in
            s.next += 1
            s.cleanups[s.next] = cleanup
            defer { s.installed = true }
            return (s.next, !s.installed)
        }
        if install { for sig in [SIGINT, SIGTERM] { handle(sig) } }
        return token
    }

    static func remove(_ token: Int) {
        _ = state.withLock { $0.cleanups.removeValue(forKey: token) }
    }

    /// Kept so the sources live; written only by the one call that installs them.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    private static func handle(_ sig: Int32) {
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler {
            let cleanups = state.withLock { s in
                defer { s.cleanups = [:] }
                return s.cleanups.sorted { $0.key > $1.key }.map(\.value)
            }
            FileHandle.standardError.write(
                Data("interrupted: stopping the benchmark's processes and removing what it made\n".utf8)
            )
            for cleanup in cleanups { cleanup() }
            for pid in descendants(of: getpid()) { stop(pid, grace: .seconds(2)) }
            signal(sig, SIG_DFL)
            kill(getpid(), sig)
        }
        source.resume()
        sources.append(source)
    }

    /// `signal` to the process, then up to `grace` for it to end, then SIGKILL. Its requests
    /// to this process may still be in flight, so a graceful shutdown can wait on them.
    static func stop(_ pid: Int32, signal: Int32 = SIGTERM, grace: Duration) {
        guard isRunning(pid) else { return }
        kill(pid, signal)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline, isRunning(pid) { usleep(20_000) }
        if isRunning(pid) { kill(pid, SIGKILL) }
    }

    /// Alive and not yet a zombie waiting for Foundation to reap it. A process whose main thread
    /// has returned while others still run (a server stuck in its shutdown) shows "Z" for the
    /// process too, so its threads are asked.
    private static func isRunning(_ pid: Int32) -> Bool {
        guard let fields = procStatFields(pid) else { return false }
        if fields.first != "Z" { return true }
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return threads.contains { procStatFields(pid, thread: $0)?.first.map { $0 != "Z" } ?? false }
    }
}
