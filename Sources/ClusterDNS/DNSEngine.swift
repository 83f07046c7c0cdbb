import Foundation
import KubeAPI
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
        let start = ContinuousClock.now
        let reply = await answer(bytes, udp: udp)
        if let metrics {
            let q = try? DNSMessage(bytes: bytes)
            metrics.request(type: q?.questions.first?.type, udp: udp)
            if let reply, reply.count >= 4 { metrics.response(DNSRcode(rawValue: reply[3] & 0x0F) ?? .servFail, since: start) }
        }
        return reply
    }

    func answer(_ bytes: [UInt8], udp: Bool) async -> [UInt8]? {
        let query: DNSMessage
        do {
            query = try DNSMessage(bytes: bytes)
        } catch let e as DNSMessage.ParseError {
            guard let id = e.id else { return nil }
            var r = DNSMessage()
            r.id = id
            r.isResponse = true
            r.rcode = .formErr
            return r.encode()
        } catch {
            return nil
        }
        if query.isResponse { return nil }
        var reply = DNSMessage()
        reply.id = query.id
        reply.isResponse = true
        reply.opcode = query.opcode
        reply.recursionDesired = query.recursionDesired
        reply.recursionAvailable = upstream != nil
        reply.questions = query.questions
        reply.ednsPayloadSize = query.ednsPayloadSize.map { _ in 1232 }
        let limit = udp ? Int(min(max(query.ednsPayloadSize ?? 512, 512), 4096)) : 65535
        guard query.opcode == 0 else {
            reply.rcode = .notImp
            return reply.encode(limit: limit)
        }
        guard query.questions.count == 1, let q = query.questions.first else {
            reply.rcode = .formErr
            return reply.encode(limit: limit)
        }
        switch zone.resolve(q, current) {
        case .answer(let rcode, let answers, let authority, let additional):
            reply.authoritative = true
            reply.rcode = rcode
            reply.answers = answers
            reply.authority = authority
            reply.additional = additional
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
