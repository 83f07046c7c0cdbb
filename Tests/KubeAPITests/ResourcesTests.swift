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

@Suite struct ContainerRulesTests {
    static func errors(_ spec: JSON) -> [String] {
        PodRules.validateSpec(spec, path: "spec").map(\.description)
    }

    @Test(
        arguments: [
            (
                ["postStart": .emptyObject] as JSON,
                ["spec.containers[0].lifecycle.postStart: Required value: must specify a handler type"]
            ),
            (
                ["preStop": ["exec": ["command": ["true"]], "sleep": ["seconds": 1]]],
                ["spec.containers[0].lifecycle.preStop.sleep: Forbidden: may not specify more than 1 handler type"]
            ),
            (
                ["preStop": ["sleep": ["seconds": 31]]],
                [
                    "spec.containers[0].lifecycle.preStop.sleep.seconds: Invalid value: 31: must be greater than 0 and less than terminationGracePeriodSeconds (30)"
                ]
            ),
            (["preStop": ["sleep": ["seconds": 5]], "postStart": ["httpGet": ["port": 8080]]], []),
        ] as [(JSON, [String])]
    )
    func lifecycleHooks(_ lifecycle: JSON, _ expected: [String]) {
        let spec: JSON = ["containers": [["name": "c", "image": "x:1", "lifecycle": lifecycle]]]
        #expect(Self.errors(spec) == expected)
    }

    @Test func restartPolicyOnlyMakesInitContainersSidecars() {
        let spec: JSON = [
            "containers": [["name": "app", "image": "x:1", "restartPolicy": "Always"]],
            "initContainers": [
                [
                    "name": "side", "image": "x:1", "restartPolicy": "Always",
                    "readinessProbe": ["tcpSocket": ["port": 1]],
                ],
                ["name": "setup", "image": "x:1", "restartPolicy": "Never"],
                ["name": "probed", "image": "x:1", "livenessProbe": ["tcpSocket": ["port": 1]]],
                ["name": "app", "image": "x:1"],
            ],
        ]
        #expect(
            Self.errors(spec) == [
                "spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers",
                "spec.initContainers[1].restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
                "spec.initContainers[2].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
                "spec.initContainers[3].name: Duplicate value: \"app\"",
            ]
        )
    }

    @Test func lifecycleHTTPHooksDefaultTheirScheme() {
        var c: JSON = ["name": "c", "image": "x:1", "lifecycle": ["preStop": ["httpGet": ["port": 80]]]]
        PodRules.defaultContainer(&c)
        #expect(c[path: ["lifecycle", "preStop", "httpGet", "scheme"]] == "HTTP")
    }

    @Test func sidecarsCountInTheReadyColumn() {
        let pod: JSON = [
            "metadata": ["name": "p", "namespace": "default", "creationTimestamp": "2026-01-01T00:00:00Z"],
            "spec": [
                "containers": [["name": "app", "image": "x:1"]],
                "initContainers": [
                    ["name": "setup", "image": "x:1"], ["name": "side", "image": "x:1", "restartPolicy": "Always"],
                ],
            ],
            "status": [
                "phase": "Running",
                "initContainerStatuses": [
                    [
                        "name": "setup", "restartCount": 0,
                        "state": ["terminated": ["exitCode": 0, "reason": "Completed"]],
                    ],
                    [
                        "name": "side", "restartCount": 2, "started": true, "ready": true,
                        "state": ["running": .emptyObject],
                    ],
                ],
                "containerStatuses": [
                    ["name": "app", "restartCount": 1, "ready": false, "state": ["running": .emptyObject]]
                ],
            ],
        ]
        let cells = PodRules.podCells(pod, Timestamp(seconds: 1_767_225_700))
        #expect(cells[0] == "1/2")
        #expect(cells[1] == "Running")
        #expect(cells[2] == "3")
    }
}

@Suite struct VolumeRulesTests {
    @Test func mountsNameAVolumeAndStayInIt() {
        let spec: JSON = [
            "containers": [
                [
                    "name": "c", "image": "x:1",
                    "volumeMounts": [
                        ["name": "data", "mountPath": "/data", "subPath": "../up"],
                        ["name": "nope", "mountPath": "/n"],
                        ["name": "data", "mountPath": "", "subPath": "/abs"],
                    ],
                ]
            ],
            "volumes": [["name": "data", "emptyDir": .emptyObject], ["name": "data", "emptyDir": .emptyObject]],
        ]
        #expect(
            PodRules.validateSpec(spec, path: "spec").map(\.description) == [
                "spec.volumes[1].name: Duplicate value: \"data\"",
                "spec.containers[0].volumeMounts[0].subPath: Invalid value: \"../up\": must not contain '..'",
                "spec.containers[0].volumeMounts[1].name: Not found: \"nope\"",
                "spec.containers[0].volumeMounts[2].mountPath: Required value",
                "spec.containers[0].volumeMounts[2].subPath: Invalid value: \"/abs\": must be a relative path",
            ]
        )
    }
}
