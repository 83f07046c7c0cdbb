import Foundation
import KubeAPI
import KubeMachinery
import KubeModel

/// The cluster's DNS data: Services, their endpoints and the namespaces, indexed for
/// lookups. Built from API objects; pure.
public struct ZoneData: Sendable {
    public struct Port: Sendable, Hashable {
        public var name: String
        public var proto: String  // "tcp", "udp", "sctp"
        public var port: Int

        /// A Service's or an EndpointSlice's port as SRV names spell it (lower case); nil without a number.
        init?(name: String, protocol: PortProtocol, port: Int?) {
            guard let port else { return nil }
            self.name = name.lowercased()
            proto = `protocol`.rawValue.lowercased()
            self.port = port
        }
    }

    /// A Service as the zone reads it — the zone's informer caches 10,000s of these, so it
    /// holds only what answers need (a typed `KubeModel.Service` is five times its size).
    public struct Service: Sendable, Hashable, CacheableObject {
        public var namespace: String
        public var name: String
        public var clusterIP: IPv4Address?
        public var headless: Bool
        public var externalName: String?
        public var ports: [Port]

        public init(_ s: KubeModel.Service) {
            let external = s.type == .externalName
            namespace = s.namespace
            name = s.name
            clusterIP = s.clusterIPv4
            headless = s.isHeadless && !external
            externalName = external ? s.externalName : nil
            ports = s.ports.compactMap { Port(name: $0.name, protocol: $0.protocol, port: $0.port) }
        }

        public init(_ json: JSON) { self.init(KubeModel.Service(json)) }

        /// Back to a Service's JSON, as `init(_:)` reads it (for a packed cache).
        public var json: JSON {
            var meta: JSON = ["name": .string(name)]
            if !namespace.isEmpty { meta["namespace"] = .string(namespace) }
            var spec: JSON = [
                "ports": .array(
                    ports.map {
                        ["name": .string($0.name), "protocol": .string($0.proto.uppercased()), "port": JSON($0.port)]
                    }
                )
            ]
            if let externalName {
                spec["type"] = "ExternalName"
                spec["externalName"] = .string(externalName)
            }
            if headless {
                spec["clusterIP"] = "None"
            } else if let clusterIP {
                spec["clusterIP"] = .string(clusterIP.description)
            }
            return ["metadata": meta, "spec": spec]
        }

        public var cacheKey: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }
        public var cacheNamespace: String { namespace }
        public var cacheLabels: [String: String] { [:] }
        public var cacheMetadata: ObjectMeta { ObjectMeta(name: name, namespace: namespace) }
    }

    public struct Endpoint: Sendable {
        public var ip: IPv4Address
        public var hostname: String?
        public var ports: [Port]
        /// The label used in names: the hostname, or the address with dashes.
        public var label: String { hostname ?? ip.dashed }
    }

    public var services: [String: Service] = [:]
    /// Ready endpoints of each Service (`ns/name`), merged over its slices.
    public var endpoints: [String: [Endpoint]] = [:]
    public var namespaces: Set<String> = []
    /// For reverse lookups: the Services (`ns/name`) holding an address as ClusterIP, and the
    /// headless ones with an endpoint there (with that endpoint's label).
    public var byAddress: [IPv4Address: [(service: String, endpoint: String?)]] = [:]

    public init() {}

    public init(services: [KubeModel.Service], slices: [EndpointSlice], namespaces: [String]) {
        self.init(services: services.map(Service.init), slices: slices, namespaces: namespaces)
    }

    public init(services: [Service], slices: [EndpointSlice], namespaces: [String]) {
        self.namespaces = Set(namespaces)
        for s in services {
            self.services[s.cacheKey] = s
            self.namespaces.insert(s.namespace)
        }
        for slice in slices where slice.isIPv4 {
            guard let svc = slice.serviceName else { continue }
            let key = "\(slice.namespace)/\(svc)"
            let ports = slice.ports.compactMap { Port(name: $0.name, protocol: $0.protocol, port: $0.port) }
            for e in slice.endpoints where e.isReady {
                for ip in e.addresses.compactMap(IPv4Address.init) {
                    if endpoints[key]?.contains(where: { $0.ip == ip }) == true { continue }
                    endpoints[key, default: []].append(Endpoint(ip: ip, hostname: e.hostname, ports: ports))
                }
            }
        }
        for k in endpoints.keys { endpoints[k]?.sort { $0.ip < $1.ip } }
        for (key, svc) in self.services {
            if let ip = svc.clusterIP { byAddress[ip, default: []].append((key, nil)) }
            if svc.headless {
                for ep in endpoints[key] ?? [] { byAddress[ep.ip, default: []].append((key, ep.label)) }
            }
        }
    }
}

/// How the cluster's names are answered, following the Kubernetes DNS specification
/// (schema 1.1.0) and CoreDNS' `kubernetes` plugin where it leaves a choice.
public struct ClusterZone: Sendable {
    public var domain: String
    public var ttl: UInt32
    /// The address of the `kube-dns` Service: the NS record's glue.
    public var dnsServiceIP: IPv4Address?
    /// Reverse lookups inside these ranges are answered here (NXDOMAIN if unknown).
    public var clusterRanges: [IPv4Network]

    public init(
        domain: String = "cluster.local",
        ttl: UInt32 = 30,
        dnsServiceIP: IPv4Address? = nil,
        clusterRanges: [IPv4Network] = []
    ) {
        self.domain = domain.lowercased().trimmingCharacters(in: ["."])
        self.ttl = ttl
        self.dnsServiceIP = dnsServiceIP
        self.clusterRanges = clusterRanges
    }

    public enum Resolution: Sendable, Equatable {
        case answer(DNSRcode, answers: [DNSRecord], authority: [DNSRecord], additional: [DNSRecord])
        /// An ExternalName: the CNAME, and the target to resolve upstream for A/AAAA.
        case alias(DNSRecord, target: String)
        /// Not ours: ask the upstream resolvers.
        case forward
    }

    public func serves(_ name: String) -> Bool {
        let n = name.lowercased().trimmingCharacters(in: ["."])
        return n == domain || n.hasSuffix("." + domain) || n.hasSuffix("in-addr.arpa")
    }

    public func resolve(_ q: DNSQuestion, _ data: ZoneData) -> Resolution {
        let name = q.name.hasSuffix(".") ? String(q.name.dropLast()) : q.name
        let lower = name.lowercased()
        if lower.hasSuffix(".in-addr.arpa") || lower == "in-addr.arpa" { return reverse(q, name, data) }
        guard lower == domain || lower.hasSuffix("." + domain) else { return .forward }
        let prefix =
            lower == domain
            ? []
            : lower.dropLast(domain.count + 1).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        func record(_ type: UInt16, _ d: RData, name n: String = name) -> DNSRecord {
            DNSRecord(name: n, type: type, ttl: ttl, data: d)
        }
        func answer(_ records: [DNSRecord], additional: [DNSRecord] = []) -> Resolution {
            records.isEmpty ? nodata : .answer(.noError, answers: records, authority: [], additional: additional)
        }

        switch prefix.count {
        case 0:
            switch q.type {
            case DNSType.soa: return answer([soa(name)])
            case DNSType.ns:
                let ns = "ns.dns.\(domain)"
                return answer(
                    [record(DNSType.ns, .name(ns))],
                    additional: dnsServiceIP.map { [DNSRecord(name: ns, type: DNSType.a, ttl: ttl, data: .a($0))] }
                        ?? []
                )
            default: return nodata
            }
        case 1:
            if prefix[0] == "dns-version" {
                return q.type == DNSType.txt || q.type == DNSType.any
                    ? answer([record(DNSType.txt, .txt(["1.1.0"]))]) : nodata
            }
            if prefix[0] == "ns" || prefix[0] == "svc" || prefix[0] == "pod" { return nodata }
            return nxdomain
        case 2:
            if prefix == ["dns", "ns"] {
                guard let ip = dnsServiceIP else { return nxdomain }
                return q.type == DNSType.a ? answer([record(DNSType.a, .a(ip))]) : nodata
            }
            guard prefix[1] == "svc" || prefix[1] == "pod" else { return nxdomain }
            return data.namespaces.contains(prefix[0]) ? nodata : nxdomain
        case 3 where prefix[2] == "pod":
            // `a-b-c-d.<ns>.pod.<zone>`: any address, as CoreDNS' `pods insecure` (kubeadm's default).
            guard let ip = IPv4Address(prefix[0].replacingOccurrences(of: "-", with: ".")), prefix[0].contains("-")
            else { return nxdomain }
            return q.type == DNSType.a ? answer([record(DNSType.a, .a(ip))]) : nodata
        case 3 where prefix[2] == "svc":
            guard let svc = data.services["\(prefix[1])/\(prefix[0])"] else { return nxdomain }
            return service(q, name, svc, data)
        case 4 where prefix[3] == "svc":
            // `<endpoint>.<svc>.<ns>.svc.<zone>`, for headless Services.
            guard let svc = data.services["\(prefix[2])/\(prefix[1])"], svc.headless,
                let ep = data.endpoints["\(svc.namespace)/\(svc.name)"]?.first(where: {
                    $0.label.lowercased() == prefix[0]
                })
            else {
                return nxdomain
            }
            return q.type == DNSType.a || q.type == DNSType.any ? answer([record(DNSType.a, .a(ep.ip))]) : nodata
        case 5 where prefix[4] == "svc" && prefix[0].hasPrefix("_") && prefix[1].hasPrefix("_"):
            guard let svc = data.services["\(prefix[3])/\(prefix[2])"] else { return nxdomain }
            let port = String(prefix[0].dropFirst()), proto = String(prefix[1].dropFirst())
            let (srv, extra) = srvRecords(name, svc, data) { $0.name == port && $0.proto == proto }
            if srv.isEmpty { return nxdomain }
            return q.type == DNSType.srv || q.type == DNSType.any ? answer(srv, additional: extra) : nodata
        default:
            return nxdomain
        }
    }

    func service(_ q: DNSQuestion, _ name: String, _ svc: ZoneData.Service, _ data: ZoneData) -> Resolution {
        func rec(_ type: UInt16, _ d: RData) -> DNSRecord { DNSRecord(name: name, type: type, ttl: ttl, data: d) }
        if let target = svc.externalName {
            return .alias(rec(DNSType.cname, .name(target)), target: target)
        }
        let endpoints = data.endpoints["\(svc.namespace)/\(svc.name)"] ?? []
        if svc.headless && endpoints.isEmpty { return nxdomain }
        switch q.type {
        case DNSType.a, DNSType.any:
            // Headless: every ready endpoint, in a new random order each time so clients spread.
            let records =
                svc.headless
                ? endpoints.shuffled().map { rec(DNSType.a, .a($0.ip)) }
                : svc.clusterIP.map { [rec(DNSType.a, .a($0))] } ?? []
            return records.isEmpty ? nodata : .answer(.noError, answers: records, authority: [], additional: [])
        case DNSType.srv:
            let (srv, extra) = srvRecords(name, svc, data) { !$0.name.isEmpty }
            return srv.isEmpty ? nodata : .answer(.noError, answers: srv, authority: [], additional: extra)
        default:
            return nodata
        }
    }

    /// SRV records for the named ports `matching` selects: the Service's port and name for a
    /// ClusterIP Service, each endpoint's port and name for a headless one (with A glue).
    func srvRecords(
        _ name: String,
        _ svc: ZoneData.Service,
        _ data: ZoneData,
        matching: (ZoneData.Port) -> Bool
    ) -> ([DNSRecord], [DNSRecord]) {
        let fqdn = "\(svc.name).\(svc.namespace).svc.\(domain)"
        var srv: [DNSRecord] = [], extra: [DNSRecord] = []
        if svc.headless {
            let eps = data.endpoints["\(svc.namespace)/\(svc.name)"] ?? []
            let weight = UInt16(max(1, 100 / max(eps.count, 1)))
            for ep in eps {
                let target = "\(ep.label).\(fqdn)"
                for p in ep.ports where matching(p) {
                    srv.append(
                        DNSRecord(
                            name: name,
                            type: DNSType.srv,
                            ttl: ttl,
                            data: .srv(priority: 0, weight: weight, port: UInt16(p.port), target: target)
                        )
                    )
                    extra.append(DNSRecord(name: target, type: DNSType.a, ttl: ttl, data: .a(ep.ip)))
                }
            }
        } else if let ip = svc.clusterIP {
            for p in svc.ports where matching(p) {
                srv.append(
                    DNSRecord(
                        name: name,
                        type: DNSType.srv,
                        ttl: ttl,
                        data: .srv(priority: 0, weight: 100, port: UInt16(p.port), target: fqdn)
                    )
                )
            }
            if !srv.isEmpty { extra.append(DNSRecord(name: fqdn, type: DNSType.a, ttl: ttl, data: .a(ip))) }
        }
        return (srv, Array(Set(extra)).sorted { $0.name < $1.name })
    }

    func reverse(_ q: DNSQuestion, _ name: String, _ data: ZoneData) -> Resolution {
        let labels = name.lowercased().split(separator: ".").map(String.init)
        guard labels.count == 6, let ip = IPv4Address(labels[0..<4].reversed().joined(separator: ".")) else {
            return .forward
        }
        let targets: [String] = (data.byAddress[ip] ?? []).compactMap { entry in
            guard let svc = data.services[entry.service] else { return nil }
            let name = "\(svc.name).\(svc.namespace).svc.\(domain)"
            return entry.endpoint.map { "\($0).\(name)" } ?? name
        }
        if targets.isEmpty {
            return clusterRanges.contains { $0.contains(ip) } ? nxdomain(zone: "in-addr.arpa") : .forward
        }
        guard q.type == DNSType.ptr || q.type == DNSType.any else { return nodata(zone: "in-addr.arpa") }
        return .answer(
            .noError,
            answers: targets.sorted().map { DNSRecord(name: name, type: DNSType.ptr, ttl: ttl, data: .name($0)) },
            authority: [],
            additional: []
        )
    }

    func soa(_ zone: String) -> DNSRecord {
        // CoreDNS' form: the serial is a timestamp; refresh, retry, expire as it sets them.
        DNSRecord(
            name: zone,
            type: DNSType.soa,
            ttl: ttl,
            data: .soa(
                mname: "ns.dns.\(zone)",
                rname: "hostmaster.\(zone)",
                serial: UInt32(Timestamp.now.seconds & 0xFFFF_FFFF),
                refresh: 7200,
                retry: 1800,
                expire: 86400,
                minimum: ttl
            )
        )
    }

    var nxdomain: Resolution { nxdomain(zone: domain) }
    var nodata: Resolution { nodata(zone: domain) }
    func nxdomain(zone: String) -> Resolution {
        .answer(.nxDomain, answers: [], authority: [soa(zone)], additional: [])
    }
    func nodata(zone: String) -> Resolution { .answer(.noError, answers: [], authority: [soa(zone)], additional: []) }
}
