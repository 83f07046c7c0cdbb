import KubeMachinery

@testable import ServiceProxy

/// Follows a new connection through a `FakeNFTables` table the way the kernel would: from
/// the base chains of each hook it passes (nat, then filter, then nat postrouting), rule by
/// rule, through jumps, gotos, verdict maps and the pick maps — so every rule the proxy
/// emitted is traced, the fixed base chains included (as kube-proxy's tracer runs over
/// `knftables.Fake`). Random picks are explored on every branch; affinity sets start empty.
/// It knows the statements the proxy emits; any other word fails the trace loudly.
struct PacketTracer {
    enum Origin: Sendable {
        /// From a pod or another host: enters through prerouting.
        case network
        /// From a process in the node's own namespace: enters through output.
        case node
    }

    enum Outcome: Sendable, Hashable, CustomStringConvertible {
        case endpoint(IPv4Address, Int, masqueraded: Bool)
        case reject
        case drop
        /// No rule changed it: routed as it is.
        case untouched
        /// The tracer met a rule it cannot follow.
        case unknown(String)

        var description: String {
            switch self {
            case .endpoint(let ip, let port, let m): "\(ip):\(port)\(m ? " (masqueraded)" : "")"
            case .reject: "REJECT"
            case .drop: "DROP"
            case .untouched: "untouched"
            case .unknown(let why): "cannot trace: \(why)"
            }
        }
    }

    struct Packet: Hashable {
        var saddr: IPv4Address
        var daddr: IPv4Address
        var proto: L4Proto
        var dport: Int
        var mark: UInt32 = 0
        var dnatted = false
        var masqueraded = false
    }

    enum Verdict: Hashable {
        case accept, drop, reject
        case unknown(String)
    }

    /// What evaluating a rule or chain leaves: go on (with the next rule, or after the jump),
    /// leave the chain (`return`, or a goto's chain ending), or a verdict.
    enum Step: Hashable {
        case next
        case leave
        case verdict(Verdict)
    }

    let table: FakeNFTables.Table
    /// The node's own addresses (`fib saddr type local`, and whether traffic is for the node).
    let localAddresses: Set<IPv4Address>

    init(table: FakeNFTables.Table, localAddresses: Set<IPv4Address>) {
        self.table = table
        self.localAddresses = localAddresses
    }

    /// Every outcome a new connection from `source` to `destination:port` can have.
    func trace(
        from source: IPv4Address,
        to destination: IPv4Address,
        _ proto: L4Proto,
        port: Int,
        origin: Origin = .network
    ) -> Set<Outcome> {
        let start = Packet(saddr: source, daddr: destination, proto: proto, dport: port)
        var outcomes: Set<Outcome> = []
        for (p, v) in hook("nat", origin == .network ? "prerouting" : "output", start) {
            guard v == .accept else {
                outcomes.insert(outcome(p, v))
                continue
            }
            let filterHook = origin == .node ? "output" : (localAddresses.contains(p.daddr) ? "input" : "forward")
            for (q, w) in hook("filter", filterHook, p) {
                guard w == .accept else {
                    outcomes.insert(outcome(q, w))
                    continue
                }
                for (r, x) in hook("nat", "postrouting", q) { outcomes.insert(outcome(r, x)) }
            }
        }
        return outcomes
    }

    private func outcome(_ p: Packet, _ v: Verdict) -> Outcome {
        switch v {
        case .drop: return .drop
        case .reject: return .reject
        case .unknown(let why): return .unknown(why)
        case .accept: return p.dnatted ? .endpoint(p.daddr, p.dport, masqueraded: p.masqueraded) : .untouched
        }
    }

    /// The base chains of one hook in priority order; a chain's accept passes the packet on
    /// to the next, its policy (accept) too.
    private func hook(_ type: String, _ hook: String, _ packet: Packet) -> [(Packet, Verdict)] {
        let chains = table.hooks.filter { $0.value.type == type && $0.value.hook == hook }
            .sorted { ($0.value.priority, $0.key) < ($1.value.priority, $1.key) }.map(\.key)
        var live = [packet]
        var done: [(Packet, Verdict)] = []
        for chain in chains {
            var next: [Packet] = []
            for p in live {
                for (q, step) in run(chain, p, depth: 0) {
                    switch step {
                    case .next, .leave, .verdict(.accept): next.append(q)
                    case .verdict(let v): done.append((q, v))
                    }
                }
            }
            live = next
        }
        return done + live.map { ($0, .accept) }
    }

    /// Runs a chain: `.next` when the packet fell off its end or met `return`.
    private func run(_ chain: String, _ packet: Packet, depth: Int) -> [(Packet, Step)] {
        guard depth < 32 else { return [(packet, .verdict(.unknown("jumps nest deeper than 32 at \(chain)")))] }
        guard let rules = table.chains[chain] else { return [(packet, .verdict(.unknown("no chain \(chain)")))] }
        var live = [packet]
        var out: [(Packet, Step)] = []
        for rule in rules {
            var next: [Packet] = []
            for p in live {
                for (q, step) in evaluate(Self.words(rule), 0, p, depth: depth) {
                    switch step {
                    case .next: next.append(q)
                    case .leave: out.append((q, .next))
                    case .verdict: out.append((q, step))
                    }
                }
            }
            live = next
        }
        return out + live.map { ($0, .next) }
    }

    /// A rule's words, its comment left out.
    static func words(_ rule: String) -> [String] {
        var r = rule
        if let c = r.range(of: " comment \"") { r = String(r[..<c.lowerBound]) }
        return r.split(separator: " ").map(String.init)
    }

    // MARK: Rules

    /// Evaluates `w[i...]` on `p`: a failed match ends the rule with `.next`.
    private func evaluate(_ w: [String], _ i: Int, _ p: Packet, depth: Int) -> [(Packet, Step)] {
        guard i < w.count else { return [(p, .next)] }
        func word(_ k: Int) -> String { k < w.count ? w[k] : "" }
        func unknown() -> [(Packet, Step)] {
            [(p, .verdict(.unknown("`\(w[i...].joined(separator: " "))`")))]
        }
        func then(_ k: Int, _ q: Packet = p) -> [(Packet, Step)] { evaluate(w, k, q, depth: depth) }

        switch w[i] {
        case "meta" where word(i + 1) == "mark":
            if word(i + 2) == "set", word(i + 3) == "meta", word(i + 4) == "mark",
                let v = UInt32(word(i + 6).dropFirst(2), radix: 16)
            {
                var q = p
                switch word(i + 5) {
                case "|": q.mark |= v
                case "^": q.mark ^= v
                default: return unknown()
                }
                return then(i + 7, q)
            }
            if word(i + 2) == "&", let mask = UInt32(word(i + 3).dropFirst(2), radix: 16),
                let value = UInt32(word(i + 5))
            {
                let equal = p.mark & mask == value
                switch word(i + 4) {
                case "==": return equal ? then(i + 6) : [(p, .next)]
                case "!=": return equal ? [(p, .next)] : then(i + 6)
                default: return unknown()
                }
            }
            return unknown()
        case "ip", "meta", "th":
            guard let (keys, j) = selectors(w, i, p) else { return unknown() }
            switch word(j) {
            case "vmap":
                let element = table.sets[String(word(j + 1).dropFirst())]?[keys.joined(separator: " . ")]
                guard let verdict = element else { return then(j + 2) }
                return evaluate(verdict.split(separator: " ").map(String.init), 0, p, depth: depth)
            case let s where s.hasPrefix("@"):
                return contains(String(s.dropFirst()), keys.joined(separator: " . ")) ? then(j + 1) : [(p, .next)]
            case "!=":
                return matches(keys, word(j + 1)) ? [(p, .next)] : then(j + 2)
            default:
                return matches(keys, word(j)) ? then(j + 1) : [(p, .next)]
            }
        case "ct":
            switch (word(i + 1), word(i + 2)) {
            case ("state", "new"): return then(i + 3)  // every traced connection is new
            case ("status", "dnat"): return p.dnatted ? then(i + 3) : [(p, .next)]
            default: return unknown()
            }
        case "fib":
            guard word(i + 1) == "saddr", word(i + 2) == "type", word(i + 3) == "local" else { return unknown() }
            return localAddresses.contains(p.saddr) ? then(i + 4) : [(p, .next)]
        case "numgen":
            // `numgen random mod N K`: true for one value in N. Both branches are followed.
            guard word(i + 1) == "random", word(i + 2) == "mod", let n = Int(word(i + 3)), let k = Int(word(i + 4)),
                n > 0
            else { return unknown() }
            let hit = k < n ? then(i + 5) : []
            return n > 1 || k >= n ? hit + [(p, .next)] : hit
        case "update":
            // Affinity: remembering the client changes nothing for a first connection.
            guard let close = w[i...].firstIndex(of: "}") else { return unknown() }
            return then(close + 1)
        case "dnat":
            return dnat(w, i, p)
        case "masquerade":
            var q = p
            q.masqueraded = true
            return [(q, .verdict(.accept))]
        case "reject":
            return [(p, .verdict(.reject))]
        case "drop":
            return [(p, .verdict(.drop))]
        case "accept":
            return [(p, .verdict(.accept))]
        case "return":
            return [(p, .leave)]
        case "jump", "goto":
            let jump = w[i] == "jump"
            return run(word(i + 1), p, depth: depth + 1).map { q, step in
                step == .next ? (q, jump ? .next : .leave) : (q, step)
            }
        default:
            return unknown()
        }
    }

    /// `dnat to IP:PORT`, or `dnat ip to <selectors> . numgen random mod N map @m` (one branch
    /// per slot); a slot the map lacks does not translate (the rule does not match).
    private func dnat(_ w: [String], _ i: Int, _ p: Packet) -> [(Packet, Step)] {
        func translated(_ target: String) -> (Packet, Step)? {
            let parts =
                target.contains(" . ") ? target.components(separatedBy: " . ") : target.components(separatedBy: ":")
            guard parts.count == 2, let ip = IPv4Address(parts[0]), let port = Int(parts[1]) else { return nil }
            var q = p
            q.daddr = ip
            q.dport = port
            q.dnatted = true
            return (q, .verdict(.accept))
        }
        if w.count > i + 2, w[i + 1] == "to" {
            return translated(w[i + 2]).map { [$0] } ?? [(p, .verdict(.unknown("dnat to \(w[i + 2])")))]
        }
        guard w.count > i + 3, w[i + 1] == "ip", w[i + 2] == "to", let (keys, j) = selectors(w, i + 3, p),
            j + 3 < w.count + 1, w[j] == ".", w[j + 1] == "numgen", w[j + 2] == "random", w[j + 3] == "mod",
            let n = Int(w.count > j + 4 ? w[j + 4] : ""), w.count > j + 6, w[j + 5] == "map"
        else { return [(p, .verdict(.unknown("`\(w[i...].joined(separator: " "))`")))] }
        let map = table.sets[String(w[j + 6].dropFirst())] ?? [:]
        let branches = (0..<n).compactMap { slot in
            map[(keys + [String(slot)]).joined(separator: " . ")].flatMap(translated)
        }
        return branches.isEmpty ? [(p, .next)] : branches
    }

    /// `ip daddr . meta l4proto . th dport`: the packet's values of a concatenation, and the
    /// index after it. A `. numgen` is left for the caller.
    private func selectors(_ w: [String], _ i: Int, _ p: Packet) -> ([String], Int)? {
        var keys: [String] = []
        var j = i
        while j + 1 < w.count {
            switch (w[j], w[j + 1]) {
            case ("ip", "saddr"): keys.append(p.saddr.description)
            case ("ip", "daddr"): keys.append(p.daddr.description)
            case ("meta", "l4proto"): keys.append(p.proto.rawValue)
            case ("th", "dport"), ("tcp", "dport"), ("udp", "dport"): keys.append(String(p.dport))
            default: return nil
            }
            j += 2
            guard j + 1 < w.count, w[j] == ".", w[j + 1] != "numgen" else { break }
            j += 1
        }
        return keys.isEmpty ? nil : (keys, j)
    }

    /// A single value against an address, a prefix or a protocol name.
    private func matches(_ keys: [String], _ value: String) -> Bool {
        guard keys.count == 1, let key = keys.first else { return false }
        if let net = IPv4Network(value), let ip = IPv4Address(key) { return net.contains(ip) }
        return key == value
    }

    private func contains(_ set: String, _ key: String) -> Bool {
        guard let elements = table.sets[set] else { return false }
        if elements[key] != nil { return true }
        guard let ip = IPv4Address(key) else { return false }
        return elements.keys.contains { IPv4Network($0)?.contains(ip) ?? false }
    }
}
