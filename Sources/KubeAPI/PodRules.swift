import KubeMachinery
import KubeModel

/// Pod defaults, validation and printing.
public enum PodRules {
    static let rules = ResourceRules(
        prepareForCreate: { obj in
            obj["status"] = ["phase": "Pending", "qosClass": .string(qosClass(obj))]
        },
        prepareForUpdate: { new, old in
            new["status"] = old["status"]
        },
        prepareForStatusUpdate: { _, _ in },
        defaults: { obj in
            guard var spec = obj["spec"], spec.isObject else { return }
            defaultPodSpec(&spec)
            obj["spec"] = spec
        },
        validate: { obj in validateSpec(obj["spec"] ?? .emptyObject, path: "spec") },
        validateUpdate: { new, old in
            // Only a few pod spec fields may change after creation.
            var a = new["spec"] ?? .emptyObject, b = old["spec"] ?? .emptyObject
            for key in ["activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds", "schedulingGates"] {
                a[key] = nil
                b[key] = nil
            }
            func images(_ spec: inout JSON) {
                for list in ["containers", "initContainers"] {
                    guard var cs = spec[list]?.array else { continue }
                    for i in cs.indices { cs[i]["image"] = nil }
                    spec[list] = .array(cs)
                }
            }
            images(&a)
            images(&b)
            return a == b
                ? []
                : [
                    .forbidden(
                        "spec",
                        "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
                    )
                ]
        },
        fieldValue: { obj, field in
            switch field {
            case "spec.nodeName": return obj[path: ["spec", "nodeName"]]?.string ?? ""
            case "spec.restartPolicy": return obj[path: ["spec", "restartPolicy"]]?.string ?? ""
            case "spec.schedulerName": return obj[path: ["spec", "schedulerName"]]?.string ?? ""
            case "spec.serviceAccountName": return obj[path: ["spec", "serviceAccountName"]]?.string ?? ""
            case "spec.hostNetwork": return String(obj[path: ["spec", "hostNetwork"]]?.bool ?? false)
            case "status.phase": return obj[path: ["status", "phase"]]?.string ?? ""
            case "status.podIP": return obj[path: ["status", "podIP"]]?.string ?? ""
            case "status.nominatedNodeName": return obj[path: ["status", "nominatedNodeName"]]?.string ?? ""
            default: return nil
            }
        },
        columns: [
            TableColumn("Ready", "The aggregate readiness state of this pod for accepting traffic."),
            TableColumn("Status", "The aggregate status of the containers in this pod."),
            TableColumn(
                "Restarts",
                "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."
            ),
            TableColumn.age,
            TableColumn(
                "IP",
                priority: 1,
                "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."
            ),
            TableColumn("Node", priority: 1, "NodeName is a request to schedule this pod onto a specific node."),
            TableColumn(
                "Nominated Node",
                priority: 1,
                "nominatedNodeName is set only when this pod preempts other pods on the node."
            ),
            TableColumn(
                "Readiness Gates",
                priority: 1,
                "If specified, all readiness gates will be evaluated for pod readiness."
            ),
        ],
        cells: { obj, now in podCells(obj, now) }
    )

    /// The pod's QoS class, as upstream computes it from CPU and memory: BestEffort with no
    /// requests or limits, Guaranteed when every container limits both and requests equal
    /// limits, else Burstable.
    public static func qosClass(_ pod: JSON) -> String {
        let containers =
            (pod[path: ["spec", "containers"]]?.array ?? []) + (pod[path: ["spec", "initContainers"]]?.array ?? [])
        var requests: [String: Double] = [:], limits: [String: Double] = [:]
        var guaranteed = true
        for c in containers {
            // A limit without a request requests the limit (as defaulting writes it).
            for name in ["cpu", "memory"] {
                let q = c[path: ["resources", "requests", name]] ?? c[path: ["resources", "limits", name]]
                if let v = Quantity(q)?.value, v != 0 { requests[name, default: 0] += v }
            }
            var found = Set<String>()
            for (name, q) in c[path: ["resources", "limits"]]?.object ?? JSONObject()
            where ["cpu", "memory"].contains(name) {
                if let v = Quantity(q)?.value, v != 0 {
                    limits[name, default: 0] += v
                    found.insert(name)
                }
            }
            if found.count < 2 { guaranteed = false }
        }
        if requests.isEmpty && limits.isEmpty { return "BestEffort" }
        if guaranteed, requests == limits { return "Guaranteed" }
        return "Burstable"
    }

    /// Requests and limits: valid quantities, not negative, a request no more than its limit.
    static func validateResources(_ c: JSON, path: String) -> [FieldError] {
        var errs: [FieldError] = []
        var parsed: [String: [String: Quantity]] = [:]
        for kind in ["limits", "requests"] {
            for (name, raw) in c[path: ["resources", kind]]?.object ?? JSONObject() {
                let field = "\(path).resources.\(kind)[\(name)]"
                guard let q = Quantity(raw) else {
                    errs.append(.invalid(field, raw, Quantity.formatMessage))
                    continue
                }
                if q.value < 0 {
                    errs.append(.invalid(field, raw, "must be greater than or equal to 0"))
                    continue
                }
                parsed[kind, default: [:]][name] = q
            }
        }
        for (name, request) in parsed["requests"] ?? [:] {
            guard let limit = parsed["limits"]?[name], request > limit else { continue }
            let raw = c[path: ["resources", "requests", name]] ?? .null
            let limitText = c[path: ["resources", "limits", name]].map { $0.string ?? $0.serializedString() } ?? ""
            errs.append(
                .invalid(
                    "\(path).resources.requests",
                    raw,
                    "must be less than or equal to \(name) limit of \(limitText)"
                )
            )
        }
        return errs
    }

    public static func defaultPodSpec(_ spec: inout JSON) {
        if spec["dnsPolicy"] == nil { spec["dnsPolicy"] = "ClusterFirst" }
        if spec["restartPolicy"] == nil { spec["restartPolicy"] = "Always" }
        if spec["terminationGracePeriodSeconds"] == nil { spec["terminationGracePeriodSeconds"] = 30 }
        if spec["schedulerName"] == nil { spec["schedulerName"] = "default-scheduler" }
        if spec["securityContext"] == nil { spec["securityContext"] = .emptyObject }
        if spec["enableServiceLinks"] == nil { spec["enableServiceLinks"] = true }
        for list in ["containers", "initContainers"] {
            guard var cs = spec[list]?.array else { continue }
            for i in cs.indices { defaultContainer(&cs[i]) }
            spec[list] = .array(cs)
        }
    }

    static func defaultContainer(_ c: inout JSON) {
        if c["terminationMessagePath"] == nil { c["terminationMessagePath"] = "/dev/termination-log" }
        if c["terminationMessagePolicy"] == nil { c["terminationMessagePolicy"] = "File" }
        if c["resources"] == nil { c["resources"] = .emptyObject }
        // A limit without a request requests the limit.
        if let limits = c[path: ["resources", "limits"]]?.object {
            var requests = c[path: ["resources", "requests"]]?.object ?? JSONObject()
            for (name, q) in limits where requests[name] == nil { requests[name] = q }
            if !requests.isEmpty { c[path: ["resources", "requests"]] = .object(requests) }
        }
        if c["imagePullPolicy"] == nil {
            let image = c["image"]?.string ?? ""
            let lastPart = image.split(separator: "/").last.map(String.init) ?? image
            let tagged = lastPart.contains(":") && !lastPart.hasSuffix(":latest")
            c["imagePullPolicy"] = tagged || image.contains("@") ? "IfNotPresent" : "Always"
        }
        if var ports = c["ports"]?.array {
            for i in ports.indices where ports[i]["protocol"] == nil { ports[i]["protocol"] = "TCP" }
            c["ports"] = .array(ports)
        }
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            guard var p = c[probe], p.isObject else { continue }
            if p["timeoutSeconds"] == nil { p["timeoutSeconds"] = 1 }
            if p["periodSeconds"] == nil { p["periodSeconds"] = 10 }
            if p["successThreshold"] == nil { p["successThreshold"] = 1 }
            if p["failureThreshold"] == nil { p["failureThreshold"] = 3 }
            if p["httpGet"] != nil, p[path: ["httpGet", "scheme"]] == nil { p[path: ["httpGet", "scheme"]] = "HTTP" }
            c[probe] = p
        }
        for hook in ["postStart", "preStop"] where c[path: ["lifecycle", hook, "httpGet"]] != nil {
            if c[path: ["lifecycle", hook, "httpGet", "scheme"]] == nil {
                c[path: ["lifecycle", hook, "httpGet", "scheme"]] = "HTTP"
            }
        }
    }

    /// One container of either list: name (unique across both), image, resources, ports and
    /// lifecycle hooks, with upstream's messages.
    static func validateContainer(_ c: JSON, path cpath: String, names: inout Set<String>, grace: Int?) -> [FieldError]
    {
        var errs: [FieldError] = []
        let name = c["name"]?.string ?? ""
        if name.isEmpty {
            errs.append(.required("\(cpath).name"))
        } else {
            for m in Validation.dns1123LabelErrors(name) {
                errs.append(.invalid("\(cpath).name", .string(name), m))
            }
            if !names.insert(name).inserted { errs.append(.duplicate("\(cpath).name", .string(name))) }
        }
        if (c["image"]?.string ?? "").isEmpty { errs.append(.required("\(cpath).image")) }
        errs += validateResources(c, path: cpath)
        var portNames = Set<String>()
        for (j, p) in (c["ports"]?.array ?? []).enumerated() {
            let cp = p["containerPort"]?.int ?? 0
            for m in Validation.portNumberErrors(cp) {
                errs.append(.invalid("\(cpath).ports[\(j)].containerPort", .int(cp), m))
            }
            if let pn = p["name"]?.string, !pn.isEmpty {
                for m in Validation.ianaServiceNameErrors(pn) {
                    errs.append(.invalid("\(cpath).ports[\(j)].name", .string(pn), m))
                }
                if !portNames.insert(pn).inserted {
                    errs.append(.duplicate("\(cpath).ports[\(j)].name", .string(pn)))
                }
            }
            if let proto = p["protocol"]?.string, !["TCP", "UDP", "SCTP"].contains(proto) {
                errs.append(.notSupported("\(cpath).ports[\(j)].protocol", .string(proto), ["SCTP", "TCP", "UDP"]))
            }
        }
        for hook in ["postStart", "preStop"] {
            guard let h = c[path: ["lifecycle", hook]] else { continue }
            errs += validateHook(h, path: "\(cpath).lifecycle.\(hook)", grace: grace)
        }
        return errs
    }

    /// Volumes have unique names; every mount names one of them, at a path, with a
    /// relative `subPath` that does not climb out of it.
    static func validateVolumes(_ spec: JSON, path: String) -> [FieldError] {
        var errs: [FieldError] = []
        var names = Set<String>()
        for (i, v) in (spec["volumes"]?.array ?? []).enumerated() {
            let name = v["name"]?.string ?? ""
            if name.isEmpty {
                errs.append(.required("\(path).volumes[\(i)].name"))
            } else if !names.insert(name).inserted {
                errs.append(.duplicate("\(path).volumes[\(i)].name", .string(name)))
            }
        }
        for list in ["initContainers", "containers"] {
            for (i, c) in (spec[list]?.array ?? []).enumerated() {
                for (j, m) in (c["volumeMounts"]?.array ?? []).enumerated() {
                    let mpath = "\(path).\(list)[\(i)].volumeMounts[\(j)]"
                    let name = m["name"]?.string ?? ""
                    if name.isEmpty {
                        errs.append(.required("\(mpath).name"))
                    } else if !names.contains(name) {
                        errs.append(.notFound("\(mpath).name", .string(name)))
                    }
                    if (m["mountPath"]?.string ?? "").isEmpty { errs.append(.required("\(mpath).mountPath")) }
                    if let sub = m["subPath"]?.string, !sub.isEmpty {
                        if sub.hasPrefix("/") {
                            errs.append(.invalid("\(mpath).subPath", .string(sub), "must be a relative path"))
                        }
                        if sub.split(separator: "/").contains("..") {
                            errs.append(.invalid("\(mpath).subPath", .string(sub), "must not contain '..'"))
                        }
                    }
                }
            }
        }
        return errs
    }

    /// A lifecycle handler names exactly one action; a sleep lasts 1 s up to the grace period.
    static func validateHook(_ h: JSON, path: String, grace: Int?) -> [FieldError] {
        var errs: [FieldError] = []
        let kinds = ["exec", "httpGet", "tcpSocket", "sleep"].filter { h[$0] != nil }
        if kinds.isEmpty { errs.append(.required(path, "must specify a handler type")) }
        for extra in kinds.dropFirst() {
            errs.append(.forbidden("\(path).\(extra)", "may not specify more than 1 handler type"))
        }
        if let sleep = h["sleep"] {
            let seconds = sleep["seconds"]?.intValue ?? 0
            let limit = grace ?? 30
            if seconds <= 0 || seconds > limit {
                errs.append(
                    .invalid(
                        "\(path).sleep.seconds",
                        .int(Int64(seconds)),
                        "must be greater than 0 and less than terminationGracePeriodSeconds (\(limit))"
                    )
                )
            }
        }
        if let port = h[path: ["httpGet", "port"]], let n = port.int {
            for m in Validation.portNumberErrors(n) { errs.append(.invalid("\(path).httpGet.port", .int(n), m)) }
        }
        return errs
    }

    public static func validateSpec(_ spec: JSON, path: String) -> [FieldError] {
        var errs: [FieldError] = []
        let containers = spec["containers"]?.array ?? []
        if containers.isEmpty { errs.append(.required("\(path).containers")) }
        let grace = spec["terminationGracePeriodSeconds"]?.intValue
        var names = Set<String>()
        for (i, c) in containers.enumerated() {
            let cpath = "\(path).containers[\(i)]"
            errs += validateContainer(c, path: cpath, names: &names, grace: grace)
            if c["restartPolicy"] != nil {
                errs.append(.forbidden("\(cpath).restartPolicy", "may not be set for non-init containers"))
            }
        }
        for (i, c) in (spec["initContainers"]?.array ?? []).enumerated() {
            let cpath = "\(path).initContainers[\(i)]"
            errs += validateContainer(c, path: cpath, names: &names, grace: grace)
            let policy = c["restartPolicy"]?.string
            if let policy, policy != "Always" {
                errs.append(.notSupported("\(cpath).restartPolicy", .string(policy), ["Always"]))
            }
            // Only a sidecar (restartPolicy Always) runs long enough for hooks and probes.
            if policy != "Always" {
                for field in ["lifecycle", "livenessProbe", "readinessProbe", "startupProbe"] where c[field] != nil {
                    errs.append(
                        .forbidden(
                            "\(cpath).\(field)",
                            "may not be set for init containers without restartPolicy=Always"
                        )
                    )
                }
            }
        }
        errs += validateVolumes(spec, path: path)
        let rp = spec["restartPolicy"]?.string ?? "Always"
        if !["Always", "OnFailure", "Never"].contains(rp) {
            errs.append(.notSupported("\(path).restartPolicy", .string(rp), ["Always", "OnFailure", "Never"]))
        }
        let dp = spec["dnsPolicy"]?.string ?? "ClusterFirst"
        if !["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"].contains(dp) {
            errs.append(
                .notSupported(
                    "\(path).dnsPolicy",
                    .string(dp),
                    ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
                )
            )
        }
        if dp == "None", spec["dnsConfig"] == nil {
            errs.append(.required("\(path).dnsConfig", "must provide `dnsConfig` when `dnsPolicy` is None"))
        }
        if let h = spec["hostname"]?.string {
            for m in Validation.dns1123LabelErrors(h) { errs.append(.invalid("\(path).hostname", .string(h), m)) }
        }
        if let sd = spec["subdomain"]?.string {
            for m in Validation.dns1123LabelErrors(sd) { errs.append(.invalid("\(path).subdomain", .string(sd), m)) }
        }
        return errs
    }

    /// kubectl's READY / STATUS / RESTARTS cells.
    static func podCells(_ obj: JSON, _ now: Timestamp) -> [JSON] {
        let status = obj["status"] ?? .emptyObject
        // Sidecars (init containers with restartPolicy Always) count as containers.
        let sidecars = Set(
            (obj[path: ["spec", "initContainers"]]?.array ?? []).filter { $0["restartPolicy"]?.string == "Always" }
                .compactMap { $0["name"]?.string }
        )
        let total = (obj[path: ["spec", "containers"]]?.array?.count ?? 0) + sidecars.count
        var ready = 0
        var restarts: Int64 = 0
        var sidecarRestarts: Int64 = 0
        var lastRestart: Timestamp?
        var reason = status["reason"]?.string ?? status["phase"]?.string ?? ""
        var initializing = false
        for (i, c) in (status["initContainerStatuses"]?.array ?? []).enumerated() {
            restarts += c["restartCount"]?.int ?? 0
            let sidecar = sidecars.contains(c["name"]?.string ?? "")
            if sidecar {
                sidecarRestarts += c["restartCount"]?.int ?? 0
                if let t = c[path: ["lastState", "terminated", "finishedAt"]]?.string.flatMap(Timestamp.init(rfc3339:))
                {
                    if lastRestart == nil || t > lastRestart! { lastRestart = t }
                }
            }
            if c[path: ["state", "terminated", "exitCode"]]?.int == 0 { continue }
            if sidecar, c["started"]?.bool == true {
                if c["ready"]?.bool == true { ready += 1 }
                continue
            }
            initializing = true
            if let r = c[path: ["state", "terminated", "reason"]]?.string {
                reason = "Init:" + r
            } else if let r = c[path: ["state", "waiting", "reason"]]?.string, r != "PodInitializing" {
                reason = "Init:" + r
            } else {
                reason = "Init:\(i)/\(obj[path: ["spec", "initContainers"]]?.array?.count ?? 0)"
            }
            break
        }
        if !initializing {
            restarts = sidecarRestarts
            var hasRunning = false
            for c in (status["containerStatuses"]?.array ?? []).reversed() {
                restarts += c["restartCount"]?.int ?? 0
                if let t = c[path: ["lastState", "terminated", "finishedAt"]]?.string.flatMap(Timestamp.init(rfc3339:))
                {
                    if lastRestart == nil || t > lastRestart! { lastRestart = t }
                }
                if let r = c[path: ["state", "waiting", "reason"]]?.string, !r.isEmpty {
                    reason = r
                } else if let term = c[path: ["state", "terminated"]], term.isObject {
                    if let r = term["reason"]?.string, !r.isEmpty {
                        reason = r
                    } else if let sig = term["signal"]?.int, sig != 0 {
                        reason = "Signal:\(sig)"
                    } else {
                        reason = "ExitCode:\(term["exitCode"]?.int ?? 0)"
                    }
                } else if c["ready"]?.bool == true, c[path: ["state", "running"]] != nil {
                    hasRunning = true
                    ready += 1
                }
            }
            if reason == "Completed", hasRunning {
                reason = Pod(obj).isReady ? "Running" : "NotReady"
            }
        }
        if obj.deletionTimestamp != nil {
            reason = status["reason"]?.string == "NodeLost" ? "Unknown" : "Terminating"
        }
        var restartText = String(restarts)
        if restarts > 0, let lastRestart {
            restartText += " (\(humanDuration(seconds: now.seconds - lastRestart.seconds)) ago)"
        }
        let ip = status["podIP"]?.string ?? ""
        let node = obj[path: ["spec", "nodeName"]]?.string ?? ""
        let nominated = status["nominatedNodeName"]?.string ?? ""
        let gates = obj[path: ["spec", "readinessGates"]]?.array ?? []
        return [
            .string("\(ready)/\(total)"), .string(reason), .string(restartText), .string(age(obj, now)),
            .string(ip.isEmpty ? "<none>" : ip), .string(node.isEmpty ? "<none>" : node),
            .string(nominated.isEmpty ? "<none>" : nominated), .string(gates.isEmpty ? "<none>" : "\(gates.count)"),
        ]
    }
}
