import KubeMachinery
import KubeModel

/// Service defaults, validation and printing, following Kubernetes' core/v1 rules.
public enum ServiceRules {
    static let types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
    static let protocols = ["SCTP", "TCP", "UDP"]

    // The derived rules are the typed model's members, so validation, allocation and every
    // component that reads Services decide them the same way.
    public static func isHeadless(_ svc: JSON) -> Bool { Service(svc).isHeadless }
    public static func type(_ svc: JSON) -> String { Service.type(of: svc).rawValue }

    static let rules = ResourceRules(
        nameErrors: Validation.dns1035LabelErrors,
        prepareForCreate: { obj in
            obj["status"] = ["loadBalancer": .emptyObject]
            normalizeClusterIPs(&obj, old: nil)
        },
        prepareForUpdate: { new, old in normalizeClusterIPs(&new, old: old) },
        defaults: defaults,
        validate: validate,
        validateUpdate: validateUpdate,
        validateStatus: { obj in
            var errs: [FieldError] = []
            for (i, ing) in (obj[path: ["status", "loadBalancer", "ingress"]]?.array ?? []).enumerated() {
                if let ip = ing["ip"]?.string, IPv4Address(ip) == nil, !ip.contains(":") {
                    errs.append(
                        .invalid("status.loadBalancer.ingress[\(i)].ip", .string(ip), "must be a valid IP address")
                    )
                }
            }
            return errs
        },
        columns: [
            TableColumn("Type", "type determines how the Service is exposed."),
            TableColumn("Cluster-IP", "clusterIP is the IP address of the service and is usually assigned randomly."),
            TableColumn(
                "External-IP",
                "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."
            ),
            TableColumn("Port(s)", "The port(s) of the service."),
            TableColumn.age,
            TableColumn(
                "Selector",
                priority: 1,
                "Route service traffic to pods with label keys and values matching this selector."
            ),
        ],
        cells: { obj, now in
            let spec = obj["spec"]
            let clusterIP = (spec?["clusterIPs"]?.array?.first?.string) ?? spec?["clusterIP"]?.string ?? ""
            return [
                .string(type(obj)), .string(clusterIP.isEmpty ? "<none>" : clusterIP),
                .string(externalIP(obj, wide: false)),
                .string(portsString(obj)), .string(age(obj, now)),
                .string(Printing.mapSelector(spec?["selector"]?.stringMap ?? [:])),
            ]
        }
    )

    /// Kubernetes' `NormalizeClusterIPs`: works out what a client meant when it set only one
    /// of `clusterIP` and `clusterIPs` (older clients know only the first).
    static func normalizeClusterIPs(_ new: inout JSON, old: JSON?) {
        let ip = new[path: ["spec", "clusterIP"]]?.string ?? ""
        let ips = new[path: ["spec", "clusterIPs"]]?.array ?? []
        guard let old else {
            if !ip.isEmpty, ips.isEmpty { new[path: ["spec", "clusterIPs"]] = [.string(ip)] }
            return
        }
        let oldIP = old[path: ["spec", "clusterIP"]]?.string ?? ""
        let oldIPs = old[path: ["spec", "clusterIPs"]]?.array ?? []
        if !oldIPs.isEmpty, ips.isEmpty, oldIP == ip { new[path: ["spec", "clusterIPs"]] = .array(oldIPs) }
        let same = (new[path: ["spec", "clusterIPs"]]?.array ?? []) == oldIPs
        if oldIP != ip, same {
            new[path: ["spec", "clusterIPs"]] = !oldIP.isEmpty && ip.isEmpty ? nil : [.string(ip)]
        }
    }

    static func defaults(_ obj: inout JSON) {
        guard var spec = obj["spec"], spec.isObject else {
            obj["spec"] = .emptyObject
            return defaults(&obj)
        }
        if spec["type"]?.string ?? "" == "" { spec["type"] = "ClusterIP" }
        let t = spec["type"]?.string ?? ""
        if spec["sessionAffinity"]?.string ?? "" == "" { spec["sessionAffinity"] = "None" }
        // As Kubernetes defaults it: switching affinity off drops its config.
        if spec["sessionAffinity"]?.string == "None" { spec["sessionAffinityConfig"] = nil }
        if spec["sessionAffinity"]?.string == "ClientIP" {
            if spec[path: ["sessionAffinityConfig", "clientIP", "timeoutSeconds"]] == nil {
                spec[path: ["sessionAffinityConfig", "clientIP", "timeoutSeconds"]] = 10800
            }
        }
        if var ports = spec["ports"]?.array {
            for i in ports.indices {
                if ports[i]["protocol"]?.string ?? "" == "" { ports[i]["protocol"] = "TCP" }
                let tp = ports[i]["targetPort"]
                if tp == nil || tp == .int(0) || tp == .string("") || tp == .null {
                    ports[i]["targetPort"] = ports[i]["port"]
                }
            }
            spec["ports"] = .array(ports)
        }
        if ["ClusterIP", "NodePort", "LoadBalancer"].contains(t), spec["internalTrafficPolicy"]?.string ?? "" == "" {
            spec["internalTrafficPolicy"] = "Cluster"
        }
        if Service(["spec": spec]).externallyAccessible, spec["externalTrafficPolicy"]?.string ?? "" == "" {
            spec["externalTrafficPolicy"] = "Cluster"
        }
        if t == "LoadBalancer", spec["allocateLoadBalancerNodePorts"] == nil {
            spec["allocateLoadBalancerNodePorts"] = true
        }
        obj["spec"] = spec
    }

    public static func isExternallyAccessible(_ svc: JSON) -> Bool { Service(svc).externallyAccessible }
    public static func needsHealthCheck(_ svc: JSON) -> Bool { Service(svc).needsHealthCheck }

    /// Go's `%#v` of the `core.ServicePort{Protocol, Port}` key that upstream reports a duplicate with.
    static func goServicePortKey(_ proto: String, _ port: Int64) -> String {
        #"core.ServicePort{Name:"", Protocol:"# + FieldError.quote(proto)
            + #", AppProtocol:(*string)(nil), Port:\#(port), TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}"#
    }

    /// `[]string{"a", "b"}`, as Go prints a string slice.
    public static func goStrings(_ values: [String]) -> String {
        "[]string{" + values.map(FieldError.quote).joined(separator: ", ") + "}"
    }

    /// Kubernetes' `ValidateService`, check for check and in the same order, so that several
    /// errors read as they would from a real API server.
    static func validate(_ obj: JSON) -> [FieldError] {
        var errs: [FieldError] = []
        let spec = obj["spec"] ?? .emptyObject
        let t = spec["type"]?.string ?? ""
        let headless = isHeadless(obj)
        let ports = spec["ports"]?.array ?? []
        if ports.isEmpty && !headless && t != "ExternalName" { errs.append(.required("spec.ports")) }
        switch t {
        case "LoadBalancer":
            if headless {
                errs.append(
                    .invalid("spec.clusterIPs[0]", "None", "may not be set to 'None' for LoadBalancer services")
                )
            }
        case "NodePort":
            if headless {
                errs.append(.invalid("spec.clusterIPs[0]", "None", "may not be set to 'None' for NodePort services"))
            }
        case "ExternalName":
            if !(spec["clusterIPs"]?.array ?? []).isEmpty || !(spec["clusterIP"]?.string ?? "").isEmpty {
                errs.append(.forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
            }
            if !(spec["ipFamilies"]?.array ?? []).isEmpty {
                errs.append(.forbidden("spec.ipFamilies", "may not be set for ExternalName services"))
            }
            if let policy = spec["ipFamilyPolicy"], !policy.isNull {
                errs.append(.forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"))
            }
            // The value (a CNAME) may end in a dot, as a fully qualified name.
            let cname = String((spec["externalName"]?.string ?? "").trimmingSuffix("."))
            if cname.isEmpty {
                errs.append(.required("spec.externalName"))
            } else {
                for m in Validation.dns1123SubdomainErrors(cname) {
                    errs.append(.invalid("spec.externalName", .string(cname), m))
                }
            }
        default: break
        }
        var names = Set<String>()
        for (i, p) in ports.enumerated() {
            let path = "spec.ports[\(i)]"
            let name = p["name"]?.string ?? ""
            if ports.count > 1 && name.isEmpty {
                errs.append(.required("\(path).name"))
            } else if !name.isEmpty {
                for m in Validation.dns1123LabelErrors(name) { errs.append(.invalid("\(path).name", .string(name), m)) }
                if !names.insert(name).inserted { errs.append(.duplicate("\(path).name", .string(name))) }
            }
            let port = p["port"]?.int ?? 0
            for m in Validation.portNumberErrors(port) { errs.append(.invalid("\(path).port", .int(port), m)) }
            let proto = p["protocol"]?.string ?? ""
            if proto.isEmpty {
                errs.append(.required("\(path).protocol"))
            } else if !protocols.contains(proto) {
                errs.append(.notSupported("\(path).protocol", .string(proto), protocols))
            }
            switch p["targetPort"] {
            case .some(.int(let tp)):
                for m in Validation.portNumberErrors(tp) { errs.append(.invalid("\(path).targetPort", .int(tp), m)) }
            case .some(.string(let tp)):
                for m in Validation.ianaServiceNameErrors(tp) {
                    errs.append(.invalid("\(path).targetPort", .string(tp), m))
                }
            default: break
            }
            if let ap = p["appProtocol"]?.string {
                for m in Validation.qualifiedNameErrors(ap) {
                    errs.append(.invalid("\(path).appProtocol", .string(ap), m))
                }
            }
        }
        errs += Validation.validateLabels(spec["selector"], path: "spec.selector")
        let affinity = spec["sessionAffinity"]?.string ?? ""
        if affinity.isEmpty {
            errs.append(.required("spec.sessionAffinity"))
        } else if !["ClientIP", "None"].contains(affinity) {
            errs.append(.notSupported("spec.sessionAffinity", .string(affinity), ["ClientIP", "None"]))
        }
        if affinity == "ClientIP" {
            let cfgPath = "spec.sessionAffinityConfig"
            if spec["sessionAffinityConfig"]?.isObject != true {
                errs.append(.required(cfgPath, "when session affinity type is ClientIP"))
            } else if spec[path: ["sessionAffinityConfig", "clientIP"]]?.isObject != true {
                errs.append(.required("\(cfgPath).clientIP", "when session affinity type is ClientIP"))
            } else if let timeout = spec[path: ["sessionAffinityConfig", "clientIP", "timeoutSeconds"]]?.int {
                if !(1...86400).contains(timeout) {
                    errs.append(
                        .invalid(
                            "\(cfgPath).clientIP.timeoutSeconds",
                            .int(timeout),
                            "must be greater than 0 and less than 86400"
                        )
                    )
                }
            } else {
                errs.append(.required("\(cfgPath).clientIP.timeoutSeconds", "when session affinity type is ClientIP"))
            }
        } else if affinity == "None", let cfg = spec["sessionAffinityConfig"], !cfg.isNull {
            errs.append(.forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None"))
        }
        errs += clusterIPsErrors(obj)
        for (i, ip) in (spec["externalIPs"]?.array ?? []).enumerated() {
            let s = ip.string ?? ""
            if !Validation.isIP(s) {
                errs.append(.invalid("spec.externalIPs[\(i)]", .string(s), Validation.ipAddressMsg))
            } else {
                for m in Validation.nonSpecialIPErrors(s) {
                    errs.append(.invalid("spec.externalIPs[\(i)]", .string(s), m))
                }
            }
        }
        if t.isEmpty {
            errs.append(.required("spec.type"))
        } else if !types.contains(t) {
            errs.append(.notSupported("spec.type", .string(t), types))
        }
        if t == "ClusterIP" {
            for (i, p) in ports.enumerated() where (p["nodePort"]?.int ?? 0) != 0 {
                errs.append(.forbidden("spec.ports[\(i)].nodePort", "may not be used when `type` is 'ClusterIP'"))
            }
        }
        var seenNodePorts = Set<String>()
        for (i, p) in ports.enumerated() {
            guard let np = p["nodePort"]?.int, np != 0 else { continue }
            if !seenNodePorts.insert("\(p["protocol"]?.string ?? "")/\(np)").inserted {
                errs.append(.duplicate("spec.ports[\(i)].nodePort", .int(np)))
            }
        }
        var seenPorts = Set<String>()
        for (i, p) in ports.enumerated() {
            let proto = p["protocol"]?.string ?? "", port = p["port"]?.int ?? 0
            if !seenPorts.insert("\(proto)/\(port)").inserted {
                var e = FieldError(.duplicate, "spec.ports[\(i)]")
                e.renderedValue = goServicePortKey(proto, port)
                errs.append(e)
            }
        }
        // The field path keeps upstream's historical capital letter.
        let sourceRanges = (spec["loadBalancerSourceRanges"]?.array ?? []).map { $0.string ?? "" }
        let sourceRangesAnnotation = "service.beta.kubernetes.io/load-balancer-source-ranges"
        if !sourceRanges.isEmpty {
            if t != "LoadBalancer" {
                errs.append(
                    .forbidden("spec.LoadBalancerSourceRanges", "may only be used when `type` is 'LoadBalancer'")
                )
            }
            for (i, raw) in sourceRanges.enumerated() {
                let value = Validation.trimmingSpace(raw)
                if !Validation.isCIDR(value) {
                    errs.append(.invalid("spec.LoadBalancerSourceRanges[\(i)]", .string(value), Validation.cidrMsg))
                }
            }
        } else if let value = obj[path: ["metadata", "annotations", sourceRangesAnnotation]]?.string {
            let path = "metadata.annotations[\(sourceRangesAnnotation)]"
            if t != "LoadBalancer" {
                errs.append(.forbidden(path, "may only be used when `type` is 'LoadBalancer'"))
            }
            let trimmed = Validation.trimmingSpace(value)
            if !trimmed.isEmpty {
                for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
                    let cidr = Validation.trimmingSpace(String(part))
                    if !Validation.isCIDR(cidr) { errs.append(.invalid(path, .string(cidr), Validation.cidrMsg)) }
                }
            }
        }
        if spec["allocateLoadBalancerNodePorts"] != nil, t != "LoadBalancer" {
            errs.append(
                .forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'")
            )
        }
        if t == "LoadBalancer", spec["allocateLoadBalancerNodePorts"] == nil {
            errs.append(.required("allocateLoadBalancerNodePorts"))  // sic: upstream's path has no `spec.`
        }
        errs += loadBalancerClassErrors(new: obj, old: nil)
        let etp = spec["externalTrafficPolicy"]?.string ?? ""
        if !isExternallyAccessible(obj) {
            if !etp.isEmpty {
                errs.append(
                    .invalid(
                        "spec.externalTrafficPolicy",
                        .string(etp),
                        "may only be set for externally-accessible services"
                    )
                )
            }
        } else if etp.isEmpty {
            errs.append(.required("spec.externalTrafficPolicy"))
        } else if !["Cluster", "Local"].contains(etp) {
            errs.append(.notSupported("spec.externalTrafficPolicy", .string(etp), ["Cluster", "Local"]))
        }
        let hc = spec["healthCheckNodePort"]?.int ?? 0
        if !needsHealthCheck(obj) {
            if hc != 0 {
                errs.append(
                    .invalid(
                        "spec.healthCheckNodePort",
                        .int(hc),
                        "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"
                    )
                )
            }
        } else if hc != 0 {
            for m in Validation.portNumberErrors(hc) { errs.append(.invalid("spec.healthCheckNodePort", .int(hc), m)) }
        }
        // (A Local LoadBalancer without a healthCheckNodePort gets one from the allocator.)
        if let itp = spec["internalTrafficPolicy"]?.string {
            if !["Cluster", "Local"].contains(itp) {
                errs.append(.notSupported("spec.internalTrafficPolicy", .string(itp), ["Cluster", "Local"]))
            }
        } else if t == "NodePort" || t == "LoadBalancer" || t == "ClusterIP" {
            errs.append(.required("spec.internalTrafficPolicy"))
        }
        if let td = spec["trafficDistribution"]?.string, td != "PreferClose" {
            errs.append(.notSupported("spec.trafficDistribution", .string(td), ["PreferClose"]))
        }
        return errs
    }

    /// Kubernetes' `ValidateServiceClusterIPsRelatedFields`: clusterIP and clusterIPs agree, each
    /// address is valid, and ipFamilies / ipFamilyPolicy hold known values.
    static func clusterIPsErrors(_ obj: JSON) -> [FieldError] {
        guard type(obj) != "ExternalName" else { return [] }
        var errs: [FieldError] = []
        let spec = obj["spec"] ?? .emptyObject
        let clusterIP = spec["clusterIP"]?.string ?? ""
        let clusterIPs = (spec["clusterIPs"]?.array ?? []).map { $0.string ?? "" }
        if !clusterIP.isEmpty {
            if clusterIPs.isEmpty {
                errs.append(.required("spec.clusterIPs"))
            } else if clusterIPs[0] != clusterIP {
                errs.append(
                    .invalid("spec.clusterIPs", rendered: goStrings(clusterIPs), "first value must match `clusterIP`")
                )
            }
        } else if !clusterIPs.isEmpty {
            errs.append(
                .invalid(
                    "spec.clusterIPs",
                    rendered: goStrings(clusterIPs),
                    "must be empty when `clusterIP` is not specified"
                )
            )
        }
        var seen = Set<String>()
        for (i, family) in (spec["ipFamilies"]?.array ?? []).enumerated() {
            let f = family.string ?? ""
            if !["IPv4", "IPv6"].contains(f) {
                errs.append(.notSupported("spec.ipFamilies[\(i)]", .string(f), ["IPv4", "IPv6"]))
            }
            if !seen.insert(f).inserted { errs.append(.duplicate("spec.ipFamilies[\(i)]", .string(f))) }
        }
        if let policy = spec["ipFamilyPolicy"], !policy.isNull {
            let p = policy.string ?? ""
            if !["PreferDualStack", "RequireDualStack", "SingleStack"].contains(p) {
                errs.append(
                    .notSupported(
                        "spec.ipFamilyPolicy",
                        .string(p),
                        ["PreferDualStack", "RequireDualStack", "SingleStack"]
                    )
                )
            }
        }
        var invalidIPs = false
        for (i, ip) in clusterIPs.enumerated() {
            if i == 0, ip == "None" {
                if clusterIPs.count > 1 {
                    invalidIPs = true
                    errs.append(
                        .invalid(
                            "spec.clusterIPs",
                            rendered: goStrings(clusterIPs),
                            "'None' must be the first and only value"
                        )
                    )
                }
                continue
            }
            if !Validation.isIP(ip) {
                invalidIPs = true
                errs.append(.invalid("spec.clusterIPs[\(i)]", .string(ip), Validation.ipAddressMsg))
            }
        }
        if clusterIPs.count > 2 {
            errs.append(.invalid("spec.clusterIPs", rendered: goStrings(clusterIPs), "may only hold up to 2 values"))
        }
        if invalidIPs { return errs }
        if clusterIPs.count > 1, Validation.isIPv6(clusterIPs[0]) == Validation.isIPv6(clusterIPs[1]) {
            errs.append(
                .invalid(
                    "spec.clusterIPs",
                    rendered: goStrings(clusterIPs),
                    "may specify no more than one IP for each IP family"
                )
            )
        }
        let families = (spec["ipFamilies"]?.array ?? []).map { $0.string ?? "" }
        if clusterIPs.first != "None" {
            for (i, ip) in clusterIPs.enumerated() where i < families.count {
                if families[i] == "IPv4", Validation.isIPv6(ip) {
                    errs.append(
                        .invalid(
                            "spec.clusterIPs[\(i)]",
                            .string(ip),
                            "expected an IPv4 value as indicated by `ipFamilies[\(i)]`"
                        )
                    )
                }
                if families[i] == "IPv6", !Validation.isIPv6(ip) {
                    errs.append(
                        .invalid(
                            "spec.clusterIPs[\(i)]",
                            .string(ip),
                            "expected an IPv6 value as indicated by `ipFamilies[\(i)]`"
                        )
                    )
                }
            }
        }
        return errs
    }

    static func loadBalancerClassErrors(new: JSON, old: JSON?) -> [FieldError] {
        var errs: [FieldError] = []
        let cls = new[path: ["spec", "loadBalancerClass"]].flatMap { $0.isNull ? nil : $0 }
        if let old, type(old) == "LoadBalancer", type(new) == "LoadBalancer" {
            let oldCls = old[path: ["spec", "loadBalancerClass"]].flatMap { $0.isNull ? nil : $0 }
            if cls != oldCls {
                errs.append(.invalid("spec.loadBalancerClass", cls ?? .null, "may not change once set"))
            }
        }
        if old == nil {
            if type(new) == "LoadBalancer" {
                if let c = cls?.string {
                    for m in Validation.qualifiedNameErrors(c) {
                        errs.append(.invalid("spec.loadBalancerClass", .string(c), m))
                    }
                }
            } else if cls != nil {
                errs.append(.forbidden("spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'"))
            }
        }
        return errs
    }

    /// Kubernetes' `ValidateServiceUpdate` on top of `ValidateService`.
    static func validateUpdate(_ new: JSON, _ old: JSON) -> [FieldError] {
        var errs: [FieldError] = []
        let newType = type(new), oldType = type(old)
        if newType != "ExternalName", oldType != "ExternalName", !(isHeadless(new) && isHeadless(old)) {
            let oldIPs = (old[path: ["spec", "clusterIPs"]]?.array ?? []).map { $0.string ?? "" }
            let newIPs = (new[path: ["spec", "clusterIPs"]]?.array ?? []).map { $0.string ?? "" }
            if oldIPs.count == newIPs.count {
                for (i, ip) in oldIPs.enumerated() where ip != newIPs[i] {
                    errs.append(
                        .invalid("spec.clusterIPs[\(i)]", rendered: goStrings(newIPs), "may not change once set")
                    )
                }
            } else if oldIPs.count > newIPs.count {
                if newIPs.isEmpty {
                    // Go prints a missing slice as nil, an empty one as {}.
                    let absent = new[path: ["spec", "clusterIPs"]]?.array == nil
                    errs.append(
                        .invalid(
                            "spec.clusterIPs[0]",
                            rendered: absent ? "[]string(nil)" : goStrings(newIPs),
                            "primary clusterIP can not be unset"
                        )
                    )
                } else if newIPs[0] != oldIPs[0] {
                    errs.append(.invalid("spec.clusterIPs[0]", rendered: goStrings(newIPs), "may not change once set"))
                }
            } else if let first = oldIPs.first, newIPs[0] != first {
                errs.append(.invalid("spec.clusterIPs[0]", rendered: goStrings(newIPs), "may not change once set"))
            }
        }
        errs += loadBalancerClassErrors(new: new, old: old)
        if needsHealthCheck(old), needsHealthCheck(new),
            new[path: ["spec", "healthCheckNodePort"]]?.int ?? 0 != old[path: ["spec", "healthCheckNodePort"]]?.int ?? 0
        {
            errs.append(.forbidden("spec.healthCheckNodePort", "field is immutable"))
        }
        return errs  // the Resource adds `validate(new)`
    }

    /// kubectl's EXTERNAL-IP cell.
    static func externalIP(_ obj: JSON, wide: Bool) -> String {
        let spec = obj["spec"]
        let externalIPs = (spec?["externalIPs"]?.array ?? []).compactMap(\.string)
        switch type(obj) {
        case "ClusterIP", "NodePort":
            return externalIPs.isEmpty ? "<none>" : externalIPs.joined(separator: ",")
        case "LoadBalancer":
            let ingress = (obj[path: ["status", "loadBalancer", "ingress"]]?.array ?? []).compactMap { i in
                i["ip"]?.string ?? i["hostname"]?.string
            }
            var lb = ingress.joined(separator: ",")
            if !wide, lb.count > 16 { lb = String(lb.prefix(13)) + "..." }
            if !externalIPs.isEmpty { return (ingress + externalIPs).joined(separator: ",") }
            return lb.isEmpty ? "<pending>" : lb
        case "ExternalName":
            return spec?["externalName"]?.string ?? ""
        default:
            return "<unknown>"
        }
    }

    /// kubectl's PORT(S) cell: `80/TCP,443:31443/TCP`.
    static func portsString(_ obj: JSON) -> String {
        let ports = obj[path: ["spec", "ports"]]?.array ?? []
        if ports.isEmpty { return "<none>" }
        return ports.map { p in
            let port = p["port"]?.int ?? 0
            let proto = p["protocol"]?.string ?? "TCP"
            if let np = p["nodePort"]?.int, np != 0 { return "\(port):\(np)/\(proto)" }
            return "\(port)/\(proto)"
        }.joined(separator: ",")
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> Substring {
        hasSuffix(suffix) ? dropLast(suffix.count) : Substring(self)
    }
}
