import KubeMachinery
import KubeModel
import Testing

@testable import NodeAgent

@Suite struct PodSpecTests {
    @Test func defaultsAreUpstreams() {
        let spec = PodSpec(pod: ["metadata": ["name": "p"], "spec": ["containers": [["name": "c", "image": "i"]]]])
        #expect(spec.restartPolicy == "Always" && spec.dnsPolicy == "ClusterFirst")
        #expect(spec.terminationGracePeriodSeconds == 30 && spec.enableServiceLinks && !spec.hostNetwork)
        #expect(spec.serviceAccountName == "default" && spec.dnsConfig == nil && spec.hostname == nil)
        #expect(spec.containers.map(\.name) == ["c"] && spec.containers[0].command == nil)
    }

    @Test func everyEnvSourceIsRead() throws {
        let c = Container([
            "name": "c",
            "env": [
                ["name": "A", "value": "1"],
                ["name": "B", "valueFrom": ["fieldRef": ["fieldPath": "status.podIP"]]],
                ["name": "C", "valueFrom": ["resourceFieldRef": ["resource": "limits.cpu"]]],
                ["name": "D", "valueFrom": ["configMapKeyRef": ["name": "cfg", "key": "k", "optional": true]]],
                ["name": "E", "valueFrom": ["secretKeyRef": ["name": "s", "key": "pw"]]],
                ["value": "no name: dropped"],
            ],
            "envFrom": [
                ["prefix": "CFG_", "configMapRef": ["name": "cfg"]], ["secretRef": ["name": "s", "optional": true]],
            ],
            "resources": ["limits": ["cpu": "500m", "memory": 64]],
        ])
        #expect(c.env.map(\.name) == ["A", "B", "C", "D", "E"])
        #expect(c.env[0].value == "1" && c.env[0].valueFrom == nil)
        #expect(c.env[1].valueFrom == .fieldRef(fieldPath: "status.podIP"))
        #expect(c.env[2].valueFrom == .resourceFieldRef(resource: "limits.cpu", containerName: nil))
        #expect(c.env[3].valueFrom == .configMapKeyRef(name: "cfg", key: "k", optional: true))
        #expect(c.env[4].valueFrom == .secretKeyRef(name: "s", key: "pw", optional: false))
        #expect(c.envFrom.map(\.kind) == [.configMap, .secret] && c.envFrom[0].prefix == "CFG_")
        #expect(c.envFrom[1].optional && c.limits == ["cpu": "500m", "memory": "64"])
    }

    @Test func probesResolveNamedPortsAndKeepUpstreamsDefaults() throws {
        let c = Container([
            "name": "web",
            "ports": [["name": "http", "containerPort": 8080]],
            "readinessProbe": ["httpGet": ["path": "/ready", "port": "http"], "periodSeconds": 2],
            "livenessProbe": ["tcpSocket": ["port": 9000]],
            "startupProbe": ["grpc": ["port": 9090]],
        ])
        let readiness = try #require(ProbeSpec(c.readinessProbe, container: c))
        #expect(readiness.period == 2 && readiness.timeout == 1 && readiness.failureThreshold == 3)
        guard case let .http(scheme, host, port, path, _) = readiness.action else {
            Issue.record("not an HTTP probe: \(readiness.action)")
            return
        }
        #expect(scheme == "http" && host == nil && port == 8080 && path == "/ready")
        let liveness = try #require(ProbeSpec(c.livenessProbe, container: c))
        guard case .tcp(nil, 9000) = liveness.action else {
            Issue.record("not a TCP probe on 9000: \(liveness.action)")
            return
        }
        let startup = try #require(ProbeSpec(c.startupProbe, container: c))
        guard case .grpc(let port, let service) = startup.action else {
            Issue.record("not a gRPC probe: \(startup.action)")
            return
        }
        #expect(port > 0 && service == "")
        #expect(ProbeSpec(nil, container: c) == nil)
    }
}
