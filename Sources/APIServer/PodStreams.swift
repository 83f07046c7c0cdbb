import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import KubeMachinery
import NIOCore
import SPDY

/// `kubectl exec`, `attach` and `port-forward`: the client's WebSocket (the channel
/// protocols, or SPDY tunnelled for port-forward) relayed to the container runtime's
/// streaming server, which the pod's node agent names with a one-time URL (CRI Exec,
/// Attach, PortForward). The runtime speaks SPDY with the v4 channel protocol, as kubelet
/// does behind the API server.
extension PodProxy {
    /// The WebSocket subprotocols a client may ask for, best first.
    static let channelProtocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"]
    static let portForwardTunnel = "SPDY/3.1+portforward.k8s.io"

    /// A streaming request of a pod, read from its URL.
    struct StreamTarget: Sendable {
        enum Kind: String, Sendable, CaseIterable { case exec, attach, portforward }
        var kind: Kind
        var namespace: String
        var name: String
        var query: [(String, String)]

        func values(_ n: String) -> [String] { query.filter { $0.0 == n }.map(\.1) }
        func value(_ n: String) -> String? { values(n).first }
        func flag(_ n: String) -> Bool { value(n) == "true" || value(n) == "1" }

        /// Parses `/api/v1/namespaces/NS/pods/NAME/{exec,attach,portforward}?…`.
        init?(target: String) {
            guard let url = URLComponents(string: target) else { return nil }
            let seg = url.path.split(separator: "/").map(String.init)
            guard seg.count == 7, seg[0] == "api", seg[1] == "v1", seg[2] == "namespaces", seg[4] == "pods",
                let kind = Kind(rawValue: seg[6])
            else { return nil }
            self.kind = kind
            namespace = seg[3]
            name = seg[5]
            // Form encoding: `+` is a space (kubectl encodes with Go's url.Values).
            query = (url.percentEncodedQuery ?? "").split(separator: "&").map { pair in
                let kv = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).replacingOccurrences(of: "+", with: " ")
                }
                return (
                    kv[0].removingPercentEncoding ?? kv[0], kv.count > 1 ? (kv[1].removingPercentEncoding ?? kv[1]) : ""
                )
            }
        }

        init(kind: Kind, namespace: String, name: String, query: [String: String]) {
            self.kind = kind
            self.namespace = namespace
            self.name = name
            self.query = query.map { ($0.key, $0.value) }
        }
    }

    /// The runtime's URL for the stream, or the error kubectl should show.
    func streamingURL(_ t: StreamTarget) async throws -> String {
        var agentQuery: [(String, String)] = []
        switch t.kind {
        case .exec, .attach:
            if t.kind == .exec, t.values("command").isEmpty {
                throw APIError.badRequest("you must specify at least one command for the container")
            }
            let (agent, container, _, token) = try await locate(
                namespace: t.namespace,
                name: t.name,
                container: t.value("container")
            )
            agentQuery.append(("container", container))
            for c in t.values("command") { agentQuery.append(("command", c)) }
            for f in ["stdin", "stdout", "stderr", "tty"] where t.flag(f) { agentQuery.append((f, "true")) }
            return try await askAgent(agent, token: token, t, agentQuery)
        case .portforward:
            let (agent, _, _, token) = try await locate(
                namespace: t.namespace,
                name: t.name,
                container: nil,
                anyContainer: true
            )
            for p in t.values("ports").flatMap({ $0.split(separator: ",") }) { agentQuery.append(("port", String(p))) }
            return try await askAgent(agent, token: token, t, agentQuery)
        }
    }

    private func askAgent(
        _ agent: String,
        token: String,
        _ t: StreamTarget,
        _ query: [(String, String)]
    ) async throws -> String {
        let params = query.map { "\($0.0)=\(Self.escape($0.1))" }.joined(separator: "&")
        var req = HTTPClientRequest(url: "\(agent)/streaming/\(t.kind.rawValue)/\(t.namespace)/\(t.name)?\(params)")
        req.method = .POST
        let response = try await callAgent(req, token: token, pod: t.name, timeout: .seconds(15))
        let body = try await response.body.collect(upTo: 1 << 16)
        guard let url = (try? JSON.parse(Array(body.readableBytesView)))?["url"]?.string else {
            throw APIError(code: 500, reason: "InternalError", message: "the node agent gave no streaming URL")
        }
        return url
    }

    /// Whether a request is a WebSocket upgrade for a pod's stream that can be served; one
    /// that cannot is declined, and the normal handler answers with the reason.
    /// `denial`: why the caller may not open this stream (401, 403), if so. An exec or
    /// attach that cannot start is still upgraded, to say why on the status channel: kubectl
    /// prints that Status as it prints an API error (declined, it would fall back to SPDY,
    /// which this server does not speak).
    func streamUpgrade(
        _ request: HTTPRequest,
        denial: APIError?
    ) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard let path = request.path, let target = StreamTarget(target: path) else { return .dontUpgrade }
        let offered = (request.headerFields[.secWebSocketProtocol] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let wanted = target.kind == .portforward ? [Self.portForwardTunnel] : Self.channelProtocols
        guard let proto = wanted.first(where: offered.contains) else { return .dontUpgrade }
        let url: String
        do {
            if let denial { throw denial }
            url = try await streamingURL(target)
        } catch {
            guard target.kind != .portforward else { return .dontUpgrade }
            let status = (error as? APIError) ?? APIError.internalError("\(error)")
            return .upgrade([.secWebSocketProtocol: proto]) { _, outbound, _ in
                var frame = ByteBuffer()
                frame.writeInteger(Channel.status.rawValue)
                frame.writeBytes(status.status.serialized())
                try? await outbound.write(.binary(frame))
                try? await outbound.close(.normalClosure, reason: nil)
            }
        }
        if target.kind == .portforward {
            return .upgrade([.secWebSocketProtocol: proto]) { inbound, outbound, _ in
                try await Self.tunnelPortForward(inbound: inbound, outbound: outbound, url: url)
            }
        }
        let streams = ChannelStreams(
            stdin: target.flag("stdin"),
            stdout: target.flag("stdout"),
            stderr: target.flag("stderr"),
            tty: target.flag("tty"),
            closeSignal: proto.hasPrefix("v5")
        )
        return .upgrade([.secWebSocketProtocol: proto]) { inbound, outbound, _ in
            await Self.relayChannels(inbound: inbound, outbound: outbound, url: url, streams: streams)
        }
    }

    /// The streams an exec or attach carries, and whether the client can half-close stdin (v5).
    struct ChannelStreams: Sendable {
        var stdin, stdout, stderr, tty: Bool
        var closeSignal: Bool
    }

    /// Channel numbers of the `v4/v5.channel.k8s.io` protocols.
    enum Channel: UInt8 {
        case stdin = 0
        case stdout = 1
        case stderr = 2
        case status = 3
        case resize = 4
        case close = 255
    }

    /// Exec and attach: WebSocket channels on one side, SPDY streams to the runtime on the
    /// other. The status (exit code) goes last, after every byte of output.
    static func relayChannels(
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        url: String,
        streams: ChannelStreams
    ) async {
        let status: ByteBuffer
        do {
            status = try await UpgradeClient.withSession(url: url, protocols: ["v4.channel.k8s.io"]) { session, _ in
                let error = session.open([.init("streamtype", "error")])
                error.closeWrite()
                let stdin = streams.stdin ? session.open([.init("streamtype", "stdin")]) : nil
                let stdout = streams.stdout ? session.open([.init("streamtype", "stdout")]) : nil
                let stderr = streams.stderr && !streams.tty ? session.open([.init("streamtype", "stderr")]) : nil
                let resize = streams.tty ? session.open([.init("streamtype", "resize")]) : nil
                return try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 16 << 20) {
                            guard case var .binary(b) = message, let id = b.readInteger(as: UInt8.self),
                                let channel = Channel(rawValue: id)
                            else { continue }
                            switch channel {
                            case .stdin: stdin?.write(b)
                            case .resize: resize?.write(b)
                            case .close where streams.closeSignal:
                                if b.readInteger(as: UInt8.self) == Channel.stdin.rawValue { stdin?.closeWrite() }
                            default: continue
                            }
                        }
                        // The client went away: what it sent is all the process gets.
                        stdin?.closeWrite()
                        return nil
                    }
                    for (stream, channel) in [(stdout, Channel.stdout), (stderr, Channel.stderr)] {
                        guard let stream else { continue }
                        group.addTask {
                            for await data in stream.inbound {
                                var frame = ByteBuffer()
                                frame.writeInteger(channel.rawValue)
                                frame.writeImmutableBuffer(data)
                                try await outbound.write(.binary(frame))
                            }
                            return ByteBuffer()
                        }
                    }
                    group.addTask {
                        var all = ByteBuffer()
                        for await data in error.inbound { all.writeImmutableBuffer(data) }
                        return all
                    }
                    // Output and status end when the runtime closes them; the client's side
                    // is then cut off.
                    var outputs = (stdout == nil ? 0 : 1) + (stderr == nil ? 0 : 1) + 1
                    var status = ByteBuffer()
                    while outputs > 0, let r = try await group.next() {
                        guard let r else { continue }
                        outputs -= 1
                        if r.readableBytes > 0 { status = r }
                    }
                    group.cancelAll()
                    return status
                }
            }
        } catch {
            status = ByteBuffer(bytes: Self.failure("\(error)").serialized())
        }
        var frame = ByteBuffer()
        frame.writeInteger(Channel.status.rawValue)
        frame.writeImmutableBuffer(
            status.readableBytes > 0
                ? status : ByteBuffer(bytes: (["metadata": [:], "status": "Success"] as JSON).serialized())
        )
        try? await outbound.write(.binary(frame))
        try? await outbound.close(.normalClosure, reason: nil)
    }

    static func failure(_ message: String) -> JSON {
        ["metadata": [:], "status": "Failure", "message": .string(message), "reason": "InternalError", "code": 500]
    }

    /// Port-forward: kubectl's SPDY session (tunnelled in WebSocket binary messages) on one
    /// side, one SPDY session to the runtime on the other; each connection kubectl forwards
    /// is a pair of streams (data and error) on both, matched by their request id.
    static func tunnelPortForward(
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        url: String
    ) async throws {
        try await UpgradeClient.withSession(url: url, protocols: ["portforward.k8s.io"]) { runtime, _ in
            let client = Session(role: .server)
            let bytes = inbound.messages(maxSize: 16 << 20).compactMap { message -> ByteBuffer? in
                guard case .binary(let b) = message else { return nil }
                return b
            }
            await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await client.run(reading: bytes) { try await outbound.write(.binary($0)) }
                }
                var halves: [String: SessionStream] = [:]
                for await stream in client.incoming {
                    stream.reply()
                    let id = stream.header("requestid") ?? ""
                    guard let other = halves.removeValue(forKey: id) else {
                        halves[id] = stream
                        continue
                    }
                    let (data, error) = stream.header("streamtype") == "data" ? (stream, other) : (other, stream)
                    let headers = { (type: String) in
                        [
                            Frame.Header("streamtype", type), Frame.Header("port", data.header("port") ?? ""),
                            Frame.Header("requestid", id),
                        ]
                    }
                    let upstreamError = runtime.open(headers("error"))
                    let upstreamData = runtime.open(headers("data"))
                    group.addTask { await pipe(error.inbound, into: upstreamError) }
                    group.addTask { await pipe(upstreamError.inbound, into: error) }
                    group.addTask { await pipe(data.inbound, into: upstreamData) }
                    group.addTask { await pipe(upstreamData.inbound, into: data) }
                }
                // kubectl ended its session: the runtime's ends with it.
                group.cancelAll()
            }
        }
        try? await outbound.close(.normalClosure, reason: nil)
    }

    /// One direction of a stream pair, half-closed at its end.
    static func pipe(_ from: AsyncStream<ByteBuffer>, into to: SessionStream) async {
        for await data in from { to.write(data) }
        to.closeWrite()
    }
}
