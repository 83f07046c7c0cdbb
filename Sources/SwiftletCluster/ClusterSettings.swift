import Controllers
import Foundation
import KubeAPI
import KubeMachinery
import NodeAgent

/// A cluster that cannot be set up as asked: the message names the setting and the fix.
package struct ClusterSetupError: Error, CustomStringConvertible, Equatable {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// What `swiftlet up` was asked for; nil means "as recorded, or the default".
package struct ClusterSettings: Sendable, Equatable {
    package var name: String?
    package var nodes: Int?
    package var port: Int?
    package var nodeCIDR: String?
    package var podCIDR: String?
    package var serviceCIDR: String?
    package var clusterDomain: String?
    package var loadBalancerPool: String?
    /// `sqlite` or `etcd://host:2379[,…]`.
    package var store: String?

    package init() {}
}

extension ClusterRecord {
    /// A new cluster's record before any setting applies.
    package static func defaults(dataDir: URL) -> ClusterRecord {
        ClusterRecord(
            name: "swiftlet",
            nodes: 2,
            nodeCIDR: "172.30.0.0/24",
            podCIDR: "10.244.0.0/16",
            serviceCIDR: "10.96.0.0/12",
            clusterDomain: "cluster.local",
            port: 6443,
            dataDir: dataDir.path
        )
    }

    /// The record `up` runs with: `settings` over the cluster already in `dataDir` (`saved`,
    /// which may not change its name, store or service range) or over the defaults, checked
    /// whole. Pure: the caller reads and writes the file.
    package static func resolving(
        _ s: ClusterSettings,
        saved: ClusterRecord?,
        dataDir: URL
    ) throws(ClusterSetupError) -> ClusterRecord {
        let dir = dataDir.path
        var r = saved ?? defaults(dataDir: dataDir)
        if let saved, let name = s.name, name != saved.name {
            throw ClusterSetupError(
                "\(dir) holds cluster \(saved.name), not \(name): use another --data-dir for a second cluster"
            )
        }
        if let name = s.name { r.name = name }
        if let nodes = s.nodes { r.nodes = nodes }
        if let port = s.port { r.port = port }
        if let nodeCIDR = s.nodeCIDR { r.nodeCIDR = nodeCIDR }
        if let podCIDR = s.podCIDR { r.podCIDR = podCIDR }
        if let clusterDomain = s.clusterDomain { r.clusterDomain = clusterDomain }
        if let store = s.store {
            let wanted: String?
            switch store {
            case "sqlite": wanted = nil
            case let url where url.hasPrefix("etcd://"): wanted = url
            default:
                throw ClusterSetupError("--store \(store) is not known: use sqlite or etcd://host:2379[,host:2379…]")
            }
            if let saved, wanted != saved.store {
                throw ClusterSetupError(
                    "the cluster in \(dir) keeps its data in \(saved.store ?? "SQLite (\(dir)/state.db)"); "
                        + "it cannot move to \(store): start a new cluster with another --data-dir"
                )
            }
            r.store = wanted
        }
        if let pool = s.loadBalancerPool { r.loadBalancerPool = pool }
        if let serviceCIDR = s.serviceCIDR {
            if let saved, serviceCIDR != saved.serviceCIDR {
                throw ClusterSetupError(
                    "the cluster in \(dir) uses service CIDR \(saved.serviceCIDR); it cannot change"
                )
            }
            r.serviceCIDR = serviceCIDR
        }
        r.dataDir = dir
        try r.check()
        return r
    }

    /// The record's settings agree with each other and leave room for its nodes.
    package func check() throws(ClusterSetupError) {
        if let problem = ClusterNetwork.problem(withName: name) { throw ClusterSetupError(problem) }
        guard (1...ClusterNetwork.maxNodes).contains(nodes) else {
            throw ClusterSetupError("--nodes must be 1 to \(ClusterNetwork.maxNodes)")
        }
        var ranges: [String: IPv4Network] = [:]
        for (flag, value, maxPrefix) in [
            ("--node-cidr", nodeCIDR, 24), ("--pod-cidr", podCIDR, 16), ("--service-cidr", serviceCIDR, 24),
        ] {
            guard let n = IPv4Network(value), n.prefixLength <= maxPrefix else {
                throw ClusterSetupError("\(flag) \(value) must be an IPv4 CIDR of /\(maxPrefix) or larger")
            }
            ranges[flag] = n
        }
        guard let nodeNet = ranges["--node-cidr"], nodeNet.size >= UInt64(nodes + 11) else {
            throw ClusterSetupError("--node-cidr is too small for \(nodes) nodes")
        }
        guard let podNet = ranges["--pod-cidr"], podNet.size >= UInt64(nodes + 1) << 8 else {
            throw ClusterSetupError("--pod-cidr is too small for \(nodes) nodes")
        }
        if let text = loadBalancerPool, LoadBalancerPool(text) == nil {
            throw ClusterSetupError(
                "--load-balancer-pool \(text) must be an IPv4 range (172.30.0.200-172.30.0.250) or CIDR (172.30.1.0/24)"
            )
        }
        let net = network
        let pool = net.loadBalancerPool
        let taken = [net.nodeCIDR.first, net.hostIP, net.nodeCIDR.broadcast] + (1...nodes).map(net.nodeIP)
        if let clash = taken.first(where: pool.contains) {
            throw ClusterSetupError(
                "the load balancer pool \(pool) holds \(clash), which the node network uses; choose a --load-balancer-pool above \(net.nodeIP(nodes))"
            )
        }
        for (what, range) in [("pod network", net.podCIDR), ("service range", net.serviceCIDR)]
        where pool.blocks.contains(where: range.overlaps) {
            throw ClusterSetupError(
                "the load balancer pool \(pool) overlaps the \(what) \(range); choose another --load-balancer-pool"
            )
        }
    }
}
