import Foundation
import KubeAPI
import KubeMachinery
import KubeModel
import Testing

@testable import ServiceProxy

/// A node and a set of Services covering every shape the renderer knows.
enum Fixture {
    static let node = ProxyNode(
        name: "node-1",
        nodeIP: IPv4Address("172.30.0.11")!,
        clusterPodCIDR: IPv4Network("10.244.0.0/16")!,
        nodePodCIDR: IPv4Network("10.244.1.0/24")!,
        serviceCIDR: IPv4Network("10.96.0.0/12")!,
        table: "swiftlet-demo"
    )
    static let localA = IPv4Address("10.244.1.5")!
    static let localB = IPv4Address("10.244.1.6")!
    static let remote = IPv4Address("10.244.2.7")!

    static func name(
        _ svc: String,
        _ port: String = "http",
        _ proto: L4Proto = .tcp,
        ns: String = "default"
    ) -> ServicePortName {
        ServicePortName(namespace: ns, name: svc, port: port, proto: proto)
    }
    static func ep(
        _ ip: IPv4Address,
        _ port: Int = 8080,
        node: String? = nil,
        ready: Bool = true,
        serving: Bool? = nil,
        terminating: Bool = false
    ) -> ProxyEndpoint {
        ProxyEndpoint(
            ip: ip,
            port: port,
            nodeName: node ?? (ip == remote ? "node-2" : "node-1"),
            ready: ready,
            serving: serving,
            terminating: terminating
        )
    }

    /// (ports, endpoints) per Service.
    static let services: [(String, [ProxyServicePort], [ServicePortName: [ProxyEndpoint]])] = [
        (
            "quiz: ClusterIP, two endpoints on two nodes",
            [ProxyServicePort(name: name("quiz"), clusterIP: IPv4Address("10.96.0.20")!, port: 80)],
            [name("quiz"): [ep(localA), ep(remote)]]
        ),
        (
            "dns: one port number over UDP and TCP",
            [
                ProxyServicePort(name: name("dns", "dns", .udp), clusterIP: IPv4Address("10.96.0.10")!, port: 53),
                ProxyServicePort(name: name("dns", "dns-tcp"), clusterIP: IPv4Address("10.96.0.10")!, port: 53),
            ],
            [name("dns", "dns", .udp): [ep(remote, 53)], name("dns", "dns-tcp"): [ep(remote, 53)]]
        ),
        (
            "empty: no endpoints",
            [ProxyServicePort(name: name("empty"), clusterIP: IPv4Address("10.96.0.30")!, port: 80)],
            [:]
        ),
        (
            "web: NodePort, externalTrafficPolicy Cluster, an external IP",
            [
                ProxyServicePort(
                    name: name("web"),
                    clusterIP: IPv4Address("10.96.0.40")!,
                    port: 8080,
                    nodePort: 30080,
                    externalIPs: [IPv4Address("192.0.2.200")!]
                )
            ],
            [name("web"): [ep(localA), ep(localB), ep(remote)]]
        ),
        (
            "lb: LoadBalancer, externalTrafficPolicy Local, health check",
            [
                ProxyServicePort(
                    name: name("lb"),
                    clusterIP: IPv4Address("10.96.0.50")!,
                    port: 80,
                    nodePort: 31000,
                    externalIPs: [IPv4Address("172.30.0.200")!],
                    externalPolicyLocal: true,
                    healthCheckNodePort: 32000
                )
            ],
            [name("lb"): [ep(localA), ep(remote)]]
        ),
        (
            "lbremote: externalTrafficPolicy Local with no endpoint here",
            [
                ProxyServicePort(
                    name: name("lbremote"),
                    clusterIP: IPv4Address("10.96.0.51")!,
                    port: 80,
                    nodePort: 31001,
                    externalPolicyLocal: true,
                    healthCheckNodePort: 32001
                )
            ],
            [name("lbremote"): [ep(remote)]]
        ),
        (
            "sticky: sessionAffinity ClientIP, 60 s",
            [
                ProxyServicePort(
                    name: name("sticky"),
                    clusterIP: IPv4Address("10.96.0.60")!,
                    port: 80,
                    affinityTimeout: 60
                )
            ],
            [name("sticky"): [ep(localA), ep(remote)]]
        ),
        (
            "internal: internalTrafficPolicy Local",
            [
                ProxyServicePort(
                    name: name("internal"),
                    clusterIP: IPv4Address("10.96.0.70")!,
                    port: 80,
                    internalPolicyLocal: true
                )
            ],
            [name("internal"): [ep(localA), ep(remote)]]
        ),
        (
            "internalremote: internalTrafficPolicy Local, none here",
            [
                ProxyServicePort(
                    name: name("internalremote"),
                    clusterIP: IPv4Address("10.96.0.71")!,
                    port: 80,
                    internalPolicyLocal: true
                )
            ],
            [name("internalremote"): [ep(remote)]]
        ),
        (
            "draining: only terminating endpoints, one still serving",
            [ProxyServicePort(name: name("draining"), clusterIP: IPv4Address("10.96.0.80")!, port: 80)],
            [
                name("draining"): [
                    ep(localA, ready: false, serving: true, terminating: true),
                    ep(remote, ready: false, serving: false, terminating: true),
                ]
            ]
        ),
        (
            "unready: endpoints, none ready",
            [ProxyServicePort(name: name("unready"), clusterIP: IPv4Address("10.96.0.90")!, port: 80)],
            [name("unready"): [ep(localA, ready: false)]]
        ),
    ]

    static var fragments: [ServiceFragment] {
        services.map { ProxyRenderer.fragment(ports: $0.1, endpoints: $0.2, node: node) }
    }
}

/// Compares with `Golden/<name>`; `SWIFTLET_UPDATE_GOLDEN=1 swift test` rewrites the files.
func expectGolden(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name)")
    if ProcessInfo.processInfo.environment["SWIFTLET_UPDATE_GOLDEN"] == "1" {
        try text.write(to: url, atomically: true, encoding: .utf8)
        return
    }
    let golden = try String(contentsOf: url, encoding: .utf8)
    #expect(
        text == golden,
        "rendered ruleset differs from Golden/\(name); rerun with SWIFTLET_UPDATE_GOLDEN=1 and review the diff",
        sourceLocation: sourceLocation
    )
}

@Suite struct RenderingTests {
    @Test func fullRulesetMatchesGolden() throws {
        try expectGolden(NFTScript.full(Fixture.node, Fixture.fragments), "representative.nft")
    }

    @Test func updateMatchesGolden() throws {
        // quiz loses its remote endpoint, empty gets one, web is deleted, sticky's timeout changes.
        var services = Fixture.services
        let old = Fixture.fragments
        services[0].2 = [Fixture.name("quiz"): [Fixture.ep(Fixture.localA)]]
        services[2].2 = [Fixture.name("empty"): [Fixture.ep(Fixture.localB)]]
        services[6].1[0].affinityTimeout = 120
        var new = services.map { ProxyRenderer.fragment(ports: $0.1, endpoints: $0.2, node: Fixture.node) }
        new[3] = ServiceFragment()
        let changes = [0, 2, 3, 6].map { (old: old[$0], new: new[$0]) }
        let script = NFTScript.update(Fixture.node, changes, hairpinAdded: [Fixture.localB], hairpinRemoved: [])
        try expectGolden(script, "update.nft")
    }

    @Test func unchangedServicesMakeAnEmptyTransaction() {
        let f = Fixture.fragments
        #expect(
            NFTScript.update(Fixture.node, f.map { (old: $0, new: $0) }, hairpinAdded: [], hairpinRemoved: []) == ""
        )
    }

    @Test func randomCascadeIsUniform() {
        // Rule i fires with 1/(n-i) of what reaches it: every endpoint gets exactly 1/n.
        let eps = (2...6).map { Fixture.ep(IPv4Address("10.244.1.\($0)")!) }
        var f = ServiceFragment()
        let rules = ProxyRenderer.cascade(
            eps,
            ProxyServicePort(name: Fixture.name("x"), clusterIP: IPv4Address("10.96.0.1")!, port: 80),
            tag: "T",
            into: &f
        )
        var reach = 1.0
        for r in rules {
            let p: Double
            if case .random(let m, _) = r.matches.first { p = 1.0 / Double(m) } else { p = 1 }
            #expect(abs(reach * p - 0.2) < 1e-9)
            reach *= 1 - p
        }
    }

    @Test func affinityRemembersAndSticks() {
        let f = Fixture.fragments[6]
        let rules = f.chains.values.first!.map(\.nftText)
        #expect(rules.count == 4)
        #expect(
            rules[0].hasPrefix("ip saddr @affinity-") && rules[0].contains("update @affinity-")
                && rules[0].hasSuffix("dnat to 10.244.1.5:8080")
        )
        #expect(rules[2].hasPrefix("numgen random mod 2 0 update @affinity-"))
        #expect(f.affinitySets.values.allSatisfy { $0 == 60 })
    }

    @Test func healthCheckCountsLocalEndpoints() {
        let f = Fixture.fragments
        #expect(f[4].healthChecks == [HealthCheck(port: 32000, namespace: "default", name: "lb", localEndpoints: 1)])
        #expect(
            f[5].healthChecks == [HealthCheck(port: 32001, namespace: "default", name: "lbremote", localEndpoints: 0)]
        )
    }

    @Test func udpTargetsListEndpointsForConntrack() {
        let f = Fixture.fragments[1]
        #expect(
            f.udpTargets == [
                UDPTarget(
                    destinations: [IPv4Address("10.96.0.10")!],
                    port: 53,
                    nodePort: nil,
                    endpoints: [Fixture.remote]
                )
            ]
        )
    }
}

@Suite struct ServiceObjectTests {
    func service(_ extra: JSON = [:], labels: JSON = [:], status: JSON? = nil) -> Service {
        var spec: JSON = [
            "clusterIP": "10.96.0.5", "type": "ClusterIP",
            "ports": [["name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080]],
        ]
        for (k, v) in extra.object ?? JSONObject() { spec[k] = v }
        var json: JSON = ["metadata": ["namespace": "kiada", "name": "quiz", "labels": labels], "spec": spec]
        if let status { json["status"] = status }
        return Service(json)
    }

    @Test func skipsWhatAnotherProxyOwnsHeadlessAndExternalName() {
        #expect(ProxyObjects.ports(of: service()).count == 1)
        #expect(ProxyObjects.ports(of: service(labels: ["service.kubernetes.io/service-proxy-name": "other"])).isEmpty)
        #expect(ProxyObjects.ports(of: service(labels: ["service.kubernetes.io/headless": ""])).isEmpty)
        #expect(ProxyObjects.ports(of: service(["clusterIP": "None"])).isEmpty)
        #expect(ProxyObjects.ports(of: service(["type": "ExternalName", "externalName": "example.com"])).isEmpty)
    }

    @Test func readsPoliciesAffinityAndLoadBalancerIPs() {
        let svc = service(
            [
                "type": "LoadBalancer", "externalTrafficPolicy": "Local", "healthCheckNodePort": 32100,
                "sessionAffinity": "ClientIP", "externalIPs": ["192.0.2.9"],
                "ports": [["name": "http", "port": 80, "protocol": "TCP", "nodePort": 30100]],
            ],
            status: ["loadBalancer": ["ingress": [["ip": "172.30.0.200"]]]]
        )
        let p = ProxyObjects.ports(of: svc)[0]
        #expect(
            p.nodePort == 30100 && p.healthCheckNodePort == 32100 && p.externalPolicyLocal && p.affinityTimeout == 10800
        )
        #expect(p.externalIPs == [IPv4Address("192.0.2.9")!, IPv4Address("172.30.0.200")!])
    }

    /// A ClusterIP Service with external IPs is externally accessible (upstream's
    /// `ExternallyAccessible`), so `externalTrafficPolicy: Local` applies to its external IPs:
    /// validation accepts it on those grounds, and the proxy must program it so. It used to
    /// program such a Service as `Cluster`.
    @Test func clusterIPWithExternalIPsHonoursExternalPolicyLocal() {
        let json: JSON = [
            "metadata": ["namespace": "kiada", "name": "quiz"],
            "spec": [
                "type": "ClusterIP", "clusterIP": "10.96.0.5", "externalIPs": ["192.0.2.9"],
                "externalTrafficPolicy": "Local", "ports": [["name": "http", "port": 80, "protocol": "TCP"]],
            ],
        ]
        #expect(ServiceRules.isExternallyAccessible(json))
        let p = ProxyObjects.ports(of: Service(json))[0]
        #expect(p.externalPolicyLocal)
        #expect(p.externalIPs == [IPv4Address("192.0.2.9")!])
        // Without external IPs the policy has nothing to apply to.
        #expect(!ProxyObjects.ports(of: service(["externalTrafficPolicy": "Local"]))[0].externalPolicyLocal)
    }

    @Test func mergesSlicesByPortNameAndProtocol() {
        let ports = ProxyObjects.ports(of: service())
        let slice: JSON = [
            "addressType": "IPv4", "ports": [["name": "http", "port": 8080, "protocol": "TCP"]],
            "endpoints": [
                ["addresses": ["10.244.1.5"], "conditions": ["ready": true], "nodeName": "node-1"],
                ["addresses": ["10.244.2.5"], "conditions": ["ready": false, "serving": true, "terminating": true]],
            ],
        ]
        let other: JSON = [
            "addressType": "IPv4", "ports": [["name": "metrics", "port": 9090, "protocol": "TCP"]],
            "endpoints": [["addresses": ["10.244.3.5"]]],
        ]
        let eps = ProxyObjects.endpoints(of: ports, slices: [EndpointSlice(slice), EndpointSlice(other)])[
            ports[0].name
        ]!
        #expect(eps.map(\.description) == ["10.244.1.5/8080", "10.244.2.5/8080"])
        #expect(eps[1].serving && eps[1].terminating && !eps[1].ready)
    }
}
