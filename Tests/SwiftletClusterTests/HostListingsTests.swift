import Foundation
import KubeMachinery
import Testing

@testable import SwiftletCluster

@Suite struct HostListingsTests {
    @Test func linkNamesDropThePeerAndColon() {
        let output = """
            1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
            7: swl0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000
            9: swl0-1@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master swl0 state UP
            garbage

            """
        #expect(HostListings.linkNames(ipLinkShow: output) == ["lo", "swl0", "swl0-1"])
    }

    @Test(
        arguments: [
            ("default via 192.0.2.1 dev eth0 proto dhcp", nil),
            ("10.0.0.0/8 via 192.0.2.1 dev eth0", "10.0.0.0/8"),
            ("192.0.2.7 dev eth0 scope link", "192.0.2.7/32"),
            ("unreachable 10.244.0.0/16 metric 4242", "10.244.0.0/16"),
            ("blackhole 10.96.0.0/12", "10.96.0.0/12"),
            ("fe80::/64 dev eth0", nil),
        ] as [(String, String?)]
    )
    func routeDestinations(line: String, destination: String?) {
        #expect(HostListings.routes(ipRouteShow: line).first?.destination == destination.flatMap(IPv4Network.init))
    }

    @Test func swiftletsOwnRoutesAreRecognised() {
        let routes = HostListings.routes(
            ipRouteShow: """
                10.244.1.0/24 via 172.30.0.11 dev swl0
                unreachable 10.244.0.0/16 metric 4242
                10.244.0.0/16 via 192.0.2.1 dev eth0
                """
        )
        #expect(routes.map { $0.isOurs(bridge: "swl0") } == [true, true, false])
    }

    @Test func aRecordWithRangesThatDoNotParseIsNotLoaded() throws {
        let good = ClusterRecord(
            name: "swiftlet",
            nodes: 2,
            nodeCIDR: "172.30.0.0/24",
            podCIDR: "10.244.0.0/16",
            serviceCIDR: "10.96.0.0/12",
            clusterDomain: "cluster.local",
            port: 6443,
            dataDir: "/tmp/x"
        )
        #expect(ClusterRecord.decode(try JSONEncoder().encode(good)) == good)
        var bad = good
        bad.podCIDR = "10.244.0.0/33"
        #expect(ClusterRecord.decode(try JSONEncoder().encode(bad)) == nil)
        #expect(ClusterRecord.decode(Data("{".utf8)) == nil)
    }
}
