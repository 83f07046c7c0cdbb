import APIServer
import ClusterDNS
import Controllers
import KubeAPI
import KubeClient
import Logging
import ServiceLifecycle

/// `swiftlet server`: the API server on its store, and the controllers as its clients,
/// until SIGINT or SIGTERM.
package struct ControlPlaneProcess {
    package var config: ServerConfiguration

    package init(config: ServerConfiguration) { self.config = config }

    package func run(logger: Logger, controllersLogger: Logger) async throws {
        let plane = try await ControlPlane.make(config, logger: logger)
        logger.info(
            "API server listening",
            metadata: [
                "addresses": "\(config.bindAddresses.map { "https://\($0):\(config.port)" }.joined(separator: ","))",
                "kubeconfig": "\(config.kubeconfigURL.path)",
            ]
        )
        // The controllers are API clients of this server, over HTTPS like any other client,
        // as kube-controller-manager with its roles.
        let client = try plane.loopbackClient(port: config.port, as: .controllerManager)
        let controllers = ControllerManager(
            client: client,
            identity: ControllerIdentity.of(dataDir: config.dataDir),
            rootCA: plane.pki.caCertPEM,
            logger: controllersLogger
        )
        let group = ServiceGroup(
            configuration: .init(
                services: plane.services.map { .init(service: $0) } + [
                    .init(service: ClientCloser(client: client)), .init(service: controllers),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        await plane.store.close()
    }
}

extension ControlPlane {
    /// A client of this control plane on 127.0.0.1 with its own token: how the in-process
    /// components (controllers, DNS, node agents) reach it.
    package func loopbackClient(port: Int) throws -> KubeClient {
        try KubeClient(
            credentials: ClusterCredentials(
                servers: ["https://127.0.0.1:\(port)"],
                caPEM: pki.caCertPEM,
                token: pki.token
            )
        )
    }

    /// A client on 127.0.0.1 that is `user` (a certificate of the cluster CA names it): a
    /// node's agent, or the DNS server, with the rights upstream gives its counterpart.
    package func loopbackClient(port: Int, as user: UserInfo, maxConnections: Int = 64) throws -> KubeClient {
        try KubeClient(
            credentials: ClusterCredentials(
                servers: ["https://127.0.0.1:\(port)"],
                caPEM: pki.caCertPEM,
                clientCertificate: try pki.clientCertificate(
                    user: user.name,
                    groups: user.groups.filter { $0 != UserInfo.authenticated }
                )
            ),
            maxConnections: maxConnections
        )
    }
}

/// The cluster DNS server on its own, against a running API server, until SIGINT or SIGTERM.
package struct StandaloneDNS {
    package var host: String
    package var port: Int
    package var clusterDomain: String
    /// `--upstream`: nil for the host's resolvers.
    package var upstream: String?

    package init(host: String, port: Int, clusterDomain: String, upstream: String?) {
        self.host = host
        self.port = port
        self.clusterDomain = clusterDomain
        self.upstream = upstream
    }

    package func run(client: KubeClient, logger: Logger) async throws {
        let metrics = DNSMetrics()
        let engine = DNSEngine(
            zone: ClusterZone(domain: clusterDomain),
            upstream: try KubeDNS.upstream(upstream, metrics: metrics),
            metrics: metrics
        )
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: ZoneWatcher(client: client, engine: engine, logger: logger)),
                    .init(service: DNSServer(host: host, port: port, engine: engine, logger: logger)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
