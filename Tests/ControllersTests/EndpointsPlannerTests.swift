import KubeModel
import Testing

@testable import Controllers
@testable import KubeAPI
@testable import KubeMachinery

func pod(
    _ name: String,
    ip: String? = nil,
    ready: Bool = true,
    labels: [String: String] = ["app": "quiz"],
    node: String = "node-1",
    phase: String = "Running",
    terminating: Bool = false,
    namedPort: Int64? = nil,
    hostname: String? = nil,
    subdomain: String? = nil,
    namespace: String = "ns"
) -> Pod {
    var p: JSON = [
        "metadata": [
            "name": .string(name), "namespace": .string(namespace), "uid": .string("uid-\(name)"),
            "labels": JSON(labels),
        ],
        "spec": ["nodeName": .string(node), "containers": [["name": "c", "image": "agnhost"]]],
        "status": [
            "phase": .string(phase), "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]],
        ],
    ]
    if let ip { p[path: ["status", "podIP"]] = .string(ip) }
    if terminating { p[path: ["metadata", "deletionTimestamp"]] = "2026-11-27T10:00:00Z" }
    if let namedPort {
        p[path: ["spec", "containers"]] = [
            [
                "name": "c", "image": "a",
                "ports": [["name": "http", "containerPort": .int(namedPort), "protocol": "TCP"]],
            ]
        ]
    }
    if let hostname { p[path: ["spec", "hostname"]] = .string(hostname) }
    if let subdomain { p[path: ["spec", "subdomain"]] = .string(subdomain) }
    return Pod(p)
}

func service(
    _ name: String = "quiz",
    selector: [String: String]? = ["app": "quiz"],
    targetPort: JSON = 8080,
    publishNotReady: Bool = false,
    headless: Bool = false
) -> Service {
    var s: JSON = [
        "metadata": ["name": .string(name), "namespace": "ns", "uid": "svc-uid"],
        "spec": ["ports": [["name": "http", "port": 80, "protocol": "TCP", "targetPort": targetPort]]],
    ]
    if let selector { s[path: ["spec", "selector"]] = JSON(selector) }
    if publishNotReady { s[path: ["spec", "publishNotReadyAddresses"]] = true }
    if headless { s[path: ["spec", "clusterIP"]] = "None" }
    return Service(s)
}

func conditions(_ ep: JSON) -> (Bool, Bool, Bool) {
    (
        ep[path: ["conditions", "ready"]]?.bool ?? false, ep[path: ["conditions", "serving"]]?.bool ?? false,
        ep[path: ["conditions", "terminating"]]?.bool ?? false
    )
}

@Suite struct EndpointsPlannerTests {
    @Test(arguments: [
        // (pod ready, terminating, publishNotReady) → (ready, serving, terminating)
        (true, false, false, true, true, false),
        (false, false, false, false, false, false),
        (true, true, false, false, true, true),
        (false, true, false, false, false, true),
        (false, false, true, true, true, false),
        (false, true, true, true, true, true),
    ])
    func conditionsAsKubernetesComputesThem(
        ready: Bool,
        terminating: Bool,
        publish: Bool,
        eReady: Bool,
        eServing: Bool,
        eTerm: Bool
    ) {
        let ep = EndpointsPlanner.endpoint(
            pod("p", ip: "10.0.0.1", ready: ready, terminating: terminating),
            service(publishNotReady: publish)
        )
        #expect(conditions(ep) == (eReady, eServing, eTerm))
    }

    @Test func excludedPods() {
        let pods = [
            pod("noip"), pod("done", ip: "10.0.0.2", phase: "Succeeded"),
            pod("failed", ip: "10.0.0.3", phase: "Failed"),
            pod("other", ip: "10.0.0.4", labels: ["app": "x"]), pod("elsewhere", ip: "10.0.0.5", namespace: "other"),
            pod("ok", ip: "10.0.0.6"),
        ]
        let groups = EndpointsPlanner.desiredGroups(service(), pods: pods)
        #expect(groups.count == 1 && groups[0].endpoints.count == 1)
        #expect(groups[0].endpoints[0]["targetRef"]?["name"] == "ok")
        #expect(groups[0].endpoints[0]["nodeName"] == "node-1")
    }

    @Test func namedTargetPortsResolvedPerPod() {
        let svc = service(targetPort: "http")
        let pods = [
            pod("a", ip: "10.0.0.1", namedPort: 8080), pod("b", ip: "10.0.0.2", namedPort: 9090),
            pod("c", ip: "10.0.0.3", namedPort: 8080),
        ]
        let plan = EndpointsPlanner.planSlices(service: svc, pods: pods, existing: [])
        #expect(plan.create.count == 2)
        let byPort = Dictionary(
            uniqueKeysWithValues: plan.create.map {
                ($0["ports"]?[0]?["port"]?.int ?? 0, $0["endpoints"]?.array?.count ?? 0)
            }
        )
        #expect(byPort == [8080: 2, 9090: 1])
        #expect(plan.create[0]["ports"]?[0]?["name"] == "http")
    }

    @Test func slicesAreLabelledOwnedAndSplit() {
        let pods = (0..<250).map { pod("p\($0)", ip: "10.0.\($0 / 200).\($0 % 200)") }
        let plan = EndpointsPlanner.planSlices(
            service: service(headless: true),
            pods: pods,
            existing: [],
            maxEndpointsPerSlice: 100
        )
        #expect(plan.create.map { $0["endpoints"]?.array?.count ?? 0 } == [100, 100, 50])
        let s = plan.create[0]
        #expect(s.labels["kubernetes.io/service-name"] == "quiz")
        #expect(s.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io")
        #expect(s.labels["service.kubernetes.io/headless"] == "")
        #expect(s[path: ["metadata", "generateName"]] == "quiz-" && s["addressType"] == "IPv4")
        #expect(s.ownerReferences.first?["uid"] == "svc-uid" && s.ownerReferences.first?["controller"] == true)
    }

    @Test func emptyServiceGetsOnePlaceholderSlice() {
        let plan = EndpointsPlanner.planSlices(service: service(), pods: [], existing: [])
        #expect(plan.create.count == 1 && plan.create[0]["endpoints"] == [] && plan.create[0]["ports"] == [])
        var placeholder = plan.create[0]
        placeholder[path: ["metadata", "name"]] = "quiz-abcde"
        #expect(EndpointsPlanner.planSlices(service: service(), pods: [], existing: [placeholder]).isEmpty)
    }

    func stored(_ plan: EndpointsPlanner.SlicePlan) -> [JSON] {
        plan.create.enumerated().map { i, s in
            var s = s
            s[path: ["metadata", "name"]] = .string("quiz-\(i)")
            return s
        }
    }

    @Test func oneChangeOneWriteAndNothingWhenUnchanged() {
        let pods = (0..<150).map { pod("p\($0)", ip: "10.0.0.\($0)") }
        let existing = stored(EndpointsPlanner.planSlices(service: service(), pods: pods, existing: []))
        #expect(existing.count == 2)
        #expect(EndpointsPlanner.planSlices(service: service(), pods: pods, existing: existing).isEmpty)
        var changed = pods
        changed[120] = pod("p120", ip: "10.0.0.120", ready: false)
        let plan = EndpointsPlanner.planSlices(service: service(), pods: changed, existing: existing)
        let holder = existing.first { ($0["endpoints"]?.array ?? []).contains { $0["targetRef"]?["name"] == "p120" } }
        #expect(plan.update.count == 1 && plan.create.isEmpty && plan.delete.isEmpty)
        #expect(plan.update[0].name == holder?.name)
        // All pods of the second slice go: that slice is deleted, the first is untouched.
        let second = Set((existing[1]["endpoints"]?.array ?? []).compactMap { $0["targetRef"]?["name"]?.string })
        let gone = EndpointsPlanner.planSlices(
            service: service(),
            pods: pods.filter { !second.contains($0.name) },
            existing: existing
        )
        #expect(gone.delete == ["quiz-1"] && gone.update.isEmpty && gone.create.isEmpty)
    }

    @Test func hostnameWhenSubdomainMatches() {
        let ep = EndpointsPlanner.endpoint(pod("p", ip: "10.0.0.1", hostname: "web-0", subdomain: "quiz"), service())
        #expect(ep["hostname"] == "web-0")
        #expect(
            EndpointsPlanner.endpoint(pod("p", ip: "10.0.0.1", hostname: "web-0", subdomain: "other"), service())[
                "hostname"
            ] == nil
        )
    }

    @Test func endpointsObject() {
        let pods = [
            pod("b", ip: "10.0.0.2"), pod("a", ip: "10.0.0.1"), pod("n", ip: "10.0.0.3", ready: false),
            pod("t", ip: "10.0.0.4", terminating: true),
        ]
        let ep = EndpointsPlanner.endpoints(service: service(), pods: pods)
        let subset = ep["subsets"]?[0]
        #expect(subset?["addresses"]?.array?.compactMap { $0["ip"]?.string } == ["10.0.0.1", "10.0.0.2"])
        #expect(subset?["notReadyAddresses"]?.array?.compactMap { $0["ip"]?.string } == ["10.0.0.3"])
        #expect(subset?["ports"] == [["name": "http", "port": 8080, "protocol": "TCP"]])
        let publish = EndpointsPlanner.endpoints(service: service(publishNotReady: true), pods: pods)
        #expect(publish["subsets"]?[0]?["addresses"]?.array?.count == 4)
        #expect(EndpointsPlanner.endpoints(service: service(), pods: [])["subsets"] == nil)
        let many = (0..<1005).map { pod("p\($0)", ip: "10.1.\($0 / 250).\($0 % 250)") }
        let truncated = EndpointsPlanner.endpoints(service: service(), pods: many)
        #expect(truncated["subsets"]?[0]?["addresses"]?.array?.count == 1000)
        #expect(truncated.annotations["endpoints.kubernetes.io/over-capacity"] == "truncated")
    }
}

@Suite struct MirroringPlannerTests {
    let endpoints: JSON = [
        "metadata": ["name": "db", "namespace": "ns", "uid": "ep-uid", "labels": ["team": "data"]],
        "subsets": [
            [
                "addresses": [["ip": "172.30.0.1"]], "notReadyAddresses": [["ip": "172.30.0.2"]],
                "ports": [["name": "pg", "port": 5432, "protocol": "TCP"]],
            ]
        ],
    ]

    @Test func mirrorsOnlySelectorlessServicesWithoutSkipLabel() {
        let selectorless = Service(["metadata": ["name": "db"], "spec": ["ports": [["port": 5432]]]])
        let withSelector = Service(["metadata": ["name": "db"], "spec": ["selector": ["app": "db"]]])
        #expect(MirroringPlanner.shouldMirror(endpoints, service: selectorless))
        #expect(!MirroringPlanner.shouldMirror(endpoints, service: withSelector))
        #expect(!MirroringPlanner.shouldMirror(endpoints, service: nil))
        var skipped = endpoints
        skipped[path: ["metadata", "labels", "endpointslice.kubernetes.io/skip-mirror"]] = "true"
        #expect(!MirroringPlanner.shouldMirror(skipped, service: selectorless))
    }

    @Test func slicesFromSubsets() {
        let desired = MirroringPlanner.desiredSlices(endpoints)
        #expect(desired.count == 1)
        let s = desired[0]
        #expect(
            s.labels == [
                "team": "data", "kubernetes.io/service-name": "db",
                "endpointslice.kubernetes.io/managed-by": "endpointslicemirroring-controller.k8s.io",
            ]
        )
        #expect(s["endpoints"]?.array?.map { $0[path: ["conditions", "ready"]] } == [true, false])
        #expect(s["ports"] == [["name": "pg", "port": 5432, "protocol": "TCP"]])
        var existing = s
        existing[path: ["metadata", "name"]] = "db-x1"
        #expect(MirroringPlanner.plan(desired: desired, existing: [existing]).isEmpty)
        #expect(MirroringPlanner.plan(desired: [], existing: [existing]).delete == ["db-x1"])
    }

    @Test func mirroredSlicesHoldUpToAThousandAddresses() {
        var big = endpoints
        big["subsets"] = [
            [
                "addresses": .array((0..<1200).map { i in ["ip": .string("10.1.\(i / 256).\(i % 256)")] }),
                "ports": [["port": 80]],
            ]
        ]
        let desired = MirroringPlanner.desiredSlices(big)
        #expect(
            desired.map { $0["endpoints"]?.array?.count ?? 0 } == [1000],
            "one slice, truncated at 1,000 as Kubernetes does"
        )
    }
}
