import APIServer
import Foundation
import HostCommands
import KubeAPI
import KubeMachinery
import NodeAgent

/// What `swiftlet up` records in the data directory (`cluster.json`), so that a second
/// `up` resumes the same cluster and `down` knows what to remove.
struct ClusterRecord: Codable, Equatable {
    var name: String
    var nodes: Int
    var nodeCIDR: String
    var podCIDR: String
    var serviceCIDR: String
    var clusterDomain: String
    var port: Int
    var dataDir: String
    var pid: Int32?
    /// nil: the default pool of the node network.
    var loadBalancerPool: String?
    /// nil: SQLite in the data directory; or `etcd://host:port[,…]`.
    var store: String?

    var network: ClusterNetwork {
        ClusterNetwork(name: name, nodeCIDR: IPv4Network(nodeCIDR)!, podCIDR: IPv4Network(podCIDR)!,
                       serviceCIDR: IPv4Network(serviceCIDR)!, loadBalancerPool: loadBalancerPool.flatMap(LoadBalancerPool.init))
    }

    var contextName: String { name == "swiftlet" ? "swiftlet" : "swiftlet-\(name)" }

    static func url(in dir: URL) -> URL { dir.appendingPathComponent("cluster.json") }

    /// A `--data-dir` as given (`~` expanded), or the default one.
    static func dataDir(_ option: String?) -> URL { option.map(expand) ?? ServerConfiguration.defaultDataDir }
    static func expand(_ path: String) -> URL { URL(fileURLWithPath: (path as NSString).expandingTildeInPath).standardizedFileURL }

    static func load(from dir: URL) -> ClusterRecord? {
        guard let data = try? Data(contentsOf: url(in: dir)) else { return nil }
        return try? JSONDecoder().decode(ClusterRecord.self, from: data)
    }

    func save() throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(self).write(to: Self.url(in: URL(fileURLWithPath: dataDir)), options: .atomic)
        // A machine-wide list of running clusters, to refuse clashing ones.
        try FileManager.default.createDirectory(atPath: Self.registryDir, withIntermediateDirectories: true)
        try enc.encode(self).write(to: URL(fileURLWithPath: "\(Self.registryDir)/\(name).json"), options: .atomic)
    }

    static let registryDir = "/run/swiftlet/clusters"

    /// Clusters that another live process runs on this machine.
    static func running() -> [ClusterRecord] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: registryDir)) ?? []
        return files.compactMap { f in
            guard f.hasSuffix(".json"), let data = FileManager.default.contents(atPath: "\(registryDir)/\(f)"),
                  let r = try? JSONDecoder().decode(ClusterRecord.self, from: data) else { return nil }
            return r.pid.map { kill($0, 0) == 0 } == true ? r : nil
        }
    }

    /// What the machine-wide list holds for `name`, live or left by a process that died.
    static func registered(name: String) -> ClusterRecord? {
        FileManager.default.contents(atPath: "\(registryDir)/\(name).json").flatMap { try? JSONDecoder().decode(ClusterRecord.self, from: $0) }
    }

    func unregister() {
        try? FileManager.default.removeItem(atPath: "\(Self.registryDir)/\(name).json")
    }
}

/// Builds and removes a cluster's network.
enum ClusterPlumbing {
    static func build(_ net: ClusterNetwork, nodes: Int) async throws {
        try await HostCommand.apply(net.hostSteps(nodes: nodes))
        for i in 1...nodes { try await buildNode(net, i, peers: Array(1...nodes)) }
    }

    /// One node namespace on the bridge, with routes to its `peers`' pods.
    static func buildNode(_ net: ClusterNetwork, _ i: Int, peers: [Int]) async throws {
        try await HostCommand.apply(net.nodeSteps(i, peers: peers))
        // Forwarding inside the node namespace only; the host's own setting is left alone.
        // No ICMP rate limit in nodes: a Service without endpoints must refuse every
        // connection at once, not one per second.
        try await HostCommand.run("ip", ["netns", "exec", net.nodeNamespace(i), "sh", "-c",
                                         "echo 1 > /proc/sys/net/ipv4/ip_forward; echo 0 > /proc/sys/net/ipv4/conf/all/rp_filter; "
                                             + "echo 0 > /proc/sys/net/ipv4/icmp_ratelimit"])
    }

    /// Removes every namespace, link, route and nft table carrying the cluster's name, and
    /// the processes inside those namespaces. Safe to run when nothing is left.
    @discardableResult
    static func tearDown(_ net: ClusterNetwork) async -> [String] {
        var removed: [String] = []
        let list = (try? await HostCommand.run("ip", ["netns", "list"])) ?? ""
        let namespaces = list.split(whereSeparator: \.isNewline).compactMap { $0.split(separator: " ").first.map(String.init) }
            .filter { $0.hasPrefix(net.netnsPrefix) }
        // Pods first, then nodes (a pod's veth lives in its node).
        for ns in namespaces.sorted(by: { a, _ in a.contains("-pod-") }) where await HostCommand.deleteNamespace(ns) {
            removed.append("netns \(ns)")
        }
        let links = (try? await HostCommand.run("ip", ["-o", "link", "show"])) ?? ""
        for line in links.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ")
            guard fields.count > 1 else { continue }
            let name = fields[1].split(separator: "@").first.map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: ":")) } ?? ""
            if name == net.bridge || name.hasPrefix(net.bridge + "-") {
                if (try? await HostCommand.run("ip", ["link", "delete", name])) != nil { removed.append("link \(name)") }
            }
        }
        for r in net.guardedRanges {
            while (try? await HostCommand.run("ip", ["route", "del", "unreachable", r.description, "metric", "4242"])) != nil {
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
    static func clash(_ record: ClusterRecord) async -> String? {
        let net = record.network
        for other in ClusterRecord.running() where other.pid != getpid() {
            if other.name == record.name {
                return "a cluster named \(record.name) is already running (pid \(other.pid ?? 0), data in \(other.dataDir)); "
                    + "stop it with `swiftlet down --data-dir \(other.dataDir)` or choose another --name"
            }
            let overlaps = net.clashes(with: other.network)
            if !overlaps.isEmpty {
                return "cluster \(other.name) (data in \(other.dataDir)) already uses these addresses: \(overlaps.joined(separator: "; ")); "
                    + "choose other --node-cidr / --pod-cidr / --service-cidr / --load-balancer-pool"
            }
            if other.port == record.port {
                return "cluster \(other.name) already serves its API on port \(record.port); choose another --port"
            }
        }
        // Routes that are not ours and would capture cluster traffic.
        let routes = (try? await HostCommand.run("ip", ["-o", "route", "show"])) ?? ""
        for line in routes.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ").map(String.init)
            guard let first = fields.first else { continue }
            let dest = first == "unreachable" || first == "blackhole" ? (fields.count > 1 ? fields[1] : "") : first
            guard dest != "default", let n = IPv4Network(dest.contains("/") ? dest : dest + "/32") else { continue }
            if line.contains("dev \(net.bridge) ") || line.hasSuffix("dev \(net.bridge)") || line.contains("metric 4242") { continue }
            for r in net.guardedRanges where r.overlaps(n) {
                return "this machine already routes \(dest) (`\(line)`), which overlaps the cluster's \(r); "
                    + "choose other ranges with --node-cidr / --pod-cidr / --service-cidr"
            }
        }
        return nil
    }
}

/// Who this process is in the controllers' leader election: the machine and the data
/// directory, so a restarted `up` or `server` on the same directory takes its Lease back at
/// once, and a second server (another directory) waits its turn.
enum ControllerIdentity {
    static func of(dataDir: URL) -> String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, buf.count)
        let host = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(host)_\(dataDir.standardizedFileURL.path)"
    }
}
