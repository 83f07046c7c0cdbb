import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// A local TCP front for several API servers, for clients that take one address (kubectl's
/// kubeconfig): each connection goes to the first server that accepts it, starting from the
/// one that answered last, so when a server dies the next connection lands on another.
/// Bytes pass through untouched — TLS is end to end, and every server's certificate names
/// 127.0.0.1. The backend is chosen while the client's connection is being set up, so the
/// client must speak first (as a TLS client does). (k3s's agents keep such a local balancer in front of their servers too.)
public struct FailoverProxy: Service {
    public struct Backend: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
        public var description: String { "\(host):\(port)" }

        /// `https://HOST:PORT` (or `HOST:PORT`) as a backend; nil when it is not one.
        public init?(url: String) {
            var s = Substring(url)
            if s.hasPrefix("https://") { s = s.dropFirst(8) }
            while s.hasSuffix("/") { s = s.dropLast() }
            guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]),
                (1...65535).contains(port),
                !s[..<colon].isEmpty
            else { return nil }
            self.init(host: String(s[..<colon]), port: port)
        }
    }

    let host: String
    let port: Int
    let backends: [Backend]
    let connectTimeout: TimeAmount
    let logger: Logger
    let onBound: @Sendable (Int) -> Void
    private let preferred = NIOLockedValueBox(0)

    public init(
        host: String,
        port: Int,
        backends: [Backend],
        connectTimeout: TimeAmount = .seconds(1),
        logger: Logger,
        onBound: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        self.backends = backends
        self.connectTimeout = connectTimeout
        self.logger = logger
        self.onBound = onBound
    }

    public func run() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                self.connect(from: inbound)
            }
            .bind(host: host, port: port).get()
        onBound(server.localAddress?.port ?? port)
        logger.info(
            "API failover proxy on \(host):\(server.localAddress?.port ?? port) → \(backends.map(\.description).joined(separator: ", "))"
        )
        try? await gracefulShutdown()
        try? await server.close()
    }

    /// Connects `inbound` to the first backend that accepts, relays both ways, then starts reading.
    func connect(from inbound: any Channel) -> EventLoopFuture<Void> {
        let start = preferred.withLockedValue { $0 }
        return attempt(0, start: start, for: inbound).flatMap { backend in
            inbound.pipeline.addHandler(Relay(peer: backend)).map { inbound.read() }
        }.flatMapError { error in
            self.logger.warning("no API server accepted a connection: \(error)")
            return inbound.close()
        }
    }

    func attempt(_ n: Int, start: Int, for inbound: any Channel) -> EventLoopFuture<any Channel> {
        guard n < backends.count else {
            return inbound.eventLoop.makeFailedFuture(ChannelError.connectTimeout(connectTimeout))
        }
        let index = (start + n) % backends.count
        let b = backends[index]
        return ClientBootstrap(group: inbound.eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.autoRead, value: false)
            .channelInitializer { backend in backend.pipeline.addHandler(Relay(peer: inbound)) }
            .connect(host: b.host, port: b.port)
            .map { channel in
                if index != start {
                    self.preferred.withLockedValue { $0 = index }
                    self.logger.notice("API server \(b) takes over")
                }
                return channel
            }
            .flatMapError { error in
                self.logger.debug("API server \(b) refused: \(error)")
                return self.attempt(n + 1, start: start, for: inbound)
            }
    }
}

/// Writes what one channel reads into its peer, and closes the peer when it closes; reads
/// on only as fast as the peer can write (no unbounded buffering).
final class Relay: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    let peer: any Channel

    init(peer: any Channel) { self.peer = peer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        let channel = context.channel
        peer.writeAndFlush(bytes).whenComplete { result in
            switch result {
            case .success: channel.read()
            case .failure: channel.close(promise: nil)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {}

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        context.read()
    }

    func channelInactive(context: ChannelHandlerContext) {
        peer.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
