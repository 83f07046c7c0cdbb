import CNFTables
import Foundation
import HostCommands
import Synchronization

/// Where rulesets go: the kernel of one network namespace, or a fake in tests.
public protocol Dataplane: Sendable {
    /// Applies an `nft -f` script as one transaction; throws if the kernel refused it.
    func apply(_ script: String) async throws
    /// Deletes the conntrack entries a `conntrack -D` filter selects (none may match).
    func deleteConntrack(_ filter: [String]) async
}

/// Transactions through libnftables, on a context that stays open in one network namespace
/// (`CNFTables` says why: no process per change, no wait on socket close).
public final class NFTablesSession: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { "nft: " + message.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    public let netnsPath: String?
    /// The libnftables context, opened on first use.
    private let handle = Mutex<OpaquePointer?>(nil)
    /// Held for a whole transaction: one at a time per session, so a context is never
    /// closed under another caller.
    private let running = Mutex(())

    /// `netnsPath` nil: the process's own network namespace.
    public init(netnsPath: String?) { self.netnsPath = netnsPath }

    deinit { if let h = handle.withLock({ $0 }) { swiftlet_nft_close(h) } }

    private func open() throws -> OpaquePointer {
        let netnsPath = self.netnsPath
        return try handle.withLock { handle in
            if let handle { return handle }
            guard let h = swiftlet_nft_open(netnsPath) else {
                throw Failure(
                    message:
                        "cannot open libnftables in \(netnsPath ?? "this network namespace"): \(String(cString: strerror(errno)))"
                )
            }
            handle = h
            return h
        }
    }

    /// Runs the script as one transaction, on the blocking pool (the call blocks its thread).
    public func run(_ script: String) async throws {
        try await BlockingPool.run { try self.runBlocking(script) }
    }

    /// Scripts this large (full syncs) leave libnftables holding everything they declared in
    /// its cache: the context is closed after one, and the next transaction opens a fresh one.
    static let largeScript = 256 * 1024

    private func runBlocking(_ script: String) throws {
        try running.withLock { _ in
            let h = try open()
            var error: UnsafeMutablePointer<CChar>?
            let status = swiftlet_nft_run(h, script, &error)
            if script.utf8.count >= Self.largeScript {
                let closing = UInt(bitPattern: h)
                handle.withLock { if $0.map({ UInt(bitPattern: $0) }) == closing { $0 = nil } }
                swiftlet_nft_close(h)
            }
            guard status != 0 else { return }
            let message = error.map { String(cString: $0) } ?? "the transaction failed"
            free(error)
            throw Failure(message: message)
        }
    }
}

/// `nft` and `conntrack` run inside a named network namespace (`/run/netns/<name>`).
public struct NamespaceDataplane: Dataplane {
    public let namespace: String
    let session: NFTablesSession

    public init(namespace: String) {
        self.namespace = namespace
        session = NFTablesSession(netnsPath: "/run/netns/\(namespace)")
    }

    var nsenter: [String] { ["--net=/run/netns/\(namespace)"] }

    public func apply(_ script: String) async throws {
        try await session.run(script)
    }

    public func deleteConntrack(_ filter: [String]) async {
        // Exit status 1 means nothing matched, which is fine.
        _ = try? await HostCommand.run("nsenter", nsenter + ["conntrack", "-D"] + filter)
    }

    /// Removes the proxy's table (when the node stops for good).
    public func deleteTable(_ table: String) async {
        _ = try? await HostCommand.run("nsenter", nsenter + ["nft", "delete", "table", "ip", table])
    }
}

/// `nft` and `conntrack` in the process's own network namespace (the host's).
public struct HostDataplane: Dataplane {
    let session = NFTablesSession(netnsPath: nil)

    public init() {}

    public func apply(_ script: String) async throws {
        try await session.run(script)
    }

    public func deleteConntrack(_ filter: [String]) async {
        _ = try? await HostCommand.run("conntrack", ["-D"] + filter)
    }
}
