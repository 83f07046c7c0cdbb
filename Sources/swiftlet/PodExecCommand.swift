import ArgumentParser
import BuiltinImages
import CLinuxNamespaces
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Enters a pod and execs its command: the pod's network namespace, its own UTS
/// namespace (hostname) and mount namespace (its resolv.conf and hosts over /etc's).
/// The node agent starts every container process through this.
struct PodExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pod-exec",
        abstract: "Run a command inside a pod (used by the node agent).",
        shouldDisplay: false
    )

    @Option var netns: String
    @Option var hostname: String?
    @Option(help: "A directory with the pod's resolv.conf and hosts.") var etc: String?
    @Option var workdir: String?
    @Argument(parsing: .captureForPassthrough) var command: [String] = []

    func run() throws {
        var argv = command
        if argv.first == "--" { argv.removeFirst() }
        guard !argv.isEmpty else { fail("no command given") }
        let fd = open("/run/netns/\(netns)", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { fail("network namespace \(netns) not found") }
        guard swiftlet_setns_net(fd) == 0 else {
            fail("cannot enter network namespace \(netns): \(Self.errorText(errno))")
        }
        close(fd)
        guard swiftlet_unshare_mount_uts() == 0 else { fail("unshare: \(Self.errorText(errno))") }
        // Keep our mounts private so the host never sees them.
        _ = mount("none", "/", nil, UInt(MS_REC | MS_PRIVATE), nil)
        if let etc {
            for file in ["resolv.conf", "hosts"] {
                let source = "\(etc)/\(file)"
                if access(source, R_OK) == 0, mount(source, "/etc/\(file)", nil, UInt(MS_BIND), nil) != 0 {
                    FileHandle.standardError.write(
                        Data("swiftlet: cannot bind \(source) over /etc/\(file): \(Self.errorText(errno))\n".utf8)
                    )
                }
            }
        }
        // /sys shows the namespace's interfaces only when mounted from inside it.
        _ = umount2("/sys", Int32(MNT_DETACH))
        _ = mount("sysfs", "/sys", "sysfs", 0, nil)
        if let hostname {
            _ = hostname.withCString { sethostname($0, hostname.utf8.count) }
        }
        if let workdir, chdir(workdir) != 0 {
            fail("cannot change to working directory \(workdir): \(Self.errorText(errno))", code: 128)
        }
        // A container starts with default signal dispositions, as the kubelet's do: an
        // ignored SIGPIPE inherited from the agent would change how pipelines in it end.
        signal(SIGPIPE, SIG_DFL)
        let cargs = argv.map { strdup($0) } + [nil]
        execvp(argv[0], cargs)
        let err = errno
        fail("exec \(argv[0]): \(Self.errorText(err))", code: err == ENOENT ? 127 : 126)
    }

    static func errorText(_ e: Int32) -> String {
        guard let p = strerror(e) else { return "errno \(e)" }
        return String(
            decoding: UnsafeBufferPointer(
                start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self),
                count: strlen(p)
            ),
            as: UTF8.self
        )
    }

    func fail(_ message: String, code: Int32 = 128) -> Never {
        FileHandle.standardError.write(Data("swiftlet pod-exec: \(message)\n".utf8))
        Foundation.exit(code)
    }
}

/// The built-in agnhost image: `swiftlet agnhost netexec|serve-hostname|pause [flags]`.
struct AgnhostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agnhost",
        abstract: "The built-in agnhost test image (netexec, serve-hostname, pause).",
        subcommands: [Netexec.self, ServeHostname.self, Pause.self]
    )

    struct Netexec: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "HTTP and UDP test server.")
        @Option(name: .customLong("http-port")) var httpPort = 8080
        @Option(name: .customLong("udp-port")) var udpPort = 8081
        @Option(name: .customLong("sctp-port")) var sctpPort = -1
        @Option(name: .customLong("delay-shutdown")) var delayShutdown = 0
        @Option(name: .customLong("udp-listen-addresses")) var udpListenAddresses: String?

        func run() async throws {
            try await Agnhost.netexec(httpPort: httpPort, udpPort: udpPort, delayShutdown: delayShutdown)
        }
    }

    struct ServeHostname: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve-hostname",
            abstract: "Answers with the hostname."
        )
        @Option var port = 9376
        func run() async throws { try await Agnhost.serveHostname(port: port) }
    }

    struct Pause: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sleeps until terminated.")
        func run() { Agnhost.pause() }
    }
}
