import Foundation
import KubeMachinery
import Testing

@testable import KubeAPI

@Suite struct ConfigKindsTests {
    func errors(_ r: Resource, _ obj: JSON) -> [String] { r.validate(obj).map(\.description) }
    let meta: JSON = ["name": "x", "namespace": "default"]

    @Test(
        arguments: [
            ("kubernetes.io/tls", ["tls.crt": "YQ=="] as JSON, ["data[tls.key]: Required value"]),
            ("kubernetes.io/tls", ["tls.crt": "YQ==", "tls.key": "YQ=="], []),
            ("kubernetes.io/dockerconfigjson", [:], ["data[.dockerconfigjson]: Required value"]),
            (
                "kubernetes.io/dockerconfigjson", [".dockerconfigjson": "bm90IGpzb24="],
                ["data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": must be a JSON object"]
            ),
            ("kubernetes.io/dockerconfigjson", [".dockerconfigjson": "e30="], []),
            ("kubernetes.io/basic-auth", [:], ["data[username]: Required value", "data[password]: Required value"]),
            ("kubernetes.io/basic-auth", ["password": "cA=="], []),
            ("kubernetes.io/ssh-auth", [:], ["data[ssh-privatekey]: Required value"]),
            (
                "kubernetes.io/service-account-token", [:],
                ["metadata.annotations[kubernetes.io/service-account.name]: Required value"]
            ),
        ] as [(String, JSON, [String])]
    )
    func secretTypesNeedTheirKeys(_ type: String, _ data: JSON, _ expected: [String]) {
        let secret: JSON = ["metadata": meta, "type": .string(type), "data": data]
        #expect(errors(Resources.secrets, secret) == expected)
    }

    @Test func dataOverAMebibyteIsRefused() {
        let big = String(repeating: "a", count: 1_048_577)
        #expect(
            errors(Resources.configmaps, ["metadata": meta, "data": ["k": .string(big)]])
                == ["[]: Too long: may not be more than 1048576 bytes"]
        )
        let encoded = Data(big.utf8).base64EncodedString()
        #expect(
            errors(Resources.secrets, ["metadata": meta, "type": "Opaque", "data": ["k": .string(encoded)]])
                == ["data: Too long: may not be more than 1048576 bytes"]
        )
    }

    @Test func immutableObjectsKeepTheirDataAndStayImmutable() {
        let old: JSON = ["metadata": meta, "immutable": true, "data": ["k": "v"]]
        var changed = old
        changed[path: ["data", "k"]] = "w"
        #expect(
            Resources.configmaps.validateUpdate(changed, old: old).map(\.description)
                == ["data: Forbidden: field is immutable when `immutable` is set"]
        )
        var unfrozen = old
        unfrozen["immutable"] = false
        #expect(
            Resources.configmaps.validateUpdate(unfrozen, old: old).map(\.description)
                == ["immutable: Forbidden: field is immutable when `immutable` is set"]
        )
        var labelled = old
        labelled[path: ["metadata", "labels"]] = ["a": "b"]
        #expect(Resources.configmaps.validateUpdate(labelled, old: old).isEmpty)
        let secret: JSON = ["metadata": meta, "type": "Opaque", "immutable": true, "data": ["k": "dg=="]]
        var secretChanged = secret
        secretChanged[path: ["data", "k"]] = "dw=="
        #expect(
            Resources.secrets.validateUpdate(secretChanged, old: secret).map(\.description)
                == ["data: Forbidden: field is immutable when `immutable` is set"]
        )
    }
}
