import NIOCore
import NIOPosix

/// Why a connection could not be upgraded to SPDY.
public struct UpgradeError: Error, CustomStringConvertible {
    public let description: String
}

/// Opens a SPDY session to an `http://` URL by HTTP/1.1 upgrade, as Kubernetes' clients
/// reach a streaming server (kubelet's, or a CRI runtime's): `Upgrade: SPDY/3.1` with the
/// subprotocols offered in `X-Stream-Protocol-Version`.
public enum UpgradeClient {
    /// Runs `body` with the session and the subprotocol the server chose; the connection
    /// closes when `body` returns (after the frames it queued are written).
    public static func withSession<T: Sendable>(
        url: String,
        protocols: [String],
        _ body: @escaping @Sendable (Session, String) async throws -> T
    ) async throws -> T {
        guard let (host, port, target) = split(url) else {
            throw UpgradeError(description: "not an http:// URL: \(url)")
        }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let headPromise = loop.makePromise(of: ResponseHead.self)
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(.seconds(5))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ResponseHeadReader(head: headPromise))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            headPromise.fail(error)
            throw error
        }
        return try await channel.executeThenClose { inbound, outbound in
            var request = "POST \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
            request += "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nContent-Length: 0\r\n"
            for p in protocols { request += "X-Stream-Protocol-Version: \(p)\r\n" }
            request += "\r\n"
            try await outbound.write(ByteBuffer(string: request))
            let head = try await headPromise.futureResult.get()
            guard head.status == 101 else {
                throw UpgradeError(description: "the streaming server answered \(head.statusLine): \(head.body)")
            }
            let chosen = head.header("x-stream-protocol-version") ?? ""
            let session = Session(role: .client)
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    // How the connection ended shows in the streams `body` reads.
                    try? await session.run(reading: inbound) { try await outbound.write($0) }
                    return nil
                }
                group.addTask {
                    let result = try await body(session, chosen)
                    session.close()
                    return result
                }
                var result: T? = nil
                for try await r in group { if let r { result = r } }
                guard let result else { throw UpgradeError(description: "the session ended early") }
                return result
            }
        }
    }

    static func split(_ url: String) -> (String, Int, String)? {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let target = slash == rest.endIndex ? "/" : String(rest[slash...])
        let parts = authority.split(separator: ":")
        guard let host = parts.first else { return nil }
        let port = parts.count > 1 ? Int(parts[1]) ?? 80 : 80
        return (String(host), port, target)
    }
}

/// An HTTP response's head, as read before the connection turns into SPDY.
struct ResponseHead: Sendable {
    var statusLine: String
    var status: Int
    var headers: [(String, String)]
    /// What followed a refusal (the server's reason), as far as it had arrived.
    var body: String

    func header(_ name: String) -> String? { headers.first { $0.0 == name }?.1 }

    /// Parses the bytes up to the blank line; nil until they are all there.
    static func parse(_ buffer: ByteBuffer) -> (ResponseHead, rest: ByteBuffer)? {
        let bytes = Array(buffer.readableBytesView)
        guard bytes.count >= 4 else { return nil }
        var end: Int? = nil
        for i in 0...(bytes.count - 4)
        where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            end = i
            break
        }
        guard let end else { return nil }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\r\n").map(String.init)
        let statusLine = lines.first ?? ""
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        let headers: [(String, String)] = lines.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            return (line[..<colon].lowercased(), String(value))
        }
        var rest = buffer
        rest.moveReaderIndex(forwardBy: end + 4)
        let body = String(decoding: rest.readableBytesView.prefix(4096), as: UTF8.self)
        return (
            ResponseHead(statusLine: statusLine, status: status, headers: headers, body: body.filter { $0 != "\n" }),
            rest
        )
    }
}

/// Holds back the response head and hands on what follows it (the first SPDY frames).
final class ResponseHeadReader: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private let head: EventLoopPromise<ResponseHead>
    private var buffer = ByteBuffer()
    private var done = false

    init(head: EventLoopPromise<ResponseHead>) { self.head = head }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return context.fireChannelRead(data) }
        var bytes = unwrapInboundIn(data)
        buffer.writeBuffer(&bytes)
        if let (parsed, rest) = ResponseHead.parse(buffer) {
            done = true
            head.succeed(parsed)
            if rest.readableBytes > 0, parsed.status == 101 { context.fireChannelRead(wrapInboundOut(rest)) }
        } else if buffer.readableBytes > 64 << 10 {
            done = true
            head.fail(UpgradeError(description: "the streaming server's answer has no end of headers"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done {
            done = true
            head.fail(UpgradeError(description: "the streaming server closed the connection before answering"))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !done {
            done = true
            head.fail(error)
        }
        context.fireErrorCaught(error)
    }
}
