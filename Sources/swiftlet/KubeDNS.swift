import ArgumentParser
import ClusterDNS
import Foundation
import KubeAPI
import KubeClient
import Logging
import NodeAgent
import ServiceLifecycle

/// The cluster DNS as Kubernetes users find it: the `kube-system/kube-dns` Service at the
/// tenth address of the service range, whose endpoint is Swiftlet's DNS server on the host
/// bridge (pods reach it through their node's service proxy, like any Service).
enum KubeDNS {
    static func service(_ net: ClusterNetwork) -> JSON {
        ["apiVersion": "v1", "kind": "Service",
         "metadata": ["name": "kube-dns", "namespace": "kube-system",
                      "labels": ["k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "Swiftlet-DNS"]],
         "spec": ["clusterIP": .string(net.serviceCIDR.address(10).description),
                  "ports": [["name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53],
                            ["name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53]]]]
    }

    static func endpoints(_ net: ClusterNetwork, port: Int) -> JSON {
        ["apiVersion": "v1", "kind": "Endpoints",
         "metadata": ["name": "kube-dns", "namespace": "kube-system", "labels": ["k8s-app": "kube-dns"]],
         "subsets": [["addresses": [["ip": .string(net.hostIP.description)]],
                      "ports": [["name": "dns", "port": .int(Int64(port)), "protocol": "UDP"],
                                ["name": "dns-tcp", "port": .int(Int64(port)), "protocol": "TCP"]]]]]
    }

    /// Creates the Service if it is missing and points its Endpoints at `port` on the host.
    static func publish(client: KubeClient, net: ClusterNetwork, port: Int, logger: Logger) async {
        do {
            if (try? await client.get(Resources.services, namespace: "kube-system", name: "kube-dns")) == nil {
                _ = try await client.create(Resources.services, namespace: "kube-system", service(net))
            }
            let eps = endpoints(net, port: port)
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
    static func upstream(_ option: String?) throws -> Upstream? {
        guard let option else {
            let servers = Upstream.hostResolvers()
            return servers.isEmpty ? nil : Upstream(servers: servers)
        }
        if option == "none" { return nil }
        let servers = try option.split(separator: ",").map { item -> (String, Int) in
            let parts = item.split(separator: ":")
            guard let ip = parts.first.flatMap({ IPv4Address(String($0)) }),
                  let port = parts.count > 1 ? Int(parts[1]) : 53, parts.count <= 2 else {
                throw ValidationError("--dns-upstream \(option): expected none, or IPv4 addresses with optional ports (192.0.2.53,192.0.2.54:5353)")
            }
            return (ip.description, port)
        }
        return Upstream(servers: servers)
    }
}

/// Runs the DNS server on the first port of `candidates` it can bind (0: any free port).
struct FirstBindable: Service {
    let candidates: [Int]
    let make: @Sendable (Int, @escaping @Sendable (Int) -> Void) -> DNSServer
    let onBound: @Sendable (Int) -> Void

    init(candidates: [Int], make: @escaping @Sendable (Int, @escaping @Sendable (Int) -> Void) -> DNSServer,
         onBound: @escaping @Sendable (Int) -> Void) {
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
        throw lastError ?? ValidationError("no port for cluster DNS")
    }
}
