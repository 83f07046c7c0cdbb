import Foundation
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

    /// The ConfigMaps and Secrets a container's `env` and `envFrom` name, by name: what the
    /// agent must fetch before `build`.
    public static func references(_ container: Container) -> (configMaps: Set<String>, secrets: Set<String>) {
        var configMaps = Set<String>(), secrets = Set<String>()
        for e in container.env {
            switch e.valueFrom {
            case .configMapKeyRef(let name, _, _)?: configMaps.insert(name)
            case .secretKeyRef(let name, _, _)?: secrets.insert(name)
            default: break
            }
        }
        for f in container.envFrom {
            switch f.kind {
            case .configMap: configMaps.insert(f.name)
            case .secret: secrets.insert(f.name)
            case .unknown: break
            }
        }
        return (configMaps, secrets)
    }

    /// A ConfigMap's `data`, or a Secret's decoded `data`, as env takes them.
    public static func values(of object: JSON, secret: Bool) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in object["data"]?.object ?? JSONObject() {
            guard let text = v.string else { continue }
            if secret {
                guard let bytes = Data(base64Encoded: text) else { continue }
                out[k] = String(decoding: bytes, as: UTF8.self)
            } else {
                out[k] = text
            }
        }
        return out
    }

    /// One key of a ConfigMap or Secret for `env`; nil when it is optional and missing.
    static func keyValue(
        _ object: JSON?,
        secret: Bool,
        _ namespace: String,
        _ name: String,
        _ key: String,
        optional: Bool
    ) throws(Failure) -> String? {
        guard let object else {
            if optional { return nil }
            throw Failure(
                reason: "CreateContainerConfigError",
                message: "\(secret ? "secret" : "configmap") \"\(name)\" not found"
            )
        }
        guard let v = values(of: object, secret: secret)[key] else {
            if optional { return nil }
            throw Failure(
                reason: "CreateContainerConfigError",
                message: "couldn't find key \(key) in \(secret ? "Secret" : "ConfigMap") \(namespace)/\(name)"
            )
        }
        return v
    }

    /// kubelet's test for a name `envFrom` may define (`[-._a-zA-Z][-._a-zA-Z0-9]*`).
    static func isEnvVarName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first else { return false }
        func ok(_ c: Unicode.Scalar, digits: Bool) -> Bool {
            c == "-" || c == "." || c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c)
                || (digits && ("0"..."9").contains(c))
        }
        return ok(first, digits: false) && name.unicodeScalars.dropFirst().allSatisfy { ok($0, digits: true) }
    }

    /// The whole environment of one container, in order; a later entry with the same name wins.
    /// `pod` is the object the downward API reads (`fieldRef` paths name its fields);
    /// `configMaps` and `secrets` hold the objects of `references` that exist, by name.
    /// Keys `envFrom` skips as invalid names go to `skipped` (kubelet's event).
    public static func build(
        container: Container,
        spec: PodSpec,
        pod: JSON,
        services: [Service],
        configMaps: [String: JSON] = [:],
        secrets: [String: JSON] = [:],
        skipped: inout [String]
    ) throws(Failure) -> [(String, String)] {
        var env = serviceVariables(
            services: services,
            namespace: pod.namespace,
            enableServiceLinks: spec.enableServiceLinks
        )
        var values: [String: String] = Dictionary(env, uniquingKeysWith: { _, b in b })
        let ns = pod.namespace
        for f in container.envFrom {
            let isSecret = f.kind == .secret
            guard f.kind != .unknown else { continue }
            guard let object = (isSecret ? secrets : configMaps)[f.name] else {
                if f.optional { continue }
                throw Failure(
                    reason: "CreateContainerConfigError",
                    message: "\(isSecret ? "secret" : "configmap") \"\(f.name)\" not found"
                )
            }
            var invalid: [String] = []
            for (key, value) in Self.values(of: object, secret: isSecret).sorted(by: { $0.key < $1.key }) {
                let name = f.prefix + key
                guard isEnvVarName(name) else {
                    invalid.append(name)
                    continue
                }
                env.append((name, value))
                values[name] = value
            }
            if !invalid.isEmpty {
                skipped.append(
                    "Keys [\(invalid.joined(separator: ", "))] from the EnvFrom \(isSecret ? "secret" : "configMap") "
                        + "\(ns)/\(f.name) were skipped since they are considered invalid environment variable names."
                )
            }
        }
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
            case .configMapKeyRef(let name, let key, let optional)?:
                guard let v = try keyValue(configMaps[name], secret: false, ns, name, key, optional: optional) else {
                    continue
                }
                value = v
            case .secretKeyRef(let name, let key, let optional)?:
                guard let v = try keyValue(secrets[name], secret: true, ns, name, key, optional: optional) else {
                    continue
                }
                value = v
            case .unknown?:
                value = ""
            }
            env.append((e.name, value))
            values[e.name] = value
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
