import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle

/// Prometheus metrics of the DNS server: requests by protocol and type, responses by rcode,
/// a latency histogram, and the forwarding cache's hits and misses.
public final class DNSMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let duration: DurationHistogram
    let cacheHits: Counter
    let cacheMisses: Counter
    // Made once, so counting a query is a dictionary lookup.
    let requests: [String: Counter]
    let responses: [DNSRcode: Counter]

    public init() {
        duration = registry.makeDurationHistogram(
            descriptor: Self.name("request_duration", "seconds", "Time from a query's arrival to its answer."),
            buckets: [
                .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
                .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100),
                .milliseconds(500), .seconds(1), .seconds(2),
            ]
        )
        cacheHits = registry.makeCounter(
            descriptor: Self.name("cache_hits", "total", "Forwarded names answered from the cache.")
        )
        cacheMisses = registry.makeCounter(
            descriptor: Self.name("cache_misses", "total", "Forwarded names asked upstream.")
        )
        var requests: [String: Counter] = [:]
        for proto in ["udp", "tcp"] {
            for type in ["A", "AAAA", "SRV", "PTR", "TXT", "SOA", "NS", "CNAME", "ANY", "other", "none"] {
                requests["\(proto)|\(type)"] = registry.makeCounter(
                    descriptor: Self.name("requests", "total", "DNS queries received."),
                    labels: [("proto", proto), ("type", type)]
                )
            }
        }
        self.requests = requests
        var responses: [DNSRcode: Counter] = [:]
        for rcode in [DNSRcode.noError, .formErr, .servFail, .nxDomain, .notImp, .refused] {
            responses[rcode] = registry.makeCounter(
                descriptor: Self.name("responses", "total", "DNS responses sent, by rcode."),
                labels: [("rcode", Self.rcodeName(rcode))]
            )
        }
        self.responses = responses
    }

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "swiftlet",
            subsystem: "dns",
            metricName: metric,
            unitName: unit,
            helpText: help
        )
    }

    static func typeName(_ t: UInt16) -> String {
        switch t {
        case DNSType.a: "A"
        case DNSType.aaaa: "AAAA"
        case DNSType.srv: "SRV"
        case DNSType.ptr: "PTR"
        case DNSType.txt: "TXT"
        case DNSType.soa: "SOA"
        case DNSType.ns: "NS"
        case DNSType.cname: "CNAME"
        case DNSType.any: "ANY"
        default: "other"
        }
    }

    static func rcodeName(_ r: DNSRcode) -> String {
        switch r {
        case .noError: "NOERROR"
        case .formErr: "FORMERR"
        case .servFail: "SERVFAIL"
        case .nxDomain: "NXDOMAIN"
        case .notImp: "NOTIMP"
        case .refused: "REFUSED"
        }
    }

    func request(type: UInt16?, udp: Bool) {
        requests["\(udp ? "udp" : "tcp")|\(type.map(Self.typeName) ?? "none")"]?.increment()
    }

    func response(_ rcode: DNSRcode, since start: ContinuousClock.Instant) {
        responses[rcode]?.increment()
        duration.record(ContinuousClock.now - start)
    }

    public func text() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}

/// `GET /metrics` in Prometheus' text format, on the kube-dns `metrics` port.
public struct MetricsServer: Service {
    let host: String
    let port: Int
    let metrics: DNSMetrics
    let logger: Logger
    let onBound: @Sendable (Int) -> Void

    public init(
        host: String,
        port: Int,
        metrics: DNSMetrics,
        logger: Logger,
        onBound: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        self.metrics = metrics
        self.logger = logger
        self.onBound = onBound
    }

    public func run() async throws {
        let metrics = self.metrics
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { ch in
                ch.pipeline.configureHTTPServerPipeline().flatMap {
                    ch.pipeline.addHandler(MetricsHandler(metrics: metrics))
                }
            }
            .bind(host: host, port: port).get()
        onBound(channel.localAddress?.port ?? port)
        try? await gracefulShutdown()
        try? await channel.close()
    }
}

final class MetricsHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let metrics: DNSMetrics
    init(metrics: DNSMetrics) { self.metrics = metrics }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let found = head.uri.split(separator: "?").first == "/metrics"
        let body = found ? metrics.text() : Array("404 page not found\n".utf8)
        let headers = HTTPHeaders([
            ("Content-Type", found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain"),
            ("Content-Length", String(body.count)),
        ])
        context.write(
            wrapOutboundOut(
                .head(HTTPResponseHead(version: head.version, status: found ? .ok : .notFound, headers: headers))
            ),
            promise: nil
        )
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
