import Foundation
import HTTPTypes
import Hummingbird
import KubeAPI
import KubeMachinery
import NIOCore
import SPDY

/// `pods/NAME[:PORT]/proxy/PATH` and `services/NAME[:PORT]/proxy/PATH`: one HTTP request
/// carried to the pod through the runtime's port-forward (so it needs no route from the
/// API server's host into the pod network), its answer returned as it came.
extension PodProxy {
    /// The largest answer relayed; a bigger one ends in 502.
    static let proxyLimit = 16 << 20

    /// `pods/NAME:PORT/proxy/...` — `scheme:name:port`, `name:port` or `name`.
    static func splitProxyName(_ s: String) throws -> (name: String, port: String) {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1: return (parts[0], "")
        case 2: return (parts[0], parts[1])
        case 3:
            guard parts[0] == "http" || parts[0].isEmpty else {
                throw APIError.badRequest("only http is proxied to pods and services (asked for \(parts[0]))")
            }
            return (parts[1], parts[2])
        default: throw APIError.badRequest("invalid name for proxying: \(s)")
        }
    }

    /// The path after `/proxy` in the request, with its query.
    static func proxiedTarget(_ request: Request) -> String {
        let path = request.uri.path
        var rest = "/"
        if let r = path.range(of: "/proxy") {
            let after = path[r.upperBound...]
            rest = after.isEmpty ? "/" : String(after)
        }
        if let q = request.uri.query, !q.isEmpty { rest += "?" + q }
        return rest
    }

    public func proxyToPod(_ request: Request, namespace: String, nameAndPort: String) async throws -> Response {
        let (name, port) = try Self.splitProxyName(nameAndPort)
        let pod = try await registry.get(Resources.pods, namespace: namespace, name: name)
        let number: Int
        if port.isEmpty {
            number = 80
        } else if let n = Int(port) {
            number = n
        } else {
            let ports = (pod[path: ["spec", "containers"]]?.array ?? []).flatMap { $0["ports"]?.array ?? [] }
            guard let p = ports.first(where: { $0["name"]?.string == port })?["containerPort"]?.intValue else {
                throw APIError.badRequest("no container port named \"\(port)\" in pod \(name)")
            }
            number = p
        }
        return try await forward(request, namespace: namespace, pod: name, port: number)
    }

    public func proxyToService(_ request: Request, namespace: String, nameAndPort: String) async throws -> Response {
        let (name, port) = try Self.splitProxyName(nameAndPort)
        let service = try await registry.get(Resources.services, namespace: namespace, name: name)
        let ports = service[path: ["spec", "ports"]]?.array ?? []
        let chosen: JSON?
        if port.isEmpty {
            chosen = ports.first
        } else {
            chosen = ports.first { $0["name"]?.string == port || $0["port"]?.int.map(String.init) == port }
        }
        guard let chosen else {
            throw APIError(
                code: 503,
                reason: "ServiceUnavailable",
                message: "no service port \"\(port)\" found for service \"\(name)\""
            )
        }
        let portName = chosen["name"]?.string ?? ""
        let endpoints = try? await registry.get(Resources.endpoints, namespace: namespace, name: name)
        for subset in endpoints?["subsets"]?.array ?? [] {
            guard
                let p = (subset["ports"]?.array ?? []).first(where: { ($0["name"]?.string ?? "") == portName })?[
                    "port"
                ]?.intValue
            else { continue }
            for address in subset["addresses"]?.array ?? [] {
                guard address[path: ["targetRef", "kind"]]?.string == "Pod",
                    let pod = address[path: ["targetRef", "name"]]?.string
                else { continue }
                return try await forward(request, namespace: namespace, pod: pod, port: p)
            }
        }
        throw APIError(
            code: 503,
            reason: "ServiceUnavailable",
            message: "no endpoints available for service \"\(name)\""
        )
    }

    private func forward(_ request: Request, namespace: String, pod: String, port: Int) async throws -> Response {
        var target = StreamTarget(kind: .portforward, namespace: namespace, name: pod, query: [:])
        target.query = [("ports", String(port))]
        let url = try await streamingURL(target)
        var req = request
        let body = try await req.collectBody(upTo: Self.proxyLimit)
        var head = "\(request.method.rawValue) \(Self.proxiedTarget(request)) HTTP/1.1\r\n"
        head += "Host: \(pod):\(port)\r\nConnection: close\r\nContent-Length: \(body.readableBytes)\r\n"
        for field in request.headers
        where [HTTPField.Name.accept, .contentType, .userAgent, .acceptEncoding].contains(field.name) {
            head += "\(field.name.rawName): \(field.value)\r\n"
        }
        var wire = ByteBuffer(string: head + "\r\n")
        wire.writeImmutableBuffer(body)
        let outgoing = wire
        let (answer, failure) = try await UpgradeClient.withSession(url: url, protocols: ["portforward.k8s.io"]) {
            session,
            _ in
            let headers = { (type: String) in
                [Frame.Header("streamtype", type), Frame.Header("port", String(port)), Frame.Header("requestid", "0")]
            }
            let error = session.open(headers("error"))
            error.closeWrite()
            let data = session.open(headers("data"))
            data.write(outgoing)
            // Connection: close — the pod's server ends the answer by closing.
            var answer = ByteBuffer()
            for await chunk in data.inbound {
                answer.writeImmutableBuffer(chunk)
                if answer.readableBytes > Self.proxyLimit { break }
            }
            var failure = ""
            for await chunk in error.inbound { failure += String(buffer: chunk) }
            return (answer, failure)
        }
        guard let parsed = HTTPAnswer(answer) else {
            let reason = failure.isEmpty ? "the pod closed the connection without an HTTP answer" : failure
            throw APIError(code: 502, reason: "InternalError", message: "error trying to reach pod \(pod): \(reason)")
        }
        var fields = HTTPFields()
        for (name, value) in parsed.headers {
            guard let n = HTTPField.Name(name),
                ![HTTPField.Name.connection, .transferEncoding, .contentLength].contains(n),
                name.lowercased() != "keep-alive"
            else { continue }
            fields.append(HTTPField(name: n, value: value))
        }
        return Response(
            status: .init(code: parsed.status),
            headers: fields,
            body: .init(byteBuffer: parsed.body)
        )
    }
}

/// An HTTP/1.1 answer read whole: status, headers, and the body (de-chunked).
struct HTTPAnswer {
    var status: Int
    var headers: [(String, String)]
    var body: ByteBuffer

    init?(_ bytes: ByteBuffer) {
        let raw = Array(bytes.readableBytesView)
        guard let end = Self.find([13, 10, 13, 10], in: raw, from: 0) else { return nil }
        let lines = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = (lines.first ?? "").split(separator: " ")
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/"), let code = Int(statusParts[1]) else {
            return nil
        }
        status = code
        headers = lines.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var rest = Array(raw[(end + 4)...])
        let chunked = headers.contains {
            $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased().contains("chunked")
        }
        if chunked {
            var out: [UInt8] = []
            var at = 0
            while let lineEnd = Self.find([13, 10], in: rest, from: at) {
                let sizeText = String(decoding: rest[at..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
                if size == 0 { break }
                let start = lineEnd + 2
                guard start + size <= rest.count else { return nil }
                out += rest[start..<start + size]
                at = start + size + 2
            }
            rest = out
        } else if let length = headers.first(where: { $0.0.lowercased() == "content-length" }).flatMap({ Int($0.1) }),
            length < rest.count
        {
            rest = Array(rest[..<length])
        }
        body = ByteBuffer(bytes: rest)
    }

    static func find(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
        guard hay.count >= needle.count, from <= hay.count - needle.count else { return nil }
        for i in from...(hay.count - needle.count) where hay[i..<i + needle.count].elementsEqual(needle) {
            return i
        }
        return nil
    }
}
