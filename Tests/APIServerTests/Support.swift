import APIServer
import Hummingbird
import HummingbirdTesting
import KubeAPI
import KubeMachinery
import KubeStore
import NIOCore

/// An API handler on a memory store, driven in-process through Hummingbird's test client.
struct TestAPI {
    static let token = "test-token"
    let registry: Registry

    init(admission: Bool = false) async throws {
        let store = MemoryStore()
        let allocator = ServiceAllocator(serviceCIDR: IPv4Network("10.96.0.0/24")!, nodePorts: 30000...30009)
        registry = Registry(store: store, allocator: allocator, admission: admission)
        try await registry.start()
        for ns in ["default", "kiada"] {
            _ = try await registry.create(
                Resources.namespaces,
                namespace: nil,
                body: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]]
            )
        }
    }

    func run(
        maxBodyBytes: Int = 64 * 1024,
        serviceAccountTokens: ServiceAccountTokens? = nil,
        authorizer: Authorizer? = nil,
        _ body: @Sendable (Client) async throws -> Void
    ) async throws {
        var extensions = APIExtensions()
        if let tokens = serviceAccountTokens {
            extensions.setTokenCheck { [registry] in await tokens.authenticate($0, registry: registry) }
        }
        let handler = APIHandler(
            registry: registry,
            token: Self.token,
            serverAddress: "127.0.0.1:6443",
            version: "test",
            maxBodyBytes: maxBodyBytes,
            extensions: extensions,
            serviceAccountTokens: serviceAccountTokens,
            authorizer: authorizer
        )
        let app = Application(responder: handler)
        try await app.test(.router) { client in try await body(Client(inner: client)) }
    }

    struct Reply {
        let code: Int
        let json: JSON
        let text: String
    }

    struct Client: Sendable {
        let inner: any TestClientProtocol

        func send(
            _ method: HTTPRequest.Method,
            _ uri: String,
            _ body: String? = nil,
            contentType: String = "application/json",
            accept: String? = nil,
            token: String? = TestAPI.token,
            as user: UserInfo? = nil
        ) async throws -> Reply {
            var headers: HTTPFields = [.contentType: contentType]
            if let token { headers[.authorization] = "Bearer \(token)" }
            if let accept { headers[.accept] = accept }
            if let user, let name = HTTPFields.Element.Name("Impersonate-User"),
                let group = HTTPFields.Element.Name("Impersonate-Group")
            {
                headers[name] = user.name
                for g in user.groups where g != UserInfo.authenticated {
                    headers.append(HTTPFields.Element(name: group, value: g))
                }
            }
            return try await inner.execute(
                uri: uri,
                method: method,
                headers: headers,
                body: body.map { ByteBuffer(string: $0) }
            ) { r in
                let text = String(buffer: r.body)
                return Reply(code: Int(r.status.code), json: (try? JSON.parse(text)) ?? .null, text: text)
            }
        }

        func send(
            _ method: HTTPRequest.Method,
            _ uri: String,
            bytes: [UInt8],
            contentType: String
        ) async throws -> Reply {
            let headers: HTTPFields = [.contentType: contentType, .authorization: "Bearer \(TestAPI.token)"]
            return try await inner.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(bytes: bytes)) {
                r in
                let text = String(buffer: r.body)
                return Reply(code: Int(r.status.code), json: (try? JSON.parse(text)) ?? .null, text: text)
            }
        }
    }
}
