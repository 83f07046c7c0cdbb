import APIServer
import Foundation
import HostCommands
import KubeAPI
import KubeMachinery
import NodeAgent

/// What `swiftlet up` records in the data directory (`cluster.json`), so that a second
/// `up` resumes the same cluster and `down` knows what to remove.
package struct ClusterRecord: Codable, Equatable {
    package var name: String
    package var nodes: Int
    package var nodeCIDR: String
    package var podCIDR: String
    package var serviceCIDR: String
    package var clusterDomain: String
    package var port: Int
    package var dataDir: String
    package var pid: Int32?
    /// nil: the default pool of the node network.
    package var loadBalancerPool: String?
    /// nil: SQLite in the data directory; or `etcd://host:port[,…]`.
    package var store: String?
    /// `--container-runtime-endpoint` of the running `up`: nil when Swiftlet runs its own
    /// containerd. Kept so that `down` after a crash removes the pods from that runtime.
    package var containerRuntimeEndpoint: String?

    package init(
        name: String,
        nodes: Int,
        nodeCIDR: String,
        podCIDR: String,
        serviceCIDR: String,
        clusterDomain: String,
        port: Int,
        dataDir: String,
        pid: Int32? = nil,
        loadBalancerPool: String? = nil,
        store: String? = nil
    ) {
        self.name = name
        self.nodes = nodes
        self.nodeCIDR = nodeCIDR
        self.podCIDR = podCIDR
        self.serviceCIDR = serviceCIDR
        self.clusterDomain = clusterDomain
        self.port = port
        self.dataDir = dataDir
        self.pid = pid
        self.loadBalancerPool = loadBalancerPool
        self.store = store
    }

    /// The cluster's network. Records come from `up` (ranges it parsed) or from `load`,
    /// which refuses ranges that do not parse.
    package var network: ClusterNetwork {
        let none = IPv4Network(network: IPv4Address(0), prefixLength: 32)
        return ClusterNetwork(
            name: name,
            nodeCIDR: IPv4Network(nodeCIDR) ?? none,
            podCIDR: IPv4Network(podCIDR) ?? none,
            serviceCIDR: IPv4Network(serviceCIDR) ?? none,
            loadBalancerPool: loadBalancerPool.flatMap(LoadBalancerPool.init)
        )
    }

    package var contextName: String { name == "swiftlet" ? "swiftlet" : "swiftlet-\(name)" }

    package static func url(in dir: URL) -> URL { dir.appendingPathComponent("cluster.json") }

    /// A `--data-dir` as given (`~` expanded), or the default one.
    package static func dataDir(_ option: String?) -> URL { option.map(expand) ?? ServerConfiguration.defaultDataDir }
    package static func expand(_ path: String) -> URL {
        URL(fileURLWithPath: (path as NSString).expandingTildeInPath).standardizedFileURL
    }

    /// The record in `dir`, or nil when there is none or it is not one `up` wrote (its
    /// ranges must parse, so `network` can be built from it).
    package static func load(from dir: URL) -> ClusterRecord? {
        guard let data = try? Data(contentsOf: url(in: dir)) else { return nil }
        return decode(data)
    }

    static func decode(_ data: Data) -> ClusterRecord? {
        guard let r = try? JSONDecoder().decode(ClusterRecord.self, from: data),
            IPv4Network(r.nodeCIDR) != nil, IPv4Network(r.podCIDR) != nil, IPv4Network(r.serviceCIDR) != nil
        else { return nil }
        return r
    }

    package func save() throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(self).write(to: Self.url(in: URL(fileURLWithPath: dataDir)), options: .atomic)
        // A machine-wide list of running clusters, to refuse clashing ones.
        try FileManager.default.createDirectory(atPath: Self.registryDir, withIntermediateDirectories: true)
        try enc.encode(self).write(to: URL(fileURLWithPath: "\(Self.registryDir)/\(name).json"), options: .atomic)
    }

    package static let registryDir = "/run/swiftlet/clusters"

    /// Clusters that another live process runs on this machine.
    package static func running() -> [ClusterRecord] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: registryDir)) ?? []
        return files.compactMap { f in
            guard f.hasSuffix(".json"), let data = FileManager.default.contents(atPath: "\(registryDir)/\(f)"),
                let r = decode(data)
            else { return nil }
            return r.pid.map { kill($0, 0) == 0 } == true ? r : nil
        }
    }

    /// What the machine-wide list holds for `name`, live or left by a process that died.
    package static func registered(name: String) -> ClusterRecord? {
        FileManager.default.contents(atPath: "\(registryDir)/\(name).json").flatMap(decode)
    }

    package func unregister() {
        try? FileManager.default.removeItem(atPath: "\(Self.registryDir)/\(name).json")
    }
}

/// Builds and removes a cluster's network.
package enum ClusterPlumbing {
    package static func build(_ net: ClusterNetwork, nodes: Int) async throws {
        try await HostCommand.apply(net.hostSteps(nodes: nodes))
        for i in 1...nodes { try await buildNode(net, i, peers: Array(1...nodes)) }
    }

    /// One node namespace on the bridge, with routes to its `peers`' pods.
    package static func buildNode(_ net: ClusterNetwork, _ i: Int, peers: [Int]) async throws {
        try await HostCommand.apply(net.nodeSteps(i, peers: peers))
        // Forwarding inside the node namespace only; the host's own setting is left alone.
        // No ICMP rate limit in nodes: a Service without endpoints must refuse every
        // connection at once, not one per second.
        try await HostCommand.run(
            "ip",
            [
                "netns", "exec", net.nodeNamespace(i), "sh", "-c",
                "echo 1 > /proc/sys/net/ipv4/ip_forward; echo 0 > /proc/sys/net/ipv4/conf/all/rp_filter; "
                    + "echo 0 > /proc/sys/net/ipv4/icmp_ratelimit",
            ]
        )
    }

    /// Removes every namespace, link, route and nft table carrying the cluster's name, and
    /// the processes inside those namespaces. Safe to run when nothing is left.
    @discardableResult
    package static func tearDown(_ net: ClusterNetwork) async -> [String] {
        var removed: [String] = []
        let list = (try? await HostCommand.run("ip", ["netns", "list"])) ?? ""
        let namespaces = list.split(whereSeparator: \.isNewline).compactMap {
            $0.split(separator: " ").first.map(String.init)
        }
        .filter { $0.hasPrefix(net.netnsPrefix) }
        // Pods first, then nodes (a pod's veth lives in its node).
        for ns in namespaces.sorted(by: { a, _ in a.contains("-pod-") }) where await HostCommand.deleteNamespace(ns) {
            removed.append("netns \(ns)")
        }
        let links = HostListings.linkNames(
            ipLinkShow: (try? await HostCommand.run("ip", ["-o", "link", "show"])) ?? ""
        )
        for name in links where name == net.bridge || name.hasPrefix(net.bridge + "-") {
            if (try? await HostCommand.run("ip", ["link", "delete", name])) != nil { removed.append("link \(name)") }
        }
        for r in net.guardedRanges {
            while (try? await HostCommand.run("ip", ["route", "del", "unreachable", r.description, "metric", "4242"]))
                != nil
            {
                removed.append("route unreachable \(r)")
            }
        }
        for family in ["ip", "inet"] {
            if (try? await HostCommand.run("nft", ["delete", "table", family, net.nftTable])) != nil {
                removed.append("nft table \(family) \(net.nftTable)")
            }
        }
        if (try? await HostCommand.run("nft", ["delete", "table", "ip", net.loadBalancerTable])) != nil {
            removed.append("nft table ip \(net.loadBalancerTable)")
        }
        return removed
    }

    /// Why the cluster cannot start next to what this machine already has, or nil.
    package static func clash(_ record: ClusterRecord) async -> String? {
        let net = record.network
        for other in ClusterRecord.running() where other.pid != getpid() {
            if other.name == record.name {
                return
                    "a cluster named \(record.name) is already running (pid \(other.pid ?? 0), data in \(other.dataDir)); "
                    + "stop it with `swiftlet down --data-dir \(other.dataDir)` or choose another --name"
            }
            let overlaps = net.clashes(with: other.network)
            if !overlaps.isEmpty {
                return
                    "cluster \(other.name) (data in \(other.dataDir)) already uses these addresses: \(overlaps.joined(separator: "; ")); "
                    + "choose other --node-cidr / --pod-cidr / --service-cidr / --load-balancer-pool"
            }
            if other.port == record.port {
                return "cluster \(other.name) already serves its API on port \(record.port); choose another --port"
            }
        }
        // Routes that are not ours and would capture cluster traffic.
        let routes = HostListings.routes(
            ipRouteShow: (try? await HostCommand.run("ip", ["-o", "route", "show"])) ?? ""
        )
        for route in routes where !route.isOurs(bridge: net.bridge) {
            for r in net.guardedRanges where r.overlaps(route.destination) {
                return
                    "this machine already routes \(route.destinationText) (`\(route.line)`), which overlaps the cluster's \(r); "
                    + "choose other ranges with --node-cidr / --pod-cidr / --service-cidr"
            }
        }
        return nil
    }
}

/// Who this process is in the controllers' leader election: the machine and the data
/// directory, so a restarted `up` or `server` on the same directory takes its Lease back at
/// once, and a second server (another directory) waits its turn.
package enum ControllerIdentity {
    package static func of(dataDir: URL) -> String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, buf.count)
        let host = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(host)_\(dataDir.standardizedFileURL.path)"
    }
}

/// Reading what `ip -o link show` and `ip -o route show` print. Pure, so it is table-tested.
package enum HostListings {
    /// The interface names, without the `@peer` suffix of a veth.
    package static func linkNames(ipLinkShow output: String) -> [String] {
        output.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 1, let name = fields[1].split(separator: "@").first else { return nil }
            let trimmed = name.trimmingCharacters(in: CharacterSet(charactersIn: ":"))
            return trimmed.isEmpty ? nil : trimmed
        }
    }

    package struct Route: Equatable, Sendable {
        package var destination: IPv4Network
        /// As printed (an address without a length is a /32).
        package var destinationText: String
        package var line: String

        /// Swiftlet's own: on the cluster's bridge, or one of its guard routes (metric 4242).
        package func isOurs(bridge: String) -> Bool {
            line.contains("dev \(bridge) ") || line.hasSuffix("dev \(bridge)") || line.contains("metric 4242")
        }
    }

    /// The IPv4 routes with a destination range (not `default`), `unreachable` and
    /// `blackhole` ones included.
    package static func routes(ipRouteShow output: String) -> [Route] {
        output.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: " ").map(String.init)
            guard let first = fields.first else { return nil }
            let dest = first == "unreachable" || first == "blackhole" ? (fields.count > 1 ? fields[1] : "") : first
            guard dest != "default", let n = IPv4Network(dest.contains("/") ? dest : dest + "/32") else { return nil }
            return Route(destination: n, destinationText: dest, line: String(line))
        }
    }
}
