import CZlib
import Glibc
import NIOCore

/// SPDY/3's header blocks: name/value pairs (32-bit big-endian lengths, lower-case names,
/// several values joined by NUL), compressed by one zlib stream per direction that lives as
/// long as the connection and starts from the protocol's dictionary.
public enum HeaderBlock {
    /// The dictionary both ends preset (SPDY/3 §2.6.10.1): these words, each behind its
    /// 32-bit big-endian length, then a run of status lines, dates and media types.
    static let dictionary: [UInt8] = {
        let words = [
            "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding",
            "accept-language", "accept-ranges", "age", "allow", "authorization", "cache-control", "connection",
            "content-base", "content-encoding", "content-language", "content-length", "content-location",
            "content-md5", "content-range", "content-type", "date", "etag", "expect", "expires", "from", "host",
            "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "last-modified",
            "location", "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
            "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via",
            "warning", "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url",
            "public", "set-cookie", "keep-alive", "origin",
        ]
        let tail =
            "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
            + "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request"
            + "401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented"
            + "503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 "
            + "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,"
            + "application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age="
            + "gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
        var bytes: [UInt8] = []
        for word in words {
            let n = UInt32(word.utf8.count)
            bytes += [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)]
            bytes += Array(word.utf8)
        }
        return bytes + Array(tail.utf8)
    }()

    /// Headers as SPDY carries them: names in lower case, in the order given.
    public typealias Fields = [(name: String, value: String)]

    /// The uncompressed block.
    static func encode(_ fields: Fields) -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ n: Int) {
            let v = UInt32(n)
            out += [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
        }
        u32(fields.count)
        for (name, value) in fields {
            let n = Array(name.lowercased().utf8), v = Array(value.utf8)
            u32(n.count)
            out += n
            u32(v.count)
            out += v
        }
        return out
    }

    /// The pairs of an uncompressed block; nil when it is malformed.
    static func decode(_ bytes: [UInt8]) -> Fields? {
        var at = 0
        func u32() -> Int? {
            guard at + 4 <= bytes.count else { return nil }
            defer { at += 4 }
            return Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
        }
        func string() -> String? {
            guard let n = u32(), n <= bytes.count - at else { return nil }
            defer { at += n }
            return String(decoding: bytes[at..<at + n], as: UTF8.self)
        }
        guard let count = u32(), count <= bytes.count / 8 else { return nil }
        var fields: Fields = []
        for _ in 0..<count {
            guard let name = string(), !name.isEmpty, let value = string() else { return nil }
            fields.append((name, value))
        }
        return at == bytes.count ? fields : nil
    }
}

/// One direction's zlib stream. Not thread-safe: a session uses it from one task.
final class HeaderCompression {
    enum Failure: Error { case cannotAllocate, invalid }

    private let stream: OpaquePointer
    /// An inflated block larger than this is refused (a compression bomb, or a peer gone wrong).
    static let limit = 256 << 10

    init(inflating: Bool) throws {
        let d = HeaderBlock.dictionary
        let s = d.withUnsafeBufferPointer { p in
            inflating
                ? swiftlet_zstream_inflater(p.baseAddress, p.count) : swiftlet_zstream_deflater(p.baseAddress, p.count)
        }
        guard let s else { throw Failure.cannotAllocate }
        stream = s
    }

    deinit { swiftlet_zstream_free(stream) }

    func run(_ input: [UInt8]) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        let rc = input.withUnsafeBufferPointer { p in
            swiftlet_zstream_run(stream, p.baseAddress, p.count, Self.limit, &out, &length)
        }
        guard rc == 0, let out else { throw Failure.invalid }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: length))
    }
}
