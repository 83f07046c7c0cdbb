import Foundation
import Testing

@testable import SwiftletCluster

@Suite struct ClusterSettingsTests {
    let dir = URL(fileURLWithPath: "/var/lib/swiftlet-test")

    @Test func aNewClusterTakesTheDefaultsAndTheSettingsGiven() throws {
        var s = ClusterSettings()
        s.nodes = 3
        s.name = "blue"
        s.store = "etcd://127.0.0.1:2379"
        let r = try ClusterRecord.resolving(s, saved: nil, dataDir: dir)
        #expect(r.nodes == 3 && r.name == "blue" && r.store == "etcd://127.0.0.1:2379")
        #expect(r.nodeCIDR == "172.30.0.0/24" && r.serviceCIDR == "10.96.0.0/12" && r.port == 6443)
        #expect(r.dataDir == dir.path)
    }

    @Test func aResumedClusterKeepsWhatItRecordedAndMayGrow() throws {
        var saved = ClusterRecord.defaults(dataDir: dir)
        saved.serviceCIDR = "10.100.0.0/16"
        var s = ClusterSettings()
        s.nodes = 4
        s.serviceCIDR = "10.100.0.0/16"  // the same range again is fine
        let r = try ClusterRecord.resolving(s, saved: saved, dataDir: dir)
        #expect(r.nodes == 4 && r.serviceCIDR == "10.100.0.0/16")
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var what: String
        var settings: ClusterSettings
        var saved: Bool = false
        var message: String
        var testDescription: String { what }
    }

    static func settings(_ change: (inout ClusterSettings) -> Void) -> ClusterSettings {
        var s = ClusterSettings()
        change(&s)
        return s
    }

    static let refusals: [Refusal] = [
        Refusal(
            what: "another cluster's data directory",
            settings: settings { $0.name = "green" },
            saved: true,
            message:
                "/var/lib/swiftlet-test holds cluster swiftlet, not green: use another --data-dir for a second cluster"
        ),
        Refusal(
            what: "an unknown store",
            settings: settings { $0.store = "mysql" },
            message: "--store mysql is not known: use sqlite or etcd://host:2379[,host:2379…]"
        ),
        Refusal(
            what: "a store move",
            settings: settings { $0.store = "etcd://127.0.0.1:2379" },
            saved: true,
            message:
                "the cluster in /var/lib/swiftlet-test keeps its data in SQLite (/var/lib/swiftlet-test/state.db); it cannot move to etcd://127.0.0.1:2379: start a new cluster with another --data-dir"
        ),
        Refusal(
            what: "a new service range for a cluster that has one",
            settings: settings { $0.serviceCIDR = "10.200.0.0/16" },
            saved: true,
            message: "the cluster in /var/lib/swiftlet-test uses service CIDR 10.96.0.0/12; it cannot change"
        ),
        Refusal(
            what: "no nodes",
            settings: settings { $0.nodes = 0 },
            message: "--nodes must be 1 to 99"
        ),
        Refusal(
            what: "a pod network too narrow",
            settings: settings { $0.podCIDR = "10.244.0.0/24" },
            message: "--pod-cidr 10.244.0.0/24 must be an IPv4 CIDR of /16 or larger"
        ),
        Refusal(
            what: "a node network that is not a CIDR",
            settings: settings { $0.nodeCIDR = "banana" },
            message: "--node-cidr banana must be an IPv4 CIDR of /24 or larger"
        ),
        Refusal(
            what: "a pool over the nodes' addresses",
            settings: settings { $0.loadBalancerPool = "172.30.0.10-172.30.0.20" },
            message:
                "the load balancer pool 172.30.0.10-172.30.0.20 holds 172.30.0.11, which the node network uses; choose a --load-balancer-pool above 172.30.0.12"
        ),
        Refusal(
            what: "a pool inside the service range",
            settings: settings { $0.loadBalancerPool = "10.96.1.0/24" },
            message:
                "the load balancer pool 10.96.1.0-10.96.1.255 overlaps the service range 10.96.0.0/12; choose another --load-balancer-pool"
        ),
        Refusal(
            what: "a pool that is not a range",
            settings: settings { $0.loadBalancerPool = "lots" },
            message:
                "--load-balancer-pool lots must be an IPv4 range (172.30.0.200-172.30.0.250) or CIDR (172.30.1.0/24)"
        ),
    ]

    @Test(arguments: refusals) func refusedWithTheFix(_ c: Refusal) {
        let saved = c.saved ? ClusterRecord.defaults(dataDir: dir) : nil
        #expect(throws: ClusterSetupError(c.message)) {
            try ClusterRecord.resolving(c.settings, saved: saved, dataDir: dir)
        }
    }
}
