import Foundation

/// Writes a tar archive in the ustar format (what image layers and image archives are) to a
/// sink, so a large file is streamed rather than held in memory.
public struct TarWriter {
    public enum Kind: Sendable, Equatable {
        case file(size: Int)
        case directory
        case symlink(target: String)
    }

    public struct PathTooLong: Error, CustomStringConvertible {
        public var path: String
        public var description: String { "tar: the path \(path) is too long for a ustar header" }
    }

    let sink: (Data) throws -> Void

    public init(sink: @escaping (Data) throws -> Void) { self.sink = sink }

    /// A 512-byte ustar header. Pure.
    public static func header(path: String, mode: Int, kind: Kind, modified: Int = 0) throws(PathTooLong) -> Data {
        var name = path
        if case .directory = kind, !name.hasSuffix("/") { name += "/" }
        // A name of up to 100 bytes, or a prefix of up to 155 and a name of up to 100.
        var prefix = ""
        let bytes = Array(name.utf8)
        if bytes.count > 100 {
            guard
                let cut = bytes.indices.last(where: {
                    bytes[$0] == UInt8(ascii: "/") && $0 <= 155 && bytes.count - $0 - 1 <= 100
                        && $0 < bytes.count - 1
                })
            else { throw PathTooLong(path: path) }
            prefix = String(decoding: bytes[..<cut], as: UTF8.self)
            name = String(decoding: bytes[(cut + 1)...], as: UTF8.self)
        }
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ offset: Int, _ width: Int) {
            for (i, b) in s.utf8.prefix(width).enumerated() { h[offset + i] = b }
        }
        func octal(_ v: Int, _ offset: Int, _ width: Int) {
            let digits = String(v, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, offset, width - 1)
        }
        var size = 0
        var type = UInt8(ascii: "0")
        var link = ""
        switch kind {
        case .file(let n): size = n
        case .directory: type = UInt8(ascii: "5")
        case .symlink(let target):
            type = UInt8(ascii: "2")
            link = target
        }
        put(name, 0, 100)
        octal(mode & 0o7777, 100, 8)
        octal(0, 108, 8)
        octal(0, 116, 8)
        octal(size, 124, 12)
        octal(modified, 136, 12)
        h[156] = type
        put(link, 157, 100)
        put("ustar", 257, 6)
        put("00", 263, 2)
        put("root", 265, 32)
        put("root", 297, 32)
        put(prefix, 345, 155)
        for i in 148..<156 { h[i] = UInt8(ascii: " ") }
        // The checksum: six octal digits, a NUL and a space.
        octal(h.reduce(0) { $0 + Int($1) }, 148, 7)
        h[154] = 0
        return Data(h)
    }

    public func directory(_ path: String, mode: Int = 0o755) throws {
        try sink(Self.header(path: path, mode: mode, kind: .directory))
    }

    public func symlink(_ path: String, to target: String) throws {
        try sink(Self.header(path: path, mode: 0o777, kind: .symlink(target: target)))
    }

    public func file(_ path: String, mode: Int = 0o644, contents: Data) throws {
        try sink(Self.header(path: path, mode: mode, kind: .file(size: contents.count)))
        try sink(contents)
        try pad(contents.count)
    }

    /// A file copied from disk in 1 MiB pieces.
    public func file(_ path: String, mode: Int, from source: URL) throws {
        let handle = try FileHandle(forReadingFrom: source)
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        try handle.seek(toOffset: 0)
        try sink(Self.header(path: path, mode: mode, kind: .file(size: size)))
        var copied = 0
        while copied < size {
            guard let chunk = try handle.read(upToCount: min(1 << 20, size - copied)), !chunk.isEmpty else {
                throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: source.path])
            }
            try sink(chunk)
            copied += chunk.count
        }
        try pad(size)
    }

    func pad(_ n: Int) throws {
        let rest = (512 - n % 512) % 512
        if rest > 0 { try sink(Data(count: rest)) }
    }

    /// The end of the archive: two empty blocks.
    public func finish() throws { try sink(Data(count: 1024)) }
}
