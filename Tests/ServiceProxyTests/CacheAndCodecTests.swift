import KubeAPI
import KubeMachinery
import KubeModel
import Testing

@testable import ServiceProxy

/// What the proxy keeps of each Service: the encoded fragment must decode to exactly what
/// was applied, or the next change would be diffed against the wrong rules.
@Suite struct FragmentCodecTests {
    @Test(arguments: Fixture.services.indices)
    func everyFixtureFragmentRoundTrips(_ i: Int) {
        let f = Fixture.fragments[i]
        #expect(ServiceFragment(encoded: f.encoded()[...]) == f, "\(Fixture.services[i].0)")
    }

    @Test func everyRuleShapeRoundTrips() {
        var f = ServiceFragment()
        f.chains["every-shape"] = [
            Rule([.saddr(IPv4Address("10.0.0.1")!), .saddrIn(IPv4Network("10.244.0.0/16")!)], .goto("x")),
            Rule([.saddrInSet("affinity-a"), .saddrLocal], .jump("mark-for-masquerade")),
            Rule([.random(modulus: 300, equals: 299)], .drop),
            Rule([], .dnat(.sctp, IPv4Address("10.244.1.5")!, 65535, remember: "affinity-a")),
            Rule([], .dnat(.udp, IPv4Address("10.244.1.6")!, 53, remember: nil)),
            Rule([], .dnatFromBackends(.tcp, modulus: 1000)),
        ]
        f.affinitySets["affinity-a"] = 86400
        f.noEndpointNodePorts[NodePortKey(.udp, 30053)] = .drop
        f.udpTargets = [
            UDPTarget(
                destinations: [IPv4Address("10.96.0.10")!, IPv4Address("192.0.2.1")!],
                port: 53,
                nodePort: 30053,
                endpoints: [IPv4Address("10.244.1.6")!]
            )
        ]
        #expect(ServiceFragment(encoded: f.encoded()[...]) == f)
        #expect(ServiceFragment(encoded: ServiceFragment().encoded()[...]) == ServiceFragment())
    }

    @Test func truncatedOrTrailingBytesAreRefused() {
        let bytes = Fixture.fragments[4].encoded()
        for n in [0, 1, bytes.count / 2, bytes.count - 1] {
            #expect(ServiceFragment(encoded: bytes[..<n]) == nil, "first \(n) of \(bytes.count) bytes")
        }
        #expect(ServiceFragment(encoded: (bytes + [0])[...]) == nil)
    }

    @Test func encodingIsSmall() {
        // A ClusterIP Service with two endpoints: the common case at 10,000 Services.
        #expect(Fixture.fragments[0].encoded().count < 100)
    }
}

/// The node caches Services and EndpointSlices slimmed to what the proxy reads: the proxy
/// must see the same ports and endpoints in the slim copy as in the whole object.
@Suite struct NodeCacheTests {
    static let services: [JSON] = [
        [
            "metadata": [
                "name": "quiz", "namespace": "kiada", "uid": "u1", "resourceVersion": "7", "labels": ["app": "quiz"],
                "annotations": ["a": "b"],
            ],
            "spec": [
                "type": "ClusterIP", "clusterIP": "10.96.0.5", "clusterIPs": ["10.96.0.5"], "selector": ["app": "quiz"],
                "sessionAffinity": "None", "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"],
                "ports": [["name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080]],
            ],
            "status": ["loadBalancer": [:]],
        ],
        [
            "metadata": ["name": "lb", "namespace": "default"],
            "spec": [
                "type": "LoadBalancer", "clusterIP": "10.96.0.6", "externalTrafficPolicy": "Local",
                "healthCheckNodePort": 32100,
                "sessionAffinity": "ClientIP", "sessionAffinityConfig": ["clientIP": ["timeoutSeconds": 60]],
                "externalIPs": ["192.0.2.9"], "internalTrafficPolicy": "Local",
                "ports": [
                    ["name": "dns", "port": 53, "protocol": "UDP", "nodePort": 30053, "targetPort": "dns"],
                    ["name": "dns-tcp", "port": 53, "protocol": "TCP", "nodePort": 30054, "appProtocol": "dns"],
                ],
            ],
            "status": [
                "loadBalancer": ["ingress": [["ip": "172.30.0.200", "ipMode": "VIP"], ["hostname": "lb.example"]]]
            ],
        ],
        [
            "metadata": [
                "name": "other", "namespace": "default", "labels": ["service.kubernetes.io/service-proxy-name": "x"],
            ],
            "spec": ["clusterIP": "10.96.0.7", "ports": [["port": 80]]],
        ],
        [
            "metadata": ["name": "db", "namespace": "default"],
            "spec": ["type": "ExternalName", "externalName": "db.example.com"],
        ],
        [
            "metadata": ["name": "headless", "namespace": "default"],
            "spec": ["clusterIP": "None", "ports": [["port": 80]]],
        ],
    ]

    static let slices: [JSON] = [
        [
            "metadata": [
                "name": "quiz-abcde", "namespace": "kiada", "uid": "u2",
                "labels": ["kubernetes.io/service-name": "quiz", "endpointslice.kubernetes.io/managed-by": "x"],
                "ownerReferences": [["kind": "Service", "name": "quiz"]],
            ],
            "addressType": "IPv4",
            "ports": [["name": "http", "port": 8080, "protocol": "TCP", "appProtocol": "http"]],
            "endpoints": [
                [
                    "addresses": ["10.244.1.5"], "conditions": ["ready": true, "serving": true, "terminating": false],
                    "nodeName": "node-1",
                    "targetRef": ["kind": "Pod", "name": "quiz-1"], "zone": "a",
                ],
                [
                    "addresses": ["10.244.2.5"], "conditions": ["ready": false, "serving": true, "terminating": true],
                    "nodeName": "node-2",
                ],
                ["addresses": ["10.244.3.5"]],
            ],
        ],
        [
            "metadata": ["name": "quiz-v6", "namespace": "kiada", "labels": ["kubernetes.io/service-name": "quiz"]],
            "addressType": "IPv6", "ports": [["name": "http", "port": 8080]], "endpoints": [["addresses": ["fd00::5"]]],
        ],
    ]

    @Test(arguments: services.indices)
    func slimServicesGiveTheSamePorts(_ i: Int) {
        let json = Self.services[i]
        let svc = Service(json)
        let slim = ProxyObjects.cachedService(svc)
        #expect(ProxyObjects.ports(of: slim) == ProxyObjects.ports(of: svc))
        // What the cache packs reads back as the same slim model.
        #expect(Service(slim.json) == slim)
        #expect(slim.name == json.name && slim.namespace == json.namespace)
        #expect(slim.json.serialized().count <= json.serialized().count)
    }

    @Test func slimSlicesGiveTheSameEndpoints() {
        for svc in Self.services {
            let ports = ProxyObjects.ports(of: Service(svc))
            let full = Self.slices.map(EndpointSlice.init)
            let slim = full.map(ProxyObjects.cachedSlice)
            #expect(ProxyObjects.endpoints(of: ports, slices: slim) == ProxyObjects.endpoints(of: ports, slices: full))
            #expect(slim.map(\.serviceName) == Self.slices.map { $0.labels["kubernetes.io/service-name"] })
            #expect(slim.map { EndpointSlice($0.json) } == slim)
        }
    }

    @Test func slimCopiesDropWhatTheProxyDoesNotRead() {
        let slim = ProxyObjects.cachedService(Service(Self.services[0])).json
        #expect(
            slim == [
                "metadata": ["name": "quiz", "namespace": "kiada"],
                "spec": ["clusterIP": "10.96.0.5", "ports": [["name": "http", "port": 80]]],
            ]
        )
        let slice = ProxyObjects.cachedSlice(EndpointSlice(Self.slices[0])).json
        #expect(
            slice["endpoints"]?[0] == [
                "addresses": ["10.244.1.5"], "conditions": ["ready": true, "serving": true], "nodeName": "node-1",
            ]
        )
    }
}
