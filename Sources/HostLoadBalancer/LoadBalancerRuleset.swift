import KubeAPI
import KubeMachinery
import KubeModel
import ServiceProxy

/// The outer load balancer's nftables table in the host's namespace, rendered whole from
/// the frontends (there are few, so every change replaces the table in one transaction).
/// Pure.
///
/// New connections to `EXTERNAL-IP:port` are DNATed, at random, to one of the frontend's
/// targets (a node's NodePort, or a pod); the node's own proxy takes it from there. A
/// load-balancer address on a port no Service uses, or with no healthy target, refuses at
/// once (TCP reset, ICMP port unreachable) instead of leaving the client waiting; so does
/// a pool address no Service holds yet.
public enum LoadBalancerRuleset {
    public static func script(
        table: String,
        cluster: String,
        pool: LoadBalancerPool,
        frontends: [Frontend],
        replacing: Bool = true
    ) -> String {
        // Addresses with a Service outside the pool (a pool made smaller) are still served.
        let strays = Set(frontends.map(\.ip)).filter { !pool.contains($0) }.sorted()
        let range = pool.first == pool.last ? "\(pool.first)" : "\(pool.first)-\(pool.last)"
        var out = ""
        if replacing {
            // Creating the table first makes `delete` safe when it does not exist yet.
            out += "table ip \(table) {}\ndelete table ip \(table)\n"
        }
        out += "table ip \(table) {\n"
        out +=
            "\tcomment \"Swiftlet load balancer in front of the nodes of cluster \(cluster): generated, every change is replaced\"\n"
        out += "\tset addresses {\n\t\ttype ipv4_addr; flags interval; comment \"The load balancer's pool\";\n"
        out += "\t\telements = { \(([range] + strays.map(\.description)).joined(separator: ", ")) }\n"
        out += "\t}\n"
        let served = frontends.filter { !$0.targets.isEmpty }
        out +=
            "\tmap frontends {\n\t\ttype ipv4_addr . inet_proto . inet_service : verdict; comment \"Address, protocol and port to the frontend's chain\";\n"
        if !served.isEmpty {
            out += "\t\telements = {\n"
            out += served.map { "\t\t\t\($0.ip) . \($0.proto.rawValue) . \($0.port) : goto \(chainName($0))" }.joined(
                separator: ",\n"
            )
            out += "\n\t\t}\n"
        }
        out += "\t}\n"
        for f in served {
            let n = f.targets.count
            let via =
                f.viaNodePorts ? (n == 1 ? "node port" : "node ports") : (n == 1 ? "pod" : "pods") + " (no node ports)"
            out += "\tchain \(chainName(f)) {\n"
            out += "\t\tcomment \"\(f.service) \(f.port)/\(f.proto.rawValue.uppercased()) to \(n) \(via)\"\n"
            if f.targets.count == 1 {
                out += "\t\tmeta l4proto \(f.proto.rawValue) dnat ip to \(f.targets[0])\n"
            } else {
                let map = f.targets.enumerated().map { "\($0.offset) : \($0.element.ip) . \($0.element.port)" }.joined(
                    separator: ", "
                )
                out +=
                    "\t\tmeta l4proto \(f.proto.rawValue) dnat ip to numgen random mod \(f.targets.count) map { \(map) }\n"
            }
            out += "\t}\n"
        }
        out += """
            \tchain balance {
            \t\tip daddr . meta l4proto . th dport vmap @frontends
            \t}
            \tchain refuse {
            \t\tmeta l4proto tcp reject with tcp reset
            \t\treject
            \t}
            \tchain nat-output {
            \t\ttype nat hook output priority -100; policy accept;
            \t\tip daddr @addresses jump balance
            \t}
            \tchain nat-prerouting {
            \t\ttype nat hook prerouting priority dstnat; policy accept;
            \t\tip daddr @addresses jump balance
            \t}
            \tchain filter-output {
            \t\ttype filter hook output priority filter; policy accept;
            \t\tip daddr @addresses goto refuse comment "not balanced: no Service, no such port, or no healthy target"
            \t}
            \tchain filter-forward {
            \t\ttype filter hook forward priority filter; policy accept;
            \t\tip daddr @addresses goto refuse comment "not balanced: no Service, no such port, or no healthy target"
            \t}
            }

            """
        return out
    }

    /// `frontend-<ip>-<proto>-<port>`: one per address and port, so shared addresses work.
    static func chainName(_ f: Frontend) -> String { "frontend-\(f.ip)-\(f.proto.rawValue)-\(f.port)" }
}
