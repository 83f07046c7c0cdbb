import Foundation
import HostCommands
import KubeAPI
import KubeMachinery
import Testing

@testable import ServiceProxy

/// The rendered scripts against the real kernel, in a network namespace of the test's own.
@Suite(.serialized, .enabled(if: getuid() == 0 && HostCommand.which("nft") != nil, "needs root and nft"))
struct KernelApplyTests {
    let namespace = "swl-proxytest-\(getpid())"
    let bystander =
        "table ip bystander {\n\tchain c {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tcounter\n\t}\n}\n"

    func withNamespace(_ body: (NamespaceDataplane) async throws -> Void) async throws {
        _ = try? await HostCommand.run("ip", ["netns", "delete", namespace])
        try await HostCommand.run("ip", ["netns", "add", namespace])
        do {
            let dp = NamespaceDataplane(namespace: namespace)
            try await dp.apply(bystander)
            try await body(dp)
        } catch {
            _ = try? await HostCommand.run("ip", ["netns", "delete", namespace])
            throw error
        }
        try await HostCommand.run("ip", ["netns", "delete", namespace])
    }

    func list(_ table: String) async throws -> String {
        try await HostCommand.run("nsenter", ["--net=/run/netns/\(namespace)", "nft", "list", "table", "ip", table])
    }

    @Test func fullAndIncrementalScriptsApplyAndTouchNothingElse() async throws {
        try await withNamespace { dp in
            let bystanderBefore = try await list("bystander")
            let fragments = Fixture.fragments
            try await dp.apply(NFTScript.full(Fixture.node, fragments))
            let table = try await list("swiftlet-demo")
            #expect(table.contains("10.96.0.20 . tcp . 80 : goto pick-2"))
            #expect(table.contains("10.96.0.20 . tcp . 80 . 0 : 10.244.1.5 . 8080"))
            #expect(
                table.contains("dnat ip to ip daddr . meta l4proto . tcp dport . numgen random mod 2 map @backends")
            )
            #expect(table.contains("numgen random mod 2 0 update @affinity-"))

            // Remove every Service one at a time, then add them back: each diff applies.
            var current = fragments
            for i in current.indices {
                try await dp.apply(
                    NFTScript.update(
                        Fixture.node,
                        [(old: current[i], new: ServiceFragment())],
                        hairpinAdded: [],
                        hairpinRemoved: current[i].localEndpointIPs.subtracting(
                            current.enumerated().filter { $0.offset > i }.reduce(into: Set()) {
                                $0.formUnion($1.element.localEndpointIPs)
                            }
                        )
                    )
                )
                current[i] = ServiceFragment()
            }
            let empty = try await list("swiftlet-demo")
            #expect(
                !empty.contains("chain service-") && !empty.contains("chain external-") && !empty.contains("10.96.0.20")
            )
            for i in current.indices {
                try await dp.apply(
                    NFTScript.update(
                        Fixture.node,
                        [(old: ServiceFragment(), new: fragments[i])],
                        hairpinAdded: [],
                        hairpinRemoved: []
                    )
                )
            }
            // Re-applying the full script replaces the table in one go, even over a live one.
            try await dp.apply(NFTScript.full(Fixture.node, fragments))
            #expect(try await list("bystander") == bystanderBefore)
        }
    }

    @Test func aRefusedTransactionChangesNothing() async throws {
        try await withNamespace { dp in
            try await dp.apply(NFTScript.full(Fixture.node, Fixture.fragments))
            let before = try await list("swiftlet-demo")
            let bad =
                "add element ip swiftlet-demo cluster-ips { 10.96.7.7 }\nadd rule ip swiftlet-demo no-such-chain accept\n"
            await #expect(throws: NFTablesSession.Failure.self) { try await dp.apply(bad) }
            #expect(try await list("swiftlet-demo") == before)
        }
    }
}
