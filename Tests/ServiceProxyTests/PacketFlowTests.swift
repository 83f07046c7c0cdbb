import KubeAPI
import KubeMachinery
import Testing

@testable import ServiceProxy

/// Packets through the representative ruleset as the fake kernel holds it after the proxy's
/// own script, in the style of kube-proxy's flow tests.
@Suite struct PacketFlowTests {
    /// The table the full script leaves in a fresh fake kernel, then any further scripts.
    static func tracer(after scripts: [String] = []) throws -> PacketTracer {
        var tables: [String: FakeNFTables.Table] = [:]
        for script in [NFTScript.full(Fixture.node, Fixture.fragments)] + scripts {
            try FakeNFTables.run(script, on: &tables)
        }
        let table = try #require(tables[Fixture.node.table])
        return PacketTracer(table: table, localAddresses: [Fixture.node.nodeIP])
    }
    let pod = IPv4Address("10.244.1.9")!  // a client pod on this node
    let otherPod = IPv4Address("10.244.3.9")!  // a client pod on another node
    let host = IPv4Address("172.30.0.1")!  // the machine, from outside the cluster
    let nodeIP = Fixture.node.nodeIP

    func ip(_ s: String) -> IPv4Address { IPv4Address(s)! }
    func at(_ s: String, _ port: Int = 8080, masq: Bool = false) -> PacketTracer.Outcome {
        .endpoint(ip(s), port, masqueraded: masq)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var what: String
        var source: String
        var destination: String
        var proto: L4Proto = .tcp
        var port: Int
        var origin: PacketTracer.Origin = .network
        var expected: Set<PacketTracer.Outcome>
        var testDescription: String { what }
    }

    static let cases: [Case] = [
        Case(
            what: "pod to ClusterIP spreads over both endpoints, source kept",
            source: "10.244.1.9",
            destination: "10.96.0.20",
            port: 80,
            expected: [
                .endpoint(IPv4Address("10.244.1.5")!, 8080, masqueraded: false),
                .endpoint(IPv4Address("10.244.2.7")!, 8080, masqueraded: false),
            ]
        ),
        Case(
            what: "pod on another node to ClusterIP",
            source: "10.244.3.9",
            destination: "10.96.0.20",
            port: 80,
            expected: [
                .endpoint(IPv4Address("10.244.1.5")!, 8080, masqueraded: false),
                .endpoint(IPv4Address("10.244.2.7")!, 8080, masqueraded: false),
            ]
        ),
        Case(
            what: "the node itself to ClusterIP is masqueraded",
            source: "172.30.0.11",
            destination: "10.96.0.20",
            port: 80,
            origin: .node,
            expected: [
                .endpoint(IPv4Address("10.244.1.5")!, 8080, masqueraded: true),
                .endpoint(IPv4Address("10.244.2.7")!, 8080, masqueraded: true),
            ]
        ),
        Case(
            what: "hairpin: an endpoint reaching itself is masqueraded",
            source: "10.244.1.5",
            destination: "10.96.0.20",
            port: 80,
            expected: [
                .endpoint(IPv4Address("10.244.1.5")!, 8080, masqueraded: true),
                .endpoint(IPv4Address("10.244.2.7")!, 8080, masqueraded: false),
            ]
        ),
        Case(
            what: "UDP 53 and TCP 53 each reach their port",
            source: "10.244.1.9",
            destination: "10.96.0.10",
            proto: .udp,
            port: 53,
            expected: [.endpoint(IPv4Address("10.244.2.7")!, 53, masqueraded: false)]
        ),
        Case(
            what: "TCP 53",
            source: "10.244.1.9",
            destination: "10.96.0.10",
            port: 53,
            expected: [.endpoint(IPv4Address("10.244.2.7")!, 53, masqueraded: false)]
        ),
        Case(
            what: "a Service without endpoints rejects",
            source: "10.244.1.9",
            destination: "10.96.0.30",
            port: 80,
            expected: [.reject]
        ),
        Case(
            what: "a port the Service lacks rejects",
            source: "10.244.1.9",
            destination: "10.96.0.20",
            port: 81,
            expected: [.reject]
        ),
        Case(
            what: "ping (no port) to a ClusterIP is rejected",
            source: "10.244.1.9",
            destination: "10.96.0.20",
            port: 0,
            expected: [.reject]
        ),
        Case(
            what: "an unallocated service address drops",
            source: "10.244.1.9",
            destination: "10.96.9.9",
            port: 80,
            expected: [.drop]
        ),
        Case(
            what: "an address outside the cluster is untouched",
            source: "10.244.1.9",
            destination: "172.30.0.1",
            port: 80,
            expected: [.untouched]
        ),
        Case(
            what: "NodePort (Cluster) from the host reaches every endpoint, masqueraded",
            source: "172.30.0.1",
            destination: "172.30.0.11",
            port: 30080,
            expected: [
                .endpoint(IPv4Address("10.244.1.5")!, 8080, masqueraded: true),
                .endpoint(IPv4Address("10.244.1.6")!, 8080, masqueraded: true),
                .endpoint(IPv4Address("10.244.2.7")!, 8080, masqueraded: true),
            ]
        ),
        Case(
            what: "external IP (Cluster)",
            source: "172.30.0.1",
            destination: "192.0.2.200",
            port: 8080,
            expected: [
                .endpoint(IPv4Address("10.244.1.5")!, 8080, masqueraded: true),
                .endpoint(IPv4Address("10.244.1.6")!, 8080, masqueraded: true),
                .endpoint(IPv4Address("10.244.2.7")!, 8080, masqueraded: true),
            ]
        ),
        Case(
            what: "NodePort (Local) from the host: the local endpoint only, client IP kept",
            source: "172.30.0.1",
            destination: "172.30.0.11",
            port: 31000,
            expected: [.endpoint(IPv4Address("10.244.1.5")!, 8080, masqueraded: false)]
        ),
        Case(
            what: "load-balancer IP (Local) from the host",
            source: "172.30.0.1",
            destination: "172.30.0.200",
            port: 80,
            expected: [.endpoint(IPv4Address("10.244.1.5")!, 8080, masqueraded: false)]
        ),
        Case(
            what: "NodePort (Local) from a pod uses every endpoint",
            source: "10.244.3.9",
            destination: "172.30.0.11",
            port: 31000,
            expected: [
                .endpoint(IPv4Address("10.244.1.5")!, 8080, masqueraded: false),
                .endpoint(IPv4Address("10.244.2.7")!, 8080, masqueraded: false),
            ]
        ),
        Case(
            what: "NodePort (Local) from the node itself is masqueraded to every endpoint",
            source: "172.30.0.11",
            destination: "172.30.0.11",
            port: 31000,
            origin: .node,
            expected: [
                .endpoint(IPv4Address("10.244.1.5")!, 8080, masqueraded: true),
                .endpoint(IPv4Address("10.244.2.7")!, 8080, masqueraded: true),
            ]
        ),
        Case(
            what: "NodePort (Local) with no endpoint here drops outside traffic",
            source: "172.30.0.1",
            destination: "172.30.0.11",
            port: 31001,
            expected: [.drop]
        ),
        Case(
            what: "an unknown NodePort is untouched",
            source: "172.30.0.1",
            destination: "172.30.0.11",
            port: 31999,
            expected: [.untouched]
        ),
        Case(
            what: "internalTrafficPolicy Local keeps to this node",
            source: "10.244.1.9",
            destination: "10.96.0.70",
            port: 80,
            expected: [.endpoint(IPv4Address("10.244.1.5")!, 8080, masqueraded: false)]
        ),
        Case(
            what: "internalTrafficPolicy Local with none here drops",
            source: "10.244.1.9",
            destination: "10.96.0.71",
            port: 80,
            expected: [.drop]
        ),
        Case(
            what: "no ready endpoint: serving terminating ones are used",
            source: "10.244.1.9",
            destination: "10.96.0.80",
            port: 80,
            expected: [.endpoint(IPv4Address("10.244.1.5")!, 8080, masqueraded: false)]
        ),
        Case(
            what: "no ready or serving endpoint rejects",
            source: "10.244.1.9",
            destination: "10.96.0.90",
            port: 80,
            expected: [.reject]
        ),
        Case(
            what: "affinity: a new client may reach either endpoint",
            source: "10.244.1.9",
            destination: "10.96.0.60",
            port: 80,
            expected: [
                .endpoint(IPv4Address("10.244.1.5")!, 8080, masqueraded: false),
                .endpoint(IPv4Address("10.244.2.7")!, 8080, masqueraded: false),
            ]
        ),
    ]

    @Test(arguments: cases) func flow(_ c: Case) throws {
        let tracer = try Self.tracer()
        let got = tracer.trace(from: ip(c.source), to: ip(c.destination), c.proto, port: c.port, origin: c.origin)
        #expect(got == c.expected)
    }

    /// The incremental path: the update script on top of the full one, traced as the kernel
    /// would then hold it (quiz loses its remote endpoint, empty gains one, web goes).
    @Test func flowsAfterAnUpdate() throws {
        var services = Fixture.services
        let old = Fixture.fragments
        services[0].2 = [Fixture.name("quiz"): [Fixture.ep(Fixture.localA)]]
        services[2].2 = [Fixture.name("empty"): [Fixture.ep(Fixture.localB)]]
        var new = services.map { ProxyRenderer.fragment(ports: $0.1, endpoints: $0.2, node: Fixture.node) }
        new[3] = ServiceFragment()
        let changes = [0, 2, 3].map { (old: old[$0], new: new[$0]) }
        let update = NFTScript.update(Fixture.node, changes, hairpinAdded: [Fixture.localB], hairpinRemoved: [])
        let tracer = try Self.tracer(after: [update])
        #expect(tracer.trace(from: pod, to: ip("10.96.0.20"), .tcp, port: 80) == [at("10.244.1.5")])
        #expect(tracer.trace(from: pod, to: ip("10.96.0.30"), .tcp, port: 80) == [at("10.244.1.6")])
        // localB is now an endpoint: reaching itself through its Service is masqueraded.
        #expect(
            tracer.trace(from: Fixture.localB, to: ip("10.96.0.30"), .tcp, port: 80) == [at("10.244.1.6", masq: true)]
        )
        // web's ClusterIP is an address no Service holds; its NodePort and external IP no longer answer.
        #expect(tracer.trace(from: pod, to: ip("10.96.0.40"), .tcp, port: 8080) == [.drop])
        #expect(tracer.trace(from: host, to: nodeIP, .tcp, port: 30080) == [.untouched])
        #expect(tracer.trace(from: host, to: ip("192.0.2.200"), .tcp, port: 8080) == [.untouched])
    }

    /// The tracer follows only what it knows: a rule it cannot read is an outcome of its
    /// own, never silently passed.
    @Test func anUnknownStatementFailsTheTrace() throws {
        var table = FakeNFTables.Table()
        table.chains["nat-prerouting"] = ["ip daddr 10.96.0.1 frobnicate"]
        table.hooks["nat-prerouting"] = FakeNFTables.Hook("type nat hook prerouting priority dstnat; policy accept;")
        let tracer = PacketTracer(table: table, localAddresses: [])
        let got = tracer.trace(from: pod, to: ip("10.96.0.1"), .tcp, port: 80)
        #expect(got.count == 1 && got.allSatisfy { if case .unknown = $0 { true } else { false } })
    }
}
