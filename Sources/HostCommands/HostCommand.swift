import Foundation
import Synchronization

/// Runs host programs (`ip`, `nft`) and reports failures with their stderr.
public enum HostCommand {
    public struct Failure: Error, CustomStringConvertible {
        public var command: String
        public var status: Int32
        public var stderr: String
        public init(command: String, status: Int32, stderr: String) {
            self.command = command
            self.status = status
            self.stderr = stderr
        }
        public var description: String {
            "`\(command)` failed (exit \(status)): \(stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
    }

    /// The full path of a program on PATH (plus the sbin directories root uses).
    public static func which(_ program: String) -> String? {
        if program.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        let path =
            (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private static let launchLock = NSLock()

    /// Starts a process, one launch at a time in this process. Foundation tracks each child
    /// through a socket the child inherits, without close-on-exec: a second child started
    /// while the first is being launched inherits the first one's socket too, and the first
    /// one's exit then goes unnoticed until the second ends (a hung command, zombies).
    public static func launch(_ p: Process) throws {
        try launchLock.withLock { try p.run() }
    }

    /// A pipe whose ends no other child inherits: close-on-exec, made while no launch is
    /// under way. (An end inherited by a long-lived child — a pod — keeps a pipe open: a
    /// command reading its input to EOF, such as `ip -batch -`, would wait forever.) The
    /// child it is meant for still gets its end, as a duplicate on 0, 1 or 2.
    public static func pipe() -> Pipe {
        launchLock.withLock {
            let p = Pipe()
            for fd in [p.fileHandleForReading.fileDescriptor, p.fileHandleForWriting.fileDescriptor] {
                _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
            }
            return p
        }
    }

    /// Runs a program to completion; returns its stdout, throws `Failure` on a non-zero exit.
    @discardableResult
    public static func run(_ program: String, _ arguments: [String], input: String? = nil) async throws -> String {
        guard let exe = which(program) else {
            throw Failure(
                command: program,
                status: 127,
                stderr: "\(program) is not installed: run scripts/install-deps.sh"
            )
        }
        // `waitUntilExit`, not a termination handler: Foundation can miss the exit of a child
        // that ends before it is registered (a zombie, and a handler never called).
        let result: Result<String, Failure> = try await BlockingPool.run {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = arguments
            let out = pipe(), err = pipe(), inp = pipe()
            p.standardOutput = out
            p.standardError = err
            p.standardInput = input == nil ? FileHandle.nullDevice : inp
            try launch(p)
            if let input {
                // A child that exits without reading its input (a failed `ip`) closes the pipe:
                // the write fails, and the exit status below says why. The non-throwing
                // `write(_:)` turned that into a fatal error that took the process down.
                try? inp.fileHandleForWriting.write(contentsOf: Data(input.utf8))
                try? inp.fileHandleForWriting.close()
            }
            let (outData, errData) = PipeDrain.readToEnd(out.fileHandleForReading, err.fileHandleForReading)
            p.waitUntilExit()
            guard p.terminationStatus == 0 else {
                return .failure(
                    Failure(
                        command: ([program] + arguments).joined(separator: " "),
                        status: p.terminationStatus,
                        stderr: String(decoding: errData, as: UTF8.self)
                    )
                )
            }
            return .success(String(decoding: outData, as: UTF8.self))
        }
        return try result.get()
    }

    /// Kills every process inside a network namespace, then deletes it; false if there was none.
    @discardableResult
    public static func deleteNamespace(_ ns: String) async -> Bool {
        guard FileManager.default.fileExists(atPath: "/run/netns/\(ns)") else { return false }
        if let pids = try? await run("ip", ["netns", "pids", ns]) {
            for p in pids.split(whereSeparator: \.isNewline).compactMap({ Int32($0) }) { kill(p, SIGKILL) }
        }
        return (try? await run("ip", ["netns", "delete", ns])) != nil
    }
}

/// Bytes shared between the threads of a child process's pipes.
public final class LockedData: Sendable {
    private let state = Mutex(Data())
    public init() {}
    public var value: Data {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
