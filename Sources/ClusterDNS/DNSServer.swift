import KubeAPI
import KubeMachinery
import KubeModel
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The cluster DNS server: UDP and TCP (RFC 1035 length-prefixed) on one address and port.
public struct DNSServer: ServiceLifecycle.Service {
    static let messagesPerRead = 16
    /// A UDP query longer than this is cut short and answered FORMERR (queries are ~50–300 bytes).
    static let maxQueryBytes = 4096
    let host: String
    let port: Int
    let engine: DNSEngine
    let logger: Logger
    let onBound: @Sendable (Int) -> Void

    public init(
        host: String,
        port: Int,
        engine: DNSEngine,
        logger: Logger,
        onBound: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        self.engine = engine
        self.logger = logger
        self.onBound = onBound
    }

    public func run() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let engine = self.engine
        let tcp = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(ByteToMessageHandler(LengthPrefixedDecoder()))
                    try ch.pipeline.syncOperations.addHandler(TCPQueryHandler(engine: engine))
                }
            }
            .bind(host: host, port: port).get()
        let boundPort = tcp.localAddress?.port ?? port
        let udp: any Channel
        do {
            // Under load, many queries per wakeup: recvmmsg in, replies batched to one flush
            // (sendmmsg) per read burst. The receive buffer is split evenly between the
            // messages of one read, so it must give each the largest query we accept.
            udp = try await DatagramBootstrap(group: group)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.datagramVectorReadMessageCount, value: Self.messagesPerRead)
                .channelOption(
                    .recvAllocator,
                    value: FixedSizeRecvByteBufferAllocator(capacity: Self.messagesPerRead * Self.maxQueryBytes)
                )
                .channelOption(.maxMessagesPerRead, value: 8)
                .channelInitializer { ch in ch.pipeline.addHandler(UDPQueryHandler(engine: engine)) }
                .bind(host: host, port: boundPort).get()
        } catch {
            try? await tcp.close()
            throw error
        }
        logger.info("cluster DNS on \(host):\(boundPort) (UDP and TCP), zone \(engine.zone.domain)")
        onBound(boundPort)
        try? await gracefulShutdown()
        try? await udp.close()
        try? await tcp.close()
    }
}

final class UDPQueryHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    let engine: DNSEngine
    init(engine: DNSEngine) { self.engine = engine }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let env = unwrapInboundIn(data)
        let bytes = Array(env.data.readableBytesView)
        switch engine.respondLocally(bytes, udp: true) {
        case .reply(let reply):
            guard let reply else { return }
            context.write(
                wrapOutboundOut(AddressedEnvelope(remoteAddress: env.remoteAddress, data: ByteBuffer(bytes: reply))),
                promise: nil
            )
        case .remote(let query, let start):
            let channel = context.channel
            let engine = self.engine
            Task {
                guard let reply = await engine.answerRemotely(query, udp: true, start: start) else { return }
                channel.writeAndFlush(
                    AddressedEnvelope(remoteAddress: env.remoteAddress, data: ByteBuffer(bytes: reply)),
                    promise: nil
                )
            }
        }
    }
}

/// Splits a TCP stream into DNS messages (two-byte length, then the message).
struct LengthPrefixedDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
            buffer.readableBytes >= 2 + Int(length)
        else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(length))!))
        return .continue
    }
}

final class TCPQueryHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let engine: DNSEngine
    init(engine: DNSEngine) { self.engine = engine }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        let channel = context.channel
        func send(_ reply: [UInt8]) {
            var out = ByteBuffer()
            out.writeInteger(UInt16(reply.count))
            out.writeBytes(reply)
            channel.writeAndFlush(out, promise: nil)
        }
        switch engine.respondLocally(bytes, udp: false) {
        case .reply(let reply):
            if let reply { send(reply) }
        case .remote(let query, let start):
            let engine = self.engine
            Task {
                if let reply = await engine.answerRemotely(query, udp: false, start: start) { send(reply) }
            }
        }
    }
}
