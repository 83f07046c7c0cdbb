import ArgumentParser
import BuiltinImages
import Foundation

/// agnhost: `swiftlet agnhost netexec|serve-hostname|pause [flags]`, and `/agnhost …` in the
/// agnhost image Swiftlet makes from this binary.
struct AgnhostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agnhost",
        abstract: "The built-in agnhost test image (netexec, serve-hostname, grpc-health-checking, pause).",
        subcommands: [Netexec.self, ServeHostname.self, GRPCHealthChecking.self, Pause.self]
    )

    struct GRPCHealthChecking: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "grpc-health-checking",
            abstract: "A gRPC health service, switched by /make-serving and /make-not-serving."
        )
        @Option var port = 5000
        @Option(name: .customLong("http-port")) var httpPort = 8080
        @Option(name: .customLong("delay-unhealthy-sec")) var delayUnhealthySec = -1
        @Option var service = ""

        func run() async throws {
            try await Agnhost.grpcHealthChecking(
                port: port,
                httpPort: httpPort,
                delayUnhealthy: delayUnhealthySec,
                service: service
            )
        }
    }

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
