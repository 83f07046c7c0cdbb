/// Service defaults, validation and printing, following Kubernetes' core/v1 rules.
public enum ServiceRules {
    static let types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
    static let protocols = ["SCTP", "TCP", "UDP"]

    public static func isHeadless(_ svc: JSON) -> Bool { svc[path: ["spec", "clusterIP"]]?.string == "None" }
    public static func type(_ svc: JSON) -> String { svc[path: ["spec", "type"]]?.string ?? "ClusterIP" }

    /// The `loadBalancerClass` of Swiftlet's own load balancer (also what no class means).
    public static let swiftletLoadBalancerClass = "swiftlet.io/load-balancer"

    /// A LoadBalancer Service (not being deleted) that Swiftlet's load balancer serves:
    /// no `loadBalancerClass`, or Swiftlet's; any other class belongs to another controller.
    public static func isSwiftletLoadBalancer(_ svc: JSON) -> Bool {
        guard type(svc) == "LoadBalancer", svc.deletionTimestamp == nil else { return false }
        let cls = svc[path: ["spec", "loadBalancerClass"]]?.string
        return cls == nil || cls == swiftletLoadBalancerClass
    }

    static let rules = ResourceRules(
        nameErrors: Validation.dns1035LabelErrors,
        prepareForCreate: { obj in obj["status"] = ["loadBalancer": .emptyObject] },
        defaults: defaults,
        validate: validate,
        validateUpdate: validateUpdate,
        validateStatus: { obj in
            var errs: [FieldError] = []
            for (i, ing) in (obj[path: ["status", "loadBalancer", "ingress"]]?.array ?? []).enumerated() {
                if let ip = ing["ip"]?.string, IPv4Address(ip) == nil, !ip.contains(":") {
                    errs.append(.invalid("status.loadBalancer.ingress[\(i)].ip", .string(ip), "must be a valid IP address"))
                }
            }
            return errs
        },
        columns: [
            TableColumn("Type", "type determines how the Service is exposed."),
            TableColumn("Cluster-IP", "clusterIP is the IP address of the service and is usually assigned randomly."),
            TableColumn("External-IP", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
            TableColumn("Port(s)", "The port(s) of the service."),
            TableColumn.age,
            TableColumn("Selector", priority: 1, "Route service traffic to pods with label keys and values matching this selector."),
        ],
        cells: { obj, now in
            let spec = obj["spec"]
            let clusterIP = (spec?["clusterIPs"]?.array?.first?.string) ?? spec?["clusterIP"]?.string ?? ""
            return [
                .string(type(obj)), .string(clusterIP.isEmpty ? "<none>" : clusterIP), .string(externalIP(obj, wide: false)),
                .string(portsString(obj)), .string(age(obj, now)), .string(Printing.mapSelector(spec?["selector"]?.stringMap ?? [:])),
            ]
        }
    )

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
                if tp == nil || tp == .int(0) || tp == .string("") || tp == .null { ports[i]["targetPort"] = ports[i]["port"] }
            }
            spec["ports"] = .array(ports)
        }
        if t != "ExternalName", spec["internalTrafficPolicy"]?.string ?? "" == "" { spec["internalTrafficPolicy"] = "Cluster" }
        if t == "NodePort" || t == "LoadBalancer" {
            if spec["externalTrafficPolicy"]?.string ?? "" == "" { spec["externalTrafficPolicy"] = "Cluster" }
        }
        if t == "LoadBalancer", spec["allocateLoadBalancerNodePorts"] == nil { spec["allocateLoadBalancerNodePorts"] = true }
        obj["spec"] = spec
    }

    static func validate(_ obj: JSON) -> [FieldError] {
        var errs: [FieldError] = []
        let spec = obj["spec"] ?? .emptyObject
        let t = spec["type"]?.string ?? ""
        let headless = spec["clusterIP"]?.string == "None"
        let ports = spec["ports"]?.array ?? []
        if ports.isEmpty && !headless && t != "ExternalName" { errs.append(.required("spec.ports")) }
        switch t {
        case "LoadBalancer":
            if headless { errs.append(.invalid("spec.clusterIPs[0]", "None", "may not be set to 'None' for LoadBalancer services")) }
        case "NodePort":
            if headless { errs.append(.invalid("spec.clusterIPs[0]", "None", "may not be set to 'None' for NodePort services")) }
        case "ExternalName":
            if let ips = spec["clusterIPs"]?.array, !ips.isEmpty {
                errs.append(.forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
            } else if let ip = spec["clusterIP"]?.string, !ip.isEmpty {
                errs.append(.forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
            }
            let cname = String((spec["externalName"]?.string ?? "").trimmingSuffix("."))
            if cname.isEmpty {
                errs.append(.required("spec.externalName"))
            } else {
                for m in Validation.dns1123SubdomainErrors(cname) { errs.append(.invalid("spec.externalName", .string(cname), m)) }
            }
        default: break
        }
        var names = Set<String>()
        var seenPorts = Set<String>()
        var seenNodePorts = Set<String>()
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
                for m in Validation.ianaServiceNameErrors(tp) { errs.append(.invalid("\(path).targetPort", .string(tp), m)) }
            default: break
            }
            if let np = p["nodePort"]?.int, np != 0 {
                if t == "ClusterIP" || t == "ExternalName" {
                    errs.append(.forbidden("\(path).nodePort", "may not be used when `type` is '\(t)'"))
                }
                if !seenNodePorts.insert("\(proto)/\(np)").inserted { errs.append(.duplicate("\(path).nodePort", .int(np))) }
            }
            if !seenPorts.insert("\(proto)/\(port)").inserted {
                errs.append(.duplicate(path, .string("{\(proto) \(port)}")))
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
            let timeout = spec[path: ["sessionAffinityConfig", "clientIP", "timeoutSeconds"]]?.int ?? 0
            if !(1...86400).contains(timeout) {
                errs.append(.invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", .int(timeout),
                                     "must be greater than 0 and less than 86400"))
            }
        } else if affinity == "None", let cfg = spec["sessionAffinityConfig"], !cfg.isNull {
            errs.append(.forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None"))
        }
        if let ip = spec["clusterIP"]?.string, !ip.isEmpty, ip != "None", IPv4Address(ip) == nil {
            errs.append(.invalid("spec.clusterIPs[0]", .string(ip), "must be empty, 'None', or a valid IP address"))
        }
        if let ips = spec["clusterIPs"]?.array, let first = ips.first?.string,
           let ip = spec["clusterIP"]?.string, !ip.isEmpty, first != ip {
            errs.append(.invalid("spec.clusterIPs", .string(first), "element [0] must match clusterIP"))
        }
        for (i, ip) in (spec["externalIPs"]?.array ?? []).enumerated() {
            let s = ip.string ?? ""
            if IPv4Address(s) == nil { errs.append(.invalid("spec.externalIPs[\(i)]", .string(s), "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")) }
        }
        if t.isEmpty {
            errs.append(.required("spec.type"))
        } else if !types.contains(t) {
            errs.append(.notSupported("spec.type", .string(t), types))
        }
        if let etp = spec["externalTrafficPolicy"]?.string, !etp.isEmpty {
            if t != "NodePort" && t != "LoadBalancer" {
                errs.append(.invalid("spec.externalTrafficPolicy", .string(etp), "may only be set when `type` is 'NodePort' or 'LoadBalancer'"))
            } else if !["Cluster", "Local"].contains(etp) {
                errs.append(.notSupported("spec.externalTrafficPolicy", .string(etp), ["Cluster", "Local"]))
            }
        } else if t == "NodePort" || t == "LoadBalancer" {
            errs.append(.required("spec.externalTrafficPolicy"))
        }
        if let itp = spec["internalTrafficPolicy"]?.string, !["Cluster", "Local"].contains(itp) {
            errs.append(.notSupported("spec.internalTrafficPolicy", .string(itp), ["Cluster", "Local"]))
        }
        if let hc = spec["healthCheckNodePort"]?.int, hc != 0 {
            let needs = t == "LoadBalancer" && spec["externalTrafficPolicy"]?.string == "Local"
            if !needs {
                errs.append(.invalid("spec.healthCheckNodePort", .int(hc), "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
            }
        }
        if spec["allocateLoadBalancerNodePorts"] != nil, t != "LoadBalancer" {
            errs.append(.forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"))
        }
        if spec["loadBalancerClass"] != nil, t != "LoadBalancer" {
            errs.append(.forbidden("spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'"))
        }
        return errs
    }

    static func validateUpdate(_ new: JSON, _ old: JSON) -> [FieldError] {
        var errs: [FieldError] = []
        let newType = type(new), oldType = type(old)
        if newType != "ExternalName", oldType != "ExternalName" {
            let oldIP = old[path: ["spec", "clusterIP"]]?.string ?? ""
            let newIP = new[path: ["spec", "clusterIP"]]?.string ?? ""
            if !oldIP.isEmpty, newIP != oldIP {
                errs.append(.invalid("spec.clusterIPs[0]", .string(newIP), "may not change once set"))
            }
        }
        if let lbc = old[path: ["spec", "loadBalancerClass"]], oldType == "LoadBalancer", newType == "LoadBalancer",
           new[path: ["spec", "loadBalancerClass"]] != lbc {
            errs.append(.invalid("spec.loadBalancerClass", new[path: ["spec", "loadBalancerClass"]] ?? .null, "may not change once set"))
        }
        return errs
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
