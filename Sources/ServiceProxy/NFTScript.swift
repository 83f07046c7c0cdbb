import KubeAPI
import KubeMachinery

/// The `nft -f` input that brings the kernel to a ruleset: the whole table at once, or the
/// difference between two versions of some Services. Pure.
public enum NFTScript {
    static let masqueradeMark = "0x4000"

    /// The table's fixed part: sets, maps, and the chains hooked into netfilter.
    public static func base(_ node: ProxyNode) -> String {
        """
        table ip \(node.table) {
        \tcomment "Swiftlet service proxy for \(node.name): generated, every change is replaced"
        \tset cluster-ips { type ipv4_addr; comment "ClusterIPs of proxied Services"; }
        \tset nodeport-ips { type ipv4_addr; comment "Addresses NodePorts answer on"; elements = { \(node.nodeIP) }; }
        \tset hairpin { type ipv4_addr . ipv4_addr; comment "A local endpoint reaching itself through its Service"; }
        \tmap service-ips { type ipv4_addr . inet_proto . inet_service : verdict; comment "ClusterIP, external and load-balancer IP traffic"; }
        \tmap backends { typeof ip daddr . meta l4proto . th dport . numgen random mod 1 : ip daddr . tcp dport; comment "Endpoints by destination and slot, for the pick chains"; }
        \tmap service-nodeports { type inet_proto . inet_service : verdict; comment "NodePort traffic"; }
        \tmap no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict; comment "Service IPs with nowhere to send traffic"; }
        \tmap no-endpoint-nodeports { type inet_proto . inet_service : verdict; comment "NodePorts with nowhere to send traffic"; }
        \tchain mark-for-masquerade {
        \t\tmeta mark set meta mark | \(masqueradeMark)
        \t}
        \tchain masquerading {
        \t\tct status dnat ip saddr . ip daddr @hairpin jump mark-for-masquerade
        \t\tmeta mark & \(masqueradeMark) == 0 return
        \t\tmeta mark set meta mark ^ \(masqueradeMark)
        \t\tmasquerade fully-random
        \t}
        \tchain reject-chain {
        \t\tmeta l4proto tcp reject with tcp reset
        \t\treject
        \t}
        \tchain services {
        \t\tip daddr @cluster-ips ip saddr != \(node.clusterPodCIDR) jump mark-for-masquerade
        \t\tip daddr . meta l4proto . th dport vmap @service-ips
        \t\tip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
        \t}
        \tchain endpoint-checks {
        \t\tip daddr . meta l4proto . th dport vmap @no-endpoint-services
        \t\tip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports
        \t\tip daddr @cluster-ips goto reject-chain comment "a port the Service does not have (and ping)"
        \t\tip daddr \(node.serviceCIDR) drop comment "an address no Service holds"
        \t}
        \tchain nat-prerouting {
        \t\ttype nat hook prerouting priority dstnat; policy accept;
        \t\tjump services
        \t}
        \tchain nat-output {
        \t\ttype nat hook output priority -100; policy accept;
        \t\tjump services
        \t}
        \tchain nat-postrouting {
        \t\ttype nat hook postrouting priority srcnat; policy accept;
        \t\tjump masquerading
        \t}
        \tchain filter-input {
        \t\ttype filter hook input priority -10; policy accept;
        \t\tct state new jump endpoint-checks
        \t}
        \tchain filter-forward {
        \t\ttype filter hook forward priority -10; policy accept;
        \t\tct state new jump endpoint-checks
        \t}
        \tchain filter-output {
        \t\ttype filter hook output priority -10; policy accept;
        \t\tct state new jump endpoint-checks
        \t}
        }

        """
    }

    /// Replaces the whole table in one transaction. Established connections keep their NAT
    /// (it lives in conntrack), so a restarted proxy drops nothing.
    public static func full(_ node: ProxyNode, _ fragments: [ServiceFragment]) -> String {
        let t = "ip \(node.table)"
        var out = ["add table \(t)", "delete table \(t)", base(node)]
        let all = ServiceFragment.merged(fragments)
        for (set, timeout) in all.affinitySets.sorted(by: { $0.key < $1.key }) { out.append(addSet(t, set, timeout)) }
        let chains = all.chains.merging(all.sharedChains) { a, _ in a }
        for name in chains.keys.sorted() { out.append("add chain \(t) \(name)") }
        for (name, rules) in chains.sorted(by: { $0.key < $1.key }) {
            for r in rules { out.append("add rule \(t) \(name) \(r.nftText)") }
        }
        out += elements(t, all, add: true, hairpin: all.localEndpointIPs)
        return out.joined(separator: "\n") + "\n"
    }

    /// The smallest transaction from `old` to `new` for the Services that changed.
    /// `hairpinAdded`/`hairpinRemoved` are the table-wide changes of local endpoint IPs
    /// (shared between Services, so the caller counts them).
    /// `existingSharedChains` are the `pick-…` chains the table has already: declaring one
    /// again would make `nft` read every set element back first.
    public static func update(
        _ node: ProxyNode,
        _ changes: [(old: ServiceFragment, new: ServiceFragment)],
        hairpinAdded: Set<IPv4Address>,
        hairpinRemoved: Set<IPv4Address>,
        existingSharedChains: Set<String> = []
    ) -> String {
        let t = "ip \(node.table)"
        var adds: [String] = [], deletes: [String] = [], rules: [String] = [], retire: [String] = []
        var removed = ServiceFragment(), added = ServiceFragment()
        // Shared pick chains are declared when first needed; they are never deleted here,
        // only by a full sync.
        var shared: [String: [Rule]] = [:]
        for (old, new) in changes {
            for (name, rules) in new.sharedChains
            where old.sharedChains[name] == nil && !existingSharedChains.contains(name) {
                shared[name] = rules
            }
        }
        for name in shared.keys.sorted() { adds.append("add chain \(t) \(name)") }
        for (name, rules) in shared.sorted(by: { $0.key < $1.key }) {
            adds.append("flush chain \(t) \(name)")
            for r in rules { adds.append("add rule \(t) \(name) \(r.nftText)") }
        }
        for (old, new) in changes {
            for (set, timeout) in new.affinitySets.sorted(by: { $0.key < $1.key }) where old.affinitySets[set] == nil {
                adds.append(addSet(t, set, timeout))
            }
            for name in new.chains.keys.sorted() where old.chains[name] == nil { adds.append("add chain \(t) \(name)") }
            for (name, new) in new.chains.sorted(by: { $0.key < $1.key }) where old.chains[name] != new {
                if old.chains[name] != nil { rules.append("flush chain \(t) \(name)") }
                for r in new { rules.append("add rule \(t) \(name) \(r.nftText)") }
            }
            let gone = old.chains.keys.filter { new.chains[$0] == nil }.sorted()
            for name in gone { retire.insert("flush chain \(t) \(name)", at: 0) }
            for name in gone { retire.append("delete chain \(t) \(name)") }
            for set in old.affinitySets.keys.sorted() where new.affinitySets[set] == nil {
                retire.append("delete set \(t) \(set)")
            }
            // Changed map entries are deleted and re-added.
            removed.clusterIPs.formUnion(old.clusterIPs.subtracting(new.clusterIPs))
            added.clusterIPs.formUnion(new.clusterIPs.subtracting(old.clusterIPs))
            diff(old.serviceIPs, new.serviceIPs, &removed.serviceIPs, &added.serviceIPs)
            diff(old.nodePorts, new.nodePorts, &removed.nodePorts, &added.nodePorts)
            diff(old.backends, new.backends, &removed.backends, &added.backends)
            diff(old.noEndpointServices, new.noEndpointServices, &removed.noEndpointServices, &added.noEndpointServices)
            diff(
                old.noEndpointNodePorts,
                new.noEndpointNodePorts,
                &removed.noEndpointNodePorts,
                &added.noEndpointNodePorts
            )
        }
        deletes = elements(t, removed, add: false, hairpin: hairpinRemoved)
        // Deleting set elements first, then chain and rule changes, then new elements, then
        // retiring chains nothing points at any more: every step is valid within the one
        // transaction, and the kernel applies all of it or none.
        let out = adds + deletes + rules + elements(t, added, add: true, hairpin: hairpinAdded) + retire
        return out.isEmpty ? "" : out.joined(separator: "\n") + "\n"
    }

    static func diff<K: Hashable, V: Equatable>(
        _ old: [K: V],
        _ new: [K: V],
        _ removed: inout [K: V],
        _ added: inout [K: V]
    ) {
        for (k, v) in old where new[k] != v { removed[k] = v }
        for (k, v) in new where old[k] != v { added[k] = v }
    }

    static func addSet(_ t: String, _ set: String, _ timeout: Int) -> String {
        "add set \(t) \(set) { type ipv4_addr; flags dynamic,timeout; timeout \(timeout)s; }"
    }

    static func elements(_ t: String, _ f: ServiceFragment, add: Bool, hairpin: Set<IPv4Address>) -> [String] {
        var out: [String] = []
        func emit(_ set: String, _ items: [String]) {
            guard !items.isEmpty else { return }
            out.append("\(add ? "add" : "delete") element \(t) \(set) { \(items.joined(separator: ", ")) }")
        }
        emit("cluster-ips", f.clusterIPs.sorted().map(\.description))
        emit("hairpin", hairpin.sorted().map { "\($0) . \($0)" })
        emit(
            "service-ips",
            f.serviceIPs.sorted { $0.key < $1.key }.map {
                add ? "\($0.key.nftText) : goto \($0.value)" : $0.key.nftText
            }
        )
        emit(
            "backends",
            f.backends.sorted { $0.key < $1.key }.map {
                add ? "\($0.key.nftText) : \($0.value.nftText)" : $0.key.nftText
            }
        )
        emit(
            "service-nodeports",
            f.nodePorts.sorted { $0.key < $1.key }.map { add ? "\($0.key.nftText) : goto \($0.value)" : $0.key.nftText }
        )
        emit(
            "no-endpoint-services",
            f.noEndpointServices.sorted { $0.key < $1.key }.map {
                add ? "\($0.key.nftText) : \($0.value.nftText)" : $0.key.nftText
            }
        )
        emit(
            "no-endpoint-nodeports",
            f.noEndpointNodePorts.sorted { $0.key < $1.key }.map {
                add ? "\($0.key.nftText) : \($0.value.nftText)" : $0.key.nftText
            }
        )
        return out
    }
}
