import KubeAPI
import KubeMachinery
import KubeModel

/// The environment a container starts with, computed as the kubelet does: service links,
/// then the container's own `env` (which wins), with `$(VAR)` references expanded.
public enum PodEnvironment {
    public struct Failure: Error, Equatable, Sendable {
        public var reason: String
        public var message: String

        public init(reason: String, message: String) {
            self.reason = reason
            self.message = message
        }
    }

    /// `FOO_SERVICE_HOST`, `FOO_SERVICE_PORT`, `FOO_PORT_80_TCP_ADDR` … for the services a pod
    /// sees when it starts: those of its namespace (unless `enableServiceLinks: false`) and
    /// always `default/kubernetes`. Services without a ClusterIP (headless, ExternalName) give none.
    public static func serviceVariables(
        services: [Service],
        namespace: String,
        enableServiceLinks: Bool
    ) -> [(String, String)] {
        var chosen: [String: Service] = [:]
        for svc in services where !svc.clusterIP.isEmpty && !svc.isHeadless {
            if svc.namespace == "default" && svc.name == "kubernetes" {
                if chosen[svc.name] == nil { chosen[svc.name] = svc }
            } else if svc.namespace == namespace && enableServiceLinks {
                chosen[svc.name] = svc
            }
        }
        return chosen.sorted { $0.key < $1.key }.flatMap { variables(for: $0.value) }
    }

    static func envName(_ s: String) -> String { s.uppercased().replacingOccurrences(of: "-", with: "_") }

    /// One service's variables, in the kubelet's order.
    public static func variables(for svc: Service) -> [(String, String)] {
        let prefix = envName(svc.name)
        let ip = svc.clusterIP
        var out: [(String, String)] = [("\(prefix)_SERVICE_HOST", ip)]
        guard let first = svc.ports.first else { return out }
        out.append(("\(prefix)_SERVICE_PORT", String(first.port ?? 0)))
        for p in svc.ports where !p.name.isEmpty {
            out.append(("\(prefix)_SERVICE_PORT_\(envName(p.name))", String(p.port ?? 0)))
        }
        for (i, p) in svc.ports.enumerated() {
            let port = p.port ?? 0
            let proto = p.protocol.rawValue
            let url = "\(proto.lowercased())://\(ip):\(port)"
            if i == 0 { out.append(("\(prefix)_PORT", url)) }
            let pp = "\(prefix)_PORT_\(port)_\(proto.uppercased())"
            out.append((pp, url))
            out.append(("\(pp)_PROTO", proto.lowercased()))
            out.append(("\(pp)_PORT", String(port)))
            out.append(("\(pp)_ADDR", ip))
        }
        return out
    }

    /// The value of a `fieldRef` as the downward API gives it. The downward API names fields
    /// of the object by path, so it reads the object itself, as upstream's field-path
    /// conversion does.
    public static func fieldValue(_ path: String, pod: JSON) -> String? {
        func bracketed(_ prefix: String, _ field: String) -> String? {
            guard path.hasPrefix(prefix + "['"), path.hasSuffix("']") else { return nil }
            let key = String(path.dropFirst(prefix.count + 2).dropLast(2))
            return pod[path: ["metadata", field, key]]?.string ?? ""
        }
        switch path {
        case "metadata.name": return pod.name
        case "metadata.namespace": return pod.namespace
        case "metadata.uid": return pod[path: ["metadata", "uid"]]?.string ?? ""
        case "spec.nodeName": return pod[path: ["spec", "nodeName"]]?.string ?? ""
        case "spec.serviceAccountName": return pod[path: ["spec", "serviceAccountName"]]?.string ?? "default"
        case "status.hostIP": return pod[path: ["status", "hostIP"]]?.string ?? ""
        case "status.hostIPs": return pod[path: ["status", "hostIP"]]?.string ?? ""
        case "status.podIP": return pod[path: ["status", "podIP"]]?.string ?? ""
        case "status.podIPs":
            return (pod[path: ["status", "podIPs"]]?.array ?? []).compactMap { $0["ip"]?.string }.joined(separator: ",")
        default:
            return bracketed("metadata.labels", "labels") ?? bracketed("metadata.annotations", "annotations")
        }
    }

    /// The whole environment of one container, in order; a later entry with the same name wins.
    /// `pod` is the object the downward API reads (`fieldRef` paths name its fields).
    public static func build(
        container: Container,
        spec: PodSpec,
        pod: JSON,
        services: [Service]
    ) throws(Failure) -> [(String, String)] {
        var env = serviceVariables(
            services: services,
            namespace: pod.namespace,
            enableServiceLinks: spec.enableServiceLinks
        )
        var values: [String: String] = Dictionary(env, uniquingKeysWith: { _, b in b })
        for e in container.env {
            let value: String
            switch e.valueFrom {
            case nil:
                value = expand(e.value ?? "", values)
            case .fieldRef(let path)?:
                guard let v = fieldValue(path, pod: pod) else {
                    throw Failure(
                        reason: "CreateContainerConfigError",
                        message: "env \(e.name): unsupported fieldPath \(path)"
                    )
                }
                value = v
            case .resourceFieldRef(let resource, _)?:
                value = resourceValue(resource, container: container)
            case .configMapKeyRef(let name, _, let optional)?:
                if optional { continue }
                throw Failure(reason: "CreateContainerConfigError", message: "configmap \"\(name)\" not found")
            case .secretKeyRef(let name, _, let optional)?:
                if optional { continue }
                throw Failure(reason: "CreateContainerConfigError", message: "secret \"\(name)\" not found")
            case .unknown?:
                value = ""
            }
            env.append((e.name, value))
            values[e.name] = value
        }
        if !container.envFrom.isEmpty {
            throw Failure(
                reason: "CreateContainerConfigError",
                message: "envFrom needs ConfigMaps or Secrets, which Swiftlet does not serve"
            )
        }
        return env
    }

    static func resourceValue(_ resource: String, container: Container) -> String {
        let parts = resource.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return "0" }
        let given = parts[0] == "limits" ? container.limits : parts[0] == "requests" ? container.requests : [:]
        if let v = given[parts[1]] { return v }
        return parts[1] == "cpu" ? "2" : "0"
    }

    /// Kubernetes' `$(VAR)` expansion: defined names are replaced, `$$` escapes, others stay.
    public static func expand(_ s: String, _ values: [String: String]) -> String {
        guard s.contains("$") else { return s }
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            let next = s.index(after: i)
            if c == "$", next < s.endIndex {
                if s[next] == "$" {
                    out.append("$")
                    i = s.index(after: next)
                    continue
                }
                if s[next] == "(", let close = s[next...].firstIndex(of: ")") {
                    let name = String(s[s.index(after: next)..<close])
                    if let v = values[name] { out += v } else { out += s[i...close] }
                    i = s.index(after: close)
                    continue
                }
            }
            out.append(c)
            i = next
        }
        return out
    }
}
