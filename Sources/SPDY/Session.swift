import NIOCore
import Synchronization

/// One SPDY connection's streams, over any byte transport (a TCP connection after an HTTP
/// upgrade, or the binary messages of a WebSocket tunnel). The transport's bytes go in
/// through `run`, frames come out through the `write` it is given.
///
/// Flow control is not enforced in either direction, as Kubernetes' SPDY peers (Go's
/// spdystream) do not enforce it: WINDOW_UPDATE frames are read and ignored.
public final class Session: Sendable {
    public enum Role: Sendable {
        /// Opens streams with odd ids (the end that made the connection).
        case client
        /// Opens streams with even ids.
        case server
    }

    private struct State {
        var nextID: UInt32
        var streams: [UInt32: AsyncStream<ByteBuffer>.Continuation] = [:]
        var closed = false
    }

    private let state: Mutex<State>
    private let outbound: AsyncStream<Frame>.Continuation
    private let frames: AsyncStream<Frame>
    /// Streams the peer opens, in the order it opens them.
    public let incoming: AsyncStream<SessionStream>
    private let incomingSink: AsyncStream<SessionStream>.Continuation

    /// The largest DATA payload this end sends.
    static let chunk = 32 << 10

    public init(role: Role) {
        state = Mutex(State(nextID: role == .client ? 1 : 2))
        (frames, outbound) = AsyncStream.makeStream()
        (incoming, incomingSink) = AsyncStream.makeStream()
    }

    /// Reads the transport until it ends (or the peer sends GOAWAY), writing this end's
    /// frames with `write` meanwhile, until `close()` has been called and everything before
    /// it is written. Every stream's inbound data ends when this returns.
    public func run<Bytes: AsyncSequence & Sendable>(
        reading inbound: Bytes,
        writing write: @escaping @Sendable (ByteBuffer) async throws -> Void
    ) async throws where Bytes.Element == ByteBuffer {
        let frames = self.frames
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                let encoder = try FrameEncoder()
                for await frame in frames {
                    var out = ByteBuffer()
                    try encoder.encode(frame, into: &out)
                    // The transport closed: the peer is gone, and so is everything still queued.
                    do { try await write(out) } catch { break }
                }
                return true
            }
            group.addTask {
                defer {
                    self.finishAll()
                    self.outbound.finish()
                }
                let decoder = try FrameDecoder()
                do {
                    reading: for try await bytes in inbound {
                        for frame in try decoder.decode(bytes) where !self.handle(frame) { break reading }
                    }
                } catch let error as FrameError {
                    self.send(.goAway(lastStream: 0, status: Frame.protocolError))
                    throw error
                }
                return false
            }
            defer { group.cancelAll() }
            // The writer ends first when this end closed: the reader is then cancelled.
            guard let writerEnded = try await group.next(), !writerEnded else { return }
            _ = try await group.next()
        }
    }

    /// False when the session is over (GOAWAY).
    private func handle(_ frame: Frame) -> Bool {
        switch frame {
        case .data(let id, let fin, let payload):
            let sink = state.withLock { s in fin ? s.streams.removeValue(forKey: id) : s.streams[id] }
            if payload.readableBytes > 0 { sink?.yield(payload) }
            if fin { sink?.finish() }
        case .synStream(let id, _, let fin, _, let headers):
            let (inbound, sink) = AsyncStream<ByteBuffer>.makeStream()
            let known = state.withLock { s in
                if s.streams[id] != nil { return true }
                if !fin { s.streams[id] = sink }
                return false
            }
            if known {
                send(.rstStream(stream: id, status: Frame.protocolError))
                return true
            }
            if fin { sink.finish() }
            incomingSink.yield(SessionStream(id: id, headers: headers, inbound: inbound, session: self))
        case .synReply(let id, let fin, _):
            if fin { state.withLock { $0.streams.removeValue(forKey: id) }?.finish() }
        case .rstStream(let id, _):
            state.withLock { $0.streams.removeValue(forKey: id) }?.finish()
        case .ping(let id):
            send(.ping(id))
        case .goAway:
            return false
        case .headers(let id, let fin, _):
            if fin { state.withLock { $0.streams.removeValue(forKey: id) }?.finish() }
        case .settings, .windowUpdate, .unknown:
            break
        }
        return true
    }

    private func finishAll() {
        let sinks = state.withLock { s in
            s.closed = true
            defer { s.streams = [:] }
            return Array(s.streams.values)
        }
        for sink in sinks { sink.finish() }
        incomingSink.finish()
    }

    func send(_ frame: Frame) { outbound.yield(frame) }

    /// Opens a stream with these headers (names in lower case).
    public func open(_ headers: [Frame.Header]) -> SessionStream {
        let (inbound, sink) = AsyncStream<ByteBuffer>.makeStream()
        let id: UInt32? = state.withLock { s in
            guard !s.closed else { return nil }
            let id = s.nextID
            s.nextID += 2
            s.streams[id] = sink
            return id
        }
        guard let id else {
            sink.finish()
            return SessionStream(id: 0, headers: headers, inbound: inbound, session: self)
        }
        send(.synStream(stream: id, associated: 0, fin: false, unidirectional: false, headers: headers))
        return SessionStream(id: id, headers: headers, inbound: inbound, session: self)
    }

    /// Ends the session: GOAWAY, then no more frames. The caller closes the transport.
    public func close() {
        send(.goAway(lastStream: 0, status: 0))
        outbound.finish()
    }
}

/// One stream of a session: the data the peer sends on it, and this end's half.
public struct SessionStream: Sendable {
    public let id: UInt32
    public let headers: [Frame.Header]
    /// The peer's data, until it half-closes or resets the stream (or the session ends).
    public let inbound: AsyncStream<ByteBuffer>
    let session: Session

    /// A header's value; names compare without regard to case.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Accepts a stream the peer opened.
    public func reply() { session.send(.synReply(stream: id, fin: false, headers: [])) }

    public func write(_ bytes: ByteBuffer) {
        guard id != 0 else { return }
        var rest = bytes
        while rest.readableBytes > 0, let piece = rest.readSlice(length: min(rest.readableBytes, Session.chunk)) {
            session.send(.data(stream: id, fin: false, payload: piece))
        }
    }

    /// This end sends no more on the stream.
    public func closeWrite() {
        guard id != 0 else { return }
        session.send(.data(stream: id, fin: true, payload: ByteBuffer()))
    }

    public func reset() {
        guard id != 0 else { return }
        session.send(.rstStream(stream: id, status: Frame.cancel))
    }
}
