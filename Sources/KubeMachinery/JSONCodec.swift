/// Why a body could not be read as JSON, with the byte offset, for a 400 `Status` message.
public struct JSONParseError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let offset: Int
    public var description: String { "\(message) at offset \(offset)" }
}

extension JSON {
    /// Nesting deeper than this is refused rather than risking the stack on hostile input.
    public static let maxDepth = 256

    public static func parse(_ text: String) throws(JSONParseError) -> JSON {
        try parse(Array(text.utf8))
    }

    public static func parse<C: Collection<UInt8>>(_ bytes: C) throws(JSONParseError) -> JSON {
        let result =
            bytes.withContiguousStorageIfAvailable(parseResult) ?? Array(bytes).withUnsafeBufferPointer(parseResult)
        return try result.get()
    }

    public static func parse(bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSON {
        try parseResult(bytes).get()
    }

    private static func parseResult(_ buf: UnsafeBufferPointer<UInt8>) -> Result<JSON, JSONParseError> {
        Result { () throws(JSONParseError) -> JSON in
            var parser = JSONParser(buf)
            return try parser.parseDocument()
        }
    }

    /// A Kubernetes list (`{"metadata": …, "items": [ … ]}`) read one item at a time: each item
    /// is parsed, handed to `item` and dropped, so the list never exists as one tree. Returns the
    /// list without its items.
    public static func parseList(_ bytes: [UInt8], item: (JSON) throws -> Void) throws -> JSON {
        try bytes.withUnsafeBufferPointer { buf in
            var parser = JSONParser(buf)
            return try parser.parseList(item: item)
        }
    }

    /// Compact JSON bytes.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        JSONWriter.write(self, into: &out)
        return out
    }

    public func serializedString() -> String { String(decoding: serialized(), as: UTF8.self) }
}

struct JSONParser {
    let buf: UnsafeBufferPointer<UInt8>
    var pos = 0

    init(_ buf: UnsafeBufferPointer<UInt8>) { self.buf = buf }

    mutating func parseDocument() throws(JSONParseError) -> JSON {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        if pos != buf.count { throw fail("unexpected data after the JSON value") }
        return value
    }

    func fail(_ message: String) -> JSONParseError { JSONParseError(message: message, offset: pos) }

    mutating func skipWhitespace() {
        while pos < buf.count {
            switch buf[pos] {
            case 0x20, 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSON {
        guard depth < JSON.maxDepth else { throw fail("JSON nested too deeply") }
        guard pos < buf.count else { throw fail("unexpected end of JSON input") }
        switch buf[pos] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail("invalid character '\(Character(Unicode.Scalar(buf[pos])))' looking for beginning of value")
        }
    }

    mutating func expectLiteral(_ word: StaticString) throws(JSONParseError) {
        let n = word.utf8CodeUnitCount
        guard pos + n <= buf.count else { throw fail("unexpected end of JSON input") }
        let p = word.utf8Start
        for i in 0..<n where buf[pos + i] != p[i] { throw fail("invalid literal") }
        pos += n
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSON {
        pos += 1
        var obj = JSONObject()
        skipWhitespace()
        if pos < buf.count, buf[pos] == UInt8(ascii: "}") {
            pos += 1
            return .object(obj)
        }
        while true {
            let key = try parseKey()
            let value = try parseValue(depth: depth + 1)
            // Duplicate keys: the last one wins, as in Go's decoder.
            if obj.count < 16 || obj[key] != nil { obj[key] = value } else { obj.appendUnchecked(key, value) }
            if try !moreMembers() { return .object(obj) }
        }
    }

    /// An object member's key and the ':' after it, leaving the parser at the value.
    mutating func parseKey() throws(JSONParseError) -> String {
        skipWhitespace()
        guard pos < buf.count, buf[pos] == UInt8(ascii: "\"") else { throw fail("expected a string object key") }
        let key = try parseString()
        skipWhitespace()
        guard pos < buf.count, buf[pos] == UInt8(ascii: ":") else { throw fail("expected ':' after object key") }
        pos += 1
        skipWhitespace()
        return key
    }

    /// After a member's value: true at a ',' (another member follows), false at the closing '}'.
    mutating func moreMembers() throws(JSONParseError) -> Bool {
        skipWhitespace()
        guard pos < buf.count else { throw fail("unexpected end of JSON input") }
        if buf[pos] == UInt8(ascii: ",") {
            pos += 1
            return true
        }
        if buf[pos] == UInt8(ascii: "}") {
            pos += 1
            return false
        }
        throw fail("expected ',' or '}' after object value")
    }

    /// After an array element: true at a ',' (another element follows), false at the closing ']'.
    mutating func moreElements() throws(JSONParseError) -> Bool {
        skipWhitespace()
        guard pos < buf.count else { throw fail("unexpected end of JSON input") }
        if buf[pos] == UInt8(ascii: ",") {
            pos += 1
            return true
        }
        if buf[pos] == UInt8(ascii: "]") {
            pos += 1
            return false
        }
        throw fail("expected ',' or ']' after array element")
    }

    mutating func parseList(item: (JSON) throws -> Void) throws -> JSON {
        skipWhitespace()
        guard pos < buf.count, buf[pos] == UInt8(ascii: "{") else { throw fail("expected a list object") }
        pos += 1
        var obj = JSONObject()
        skipWhitespace()
        if pos < buf.count, buf[pos] == UInt8(ascii: "}") {
            pos += 1
        } else {
            repeat {
                let key = try parseKey()
                if key == "items", pos < buf.count, buf[pos] == UInt8(ascii: "[") {
                    pos += 1
                    skipWhitespace()
                    if pos < buf.count, buf[pos] == UInt8(ascii: "]") {
                        pos += 1
                    } else {
                        repeat {
                            skipWhitespace()
                            try item(try parseValue(depth: 2))
                        } while try moreElements()
                    }
                } else {
                    obj[key] = try parseValue(depth: 1)
                }
            } while try moreMembers()
        }
        skipWhitespace()
        if pos != buf.count { throw fail("unexpected data after the JSON value") }
        return .object(obj)
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSON {
        pos += 1
        var items: [JSON] = []
        skipWhitespace()
        if pos < buf.count, buf[pos] == UInt8(ascii: "]") {
            pos += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth + 1))
            if try !moreElements() { return .array(items) }
        }
    }

    mutating func parseString() throws(JSONParseError) -> String {
        pos += 1
        let start = pos
        // Fast path: no escapes.
        while pos < buf.count {
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
                pos += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw fail("invalid control character in string literal") }
            pos += 1
        }
        var bytes = Array(buf[start..<pos])
        while pos < buf.count {
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                pos += 1
                return String(decoding: bytes, as: UTF8.self)
            }
            if c < 0x20 { throw fail("invalid control character in string literal") }
            if c != UInt8(ascii: "\\") {
                bytes.append(c)
                pos += 1
                continue
            }
            pos += 1
            guard pos < buf.count else { break }
            let e = buf[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): bytes.append(0x22)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "/"): bytes.append(0x2F)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate must pair with a low one; a lone one becomes U+FFFD as in Go.
                    if pos + 6 <= buf.count, buf[pos] == UInt8(ascii: "\\"), buf[pos + 1] == UInt8(ascii: "u") {
                        let save = pos
                        pos += 2
                        let low = try parseHex4()
                        if (0xDC00..<0xE000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            pos = save
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if (0xDC00..<0xE000).contains(scalar) {
                    scalar = 0xFFFD
                }
                let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                bytes.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw fail("invalid escape in string literal")
            }
        }
        throw fail("unexpected end of JSON input in string")
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard pos + 4 <= buf.count else { throw fail("unexpected end of JSON input") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = buf[pos]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail("invalid hex digit in \\u escape")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    mutating func parseNumber() throws(JSONParseError) -> JSON {
        let start = pos
        var isInteger = true
        if buf[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < buf.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buf[pos]) else {
            throw fail("invalid number")
        }
        if buf[pos] == UInt8(ascii: "0") {
            pos += 1
        } else {
            while pos < buf.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buf[pos]) { pos += 1 }
        }
        if pos < buf.count, buf[pos] == UInt8(ascii: ".") {
            isInteger = false
            pos += 1
            let digits = pos
            while pos < buf.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buf[pos]) { pos += 1 }
            if pos == digits { throw fail("invalid number: digits expected after '.'") }
        }
        if pos < buf.count, buf[pos] == UInt8(ascii: "e") || buf[pos] == UInt8(ascii: "E") {
            isInteger = false
            pos += 1
            if pos < buf.count, buf[pos] == UInt8(ascii: "+") || buf[pos] == UInt8(ascii: "-") { pos += 1 }
            let digits = pos
            while pos < buf.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buf[pos]) { pos += 1 }
            if pos == digits { throw fail("invalid number: digits expected in exponent") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
        if isInteger, let i = Int64(text) { return .int(i) }
        guard let d = Double(text) else { throw fail("invalid number") }
        return .double(d)
    }
}

enum JSONWriter {
    static func write(_ value: JSON, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            if !d.isFinite {
                out.append(contentsOf: "null".utf8)
            } else if d.rounded() == d, abs(d) < 1e15 {
                out.append(contentsOf: String(Int64(d)).utf8)
            } else {
                out.append(contentsOf: String(d).utf8)
            }
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(v, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var first = true
            for e in o {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(e.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(e.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Runs that need no escaping (nearly every string) are copied whole.
    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            var start = 0
            for i in bytes.indices {
                let c = bytes[i]
                guard c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                start = i + 1
                switch c {
                case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
                case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                default:
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 0xF)]])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
