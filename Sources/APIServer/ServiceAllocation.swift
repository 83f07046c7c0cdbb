import KubeAPI
import KubeMachinery

/// What a Service write reserved, and what it frees once it is stored.
struct AllocationTransaction: Sendable {
    var reserved = ServiceAllocator.Holdings()
    var toRelease = ServiceAllocator.Holdings()
}

/// The Service-specific steps of create and update, as Kubernetes' service REST storage does them.
enum ServiceAllocation {
    /// Clears fields the new type does not use, when the client left them as they were
    /// (so `kubectl patch` of the type alone works), before validation.
    static func dropTypeDependentFields(_ new: inout JSON, old: JSON?) {
        guard let old else { return }
        let newType = ServiceRules.type(new), oldType = ServiceRules.type(old)
        if newType == "ExternalName", oldType != "ExternalName" {
            for key in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"]
            where new[path: ["spec", key]] == old[path: ["spec", key]] {
                new[path: ["spec", key]] = nil
            }
        }
        let needsNodePorts =
            newType == "NodePort"
            || (newType == "LoadBalancer" && new[path: ["spec", "allocateLoadBalancerNodePorts"]]?.bool != false)
        if !needsNodePorts, var ports = new[path: ["spec", "ports"]]?.array {
            let oldPorts = old[path: ["spec", "ports"]]?.array ?? []
            for i in ports.indices {
                guard let np = ports[i]["nodePort"]?.int, np != 0 else { continue }
                if oldPorts.contains(where: { $0["nodePort"]?.int == np }) { ports[i]["nodePort"] = nil }
            }
            new[path: ["spec", "ports"]] = .array(ports)
        }
        if !ServiceRules.needsHealthCheck(new), let hc = new[path: ["spec", "healthCheckNodePort"]],
            hc == old[path: ["spec", "healthCheckNodePort"]]
        {
            new[path: ["spec", "healthCheckNodePort"]] = nil
        }
        if ServiceRules.isExternallyAccessible(old), !ServiceRules.isExternallyAccessible(new),
            new[path: ["spec", "externalTrafficPolicy"]] == old[path: ["spec", "externalTrafficPolicy"]]
        {
            new[path: ["spec", "externalTrafficPolicy"]] = nil
        }
        if newType != "LoadBalancer" {
            for key in ["allocateLoadBalancerNodePorts", "loadBalancerClass"]
            where new[path: ["spec", key]] == old[path: ["spec", key]] {
                new[path: ["spec", key]] = nil
            }
            if new[path: ["status", "loadBalancer"]] != nil { new[path: ["status", "loadBalancer"]] = .emptyObject }
        }
    }

    /// Assigns addresses and ports after validation; the caller commits or rolls back.
    static func allocate(
        _ new: inout JSON,
        old: JSON?,
        allocator: ServiceAllocator
    ) async throws(APIError) -> AllocationTransaction {
        var txn = AllocationTransaction()
        let oldHoldings = old.map { ServiceAllocator.Holdings(service: $0) } ?? .init()
        try initIPFamilyFields(&new, old: old)
        do {
            try await allocateIPs(&new, old: old, allocator: allocator, txn: &txn)
            try await allocatePorts(&new, old: old, allocator: allocator, txn: &txn)
        } catch {
            await allocator.release(txn.reserved)
            throw error
        }
        let newHoldings = ServiceAllocator.Holdings(service: new)
        txn.toRelease.ips = oldHoldings.ips.filter { !newHoldings.ips.contains($0) }
        txn.toRelease.ports = oldHoldings.ports.filter { !newHoldings.ports.contains($0) }
        return txn
    }

    private static func allocateIPs(
        _ new: inout JSON,
        old: JSON?,
        allocator: ServiceAllocator,
        txn: inout AllocationTransaction
    ) async throws(APIError) {
        let type = ServiceRules.type(new)
        if type == "ExternalName" { return }
        let oldIP =
            old.flatMap { ServiceRules.type($0) == "ExternalName" ? nil : $0[path: ["spec", "clusterIP"]]?.string }
            ?? ""
        var ip = new[path: ["spec", "clusterIP"]]?.string ?? ""
        if ip.isEmpty, let first = new[path: ["spec", "clusterIPs"]]?.array?.first?.string { ip = first }
        if !oldIP.isEmpty, ip.isEmpty || ip == oldIP {
            ip = oldIP
        } else if ip == "None" {
            // Headless: nothing to allocate.
        } else if ip.isEmpty {
            do {
                let a = try await allocator.allocateIP()
                txn.reserved.ips.append(a)
                ip = a.description
            } catch {
                throw APIError.internalError("failed to allocate a serviceIP: range is full")
            }
        } else if let a = IPv4Address(ip) {
            do {
                try await allocator.reserve(ip: a)
                txn.reserved.ips.append(a)
            } catch .ipOutOfRange {
                throw invalidIP(
                    new,
                    ip,
                    "the provided IP (\(ip)) is not in the valid range. The range of valid IPs is \(allocator.serviceCIDR)"
                )
            } catch {
                throw invalidIP(new, ip, "provided IP is already allocated")
            }
        }
        new[path: ["spec", "clusterIP"]] = .string(ip)
        new[path: ["spec", "clusterIPs"]] = [.string(ip)]
    }

    /// Kubernetes' `initIPFamilyFields` for a cluster whose only service family is IPv4: fills
    /// `ipFamilyPolicy` and `ipFamilies`, and refuses what this cluster cannot give (IPv6,
    /// dual-stack). Headless Services without a selector may name both families, as upstream.
    static func initIPFamilyFields(_ new: inout JSON, old: JSON?) throws(APIError) {
        guard ServiceRules.type(new) != "ExternalName" else { return }
        let clusterIP = new[path: ["spec", "clusterIP"]]?.string ?? ""
        let clusterIPs = (new[path: ["spec", "clusterIPs"]]?.array ?? []).map { $0.string ?? "" }
        let selectorless = new[path: ["spec", "selector"]]?.object?.isEmpty ?? true
        let headlessSelectorless = clusterIP == "None" && selectorless
        var policy = new[path: ["spec", "ipFamilyPolicy"]]?.string
        if policy == nil {
            if let oldPolicy = old?[path: ["spec", "ipFamilyPolicy"]]?.string {
                policy = oldPolicy
            } else {
                policy = headlessSelectorless ? "RequireDualStack" : "SingleStack"
            }
        }
        let policyValue = JSON.string(policy ?? "")
        var families = (new[path: ["spec", "ipFamilies"]]?.array ?? []).map { $0.string ?? "" }
        var errs: [FieldError] = []
        if policy == "SingleStack" {
            if clusterIPs.count == 2 {
                errs.append(
                    .invalid(
                        "spec.ipFamilyPolicy",
                        policyValue,
                        "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"
                    )
                )
            }
            if families.count == 2 {
                errs.append(
                    .invalid(
                        "spec.ipFamilyPolicy",
                        policyValue,
                        "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"
                    )
                )
            }
        }
        for (i, ip) in clusterIPs.enumerated() {
            if ip == "None" { break }
            let family = Validation.isIPv6(ip) ? "IPv6" : "IPv4"
            guard i >= families.count else { continue }
            if family == "IPv4" {
                families.append(family)
            } else {
                errs.append(
                    .invalid(
                        "spec.clusterIPs[\(i)]",
                        rendered: ServiceRules.goStrings(clusterIPs),
                        "\(family) is not configured on this cluster"
                    )
                )
            }
        }
        if errs.isEmpty, headlessSelectorless {
            if families.isEmpty { families = ["IPv4"] }
            if families.count < 2, policy != "SingleStack" { families.append(families[0] == "IPv4" ? "IPv6" : "IPv4") }
        } else if errs.isEmpty {
            if policy == "RequireDualStack" {
                errs.append(
                    .invalid(
                        "spec.ipFamilyPolicy",
                        policyValue,
                        "this cluster is not configured for dual-stack services"
                    )
                )
            }
            for (i, family) in families.enumerated() where family != "IPv4" {
                errs.append(.invalid("spec.ipFamilies[\(i)]", .string(family), "not configured on this cluster"))
            }
            if families.isEmpty { families = ["IPv4"] }
        }
        if !errs.isEmpty { throw APIError.invalid(kind: "Service", name: new.name, causes: errs) }
        new[path: ["spec", "ipFamilyPolicy"]] = .string(policy ?? "SingleStack")
        new[path: ["spec", "ipFamilies"]] = .array(families.map(JSON.string))
    }

    private static func invalidIP(_ svc: JSON, _ ip: String, _ why: String) -> APIError {
        .invalid(
            kind: "Service",
            name: svc.name,
            causes: [
                .invalid("spec.clusterIPs", rendered: "[]string{\"\(ip)\"}", "failed to allocate IP \(ip): \(why)")
            ]
        )
    }

    private static func allocatePorts(
        _ new: inout JSON,
        old: JSON?,
        allocator: ServiceAllocator,
        txn: inout AllocationTransaction
    ) async throws(APIError) {
        let type = ServiceRules.type(new)
        let needsNodePorts =
            type == "NodePort"
            || (type == "LoadBalancer" && new[path: ["spec", "allocateLoadBalancerNodePorts"]]?.bool != false)
        let oldPorts = old?[path: ["spec", "ports"]]?.array ?? []
        let oldNodePorts = Set(ServiceAllocator.Holdings(service: old ?? .emptyObject).ports)
        var ports = new[path: ["spec", "ports"]]?.array ?? []
        var claimed = Set<Int>()
        for i in ports.indices {
            let requested = ports[i]["nodePort"]?.intValue ?? 0
            // Upstream stores a nodePort an ExternalName Service names, but never allocates it.
            if requested != 0, type != "ExternalName" {
                if claimed.contains(requested) { continue }  // same port number on TCP and UDP
                if !oldNodePorts.contains(requested) {
                    do {
                        try await allocator.reserve(port: requested)
                        txn.reserved.ports.append(requested)
                    } catch .portOutOfRange {
                        throw invalidPort(
                            new,
                            "spec.ports[\(i)].nodePort",
                            requested,
                            "provided port is not in the valid range. The range of valid ports is \(allocator.nodePorts.lowerBound)-\(allocator.nodePorts.upperBound)"
                        )
                    } catch {
                        throw invalidPort(
                            new,
                            "spec.ports[\(i)].nodePort",
                            requested,
                            "provided port is already allocated"
                        )
                    }
                }
                claimed.insert(requested)
                continue
            }
            guard needsNodePorts else { continue }
            let number = ports[i]["port"]?.int
            // The same port number under another protocol shares one node port.
            if let sibling = ports.first(where: { $0["port"]?.int == number && ($0["nodePort"]?.intValue ?? 0) != 0 }),
                let np = sibling["nodePort"]?.intValue
            {
                ports[i]["nodePort"] = JSON(np)
                continue
            }
            if let previous = oldPorts.first(where: {
                $0["port"]?.int == number && $0["protocol"] == ports[i]["protocol"]
            })?["nodePort"]?.intValue,
                previous != 0, !claimed.contains(previous)
            {
                ports[i]["nodePort"] = JSON(previous)
                claimed.insert(previous)
                continue
            }
            do {
                let p = try await allocator.allocatePort()
                txn.reserved.ports.append(p)
                claimed.insert(p)
                ports[i]["nodePort"] = JSON(p)
            } catch {
                throw APIError.internalError("failed to allocate a nodePort: range is full")
            }
        }
        if !ports.isEmpty { new[path: ["spec", "ports"]] = .array(ports) }

        guard ServiceRules.needsHealthCheck(new) else { return }
        let hc = new[path: ["spec", "healthCheckNodePort"]]?.intValue ?? 0
        if hc != 0 {
            if !oldNodePorts.contains(hc) {
                do {
                    try await allocator.reserve(port: hc)
                    txn.reserved.ports.append(hc)
                } catch .portOutOfRange {
                    throw invalidPort(
                        new,
                        "spec.healthCheckNodePort",
                        hc,
                        "provided port is not in the valid range. The range of valid ports is \(allocator.nodePorts.lowerBound)-\(allocator.nodePorts.upperBound)"
                    )
                } catch {
                    throw invalidPort(new, "spec.healthCheckNodePort", hc, "provided port is already allocated")
                }
            }
        } else {
            do {
                let p = try await allocator.allocatePort()
                txn.reserved.ports.append(p)
                new[path: ["spec", "healthCheckNodePort"]] = JSON(p)
            } catch {
                throw APIError.internalError("failed to allocate a nodePort: range is full")
            }
        }
    }

    private static func invalidPort(_ svc: JSON, _ field: String, _ port: Int, _ why: String) -> APIError {
        .invalid(kind: "Service", name: svc.name, causes: [.invalid(field, JSON(port), why)])
    }
}
