import AsyncHTTPClient
import Foundation
import GRPCCore
import GRPCHealth
import GRPCNIOTransportHTTP2Posix
import KubeAPI
import KubeMachinery
import KubeModel
import NIOCore
import NIOPosix

/// One probe's settings, with Kubernetes' defaults.
struct ProbeSpec: Sendable {
    enum Action: Sendable {
        case http(scheme: String, host: String?, port: Int, path: String, headers: [(String, String)])
        case tcp(host: String?, port: Int)
        case exec([String])
        /// grpc.health.v1 Check of `service` (empty: the server).
        case grpc(port: Int, service: String)
        case unsupported(String)
    }

    var action: Action
    var initialDelay: Int
    var period: Int
    var timeout: Int
    var successThreshold: Int
    var failureThreshold: Int

    init?(_ probe: Probe?, container: Container) {
        guard let probe else { return nil }
        initialDelay = probe.initialDelaySeconds ?? 0
        period = max(probe.periodSeconds ?? 10, 1)
        timeout = max(probe.timeoutSeconds ?? 1, 1)
        successThreshold = max(probe.successThreshold ?? 1, 1)
        failureThreshold = max(probe.failureThreshold ?? 3, 1)
        switch probe.handler {
        case let .httpGet(path, port, host, scheme, headers):
            guard let p = container.port(port) else {
                let named: String
                if case .string(let s)? = port { named = s } else { named = "" }
                action = .unsupported("httpGet port \(named) is not a container port")
                return
            }
            action = .http(
                scheme: (scheme ?? "HTTP").lowercased(),
                host: host,
                port: p,
                path: path ?? "/",
                headers: headers.map { ($0.name, $0.value) }
            )
        case let .tcpSocket(port, host):
            guard let p = container.port(port) else {
                action = .unsupported("tcpSocket port is not a container port")
                return
            }
            action = .tcp(host: host, port: p)
        case .exec(let command):
            action = .exec(command)
        case let .grpc(port, service):
            guard let port else {
                action = .unsupported("grpc probe without a port")
                return
            }
            action = .grpc(port: port, service: service ?? "")
        case .none:
            action = .unsupported("a probe needs one of httpGet, tcpSocket, exec or grpc")
        }
    }
}

/// Runs probes against a pod, from the host (which routes to every pod).
struct Prober: Sendable {
    let http: HTTPClient

    /// Runs a command in the probed container (nil: no time limit); returns the exit code
    /// and output.
    typealias Exec = @Sendable (_ command: [String], _ timeout: Duration?) async -> (Int32, String)

    enum Result: Sendable {
        case success
        case failure(String)
    }

    func probe(_ spec: ProbeSpec, podIP: String, exec: Exec) async -> Result {
        switch spec.action {
        case let .http(scheme, host, port, path, headers):
            let url = "\(scheme)://\(host ?? podIP):\(port)\(path.hasPrefix("/") ? path : "/" + path)"
            var req = HTTPClientRequest(url: url)
            req.headers.add(name: "User-Agent", value: "kube-probe/1.32")
            req.headers.add(name: "Accept", value: "*/*")
            for (k, v) in headers { req.headers.replaceOrAdd(name: k, value: v) }
            do {
                let resp = try await http.execute(req, timeout: .seconds(Int64(spec.timeout)))
                _ = try? await resp.body.collect(upTo: 10 * 1024)
                if (200..<400).contains(resp.status.code) { return .success }
                return .failure("HTTP probe failed with statuscode: \(resp.status.code)")
            } catch {
                return .failure("Get \"\(url)\": \(Self.describe(error))")
            }
        case let .tcp(host, port):
            let target = host ?? podIP
            do {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connectTimeout(.seconds(Int64(spec.timeout)))
                    .connect(host: target, port: port).get()
                try? await channel.close()
                return .success
            } catch {
                return .failure("dial tcp \(target):\(port): \(Self.describe(error))")
            }
        case let .grpc(port, service):
            return await grpcCheck(host: podIP, port: port, service: service, timeout: spec.timeout)
        case let .exec(command):
            let (code, output) = await exec(command, .seconds(spec.timeout))
            if code == 0 { return .success }
            return .failure("command \(command) exited with \(code): \(output.prefix(200))")
        case let .unsupported(why):
            return .failure(why)
        }
    }

    /// A grpc probe as kubelet's: the health service's Check, SERVING or a failure in
    /// kubelet's words.
    func grpcCheck(host: String, port: Int, service: String, timeout: Int) async -> Result {
        let address = "\(host):\(port)"
        do {
            let transport = try HTTP2ClientTransport.Posix(
                target: .ipv4(address: host, port: port),
                transportSecurity: .plaintext
            )
            var request = Grpc_Health_V1_HealthCheckRequest()
            request.service = service
            let response = try await withGRPCClient(transport: transport) { client in
                try await Grpc_Health_V1_Health.Client(wrapping: client).check(
                    request,
                    options: .timeout(.seconds(Int64(timeout)))
                )
            }
            if response.status == .serving { return .success }
            return .failure("service unhealthy (responded with \"\(Self.name(response.status))\")")
        } catch let error as RPCError {
            switch error.code {
            case .unimplemented:
                return .failure(
                    "error: this server does not implement the grpc health protocol (grpc.health.v1.Health): \(error.message)"
                )
            case .deadlineExceeded:
                return .failure("timeout: health rpc did not complete within \(timeout)s")
            case .unavailable:
                return .failure("error: failed to connect service at \"\(address)\": \(error.message)")
            default:
                return .failure("error: health rpc probe failed: \(error)")
            }
        } catch {
            return .failure("error: health rpc probe failed: \(error)")
        }
    }

    /// The status as the protocol names it (`NOT_SERVING`).
    static func name(_ s: Grpc_Health_V1_HealthCheckResponse.ServingStatus) -> String {
        switch s {
        case .unknown: "UNKNOWN"
        case .serving: "SERVING"
        case .notServing: "NOT_SERVING"
        case .serviceUnknown: "SERVICE_UNKNOWN"
        case .UNRECOGNIZED(let n): "\(n)"
        }
    }

    static func describe(_ error: any Error) -> String {
        let s = String(describing: error)
        if s.contains("connectTimeout") || s.contains("deadlineExceeded") { return "context deadline exceeded" }
        if s.contains("connectionRefused") || s.contains("Connection refused") || s.contains("ECONNREFUSED") {
            return "connect: connection refused"
        }
        return s
    }
}

extension Prober {
    /// Runs a container's lifecycle hook as kubelet does; nil when it succeeded, else
    /// kubelet's message. An HTTP hook fails only when no answer comes (its status code does
    /// not count); an exec hook fails on a non-zero exit; there is no time limit here (the
    /// caller bounds preStop by the grace period).
    func run(
        _ hook: LifecycleHook,
        container: Container,
        pod: String,
        podIP: String,
        exec: Exec
    ) async -> String? {
        switch hook {
        case .sleep(let seconds):
            try? await Task.sleep(for: .seconds(seconds))
            return nil
        case .handler(.exec(let command)):
            let (code, output) = await exec(command, nil)
            if code == 0 { return nil }
            let error = "command '\(command.joined(separator: " "))' exited with \(code): \(output)"
            return "Exec lifecycle hook (\(Self.goList(command))) for Container \(container.name.goQuoted) "
                + "in Pod \(pod.goQuoted) failed - error: \(error), message: \(output.goQuoted)"
        case let .handler(.httpGet(path, port, host, scheme, headers)):
            let target = host ?? podIP
            let path = path ?? ""
            let url: String
            if let p = container.port(port) ?? (port == nil ? 80 : nil) {
                url =
                    "\((scheme ?? "HTTP").lowercased())://\(target):\(p)\(path.hasPrefix("/") || path.isEmpty ? path : "/" + path)"
            } else {
                return "HTTP lifecycle hook (\(path)) for Container \(container.name.goQuoted) in Pod "
                    + "\(pod.goQuoted) failed - error: couldn't find port: \(port.map { "\($0)" } ?? "") in \(container.name)"
            }
            var req = HTTPClientRequest(url: url)
            for h in headers { req.headers.replaceOrAdd(name: h.name, value: h.value) }
            do {
                let resp = try await http.execute(req, timeout: .seconds(30))
                _ = try? await resp.body.collect(upTo: 10 * 1024)
                return nil
            } catch {
                return "HTTP lifecycle hook (\(path)) for Container \(container.name.goQuoted) in Pod "
                    + "\(pod.goQuoted) failed - error: Get \"\(url)\": \(Self.describe(error))"
            }
        case .handler(let other):
            return "Cannot run handler: invalid handler: \(other)"
        }
    }

    /// Go's `%v` of a string slice: `[sh -c exit 1]`.
    static func goList(_ items: [String]) -> String { "[" + items.joined(separator: " ") + "]" }

}
