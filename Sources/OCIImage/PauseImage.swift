import Foundation

/// Swiftlet's pause image: the process that holds each pod sandbox's namespaces. It is a
/// static executable of a few hundred bytes that Swiftlet writes itself (so the image is
/// never pulled and needs no compiler): it blocks SIGINT, SIGTERM and SIGCHLD, waits for
/// them with rt_sigtimedwait, reaps children on SIGCHLD (it is PID 1 of a shared PID
/// namespace) and exits 0 on the others. A blocked signal reaches even a namespace's init,
/// which drops signals it has no handler for.
public enum PauseImage {
    public static let reference = "swiftlet.local/pause:1"

    /// The machine code of that loop, assembled from `Sources/OCIImage/pause/pause-<arch>.S`
    /// by `scripts/generate-pause.sh` (position-independent, no data).
    static let x86_64: [UInt8] = hex(
        "6802400100b80e00000031ff4889e631d241ba080000000f05b8800000004889e731f631d241ba080000000f05"
            + "85c078e883f811751cb83d000000bfffffffff31f6ba010000004531d20f0585c07fe6ebc7b8e700000031ff0f05"
    )
    static let aarch64: [UInt8] = hex(
        "490088d22900a0f2e90f1ff8000080d2e1030091020080d2030180d2e81080d2010000d4e0030091010080d2"
            + "020080d2030180d2281180d2010000d440ffff371f4400714101005400008092010080d2220080d2030080d2"
            + "882080d2010000d41f0000712cffff54efffff17000080d2c80b80d2010000d4"
    )

    /// The pause executable for this machine.
    public static var executable: Data {
        #if arch(arm64)
        StaticELF.executable(machine: .aarch64, code: aarch64)
        #else
        StaticELF.executable(machine: .x86_64, code: x86_64)
        #endif
    }

    public static var build: ImageBuild {
        ImageBuild(
            reference: reference,
            files: [.init("pause", mode: 0o755, .data(executable))],
            entrypoint: ["/pause"]
        )
    }

    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex, let j = s.index(i, offsetBy: 2, limitedBy: s.endIndex) {
            out.append(UInt8(s[i..<j], radix: 16) ?? 0)
            i = j
        }
        return out
    }
}

/// A minimal static ELF64 executable: the header, one loadable read+execute segment that
/// maps the whole file, and the code right after the headers. Pure.
public enum StaticELF {
    public enum Machine: UInt16, Sendable {
        case x86_64 = 62
        case aarch64 = 183
    }

    static let base: UInt64 = 0x40_0000
    static let headersSize = 64 + 56

    public static func executable(machine: Machine, code: [UInt8]) -> Data {
        var d = Data()
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        let total = UInt64(headersSize + code.count)
        // e_ident: magic, 64-bit, little-endian, version 1, System V ABI.
        d.append(contentsOf: [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 8))
        u16(2)  // ET_EXEC
        u16(machine.rawValue)
        u32(1)
        u64(base + UInt64(headersSize))  // entry
        u64(64)  // program headers right after this header
        u64(0)  // no section headers
        u32(0)
        u16(64)
        u16(56)
        u16(1)
        u16(0)
        u16(0)
        u16(0)
        // PT_LOAD, R+X, the whole file at `base`.
        u32(1)
        u32(5)
        u64(0)
        u64(base)
        u64(base)
        u64(total)
        u64(total)
        u64(0x1000)
        d.append(contentsOf: code)
        return d
    }
}
