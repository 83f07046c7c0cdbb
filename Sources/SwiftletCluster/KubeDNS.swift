import ClusterDNS
import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import Logging
import NodeAgent
import ServiceLifecycle
import Synchronization

/// The cluster DNS as Kubernetes users find it: the `kube-system/kube-dns` Service at the
/// tenth address of the service range, whose endpoint is Swiftlet's DNS server on the host
/// bridge (pods reach it through their node's service proxy, like any Service).
package enum KubeDNS {
    package static func service(_ net: ClusterNetwork) -> JSON {
        [
            "apiVersion": "v1", "kind": "Service",
            "metadata": [
                "name": "kube-dns", "namespace": "kube-system",
                "labels": [
                    "k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                    "kubernetes.io/name": "Swiftlet-DNS",
                ],
            ],
            "spec": [
                "clusterIP": .string(net.serviceCIDR.address(10).description),
                "ports": [
                    ["name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53],
                    ["name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53],
                    ["name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153],
                ],
            ],
        ]
    }

    package static func endpoints(_ net: ClusterNetwork, port: Int, metricsPort: Int) -> JSON {
        [
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": ["name": "kube-dns", "namespace": "kube-system", "labels": ["k8s-app": "kube-dns"]],
            "subsets": [
                [
                    "addresses": [["ip": .string(net.hostIP.description)]],
                    "ports": [
                        ["name": "dns", "port": .int(Int64(port)), "protocol": "UDP"],
                        ["name": "dns-tcp", "port": .int(Int64(port)), "protocol": "TCP"],
                        ["name": "metrics", "port": .int(Int64(metricsPort)), "protocol": "TCP"],
                    ],
                ]
            ],
        ]
    }

    /// Creates the Service if it is missing (or updates an older one) and points its
    /// Endpoints at the DNS and metrics ports on the host.
    package static func publish(
        client: KubeClient,
        net: ClusterNetwork,
        port: Int,
        metricsPort: Int,
        logger: Logger
    ) async {
        do {
            if var old = try? await client.get(Resources.services, namespace: "kube-system", name: "kube-dns") {
                let want = service(net)
                if old[path: ["spec", "ports"]]?.array?.count != want[path: ["spec", "ports"]]?.array?.count {
                    old[path: ["spec", "ports"]] = want[path: ["spec", "ports"]]
                    _ = try await client.update(Resources.services, namespace: "kube-system", old)
                }
            } else {
                _ = try await client.create(Resources.services, namespace: "kube-system", service(net))
            }
            let eps = endpoints(net, port: port, metricsPort: metricsPort)
            if (try? await client.get(Resources.endpoints, namespace: "kube-system", name: "kube-dns")) == nil {
                _ = try await client.create(Resources.endpoints, namespace: "kube-system", eps)
            } else {
                _ = try await client.update(Resources.endpoints, namespace: "kube-system", eps)
            }
        } catch {
            logger.error("could not publish the kube-dns Service: \(error)")
        }
    }

    /// The upstream resolvers from `--dns-upstream` ("none", or addresses with optional
    /// ports), or the host's.
    package static func upstream(_ option: String?, metrics: DNSMetrics) throws -> Upstream? {
        guard let option else {
            let servers = Upstream.hostResolvers()
            return servers.isEmpty ? nil : Upstream(servers: servers, metrics: metrics)
        }
        if option == "none" { return nil }
        let servers = try option.split(separator: ",").map { item -> (String, Int) in
            let parts = item.split(separator: ":")
            guard let ip = parts.first.flatMap({ IPv4Address(String($0)) }),
                let port = parts.count > 1 ? Int(parts[1]) : 53, parts.count <= 2
            else {
                throw ClusterSetupError(
                    "--dns-upstream \(option): expected none, or IPv4 addresses with optional ports (192.0.2.53,192.0.2.54:5353)"
                )
            }
            return (ip.description, port)
        }
        return Upstream(servers: servers, metrics: metrics)
    }
}

/// Publishes the kube-dns Endpoints once both the DNS and the metrics server have a port.
final class BoundPorts: Sendable {
    private let ports = Mutex<(dns: Int?, metrics: Int?)>((nil, nil))
    let ready: @Sendable (Int, Int) -> Void

    init(ready: @escaping @Sendable (Int, Int) -> Void) { self.ready = ready }

    func set(dns: Int? = nil, metrics: Int? = nil) {
        let both: (Int, Int)? = ports.withLock { p in
            if let dns { p.dns = dns }
            if let metrics { p.metrics = metrics }
            guard let d = p.dns, let m = p.metrics else { return nil }
            return (d, m)
        }
        if let both { ready(both.0, both.1) }
    }
}

/// Runs a server on the first port of `candidates` it can bind (0: any free port).
struct FirstBindable: ServiceLifecycle.Service {
    let candidates: [Int]
    let make: @Sendable (Int, @escaping @Sendable (Int) -> Void) -> any ServiceLifecycle.Service
    let onBound: @Sendable (Int) -> Void

    init(
        candidates: [Int],
        make: @escaping @Sendable (Int, @escaping @Sendable (Int) -> Void) -> any ServiceLifecycle.Service,
        onBound: @escaping @Sendable (Int) -> Void
    ) {
        self.candidates = candidates
        self.make = make
        self.onBound = onBound
    }

    func run() async throws {
        var lastError: (any Error)?
        for port in candidates {
            do {
                try await make(port, onBound).run()
                return
            } catch {
                lastError = error
            }
        }
        throw lastError ?? ClusterSetupError("no free port among \(candidates)")
    }
}
