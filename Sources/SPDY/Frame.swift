import NIOCore

/// A SPDY/3.1 frame (draft-mbelshe-httpbis-spdy-00 with 3.1's flow-control changes), as
/// Kubernetes' streaming protocols use them: exec, attach and port-forward multiplex their
/// streams over one connection this way.
public enum Frame: Equatable, Sendable {
    case data(stream: UInt32, fin: Bool, payload: ByteBuffer)
    case synStream(stream: UInt32, associated: UInt32, fin: Bool, unidirectional: Bool, headers: [Header])
    case synReply(stream: UInt32, fin: Bool, headers: [Header])
    case rstStream(stream: UInt32, status: UInt32)
    case settings([Setting])
    case ping(UInt32)
    case goAway(lastStream: UInt32, status: UInt32)
    case headers(stream: UInt32, fin: Bool, headers: [Header])
    case windowUpdate(stream: UInt32, delta: UInt32)
    /// A control frame of a type this end does not know: ignored, as the protocol says.
    case unknown(type: UInt16)

    public struct Header: Equatable, Sendable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public struct Setting: Equatable, Sendable {
        public var id: UInt32
        public var value: UInt32
        public var flags: UInt8
    }

    static let version: UInt16 = 3
    static let flagFin: UInt8 = 0x01
    static let flagUnidirectional: UInt8 = 0x02

    enum ControlType: UInt16 {
        case synStream = 1
        case synReply = 2
        case rstStream = 3
        case settings = 4
        case ping = 6
        case goAway = 7
        case headers = 8
        case windowUpdate = 9
    }

    /// RST_STREAM status codes.
    public static let protocolError: UInt32 = 1
    public static let cancel: UInt32 = 5
}

/// Why a byte stream is not SPDY: the session answers with GOAWAY and closes.
public struct FrameError: Error, Equatable, CustomStringConvertible {
    public let description: String
}

/// Turns frames into bytes. Header blocks are compressed by a stream that spans the
/// connection, so each direction of a connection has one coder, used from one task.
public final class FrameEncoder {
    private let deflater: HeaderCompression

    public init() throws { deflater = try HeaderCompression(inflating: false) }

    // MARK: encoding

    public func encode(_ frame: Frame, into out: inout ByteBuffer) throws {
        switch frame {
        case .data(let stream, let fin, let payload):
            out.writeInteger(stream & 0x7fff_ffff)
            writeFlagsAndLength(&out, fin ? Frame.flagFin : 0, payload.readableBytes)
            out.writeImmutableBuffer(payload)
        case .synStream(let stream, let associated, let fin, let unidirectional, let headers):
            let block = try deflater.run(HeaderBlock.encode(headers.map { ($0.name, $0.value) }))
            let flags = (fin ? Frame.flagFin : 0) | (unidirectional ? Frame.flagUnidirectional : 0)
            control(&out, .synStream, flags, 10 + block.count)
            out.writeInteger(stream & 0x7fff_ffff)
            out.writeInteger(associated & 0x7fff_ffff)
            out.writeInteger(UInt16(0))  // priority 0, slot 0
            out.writeBytes(block)
        case .synReply(let stream, let fin, let headers):
            let block = try deflater.run(HeaderBlock.encode(headers.map { ($0.name, $0.value) }))
            control(&out, .synReply, fin ? Frame.flagFin : 0, 4 + block.count)
            out.writeInteger(stream & 0x7fff_ffff)
            out.writeBytes(block)
        case .headers(let stream, let fin, let headers):
            let block = try deflater.run(HeaderBlock.encode(headers.map { ($0.name, $0.value) }))
            control(&out, .headers, fin ? Frame.flagFin : 0, 4 + block.count)
            out.writeInteger(stream & 0x7fff_ffff)
            out.writeBytes(block)
        case .rstStream(let stream, let status):
            control(&out, .rstStream, 0, 8)
            out.writeInteger(stream & 0x7fff_ffff)
            out.writeInteger(status)
        case .settings(let settings):
            control(&out, .settings, 0, 4 + 8 * settings.count)
            out.writeInteger(UInt32(settings.count))
            for s in settings {
                out.writeInteger(UInt32(s.flags) << 24 | (s.id & 0xff_ffff))
                out.writeInteger(s.value)
            }
        case .ping(let id):
            control(&out, .ping, 0, 4)
            out.writeInteger(id)
        case .goAway(let last, let status):
            control(&out, .goAway, 0, 8)
            out.writeInteger(last & 0x7fff_ffff)
            out.writeInteger(status)
        case .windowUpdate(let stream, let delta):
            control(&out, .windowUpdate, 0, 8)
            out.writeInteger(stream & 0x7fff_ffff)
            out.writeInteger(delta & 0x7fff_ffff)
        case .unknown:
            break
        }
    }

    private func control(_ out: inout ByteBuffer, _ type: Frame.ControlType, _ flags: UInt8, _ length: Int) {
        out.writeInteger(UInt16(0x8000) | Frame.version)
        out.writeInteger(type.rawValue)
        writeFlagsAndLength(&out, flags, length)
    }

    private func writeFlagsAndLength(_ out: inout ByteBuffer, _ flags: UInt8, _ length: Int) {
        out.writeInteger(UInt32(flags) << 24 | UInt32(length & 0xff_ffff))
    }
}

/// Turns bytes, as they arrive, into frames; the inbound twin of `FrameEncoder`.
public final class FrameDecoder {
    private let inflater: HeaderCompression
    /// Bytes received and not yet a whole frame.
    private var pending = ByteBuffer()
    /// A frame longer than this is refused (the length field allows 16 MiB).
    public static let maxFrameLength = 1 << 20

    public init() throws { inflater = try HeaderCompression(inflating: true) }

    // MARK: decoding

    /// Takes bytes as they arrive and returns the frames they complete.
    public func decode(_ bytes: ByteBuffer) throws(FrameError) -> [Frame] {
        pending.writeImmutableBuffer(bytes)
        var frames: [Frame] = []
        while pending.readableBytes >= 8 {
            let start = pending.readerIndex
            guard let word = pending.getInteger(at: start, as: UInt32.self),
                let flagsAndLength = pending.getInteger(at: start + 4, as: UInt32.self)
            else { break }
            let length = Int(flagsAndLength & 0xff_ffff), flags = UInt8(flagsAndLength >> 24)
            guard length <= Self.maxFrameLength else {
                throw FrameError(description: "a SPDY frame of \(length) bytes is over the limit")
            }
            guard pending.readableBytes >= 8 + length else { break }
            pending.moveReaderIndex(forwardBy: 8)
            guard var body = pending.readSlice(length: length) else { break }
            if word & 0x8000_0000 == 0 {
                frames.append(.data(stream: word & 0x7fff_ffff, fin: flags & Frame.flagFin != 0, payload: body))
                continue
            }
            let version = UInt16(word >> 16) & 0x7fff
            guard version == Frame.version else {
                throw FrameError(description: "SPDY version \(version) is not supported (3 is)")
            }
            frames.append(try control(type: UInt16(word & 0xffff), flags: flags, body: &body))
        }
        pending.discardReadBytes()
        return frames
    }

    private func control(type: UInt16, flags: UInt8, body: inout ByteBuffer) throws(FrameError) -> Frame {
        let fin = flags & Frame.flagFin != 0
        func u32() throws(FrameError) -> UInt32 {
            guard let v = body.readInteger(as: UInt32.self) else {
                throw FrameError(description: "a SPDY control frame (type \(type)) is too short")
            }
            return v
        }
        func headers() throws(FrameError) -> [Frame.Header] {
            let compressed = Array(body.readableBytesView)
            guard let raw = try? inflater.run(compressed) else {
                throw FrameError(description: "a SPDY header block does not inflate")
            }
            guard let fields = HeaderBlock.decode(raw) else {
                throw FrameError(description: "a SPDY header block is malformed")
            }
            return fields.map { Frame.Header($0.name, $0.value) }
        }
        switch Frame.ControlType(rawValue: type) {
        case .synStream:
            let stream = try u32() & 0x7fff_ffff, associated = try u32() & 0x7fff_ffff
            guard body.readInteger(as: UInt16.self) != nil else {
                throw FrameError(description: "a SPDY SYN_STREAM is too short")
            }
            return .synStream(
                stream: stream,
                associated: associated,
                fin: fin,
                unidirectional: flags & Frame.flagUnidirectional != 0,
                headers: try headers()
            )
        case .synReply:
            let stream = try u32() & 0x7fff_ffff
            return .synReply(stream: stream, fin: fin, headers: try headers())
        case .headers:
            let stream = try u32() & 0x7fff_ffff
            return .headers(stream: stream, fin: fin, headers: try headers())
        case .rstStream:
            return .rstStream(stream: try u32() & 0x7fff_ffff, status: try u32())
        case .settings:
            let n = try u32()
            guard Int(n) * 8 <= body.readableBytes else {
                throw FrameError(description: "a SPDY SETTINGS frame is too short")
            }
            var settings: [Frame.Setting] = []
            for _ in 0..<n {
                let idAndFlags = try u32(), value = try u32()
                settings.append(.init(id: idAndFlags & 0xff_ffff, value: value, flags: UInt8(idAndFlags >> 24)))
            }
            return .settings(settings)
        case .ping:
            return .ping(try u32())
        case .goAway:
            return .goAway(lastStream: try u32() & 0x7fff_ffff, status: try u32())
        case .windowUpdate:
            return .windowUpdate(stream: try u32() & 0x7fff_ffff, delta: try u32() & 0x7fff_ffff)
        case nil:
            return .unknown(type: type)
        }
    }
}
