import KubeAPI
import KubeMachinery
import KubeModel
import Testing

@testable import Controllers

@Suite struct LoadBalancerIPsTests {
    let pool = LoadBalancerPool("172.30.0.200-172.30.0.202")!

    func svc(
        _ name: String,
        created: Int,
        ports: [(Int, String)] = [(80, "TCP")],
        ip: String? = nil,
        requested: String? = nil,
        annotations: [String: String] = [:],
        type: String = "LoadBalancer",
        cls: String? = nil
    ) -> Service {
        var s: JSON = [
            "metadata": [
                "name": .string(name), "namespace": "default",
                "creationTimestamp": .string("2026-11-27T10:00:\(String(format: "%02d", created))Z"),
            ],
            "spec": [
                "type": .string(type), "ports": .array(ports.map { ["port": JSON($0.0), "protocol": .string($0.1)] }),
            ],
            "status": ["loadBalancer": .emptyObject],
        ]
        if !annotations.isEmpty { s[path: ["metadata", "annotations"]] = JSON(annotations) }
        if let ip { s[path: ["status", "loadBalancer", "ingress"]] = [["ip": .string(ip)]] }
        if let requested { s[path: ["spec", "loadBalancerIP"]] = .string(requested) }
        if let cls { s[path: ["spec", "loadBalancerClass"]] = .string(cls) }
        return Service(s)
    }

    func ip(_ s: String) -> LoadBalancerIPPlanner.Outcome { .assigned(IPv4Address(s)!) }

    @Test func poolParsing() {
        #expect(
            LoadBalancerPool("172.30.0.192/30")
                == LoadBalancerPool(first: IPv4Address("172.30.0.192")!, last: IPv4Address("172.30.0.195")!)
        )
        #expect(LoadBalancerPool("10.0.0.5 - 10.0.0.9")?.size == 5)
        #expect(LoadBalancerPool("10.0.0.9-10.0.0.5") == nil)
        #expect(LoadBalancerPool("banana") == nil)
        #expect(
            LoadBalancerPool.defaultPool(nodeCIDR: IPv4Network("172.30.0.0/24")!).description
                == "172.30.0.128-172.30.0.254"
        )
        #expect(
            LoadBalancerPool("10.0.0.5-10.0.0.20")!.blocks.map(\.description)
                == ["10.0.0.5/32", "10.0.0.6/31", "10.0.0.8/29", "10.0.0.16/30", "10.0.0.20/32"]
        )
        #expect(LoadBalancerPool("10.1.0.0/16")!.blocks.map(\.description) == ["10.1.0.0/16"])
    }

    @Test func lowestFreeAddressOldestFirstAndKeptAcrossPlans() {
        let plan = LoadBalancerIPPlanner.plan(
            [svc("b", created: 2), svc("a", created: 1), svc("held", created: 3, ip: "172.30.0.200")],
            pool: pool
        )
        // "held" keeps its address even though it is the newest; the others fill the gaps in creation order.
        #expect(
            plan == [
                "default/held": ip("172.30.0.200"), "default/a": ip("172.30.0.201"), "default/b": ip("172.30.0.202"),
            ]
        )
    }

    @Test func exhaustedPoolFailsWithAReason() throws {
        let plan = LoadBalancerIPPlanner.plan((1...4).map { svc("s\($0)", created: $0) }, pool: pool)
        guard case .failed(let why) = plan["default/s4"] else {
            Issue.record("s4 got \(String(describing: plan["default/s4"]))")
            return
        }
        #expect(why.contains("no available IPs") && why.contains("172.30.0.200-172.30.0.202"))
    }

    @Test func requestedAddresses() {
        let plan = LoadBalancerIPPlanner.plan(
            [
                svc("field", created: 1, requested: "172.30.0.202"),
                svc("annotation", created: 2, annotations: ["metallb.universe.tf/loadBalancerIPs": "172.30.0.201"]),
                svc("outside", created: 3, requested: "192.168.9.9"),
                svc("taken", created: 4, requested: "172.30.0.202"),
                svc("garbage", created: 5, annotations: ["metallb.io/loadBalancerIPs": "not-an-ip"]),
                svc("auto", created: 6),
            ],
            pool: pool
        )
        #expect(plan["default/field"] == ip("172.30.0.202"))
        #expect(plan["default/annotation"] == ip("172.30.0.201"))
        #expect(plan["default/auto"] == ip("172.30.0.200"))
        for (key, words) in [
            ("default/outside", "outside the load balancer pool"),
            ("default/taken", "already used by Service default/field"),
            ("default/garbage", "not an IPv4 address"),
        ] {
            guard case .failed(let why) = plan[key] else {
                Issue.record("\(key): \(String(describing: plan[key]))")
                continue
            }
            #expect(why.contains(words), "\(key): \(why)")
        }
    }

    @Test func changedRequestMovesTheService() {
        let plan = LoadBalancerIPPlanner.plan(
            [svc("a", created: 1, ip: "172.30.0.200", requested: "172.30.0.202")],
            pool: pool
        )
        #expect(plan["default/a"] == ip("172.30.0.202"))
    }

    @Test func sharingNeedsTheSameKeyAndDistinctPorts() {
        let share = ["metallb.io/allow-shared-ip": "web"]
        let plan = LoadBalancerIPPlanner.plan(
            [
                svc("http", created: 1, ports: [(80, "TCP")], annotations: share),
                svc("https", created: 2, ports: [(443, "TCP")], annotations: share),
                svc("dns-udp", created: 3, ports: [(80, "UDP")], annotations: share),
                svc("clash", created: 4, ports: [(80, "TCP")], requested: "172.30.0.200", annotations: share),
                svc(
                    "other-key",
                    created: 5,
                    ports: [(8080, "TCP")],
                    requested: "172.30.0.200",
                    annotations: ["metallb.io/allow-shared-ip": "x"]
                ),
            ],
            pool: pool
        )
        #expect(plan["default/http"] == ip("172.30.0.200"))
        #expect(plan["default/https"] == ip("172.30.0.200"))
        #expect(plan["default/dns-udp"] == ip("172.30.0.200"))
        guard case .failed(let clash) = plan["default/clash"], case .failed(let other) = plan["default/other-key"]
        else {
            Issue.record("\(plan)")
            return
        }
        #expect(clash.contains("already uses port 80/TCP"))
        #expect(other.contains("another sharing key"))
    }

    @Test func otherClassesAndTypesAreLeftAlone() {
        let plan = LoadBalancerIPPlanner.plan(
            [
                svc("metallb", created: 1, cls: "metallb.io/metallb"),
                svc("ours", created: 2, cls: Service.swiftletLoadBalancerClass),
                svc("nodeport", created: 3, type: "NodePort"),
            ],
            pool: pool
        )
        #expect(plan == ["default/ours": ip("172.30.0.200")])
    }
}
