import Foundation
import KubeAPI
import KubeMachinery
import KubeModel
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// Runs the load balancer's health checks, as a cloud load balancer does: a probe is
/// healthy after one 200 (or an open TCP connection), unhealthy at once on any other HTTP
/// status (the node says it has nothing), and after `failuresToFail` unanswered tries in a
/// row (refused, timed out). A new probe that has not answered stays unknown during its
/// warm-up. Reports each change of health.
public actor HealthProber {
    public struct Configuration: Sendable {
        public var interval: Duration = .milliseconds(500)
        public var timeout: Duration = .milliseconds(800)
        public var failuresToFail = 2
        /// A probe that has not passed yet is retried this often for its first `warmUp`:
        /// a new health check port (a Service turned `Local`) opens a few milliseconds after
        /// the load balancer learns of it, and waiting a whole interval would leave the
        /// Service with no target meanwhile.
        public var warmUpInterval: Duration = .milliseconds(50)
        public var warmUp: Duration = .seconds(3)
        public init() {}
    }

    struct State {
        var healthy: Bool?
        var failures = 0
        var added = ContinuousClock.now
    }

    let config: Configuration
    let logger: Logger
    private var states: [HealthProbe: State] = [:]
    private var changed: AsyncStream<Void>.Continuation?
    private var wake: AsyncStream<Void>.Continuation?

    public init(config: Configuration = .init(), logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// A snapshot of every known result.
    public func results() -> [HealthProbe: Bool] { states.compactMapValues(\.healthy) }

    /// Probes exactly these from now on; new ones are probed at once.
    public func watch(_ probes: Set<HealthProbe>) {
        var added = false
        for p in probes where states[p] == nil {
            states[p] = State()
            added = true
        }
        for p in states.keys where !probes.contains(p) { states[p] = nil }
        if added { wake?.yield() }
    }

    /// Yields whenever some probe's health changes.
    public func changes() -> AsyncStream<Void> {
        let (stream, c) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        changed = c
        return stream
    }

    /// Probes every `interval`, at once when `watch` adds a probe, and every `warmUpInterval`
    /// while one warms up, until cancelled.
    public func run() async {
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.wake = wake
        let interval = config.interval
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    wake.yield()
                }
                wake.finish()
            }
            group.addTask {
                for await _ in wakes { await self.round() }
            }
            await group.waitForAll()
        }
    }

    private func round() async {
        // A NodePort that answered once stays admitted: the gate is for a new frontend, and
        // the node's own health check covers the node afterwards.
        let probes = states.filter { $0.key.http || $0.value.healthy != true }.map(\.key)
        let timeout = config.timeout
        // nil: no answer (refused, timed out); false: an answer that says no (503).
        let results = await withTaskGroup(of: (HealthProbe, Bool?).self) { group in
            for p in probes {
                group.addTask {
                    if p.http {
                        guard
                            let status = await HTTPCheck.get(ip: p.ip, port: p.port, path: "/healthz", timeout: timeout)
                        else { return (p, nil) }
                        return (p, status == .ok)
                    }
                    return (p, await HTTPCheck.connects(ip: p.ip, port: p.port, timeout: timeout) ? true : nil)
                }
            }
            var out: [(HealthProbe, Bool?)] = []
            for await r in group { out.append(r) }
            return out
        }
        var anyChange = false
        let now = ContinuousClock.now
        for (p, answer) in results {
            guard var s = states[p] else { continue }
            let before = s.healthy
            switch answer {
            case true?:
                s.failures = 0
                s.healthy = true
            case false?:
                // The check answered, and says the node has nothing here: out at once.
                s.failures = 0
                s.healthy = false
            case nil:
                s.failures += 1
                // A check that never answered stays "not known yet" while it warms up (its
                // port may open a moment later); one that did answer fails after a few misses.
                let warming = s.healthy == nil && now - s.added < config.warmUp
                if !warming, s.healthy == nil || s.failures >= config.failuresToFail { s.healthy = false }
            }
            states[p] = s
            if s.healthy != before {
                anyChange = true
                logger.info("health check \(p.url): \(s.healthy == true ? "healthy" : "failing")")
            }
        }
        if anyChange { changed?.yield() }
        // A probe still warming up is tried again soon, not at the next regular tick.
        if states.values.contains(where: { $0.healthy != true && now - $0.added < config.warmUp }) {
            let soon = config.warmUpInterval
            let wake = self.wake
            Task {
                try? await Task.sleep(for: soon)
                wake?.yield()
            }
        }
    }
}

/// One HTTP GET on a fresh connection, as load balancers probe: the response's status, or
/// nil when there was none within `timeout` (refused, reset, silent).
public enum HTTPCheck {
    public static func get(ip: IPv4Address, port: Int, path: String, timeout: Duration) async -> HTTPResponseStatus? {
        let status = NIOLockedValueBox<HTTPResponseStatus?>(nil)
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.nanoseconds(timeout.nanoseconds))
                .channelInitializer { channel in
                    channel.pipeline.addHTTPClientHandlers().flatMap {
                        channel.pipeline.addHandler(StatusCatcher(status: status))
                    }
                }
                .connect(host: ip.description, port: port).get()
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
            head.headers.add(name: "Host", value: "\(ip):\(port)")
            head.headers.add(name: "User-Agent", value: "swiftlet-load-balancer")
            head.headers.add(name: "Connection", value: "close")
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
            let deadline = channel.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) {
                channel.close(promise: nil)
            }
            try? await channel.closeFuture.get()
            deadline.cancel()
            return status.withLockedValue { $0 }
        } catch {
            return nil
        }
    }
}

extension HTTPCheck {
    /// Whether a TCP connection opens (and closes it at once).
    public static func connects(ip: IPv4Address, port: Int, timeout: Duration) async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.nanoseconds(timeout.nanoseconds))
                .connect(host: ip.description, port: port).get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }
}

/// Keeps the status of the response and closes the connection once it has it.
final class StatusCatcher: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    let status: NIOLockedValueBox<HTTPResponseStatus?>
    init(status: NIOLockedValueBox<HTTPResponseStatus?>) { self.status = status }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) { status.withLockedValue { $0 = head.status } }
        if case .end = unwrapInboundIn(data) { context.close(promise: nil) }
    }
}

extension Duration {
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}
