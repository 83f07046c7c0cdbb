import Foundation
import KubeAPI
import KubeMachinery
import KubeModel
import Testing

@testable import ClusterDNS

enum Zone {
    static func service(
        _ ns: String,
        _ name: String,
        clusterIP: String,
        type: String = "ClusterIP",
        externalName: String? = nil,
        ports: JSON = [
            ["name": "http", "port": 80, "protocol": "TCP"], ["name": "dns", "port": 53, "protocol": "UDP"],
        ]
    ) -> JSON {
        var spec: JSON = ["clusterIP": .string(clusterIP), "type": .string(type), "ports": ports]
        if let externalName { spec["externalName"] = .string(externalName) }
        return ["metadata": ["namespace": .string(ns), "name": .string(name)], "spec": spec]
    }

    static func slice(_ ns: String, _ svc: String, _ endpoints: [(String, String?, Bool)]) -> JSON {
        [
            "metadata": [
                "namespace": .string(ns), "name": .string("\(svc)-abc"),
                "labels": ["kubernetes.io/service-name": .string(svc)],
            ],
            "addressType": "IPv4", "ports": [["name": "http", "port": 8080, "protocol": "TCP"]],
            "endpoints": .array(
                endpoints.map { ip, host, ready in
                    var e: JSON = ["addresses": [.string(ip)], "conditions": ["ready": .bool(ready)]]
                    if let host { e["hostname"] = .string(host) }
                    return e
                }
            ),
        ]
    }

    static let data = ZoneData(
        services: [JSON]([
            service("kiada", "quiz", clusterIP: "10.96.0.20"),
            service("kiada", "db", clusterIP: "None"),
            service("kiada", "empty", clusterIP: "None"),
            service("kiada", "ext", clusterIP: "", type: "ExternalName", externalName: "db.example.org"),
        ]).map(Service.init),
        slices: [
            slice("kiada", "quiz", [("10.244.1.5", nil, true)]),
            slice(
                "kiada",
                "db",
                [("10.244.1.7", "db-0", true), ("10.244.2.8", nil, true), ("10.244.3.9", nil, false)]
            ),
        ].map(EndpointSlice.init),
        namespaces: ["kiada", "default"]
    )
    static let zone = ClusterZone(
        domain: "cluster.local",
        ttl: 30,
        dnsServiceIP: IPv4Address("10.96.0.10")!,
        clusterRanges: [IPv4Network("10.96.0.0/12")!, IPv4Network("10.244.0.0/16")!]
    )

    static func resolve(_ name: String, _ type: UInt16) -> ClusterZone.Resolution {
        zone.resolve(DNSQuestion(name: name, type: type), data)
    }
}

func rcode(_ r: ClusterZone.Resolution) -> DNSRcode? { if case .answer(let c, _, _, _) = r { c } else { nil } }
func answers(_ r: ClusterZone.Resolution) -> [DNSRecord] { if case .answer(_, let a, _, _) = r { a } else { [] } }
func authorityTypes(_ r: ClusterZone.Resolution) -> [UInt16] {
    if case .answer(_, _, let a, _) = r { a.map(\.type) } else { [] }
}
func ips(_ r: ClusterZone.Resolution) -> Set<String> {
    Set(answers(r).compactMap { if case .a(let ip) = $0.data { ip.description } else { nil } })
}

@Suite struct ZoneTests {
    @Test func clusterIPServiceHasOneARecordInEveryCase() {
        for name in ["quiz.kiada.svc.cluster.local", "QUIZ.Kiada.svc.cluster.local.", "quiz.kiada.svc.cluster.local."] {
            let r = Zone.resolve(name, DNSType.a)
            #expect(rcode(r) == .noError && ips(r) == ["10.96.0.20"])
            #expect(answers(r).first?.ttl == 30)
        }
    }

    @Test func nodataAndNxdomainCarryTheSOA() {
        let aaaa = Zone.resolve("quiz.kiada.svc.cluster.local", DNSType.aaaa)
        #expect(rcode(aaaa) == .noError && answers(aaaa).isEmpty && authorityTypes(aaaa) == [DNSType.soa])
        let missing = Zone.resolve("nope.kiada.svc.cluster.local", DNSType.a)
        #expect(rcode(missing) == .nxDomain && authorityTypes(missing) == [DNSType.soa])
        // The search-list expansion of `quiz.kiada` from inside kiada: quickly NXDOMAIN.
        #expect(rcode(Zone.resolve("quiz.kiada.kiada.svc.cluster.local", DNSType.a)) == .nxDomain)
        #expect(rcode(Zone.resolve("kiada.svc.cluster.local", DNSType.a)) == .noError)
        #expect(rcode(Zone.resolve("nowhere.svc.cluster.local", DNSType.a)) == .nxDomain)
        if case .answer(_, _, let auth, _) = missing,
            case .soa(let m, let rn, _, let refresh, let retry, let expire, let minimum) = auth[0].data
        {
            #expect(auth[0].name == "cluster.local" && m == "ns.dns.cluster.local" && rn == "hostmaster.cluster.local")
            #expect((refresh, retry, expire, minimum) == (7200, 1800, 86400, 30))
        }
    }

    @Test func headlessServiceListsReadyEndpointsInRandomOrder() {
        let r = Zone.resolve("db.kiada.svc.cluster.local", DNSType.a)
        #expect(ips(r) == ["10.244.1.7", "10.244.2.8"])
        var orders: Set<[String]> = []
        for _ in 0..<50 {
            orders.insert(answers(Zone.resolve("db.kiada.svc.cluster.local", DNSType.a)).map { "\($0.data)" })
        }
        #expect(orders.count == 2)
        #expect(rcode(Zone.resolve("empty.kiada.svc.cluster.local", DNSType.a)) == .nxDomain)
    }

    @Test func endpointNamesByHostnameOrDashedAddress() {
        #expect(ips(Zone.resolve("db-0.db.kiada.svc.cluster.local", DNSType.a)) == ["10.244.1.7"])
        #expect(ips(Zone.resolve("10-244-2-8.db.kiada.svc.cluster.local", DNSType.a)) == ["10.244.2.8"])
        #expect(rcode(Zone.resolve("10-244-3-9.db.kiada.svc.cluster.local", DNSType.a)) == .nxDomain)
    }

    @Test func srvForNamedPorts() {
        let r = Zone.resolve("_http._tcp.quiz.kiada.svc.cluster.local", DNSType.srv)
        #expect(
            answers(r).map(\.data) == [.srv(priority: 0, weight: 100, port: 80, target: "quiz.kiada.svc.cluster.local")]
        )
        let udp = Zone.resolve("_dns._udp.quiz.kiada.svc.cluster.local", DNSType.srv)
        #expect(
            answers(udp).map(\.data) == [
                .srv(priority: 0, weight: 100, port: 53, target: "quiz.kiada.svc.cluster.local")
            ]
        )
        #expect(rcode(Zone.resolve("_http._udp.quiz.kiada.svc.cluster.local", DNSType.srv)) == .nxDomain)
        let headless = Zone.resolve("_http._tcp.db.kiada.svc.cluster.local", DNSType.srv)
        #expect(
            Set(answers(headless).map(\.data)) == [
                .srv(priority: 0, weight: 50, port: 8080, target: "db-0.db.kiada.svc.cluster.local"),
                .srv(priority: 0, weight: 50, port: 8080, target: "10-244-2-8.db.kiada.svc.cluster.local"),
            ]
        )
        if case .answer(_, _, _, let extra) = headless { #expect(extra.count == 2) }
    }

    @Test func externalNameIsACNAME() {
        let r = Zone.resolve("ext.kiada.svc.cluster.local", DNSType.a)
        #expect(
            r
                == .alias(
                    DNSRecord(
                        name: "ext.kiada.svc.cluster.local",
                        type: DNSType.cname,
                        ttl: 30,
                        data: .name("db.example.org")
                    ),
                    target: "db.example.org"
                )
        )
    }

    @Test func podsVersionApexAndReverse() {
        #expect(ips(Zone.resolve("10-244-1-5.kiada.pod.cluster.local", DNSType.a)) == ["10.244.1.5"])
        #expect(answers(Zone.resolve("dns-version.cluster.local", DNSType.txt)).map(\.data) == [.txt(["1.1.0"])])
        #expect(authorityTypes(Zone.resolve("cluster.local", DNSType.a)) == [DNSType.soa])
        #expect(answers(Zone.resolve("cluster.local", DNSType.soa)).map(\.type) == [DNSType.soa])
        #expect(
            answers(Zone.resolve("20.0.96.10.in-addr.arpa", DNSType.ptr)).map(\.data) == [
                .name("quiz.kiada.svc.cluster.local")
            ]
        )
        #expect(
            answers(Zone.resolve("7.1.244.10.in-addr.arpa", DNSType.ptr)).map(\.data) == [
                .name("db-0.db.kiada.svc.cluster.local")
            ]
        )
        #expect(rcode(Zone.resolve("99.0.96.10.in-addr.arpa", DNSType.ptr)) == .nxDomain)
        #expect(Zone.resolve("1.2.0.192.in-addr.arpa", DNSType.ptr) == .forward)
        #expect(Zone.resolve("example.org", DNSType.a) == .forward)
    }
}

@Suite struct CodecTests {
    @Test func roundTripsEveryRecordTypeWithCompression() throws {
        var m = DNSMessage()
        m.id = 0xBEEF
        m.isResponse = true
        m.authoritative = true
        m.recursionDesired = true
        m.questions = [DNSQuestion(name: "quiz.kiada.svc.cluster.local", type: DNSType.a)]
        m.answers = [
            DNSRecord(
                name: "quiz.kiada.svc.cluster.local",
                type: DNSType.a,
                ttl: 30,
                data: .a(IPv4Address("10.96.0.20")!)
            ),
            DNSRecord(
                name: "_http._tcp.quiz.kiada.svc.cluster.local",
                type: DNSType.srv,
                ttl: 30,
                data: .srv(priority: 0, weight: 100, port: 80, target: "quiz.kiada.svc.cluster.local")
            ),
            DNSRecord(name: "x.cluster.local", type: DNSType.txt, ttl: 5, data: .txt(["1.1.0", ""])),
            DNSRecord(
                name: "20.0.96.10.in-addr.arpa",
                type: DNSType.ptr,
                ttl: 30,
                data: .name("quiz.kiada.svc.cluster.local")
            ),
        ]
        m.authority = [
            DNSRecord(
                name: "cluster.local",
                type: DNSType.soa,
                ttl: 30,
                data: .soa(
                    mname: "ns.dns.cluster.local",
                    rname: "hostmaster.cluster.local",
                    serial: 7,
                    refresh: 7200,
                    retry: 1800,
                    expire: 86400,
                    minimum: 30
                )
            )
        ]
        m.ednsPayloadSize = 1232
        let bytes = m.encode()
        #expect(try DNSMessage(bytes: bytes) == m)
        // Compression: the zone suffix is written once.
        #expect(bytes.count < 260)
    }

    @Test func oversizedAnswersAreTruncated() throws {
        var m = DNSMessage()
        m.isResponse = true
        m.questions = [DNSQuestion(name: "big.kiada.svc.cluster.local", type: DNSType.a)]
        m.answers = (0..<100).map {
            DNSRecord(name: "big.kiada.svc.cluster.local", type: DNSType.a, ttl: 30, data: .a(IPv4Address(UInt32($0))))
        }
        let small = try DNSMessage(bytes: m.encode(limit: 512))
        #expect(small.truncated && small.answers.isEmpty && small.questions == m.questions)
        #expect(try DNSMessage(bytes: m.encode(limit: 4096)).answers.count == 100)
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        var what: String
        var bytes: [UInt8]
        var testDescription: String { what }
    }

    static let malformed: [Malformed] = [
        Malformed(what: "empty", bytes: []),
        Malformed(what: "short header", bytes: [1, 2, 3]),
        Malformed(what: "question count without a question", bytes: [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
        Malformed(what: "label past the end", bytes: [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 40, 0x61]),
        Malformed(what: "pointer loop", bytes: [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1]),
        Malformed(what: "forward pointer", bytes: [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 40, 0, 1, 0, 1]),
        Malformed(what: "reserved label type", bytes: [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x80, 0, 1, 0, 1]),
        Malformed(
            what: "record length past the end",
            bytes: [0x12, 0x34, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 30, 0, 200, 1]
        ),
    ]

    @Test(arguments: malformed) func malformedInputIsAnErrorNotACrash(_ m: Malformed) async {
        #expect(throws: DNSMessage.ParseError.self) { try DNSMessage(bytes: m.bytes) }
        let engine = DNSEngine(zone: Zone.zone, upstream: nil)
        let reply = await engine.respond(m.bytes, udp: true)
        if m.bytes.count >= 12 {
            let r = try? DNSMessage(bytes: reply ?? [])
            #expect(r?.rcode == .formErr && r?.id == 0x1234)
        } else {
            #expect(reply == nil)
        }
    }

    @Test func randomBytesNeverCrash() async {
        let engine = DNSEngine(zone: Zone.zone, upstream: nil)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0..<80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = await engine.respond(bytes, udp: true)
        }
    }
}

@Suite struct EngineTests {
    func ask(
        _ engine: DNSEngine,
        _ name: String,
        _ type: UInt16,
        questions: Int = 1,
        edns: UInt16? = nil,
        opcode: UInt8 = 0
    ) async throws -> DNSMessage {
        var q = DNSMessage()
        q.id = 77
        q.opcode = opcode
        q.recursionDesired = true
        q.questions = Array(repeating: DNSQuestion(name: name, type: type), count: questions)
        q.ednsPayloadSize = edns
        return try DNSMessage(bytes: await engine.respond(q.encode(), udp: true) ?? [])
    }

    @Test func answersAuthoritativelyAndRefusesOtherZonesWithoutUpstream() async throws {
        let engine = DNSEngine(zone: Zone.zone, upstream: nil)
        engine.update(Zone.data)
        let r = try await ask(engine, "quiz.kiada.svc.cluster.local", DNSType.a)
        #expect(r.id == 77 && r.isResponse && r.authoritative && r.rcode == .noError && r.answers.count == 1)
        #expect(try await ask(engine, "example.org", DNSType.a).rcode == .refused)
        #expect(try await ask(engine, "quiz.kiada.svc.cluster.local", DNSType.a, questions: 2).rcode == .formErr)
        #expect(try await ask(engine, "quiz.kiada.svc.cluster.local", DNSType.a, opcode: 2).rcode == .notImp)
    }

    @Test func udpTruncationFollowsEDNS() async throws {
        var many: [(String, String?, Bool)] = []
        for i in 0..<60 { many.append(("10.244.\(i / 200).\(i % 200 + 2)", nil, true)) }
        let engine = DNSEngine(zone: Zone.zone, upstream: nil)
        engine.update(
            ZoneData(
                services: [Service(Zone.service("kiada", "big", clusterIP: "None"))],
                slices: [EndpointSlice(Zone.slice("kiada", "big", many))],
                namespaces: []
            )
        )
        let plain = try await ask(engine, "big.kiada.svc.cluster.local", DNSType.a)
        #expect(plain.truncated && plain.answers.isEmpty)
        let edns = try await ask(engine, "big.kiada.svc.cluster.local", DNSType.a, edns: 4096)
        #expect(!edns.truncated && edns.answers.count == 60 && edns.ednsPayloadSize != nil)
    }

    @Test func hostResolversSkipLoopbackAndFollowTheStub() {
        let stubbed = Upstream.hostResolvers(
            resolvConf: "nameserver 127.0.0.53\noptions edns0\n",
            stubList: "nameserver 192.0.2.53\nnameserver 192.0.2.54\n"
        )
        #expect(stubbed.map(\.0) == ["192.0.2.53", "192.0.2.54"])
        #expect(
            Upstream.hostResolvers(resolvConf: "# x\nnameserver 192.0.2.1\nsearch example\n", stubList: "").map(\.0)
                == ["192.0.2.1"]
        )
    }
}

@Suite struct ZoneWatcherSlimmingTests {
    /// The informer keeps slimmed Services; the zone built from them must be the one built
    /// from whole objects.
    @Test func slimServicesBuildTheSameZone() {
        var whole = Zone.service("kiada", "quiz", clusterIP: "10.96.0.20")
        whole[path: ["metadata", "labels"]] = ["app": "quiz"]
        whole[path: ["metadata", "uid"]] = "5f0c-uid"
        whole[path: ["spec", "selector"]] = ["app": "quiz"]
        whole[path: ["spec", "sessionAffinity"]] = "None"
        whole[path: ["spec", "ports"]] = [
            ["name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080, "nodePort": 30080]
        ]
        let ext = Zone.service("kiada", "ext", clusterIP: "", type: "ExternalName", externalName: "db.example.org")
        let full = [whole, ext].map(Service.init)
        let slim = full.map(ZoneData.Service.init)
        #expect(slim[0].json[path: ["spec", "selector"]] == nil && slim[0].json[path: ["metadata", "labels"]] == nil)
        #expect(slim[0].json[path: ["spec", "ports"]] == [["name": "http", "protocol": "TCP", "port": 80]])
        // What the cache packs reads back as the same zone entry.
        #expect(slim.map { ZoneData.Service($0.json) } == slim)
        let a = ZoneData(services: full, slices: [], namespaces: []),
            b = ZoneData(services: slim, slices: [], namespaces: [])
        let slices = [
            EndpointSlice(
                Zone.slice(
                    "kiada",
                    "db",
                    [("10.244.1.7", "db-0", true), ("10.244.2.8", nil, true), ("10.244.3.9", nil, false)]
                )
            )
        ]
        let slimSlices = slices.map(ZoneWatcher.slimSlice)
        #expect(slimSlices[0].endpoints.count == 2)
        let c = ZoneData(services: [ZoneData.Service](), slices: slices, namespaces: []),
            d = ZoneData(services: [ZoneData.Service](), slices: slimSlices, namespaces: [])
        #expect(c.endpoints["kiada/db"]?.map(\.label) == d.endpoints["kiada/db"]?.map(\.label))
        #expect(c.endpoints["kiada/db"]?.map(\.ports) == d.endpoints["kiada/db"]?.map(\.ports))
        for key in ["kiada/quiz", "kiada/ext"] {
            #expect(
                a.services[key]?.clusterIP == b.services[key]?.clusterIP
                    && a.services[key]?.ports == b.services[key]?.ports
                    && a.services[key]?.externalName == b.services[key]?.externalName
                    && a.services[key]?.headless == b.services[key]?.headless
            )
        }
    }
}
