import Foundation
import KubeAPI
import KubeMachinery
import KubeModel
import NIOCore
import NIOPosix

/// The resolvers names outside the cluster go to, with a cache (positive answers for their
/// TTL, at most 5 minutes; negative ones for 30 s).
public actor Upstream {
    public let servers: [(String, Int)]
    let timeout: Duration
    private var channel: (any Channel)?
    private var pending: [UInt16: CheckedContinuation<DNSMessage?, Never>] = [:]
    private var cache: [String: (expires: ContinuousClock.Instant, message: DNSMessage)] = [:]

    let metrics: DNSMetrics?

    public init(servers: [(String, Int)], timeout: Duration = .seconds(2), metrics: DNSMetrics? = nil) {
        self.servers = servers
        self.timeout = timeout
        self.metrics = metrics
    }

    /// The host's resolvers: `/etc/resolv.conf`, or the list behind a local stub resolver
    /// (systemd-resolved's 127.0.0.53), never a loopback address (that could be ourselves).
    public static func hostResolvers(resolvConf: String? = nil, stubList: String? = nil) -> [(String, Int)] {
        func nameservers(_ text: String) -> [String] {
            text.split(whereSeparator: \.isNewline).compactMap { line in
                let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                return f.count >= 2 && f[0] == "nameserver" ? String(f[1]) : nil
            }
        }
        var list = nameservers(resolvConf ?? (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? "")
        if list.contains(where: { $0.hasPrefix("127.") }) {
            list += nameservers(
                stubList ?? (try? String(contentsOfFile: "/run/systemd/resolve/resolv.conf", encoding: .utf8)) ?? ""
            )
        }
        var seen: Set<String> = []
        return list.filter {
            !$0.hasPrefix("127.") && $0 != "::1" && IPv4Address($0) != nil && seen.insert($0).inserted
        }.map { ($0, 53) }
    }

    public func query(_ q: DNSQuestion, recursionDesired: Bool) async -> DNSMessage? {
        let key = "\(q.name.lowercased())|\(q.type)|\(q.klass)"
        if let hit = cache[key], hit.expires > .now {
            metrics?.cacheHits.increment()
            return hit.message
        }
        metrics?.cacheMisses.increment()
        for (host, port) in servers {
            guard let reply = await ask(host, port, q, recursionDesired) else { continue }
            let ttl: Int
            if reply.rcode == .nxDomain || reply.answers.isEmpty {
                ttl = 30
            } else {
                ttl = min(300, Int(reply.answers.map(\.ttl).min() ?? 0))
            }
            if reply.rcode == .noError || reply.rcode == .nxDomain, ttl > 0 {
                if cache.count > 10_000 { cache.removeAll() }
                cache[key] = (.now + .seconds(ttl), reply)
            }
            return reply
        }
        return nil
    }

    private func ask(_ host: String, _ port: Int, _ q: DNSQuestion, _ rd: Bool) async -> DNSMessage? {
        guard let channel = try? await open(), let address = try? SocketAddress(ipAddress: host, port: port) else {
            return nil
        }
        var id = UInt16.random(in: 1...UInt16.max)
        while pending[id] != nil { id = UInt16.random(in: 1...UInt16.max) }
        var m = DNSMessage()
        m.id = id
        m.recursionDesired = rd
        m.questions = [q]
        m.ednsPayloadSize = 1232
        let bytes = m.encode()
        let timeout = self.timeout
        return await withCheckedContinuation { c in
            pending[id] = c
            channel.writeAndFlush(
                AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: bytes)),
                promise: nil
            )
            Task {
                try? await Task.sleep(for: timeout)
                self.complete(id, nil)
            }
        }
    }

    func complete(_ id: UInt16, _ m: DNSMessage?) {
        pending.removeValue(forKey: id)?.resume(returning: m)
    }

    private func open() async throws -> any Channel {
        if let channel { return channel }
        let c = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { ch in ch.pipeline.addHandler(UpstreamReplies(upstream: self)) }
            .bind(host: "0.0.0.0", port: 0).get()
        channel = c
        return c
    }

    public func close() async {
        try? await channel?.close()
        channel = nil
    }
}

final class UpstreamReplies: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let upstream: Upstream
    init(upstream: Upstream) { self.upstream = upstream }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let env = unwrapInboundIn(data)
        guard let m = try? DNSMessage(bytes: Array(env.data.readableBytesView)), m.isResponse else { return }
        let upstream = self.upstream
        Task { await upstream.complete(m.id, m) }
    }
}
