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

    /// Frame ids of the exec stream: 1 stdout, 2 stderr, 3 the exit code (decimal text).
    static let exitFrame: UInt8 = 3

    func run() async throws {
        let router = Router()
        let token = self.token
        router.add(middleware: AuthMiddleware(token: token))
        router.get("containerLogs/:namespace/:pod/:container") { request, context in
            try await self.logs(request, context)
        }
        router.post("exec/:namespace/:pod/:container") { request, context in
            try await self.exec(request, context)
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

    func exec(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (w, container) = try await worker(context)
        guard await w.isRunning(container) else {
            throw HTTPError(.badRequest, message: "container \(container) is not running")
        }
        let command: [String] = request.uri.queryParameters.getAll("command").map { String($0) }
        guard !command.isEmpty else {
            throw HTTPError(.badRequest, message: "you must specify at least one command for the container")
        }
        let wantsStdin = request.uri.queryParameters.get("stdin") == "true"
        var req = request
        let stdin: Data? = wantsStdin ? Data((try await req.collectBody(upTo: 64 << 20)).readableBytesView) : nil
        guard let exec = await w.streamingExec(container, tty: false) else {
            throw HTTPError(.badRequest, message: "container \(container) is not running")
        }
        let (executable, prefix) = exec
        let environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        let body = ResponseBody { [executable, prefix, environment] writer in
            let (frames, sink) = AsyncStream<(UInt8, Data)>.makeStream()
            let runner = Task {
                let code = await PodExec.run(
                    executable: executable,
                    arguments: prefix + command,
                    environment: environment,
                    stdin: stdin,
                    timeout: nil
                ) { id, data in
                    sink.yield((id, data))
                }
                sink.yield((Self.exitFrame, Data(String(code).utf8)))
                sink.finish()
            }
            for await (id, data) in frames {
                var b = ByteBuffer()
                b.writeInteger(id)
                b.writeInteger(UInt32(data.count))
                b.writeBytes(data)
                try await writer.write(b)
            }
            _ = await runner.value
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: body)
    }
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
