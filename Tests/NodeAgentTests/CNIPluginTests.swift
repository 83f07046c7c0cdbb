import Foundation
import KubeMachinery
import Testing

@testable import NodeAgent

@Suite struct CNIPluginTests {
    let env = [
        "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "abc123", "CNI_NETNS": "/var/run/netns/cni-1234", "CNI_IFNAME": "eth0",
        "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_UID=u-1",
    ]
    let config = Data(
        #"""
        {"cniVersion":"1.0.0","name":"swiftlet","type":"swiftlet","runtimeConfig":{"io.kubernetes.cri.pod-annotations":
        {"swiftlet.dev/node-netns":"swl-a-node-2","swiftlet.dev/pod-ip":"10.244.2.9","swiftlet.dev/pod-gateway":"10.244.2.1"}}}
        """#.utf8
    )

    @Test func anAddWiresThePodNamespaceToItsNodeWithItsAddress() throws {
        let r = try CNIPlugin.request(environment: env, stdin: config)
        #expect(r.args["K8S_POD_UID"] == "u-1" && r.type == "swiftlet")
        let w = try CNIPlugin.addSteps(r)
        let link = ClusterNetwork.podLinkName(uid: "u-1")
        #expect(w.steps.map(\.namespace) == ["swl-a-node-2", "swl-a-node-2", "cni-1234"])
        #expect(w.steps[0].ignoreErrors && w.steps[0].batch == ["link del \(link)"])
        #expect(w.steps[1].batch.first == "link add \(link) type veth peer name eth0 netns cni-1234")
        #expect(w.steps[1].batch.last == "route replace 10.244.2.9/32 dev \(link) src 10.244.2.1")
        #expect(w.steps[2].batch.last == "route add default via 10.244.2.1 dev eth0 src 10.244.2.9")
        let result = CNIPlugin.result(r, w)
        #expect(result["ips"]?.array?.first?["address"]?.string == "10.244.2.9/32")
        #expect(result["interfaces"]?.array?.first?["sandbox"]?.string == "/var/run/netns/cni-1234")
    }

    @Test func aSandboxWithoutSwiftletsAnnotationsIsRefusedWithTheReason() throws {
        let r = try CNIPlugin.request(environment: env, stdin: Data(#"{"cniVersion":"1.0.0","type":"swiftlet"}"#.utf8))
        #expect(throws: CNIPlugin.Failure.self) { try CNIPlugin.addSteps(r) }
        var unnamed = r
        unnamed.netns = "/proc/42/ns/net"
        #expect(throws: CNIPlugin.Failure.self) { try CNIPlugin.loopbackSteps(unnamed) }
    }

    @Test func aDeleteRemovesOnlyTheNodeSideLinkAndNeverFails() throws {
        var e = env
        e["CNI_COMMAND"] = "DEL"
        e["CNI_NETNS"] = ""
        let steps = CNIPlugin.delSteps(try CNIPlugin.request(environment: e, stdin: config))
        #expect(steps.count == 1 && steps[0].ignoreErrors && steps[0].namespace == "swl-a-node-2")
    }

    @Test func versionAndBadInputAnswerInCNIsErrorShape() async throws {
        let (version, ok) = await CNIPlugin.main(environment: ["CNI_COMMAND": "VERSION"], stdin: Data())
        #expect(ok == 0 && version.contains("\"1.0.0\""))
        let (bad, status) = await CNIPlugin.main(environment: env, stdin: Data("{not json".utf8))
        #expect(status == 1)
        let error = try JSON.parse(bad)
        #expect(error["code"]?.intValue == 6)
        let (none, missing) = await CNIPlugin.main(environment: [:], stdin: Data())
        #expect(missing == 1 && none.contains("CNI_COMMAND"))
    }
}
