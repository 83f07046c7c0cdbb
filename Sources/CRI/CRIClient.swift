import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Logging

/// The labels Swiftlet puts on its pod sandboxes, besides kubelet's.
public enum CRILabels {
    /// The cluster a sandbox belongs to: a runtime Swiftlet does not own may hold others'.
    public static let cluster = "swiftlet.dev/cluster"
}

/// A connection to a container runtime's CRI socket (containerd's `…/containerd.sock`),
/// kept open until `close()`.
public final class CRIClient: Sendable {
    let grpc: GRPCClient<HTTP2ClientTransport.Posix>
    public let runtime: Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>
    public let images: Runtime_V1_ImageService.Client<HTTP2ClientTransport.Posix>
    public let socketPath: String
    private let connections: Task<Void, Never>

    /// `endpoint` is a socket path or a `unix://` URL, as kubelet's `--container-runtime-endpoint`.
    public init(socketPath endpoint: String) throws {
        let path = endpoint.hasPrefix("unix://") ? String(endpoint.dropFirst("unix://".count)) : endpoint
        socketPath = path
        let transport = try HTTP2ClientTransport.Posix(
            target: .unixDomainSocket(path: path),
            transportSecurity: .plaintext
        )
        let grpc = GRPCClient(transport: transport)
        self.grpc = grpc
        runtime = Runtime_V1_RuntimeService.Client(wrapping: grpc)
        images = Runtime_V1_ImageService.Client(wrapping: grpc)
        connections = Task { try? await grpc.runConnections() }
    }

    public func close() { grpc.beginGracefulShutdown() }

    /// The runtime's name and version, e.g. `containerd 1.6.20~ds1` (API v1).
    public func version() async throws -> Runtime_V1_VersionResponse {
        var r = Runtime_V1_VersionRequest()
        r.version = "v1"
        return try await runtime.version(r, options: .timeout(.seconds(2)))
    }

    /// Stops and removes every pod sandbox the runtime holds (with their containers), or only
    /// those with the label given: what is left when a cluster stops or after a crash.
    public func removeAllSandboxes(labelled label: String? = nil, _ value: String = "", logger: Logger) async {
        var request = Runtime_V1_ListPodSandboxRequest()
        if let label { request.filter.labelSelector = [label: value] }
        guard let list = try? await runtime.listPodSandbox(request) else { return }
        await withTaskGroup(of: Void.self) { group in
            for sandbox in list.items {
                group.addTask {
                    do {
                        try await self.removeSandbox(sandbox.id)
                    } catch {
                        logger.warning("could not remove pod sandbox \(sandbox.id): \(error)")
                    }
                }
            }
        }
    }

    /// The runtime's own words, without gRPC's framing.
    public static func describe(_ error: any Error) -> String {
        if let e = error as? RPCError { return e.message }
        return "\(error)"
    }

    public func removeSandbox(_ id: String) async throws {
        var stop = Runtime_V1_StopPodSandboxRequest()
        stop.podSandboxID = id
        _ = try await runtime.stopPodSandbox(stop)
        var remove = Runtime_V1_RemovePodSandboxRequest()
        remove.podSandboxID = id
        _ = try await runtime.removePodSandbox(remove)
    }
}

extension GRPCCore.CallOptions {
    public static func timeout(_ d: Duration) -> Self {
        var o = Self.defaults
        o.timeout = d
        return o
    }
}
