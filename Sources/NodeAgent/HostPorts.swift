import KubeModel

/// A pod's `hostPort`s, as CNI's portmap plugin gives them: connections to the node's
/// address (or the port's `hostIP`) on the host port go to the pod's address on the
/// container port, from outside the node and from the node itself. One nftables table per
/// pod in its node's namespace, replaced whole and deleted with the sandbox. Pure.
enum HostPorts {
    struct Mapping: Equatable {
        var hostPort: Int
        var containerPort: Int
        var proto: String
        var hostIP: String?
    }

    static func mappings(_ spec: PodSpec) -> [Mapping] {
        (spec.initContainers + spec.containers).flatMap { c in
            c.ports.compactMap { p -> Mapping? in
                guard let host = p.hostPort, host > 0 else { return nil }
                return Mapping(
                    hostPort: host,
                    containerPort: p.containerPort ?? host,
                    proto: p.protocol.rawValue.lowercased(),
                    hostIP: p.hostIP
                )
            }
        }
    }

    static func table(uid: String) -> String {
        "swiftlet-hostport-" + String(uid.replacingOccurrences(of: "-", with: "").prefix(12))
    }

    /// The nft script that (re)makes the pod's table.
    static func ruleset(table: String, podIP: String, _ mappings: [Mapping]) -> String {
        let rules = mappings.map { m in
            let destination = m.hostIP.map { "ip daddr \($0)" } ?? "fib daddr type local"
            return "\(destination) \(m.proto) dport \(m.hostPort) dnat to \(podIP):\(m.containerPort)"
        }
        var out = "add table ip \(table)\ndelete table ip \(table)\ntable ip \(table) {\n"
        for (chain, hook) in [("prerouting", "prerouting"), ("output", "output")] {
            out += "\tchain \(chain) {\n\t\ttype nat hook \(hook) priority -110; policy accept;\n"
            for r in rules { out += "\t\t\(r)\n" }
            out += "\t}\n"
        }
        return out + "}\n"
    }
}
