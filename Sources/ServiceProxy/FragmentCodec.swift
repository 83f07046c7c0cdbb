import KubeAPI
import KubeMachinery

/// A compact binary form of `ServiceFragment`, in which the proxy keeps what it applied for
/// each Service (under 100 bytes for a ClusterIP Service with two endpoints, against some
/// 850 as a fragment of dictionaries and sets). Only this process reads it back, so the
/// format has no version: it only has to round-trip.
extension ServiceFragment {
    public func encoded() -> [UInt8] {
        var w = FragmentWriter()
        w.map(chains.sorted { $0.key < $1.key }) { w, e in
            w.string(e.key)
            w.rules(e.value)
        }
        w.map(sharedChains.sorted { $0.key < $1.key }) { w, e in
            w.string(e.key)
            w.rules(e.value)
        }
        w.map(backends.sorted { $0.key < $1.key }) { w, e in
            w.destination(e.key.destination)
            w.int(e.key.slot)
            w.ip(e.value.ip)
            w.int(e.value.port)
        }
        w.map(affinitySets.sorted { $0.key < $1.key }) { w, e in
            w.string(e.key)
            w.int(e.value)
        }
        w.map(clusterIPs.sorted()) { w, ip in w.ip(ip) }
        w.map(serviceIPs.sorted { $0.key < $1.key }) { w, e in
            w.destination(e.key)
            w.string(e.value)
        }
        w.map(nodePorts.sorted { $0.key < $1.key }) { w, e in
            w.nodePort(e.key)
            w.string(e.value)
        }
        w.map(noEndpointServices.sorted { $0.key < $1.key }) { w, e in
            w.destination(e.key)
            w.verdict(e.value)
        }
        w.map(noEndpointNodePorts.sorted { $0.key < $1.key }) { w, e in
            w.nodePort(e.key)
            w.verdict(e.value)
        }
        w.map(localEndpointIPs.sorted()) { w, ip in w.ip(ip) }
        w.map(readyEndpointIPs.sorted()) { w, ip in w.ip(ip) }
        w.map(healthChecks) { w, h in
            w.int(h.port)
            w.string(h.namespace)
            w.string(h.name)
            w.int(h.localEndpoints)
        }
        w.map(udpTargets) { w, t in
            w.map(t.destinations) { w, ip in w.ip(ip) }
            w.int(t.port)
            w.int(t.nodePort.map { $0 + 1 } ?? 0)
            w.map(t.endpoints.sorted()) { w, ip in w.ip(ip) }
        }
        return w.bytes
    }

    /// The fragment `encoded()` wrote; nil if the bytes are not one.
    public init?(encoded bytes: ArraySlice<UInt8>) {
        var r = FragmentReader(bytes)
        var f = ServiceFragment()
        do {
            try r.each { r in f.chains[try r.string()] = try r.rules() }
            try r.each { r in f.sharedChains[try r.string()] = try r.rules() }
            try r.each { r in
                let key = BackendKey(try r.destination(), try r.int())
                f.backends[key] = Backend(ip: try r.ip(), port: try r.int())
            }
            try r.each { r in f.affinitySets[try r.string()] = try r.int() }
            try r.each { r in f.clusterIPs.insert(try r.ip()) }
            try r.each { r in f.serviceIPs[try r.destination()] = try r.string() }
            try r.each { r in f.nodePorts[try r.nodePort()] = try r.string() }
            try r.each { r in f.noEndpointServices[try r.destination()] = try r.verdict() }
            try r.each { r in f.noEndpointNodePorts[try r.nodePort()] = try r.verdict() }
            try r.each { r in f.localEndpointIPs.insert(try r.ip()) }
            try r.each { r in f.readyEndpointIPs.insert(try r.ip()) }
            try r.each { r in
                f.healthChecks.append(
                    HealthCheck(
                        port: try r.int(),
                        namespace: try r.string(),
                        name: try r.string(),
                        localEndpoints: try r.int()
                    )
                )
            }
            try r.each { r in
                var destinations: [IPv4Address] = []
                try r.each { r in destinations.append(try r.ip()) }
                let port = try r.int()
                let nodePort = try r.int()
                var endpoints: Set<IPv4Address> = []
                try r.each { r in endpoints.insert(try r.ip()) }
                f.udpTargets.append(
                    UDPTarget(
                        destinations: destinations,
                        port: port,
                        nodePort: nodePort == 0 ? nil : nodePort - 1,
                        endpoints: endpoints
                    )
                )
            }
            guard r.atEnd else { return nil }
        } catch {
            return nil
        }
        self = f
    }
}

struct FragmentWriter {
    var bytes: [UInt8] = []

    /// Unsigned LEB128: ports, slots and counts take one or two bytes.
    mutating func int(_ v: Int) {
        var v = UInt64(bitPattern: Int64(v))
        repeat {
            let low = UInt8(v & 0x7f)
            v >>= 7
            bytes.append(v == 0 ? low : low | 0x80)
        } while v != 0
    }

    mutating func string(_ s: String) {
        int(s.utf8.count)
        bytes.append(contentsOf: s.utf8)
    }

    mutating func ip(_ a: IPv4Address) {
        withUnsafeBytes(of: a.value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func proto(_ p: L4Proto) {
        switch p {
        case .tcp: int(0)
        case .udp: int(1)
        case .sctp: int(2)
        }
    }

    mutating func destination(_ d: DestinationKey) {
        ip(d.ip)
        proto(d.proto)
        int(d.port)
    }

    mutating func nodePort(_ k: NodePortKey) {
        proto(k.proto)
        int(k.port)
    }

    mutating func verdict(_ v: NoEndpointVerdict) { int(v == .reject ? 0 : 1) }

    mutating func optionalString(_ s: String?) {
        bytes.append(s == nil ? 0 : 1)
        if let s { string(s) }
    }

    mutating func rules(_ rules: [Rule]) {
        map(rules) { w, rule in
            w.map(rule.matches) { w, m in
                switch m {
                case .saddr(let a):
                    w.int(0)
                    w.ip(a)
                case .saddrIn(let n):
                    w.int(1)
                    w.ip(n.network)
                    w.int(n.prefixLength)
                case .saddrInSet(let s):
                    w.int(2)
                    w.string(s)
                case .saddrLocal: w.int(3)
                case .random(let modulus, let equals):
                    w.int(4)
                    w.int(modulus)
                    w.int(equals)
                }
            }
            switch rule.action {
            case .goto(let c):
                w.int(0)
                w.string(c)
            case .jump(let c):
                w.int(1)
                w.string(c)
            case .drop: w.int(2)
            case .dnat(let proto, let ip, let port, let remember):
                w.int(3)
                w.proto(proto)
                w.ip(ip)
                w.int(port)
                w.optionalString(remember)
            case .dnatFromBackends(let proto, let modulus):
                w.int(4)
                w.proto(proto)
                w.int(modulus)
            }
        }
    }

    /// A count, then each item.
    mutating func map<S: Collection>(_ items: S, _ write: (inout FragmentWriter, S.Element) -> Void) {
        int(items.count)
        for item in items { write(&self, item) }
    }
}

struct FragmentReader {
    struct Malformed: Error {}

    let bytes: ArraySlice<UInt8>
    var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    var atEnd: Bool { position == bytes.endIndex }

    mutating func byte() throws -> UInt8 {
        guard position < bytes.endIndex else { throw Malformed() }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func int() throws -> Int {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw Malformed() }
            v |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { break }
            shift += 7
        }
        return Int(Int64(bitPattern: v))
    }

    mutating func string() throws -> String {
        let n = try int()
        guard n >= 0, n <= bytes.endIndex - position else { throw Malformed() }
        defer { position += n }
        return String(decoding: bytes[position..<position + n], as: UTF8.self)
    }

    mutating func ip() throws -> IPv4Address {
        var v: UInt32 = 0
        for _ in 0..<4 { v = v << 8 | UInt32(try byte()) }
        return IPv4Address(v)
    }

    mutating func proto() throws -> L4Proto {
        switch try int() {
        case 0: return .tcp
        case 1: return .udp
        case 2: return .sctp
        default: throw Malformed()
        }
    }

    mutating func destination() throws -> DestinationKey { DestinationKey(try ip(), try proto(), try int()) }

    mutating func nodePort() throws -> NodePortKey { NodePortKey(try proto(), try int()) }

    mutating func verdict() throws -> NoEndpointVerdict {
        switch try int() {
        case 0: return .reject
        case 1: return .drop
        default: throw Malformed()
        }
    }

    mutating func optionalString() throws -> String? { try byte() == 0 ? nil : try string() }

    mutating func rules() throws -> [Rule] {
        var rules: [Rule] = []
        try each { r in
            var matches: [Rule.Match] = []
            try r.each { r in
                switch try r.int() {
                case 0: matches.append(.saddr(try r.ip()))
                case 1: matches.append(.saddrIn(IPv4Network(network: try r.ip(), prefixLength: try r.int())))
                case 2: matches.append(.saddrInSet(try r.string()))
                case 3: matches.append(.saddrLocal)
                case 4: matches.append(.random(modulus: try r.int(), equals: try r.int()))
                default: throw Malformed()
                }
            }
            let action: Rule.Action
            switch try r.int() {
            case 0: action = .goto(try r.string())
            case 1: action = .jump(try r.string())
            case 2: action = .drop
            case 3: action = .dnat(try r.proto(), try r.ip(), try r.int(), remember: try r.optionalString())
            case 4: action = .dnatFromBackends(try r.proto(), modulus: try r.int())
            default: throw Malformed()
            }
            rules.append(Rule(matches, action))
        }
        return rules
    }

    /// Reads a count, then calls `read` that many times.
    mutating func each(_ read: (inout FragmentReader) throws -> Void) throws {
        let n = try int()
        guard n >= 0, n <= bytes.endIndex - position else { throw Malformed() }
        for _ in 0..<n { try read(&self) }
    }
}
