import KubeClient
import KubeMachinery

/// What the proxy has programmed into its table, and what the next transaction must do to
/// it. Pure: the `Proxier` renders fragments and applies scripts; this decides the script
/// and keeps the bookkeeping (applied fragments, shared hairpin entries, routed endpoints,
/// health checks, shared pick chains) in step with what the kernel holds.
struct ProxySyncState {
    /// What each Service has in the table, encoded (`ServiceFragment.encoded()`): kept for
    /// every Service, so it is kept small.
    private(set) var applied = PackedBytes()
    /// Local endpoint → how many Services hold its hairpin entry (added by the first, removed
    /// by the last).
    private(set) var hairpinCount: [IPv4Address: Int] = [:]
    /// Endpoint → how many Services route to it as ready.
    private(set) var routedCount: [IPv4Address: Int] = [:]
    private(set) var healthChecks: [String: [HealthCheck]] = [:]
    /// The shared `pick-…` chains the kernel's table has.
    private(set) var sharedChains: Set<String> = []
    /// The next sync replaces the whole table: at first, after a failure, when asked.
    var needsFull = true

    struct Change {
        var key: String
        var old: ServiceFragment
        var new: ServiceFragment
    }

    struct Plan {
        var full: Bool
        var script: String
        /// The Services whose rules change.
        var changes: [Change]
        /// A full sync's whole table, encoded; becomes `applied` on commit.
        fileprivate var table: PackedBytes?
        fileprivate var tableSharedChains: Set<String> = []
        fileprivate var tableFragments: [String: ServiceFragment] = [:]
    }

    /// A full sync: the whole table from every Service's fragment (empty ones left out).
    /// `changes` lists only what differs from the table, so a periodic resync of an
    /// unchanged cluster decodes nothing.
    mutating func planFull(_ node: ProxyNode, _ fragments: [String: ServiceFragment]) -> Plan {
        var changes: [Change] = []
        var table = PackedBytes()
        var shared: Set<String> = []
        let wanted = fragments.filter { !$0.value.isEmpty }
        for key in applied.keys where wanted[key] == nil {
            changes.append(Change(key: key, old: appliedFragment(key), new: ServiceFragment()))
        }
        for (key, f) in wanted {
            let bytes = f.encoded()
            table.set(key, bytes)
            shared.formUnion(f.sharedChains.keys)
            if !applied.holds(key, bytes) { changes.append(Change(key: key, old: appliedFragment(key), new: f)) }
        }
        let script = NFTScript.full(node, wanted.keys.sorted().map { wanted[$0]! })
        return Plan(
            full: true,
            script: script,
            changes: changes,
            table: table,
            tableSharedChains: shared,
            tableFragments: wanted
        )
    }

    /// An incremental sync of the Services rendered anew (`rendered`: key → its fragment now).
    mutating func planUpdate(_ node: ProxyNode, _ rendered: [(key: String, fragment: ServiceFragment)]) -> Plan {
        var changes: [Change] = []
        for (key, f) in rendered {
            let old = appliedFragment(key)
            if f != old { changes.append(Change(key: key, old: old, new: f)) }
        }
        // Hairpin entries are shared between Services: only the first user adds one and
        // only the last removes it.
        var delta: [IPv4Address: Int] = [:]
        for c in changes {
            for ip in c.old.localEndpointIPs.subtracting(c.new.localEndpointIPs) { delta[ip, default: 0] -= 1 }
            for ip in c.new.localEndpointIPs.subtracting(c.old.localEndpointIPs) { delta[ip, default: 0] += 1 }
        }
        var added: Set<IPv4Address> = [], removed: Set<IPv4Address> = []
        for (ip, d) in delta {
            let before = hairpinCount[ip] ?? 0
            if before == 0 && before + d > 0 { added.insert(ip) }
            if before > 0 && before + d == 0 { removed.insert(ip) }
        }
        let script = NFTScript.update(
            node,
            changes.map { (old: $0.old, new: $0.new) },
            hairpinAdded: added,
            hairpinRemoved: removed,
            existingSharedChains: sharedChains
        )
        return Plan(full: false, script: script, changes: changes)
    }

    /// The kernel took the plan's script: the table is now what the plan says. A full
    /// sync's table moves out of the plan, so the caller holds no second copy of every
    /// fragment while it reports.
    mutating func commit(_ plan: inout Plan) {
        if let table = plan.table {
            applied = table
            sharedChains = plan.tableSharedChains
            hairpinCount = [:]
            routedCount = [:]
            healthChecks = [:]
            for (key, f) in plan.tableFragments { count(key, f, +1) }
            needsFull = false
            plan.table = nil
            plan.tableFragments = [:]
            plan.tableSharedChains = []
        } else {
            for c in plan.changes {
                applied.set(c.key, c.new.isEmpty ? nil : c.new.encoded())
                sharedChains.formUnion(c.new.sharedChains.keys)
                count(c.key, c.old, -1)
                count(c.key, c.new, +1)
            }
        }
    }

    /// The kernel refused the script: nothing of it holds, and what the table has is no
    /// longer known for sure, so the next sync replaces all of it.
    mutating func failed() { needsFull = true }

    /// Whether this node's rules send traffic to `ip` as a ready endpoint.
    func routes(to ip: IPv4Address) -> Bool { (routedCount[ip] ?? 0) > 0 }

    /// What the table has for one Service. A fragment that does not decode (which would be a
    /// bug) counts as nothing, and the next sync replaces the whole table.
    private mutating func appliedFragment(_ key: String) -> ServiceFragment {
        guard let bytes = applied[key] else { return ServiceFragment() }
        guard let f = ServiceFragment(encoded: bytes) else {
            needsFull = true
            return ServiceFragment()
        }
        return f
    }

    /// Table-wide counts kept in step with `applied`, one Service at a time.
    private mutating func count(_ key: String, _ f: ServiceFragment, _ delta: Int) {
        for ip in f.localEndpointIPs {
            hairpinCount[ip, default: 0] += delta
            if hairpinCount[ip] == 0 { hairpinCount[ip] = nil }
        }
        for ip in f.readyEndpointIPs {
            routedCount[ip, default: 0] += delta
            if routedCount[ip] == 0 { routedCount[ip] = nil }
        }
        if delta > 0 {
            healthChecks[key] = f.healthChecks.isEmpty ? nil : f.healthChecks
        } else {
            healthChecks[key] = nil
        }
    }
}
