import ArgumentParser
import Foundation
import HostCommands
import HostLoadBalancer
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel

/// `swiftlet bench lb`: from `kubectl expose … --type=LoadBalancer` to the first answer on
/// the external IP, then requests/s and latency (wrk) through the external IP, a NodePort
/// and straight to a pod, in one run on one cluster.
struct LoadBalancerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lb",
        abstract: "LoadBalancer figures: expose to first answer; EXTERNAL-IP vs NodePort vs pod throughput."
    )

    @Option(help: "Nodes (one netexec pod on each).") var nodes = 3
    @Option(help: "How many times to expose and time the first answer.") var exposes = 20
    @Option(help: "Seconds per wrk run.") var duration = 10
    @Option(help: "wrk connections.") var connections = 16
    @Option(help: "Rounds over the three targets (alternating, to even out drift).") var rounds = 2

    func run() async throws {
        guard getuid() == 0 else { throw ValidationError("bench lb starts a cluster and must run as root") }
        guard HostCommand.which("wrk") != nil else {
            throw ValidationError(
                "bench lb needs wrk: `apt-get install wrk`, or run scripts/bench-lb.sh, which installs it"
            )
        }
        let cluster = try await BenchCluster(tag: "bl", nodes: nodes)
        defer { cluster.stop() }
        let client = try cluster.client()
        defer { Task { await client.shutdown() } }
        let deployment: JSON = [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "kiada"],
            "spec": [
                "replicas": JSON(nodes), "selector": ["matchLabels": ["app": "kiada"]],
                "template": [
                    "metadata": ["labels": ["app": "kiada"]],
                    "spec": [
                        "containers": [
                            [
                                "name": "app", "image": "registry.k8s.io/e2e-test-images/agnhost:2.53",
                                "args": ["netexec", "--http-port=8080"],
                                "readinessProbe": [
                                    "httpGet": ["path": "/healthz", "port": 8080],
                                    "periodSeconds": 1,
                                ],
                            ]
                        ]
                    ],
                ],
            ],
        ]
        _ = try await client.create(Resources.deployments, namespace: "default", deployment)
        var pods: [JSON] = []
        while pods.count < nodes {
            try await Task.sleep(for: .milliseconds(100))
            pods = try await client.list(Resources.pods, namespace: "default").items.filter { Pod($0).isReady }
        }
        print("\(nodes) nodes, \(nodes) netexec pods Ready; swiftlet up took \(format(Stats.ms(cluster.upTime))) ms")

        // 1. kubectl expose → external IP in status → first HTTP 200 from the host.
        var kubectlDone: [Double] = [], assigned: [Double] = [], answered: [Double] = []
        for i in 0..<exposes {
            let name = "kiada-\(i)"
            let t0 = ContinuousClock.now
            try await HostCommand.run(
                "env",
                [
                    "KUBECONFIG=\(cluster.kubeconfig)", "kubectl", "expose", "deployment", "kiada",
                    "--name", name, "--type=LoadBalancer", "--port", "8080",
                ]
            )
            kubectlDone.append(Stats.ms(ContinuousClock.now - t0))
            var ip: IPv4Address?
            while ip == nil {
                let svc = try await client.get(Resources.services, namespace: "default", name: name)
                ip = (svc[path: ["status", "loadBalancer", "ingress"]]?.array?.first?["ip"]?.string).flatMap(
                    IPv4Address.init
                )
                if ip == nil { try await Task.sleep(for: .milliseconds(2)) }
                if ContinuousClock.now - t0 > .seconds(30) {
                    throw ValidationError("\(name) got no external IP in 30 s")
                }
            }
            assigned.append(Stats.ms(ContinuousClock.now - t0))
            while await HTTPCheck.get(ip: ip!, port: 8080, path: "/hostname", timeout: .milliseconds(100)) != .ok {
                if ContinuousClock.now - t0 > .seconds(30) {
                    throw ValidationError("\(name) at \(ip!) did not answer in 30 s")
                }
                try await Task.sleep(for: .milliseconds(1))
            }
            answered.append(Stats.ms(ContinuousClock.now - t0))
            try await client.delete(Resources.services, namespace: "default", name: name)
            try await Task.sleep(for: .milliseconds(200))
        }
        func line(_ what: String, _ xs: [Double]) -> String {
            let s = Stats(samples: xs)
            return
                "  \(what): p50 \(format(s.percentile(0.5))) ms, p90 \(format(s.percentile(0.9))) ms, max \(format(s.percentile(1)))ms"
        }
        print("kubectl expose --type=LoadBalancer, \(exposes) times (from starting kubectl):")
        print(line("kubectl returned", kubectlDone))
        print(line("external IP in status", assigned))
        print(line("first HTTP 200 from the host via EXTERNAL-IP", answered))

        // 2. Throughput and latency, same cluster, same pods.
        try await HostCommand.run(
            "env",
            [
                "KUBECONFIG=\(cluster.kubeconfig)", "kubectl", "expose", "deployment", "kiada",
                "--type=LoadBalancer", "--port", "8080",
            ]
        )
        var svc = try await client.get(Resources.services, namespace: "default", name: "kiada")
        while svc[path: ["status", "loadBalancer", "ingress"]]?.array?.first == nil {
            try await Task.sleep(for: .milliseconds(10))
            svc = try await client.get(Resources.services, namespace: "default", name: "kiada")
        }
        let ip = svc[path: ["status", "loadBalancer", "ingress"]]![0]!["ip"]!.string!
        let nodePort = svc[path: ["spec", "ports"]]![0]!["nodePort"]!.intValue!
        let nodeIP = IPv4Network(cluster.nodeCIDR)!.address(11)
        let podIP = pods[0][path: ["status", "podIP"]]!.string!
        let targets = [
            ("EXTERNAL-IP", "http://\(ip):8080/hostname"),
            ("NodePort (node-1)", "http://\(nodeIP):\(nodePort)/hostname"),
            ("pod directly", "http://\(podIP):8080/hostname"),
        ]
        try await Task.sleep(for: .seconds(1))
        print("wrk -t2 -c\(connections) -d\(duration)s --latency, \(rounds) rounds:")
        for round in 1...rounds {
            for (what, url) in targets {
                let out = try await HostCommand.run(
                    "wrk",
                    ["-t2", "-c\(connections)", "-d\(duration)s", "--latency", url]
                )
                let r = WrkResult(out)
                print(
                    "  round \(round) \(what.padding(toLength: 18, withPad: " ", startingAt: 0)) \(format(r.requestsPerSecond)) req/s, "
                        + "p50 \(format(r.p50)) ms, p99 \(format(r.p99)) ms, errors \(r.errors)   (\(url))"
                )
            }
        }
    }
}

/// The figures of one `wrk --latency` run.
struct WrkResult {
    var requestsPerSecond = Double.nan
    var p50 = Double.nan
    var p99 = Double.nan
    var errors = 0

    init(_ text: String) {
        for raw in text.split(separator: "\n") {
            let f = raw.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let first = f.first else { continue }
            if first == "Requests/sec:", f.count > 1 { requestsPerSecond = Double(f[1]) ?? .nan }
            if first == "50%", f.count > 1 { p50 = Self.ms(f[1]) }
            if first == "99%", f.count > 1 { p99 = Self.ms(f[1]) }
            if first == "Non-2xx" || first == "Socket" {
                errors += f.compactMap { Int($0.trimmingCharacters(in: .punctuationCharacters)) }.reduce(0, +)
            }
        }
    }

    static func ms(_ s: String) -> Double {
        for (unit, factor) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where s.hasSuffix(unit) {
            return (Double(s.dropLast(unit.count)) ?? .nan) * factor
        }
        return .nan
    }
}
