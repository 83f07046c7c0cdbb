import Foundation
import Hummingbird
import HummingbirdTLS
import HummingbirdWebSocket
import KubeAPI
import KubeMachinery
import KubeStore
import Logging
import NIOSSL
import ServiceLifecycle

/// How the API server is set up.
public struct ServerConfiguration: Sendable {
    public var dataDir: URL
    public var bindAddresses: [String] = ["127.0.0.1"]
    public var port = 6443
    /// The address other components and the `kubernetes` Service's endpoints use.
    public var advertiseAddress = "127.0.0.1"
    public var serviceCIDR = IPv4Network("10.96.0.0/12")!
    public var nodePortRange = 30000...32767
    public var storeURL: String?  // nil: SQLite in the data directory; "memory": in memory; "etcd://h:p[,h:p…]"
    public var contextName = "swiftlet"
    public var mergeUserKubeconfig = true
    public var extraSANs: [String] = []
    public var compactionInterval: Duration = .seconds(60)
    public var historyWindow: Duration = .seconds(300)

    public init(dataDir: URL) { self.dataDir = dataDir }

    /// `/var/lib/swiftlet` as root, `~/.swiftlet` otherwise.
    public static var defaultDataDir: URL {
        if getuid() == 0 { return URL(fileURLWithPath: "/var/lib/swiftlet") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".swiftlet")
    }

    public var kubeconfigURL: URL { dataDir.appendingPathComponent("kubeconfig") }
    public var pkiDir: URL { dataDir.appendingPathComponent("pki") }
}

/// The assembled control plane: store, registry, HTTPS servers and background services.
public struct ControlPlane: Sendable {
    public let configuration: ServerConfiguration
    public let store: any Store
    public let registry: Registry
    public let pki: PKI
    public let services: [any Service]

    public static let version = "0.1.0"

    public static func make(
        _ config: ServerConfiguration,
        extensions: APIExtensions = APIExtensions(),
        logger: Logger = Logger(label: "swiftlet.apiserver")
    ) async throws -> ControlPlane {
        try FileManager.default.createDirectory(at: config.dataDir, withIntermediateDirectories: true)
        let store: any Store
        switch config.storeURL {
        case "memory": store = MemoryStore()
        case nil: store = try SQLiteStore(path: config.dataDir.appendingPathComponent("state.db").path)
        case let url? where url.hasPrefix("etcd://"):
            store = try EtcdStore(url: url)
            _ = try await store.currentRevision()  // fail now, with the member list, if none answers
        case let url?:
            throw APIError.badRequest(
                "unsupported store \(url): use sqlite (the default), memory, or etcd://host:2379[,host:2379…]"
            )
        }
        let kubernetesIP = config.serviceCIDR.address(1).description
        let ips = Array(
            Set(
                ["127.0.0.1", config.advertiseAddress, kubernetesIP] + config.bindAddresses.filter { $0 != "0.0.0.0" }
                    + config.extraSANs.filter { IPv4Address($0) != nil }
            )
        ).sorted()
        let dns = Array(
            Set(
                [
                    "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                    "kubernetes.default.svc.cluster.local",
                ] + config.extraSANs.filter { IPv4Address($0) == nil }
            )
        ).sorted()
        let pki = try PKI.loadOrCreate(in: config.pkiDir, ipAddresses: ips, dnsNames: dns)

        let allocator = ServiceAllocator(serviceCIDR: config.serviceCIDR, nodePorts: config.nodePortRange)
        if store is EtcdStore { await allocator.claimThrough(store) }  // other API servers may share it
        let registry = Registry(store: store, allocator: allocator, logger: logger, admission: true)
        try await registry.start()
        try await Bootstrap.run(registry, config: config, logger: logger)
        try await Bootstrap.reconcileRBAC(registry)
        try await Bootstrap.ensureStorageClass(registry)
        try await Bootstrap.publishClusterInfo(registry, config: config, caPEM: pki.caCertPEM)

        let serverURL =
            "https://\(config.advertiseAddress == "0.0.0.0" ? "127.0.0.1" : config.advertiseAddress):\(config.port)"
        let localURL =
            config.bindAddresses.contains("127.0.0.1") || config.bindAddresses.contains("0.0.0.0")
            ? "https://127.0.0.1:\(config.port)" : serverURL
        let doc = Kubeconfig.document(
            server: localURL,
            caPEM: pki.caCertPEM,
            clientCertPEM: pki.adminCertPEM,
            clientKeyPEM: pki.adminKeyPEM,
            context: config.contextName
        )
        try Kubeconfig.write(doc, to: config.kubeconfigURL)
        if config.mergeUserKubeconfig {
            let home = FileManager.default.homeDirectoryForCurrentUser
            let userConfig =
                ProcessInfo.processInfo.environment["KUBECONFIG"].flatMap { $0.split(separator: ":").first }
                .map { URL(fileURLWithPath: String($0)) } ?? home.appendingPathComponent(".kube/config")
            if userConfig.standardizedFileURL != config.kubeconfigURL.standardizedFileURL {
                do { try Kubeconfig.merge(doc, into: userConfig, context: config.contextName) } catch {
                    logger.warning(
                        "could not merge the context into \(userConfig.path): \(error); use KUBECONFIG=\(config.kubeconfigURL.path)"
                    )
                }
            }
        }

        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pki.serverCertPEM.utf8)).map {
                .certificate($0)
            },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pki.serverKeyPEM.utf8), format: .pem))
        )
        tls.certificateVerification = .optionalVerification
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pki.caCertPEM.utf8)))

        let proxy = PodProxy(registry: registry, agentToken: pki.token)
        var extensions = extensions
        let serviceAccountTokens = try {
            var tokens = try ServiceAccountTokens(caKeyPEM: pki.caKeyPEM)
            tokens.caCertPEM = pki.caCertPEM
            return tokens
        }()
        // Bootstrap tokens (`<id>.<secret>`, kept in kube-system Secrets) authenticate joining
        // nodes; JWTs are ServiceAccount tokens.
        extensions.setTokenCheck { [registry] bearer in
            if let token = BootstrapToken(bearer) {
                guard
                    let secret = try? await registry.get(
                        Resources.secrets,
                        namespace: BootstrapToken.namespace,
                        name: token.secretName
                    ), BootstrapToken.from(secret: secret, usage: "authentication") == token
                else { return nil }
                return BootstrapToken.user(id: token.id, secret: secret)
            }
            return await serviceAccountTokens.authenticate(bearer, registry: registry)
        }
        extensions.addSubresource("pods", "log") { _, _, namespace, name, _, query, _ in
            try await proxy.logs(namespace: namespace ?? "default", name: name, query: query)
        }
        for kind in PodProxy.StreamTarget.Kind.allCases {
            extensions.addSubresource("pods", kind.rawValue) { _, _, namespace, name, _, query, _ in
                // Reached when the WebSocket upgrade was declined: report why.
                let target = PodProxy.StreamTarget(
                    kind: kind,
                    namespace: namespace ?? "default",
                    name: name,
                    query: query
                )
                _ = try await proxy.streamingURL(target)
                throw APIError.badRequest(
                    "Upgrade request required: \(kind.rawValue) is served over WebSocket (\(kind == .portforward ? PodProxy.portForwardTunnel : PodProxy.channelProtocols.joined(separator: ", ")))"
                )
            }
        }
        extensions.addSubresource("pods", "proxy") { request, _, namespace, name, _, _, _ in
            try await proxy.proxyToPod(request, namespace: namespace ?? "default", nameAndPort: name)
        }
        extensions.addSubresource("services", "proxy") { request, _, namespace, name, _, _, _ in
            try await proxy.proxyToService(request, namespace: namespace ?? "default", nameAndPort: name)
        }
        let authorizer = Authorizer(registry: registry, logger: logger)
        let handler = APIHandler(
            registry: registry,
            token: pki.token,
            serverAddress: "\(config.advertiseAddress):\(config.port)",
            version: version,
            extensions: extensions,
            serviceAccountTokens: serviceAccountTokens,
            authorizer: authorizer,
            logger: logger
        )
        let authenticator = handler.authenticator
        var services: [any Service] = []
        for address in config.bindAddresses {
            var httpLogger = logger
            httpLogger.logLevel = max(logger.logLevel, .notice)
            let app = Application(
                responder: handler,
                server: try .tls(
                    // kubectl sends stdin and port-forward data in messages of up to 32 KiB.
                    .http1WebSocketUpgrade(configuration: .init(ws: .init(maxFrameSize: 1 << 20))) {
                        request,
                        channel,
                        _ in
                        // As for any request: who the caller is, whom it acts as
                        // (`kubectl exec --as`), and whether that user may.
                        var denial: APIError?
                        if let caller = await authenticator.authenticate(
                            authorization: request.headerFields[.authorization],
                            channel: channel
                        ) {
                            do throws(APIError) {
                                let user = try await handler.impersonation(of: caller, request.headerFields)
                                try await handler.authorize(
                                    user,
                                    method: request.method.rawValue,
                                    path: String((request.path ?? "").prefix { $0 != "?" }),
                                    query: nil
                                )
                            } catch {
                                denial = error
                            }
                        } else {
                            denial = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")
                        }
                        return await proxy.streamUpgrade(request, denial: denial)
                    },
                    tlsConfiguration: tls
                ),
                configuration: .init(
                    address: .hostname(address, port: config.port),
                    serverName: nil,
                    reuseAddress: true
                ),
                logger: httpLogger
            )
            services.append(app)
        }
        services.append(
            CompactionService(
                store: store,
                interval: config.compactionInterval,
                window: config.historyWindow,
                logger: logger
            )
        )
        services.append(WatchCloser(store: store))
        services.append(AuthorizerService(authorizer: authorizer))
        services.append(
            CertificateSigningService(
                registry: registry,
                authorizer: authorizer,
                caCertPEM: pki.caCertPEM,
                caKeyPEM: pki.caKeyPEM,
                logger: logger
            )
        )
        services.insert(ProxyCloser(proxy: proxy), at: 0)
        return ControlPlane(configuration: config, store: store, registry: registry, pki: pki, services: services)
    }
}

/// Ends open watches when shutdown begins. The HTTP servers wait for open responses before
/// they stop, and a watch is a response that never ends by itself. Services shut down in
/// reverse order, so this one, listed after the servers, runs first.
struct WatchCloser: Service {
    let store: any Store

    func run() async throws {
        try? await gracefulShutdown()
        await store.closeWatches()
    }
}

/// Shuts the pod proxy's HTTP client once the servers have stopped (it is listed first,
/// so it stops last).
struct ProxyCloser: Service {
    let proxy: PodProxy
    func run() async throws {
        try? await gracefulShutdown()
        await proxy.shutdown()
    }
}

/// Drops store history older than the window, as Kubernetes compacts etcd every five minutes.
struct CompactionService: Service {
    let store: any Store
    let interval: Duration
    let window: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var marks: [(ContinuousClock.Instant, Int64)] = []
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                guard let rev = try? await store.currentRevision() else { continue }
                let now = ContinuousClock.now
                marks.append((now, rev))
                if let cutoff = marks.last(where: { now - $0.0 >= window }) {
                    try? await store.compact(through: cutoff.1)
                    marks.removeAll { $0.0 <= cutoff.0 }
                }
            }
        }
    }
}

/// The objects every cluster starts with: system namespaces and the `kubernetes` Service.
enum Bootstrap {
    static func run(_ registry: Registry, config: ServerConfiguration, logger: Logger) async throws {
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            if (try? await registry.get(Resources.namespaces, namespace: nil, name: ns)) == nil {
                _ = try await registry.create(
                    Resources.namespaces,
                    namespace: nil,
                    body: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]]
                )
            }
        }
        let ip = config.serviceCIDR.address(1).description
        if (try? await registry.get(Resources.services, namespace: "default", name: "kubernetes")) == nil {
            _ = try await registry.create(
                Resources.services,
                namespace: "default",
                body: [
                    "apiVersion": "v1", "kind": "Service",
                    "metadata": [
                        "name": "kubernetes", "labels": ["component": "apiserver", "provider": "kubernetes"],
                    ],
                    "spec": [
                        "type": "ClusterIP", "clusterIP": .string(ip), "sessionAffinity": "None",
                        "ports": [["name": "https", "port": 443, "protocol": "TCP", "targetPort": JSON(config.port)]],
                    ],
                ]
            )
        }
        let address = config.advertiseAddress == "0.0.0.0" ? "127.0.0.1" : config.advertiseAddress
        guard Validation.nonSpecialIPErrors(address).isEmpty else {
            // Kubernetes refuses loopback endpoints, and so do we: a server that only listens on
            // loopback leaves the `kubernetes` Service without endpoints, as kube-apiserver would.
            logger.notice(
                "the kubernetes Service gets no endpoints: the advertised address \(address) is not one a pod could reach (pass --bind-address with a routable address first)"
            )
            return
        }
        let endpoints: JSON = [
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": ["name": "kubernetes", "labels": ["endpointslice.kubernetes.io/skip-mirror": "true"]],
            "subsets": [
                [
                    "addresses": [["ip": .string(address)]],
                    "ports": [["name": "https", "port": JSON(config.port), "protocol": "TCP"]],
                ]
            ],
        ]
        try await upsert(registry, Resources.endpoints, "default", "kubernetes", endpoints)
        let slice: JSON = [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": ["name": "kubernetes", "labels": ["kubernetes.io/service-name": "kubernetes"]],
            "addressType": "IPv4",
            "endpoints": [["addresses": [.string(address)], "conditions": ["ready": true]]],
            "ports": [["name": "https", "port": JSON(config.port), "protocol": "TCP"]],
        ]
        try await upsert(registry, Resources.endpointslices, "default", "kubernetes", slice)
    }

    /// The built-in local-path StorageClass, the default (k3s ships the same): made once, so
    /// a user who takes its default mark away keeps it that way.
    static func ensureStorageClass(_ registry: Registry) async throws {
        guard (try? await registry.get(Resources.storageclasses, namespace: nil, name: LocalPath.className)) == nil
        else { return }
        do { try await makeStorageClass(registry) } catch { guard error.code == 409 else { throw error } }
    }

    static func makeStorageClass(_ registry: Registry) async throws(APIError) {
        _ = try await registry.create(
            Resources.storageclasses,
            namespace: nil,
            body: [
                "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                "metadata": [
                    "name": .string(LocalPath.className),
                    "annotations": [StorageRules.defaultClassAnnotation: "true"],
                ],
                "provisioner": .string(LocalPath.provisioner), "reclaimPolicy": "Delete",
                "volumeBindingMode": "WaitForFirstConsumer",
            ]
        )
    }

    /// The default ClusterRoles and bindings: made when missing, and brought back to
    /// Swiftlet's version while they carry the autoupdate annotation (as upstream reconciles
    /// its bootstrap policy at every start). An aggregated role keeps the rules its
    /// controller gave it.
    static func reconcileRBAC(_ registry: Registry) async throws {
        for (r, objects) in [
            (Resources.clusterroles, RBACDefaults.allClusterRoles),
            (Resources.clusterrolebindings, RBACDefaults.allClusterRoleBindings),
        ] {
            for desired in objects {
                guard var current = try? await registry.get(r, namespace: nil, name: desired.name) else {
                    // Another API server of the cluster may make it at the same moment.
                    do { _ = try await registry.create(r, namespace: nil, body: desired) } catch {
                        guard error.code == 409 else { throw error }
                    }
                    continue
                }
                guard current[path: ["metadata", "annotations", RBACDefaults.autoupdateAnnotation]]?.string == "true"
                else { continue }
                var changed = current
                for key in ["subjects", "roleRef", "aggregationRule"] { changed[key] = desired[key] }
                if desired["aggregationRule"] == nil { changed["rules"] = desired["rules"] }
                if let labels = desired[path: ["metadata", "labels"]]?.object {
                    for (k, v) in labels { changed[path: ["metadata", "labels", k]] = v }
                }
                guard changed != current else { continue }
                current = changed
                do { _ = try await registry.update(r, namespace: nil, name: desired.name, body: current) } catch {
                    guard error.code == 409 else { throw error }
                }
            }
        }
    }

    /// `kube-public/cluster-info`: the server's address and CA as a kubeconfig, readable without
    /// credentials. Joining nodes trust it only once it carries their token's signature
    /// (added by the bootstrap signer); signatures already there are kept.
    static func publishClusterInfo(_ registry: Registry, config: ServerConfiguration, caPEM: String) async throws {
        let address = config.advertiseAddress == "0.0.0.0" ? "127.0.0.1" : config.advertiseAddress
        let kubeconfig = try Kubeconfig.clusterInfo(server: "https://\(address):\(config.port)", caPEM: caPEM)
        if var current = try? await registry.get(Resources.configmaps, namespace: "kube-public", name: "cluster-info") {
            // Another server of the same cluster (same CA) published it first: its address stays,
            // so servers sharing a store do not take turns rewriting it (and its signatures).
            let b64 = Data(caPEM.utf8).base64EncodedString()
            guard current[path: ["data", "kubeconfig"]]?.string?.contains(b64) != true else { return }
            current[path: ["data", "kubeconfig"]] = .string(kubeconfig)
            _ = try await registry.update(
                Resources.configmaps,
                namespace: "kube-public",
                name: "cluster-info",
                body: current
            )
        } else {
            _ = try await registry.create(
                Resources.configmaps,
                namespace: "kube-public",
                body: [
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": ["name": "cluster-info", "namespace": "kube-public"],
                    "data": ["kubeconfig": .string(kubeconfig)],
                ]
            )
        }
    }

    static func upsert(_ registry: Registry, _ r: Resource, _ ns: String, _ name: String, _ desired: JSON) async throws
    {
        if var current = try? await registry.get(r, namespace: ns, name: name) {
            for key in ["subsets", "endpoints", "ports", "addressType"] where desired[key] != nil {
                current[key] = desired[key]
            }
            current[path: ["metadata", "labels"]] = desired[path: ["metadata", "labels"]]
            _ = try await registry.update(r, namespace: ns, name: name, body: current)
        } else {
            _ = try await registry.create(r, namespace: ns, body: desired)
        }
    }
}
