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
            return "Exec lifecycle hook (\(Self.goList(command))) for Container \(Self.goQuoted(container.name)) "
                + "in Pod \(Self.goQuoted(pod)) failed - error: \(error), message: \(Self.goQuoted(output))"
        case let .handler(.httpGet(path, port, host, scheme, headers)):
            let target = host ?? podIP
            let path = path ?? ""
            let url: String
            if let p = container.port(port) ?? (port == nil ? 80 : nil) {
                url =
                    "\((scheme ?? "HTTP").lowercased())://\(target):\(p)\(path.hasPrefix("/") || path.isEmpty ? path : "/" + path)"
            } else {
                return "HTTP lifecycle hook (\(path)) for Container \(Self.goQuoted(container.name)) in Pod "
                    + "\(Self.goQuoted(pod)) failed - error: couldn't find port: \(port.map { "\($0)" } ?? "") in \(container.name)"
            }
            var req = HTTPClientRequest(url: url)
            for h in headers { req.headers.replaceOrAdd(name: h.name, value: h.value) }
            do {
                let resp = try await http.execute(req, timeout: .seconds(30))
                _ = try? await resp.body.collect(upTo: 10 * 1024)
                return nil
            } catch {
                return "HTTP lifecycle hook (\(path)) for Container \(Self.goQuoted(container.name)) in Pod "
                    + "\(Self.goQuoted(pod)) failed - error: Get \"\(url)\": \(Self.describe(error))"
            }
        case .handler(let other):
            return "Cannot run handler: invalid handler: \(other)"
        }
    }

    /// Go's `%v` of a string slice: `[sh -c exit 1]`.
    static func goList(_ items: [String]) -> String { "[" + items.joined(separator: " ") + "]" }

    /// Go's `%q` of a string, for the characters that occur in command output.
    static func goQuoted(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if ch.value < 0x20 || ch.value == 0x7f {
                    out += String(format: "\\x%02x", ch.value)
                } else {
                    out.unicodeScalars.append(ch)
                }
            }
        }
        return out + "\""
    }
}
