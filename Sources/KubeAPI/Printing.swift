import KubeMachinery
import KubeModel

/// kubectl's printing rules for the cells of server-side tables.
public enum Printing {
    /// `10.244.1.2:8080,10.244.2.3:8080 + 1 more...`
    static func endpoints(_ obj: JSON) -> String {
        let subsets = obj["subsets"]?.array ?? []
        if subsets.isEmpty { return "<none>" }
        var list: [String] = []
        let max = 3
        var more = false
        var count = 0
        for ss in subsets {
            let addrs = (ss["addresses"]?.array ?? []).compactMap { $0["ip"]?.string }
            let ports = ss["ports"]?.array ?? []
            if ports.isEmpty {
                count += addrs.count
                for a in addrs {
                    if list.count == max {
                        more = true
                        break
                    }
                    list.append(a)
                }
            } else {
                for p in ports {
                    count += addrs.count
                    for a in addrs {
                        if list.count == max {
                            more = true
                            break
                        }
                        list.append("\(a):\(p["port"]?.int ?? 0)")
                    }
                }
            }
        }
        let joined = list.joined(separator: ",")
        return more ? "\(joined) + \(count - max) more..." : joined
    }

    static func listWithMore(_ items: [String], max: Int = 3) -> String {
        if items.isEmpty { return "<unset>" }
        let shown = items.prefix(max).joined(separator: ",")
        return items.count > max ? "\(shown) + \(items.count - max) more..." : shown
    }

    static func slicePorts(_ obj: JSON) -> String {
        listWithMore(
            (obj["ports"]?.array ?? []).map { p in
                if let port = p["port"]?.int { return String(port) }
                if let name = p["name"]?.string, !name.isEmpty { return name }
                return "*"
            }
        )
    }

    static func sliceEndpoints(_ obj: JSON) -> String {
        listWithMore((obj["endpoints"]?.array ?? []).flatMap { ($0["addresses"]?.array ?? []).compactMap(\.string) })
    }

    static func nodeStatus(_ obj: JSON) -> String {
        let node = Node(obj)
        // As kubectl prints it: anything but True (False or Unknown) is NotReady.
        var status = node.conditions.filter { $0.type == "Ready" }.map { $0.isTrue ? "Ready" : "NotReady" }
        if status.isEmpty { status.append("Unknown") }
        if node.unschedulable { status.append("SchedulingDisabled") }
        return status.joined(separator: ",")
    }

    static func nodeRoles(_ obj: JSON) -> String {
        var roles: [String] = []
        for (k, v) in obj.labels {
            if k.hasPrefix("node-role.kubernetes.io/") {
                let role = String(k.dropFirst("node-role.kubernetes.io/".count))
                if !role.isEmpty { roles.append(role) }
            } else if k == "kubernetes.io/role", !v.isEmpty {
                roles.append(v)
            }
        }
        return roles.isEmpty ? "<none>" : roles.sorted().joined(separator: ",")
    }

    /// `app=kiada,tier in (web)` for a structured selector; `<none>` when empty.
    static func labelSelector(_ sel: JSON?) -> String {
        guard let sel, !sel.isNull, let s = try? LabelSelector(structured: sel) else { return "<none>" }
        let text = s.description
        return text.isEmpty ? "<none>" : text
    }

    /// The selector as a query string, `app=kiada`, as Scale's status shows it.
    public static func selectorString(_ sel: JSON?) -> String {
        guard let sel, !sel.isNull, let s = try? LabelSelector(structured: sel) else { return "" }
        return s.description
    }

    static func mapSelector(_ m: [String: String]) -> String {
        m.isEmpty ? "<none>" : m.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}
