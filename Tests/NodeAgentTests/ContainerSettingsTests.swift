import Foundation
import KubeMachinery
import KubeModel
import Testing

@testable import NodeAgent

@Suite struct ContainerResourcesTests {
    func container(_ resources: JSON, security: JSON? = nil) -> Container {
        var c: JSON = ["name": "c", "image": "x:1", "resources": resources]
        if let security { c["securityContext"] = security }
        return Container(c)
    }

    @Test func limitsBecomeSharesQuotaAndMemory() {
        let r = CRIPod.resources(
            container(["limits": ["cpu": "500m", "memory": "64Mi"], "requests": ["cpu": "500m", "memory": "64Mi"]]),
            qosClass: "Guaranteed"
        )
        #expect(r.cpuShares == 512)
        #expect(r.cpuPeriod == 100_000 && r.cpuQuota == 50_000)
        #expect(r.memoryLimitInBytes == 67_108_864)
        #expect(r.oomScoreAdj == -997)
    }

    @Test func noResourcesIsTheMinimumShareAndNoLimits() {
        let r = CRIPod.resources(container([:]), qosClass: "BestEffort")
        #expect(r.cpuShares == 2 && r.cpuQuota == 0 && r.memoryLimitInBytes == 0 && r.oomScoreAdj == 1000)
    }

    @Test func aTinyLimitGetsTheQuotaFloor() {
        #expect(CRIPod.resources(container(["limits": ["cpu": "1m"]]), qosClass: "Burstable").cpuQuota == 1000)
    }

    @Test(arguments: [(Int64(0), Int64(999)), (512 << 20, 500), (1 << 30, 2)] as [(Int64, Int64)])
    func burstableScoresFollowTheMemoryRequest(_ request: Int64, _ score: Int64) {
        let c = container(["requests": ["memory": .string(String(request))]])
        #expect(CRIPod.resources(c, qosClass: "Burstable", nodeMemory: 1 << 30).oomScoreAdj == score)
    }
}

@Suite struct SecurityContextTests {
    @Test func theContainersSettingsOverrideThePods() {
        let pod = PodSpec([
            "containers": [
                [
                    "name": "c", "image": "x:1",
                    "securityContext": [
                        "runAsUser": 7, "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
                        "capabilities": ["add": ["NET_ADMIN"], "drop": ["ALL"]],
                    ],
                ]
            ],
            "securityContext": [
                "runAsUser": 1000, "runAsGroup": 3000, "supplementalGroups": [4000], "fsGroup": 2000,
                "seccompProfile": ["type": "RuntimeDefault"],
            ],
        ])
        let sc = CRIPod.securityContext(pod.containers[0], pod: pod)
        #expect(sc.runAsUser.value == 7 && sc.runAsGroup.value == 3000)
        #expect(sc.readonlyRootfs && sc.noNewPrivs && !sc.privileged)
        #expect(sc.capabilities.addCapabilities == ["NET_ADMIN"] && sc.capabilities.dropCapabilities == ["ALL"])
        #expect(sc.seccomp.profileType == .runtimeDefault)
        #expect(sc.supplementalGroups == [4000, 2000])
    }

    @Test func unsetMeansTheImagesUserAndUnconfined() {
        let pod = PodSpec(["containers": [["name": "c", "image": "x:1"]]])
        let sc = CRIPod.securityContext(pod.containers[0], pod: pod)
        #expect(!sc.hasRunAsUser && !sc.hasRunAsGroup && !sc.noNewPrivs && !sc.readonlyRootfs)
        #expect(sc.seccomp.profileType == .unconfined)
    }

    func violation(_ pod: JSON, uid: Int64?, user: String = "") -> String? {
        let spec = PodSpec(pod)
        return CRIPod.nonRootViolation(
            spec.containers[0],
            pod: spec,
            podName: "p_ns(u)",
            imageUID: uid,
            imageUser: user
        )
    }

    @Test func runAsNonRootChecksTheUserItWillRunAs() {
        let nonRoot: JSON = ["containers": [["name": "c", "image": "x"]], "securityContext": ["runAsNonRoot": true]]
        #expect(
            violation(nonRoot, uid: nil)
                == "container has runAsNonRoot and image will run as root (pod: \"p_ns(u)\", container: c)"
        )
        #expect(violation(nonRoot, uid: 0) != nil)
        #expect(violation(nonRoot, uid: 1000) == nil)
        #expect(
            violation(nonRoot, uid: nil, user: "www")
                == "container has runAsNonRoot and image has non-numeric user (www), cannot verify user is non-root (pod: \"p_ns(u)\", container: c)"
        )
        var asRoot = nonRoot
        asRoot[path: ["securityContext", "runAsUser"]] = 0
        #expect(
            violation(asRoot, uid: 1000)
                == "container's runAsUser breaks non-root policy (pod: \"p_ns(u)\", container: c)"
        )
        var asUser = nonRoot
        asUser[path: ["securityContext", "runAsUser"]] = 5
        #expect(violation(asUser, uid: 0) == nil)
        #expect(violation(["containers": [["name": "c", "image": "x"]]], uid: 0) == nil)
    }
}

@Suite struct RegistryAuthTests {
    static func secret(_ config: String, type: String = "kubernetes.io/dockerconfigjson") -> JSON {
        let key = type == "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson"
        return ["type": .string(type), "data": [key: .string(Data(config.utf8).base64EncodedString())]]
    }

    @Test(arguments: [
        ("busybox", "docker.io"), ("library/busybox:1", "docker.io"), ("docker.io/library/busybox", "docker.io"),
        ("index.docker.io/x/y", "docker.io"), ("127.0.0.1:5000/team/app:1", "127.0.0.1:5000"),
        ("registry.example.com/app", "registry.example.com"), ("localhost/app", "localhost"),
    ])
    func imagesNameTheirRegistry(_ image: String, _ registry: String) {
        #expect(RegistryAuth.registry(of: image) == registry)
    }

    @Test func theEntryForTheImagesRegistryIsFound() throws {
        let s = Self.secret(
            #"{"auths": {"https://index.docker.io/v1/": {"username": "hub", "password": "h"}, "127.0.0.1:5000": {"auth": "dTpw"}}}"#
        )
        let local = try #require(RegistryAuth.find(for: "127.0.0.1:5000/app:1", in: s))
        #expect(local.username == "u" && local.password == "p" && local.server == "https://127.0.0.1:5000")
        #expect(RegistryAuth.find(for: "busybox", in: s)?.username == "hub")
        #expect(RegistryAuth.find(for: "quay.io/x", in: s) == nil)
    }

    @Test func theOlderDockercfgTypeIsRead() {
        let s = Self.secret(#"{"quay.io": {"username": "q", "password": "w"}}"#, type: "kubernetes.io/dockercfg")
        #expect(RegistryAuth.find(for: "quay.io/x", in: s)?.password == "w")
    }

    @Test func anUnreadableSecretGivesNothing() {
        #expect(RegistryAuth.find(for: "x", in: ["data": [".dockerconfigjson": "not base64!"]]) == nil)
    }
}

@Suite struct TerminationMessageTests {
    @Test func theFileWinsAndIsCappedAt4096Bytes() {
        #expect(PodWorker.terminationMessage(file: Data("done\n".utf8), log: nil) == "done\n")
        let big = Data(repeating: UInt8(ascii: "x"), count: 5000)
        #expect(PodWorker.terminationMessage(file: big, log: nil)?.utf8.count == 4096)
    }

    @Test func anEmptyFileFallsBackToTheLogsTail() {
        var log = ""
        for i in 1...100 { log += "2026-12-07T10:00:00.000000000Z stderr F line \(i)\n" }
        let message = PodWorker.terminationMessage(file: Data(), log: Data(log.utf8))
        let lines = message?.split(separator: "\n") ?? []
        #expect(lines.count == 80 && lines.first == "line 21" && lines.last == "line 100")
        #expect(PodWorker.terminationMessage(file: Data(), log: nil) == nil)
        #expect(PodWorker.terminationMessage(file: Data(), log: Data()) == nil)
    }
}
