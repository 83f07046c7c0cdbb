import Foundation

/// Where Swiftlet's own binaries are, for the processes it starts (node agents, a detached
/// `up`, the benchmarks' servers and clusters).
package enum SwiftletExecutable {
    /// This process's executable.
    package static var current: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The `swiftlet` binary: `$SWIFTLET_BIN`, else the `swiftlet` beside this executable (as
    /// `swiftlet-bench` is built and installed), else this executable.
    package static var swiftlet: String {
        if let bin = ProcessInfo.processInfo.environment["SWIFTLET_BIN"], !bin.isEmpty { return bin }
        let current = URL(fileURLWithPath: current)
        let sibling = current.deletingLastPathComponent().appendingPathComponent("swiftlet").path
        return FileManager.default.isExecutableFile(atPath: sibling) ? sibling : current.path
    }
}

package struct NoFreePort: Error, CustomStringConvertible {
    package var description: String { "no free TCP port on 127.0.0.1 (is the port range exhausted?)" }
}

/// A TCP port on 127.0.0.1 that nothing listens on now.
package func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw NoFreePort() }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    guard ok else { throw NoFreePort() }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// Progress lines for the user, on stdout.
package final class ProgressLog: Sendable {
    let started = ContinuousClock.now

    package init() {}

    package func step(_ s: String) {
        let t = ContinuousClock.now - started
        let ms = t.components.seconds * 1000 + t.components.attoseconds / 1_000_000_000_000_000
        Self.say(String(format: "[%5.2fs] ", Double(ms) / 1000) + s)
    }

    /// Unbuffered, so progress shows at once even when stdout is a file or pipe.
    package static func say(_ s: String) {
        FileHandle.standardOutput.write(Data((s + "\n").utf8))
    }
}
