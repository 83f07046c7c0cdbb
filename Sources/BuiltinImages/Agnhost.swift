import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import Synchronization

/// The parts of Kubernetes' e2e test image `agnhost` that Service tests use, built in so
/// that e2e-style manifests run unchanged: `netexec`, `serve-hostname`, `pause`.
public enum Agnhost {
    public static func hostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, buf.count)
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A request context that knows the client's address, for `/clientip`.
    public struct PeerContext: RequestContext {
        public var coreContext: CoreRequestContextStorage
        public let remote: SocketAddress?
        public init(source: ApplicationRequestContextSource) {
            coreContext = .init(source: source)
            remote = source.channel.remoteAddress
        }
    }

    static func hostPort(_ a: SocketAddress?) -> String {
        guard let a else { return "" }
        return "\(a.ipAddress ?? ""):\(a.port ?? 0)"
    }

    /// `netexec`: HTTP on `httpPort` and a UDP echo server on `udpPort` (0 turns it off).
    public static func netexec(httpPort: Int, udpPort: Int, delayShutdown: Int) async throws {
        let shuttingDown = ShutdownFlag()
        let router = Router(context: PeerContext.self)
        router.get("/") { _, _ in "NOW: \(Date())" }
        router.get("/hostname") { _, _ in hostname() }
        router.get("/clientip") { _, context in hostPort(context.remote) }
        router.get("/echo") { request, _ in request.uri.queryParameters.get("msg") ?? "" }
        router.get("/header") { request, _ in
            let key = request.uri.queryParameters.get("key") ?? ""
            return request.headers.first { $0.name.canonicalName == key.lowercased() }?.value ?? ""
        }
        router.get("/healthz") { _, _ -> Response in
            shuttingDown.value
                ? Response(status: .serviceUnavailable)
                : Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok")))
        }
        router.get("/readyz") { _, _ -> Response in
            shuttingDown.value
                ? Response(status: .serviceUnavailable)
                : Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok")))
        }
        router.get("/exit") { request, _ -> String in
            let code = Int32(request.uri.queryParameters.get("code") ?? "0") ?? 0
            Task {
                try? await Task.sleep(for: .milliseconds(50))
                exit(code)
            }
            return ""
        }
        router.get("/shutdown") { _, _ -> String in
            Task {
                try? await Task.sleep(for: .milliseconds(50))
                exit(0)
            }
            return ""
        }
        router.get("/shell") { request, _ -> Response in
            let cmd = request.uri.queryParameters.get("shellCommand") ?? request.uri.queryParameters.get("cmd") ?? ""
            let (code, out) = shell(cmd)
            var o = ["output": out]
            if code != 0 { o["error"] = "exit status \(code)" }
            return jsonResponse(o)
        }
        router.get("/dial") { request, _ -> Response in
            let q = request.uri.queryParameters
            let host = q.get("host") ?? "", port = Int(q.get("port") ?? "") ?? 0
            let proto = q.get("protocol") ?? "http", what = q.get("request") ?? "hostname"
            let tries = max(Int(q.get("tries") ?? "1") ?? 1, 1)
            var responses: [String] = [], errors: [String] = []
            for _ in 0..<tries {
                do { responses.append(try await dial(proto: proto, host: host, port: port, request: what)) } catch {
                    errors.append("\(error)")
                }
            }
            if responses.isEmpty && !errors.isEmpty { return jsonResponse(["errors": errors]) }
            return jsonResponse(["responses": responses])
        }
        if udpPort > 0 {
            _ = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelInitializer { $0.pipeline.addHandler(UDPEcho()) }
                .bind(host: "0.0.0.0", port: udpPort).get()
        }
        signal(SIGTERM, SIG_IGN)
        let term = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        term.setEventHandler {
            shuttingDown.value = true
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(delayShutdown)) { exit(0) }
        }
        term.resume()
        let app = Application(router: router, configuration: .init(address: .hostname("0.0.0.0", port: httpPort)))
        try await app.runService(gracefulShutdownSignals: [.sigint])
    }

    static func jsonResponse(_ value: some Encodable) -> Response {
        let data = (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    static func shell(_ cmd: String) -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", cmd]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { return (127, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// One request to another netexec, as `/dial` does in Kubernetes' connectivity tests.
    static func dial(proto: String, host: String, port: Int, request: String) async throws -> String {
        switch proto {
        case "udp":
            return try await udpRequest(host: host, port: port, message: request)
        default:
            let path = request.hasPrefix("/") ? request : "/" + request
            let resp = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: "http://\(host):\(port)\(path)"),
                timeout: .seconds(5)
            )
            let body = try await resp.body.collect(upTo: 1 << 20)
            return String(buffer: body)
        }
    }

    static func udpRequest(host: String, port: Int, message: String) async throws -> String {
        let promise = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: String.self)
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { $0.pipeline.addHandler(UDPReply(promise: promise)) }
            .bind(host: "0.0.0.0", port: 0).get()
        defer { channel.close(promise: nil) }
        let remote = try SocketAddress(ipAddress: host, port: port)
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: ByteBuffer(string: message)))
            .get()
        channel.eventLoop.scheduleTask(in: .seconds(5)) { promise.fail(ChannelError.connectTimeout(.seconds(5))) }
        return try await promise.futureResult.get()
    }

    /// `serve-hostname`: answers every HTTP request with the hostname.
    public static func serveHostname(port: Int) async throws {
        let router = Router()
        router.get("/") { _, _ in hostname() }
        router.get("**") { _, _ in hostname() }
        let app = Application(router: router, configuration: .init(address: .hostname("0.0.0.0", port: port)))
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    /// `pause`: sleeps until SIGTERM or SIGINT.
    public static func pause() -> Never {
        signal(SIGTERM) { _ in exit(0) }
        signal(SIGINT) { _ in exit(0) }
        while true { Foundation.pause() }
    }
}

final class ShutdownFlag: Sendable {
    private let state = Mutex(false)
    var value: Bool {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}

/// netexec's UDP protocol: `hostname`, `echo <text>`, `clientip`.
final class UDPEcho: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        let text = String(buffer: envelope.data).trimmingCharacters(in: .whitespacesAndNewlines)
        let reply: String
        if text == "hostname" {
            reply = Agnhost.hostname()
        } else if text.hasPrefix("echo ") {
            reply = String(text.dropFirst(5))
        } else if text == "clientip" {
            reply = Agnhost.hostPort(envelope.remoteAddress)
        } else {
            reply = text
        }
        context.writeAndFlush(
            Self.wrapOutboundOut(
                AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(string: reply))
            ),
            promise: nil
        )
    }
}

final class UDPReply: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let promise: EventLoopPromise<String>
    init(promise: EventLoopPromise<String>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        promise.succeed(String(buffer: Self.unwrapInboundIn(data).data))
    }
}
