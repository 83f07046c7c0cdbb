import CLinuxNamespaces
import Foundation
import KubeAPI
import KubeMachinery
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The HTTP listeners kube-proxy keeps on a node: one per `healthCheckNodePort` (200 with
/// the number of local endpoints, 503 when there are none, so a load balancer skips nodes
/// without endpoints) and the proxy's own `/healthz` on port 10256. Sockets are created in
/// the node's network namespace and served by NIO from the agent's process.
public actor HealthCheckServers {
    public static let proxyHealthPort = 10256

    let netnsPath: String
    let address: IPv4Address
    let nodeName: String
    let logger: Logger
    let answers = HealthAnswers()
    private var channels: [Int: any Channel] = [:]

    public init(netnsPath: String, address: IPv4Address, nodeName: String, logger: Logger) {
        self.netnsPath = netnsPath
        self.address = address
        self.nodeName = nodeName
        self.logger = logger
    }

    /// Starts the proxy's `/healthz`.
    public func start() async {
        answers.set(Self.proxyHealthPort, .proxy(node: nodeName))
        await listen(Self.proxyHealthPort)
    }

    /// Serves exactly these health checks: opens new ports, closes old ones, updates counts.
    public func reconcile(_ checks: [HealthCheck]) async {
        let wanted = Dictionary(checks.map { ($0.port, $0) }, uniquingKeysWith: { a, _ in a })
        for (port, channel) in channels where port != Self.proxyHealthPort && wanted[port] == nil {
            channels[port] = nil
            answers.set(port, nil)
            try? await channel.close()
        }
        for (port, check) in wanted {
            answers.set(port, .service(check))
            if channels[port] == nil { await listen(port) }
        }
    }

    public func touch() { answers.touch() }

    public func stop() async {
        for c in channels.values { try? await c.close() }
        channels = [:]
    }

    private func listen(_ port: Int) async {
        let fd = swiftlet_tcp_listener_in_netns(netnsPath, address.value.bigEndian, UInt16(port))
        guard fd >= 0 else {
            logger.warning("health check port \(port) cannot listen on \(address): \(String(cString: strerror(-fd)))")
            return
        }
        let answers = self.answers
        do {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .childChannelInitializer { channel in
                    channel.pipeline.configureHTTPServerPipeline().flatMap {
                        channel.pipeline.addHandler(HealthHandler(port: port, answers: answers))
                    }
                }
                .withBoundSocket(fd).get()
            channels[port] = channel
        } catch {
            close(fd)
            logger.warning("health check port \(port): \(error)")
        }
    }
}

/// What each health port answers, shared with the NIO handlers.
final class HealthAnswers: Sendable {
    enum Answer {
        case service(HealthCheck)
        case proxy(node: String)
    }
    private struct State {
        var answers: [Int: Answer] = [:]
        var lastSync = Timestamp.now
    }
    private let state = Mutex(State())

    func set(_ port: Int, _ a: Answer?) { state.withLock { $0.answers[port] = a } }
    func touch() { state.withLock { $0.lastSync = .now } }

    func response(port: Int, path: String) -> (HTTPResponseStatus, String, [(String, String)]) {
        state.withLock { state in
            switch state.answers[port] {
            case .service(let c):
                let body =
                    #"{"service":{"namespace":"\#(c.namespace)","name":"\#(c.name)"},"localEndpoints":\#(c.localEndpoints),"serviceProxyHealthy":true}"#
                return (
                    c.localEndpoints > 0 ? .ok : .serviceUnavailable, body,
                    [("X-Load-Balancing-Endpoint-Weight", String(c.localEndpoints))]
                )
            case .proxy(let node):
                guard path == "/healthz" || path == "/livez" else { return (.notFound, "404 page not found\n", []) }
                let now = Timestamp.now.rfc3339
                let body =
                    #"{"lastUpdated":"\#(state.lastSync.rfc3339)","currentTime":"\#(now)","nodeName":"\#(node)","nodeHealthy":true,"nodeEligible":true}"#
                return (.ok, body, [])
            case nil:
                return (.serviceUnavailable, "{}", [])
            }
        }
    }
}

final class HealthHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let port: Int
    let answers: HealthAnswers

    init(port: Int, answers: HealthAnswers) {
        self.port = port
        self.answers = answers
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "/")
        let (status, body, extra) = answers.response(port: port, path: path)
        var headers = HTTPHeaders([
            ("Content-Type", "application/json"), ("X-Content-Type-Options", "nosniff"),
            ("Content-Length", String(body.utf8.count)),
        ])
        for (k, v) in extra { headers.add(name: k, value: v) }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
            promise: nil
        )
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
