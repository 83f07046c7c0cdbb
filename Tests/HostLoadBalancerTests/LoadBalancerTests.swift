import Foundation
import HostCommands
import KubeAPI
import KubeMachinery
import KubeModel
import ServiceProxy
import Testing

@testable import HostLoadBalancer

enum LBFixture {
    static let nodes = [
        LoadBalancerNode(name: "node-1", ip: IPv4Address("172.30.0.11")!, ready: true),
        LoadBalancerNode(name: "node-2", ip: IPv4Address("172.30.0.12")!, ready: true),
        LoadBalancerNode(name: "node-3", ip: IPv4Address("172.30.0.13")!, ready: false),
    ]

    static func service(_ name: String, ip: String?, ports: JSON, spec: JSON = [:]) -> Service {
        var s: JSON = [
            "metadata": ["name": .string(name), "namespace": "kiada", "creationTimestamp": "2026-11-27T10:00:00Z"],
            "spec": ["type": "LoadBalancer", "clusterIP": "10.96.0.50", "ports": ports],
            "status": ["loadBalancer": .emptyObject],
        ]
        for (k, v) in spec.object ?? JSONObject() { s[path: ["spec", k]] = v }
        if let ip { s[path: ["status", "loadBalancer", "ingress"]] = [["ip": .string(ip)]] }
        return Service(s)
    }

    static let services: [Service] = [
        service("kiada", ip: "172.30.0.128", ports: [["name": "http", "port": 8080, "nodePort": 31000]]),
        service(
            "local",
            ip: "172.30.0.129",
            ports: [
                ["port": 80, "nodePort": 31001], ["name": "dns", "port": 53, "protocol": "UDP", "nodePort": 31002],
            ],
            spec: ["externalTrafficPolicy": "Local", "healthCheckNodePort": 32000]
        ),
        service(
            "direct",
            ip: "172.30.0.130",
            ports: [["name": "http", "port": 80, "targetPort": 8080]],
            spec: ["allocateLoadBalancerNodePorts": false]
        ),
        service("pending", ip: nil, ports: [["port": 80, "nodePort": 31003]]),
        service(
            "theirs",
            ip: "172.30.0.131",
            ports: [["port": 80, "nodePort": 31004]],
            spec: ["loadBalancerClass": "example.com/lb"]
        ),
    ]

    static let slices: [String: [EndpointSlice]] = [
        "kiada/direct": [
            EndpointSlice([
                "metadata": [
                    "name": "direct-abc", "namespace": "kiada", "labels": ["kubernetes.io/service-name": "direct"],
                ],
                "addressType": "IPv4",
                "ports": [["name": "http", "port": 8080, "protocol": "TCP"]],
                "endpoints": [
                    ["addresses": ["10.244.1.5"], "nodeName": "node-1", "conditions": ["ready": true]],
                    [
                        "addresses": ["10.244.2.5"], "nodeName": "node-2",
                        "conditions": ["ready": false, "serving": false],
                    ],
                    ["addresses": ["10.244.3.5"], "nodeName": "node-3", "conditions": ["ready": true]],
                ],
            ])
        ]
    ]

    /// Every node proxy answers; node-1 alone has a local endpoint of `local`.
    static func healthy(_ p: HealthProbe) -> Bool? {
        if p.port == 32000 { return p.ip == IPv4Address("172.30.0.11")! }
        return true
    }
}

@Suite struct LoadBalancerModelTests {
    func target(_ s: String) -> Frontend.Target {
        let parts = s.split(separator: ":")
        return Frontend.Target(ip: IPv4Address(String(parts[0]))!, port: Int(parts[1])!)
    }

    @Test func frontendsFollowReadinessHealthAndPolicy() {
        let fs = LoadBalancerModel.frontends(
            services: LBFixture.services,
            slices: LBFixture.slices,
            nodes: LBFixture.nodes,
            healthy: LBFixture.healthy
        )
        let byKey = Dictionary(uniqueKeysWithValues: fs.map { ("\($0.ip):\($0.port)/\($0.proto.rawValue)", $0) })
        #expect(
            byKey.count == 4,
            "pending (no address) and another class's Service get nothing: \(byKey.keys.sorted())"
        )
        // Cluster: every Ready node with a healthy proxy (node-3 is not Ready).
        #expect(byKey["172.30.0.128:8080/tcp"]?.targets == [target("172.30.0.11:31000"), target("172.30.0.12:31000")])
        // Local: only nodes whose healthCheckNodePort says they have endpoints, per port.
        #expect(byKey["172.30.0.129:80/tcp"]?.targets == [target("172.30.0.11:31001")])
        #expect(byKey["172.30.0.129:53/udp"]?.targets == [target("172.30.0.11:31002")])
        // No NodePorts: straight to the ready pods on live nodes.
        #expect(byKey["172.30.0.130:80/tcp"]?.targets == [target("10.244.1.5:8080")])
        #expect(byKey["172.30.0.130:80/tcp"]?.viaNodePorts == false)
    }

    @Test func aNodeJoinsANewFrontendOnceItsNodePortAnswers() {
        let fs = LoadBalancerModel.frontends(services: [LBFixture.services[0]], slices: [:], nodes: LBFixture.nodes) {
            p in
            p.http || p.ip == IPv4Address("172.30.0.11")!
        }
        #expect(fs.first?.targets == [target("172.30.0.11:31000")])
    }

    @Test func aCheckNotAnsweredYetKeepsWhatWasThere() {
        // `local` was Cluster a moment ago, over every node; its health checks have not answered.
        let was = Frontend(
            ip: IPv4Address("172.30.0.129")!,
            proto: .tcp,
            port: 80,
            service: "kiada/local",
            targets: [target("172.30.0.11:31001"), target("172.30.0.12:31001")],
            viaNodePorts: true
        )
        let unknown: (HealthProbe) -> Bool? = { $0.port == 10256 ? true : nil }
        let fs = LoadBalancerModel.frontends(
            services: [LBFixture.services[1]],
            slices: [:],
            nodes: LBFixture.nodes,
            previous: [was],
            healthy: unknown
        )
        #expect(fs.first { $0.port == 80 }?.targets == was.targets)
        // A frontend that did not exist admits nobody until its checks pass.
        #expect(
            LoadBalancerModel.frontends(
                services: [LBFixture.services[1]],
                slices: [:],
                nodes: LBFixture.nodes,
                healthy: unknown
            ).first { $0.port == 80 }?.targets == []
        )
    }

    @Test func unknownOrFailedProxyHealthTakesTheNodeOut() {
        let fs = LoadBalancerModel.frontends(services: [LBFixture.services[0]], slices: [:], nodes: LBFixture.nodes) {
            p in
            p.ip == IPv4Address("172.30.0.12")! ? false : (p.ip == IPv4Address("172.30.0.11")! ? nil : true)
        }
        #expect(fs.first?.targets == [])
    }

    @Test func probesCoverNodesAndLocalHealthChecks() {
        let probes = LoadBalancerModel.probes(services: LBFixture.services, nodes: LBFixture.nodes)
        // Proxy health on 3 nodes, `local`'s health check on 3, `kiada`'s NodePort (a TCP gate) on 3.
        #expect(probes.count == 9)
        #expect(probes.contains(HealthProbe(ip: IPv4Address("172.30.0.12")!, port: 31000, http: false)))
        #expect(probes.contains(HealthProbe(ip: IPv4Address("172.30.0.13")!, port: 32000)))
        #expect(probes.contains(HealthProbe(ip: IPv4Address("172.30.0.11")!, port: 10256)))
    }

    @Test func rulesetMatchesGolden() throws {
        var fs = LoadBalancerModel.frontends(
            services: LBFixture.services,
            slices: LBFixture.slices,
            nodes: LBFixture.nodes,
            healthy: LBFixture.healthy
        )
        // And a frontend with no healthy target: the address refuses on that port.
        fs.append(
            Frontend(
                ip: IPv4Address("172.30.0.132")!,
                proto: .tcp,
                port: 80,
                service: "kiada/down",
                targets: [],
                viaNodePorts: true
            )
        )
        let text = LoadBalancerRuleset.script(
            table: "swiftlet-demo-lb",
            cluster: "demo",
            pool: LoadBalancerPool("172.30.0.128-172.30.0.131")!,
            frontends: fs
        )
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Golden/host-load-balancer.nft"
        )
        if ProcessInfo.processInfo.environment["SWIFTLET_UPDATE_GOLDEN"] == "1" {
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(
            text == golden,
            "rendered ruleset differs from Golden/host-load-balancer.nft; rerun with SWIFTLET_UPDATE_GOLDEN=1 and review the diff"
        )
    }
}

/// The rendered table against the real kernel, in a network namespace of the test's own.
@Suite(.serialized, .enabled(if: getuid() == 0 && HostCommand.which("nft") != nil, "needs root and nft"))
struct LoadBalancerKernelTests {
    let namespace = "swl-lbtest-\(getpid())"

    @Test func replacingTheTableAppliesTwiceAndEmpty() async throws {
        _ = try? await HostCommand.run("ip", ["netns", "delete", namespace])
        try await HostCommand.run("ip", ["netns", "add", namespace])
        do { try await check() } catch {
            _ = try? await HostCommand.run("ip", ["netns", "delete", namespace])
            throw error
        }
        try await HostCommand.run("ip", ["netns", "delete", namespace])
    }

    func check() async throws {
        let dp = NamespaceDataplane(namespace: namespace)
        let fs = LoadBalancerModel.frontends(
            services: LBFixture.services,
            slices: LBFixture.slices,
            nodes: LBFixture.nodes,
            healthy: LBFixture.healthy
        )
        let script = LoadBalancerRuleset.script(
            table: "swiftlet-demo-lb",
            cluster: "demo",
            pool: LoadBalancerPool("172.30.0.128-172.30.0.131")!,
            frontends: fs
        )
        try await dp.apply(script)
        try await dp.apply(script)  // over a live table: one transaction replaces it
        let listed = try await HostCommand.run(
            "nsenter",
            ["--net=/run/netns/\(namespace)", "nft", "list", "table", "ip", "swiftlet-demo-lb"]
        )
        #expect(
            listed.contains("dnat ip to numgen random mod 2 map { 0 : 172.30.0.11 . 31000, 1 : 172.30.0.12 . 31000 }")
        )
        #expect(listed.contains("172.30.0.129 . udp . 53 : goto frontend-172.30.0.129-udp-53"))
        try await dp.apply(
            LoadBalancerRuleset.script(
                table: "swiftlet-demo-lb",
                cluster: "demo",
                pool: LoadBalancerPool("172.30.0.128-172.30.0.131")!,
                frontends: []
            )
        )
        let empty = try await HostCommand.run(
            "nsenter",
            ["--net=/run/netns/\(namespace)", "nft", "list", "table", "ip", "swiftlet-demo-lb"]
        )
        #expect(!empty.contains("frontend-"))
    }
}
