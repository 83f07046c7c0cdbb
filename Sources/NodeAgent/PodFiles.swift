import KubeAPI
import KubeMachinery
import KubeModel

/// The `/etc/resolv.conf` and `/etc/hosts` a pod sees, written as the kubelet writes them.
public enum PodFiles {
    public struct DNSSettings: Sendable {
        public var clusterDNS: [String]
        public var clusterDomain: String
        /// The node's own resolv.conf, for `dnsPolicy: Default`.
        public var hostResolvConf: String

        public init(clusterDNS: [String], clusterDomain: String, hostResolvConf: String) {
            self.clusterDNS = clusterDNS
            self.clusterDomain = clusterDomain
            self.hostResolvConf = hostResolvConf
        }
    }

    public static func resolvConf(_ spec: PodSpec, namespace: String, dns: DNSSettings) -> String {
        // A hostNetwork pod resolves as its node does unless it asks for ClusterFirstWithHostNet.
        let policy = spec.hostNetwork && spec.dnsPolicy == "ClusterFirst" ? "Default" : spec.dnsPolicy
        var nameservers: [String] = []
        var searches: [String] = []
        var options: [(String, String?)] = []
        switch policy {
        case "None":
            break
        case "Default":
            for line in dns.hostResolvConf.split(separator: "\n") {
                let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                guard let key = f.first else { continue }
                switch key {
                case "nameserver": nameservers += f.dropFirst()
                case "search", "domain": searches += f.dropFirst()
                case "options": options += f.dropFirst().map(option)
                default: break
                }
            }
        default:  // ClusterFirst, ClusterFirstWithHostNet
            nameservers = dns.clusterDNS
            let ns = namespace.isEmpty ? "default" : namespace
            searches = ["\(ns).svc.\(dns.clusterDomain)", "svc.\(dns.clusterDomain)", dns.clusterDomain]
            options = [("ndots", "5")]
        }
        if let config = spec.dnsConfig {
            for s in config.nameservers where !nameservers.contains(s) { nameservers.append(s) }
            for s in config.searches where !searches.contains(s) { searches.append(s) }
            for o in config.options {
                options.removeAll { $0.0 == o.name }
                options.append((o.name, o.value))
            }
        }
        var out = ""
        if !searches.isEmpty { out += "search \(searches.prefix(32).joined(separator: " "))\n" }
        for n in nameservers.prefix(3) { out += "nameserver \(n)\n" }
        if !options.isEmpty {
            let rendered = options.map { name, value in value.map { "\(name):\($0)" } ?? name }
            out += "options \(rendered.joined(separator: " "))\n"
        }
        return out
    }

    static func option(_ s: String) -> (String, String?) {
        let parts = s.split(separator: ":", maxSplits: 1).map(String.init)
        return (parts[0], parts.count > 1 ? parts[1] : nil)
    }

    /// The pod's hostname: `spec.hostname`, else its name, at most 63 characters.
    public static func hostname(_ spec: PodSpec, podName: String) -> String {
        let h = spec.hostname ?? podName
        return String(h.prefix(63)).trimmingSuffix("-.")
    }

    /// For a hostNetwork pod, `podName` and `podIP` are its node's name and address: the
    /// file is the node's, as kubelet copies it.
    public static func hosts(
        _ spec: PodSpec,
        podName: String,
        namespace: String,
        podIP: String,
        clusterDomain: String
    ) -> String {
        var out =
            spec.hostNetwork
            ? "# Kubernetes-managed hosts file (host network).\n" : "# Kubernetes-managed hosts file.\n"
        out += """
            127.0.0.1\tlocalhost
            ::1\tlocalhost ip6-localhost ip6-loopback
            fe00::0\tip6-localnet
            fe00::0\tip6-mcastprefix
            fe00::1\tip6-allnodes
            fe00::2\tip6-allrouters

            """
        let host = spec.hostNetwork ? podName : hostname(spec, podName: podName)
        if let sub = spec.subdomain, !spec.hostNetwork {
            out += "\(podIP)\t\(host).\(sub).\(namespace).svc.\(clusterDomain)\t\(host)\n"
        } else {
            out += "\(podIP)\t\(host)\n"
        }
        if !spec.hostAliases.isEmpty {
            out += "\n# Entries added by HostAliases.\n"
            for a in spec.hostAliases { out += "\(a.ip)\t\(a.hostnames.joined(separator: "\t"))\n" }
        }
        return out
    }
}

extension String {
    func trimmingSuffix(_ chars: String) -> String {
        var s = Substring(self)
        while let last = s.last, chars.contains(last) { s = s.dropLast() }
        return String(s)
    }
}
