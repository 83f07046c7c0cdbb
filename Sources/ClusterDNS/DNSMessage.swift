import KubeAPI
import KubeMachinery
import KubeModel

/// DNS record types and codes Swiftlet speaks (RFC 1035, 2782, 3596, 6891).
public enum DNSType {
    public static let a: UInt16 = 1, ns: UInt16 = 2, cname: UInt16 = 5, soa: UInt16 = 6, ptr: UInt16 = 12
    public static let txt: UInt16 = 16, aaaa: UInt16 = 28, srv: UInt16 = 33, opt: UInt16 = 41, any: UInt16 = 255
}

public enum DNSRcode: UInt8, Sendable {
    case noError = 0
    case formErr = 1
    case servFail = 2
    case nxDomain = 3
    case notImp = 4
    case refused = 5
}

/// The data of a resource record.
public enum RData: Sendable, Hashable {
    case a(IPv4Address)
    case aaaa([UInt8])
    case name(String)  // NS, CNAME, PTR
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: String)
    case txt([String])
    case soa(
        mname: String,
        rname: String,
        serial: UInt32,
        refresh: UInt32,
        retry: UInt32,
        expire: UInt32,
        minimum: UInt32
    )
    case raw([UInt8])
}

public struct DNSRecord: Sendable, Hashable {
    public var name: String
    public var type: UInt16
    public var klass: UInt16 = 1
    public var ttl: UInt32
    public var data: RData

    public init(name: String, type: UInt16, ttl: UInt32, data: RData, klass: UInt16 = 1) {
        self.name = name
        self.type = type
        self.ttl = ttl
        self.data = data
        self.klass = klass
    }
}

public struct DNSQuestion: Sendable, Hashable {
    public var name: String
    public var type: UInt16
    public var klass: UInt16 = 1

    public init(name: String, type: UInt16, klass: UInt16 = 1) {
        self.name = name
        self.type = type
        self.klass = klass
    }
}

/// A DNS message. Names are kept as written, without the trailing dot; "" is the root.
public struct DNSMessage: Sendable, Hashable {
    public var id: UInt16 = 0
    public var isResponse = false
    public var opcode: UInt8 = 0
    public var authoritative = false
    public var truncated = false
    public var recursionDesired = false
    public var recursionAvailable = false
    public var rcode: DNSRcode = .noError
    public var questions: [DNSQuestion] = []
    public var answers: [DNSRecord] = []
    public var authority: [DNSRecord] = []
    public var additional: [DNSRecord] = []
    /// The EDNS0 UDP payload size the sender accepts, if it sent an OPT record.
    public var ednsPayloadSize: UInt16?

    public init() {}

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
        /// The message id, when the header could be read (a FORMERR can then be sent).
        public var id: UInt16?
    }

    // MARK: Decoding

    public init(bytes: [UInt8]) throws {
        var r = Reader(bytes: bytes)
        guard bytes.count >= 12 else { throw ParseError(description: "message shorter than a header", id: nil) }
        id = try r.u16()
        do {
            let flags = try r.u16()
            isResponse = flags & 0x8000 != 0
            opcode = UInt8((flags >> 11) & 0xF)
            authoritative = flags & 0x0400 != 0
            truncated = flags & 0x0200 != 0
            recursionDesired = flags & 0x0100 != 0
            recursionAvailable = flags & 0x0080 != 0
            rcode = DNSRcode(rawValue: UInt8(flags & 0xF)) ?? .servFail
            let qd = try r.u16(), an = try r.u16(), ns = try r.u16(), ar = try r.u16()
            for _ in 0..<qd { questions.append(DNSQuestion(name: try r.name(), type: try r.u16(), klass: try r.u16())) }
            for _ in 0..<an { answers.append(try r.record()) }
            for _ in 0..<ns { authority.append(try r.record()) }
            for _ in 0..<ar {
                let rec = try r.record()
                if rec.type == DNSType.opt { ednsPayloadSize = max(512, rec.klass) } else { additional.append(rec) }
            }
        } catch let e as ParseError {
            throw ParseError(description: e.description, id: id)
        }
    }

    struct Reader {
        let bytes: [UInt8]
        var at = 0

        mutating func u8() throws -> UInt8 {
            guard at < bytes.count else { throw ParseError(description: "message ends early", id: nil) }
            defer { at += 1 }
            return bytes[at]
        }
        mutating func u16() throws -> UInt16 { UInt16(try u8()) << 8 | UInt16(try u8()) }
        mutating func u32() throws -> UInt32 { UInt32(try u16()) << 16 | UInt32(try u16()) }
        mutating func take(_ n: Int) throws -> [UInt8] {
            guard n >= 0, at + n <= bytes.count else { throw ParseError(description: "message ends early", id: nil) }
            defer { at += n }
            return Array(bytes[at..<at + n])
        }

        /// A possibly compressed name; pointers may only go backwards, so loops are impossible.
        mutating func name() throws -> String {
            var labels: [String] = []
            var pos = at
            var jumped = false
            var total = 0
            while true {
                guard pos < bytes.count else { throw ParseError(description: "name runs past the message", id: nil) }
                let len = Int(bytes[pos])
                if len & 0xC0 == 0xC0 {
                    guard pos + 1 < bytes.count else {
                        throw ParseError(description: "truncated name pointer", id: nil)
                    }
                    let target = (len & 0x3F) << 8 | Int(bytes[pos + 1])
                    guard target < pos else {
                        throw ParseError(description: "name pointer does not point backwards", id: nil)
                    }
                    if !jumped { at = pos + 2 }
                    jumped = true
                    pos = target
                    continue
                }
                guard len & 0xC0 == 0 else { throw ParseError(description: "unknown label type", id: nil) }
                if len == 0 {
                    if !jumped { at = pos + 1 }
                    return labels.joined(separator: ".")
                }
                guard pos + 1 + len <= bytes.count else {
                    throw ParseError(description: "label runs past the message", id: nil)
                }
                total += len + 1
                guard total <= 255 else { throw ParseError(description: "name longer than 255 bytes", id: nil) }
                labels.append(String(decoding: bytes[(pos + 1)...(pos + len)], as: UTF8.self))
                pos += 1 + len
            }
        }

        mutating func record() throws -> DNSRecord {
            let owner = try name()
            let type = try u16(), klass = try u16(), ttl = try u32()
            let length = Int(try u16())
            guard at + length <= bytes.count else {
                throw ParseError(description: "record data runs past the message", id: nil)
            }
            let end = at + length
            let data: RData
            switch type {
            case DNSType.a where length == 4:
                let b = try take(4)
                data = .a(IPv4Address(UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])))
            case DNSType.aaaa where length == 16: data = .aaaa(try take(16))
            case DNSType.cname, DNSType.ptr, DNSType.ns: data = .name(try name())
            case DNSType.srv:
                data = .srv(priority: try u16(), weight: try u16(), port: try u16(), target: try name())
            case DNSType.soa:
                data = .soa(
                    mname: try name(),
                    rname: try name(),
                    serial: try u32(),
                    refresh: try u32(),
                    retry: try u32(),
                    expire: try u32(),
                    minimum: try u32()
                )
            case DNSType.txt:
                var strings: [String] = []
                while at < end {
                    let n = Int(try u8())
                    strings.append(String(decoding: try take(n), as: UTF8.self))
                }
                data = .txt(strings)
            default: data = .raw(try take(length))
            }
            guard at == end else {
                throw ParseError(description: "record data length does not match its contents", id: nil)
            }
            return DNSRecord(name: owner, type: type, ttl: ttl, data: data, klass: klass)
        }
    }

    // MARK: Encoding

    /// The wire form. Over `limit` bytes, records are dropped from the end and TC is set
    /// (RFC 2181: a client then retries over TCP).
    public func encode(limit: Int = 65535) -> [UInt8] {
        var full = Writer()
        full.write(self, answers: answers, authority: authority, additional: additional, truncated: truncated)
        if full.bytes.count <= limit { return full.bytes }
        var w = Writer()
        w.write(self, answers: [], authority: [], additional: [], truncated: true)
        return w.bytes
    }

    struct Writer {
        var bytes: [UInt8] = []
        var offsets: [String: Int] = [:]

        mutating func u16(_ v: UInt16) { bytes += [UInt8(v >> 8), UInt8(v & 0xFF)] }
        mutating func u32(_ v: UInt32) {
            u16(UInt16(v >> 16))
            u16(UInt16(v & 0xFFFF))
        }

        /// Names are compressed against every suffix written before (case-insensitively).
        mutating func name(_ n: String) {
            var labels = n.split(separator: ".", omittingEmptySubsequences: true).map(String.init)
            while !labels.isEmpty {
                let key = labels.joined(separator: ".").lowercased()
                if let off = offsets[key] {
                    u16(0xC000 | UInt16(off))
                    return
                }
                if bytes.count < 0x3FFF { offsets[key] = bytes.count }
                let label = Array(labels.removeFirst().utf8.prefix(63))
                bytes.append(UInt8(label.count))
                bytes += label
            }
            bytes.append(0)
        }

        mutating func record(_ r: DNSRecord) {
            name(r.name)
            u16(r.type)
            u16(r.klass)
            u32(r.ttl)
            let lengthAt = bytes.count
            u16(0)
            let start = bytes.count
            switch r.data {
            case .a(let ip): u32(ip.value)
            case .aaaa(let b): bytes += b
            case .name(let n): name(n)
            case .srv(let p, let w, let port, let target):
                u16(p)
                u16(w)
                u16(port)
                name(target)
            case .txt(let strings):
                for s in strings {
                    let b = Array(s.utf8.prefix(255))
                    bytes.append(UInt8(b.count))
                    bytes += b
                }
            case .soa(let m, let rn, let serial, let refresh, let retry, let expire, let minimum):
                name(m)
                name(rn)
                u32(serial)
                u32(refresh)
                u32(retry)
                u32(expire)
                u32(minimum)
            case .raw(let b): bytes += b
            }
            let length = bytes.count - start
            bytes[lengthAt] = UInt8(length >> 8)
            bytes[lengthAt + 1] = UInt8(length & 0xFF)
        }

        mutating func write(
            _ m: DNSMessage,
            answers: [DNSRecord],
            authority: [DNSRecord],
            additional: [DNSRecord],
            truncated: Bool
        ) {
            u16(m.id)
            var flags: UInt16 = 0
            if m.isResponse { flags |= 0x8000 }
            flags |= UInt16(m.opcode & 0xF) << 11
            if m.authoritative { flags |= 0x0400 }
            if truncated { flags |= 0x0200 }
            if m.recursionDesired { flags |= 0x0100 }
            if m.recursionAvailable { flags |= 0x0080 }
            flags |= UInt16(m.rcode.rawValue)
            u16(flags)
            let opt = m.ednsPayloadSize != nil ? 1 : 0
            u16(UInt16(m.questions.count))
            u16(UInt16(answers.count))
            u16(UInt16(authority.count))
            u16(UInt16(additional.count + opt))
            for q in m.questions {
                name(q.name)
                u16(q.type)
                u16(q.klass)
            }
            for r in answers { record(r) }
            for r in authority { record(r) }
            for r in additional { record(r) }
            if let size = m.ednsPayloadSize {
                record(DNSRecord(name: "", type: DNSType.opt, ttl: 0, data: .raw([]), klass: size))
            }
        }
    }
}
