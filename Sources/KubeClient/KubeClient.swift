import AsyncHTTPClient
import Foundation
import KubeAPI
import KubeMachinery
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// Where a cluster's API server is and how to prove who we are: what every component needs.
public struct ClusterCredentials: Sendable {
    public var servers: [String]
    public var caPEM: String
    /// A bearer token; empty when the client certificate alone says who we are.
    public var token: String
    /// A client certificate and its key (PEM), signed by the cluster CA: its CommonName is
    /// the user, its Organizations the groups, as for a kubelet's certificate.
    public var clientCertificate: (certPEM: String, keyPEM: String)?

    public init(servers: [String], caPEM: String, token: String) {
        self.servers = servers
        self.caPEM = caPEM
        self.token = token
    }

    public init(servers: [String], caPEM: String, clientCertificate: (certPEM: String, keyPEM: String)) {
        self.servers = servers
        self.caPEM = caPEM
        self.token = ""
        self.clientCertificate = clientCertificate
    }

    /// Reads the CA and token that `swiftlet server` keeps in its data directory.
    public static func fromDataDir(_ dir: URL, server: String) throws -> ClusterCredentials {
        let pki = dir.appendingPathComponent("pki")
        return ClusterCredentials(
            servers: [server],
            caPEM: try String(contentsOf: pki.appendingPathComponent("ca.crt"), encoding: .utf8),
            token: try String(contentsOf: pki.appendingPathComponent("token"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        )
    }
}

/// A Kubernetes API client over HTTPS: JSON in and out, `Status` errors as `APIError`,
/// watches as async streams. Several server addresses are tried in turn.
public final class KubeClient: Sendable {
    public let credentials: ClusterCredentials
    let http: HTTPClient
    let logger: Logger
    private let preferred = LockedIndex()

    /// `maxConnections` bounds the connections to one server; every open watch holds one.
    public init(
        credentials: ClusterCredentials,
        maxConnections: Int = 64,
        logger: Logger = Logger(label: "swiftlet.client")
    ) throws {
        self.credentials = credentials
        self.logger = logger
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(credentials.caPEM.utf8)))
        if let identity = credentials.clientCertificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(identity.certPEM.utf8)).map {
                .certificate($0)
            }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(identity.keyPEM.utf8), format: .pem))
        }
        var config = HTTPClient.Configuration(tlsConfiguration: tls)
        config.connectionPool = .init(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: maxConnections
        )
        config.timeout = .init(connect: .seconds(5))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    /// GETs a public object from a server not trusted yet (its certificate is not checked):
    /// only for what the caller verifies by other means, as a joining node does with the
    /// signed `kube-public/cluster-info`. Returns the HTTP status and the parsed body.
    public static func getUntrusted(_ url: String) async throws -> (status: Int, body: JSON?) {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        var config = HTTPClient.Configuration(tlsConfiguration: tls)
        config.timeout = .init(connect: .seconds(5))
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        do {
            let response = try await http.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            let bytes = try await response.body.collect(upTo: 4 << 20)
            try? await http.shutdown()
            return (Int(response.status.code), try? JSON.parse(Array(buffer: bytes)))
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    public static func path(
        _ r: Resource,
        namespace: String?,
        name: String? = nil,
        subresource: String? = nil
    ) -> String {
        var p = r.group.isEmpty ? "/api/\(r.version)" : "/apis/\(r.group)/\(r.version)"
        if r.namespaced, let namespace { p += "/namespaces/\(namespace)" }
        p += "/\(r.plural)"
        if let name { p += "/\(name)" }
        if let subresource { p += "/\(subresource)" }
        return p
    }

    /// One request, returning the parsed JSON body; a `Status` failure becomes an `APIError`.
    public func request(
        _ method: HTTPMethod,
        _ path: String,
        query: [String: String] = [:],
        body: JSON? = nil,
        contentType: String = "application/json",
        timeout: Duration = .seconds(30)
    ) async throws -> JSON {
        let bytes = try await requestBytes(
            method,
            path,
            query: query,
            body: body,
            contentType: contentType,
            timeout: timeout
        )
        return (try? JSON.parse(bytes)) ?? .null
    }

    /// A list's response body, unparsed, for callers that read it one item at a time
    /// (`JSON.parseList`): 10,000 objects never become one tree.
    public func listBytes(_ r: Resource, namespace: String? = nil, fieldSelector: String? = nil) async throws -> [UInt8]
    {
        var q: [String: String] = [:]
        if let fieldSelector { q["fieldSelector"] = fieldSelector }
        return try await requestBytes(.GET, Self.path(r, namespace: namespace), query: q)
    }

    /// One request, returning the body's bytes; a `Status` failure becomes an `APIError`.
    public func requestBytes(
        _ method: HTTPMethod,
        _ path: String,
        query: [String: String] = [:],
        body: JSON? = nil,
        contentType: String = "application/json",
        timeout: Duration = .seconds(30)
    ) async throws -> [UInt8] {
        var lastError: (any Error)?
        let servers = credentials.servers
        let start = preferred.value
        for attempt in 0..<servers.count {
            let index = (start + attempt) % servers.count
            var req = HTTPClientRequest(url: servers[index] + path + Self.queryString(query))
            req.method = method
            if !credentials.token.isEmpty {
                req.headers.add(name: "Authorization", value: "Bearer \(credentials.token)")
            }
            req.headers.add(name: "Accept", value: "application/json")
            if let body {
                req.headers.add(name: "Content-Type", value: contentType)
                req.body = .bytes(ByteBuffer(bytes: body.serialized()))
            }
            do {
                let response = try await http.execute(req, timeout: .seconds(Int64(timeout.components.seconds)))
                let buffer = try await response.body.collect(upTo: 256 * 1024 * 1024)
                let bytes = Array(buffer.readableBytesView)
                preferred.value = index
                if response.status.code >= 400 {
                    throw Self.apiError((try? JSON.parse(bytes)) ?? .null, code: Int(response.status.code))
                }
                return bytes
            } catch let e as APIError {
                throw e
            } catch {
                lastError = error
                logger.debug("API server \(servers[index]) failed: \(error)")
            }
        }
        throw lastError ?? APIError.serviceUnavailable("no API server reachable")
    }

    static func apiError(_ json: JSON, code: Int) -> APIError {
        var e = APIError(
            code: json["code"]?.intValue ?? code,
            reason: json["reason"]?.string ?? "Unknown",
            message: json["message"]?.string ?? "the server answered \(code)"
        )
        e.name = json[path: ["details", "name"]]?.string
        return e
    }

    static func queryString(_ q: [String: String]) -> String {
        if q.isEmpty { return "" }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return "?"
            + q.sorted { $0.key < $1.key }.map {
                "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.value)"
            }.joined(separator: "&")
    }

    // MARK: Typed verbs

    public func get(_ r: Resource, namespace: String?, name: String) async throws -> JSON {
        try await request(.GET, Self.path(r, namespace: namespace, name: name))
    }

    /// Returns nil for 404.
    public func getIfExists(_ r: Resource, namespace: String?, name: String) async throws -> JSON? {
        do { return try await get(r, namespace: namespace, name: name) } catch let e as APIError where e.code == 404 {
            return nil
        }
    }

    public func list(
        _ r: Resource,
        namespace: String? = nil,
        labelSelector: String? = nil,
        fieldSelector: String? = nil
    ) async throws -> (items: [JSON], resourceVersion: String) {
        var q: [String: String] = [:]
        if let labelSelector { q["labelSelector"] = labelSelector }
        if let fieldSelector { q["fieldSelector"] = fieldSelector }
        let list = try await request(.GET, Self.path(r, namespace: namespace), query: q)
        return (list["items"]?.array ?? [], list[path: ["metadata", "resourceVersion"]]?.string ?? "")
    }

    public func create(_ r: Resource, namespace: String?, _ obj: JSON) async throws -> JSON {
        try await request(.POST, Self.path(r, namespace: namespace), body: obj)
    }

    public func update(_ r: Resource, namespace: String?, _ obj: JSON, subresource: String? = nil) async throws -> JSON
    {
        try await request(.PUT, Self.path(r, namespace: namespace, name: obj.name, subresource: subresource), body: obj)
    }

    public func patch(
        _ r: Resource,
        namespace: String?,
        name: String,
        _ patch: JSON,
        type: PatchType = .merge,
        subresource: String? = nil
    ) async throws -> JSON {
        try await request(
            .PATCH,
            Self.path(r, namespace: namespace, name: name, subresource: subresource),
            body: patch,
            contentType: type.rawValue
        )
    }

    @discardableResult
    public func delete(
        _ r: Resource,
        namespace: String?,
        name: String,
        gracePeriodSeconds: Int? = nil,
        propagationPolicy: String? = nil,
        preconditionUID: String? = nil
    ) async throws -> JSON {
        var body: JSON = ["kind": "DeleteOptions", "apiVersion": "v1"]
        if let gracePeriodSeconds { body["gracePeriodSeconds"] = JSON(gracePeriodSeconds) }
        if let propagationPolicy { body["propagationPolicy"] = .string(propagationPolicy) }
        if let preconditionUID { body["preconditions"] = ["uid": .string(preconditionUID)] }
        return try await request(.DELETE, Self.path(r, namespace: namespace, name: name), body: body)
    }

    // MARK: Watch

    public struct Event: Sendable {
        public var type: String
        public var object: JSON

        public init(type: String, object: JSON) {
            self.type = type
            self.object = object
        }
    }

    /// Streams watch events from `resourceVersion` until the server ends the watch.
    public func watch(
        _ r: Resource,
        namespace: String? = nil,
        resourceVersion: String,
        labelSelector: String? = nil,
        fieldSelector: String? = nil,
        timeoutSeconds: Int = 300,
        bookmarks: Bool = true
    ) -> AsyncThrowingStream<Event, any Error> {
        var q = ["watch": "1", "resourceVersion": resourceVersion, "timeoutSeconds": String(timeoutSeconds)]
        if bookmarks { q["allowWatchBookmarks"] = "true" }
        if let labelSelector { q["labelSelector"] = labelSelector }
        if let fieldSelector { q["fieldSelector"] = fieldSelector }
        let path = Self.path(r, namespace: namespace) + Self.queryString(q)
        let servers = credentials.servers
        let index = preferred.value % max(servers.count, 1)
        let token = credentials.token
        let http = self.http
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var req = HTTPClientRequest(url: servers[index] + path)
                    if !token.isEmpty { req.headers.add(name: "Authorization", value: "Bearer \(token)") }
                    req.headers.add(name: "Accept", value: "application/json")
                    let response = try await http.execute(req, timeout: .seconds(Int64(timeoutSeconds + 30)))
                    if response.status.code >= 400 {
                        let buffer = try await response.body.collect(upTo: 1 << 20)
                        throw Self.apiError(
                            (try? JSON.parse(Array(buffer.readableBytesView))) ?? .null,
                            code: Int(response.status.code)
                        )
                    }
                    var pending: [UInt8] = []
                    for try await chunk in response.body {
                        pending.append(contentsOf: chunk.readableBytesView)
                        while let nl = pending.firstIndex(of: 0x0A) {
                            let line = Array(pending[..<nl])
                            pending.removeSubrange(...nl)
                            guard !line.isEmpty, let json = try? JSON.parse(line) else { continue }
                            let event = Event(type: json["type"]?.string ?? "", object: json["object"] ?? .null)
                            if event.type == "ERROR" {
                                throw Self.apiError(event.object, code: event.object["code"]?.intValue ?? 500)
                            }
                            continuation.yield(event)
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

final class LockedIndex: Sendable {
    private let state = Mutex(0)
    var value: Int {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
