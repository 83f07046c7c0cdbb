import Foundation
import Testing

@testable import OCIImage

@Suite struct TarWriterTests {
    func field(_ h: Data, _ offset: Int, _ width: Int) -> String {
        String(decoding: h[offset..<(offset + width)].prefix { $0 != 0 }, as: UTF8.self)
    }

    @Test func aHeaderHasUstarFieldsAndAValidChecksum() throws {
        let h = try TarWriter.header(path: "bin/busybox", mode: 0o755, kind: .file(size: 1_982_256))
        #expect(h.count == 512)
        #expect(field(h, 0, 100) == "bin/busybox")
        #expect(field(h, 100, 8) == "0000755")
        #expect(field(h, 124, 12) == "00007437460")
        #expect(field(h, 257, 6) == "ustar")
        var copy = [UInt8](h)
        for i in 148..<156 { copy[i] = UInt8(ascii: " ") }
        let sum = copy.reduce(0) { $0 + Int($1) }
        #expect(Int(field(h, 148, 7), radix: 8) == sum)
    }

    @Test func directoriesEndInASlashAndLinksNameTheirTarget() throws {
        let d = try TarWriter.header(path: "www", mode: 0o755, kind: .directory)
        #expect(field(d, 0, 100) == "www/" && d[156] == UInt8(ascii: "5"))
        let l = try TarWriter.header(path: "bin/sh", mode: 0o777, kind: .symlink(target: "busybox"))
        #expect(l[156] == UInt8(ascii: "2") && field(l, 157, 100) == "busybox")
    }

    @Test func aLongPathIsSplitIntoPrefixAndNameOrRefused() throws {
        let long = String(repeating: "d", count: 120) + "/" + String(repeating: "f", count: 90)
        let h = try TarWriter.header(path: long, mode: 0o644, kind: .file(size: 0))
        #expect(field(h, 345, 155) == String(repeating: "d", count: 120))
        #expect(field(h, 0, 100) == String(repeating: "f", count: 90))
        #expect(throws: TarWriter.PathTooLong.self) {
            try TarWriter.header(path: String(repeating: "x", count: 101), mode: 0o644, kind: .file(size: 0))
        }
    }

    @Test func filesArePaddedToBlocksAndTheArchiveEndsWithTwoEmptyOnes() throws {
        var out = Data()
        let tar = TarWriter { out.append($0) }
        try tar.file("a", contents: Data("hello".utf8))
        try tar.finish()
        #expect(out.count == 512 + 512 + 1024)
        #expect(String(decoding: out[512..<517], as: UTF8.self) == "hello")
    }
}

@Suite struct ImageArchiveTests {
    @Test func anArchiveIsAnOCILayoutThatNamesItsImage() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("oci-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let archive = dir.appendingPathComponent("pause.tar")
        let digest = try PauseImage.build.write(to: archive)
        let bytes = try Data(contentsOf: archive)
        // The entries, by the names in their headers.
        var names: [String] = []
        var offset = 0
        while offset + 512 <= bytes.count, bytes[offset] != 0 {
            let h = bytes[offset..<(offset + 512)]
            names.append(String(decoding: h.prefix(100).prefix { $0 != 0 }, as: UTF8.self))
            let size = Int(String(decoding: h.dropFirst(124).prefix(11), as: UTF8.self), radix: 8) ?? 0
            offset += 512 + (size + 511) / 512 * 512
        }
        #expect(names.prefix(4) == ["oci-layout", "index.json", "blobs/", "blobs/sha256/"])
        #expect(names.contains("blobs/sha256/" + digest.dropFirst(7)))
        #expect(names.count == 7)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#""io.containerd.image.name":"swiftlet.local/pause:1""#))
        #expect(text.contains(#""Entrypoint":["/pause"]"#))
        #expect(!FileManager.default.fileExists(atPath: archive.path + ".layer"))
    }
}

@Suite struct PauseImageTests {
    @Test(arguments: [StaticELF.Machine.x86_64, .aarch64])
    func theExecutableIsOneLoadableSegmentStartingAfterItsHeaders(machine: StaticELF.Machine) {
        let code: [UInt8] = machine == .x86_64 ? PauseImage.x86_64 : PauseImage.aarch64
        let elf = [UInt8](StaticELF.executable(machine: machine, code: code))
        func u16(_ at: Int) -> UInt16 { UInt16(elf[at]) | UInt16(elf[at + 1]) << 8 }
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(elf[at + $1]) << (8 * $1) } }
        #expect(elf.prefix(4) == [0x7f, 0x45, 0x4c, 0x46])
        #expect(u16(18) == machine.rawValue)
        #expect(u64(24) == 0x40_0000 + 120)  // entry: the first instruction
        #expect(u16(56) == 1)  // one program header
        #expect(u64(64 + 32) == UInt64(elf.count))  // it maps the whole file
        #expect(Array(elf[120...]) == code)
        #expect(elf.count < 300)
    }

    @Test func theHostsPauseRunsAndExitsZeroOnSIGTERM() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pause-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("pause")
        try PauseImage.executable.write(to: path)
        chmod(path.path, 0o755)
        let p = Process()
        p.executableURL = path
        try p.run()
        usleep(100_000)
        #expect(p.isRunning)
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 0)
    }
}
