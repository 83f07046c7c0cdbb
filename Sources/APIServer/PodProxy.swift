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

/// `pods/log`, `exec`, `attach` and `portforward`: the API server finds the pod's node and calls that node's
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
        container: String?,
        anyContainer: Bool = false
    ) async throws -> (agent: String, container: String, pod: JSON, token: String) {
        let pod = try await registry.get(Resources.pods, namespace: namespace, name: name)
        let containers = (pod[path: ["spec", "containers"]]?.array ?? []).compactMap { $0["name"]?.string }
        let inits = (pod[path: ["spec", "initContainers"]]?.array ?? []).compactMap { $0["name"]?.string }
        let chosen: String
        if anyContainer {
            chosen = containers.first ?? ""
        } else if let container, !container.isEmpty {
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

    /// Sends a request to a node agent with its token; the answer if it is 200, else the
    /// error kubectl should show (502 when the agent cannot be reached).
    func callAgent(
        _ request: HTTPClientRequest,
        token: String,
        pod: String,
        timeout: TimeAmount
    ) async throws -> HTTPClientResponse {
        var req = request
        req.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response: HTTPClientResponse
        do {
            response = try await http.execute(req, timeout: timeout)
        } catch {
            throw APIError(
                code: 502,
                reason: "InternalError",
                message: "cannot reach the node agent of pod \(pod): \(error)"
            )
        }
        guard response.status == .ok else { throw await agentError(response) }
        return response
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
        let req = HTTPClientRequest(
            url: "\(agent)/containerLogs/\(namespace)/\(name)/\(container)?\(params.joined(separator: "&"))"
        )
        let response = try await callAgent(req, token: token, pod: name, timeout: .hours(24))
        let body = ResponseBody { writer in
            for try await chunk in response.body { try await writer.write(chunk) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/plain"], body: body)
    }

    public func shutdown() async { try? await http.shutdown() }
}
