import KubeMachinery

/// A core/v1 PodSpec as the node agent reads it to run a pod: containers, their commands,
/// environment, probes and mounts, and the pod's DNS, hostname and restart settings. Kept
/// apart from `Pod`, which the controllers cache by the ten thousand and which needs none of
/// this. Defaults are upstream's (`restartPolicy: Always`, `dnsPolicy: ClusterFirst`, a 30 s
/// grace period, service links on).
public struct PodSpec: Sendable, Hashable {
    public var containers: [Container]
    public var initContainers: [Container]
    public var restartPolicy: String
    public var terminationGracePeriodSeconds: Int
    public var hostNetwork: Bool
    public var dnsPolicy: String
    public var dnsConfig: DNSConfig?
    public var hostname: String?
    public var subdomain: String?
    public var hostAliases: [HostAlias]
    public var enableServiceLinks: Bool
    /// `default` when absent.
    public var serviceAccountName: String
    public var nodeName: String?
    /// The pod's `securityContext`: what each container's own settings override.
    public var securityContext: SecurityContext
    public var supplementalGroups: [Int64]
    public var fsGroup: Int64?
    public var volumes: [Volume]

    public struct DNSConfig: Sendable, Hashable {
        public var nameservers: [String]
        public var searches: [String]
        /// `name` with an optional `value`, in order.
        public var options: [Option]

        public struct Option: Sendable, Hashable {
            public var name: String
            public var value: String?
        }

        init(_ json: JSON) {
            nameservers = json["nameservers"]?.stringArray ?? []
            searches = json["searches"]?.stringArray ?? []
            options = (json["options"]?.array ?? []).compactMap { o in
                o["name"]?.string.map { Option(name: $0, value: o["value"]?.string) }
            }
        }
    }

    public struct HostAlias: Sendable, Hashable {
        public var ip: String
        public var hostnames: [String]
    }

    /// From a Pod object (its `spec`).
    public init(pod: JSON) { self.init(pod["spec"] ?? .emptyObject) }

    public init(_ spec: JSON) {
        containers = (spec["containers"]?.array ?? []).map(Container.init)
        initContainers = (spec["initContainers"]?.array ?? []).map(Container.init)
        restartPolicy = spec["restartPolicy"]?.nonEmptyString ?? "Always"
        terminationGracePeriodSeconds = spec["terminationGracePeriodSeconds"]?.intValue ?? 30
        hostNetwork = spec["hostNetwork"]?.bool ?? false
        dnsPolicy = spec["dnsPolicy"]?.nonEmptyString ?? "ClusterFirst"
        dnsConfig = spec["dnsConfig"].flatMap { $0.object == nil ? nil : DNSConfig($0) }
        hostname = spec["hostname"]?.nonEmptyString
        subdomain = spec["subdomain"]?.nonEmptyString
        hostAliases = (spec["hostAliases"]?.array ?? []).map {
            HostAlias(ip: $0["ip"]?.string ?? "", hostnames: $0["hostnames"]?.stringArray ?? [])
        }
        enableServiceLinks = spec["enableServiceLinks"]?.bool ?? true
        serviceAccountName = spec["serviceAccountName"]?.nonEmptyString ?? "default"
        nodeName = spec["nodeName"]?.nonEmptyString
        securityContext = SecurityContext(spec["securityContext"])
        supplementalGroups = (spec[path: ["securityContext", "supplementalGroups"]]?.array ?? []).compactMap(\.intValue)
            .map(Int64.init)
        fsGroup = spec[path: ["securityContext", "fsGroup"]]?.intValue.map(Int64.init)
        volumes = (spec["volumes"]?.array ?? []).map(Volume.init)
    }

    /// Init containers and then the others.
    public var allContainers: [Container] { initContainers + containers }
}

/// One container of a pod.
public struct Container: Sendable, Hashable {
    public var name: String
    public var image: String
    /// nil: the image's entrypoint.
    public var command: [String]?
    public var args: [String]
    public var workingDir: String?
    public var ports: [Pod.ContainerPort]
    public var env: [EnvVar]
    public var envFrom: [EnvFromSource]
    /// `resources.limits` and `.requests` as written (`cpu: 500m`, `memory: 64Mi`).
    public var limits: [String: String]
    public var requests: [String: String]
    public var startupProbe: Probe?
    public var livenessProbe: Probe?
    public var readinessProbe: Probe?
    public var volumeMounts: [VolumeMount]
    public var privileged: Bool
    public var securityContext: SecurityContext
    /// As written; nil means kubelet's default for the image's tag.
    public var imagePullPolicy: String?
    public var stdin: Bool
    public var stdinOnce: Bool
    public var tty: Bool
    /// Where the container may write why it ended (`/dev/termination-log`).
    public var terminationMessagePath: String
    /// `File`, or `FallbackToLogsOnError`: the log's tail when the file is empty and the
    /// container failed.
    public var terminationMessagePolicy: String
    public var postStart: LifecycleHook?
    public var preStop: LifecycleHook?
    /// A container's own restart policy: `Always` makes an init container a sidecar.
    public var restartPolicy: String?

    /// An init container that runs beside the others until the pod ends (restartPolicy Always).
    public var isSidecar: Bool { restartPolicy == "Always" }

    public struct VolumeMount: Sendable, Hashable {
        public var name: String
        public var mountPath: String
        public var subPath: String?
        public var readOnly: Bool
    }

    public init(_ json: JSON) {
        name = json["name"]?.string ?? ""
        image = json["image"]?.string ?? ""
        command = json["command"]?.stringArray
        args = json["args"]?.stringArray ?? []
        workingDir = json["workingDir"]?.nonEmptyString
        ports = (json["ports"]?.array ?? []).map(Pod.ContainerPort.init)
        env = (json["env"]?.array ?? []).compactMap(EnvVar.init)
        envFrom = (json["envFrom"]?.array ?? []).map(EnvFromSource.init)
        limits = Self.quantities(json[path: ["resources", "limits"]])
        requests = Self.quantities(json[path: ["resources", "requests"]])
        startupProbe = Probe(json["startupProbe"])
        livenessProbe = Probe(json["livenessProbe"])
        readinessProbe = Probe(json["readinessProbe"])
        volumeMounts = (json["volumeMounts"]?.array ?? []).map {
            VolumeMount(
                name: $0["name"]?.string ?? "",
                mountPath: $0["mountPath"]?.string ?? "",
                subPath: $0["subPath"]?.nonEmptyString,
                readOnly: $0["readOnly"]?.bool ?? false
            )
        }
        privileged = json[path: ["securityContext", "privileged"]]?.bool ?? false
        securityContext = SecurityContext(json["securityContext"])
        imagePullPolicy = json["imagePullPolicy"]?.nonEmptyString
        stdin = json["stdin"]?.bool ?? false
        stdinOnce = json["stdinOnce"]?.bool ?? false
        tty = json["tty"]?.bool ?? false
        terminationMessagePath = json["terminationMessagePath"]?.nonEmptyString ?? "/dev/termination-log"
        terminationMessagePolicy = json["terminationMessagePolicy"]?.nonEmptyString ?? "File"
        postStart = LifecycleHook(json[path: ["lifecycle", "postStart"]])
        preStop = LifecycleHook(json[path: ["lifecycle", "preStop"]])
        restartPolicy = json["restartPolicy"]?.nonEmptyString
    }

    /// A quantity map: strings as written, numbers as their text.
    static func quantities(_ json: JSON?) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in json?.object?.entries ?? [] {
            if let s = v.string { out[k] = s } else if let n = v.intValue { out[k] = String(n) }
        }
        return out
    }

    /// The port a probe names: a number, or a container port's name (upstream's
    /// `FindPort` on the container's ports, any protocol).
    public func port(_ p: IntOrString?) -> Int? {
        switch p {
        case .int(let n)?: return n
        case .string(let name)?: return ports.first { $0.name == name }?.containerPort ?? Int(name)
        case nil: return nil
        }
    }
}

/// `env[]`: a value, or where the value comes from.
public struct EnvVar: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        case fieldRef(fieldPath: String)
        case resourceFieldRef(resource: String, containerName: String?)
        case configMapKeyRef(name: String, key: String, optional: Bool)
        case secretKeyRef(name: String, key: String, optional: Bool)
        /// A `valueFrom` of a kind not known here.
        case unknown
    }

    public var name: String
    public var value: String?
    public var valueFrom: Source?

    init?(_ json: JSON) {
        guard let name = json["name"]?.string else { return nil }
        self.name = name
        value = json["value"]?.string
        guard let from = json["valueFrom"], from.object != nil else {
            valueFrom = nil
            return
        }
        if let path = from[path: ["fieldRef", "fieldPath"]]?.string {
            valueFrom = .fieldRef(fieldPath: path)
        } else if let r = from["resourceFieldRef"], let resource = r["resource"]?.string {
            valueFrom = .resourceFieldRef(resource: resource, containerName: r["containerName"]?.nonEmptyString)
        } else if let r = from["configMapKeyRef"] {
            valueFrom = .configMapKeyRef(
                name: r["name"]?.string ?? "",
                key: r["key"]?.string ?? "",
                optional: r["optional"]?.bool ?? false
            )
        } else if let r = from["secretKeyRef"] {
            valueFrom = .secretKeyRef(
                name: r["name"]?.string ?? "",
                key: r["key"]?.string ?? "",
                optional: r["optional"]?.bool ?? false
            )
        } else {
            valueFrom = .unknown
        }
    }
}

/// `envFrom[]`: every key of a ConfigMap or Secret, with an optional prefix.
public struct EnvFromSource: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case configMap, secret, unknown
    }
    public var prefix: String
    public var kind: Kind
    public var name: String
    public var optional: Bool

    init(_ json: JSON) {
        prefix = json["prefix"]?.string ?? ""
        let ref: JSON?
        if let c = json["configMapRef"] {
            kind = .configMap
            ref = c
        } else if let s = json["secretRef"] {
            kind = .secret
            ref = s
        } else {
            kind = .unknown
            ref = nil
        }
        name = ref?["name"]?.string ?? ""
        optional = ref?["optional"]?.bool ?? false
    }
}

/// A container probe; timings as written (nil: upstream's default applies).
public struct Probe: Sendable, Hashable {
    public enum Handler: Sendable, Hashable {
        case httpGet(path: String?, port: IntOrString?, host: String?, scheme: String?, headers: [Header])
        case tcpSocket(port: IntOrString?, host: String?)
        case exec(command: [String])
        case grpc(port: Int?, service: String?)
        case none
    }

    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String
    }

    public var handler: Handler
    public var initialDelaySeconds: Int?
    public var periodSeconds: Int?
    public var timeoutSeconds: Int?
    public var successThreshold: Int?
    public var failureThreshold: Int?

    init?(_ json: JSON?) {
        guard let json, json.object != nil else { return nil }
        initialDelaySeconds = json["initialDelaySeconds"]?.intValue
        periodSeconds = json["periodSeconds"]?.intValue
        timeoutSeconds = json["timeoutSeconds"]?.intValue
        successThreshold = json["successThreshold"]?.intValue
        failureThreshold = json["failureThreshold"]?.intValue
        handler = Handler(json)
    }
}

extension Probe.Handler {
    /// The handler a probe or lifecycle hook names (`httpGet`, `tcpSocket`, `exec`, `grpc`).
    init(_ json: JSON) {
        if let h = json["httpGet"] {
            self = .httpGet(
                path: h["path"]?.string,
                port: IntOrString(h["port"]),
                host: h["host"]?.nonEmptyString,
                scheme: h["scheme"]?.nonEmptyString,
                headers: (h["httpHeaders"]?.array ?? []).compactMap { e in
                    e["name"]?.string.map { Probe.Header(name: $0, value: e["value"]?.string ?? "") }
                }
            )
        } else if let t = json["tcpSocket"] {
            self = .tcpSocket(port: IntOrString(t["port"]), host: t["host"]?.nonEmptyString)
        } else if let command = json[path: ["exec", "command"]]?.stringArray {
            self = .exec(command: command)
        } else if let g = json["grpc"] {
            self = .grpc(port: g["port"]?.intValue, service: g["service"]?.string)
        } else {
            self = .none
        }
    }
}

/// A container's `lifecycle.postStart` or `.preStop`: a probe's handler, or a pause.
public enum LifecycleHook: Sendable, Hashable {
    case handler(Probe.Handler)
    case sleep(seconds: Int)

    init?(_ json: JSON?) {
        guard let json, json.object != nil else { return nil }
        if let seconds = json[path: ["sleep", "seconds"]]?.intValue {
            self = .sleep(seconds: seconds)
        } else {
            self = .handler(Probe.Handler(json))
        }
    }
}

/// A pod's or a container's `securityContext`, as written (nil: not set there).
public struct SecurityContext: Sendable, Hashable {
    public var runAsUser: Int64?
    public var runAsGroup: Int64?
    public var runAsNonRoot: Bool?
    public var readOnlyRootFilesystem: Bool?
    public var allowPrivilegeEscalation: Bool?
    public var privileged: Bool?
    public var addCapabilities: [String]
    public var dropCapabilities: [String]
    /// `RuntimeDefault`, `Unconfined` or `Localhost`.
    public var seccompType: String?
    public var seccompLocalhostProfile: String?

    public init(_ json: JSON?) {
        runAsUser = json?["runAsUser"]?.intValue.map(Int64.init)
        runAsGroup = json?["runAsGroup"]?.intValue.map(Int64.init)
        runAsNonRoot = json?["runAsNonRoot"]?.bool
        readOnlyRootFilesystem = json?["readOnlyRootFilesystem"]?.bool
        allowPrivilegeEscalation = json?["allowPrivilegeEscalation"]?.bool
        privileged = json?["privileged"]?.bool
        addCapabilities = json?[path: ["capabilities", "add"]]?.stringArray ?? []
        dropCapabilities = json?[path: ["capabilities", "drop"]]?.stringArray ?? []
        seccompType = json?[path: ["seccompProfile", "type"]]?.nonEmptyString
        seccompLocalhostProfile = json?[path: ["seccompProfile", "localhostProfile"]]?.nonEmptyString
    }

    /// A container's settings over its pod's, field by field, as kubelet merges them.
    public func over(_ pod: SecurityContext) -> SecurityContext {
        var s = self
        s.runAsUser = runAsUser ?? pod.runAsUser
        s.runAsGroup = runAsGroup ?? pod.runAsGroup
        s.runAsNonRoot = runAsNonRoot ?? pod.runAsNonRoot
        if seccompType == nil {
            s.seccompType = pod.seccompType
            s.seccompLocalhostProfile = pod.seccompLocalhostProfile
        }
        return s
    }
}
