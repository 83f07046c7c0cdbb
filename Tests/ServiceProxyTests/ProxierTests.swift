import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging
import TestSupport
import Testing

@testable import ServiceProxy

/// The whole proxy — informers, change tracking, the sync state, the scripts — against a
/// fake API (`FakeListerWatcher`) and a fake nftables that refuses what the kernel would.
@Suite struct ProxierTests {
    static let table = Fixture.node.table

    static func service(_ name: String, ip: String, proto: String = "TCP", port: Int = 80) -> JSON {
        [
            "metadata": ["name": .string(name), "namespace": "default"],
            "spec": [
                "type": "ClusterIP", "clusterIP": .string(ip),
                "ports": [["name": "p", "port": JSON(port), "protocol": .string(proto), "targetPort": 8080]],
            ],
        ]
    }

    static func slice(_ service: String, proto: String = "TCP", _ ips: [String], rv: Int = 1) -> JSON {
        [
            "metadata": [
                "name": .string("\(service)-abc"), "namespace": "default", "resourceVersion": .string(String(rv)),
                "labels": ["kubernetes.io/service-name": .string(service)],
            ],
            "addressType": "IPv4", "ports": [["name": "p", "port": 8080, "protocol": .string(proto)]],
            "endpoints": .array(
                ips.map { ["addresses": [.string($0)], "conditions": ["ready": true], "nodeName": "node-1"] }
            ),
        ]
    }

    /// Runs a proxier over `source` and `kernel` while `body` drives it.
    func withProxier(
        _ source: FakeListerWatcher,
        _ kernel: FakeNFTables,
        _ body: (Proxier, AsyncStream<Proxier.SyncReport>.AsyncIterator) async throws -> Void
    ) async throws {
        let logger = Logger(label: "test")
        let (services, slices) = ProxyObjects.nodeInformers(client: source, logger: logger)
        var config = Proxier.Configuration(node: Fixture.node, namespace: "unused")
        config.healthChecks = false
        let proxier = Proxier(config: config, dataplane: kernel, services: services, slices: slices, logger: logger)
        let reports = await proxier.reports()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await services.run() }
            group.addTask { await slices.run() }
            group.addTask { await proxier.run() }
            defer { group.cancelAll() }
            try await body(proxier, reports.makeAsyncIterator())
        }
    }

    func serviceIPs(_ kernel: FakeNFTables) -> [String: String] {
        kernel.tables[Self.table]?.sets["service-ips"] ?? [:]
    }

    @Test func eventsBecomeTableEntries() async throws {
        let source = FakeListerWatcher()
        source.set(Resources.services, [Self.service("quiz", ip: "10.96.0.20")])
        source.set(Resources.endpointslices, [Self.slice("quiz", ["10.244.2.5"])])
        let kernel = FakeNFTables()
        try await withProxier(source, kernel) { _, reports in
            var reports = reports
            let first = await reports.next()
            #expect(first?.full == true)
            #expect(serviceIPs(kernel)["10.96.0.20 . tcp . 80"] != nil)
            // A new Service and its endpoint: one incremental transaction, accepted.
            source.send(Resources.services, "ADDED", Self.service("web", ip: "10.96.0.30"))
            source.send(Resources.endpointslices, "ADDED", Self.slice("web", ["10.244.2.6"], rv: 2))
            #expect(await eventually { serviceIPs(kernel)["10.96.0.30 . tcp . 80"] != nil })
            #expect(kernel.scripts.dropFirst().allSatisfy { !$0.hasPrefix("add table") })
            // The Service goes: its entries and chains go, nothing dangles.
            source.send(Resources.services, "DELETED", Self.service("web", ip: "10.96.0.30"))
            #expect(await eventually { serviceIPs(kernel)["10.96.0.30 . tcp . 80"] == nil })
            #expect(serviceIPs(kernel)["10.96.0.20 . tcp . 80"] != nil)
        }
    }

    @Test func removingAUDPEndpointFlushesItsConntrackEntries() async throws {
        let source = FakeListerWatcher()
        source.set(Resources.services, [Self.service("dns", ip: "10.96.0.10", proto: "UDP", port: 53)])
        source.set(Resources.endpointslices, [Self.slice("dns", proto: "UDP", ["10.244.2.5", "10.244.2.6"])])
        let kernel = FakeNFTables()
        try await withProxier(source, kernel) { _, reports in
            var reports = reports
            _ = await reports.next()
            source.send(Resources.endpointslices, "MODIFIED", Self.slice("dns", proto: "UDP", ["10.244.2.5"], rv: 2))
            #expect(
                await eventually {
                    kernel.conntrackDeletions.contains([
                        "-p", "udp", "--orig-dst", "10.96.0.10", "--dst-nat", "10.244.2.6",
                    ])
                }
            )
            #expect(!kernel.conntrackDeletions.contains { $0.contains("10.244.2.5") })
        }
    }

    @Test func aFailedApplyMakesTheNextSyncFull() async throws {
        let source = FakeListerWatcher()
        source.set(Resources.services, [Self.service("quiz", ip: "10.96.0.20")])
        source.set(Resources.endpointslices, [Self.slice("quiz", ["10.244.2.5"])])
        let kernel = FakeNFTables()
        try await withProxier(source, kernel) { _, reports in
            var reports = reports
            _ = await reports.next()
            kernel.failNextApply()
            source.send(Resources.services, "ADDED", Self.service("web", ip: "10.96.0.30"))
            // The failed transaction reports nothing; the retry replaces the whole table.
            let retry = await reports.next()
            #expect(retry?.full == true)
            #expect(kernel.scripts.count == 3)
            #expect(kernel.scripts.last?.hasPrefix("add table ip \(Self.table)") == true)
            // The change the failed transaction carried is in the table now (no endpoints: rejected).
            #expect(
                kernel.tables[Self.table]?.sets["no-endpoint-services"]?["10.96.0.30 . tcp . 80"] == "goto reject-chain"
            )
        }
    }

    /// Two Services with the same local endpoint share one hairpin entry: removing the first
    /// keeps it, removing the last takes it away (the fake refuses a delete of a missing one).
    @Test func aSharedHairpinEntryGoesWithItsLastUser() async throws {
        let local = "10.244.1.5"  // in node-1's pod range
        let source = FakeListerWatcher()
        source.set(Resources.services, [Self.service("a", ip: "10.96.0.20"), Self.service("b", ip: "10.96.0.21")])
        source.set(Resources.endpointslices, [Self.slice("a", [local])])
        let kernel = FakeNFTables()
        func hairpin() -> [String: String] { kernel.tables[Self.table]?.sets["hairpin"] ?? [:] }
        try await withProxier(source, kernel) { _, reports in
            var reports = reports
            _ = await reports.next()
            #expect(hairpin().keys.sorted() == ["\(local) . \(local)"])
            source.send(Resources.endpointslices, "ADDED", Self.slice("b", [local], rv: 2))
            #expect(await eventually { serviceIPs(kernel)["10.96.0.21 . tcp . 80"] != nil })
            source.send(Resources.services, "DELETED", Self.service("a", ip: "10.96.0.20"))
            #expect(await eventually { serviceIPs(kernel)["10.96.0.20 . tcp . 80"] == nil })
            #expect(hairpin().keys.sorted() == ["\(local) . \(local)"], "removed while Service b still uses it")
            source.send(Resources.services, "DELETED", Self.service("b", ip: "10.96.0.21"))
            #expect(await eventually { hairpin().isEmpty })
        }
    }
}

@Suite struct FakeNFTablesTests {
    /// The fake would miss the bugs it is there for if it accepted these.
    @Test(arguments: [
        "add rule ip t nowhere counter",
        "add rule ip t c goto nowhere",
        "delete chain ip t used",
        "delete element ip t m { 10.0.0.1 . tcp . 80 }",
        "add element ip t m { 10.0.0.2 . tcp . 80 : goto nowhere }",
        "add element ip t m { 10.0.0.3 . tcp . 80 : goto c }",
    ])
    func refusesWhatTheKernelRefuses(_ line: String) async throws {
        let kernel = FakeNFTables()
        try await kernel.apply(
            """
            add table ip t
            add chain ip t c
            add chain ip t used
            add map ip t m { type ipv4_addr . inet_proto . inet_service : verdict; }
            add element ip t m { 10.0.0.3 . tcp . 80 : goto used }
            """
        )
        let before = kernel.tables
        await #expect(throws: FakeNFTables.Refused.self) { try await kernel.apply(line + "\n") }
        #expect(kernel.tables == before, "a refused transaction changed the table")
    }

    @Test func acceptsTheRepresentativeFullRuleset() async throws {
        let kernel = FakeNFTables()
        try await kernel.apply(NFTScript.full(Fixture.node, Fixture.fragments))
        let t = try #require(kernel.tables[Fixture.node.table])
        #expect(t.sets["service-ips"]?["10.96.0.20 . tcp . 80"] == "goto pick-2")
        // And replacing it whole, as every full sync does.
        try await kernel.apply(NFTScript.full(Fixture.node, Fixture.fragments))
    }
}
