import Foundation
import GRPCCore
import GRPCHealth
import GRPCNIOTransportHTTP2Posix
import Hummingbird
import NIOCore
import Synchronization

extension Agnhost {
    /// `grpc-health-checking`: the gRPC health service on `port` answering for `service`
    /// (another name: NOT_FOUND), SERVING for `delayUnhealthy` seconds and NOT_SERVING after
    /// (negative: always SERVING; 0: NOT_SERVING from the start); on `httpPort`,
    /// `/make-serving` and `/make-not-serving` switch it, as upstream's agnhost does.
    public static func grpcHealthChecking(port: Int, httpPort: Int, delayUnhealthy: Int, service: String) async throws {
        let health = HealthState(serving: delayUnhealthy != 0)
        if delayUnhealthy > 0 {
            Task {
                try? await Task.sleep(for: .seconds(delayUnhealthy))
                health.serving.store(false, ordering: .relaxed)
                print("Mark as unhealthy")
            }
        }
        let router = Router()
        router.get("/make-serving") { _, _ in
            health.serving.store(true, ordering: .relaxed)
            return "ok"
        }
        router.get("/make-not-serving") { _, _ in
            health.serving.store(false, ordering: .relaxed)
            print("Mark as unhealthy")
            return "ok"
        }
        let app = Application(router: router, configuration: .init(address: .hostname("0.0.0.0", port: httpPort)))
        let server = GRPCServer(
            transport: HTTP2ServerTransport.Posix(
                address: .ipv4(host: "0.0.0.0", port: port),
                transportSecurity: .plaintext
            ),
            services: [HealthService(service: service, state: health)]
        )
        print("Http server starting to listen on :\(httpPort)")
        print("gRPC server starting to listen on :\(port)")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint]) }
            group.addTask { try await server.serve() }
            try await group.next()
            server.beginGracefulShutdown()
            group.cancelAll()
        }
    }

    final class HealthState: Sendable {
        let serving: Atomic<Bool>
        init(serving: Bool) { self.serving = Atomic(serving) }
    }

    struct HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
        let service: String
        let state: HealthState

        func check(
            request: Grpc_Health_V1_HealthCheckRequest,
            context: ServerContext
        ) async throws -> Grpc_Health_V1_HealthCheckResponse {
            guard request.service == service else {
                throw RPCError(code: .notFound, message: "unknown service")
            }
            var response = Grpc_Health_V1_HealthCheckResponse()
            response.status = state.serving.load(ordering: .relaxed) ? .serving : .notServing
            return response
        }
    }
}
