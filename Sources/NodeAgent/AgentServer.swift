import Foundation
import Hummingbird
import KubeAPI
import KubeMachinery
import KubeModel
import Logging
import NIOCore

/// The agent's HTTP endpoint on loopback, which the API server calls for
/// `kubectl logs` and `kubectl exec` (as it calls the kubelet's port 10250).
struct AgentServer: Sendable {
    let port: Int
    let token: String
    let registry: PodRegistry
    let logger: Logger

    func run() async throws {
        let router = Router()
        let token = self.token
        router.add(middleware: AuthMiddleware(token: token))
        router.get("containerLogs/:namespace/:pod/:container") { request, context in
            try await self.logs(request, context)
        }
        router.post("streaming/:kind/:namespace/:pod") { request, context in
            try await self.streaming(request, context)
        }
        var l = logger
        // Cancellation at shutdown is normal here; Hummingbird would log it as an error.
        l.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            logger: l
        )
        try await app.runService(gracefulShutdownSignals: [])
    }

    func worker(_ context: BasicRequestContext) async throws -> (PodWorker, String) {
        let ns = context.parameters.get("namespace") ?? "", name = context.parameters.get("pod") ?? ""
        let container = context.parameters.get("container") ?? ""
        guard let w = await registry.find(namespace: ns, name: name) else {
            throw HTTPError(.notFound, message: "pod \(ns)/\(name) is not running on this node")
        }
        guard await w.containerNames().contains(container) else {
            throw HTTPError(.badRequest, message: "container \(container) is not valid for pod \(name)")
        }
        return (w, container)
    }

    func logs(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (w, container) = try await worker(context)
        let q = request.uri.queryParameters
        var query: [String: String] = [:]
        for (k, v) in q { query[String(k)] = String(v) }
        // The API server checked these already; a caller that reaches the agent directly
        // gets the same answer, and no value can trap the arithmetic below.
        let options: PodLogOptions
        do { options = try PodLogOptions(query: query, pod: await w.pod.name) } catch {
            throw HTTPError(.badRequest, message: error.message)
        }
        let previous = options.previous
        let follow = options.follow
        guard let path = await w.logPath(container: container, previous: previous) else {
            throw HTTPError(
                .badRequest,
                message: previous
                    ? "previous terminated container \"\(container)\" in pod \"\(await w.pod.name)\" not found"
                    : "container \"\(container)\" in pod \"\(await w.pod.name)\" is waiting to start: ContainerCreating"
            )
        }
        let tail = options.tailLines
        let limit = options.limitBytes
        guard let handle = FileHandle(forReadingAtPath: path.path) else {
            throw HTTPError(
                .badRequest,
                message: "container \"\(container)\" in pod \"\(await w.pod.name)\" is waiting to start"
            )
        }
        var initial = handle.readDataToEndOfFile()
        // The runtime writes CRI's log format; what a reader gets is the lines themselves.
        var pending: [UInt8] = []
        initial = CRILog.decode(initial, timestamps: options.timestamps, carry: &pending)
        if let tail {
            var lines = initial.split(separator: 0x0A, omittingEmptySubsequences: false)
            if lines.last?.isEmpty == true { lines.removeLast() }
            var kept = Data()
            for line in lines.suffix(max(tail, 0)) {
                kept.append(contentsOf: line)
                kept.append(0x0A)
            }
            initial = kept
        }
        if let limit, limit > 0, initial.count > limit { initial = initial.prefix(limit) }
        let start = initial
        let body = ResponseBody { [pending] writer in
            var pending = pending
            if !start.isEmpty { try await writer.write(ByteBuffer(bytes: start)) }
            if follow {
                // Follow until the container's run ends (its log file is no longer the current one).
                while !Task.isCancelled {
                    var more = handle.readDataToEndOfFile()
                    more = CRILog.decode(more, timestamps: options.timestamps, carry: &pending)
                    if !more.isEmpty { try await writer.write(ByteBuffer(bytes: more)) }
                    let current = await w.logPath(container: container, previous: false)
                    let running = await w.isRunning(container)
                    if current != path || !running {
                        var rest = handle.readDataToEndOfFile()
                        rest = CRILog.decode(rest, timestamps: options.timestamps, carry: &pending)
                        if !rest.isEmpty { try await writer.write(ByteBuffer(bytes: rest)) }
                        break
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            try? handle.close()
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/plain"], body: body)
    }

    /// `POST /streaming/{exec,attach,portforward}/NS/POD?container=…`: the runtime's one-time
    /// URL for the stream, as JSON `{"url": …}`.
    func streaming(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let ns = context.parameters.get("namespace") ?? "", name = context.parameters.get("pod") ?? ""
        guard let w = await registry.find(namespace: ns, name: name) else {
            throw HTTPError(.notFound, message: "pod \(ns)/\(name) is not running on this node")
        }
        let q = request.uri.queryParameters
        let flag = { (n: String) in q.get(n) == "true" || q.get(n) == "1" }
        let streams = StreamingRequest.Streams(
            stdin: flag("stdin"),
            stdout: flag("stdout"),
            stderr: flag("stderr"),
            tty: flag("tty")
        )
        let container = q.get("container") ?? ""
        let kind = context.parameters.get("kind") ?? ""
        let wanted: StreamingRequest
        switch kind {
        case "exec":
            let command = q.getAll("command").map { String($0) }
            guard !command.isEmpty else {
                throw HTTPError(.badRequest, message: "you must specify at least one command for the container")
            }
            wanted = .exec(container: container, command: command, streams)
        case "attach":
            wanted = .attach(container: container, streams)
        case "portforward":
            wanted = .portForward(ports: q.getAll("port").compactMap { Int(String($0)) })
        default:
            throw HTTPError(.notFound, message: "no streaming kind \(kind)")
        }
        if !container.isEmpty, await !w.containerNames().contains(container) {
            throw HTTPError(.badRequest, message: "container \(container) is not valid for pod \(name)")
        }
        let url: String
        do {
            url = try await w.streamingURL(wanted)
        } catch {
            throw HTTPError(.badRequest, message: error.message)
        }
        let body: JSON = ["url": .string(url)]
        return Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body.serialized()))
        )
    }
}

/// What `kubectl exec`, `attach` and `port-forward` ask of a pod.
enum StreamingRequest: Sendable {
    struct Streams: Sendable {
        var stdin: Bool
        var stdout: Bool
        var stderr: Bool
        var tty: Bool
    }
    case exec(container: String, command: [String], Streams)
    case attach(container: String, Streams)
    case portForward(ports: [Int])
}

struct AuthMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let token: String

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.headers[.authorization] == "Bearer \(token)" else { throw HTTPError(.unauthorized) }
        return try await next(request, context)
    }
}
