import Foundation
import HostCommands

/// Where rulesets go: the kernel of one network namespace, or a fake in tests.
public protocol Dataplane: Sendable {
    /// Applies an `nft -f` script as one transaction; throws if the kernel refused it.
    func apply(_ script: String) async throws
    /// Deletes the conntrack entries a `conntrack -D` filter selects (none may match).
    func deleteConntrack(_ filter: [String]) async
}

/// `nft` and `conntrack` run inside a named network namespace (`/run/netns/<name>`).
public struct NamespaceDataplane: Dataplane {
    public let namespace: String

    public init(namespace: String) { self.namespace = namespace }

    var nsenter: [String] { ["--net=/run/netns/\(namespace)"] }

    public func apply(_ script: String) async throws {
        try await HostCommand.run("nsenter", nsenter + ["nft", "-f", "-"], input: script)
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
    public init() {}

    public func apply(_ script: String) async throws {
        try await HostCommand.run("nft", ["-f", "-"], input: script)
    }

    public func deleteConntrack(_ filter: [String]) async {
        _ = try? await HostCommand.run("conntrack", ["-D"] + filter)
    }
}
