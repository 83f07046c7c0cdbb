import KubeAPI
import KubeMachinery
import Synchronization

/// Turns Services and their endpoints into nftables rules for one node. Pure.
///
/// Layout (see docs/design.md): most Services are data, not chains. A destination
/// (`address . proto . port`) maps to a shared `pick-<n>` chain, which DNATs to the
/// `backends` map entry for that destination and a random slot below n; adding a Service or
/// changing its endpoints only changes map elements. `nft` reads every chain back before each
/// transaction, so a table with few chains keeps each change to a few milliseconds.
/// Services with ClientIP affinity or `externalTrafficPolicy: Local` get chains of their own
/// (`service-…`, `external-…`): a cascade of `numgen random mod k` rules (1/n, then 1/(n-1)
/// of the rest, …), uniform like kube-proxy's random choice but without anonymous maps,
/// whose names the kernel allocates by scanning every set of the table.
public enum ProxyRenderer {
    /// The rules and map entries of one Service's ports.
    public static func fragment(
        ports: [ProxyServicePort],
        endpoints: [ServicePortName: [ProxyEndpoint]],
        node: ProxyNode
    ) -> ServiceFragment {
        var f = ServiceFragment()
        var healthLocal: [Int: (ServicePortName, Set<ProxyEndpoint>)] = [:]
        for sp in ports {
            let all = endpoints[sp.name] ?? []
            var usable = all.filter(\.ready)
            if usable.isEmpty { usable = all.filter { $0.serving && $0.terminating } }
            let local = usable.filter { $0.nodeName == node.name }
            let clusterEndpoints = sp.internalPolicyLocal ? local : usable
            let tag = hash(sp.name.description)
            let serviceChain = "service-\(tag)-\(sp.name)"
            let proto = sp.name.proto

            // Affinity and the Local external policy need per-Service rules; the rest is data.
            let dedicated = sp.affinityTimeout != nil || sp.externalPolicyLocal
            f.clusterIPs.insert(sp.clusterIP)
            let clusterKey = DestinationKey(sp.clusterIP, proto, sp.port)
            if clusterEndpoints.isEmpty {
                f.noEndpointServices[clusterKey] = usable.isEmpty ? .reject : .drop
            } else if dedicated {
                f.chains[serviceChain] = cascade(clusterEndpoints, sp, tag: tag, into: &f)
                f.serviceIPs[clusterKey] = serviceChain
            } else {
                f.serviceIPs[clusterKey] = pick(clusterEndpoints, at: clusterKey, masquerade: false, into: &f)
            }

            var used = Set(clusterEndpoints)
            if sp.hasExternalDestinations {
                let externalChain = "external-\(tag)-\(sp.name)"
                let externalKeys = sp.externalIPs.map { DestinationKey($0, proto, sp.port) }
                let nodePortKey = sp.nodePort.map { NodePortKey(proto, $0) }
                if usable.isEmpty {
                    for k in externalKeys { f.noEndpointServices[k] = .reject }
                    if let k = nodePortKey { f.noEndpointNodePorts[k] = .reject }
                } else if !dedicated {
                    for k in externalKeys { f.serviceIPs[k] = pick(usable, at: k, masquerade: true, into: &f) }
                    if let k = nodePortKey {
                        f.nodePorts[k] = pick(
                            usable,
                            at: DestinationKey(node.nodeIP, proto, k.port),
                            masquerade: true,
                            into: &f
                        )
                    }
                    used.formUnion(usable)
                } else {
                    var rules: [Rule] = []
                    if sp.externalPolicyLocal {
                        // Pods and the node itself are not "external": they get the cluster
                        // policy; only traffic from outside is kept on this node, unmasqueraded.
                        if !clusterEndpoints.isEmpty {
                            rules.append(Rule([.saddrIn(node.clusterPodCIDR)], .goto(serviceChain)))
                            rules.append(Rule([.saddrLocal], .jump("mark-for-masquerade")))
                            rules.append(Rule([.saddrLocal], .goto(serviceChain)))
                        }
                        rules += local.isEmpty ? [Rule([], .drop)] : cascade(local, sp, tag: tag, into: &f)
                        used.formUnion(local)
                    } else {
                        rules.append(Rule([], .jump("mark-for-masquerade")))
                        rules += cascade(usable, sp, tag: tag, into: &f)
                        used.formUnion(usable)
                    }
                    f.chains[externalChain] = rules
                    for k in externalKeys { f.serviceIPs[k] = externalChain }
                    if let k = nodePortKey { f.nodePorts[k] = externalChain }
                }
            }
            for ep in used where node.nodePodCIDR.contains(ep.ip) { f.localEndpointIPs.insert(ep.ip) }
            for ep in used where ep.ready { f.readyEndpointIPs.insert(ep.ip) }
            if let hc = sp.healthCheckNodePort {
                // Only ready ones: a node left with terminating endpoints reports 503, so load
                // balancers drain it while those still finish their connections (KEP-1669).
                healthLocal[hc, default: (sp.name, [])].1.formUnion(local.filter(\.ready))
            }
            if proto == .udp {
                f.udpTargets.append(
                    UDPTarget(
                        destinations: [sp.clusterIP] + sp.externalIPs,
                        port: sp.port,
                        nodePort: sp.nodePort,
                        endpoints: Set(used.map(\.ip))
                    )
                )
            }
        }
        f.healthChecks = healthLocal.map { port, v in
            HealthCheck(port: port, namespace: v.0.namespace, name: v.0.name, localEndpoints: Set(v.1.map(\.ip)).count)
        }.sorted { $0.port < $1.port }
        return f
    }

    /// Puts `endpoints` into the `backends` map under `destination` and returns the shared
    /// chain that picks one of them (marking the connection for masquerade first if asked).
    static func pick(
        _ endpoints: [ProxyEndpoint],
        at destination: DestinationKey,
        masquerade: Bool,
        into f: inout ServiceFragment
    ) -> String {
        let n = endpoints.count
        for (slot, ep) in endpoints.enumerated() {
            f.backends[BackendKey(destination, slot)] = Backend(ip: ep.ip, port: ep.port)
        }
        let chain = "pick-\(n)"
        let rules = sharedPickRules(n)
        f.sharedChains[chain] = rules.pick
        guard masquerade else { return chain }
        f.sharedChains["pick-masquerade-\(n)"] = rules.masquerade
        return "pick-masquerade-\(n)"
    }

    /// The rules of `pick-<n>` and `pick-masquerade-<n>`, made once per n and shared by every
    /// fragment that uses them (one array each, not one per Service: 10,000 Services kept
    /// 10,000 copies).
    static func sharedPickRules(_ n: Int) -> (pick: [Rule], masquerade: [Rule]) {
        pickRules.withLock { cache in
            if let hit = cache[n] { return hit }
            let made = (
                pick: [L4Proto.tcp, .udp, .sctp].map { Rule([], .dnatFromBackends($0, modulus: n)) },
                masquerade: [Rule([], .jump("mark-for-masquerade")), Rule([], .goto("pick-\(n)"))]
            )
            cache[n] = made
            return made
        }
    }
    private static let pickRules = Mutex<[Int: (pick: [Rule], masquerade: [Rule])]>([:])

    /// Rules that send a connection to one of `endpoints`: sticky ones first when the
    /// Service has ClientIP affinity, then a uniform random pick.
    static func cascade(
        _ endpoints: [ProxyEndpoint],
        _ sp: ProxyServicePort,
        tag: String,
        into f: inout ServiceFragment
    ) -> [Rule] {
        let proto = sp.name.proto
        var rules: [Rule] = []
        var sets: [String?] = Array(repeating: nil, count: endpoints.count)
        if let timeout = sp.affinityTimeout {
            for (i, ep) in endpoints.enumerated() {
                // The timeout is part of the name, so changing it makes a new set rather than
                // redefining a live one.
                let set = "affinity-\(tag)-\(timeout)-\(sp.name)__\(ep.ip)/\(ep.port)"
                sets[i] = set
                f.affinitySets[set] = timeout
                rules.append(Rule([.saddrInSet(set)], .dnat(proto, ep.ip, ep.port, remember: set)))
            }
        }
        for (i, ep) in endpoints.enumerated() {
            let remaining = endpoints.count - i
            let pick: [Rule.Match] = remaining > 1 ? [.random(modulus: remaining, equals: 0)] : []
            rules.append(Rule(pick, .dnat(proto, ep.ip, ep.port, remember: sets[i])))
        }
        return rules
    }

    /// Eight hex digits that keep chain names unique however names are truncated or read.
    static func hash(_ s: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        let hex = String(h & 0xffff_ffff, radix: 16, uppercase: true)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}
