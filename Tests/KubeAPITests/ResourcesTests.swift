import KubeMachinery
import Testing

@testable import KubeAPI

@Suite struct QuantityTests {
    @Test(
        arguments: [
            ("500m", 0.5), ("1", 1), ("1.5", 1.5), (".5", 0.5), ("128Mi", 134_217_728), ("1Gi", 1_073_741_824),
            ("2G", 2e9), ("1k", 1000), ("1e3", 1000), ("5E-2", 0.05), ("+3", 3), ("100n", 1e-7), ("1Ki", 1024),
        ] as [(String, Double)]
    )
    func parsesTheAPIsForms(_ text: String, _ value: Double) throws {
        let q = try #require(Quantity(text))
        #expect(abs(q.value - value) < 1e-12 * max(1, value))
    }

    @Test(arguments: ["", "lots", "1.2.3", "Mi", "1Q", "1e", "1ee3", ".", "1 Mi", "--1"])
    func refusesAnythingElse(_ text: String) {
        #expect(Quantity(text) == nil)
    }

    @Test func milliValuesRoundUp() {
        #expect(Quantity("250m")?.milliValue == 250)
        #expect(Quantity("0.0001")?.milliValue == 1)
        #expect(Quantity(.int(2))?.milliValue == 2000)
        #expect(Quantity("64Mi")?.intValue == 67_108_864)
    }
}

@Suite struct QoSClassTests {
    static func pod(_ resources: [JSON], init initResources: [JSON] = []) -> JSON {
        [
            "spec": [
                "containers": .array(resources.map { ["name": "c", "resources": $0] }),
                "initContainers": .array(initResources.map { ["name": "i", "resources": $0] }),
            ]
        ]
    }

    @Test(
        arguments: [
            ([[:]], "BestEffort"),
            ([["limits": ["ephemeral-storage": "1Gi"]]], "BestEffort"),
            ([["requests": ["cpu": "100m"]]], "Burstable"),
            ([["limits": ["cpu": "1", "memory": "1Gi"]]], "Guaranteed"),
            ([["limits": ["cpu": "1", "memory": "1Gi"], "requests": ["cpu": "1", "memory": "1Gi"]]], "Guaranteed"),
            ([["limits": ["cpu": "1", "memory": "1Gi"], "requests": ["cpu": "500m"]]], "Burstable"),
            ([["limits": ["cpu": "1"]]], "Burstable"),
            ([["limits": ["cpu": "1", "memory": "1Gi"]], [:]], "Burstable"),
        ] as [([JSON], String)]
    )
    func isComputedAsUpstream(_ resources: [JSON], _ qos: String) {
        #expect(PodRules.qosClass(Self.pod(resources)) == qos)
    }

    @Test func initContainersCount() {
        let p = Self.pod([["limits": ["cpu": "1", "memory": "1Gi"]]], init: [["requests": ["cpu": "1"]]])
        #expect(PodRules.qosClass(p) == "Burstable")
    }

    @Test func limitsDefaultTheRequests() {
        var c: JSON = [
            "name": "c", "image": "x:1", "resources": ["limits": ["cpu": "1"], "requests": ["memory": "1Mi"]],
        ]
        PodRules.defaultContainer(&c)
        #expect(c[path: ["resources", "requests"]] == ["memory": "1Mi", "cpu": "1"])
    }

    @Test(
        arguments: [
            (["limits": ["cpu": "lots"]], "spec.containers[0].resources.limits[cpu]", Quantity.formatMessage),
            (
                ["limits": ["cpu": "1"], "requests": ["cpu": "2"]], "spec.containers[0].resources.requests",
                "must be less than or equal to cpu limit of 1"
            ),
            (
                ["requests": ["memory": "-1"]], "spec.containers[0].resources.requests[memory]",
                "must be greater than or equal to 0"
            ),
        ] as [(JSON, String, String)]
    )
    func badResourcesAreFieldErrors(_ resources: JSON, _ field: String, _ detail: String) {
        let spec: JSON = ["containers": [["name": "c", "image": "x:1", "resources": resources]]]
        let errs = PodRules.validateSpec(spec, path: "spec")
        #expect(errs.map(\.field) == [field])
        #expect(errs.first?.detail == detail)
    }
}
