import APIFailover
import ArgumentParser
import Logging
import ServiceLifecycle

/// `swiftlet api-proxy`: one local address for kubectl in front of several API servers.
struct APIProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-proxy",
        abstract: "Give kubectl one local address that fails over between several API servers.",
        discussion: """
            kubectl talks to one server per kubeconfig. Run `swiftlet api-proxy --server https://A:6443,https://B:6444` \
            and point kubectl at https://127.0.0.1:7443 (every Swiftlet server's certificate names 127.0.0.1): each \
            connection goes to the first server that accepts it. TLS passes through untouched.
            """
    )

    @Option(help: "The API servers, comma-separated, in order of preference.") var server: String
    @Option(help: "The local address to listen on, HOST:PORT.") var listen = "127.0.0.1:7443"
    @Option(help: "Log level.") var logLevel = "info"

    func run() async throws {
        let backends = try server.split(separator: ",").map { text in
            guard let b = FailoverProxy.Backend(url: String(text).trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--server \(text) is not https://HOST:PORT")
            }
            return b
        }
        guard !backends.isEmpty else { throw ValidationError("--server needs at least one https://HOST:PORT") }
        guard let local = FailoverProxy.Backend(url: listen) else {
            throw ValidationError("--listen \(listen) is not HOST:PORT")
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "swiftlet.api-proxy")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let proxy = FailoverProxy(host: local.host, port: local.port, backends: backends, logger: logger)
        try await ServiceGroup(
            configuration: .init(
                services: [.init(service: proxy)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        ).run()
    }
}
