import Foundation
import KubeAPI
import KubeMachinery
import KubeModel
import NIOConcurrencyHelpers

/// Answers DNS queries: cluster names from the current `ZoneData`, everything else through
/// the upstream resolvers. Never throws and never crashes on bad input: malformed queries
/// get FORMERR (or are dropped when not even the header can be read).
public final class DNSEngine: Sendable {
    public let zone: ClusterZone
    let data = NIOLockedValueBox(ZoneData())
    let upstream: Upstream?
    public let metrics: DNSMetrics?

    public init(zone: ClusterZone, upstream: Upstream?, metrics: DNSMetrics? = nil) {
        self.zone = zone
        self.upstream = upstream
        self.metrics = metrics
    }

    public func update(_ d: ZoneData) { data.withLockedValue { $0 = d } }
    public var current: ZoneData { data.withLockedValue { $0 } }

    /// The reply to one query; `udp` limits its size (512 bytes, or the EDNS0 size asked for).
    public func respond(_ bytes: [UInt8], udp: Bool) async -> [UInt8]? {
        switch respondLocally(bytes, udp: udp) {
        case .reply(let r): return r
        case .remote(let query, let start): return await answerRemotely(query, udp: udp, start: start)
        }
    }

    public enum LocalReply: Sendable {
        /// The answer, or nil to drop the message.
        case reply([UInt8]?)
        /// It needs the upstream resolvers (or an ExternalName's target resolved).
        case remote(DNSMessage, ContinuousClock.Instant)
    }

    /// Answers without waiting when the zone alone can (the common case, served on the
    /// event loop); otherwise says so.
    public func respondLocally(_ bytes: [UInt8], udp: Bool) -> LocalReply {
        let start = ContinuousClock.now
        let query: DNSMessage
        do {
            query = try DNSMessage(bytes: bytes)
        } catch {
            let reply = Self.formErr(error)
            metrics?.request(type: nil, udp: udp)
            if reply != nil { metrics?.response(.formErr, since: start) }
            return .reply(reply)
        }
        if query.isResponse { return .reply(nil) }
        metrics?.request(type: query.questions.first?.type, udp: udp)
        var resolution: ClusterZone.Resolution?
        if query.opcode == 0, query.questions.count == 1, let q = query.questions.first {
            let r = zone.resolve(q, current)
            switch r {
            case .answer: resolution = r
            case .alias, .forward: return .remote(query, start)
            }
        }
        let (reply, rcode) = finish(query, resolution: resolution, udp: udp)
        metrics?.response(rcode, since: start)
        return .reply(reply)
    }

    static func formErr(_ error: any Error) -> [UInt8]? {
        guard let e = error as? DNSMessage.ParseError, let id = e.id else { return nil }
        var r = DNSMessage()
        r.id = id
        r.isResponse = true
        r.rcode = .formErr
        return r.encode()
    }

    func answerRemotely(_ query: DNSMessage, udp: Bool, start: ContinuousClock.Instant) async -> [UInt8]? {
        let reply = await answer(query, udp: udp)
        if let reply, reply.count >= 4 {
            metrics?.response(DNSRcode(rawValue: reply[3] & 0x0F) ?? .servFail, since: start)
        }
        return reply
    }

    /// A reply for queries the zone answers by itself.
    func finish(_ query: DNSMessage, resolution: ClusterZone.Resolution?, udp: Bool) -> ([UInt8], DNSRcode) {
        var reply = header(for: query)
        let limit = udp ? Int(min(max(query.ednsPayloadSize ?? 512, 512), 4096)) : 65535
        if query.opcode != 0 {
            reply.rcode = .notImp
        } else if query.questions.count != 1 {
            reply.rcode = .formErr
        } else if case .answer(let rcode, let answers, let authority, let additional) = resolution {
            reply.authoritative = true
            reply.rcode = rcode
            reply.answers = answers
            reply.authority = authority
            reply.additional = additional
        }
        return (reply.encode(limit: limit), reply.rcode)
    }

    func header(for query: DNSMessage) -> DNSMessage {
        var reply = DNSMessage()
        reply.id = query.id
        reply.isResponse = true
        reply.opcode = query.opcode
        reply.recursionDesired = query.recursionDesired
        reply.recursionAvailable = upstream != nil
        reply.questions = query.questions
        reply.ednsPayloadSize = query.ednsPayloadSize.map { _ in 1232 }
        return reply
    }

    func answer(_ query: DNSMessage, udp: Bool) async -> [UInt8]? {
        guard query.opcode == 0, query.questions.count == 1 else { return finish(query, resolution: nil, udp: udp).0 }
        var reply = header(for: query)
        let limit = udp ? Int(min(max(query.ednsPayloadSize ?? 512, 512), 4096)) : 65535
        let q = query.questions[0]
        let resolution = zone.resolve(q, current)
        switch resolution {
        case .answer:
            return finish(query, resolution: resolution, udp: udp).0
        case .alias(let cname, let target):
            reply.authoritative = true
            reply.answers = [cname]
            if q.type == DNSType.a || q.type == DNSType.aaaa {
                reply.answers += await follow(target, type: q.type)
            }
        case .forward:
            guard let upstream else {
                reply.rcode = .refused
                return reply.encode(limit: limit)
            }
            guard var answer = await upstream.query(q, recursionDesired: query.recursionDesired) else {
                reply.rcode = .servFail
                return reply.encode(limit: limit)
            }
            answer.id = query.id
            answer.questions = query.questions
            answer.ednsPayloadSize = reply.ednsPayloadSize
            return answer.encode(limit: limit)
        }
        return reply.encode(limit: limit)
    }

    /// An ExternalName's target: inside the cluster from the zone, outside through upstream.
    func follow(_ target: String, type: UInt16, depth: Int = 0) async -> [DNSRecord] {
        guard depth < 8 else { return [] }
        let q = DNSQuestion(name: target, type: type)
        switch zone.resolve(q, current) {
        case .answer(_, let answers, _, _): return answers
        case .alias(let cname, let next): return [cname] + (await follow(next, type: type, depth: depth + 1))
        case .forward: return await upstream?.query(q, recursionDesired: true)?.answers ?? []
        }
    }
}
