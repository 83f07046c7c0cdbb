import KubeMachinery

// The kind-specific rules of each served resource: defaults, validation and table columns.

enum NamespaceRules {
    static let rules = ResourceRules(
        nameErrors: Validation.dns1123LabelErrors,
        prepareForCreate: { obj in
            obj["status"] = ["phase": "Active"]
            obj[path: ["spec", "finalizers"]] = ["kubernetes"]
        },
        prepareForUpdate: { new, old in new["spec"] = old["spec"] },
        defaults: { obj in
            // The API server labels every namespace with its own name.
            obj[path: ["metadata", "labels", "kubernetes.io/metadata.name"]] = .string(obj.name)
        },
        fieldValue: { obj, field in field == "status.phase" ? obj[path: ["status", "phase"]]?.string ?? "" : nil },
        columns: [TableColumn("Status", "The status of the namespace"), TableColumn.age],
        cells: { obj, now in [.string(obj[path: ["status", "phase"]]?.string ?? ""), .string(age(obj, now))] }
    )
}

enum EndpointsRules {
    static let rules = ResourceRules(
        defaults: { obj in
            guard var subsets = obj["subsets"]?.array else { return }
            for i in subsets.indices {
                guard var ports = subsets[i]["ports"]?.array else { continue }
                for j in ports.indices where ports[j]["protocol"] == nil { ports[j]["protocol"] = "TCP" }
                subsets[i]["ports"] = .array(ports)
            }
            obj["subsets"] = .array(subsets)
        },
        // Kubernetes' `validateEndpointSubsets`.
        validate: { obj in
            var errs: [FieldError] = []
            for (i, subset) in (obj["subsets"]?.array ?? []).enumerated() {
                let base = "subsets[\(i)]"
                if (subset["addresses"]?.array ?? []).isEmpty, (subset["notReadyAddresses"]?.array ?? []).isEmpty {
                    errs.append(.required(base, "must specify `addresses` or `notReadyAddresses`"))
                }
                for key in ["addresses", "notReadyAddresses"] {
                    for (j, addr) in (subset[key]?.array ?? []).enumerated() {
                        let path = "\(base).\(key)[\(j)]"
                        let ip = addr["ip"]?.string ?? ""
                        if !Validation.isIP(ip) {
                            errs.append(.invalid("\(path).ip", .string(ip), Validation.ipAddressMsg))
                        }
                        if let h = addr["hostname"]?.string, !h.isEmpty {
                            for m in Validation.dns1123LabelErrors(h) {
                                errs.append(.invalid("\(path).hostname", .string(h), m))
                            }
                        }
                        if let node = addr["nodeName"]?.string {
                            for m in Validation.dns1123SubdomainErrors(node) {
                                errs.append(.invalid("\(path).nodeName", .string(node), m))
                            }
                        }
                        for m in Validation.nonSpecialIPErrors(ip) {
                            errs.append(.invalid("\(path).ip", .string(ip), m))
                        }
                    }
                }
                let ports = subset["ports"]?.array ?? []
                for (j, port) in ports.enumerated() {
                    let path = "\(base).ports[\(j)]"
                    let name = port["name"]?.string ?? ""
                    if ports.count > 1, name.isEmpty {
                        errs.append(.required("\(path).name"))
                    } else if !name.isEmpty {
                        for m in Validation.dns1123LabelErrors(name) {
                            errs.append(.invalid("\(path).name", .string(name), m))
                        }
                    }
                    let p = port["port"]?.int ?? 0
                    for m in Validation.portNumberErrors(p) { errs.append(.invalid("\(path).port", JSON.int(p), m)) }
                    let proto = port["protocol"]?.string ?? ""
                    if proto.isEmpty {
                        errs.append(.required("\(path).protocol"))
                    } else if !["TCP", "UDP", "SCTP"].contains(proto) {
                        errs.append(.notSupported("\(path).protocol", .string(proto), ["SCTP", "TCP", "UDP"]))
                    }
                    if let ap = port["appProtocol"]?.string {
                        for m in Validation.qualifiedNameErrors(ap) {
                            errs.append(.invalid("\(path).appProtocol", .string(ap), m))
                        }
                    }
                }
            }
            return errs
        },
        columns: [TableColumn("Endpoints", "Endpoints is the list of endpoints for this service"), TableColumn.age],
        cells: { obj, now in [.string(Printing.endpoints(obj)), .string(age(obj, now))] }
    )
}

enum NodeRules {
    static let rules = ResourceRules(
        prepareForUpdate: { new, old in new["status"] = old["status"] },
        fieldValue: { obj, field in
            field == "spec.unschedulable" ? String(obj[path: ["spec", "unschedulable"]]?.bool ?? false) : nil
        },
        columns: [
            TableColumn("Status", "The status of the node"),
            TableColumn("Roles", "The roles of the node"),
            TableColumn.age,
            TableColumn("Version", "Kubelet Version reported by the node."),
            TableColumn("Internal-IP", priority: 1, "List of internal IPs."),
            TableColumn("External-IP", priority: 1, "List of external IPs."),
            TableColumn(
                "OS-Image",
                priority: 1,
                "OS image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."
            ),
            TableColumn(
                "Kernel-Version",
                priority: 1,
                "Kernel version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."
            ),
            TableColumn(
                "Container-Runtime",
                priority: 1,
                "Container runtime version reported by the node through runtime remote API (e.g. containerd://1.4.2)."
            ),
        ],
        cells: { obj, now in
            let info = obj[path: ["status", "nodeInfo"]]
            func address(_ type: String) -> String {
                let ips = (obj[path: ["status", "addresses"]]?.array ?? []).filter { $0["type"]?.string == type }
                    .compactMap { $0["address"]?.string }
                return ips.isEmpty ? "<none>" : ips.joined(separator: ",")
            }
            return [
                .string(Printing.nodeStatus(obj)), .string(Printing.nodeRoles(obj)), .string(age(obj, now)),
                .string(info?["kubeletVersion"]?.string ?? ""),
                .string(address("InternalIP")), .string(address("ExternalIP")),
                .string(info?["osImage"]?.string ?? "<unknown>"),
                .string(info?["kernelVersion"]?.string ?? "<unknown>"),
                .string(info?["containerRuntimeVersion"]?.string ?? "<unknown>"),
            ]
        }
    )
}

enum EventRules {
    static let rules = ResourceRules(
        nameErrors: { name in name.contains("/") || name == "." || name == ".." ? ["may not contain '/'"] : [] },
        fieldValue: { obj, field in
            switch field {
            case "involvedObject.kind": return obj[path: ["involvedObject", "kind"]]?.string ?? ""
            case "involvedObject.name": return obj[path: ["involvedObject", "name"]]?.string ?? ""
            case "involvedObject.namespace": return obj[path: ["involvedObject", "namespace"]]?.string ?? ""
            case "involvedObject.uid": return obj[path: ["involvedObject", "uid"]]?.string ?? ""
            case "involvedObject.apiVersion": return obj[path: ["involvedObject", "apiVersion"]]?.string ?? ""
            case "involvedObject.resourceVersion":
                return obj[path: ["involvedObject", "resourceVersion"]]?.string ?? ""
            case "involvedObject.fieldPath": return obj[path: ["involvedObject", "fieldPath"]]?.string ?? ""
            case "reportingComponent": return obj["reportingComponent"]?.string ?? ""
            case "source": return obj[path: ["source", "component"]]?.string ?? ""
            case "reason": return obj["reason"]?.string ?? ""
            case "type": return obj["type"]?.string ?? ""
            default: return nil
            }
        },
        columns: [
            TableColumn("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
            TableColumn("Type", "Type of this event (Normal, Warning), new types could be added in the future."),
            TableColumn(
                "Reason",
                "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."
            ),
            TableColumn("Object", "The object that this event is about."),
            TableColumn("Subobject", priority: 1, "The subobject this event is about."),
            TableColumn("Source", priority: 1, "The component reporting this event."),
            TableColumn("Message", "A human-readable description of the status of this operation."),
            TableColumn("First Seen", priority: 1, "The time at which the event was first recorded."),
            TableColumn("Count", priority: 1, "The number of times this event has occurred."),
            TableColumn("Name", priority: 1, "The name of the event."),
        ],
        cells: { obj, now in
            func since(_ key: String) -> String {
                guard let t = obj[key]?.string.flatMap(Timestamp.init(rfc3339:)) else { return "<unknown>" }
                return humanDuration(seconds: now.seconds - t.seconds)
            }
            var last =
                obj["lastTimestamp"]?.string != nil
                ? since("lastTimestamp")
                : obj["eventTime"]?.string != nil ? since("eventTime") : since("firstTimestamp")
            // A counted event: `10s (x3 over 2m)`, as kubectl prints it.
            if let count = obj["count"]?.int, count > 1 { last += " (x\(count) over \(since("firstTimestamp")))" }
            let involved = obj["involvedObject"]
            let object = "\((involved?["kind"]?.string ?? "").lowercased())/\(involved?["name"]?.string ?? "")"
            let source = obj[path: ["source", "component"]]?.string ?? obj["reportingComponent"]?.string ?? ""
            return [
                .string(last), .string(obj["type"]?.string ?? ""), .string(obj["reason"]?.string ?? ""),
                .string(object),
                .string(involved?["fieldPath"]?.string ?? ""), .string(source), .string(obj["message"]?.string ?? ""),
                .string(since("firstTimestamp")), JSON.int(obj["count"]?.int ?? 1), .string(obj.name),
            ]
        }
    )
}

enum LeaseRules {
    static let rules = ResourceRules(
        columns: [TableColumn("Holder", "Name of the Lease holder"), TableColumn.age],
        cells: { obj, now in [.string(obj[path: ["spec", "holderIdentity"]]?.string ?? ""), .string(age(obj, now))] }
    )
}

enum EndpointSliceRules {
    static let rules = ResourceRules(
        defaults: { obj in
            if var ports = obj["ports"]?.array {
                for i in ports.indices {
                    if ports[i]["protocol"] == nil { ports[i]["protocol"] = "TCP" }
                    if ports[i]["name"] == nil { ports[i]["name"] = "" }
                }
                obj["ports"] = .array(ports)
            }
        },
        validate: { obj in
            var errs: [FieldError] = []
            let type = obj["addressType"]?.string ?? ""
            if type.isEmpty {
                errs.append(.required("addressType"))
            } else if !["IPv4", "IPv6", "FQDN"].contains(type) {
                errs.append(.notSupported("addressType", .string(type), ["FQDN", "IPv4", "IPv6"]))
            }
            let endpoints = obj["endpoints"]?.array ?? []
            if endpoints.count > 1000 {
                errs.append(FieldError(.tooMany(1000), "endpoints", value: JSON(endpoints.count)))
            }
            for (i, ep) in endpoints.enumerated() {
                let addrs = ep["addresses"]?.array ?? []
                if addrs.isEmpty {
                    errs.append(FieldError(.required, "endpoints[\(i)].addresses", "must contain at least 1 address"))
                }
                for (j, a) in addrs.enumerated() {
                    let s = a.string ?? ""
                    let path = "endpoints[\(i)].addresses[\(j)]"
                    switch type {
                    case "IPv4", "IPv6":
                        let valid = type == "IPv4" ? IPv4Address(s) != nil : Validation.isIPv6(s)
                        if !valid {
                            errs.append(.invalid(path, .string(s), "must be a valid \(type) address"))
                        } else {
                            for m in Validation.nonSpecialIPErrors(s) { errs.append(.invalid(path, .string(s), m)) }
                        }
                    case "FQDN":
                        for m in Validation.dns1123SubdomainErrors(s) { errs.append(.invalid(path, .string(s), m)) }
                    default: break
                    }
                }
                if let h = ep["hostname"]?.string {
                    for m in Validation.dns1123LabelErrors(h) {
                        errs.append(.invalid("endpoints[\(i)].hostname", .string(h), m))
                    }
                }
            }
            var names = Set<String>()
            for (i, p) in (obj["ports"]?.array ?? []).enumerated() {
                let name = p["name"]?.string ?? ""
                if !name.isEmpty {
                    for m in Validation.dns1123LabelErrors(name) {
                        errs.append(.invalid("ports[\(i)].name", .string(name), m))
                    }
                }
                if !names.insert(name).inserted { errs.append(.duplicate("ports[\(i)].name", .string(name))) }
                if let port = p["port"]?.int {
                    for m in Validation.portNumberErrors(port) {
                        errs.append(.invalid("ports[\(i)].port", .int(port), m))
                    }
                }
                if let proto = p["protocol"]?.string, !["TCP", "UDP", "SCTP"].contains(proto) {
                    errs.append(.notSupported("ports[\(i)].protocol", .string(proto), ["SCTP", "TCP", "UDP"]))
                }
            }
            return errs
        },
        validateUpdate: { new, old in
            let a = new["addressType"]?.string ?? "", b = old["addressType"]?.string ?? ""
            return a == b ? [] : [.invalid("addressType", .string(a), "field is immutable")]
        },
        columns: [
            TableColumn("AddressType", "The type of addresses in this EndpointSlice."),
            TableColumn("Ports", "The ports of this EndpointSlice."),
            TableColumn("Endpoints", "The endpoints of this EndpointSlice."),
            TableColumn.age,
        ],
        cells: { obj, now in
            [
                .string(obj["addressType"]?.string ?? ""), .string(Printing.slicePorts(obj)),
                .string(Printing.sliceEndpoints(obj)), .string(age(obj, now)),
            ]
        }
    )
}
