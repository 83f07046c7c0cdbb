import AsyncHTTPClient
import Foundation
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
        case .grpc, .none:
            action = .unsupported("only httpGet, tcpSocket and exec probes are supported")
        }
    }
}

/// Runs probes against a pod, from the host (which routes to every pod).
struct Prober: Sendable {
    let http: HTTPClient

    /// Runs a command in the probed container; returns the exit code and output.
    typealias Exec = @Sendable (_ command: [String], _ timeout: Duration) async -> (Int32, String)

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
        case let .exec(command):
            let (code, output) = await exec(command, .seconds(spec.timeout))
            if code == 0 { return .success }
            return .failure("command \(command) exited with \(code): \(output.prefix(200))")
        case let .unsupported(why):
            return .failure(why)
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
