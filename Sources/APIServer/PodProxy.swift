import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import KubeAPI
import KubeMachinery
import Logging
import NIOCore
import NIOSSL

/// `pods/log` and `pods/exec`: the API server finds the pod's node and calls that node's
/// agent (as the real API server calls the kubelet), streaming the answer back.
public struct PodProxy: Sendable {
    let registry: Registry
    let agentToken: String
    let http: HTTPClient

    public init(registry: Registry, agentToken: String) {
        self.registry = registry
        self.agentToken = agentToken
        http = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(timeout: .init(connect: .seconds(2)))
        )
    }

    /// The agent endpoint and container for a pod, or the error kubectl would show.
    func locate(
        namespace: String,
        name: String,
        container: String?
    ) async throws -> (agent: String, container: String, pod: JSON, token: String) {
        let pod = try await registry.get(Resources.pods, namespace: namespace, name: name)
        let containers = (pod[path: ["spec", "containers"]]?.array ?? []).compactMap { $0["name"]?.string }
        let inits = (pod[path: ["spec", "initContainers"]]?.array ?? []).compactMap { $0["name"]?.string }
        let chosen: String
        if let container, !container.isEmpty {
            guard (containers + inits).contains(container) else {
                throw APIError.badRequest("container \(container) is not valid for pod \(name)")
            }
            chosen = container
        } else if containers.count == 1 {
            chosen = containers[0]
        } else {
            throw APIError.badRequest(
                "a container name must be specified for pod \(name), choose one of: [\(containers.joined(separator: " "))]"
            )
        }
        let nodeName = pod[path: ["spec", "nodeName"]]?.string ?? ""
        let waiting = APIError.badRequest(
            "container \"\(chosen)\" in pod \"\(name)\" is waiting to start: ContainerCreating"
        )
        guard !nodeName.isEmpty, let node = try? await registry.get(Resources.nodes, namespace: nil, name: nodeName),
            let endpoint = node[path: ["metadata", "annotations", "swiftlet.dev/agent-endpoint"]]?.string
        else { throw waiting }
        // A node that joined with a bootstrap token names the token its agent accepts.
        let token = node[path: ["metadata", "annotations", "swiftlet.dev/agent-token"]]?.string ?? agentToken
        return ("http://\(endpoint)", chosen, pod, token)
    }

    static func escape(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    func agentError(_ response: HTTPClientResponse) async -> APIError {
        let body = (try? await response.body.collect(upTo: 1 << 16)).map { String(buffer: $0) } ?? ""
        let message = (try? JSON.parse(Array(body.utf8)))?["message"]?.string ?? body
        return APIError(
            code: Int(response.status.code) == 404 ? 404 : 400,
            reason: Int(response.status.code) == 404 ? "NotFound" : "BadRequest",
            message: message.isEmpty ? "the node agent answered \(response.status.code)" : message
        )
    }

    public func logs(namespace: String, name: String, query: [String: String]) async throws -> Response {
        // Checked before anything else, as upstream does: a bad query never reaches the node.
        let options = try PodLogOptions(query: query, pod: name)
        let (agent, container, _, token) = try await locate(
            namespace: namespace,
            name: name,
            container: options.container
        )
        let params = options.agentQuery.map { "\($0.0)=\(Self.escape($0.1))" }
        var req = HTTPClientRequest(
            url: "\(agent)/containerLogs/\(namespace)/\(name)/\(container)?\(params.joined(separator: "&"))"
        )
        req.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response: HTTPClientResponse
        do {
            response = try await http.execute(req, timeout: .hours(24))
        } catch {
            throw APIError(
                code: 502,
                reason: "InternalError",
                message: "cannot reach the node agent of pod \(name): \(error)"
            )
        }
        guard response.status == .ok else { throw await agentError(response) }
        let body = ResponseBody { writer in
            for try await chunk in response.body { try await writer.write(chunk) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/plain"], body: body)
    }

    // MARK: exec over WebSocket (the channel protocols kubectl speaks)

    static let protocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"]

    /// Whether a request is a WebSocket exec upgrade we can serve; nil lets the normal
    /// handler answer (with the right error for a bad pod or container).
    func execUpgrade(
        _ request: HTTPRequest,
        authenticated: Bool
    ) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard authenticated, let target = request.path, let url = URLComponents(string: target) else {
            return .dontUpgrade
        }
        let seg = url.path.split(separator: "/").map(String.init)
        guard seg.count == 7, seg[0] == "api", seg[1] == "v1", seg[2] == "namespaces", seg[4] == "pods",
            seg[6] == "exec"
        else {
            return .dontUpgrade
        }
        let offered = (request.headerFields[.secWebSocketProtocol] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard let proto = Self.protocols.first(where: offered.contains) else { return .dontUpgrade }
        // Form encoding: `+` is a space (kubectl encodes with Go's url.Values).
        let items: [URLQueryItem] = (url.percentEncodedQuery ?? "").split(separator: "&").map { pair in
            let kv = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ")
            }
            return URLQueryItem(
                name: kv[0].removingPercentEncoding ?? kv[0],
                value: kv.count > 1 ? (kv[1].removingPercentEncoding ?? kv[1]) : ""
            )
        }
        let command = items.filter { $0.name == "command" }.compactMap(\.value)
        let flag = { (n: String) in
            items.first { $0.name == n }?.value == "true" || items.first { $0.name == n }?.value == "1"
        }
        let namespace = seg[3], name = seg[5]
        guard !command.isEmpty,
            let (agent, container, _, token) = try? await locate(
                namespace: namespace,
                name: name,
                container: items.first { $0.name == "container" }?.value
            )
        else { return .dontUpgrade }
        let wantsStdin = flag("stdin")
        let v5 = proto.hasPrefix("v5")
        let http = self.http
        return .upgrade([.secWebSocketProtocol: proto]) { inbound, outbound, _ in
            var stdin = ByteBuffer()
            if wantsStdin {
                reading: for try await message in inbound.messages(maxSize: 64 << 20) {
                    guard case var .binary(b) = message, let channel = b.readInteger(as: UInt8.self) else { continue }
                    switch channel {
                    case 0: stdin.writeImmutableBuffer(b)
                    case 255 where v5: if b.readInteger(as: UInt8.self) == 0 { break reading }
                    default: continue
                    }
                }
            }
            let query =
                command.map { "command=\(Self.escape($0))" }.joined(separator: "&") + (wantsStdin ? "&stdin=true" : "")
            var req = HTTPClientRequest(url: "\(agent)/exec/\(namespace)/\(name)/\(container)?\(query)")
            req.method = .POST
            req.headers.add(name: "Authorization", value: "Bearer \(token)")
            req.body = .bytes(stdin)
            var exitCode: Int? = nil
            var failure: String? = nil
            do {
                let response = try await http.execute(req, timeout: .hours(24))
                if response.status != .ok {
                    failure = String(buffer: try await response.body.collect(upTo: 1 << 16))
                } else {
                    var pending = ByteBuffer()
                    for try await chunk in response.body {
                        pending.writeImmutableBuffer(chunk)
                        while pending.readableBytes >= 5 {
                            let id = pending.getInteger(at: pending.readerIndex, as: UInt8.self)!
                            let len = Int(pending.getInteger(at: pending.readerIndex + 1, as: UInt32.self)!)
                            guard pending.readableBytes >= 5 + len else { break }
                            pending.moveReaderIndex(forwardBy: 5)
                            let data = pending.readSlice(length: len)!
                            if id == 3 {
                                exitCode = Int(String(buffer: data))
                            } else {
                                var frame = ByteBuffer()
                                frame.writeInteger(id)
                                frame.writeImmutableBuffer(data)
                                try await outbound.write(.binary(frame))
                            }
                        }
                    }
                }
            } catch {
                failure = "cannot reach the node agent: \(error)"
            }
            let status: JSON
            if let failure {
                status = [
                    "metadata": [:], "status": "Failure", "message": .string(failure), "reason": "InternalError",
                    "code": 500,
                ]
            } else if let code = exitCode, code != 0 {
                status = [
                    "metadata": [:], "status": "Failure",
                    "message": .string(
                        "command terminated with non-zero exit code: error executing command \(command), exit code \(code)"
                    ),
                    "reason": "NonZeroExitCode",
                    "details": ["causes": [["reason": "ExitCode", "message": .string(String(code))]]],
                ]
            } else {
                status = ["metadata": [:], "status": "Success"]
            }
            var frame = ByteBuffer()
            frame.writeInteger(UInt8(3))
            frame.writeBytes(status.serialized())
            try await outbound.write(.binary(frame))
            try await outbound.close(.normalClosure, reason: nil)
        }
    }

    public func shutdown() async { try? await http.shutdown() }
}
