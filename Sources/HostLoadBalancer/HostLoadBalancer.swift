import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging
import ServiceLifecycle
import ServiceProxy

/// The load balancer in front of the nodes, the part a cloud provider supplies: it
/// watches LoadBalancer Services, their EndpointSlices and the Nodes, health-checks the
/// nodes, and keeps one nftables table in the host's namespace that spreads each
/// `EXTERNAL-IP:port` over the healthy nodes' NodePorts.
public actor HostLoadBalancer: ServiceLifecycle.Service {
    public struct Configuration: Sendable {
        /// The cluster's name, for the table's comment.
        public var cluster: String
        /// The nftables table (family `ip`) in the host namespace; nothing else is touched.
        public var table: String
        /// Every address of it refuses at once unless a Service's rules take the packet.
        public var pool: LoadBalancerPool
        public var prober = HealthProber.Configuration()
        public init(cluster: String, table: String, pool: LoadBalancerPool) {
            self.cluster = cluster
            self.table = table
            self.pool = pool
        }
    }

    let config: Configuration
    let client: KubeClient
    let dataplane: any Dataplane
    let logger: Logger
    let prober: HealthProber
    private var applied: [Frontend]?
    private var kick: AsyncStream<Void>.Continuation?

    public init(config: Configuration, client: KubeClient, dataplane: any Dataplane, logger: Logger) {
        self.config = config
        self.client = client
        self.dataplane = dataplane
        self.logger = logger
        prober = HealthProber(config: config.prober, logger: logger)
    }

    public nonisolated func run() async throws {
        // Both are listed, never selected by label: no label index.
        let services = Informer(
            Resources.services,
            of: KubeModel.Service.self,
            client: client,
            packed: true,
            replaysInitialList: false,
            indexedLabels: [],
            logger: logger
        ) { svc in
            var slim = svc
            slim.metadata = svc.metadata.slimmed(keepingLabels: [])
            slim.metadata.creationTimestamp = svc.metadata.creationTimestamp  // the older of two claims wins
            slim.selector = nil
            return slim
        }
        let slices = Informer(
            Resources.endpointslices,
            of: EndpointSlice.self,
            client: client,
            packed: true,
            replaysInitialList: false,
            indexedLabels: [],
            logger: logger
        ) { slice in
            var slim = slice
            slim.metadata = slice.metadata.slimmed(keepingLabels: [WellKnownLabels.serviceName])
            return slim
        }
        let nodes = Informer(Resources.nodes, of: Node.self, client: client, logger: logger)
        let (signals, kick) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await setKick(kick)
        let prober = self.prober
        let healthChanges = await prober.changes()
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                // Slices matter only for Services without NodePorts; checking is not worth it.
                for informer in [services, slices, nodes] as [any AnyInformer] {
                    group.addTask { await informer.run() }
                    group.addTask { await informer.signalChanges(to: kick) }
                }
                group.addTask { await prober.run() }
                group.addTask { for await _ in healthChanges { kick.yield() } }
                group.addTask {
                    await services.waitForSync()
                    await slices.waitForSync()
                    await nodes.waitForSync()
                    kick.yield()
                    for await _ in signals { await self.sync(services: services, slices: slices, nodes: nodes) }
                }
                await group.waitForAll()
            }
        }
        // The rules stay while the cluster runs without this process (like a cloud load
        // balancer); `swiftlet down` removes the table.
    }

    private func setKick(_ k: AsyncStream<Void>.Continuation) { kick = k }

    func sync(services: Informer<KubeModel.Service>, slices: Informer<EndpointSlice>, nodes: Informer<Node>) async {
        let svcs = await services.list().filter(\.isSwiftletLoadBalancer)
        let lbNodes = await nodes.list().compactMap(LoadBalancerNode.init).sorted { $0.name < $1.name }
        await prober.watch(LoadBalancerModel.probes(services: svcs, nodes: lbNodes))
        var slicesByService: [String: [EndpointSlice]] = [:]
        for svc in svcs where svc.allocateLoadBalancerNodePorts == false {
            slicesByService[svc.metadata.key] = await slices.list(namespace: svc.namespace).filter {
                $0.serviceName == svc.name
            }
        }
        let health = await prober.results()
        let frontends = LoadBalancerModel.frontends(
            services: svcs,
            slices: slicesByService,
            nodes: lbNodes,
            previous: applied ?? []
        ) { health[$0] }
        guard frontends != applied else { return }
        let script = LoadBalancerRuleset.script(
            table: config.table,
            cluster: config.cluster,
            pool: config.pool,
            frontends: frontends
        )
        do {
            try await dataplane.apply(script)
        } catch {
            logger.warning("load balancer rules were not applied (retrying in 1 s): \(error)")
            Task {
                try? await Task.sleep(for: .seconds(1))
                self.kick?.yield()
            }
            return
        }
        await flushUDP(from: applied ?? [], to: frontends)
        let before = Dictionary((applied ?? []).map { ($0.address, $0.targets) }, uniquingKeysWith: { a, _ in a })
        for f in frontends where before[f.address] != f.targets {
            logger.info(
                "load balancer \(f.ip):\(f.port)/\(f.proto.rawValue) (\(f.service)) → \(f.targets.isEmpty ? "nothing" : f.targets.map(\.description).joined(separator: ", "))"
            )
        }
        applied = frontends
    }

    /// UDP has no connections to end: flows still pinned to a target that left are deleted,
    /// so the next datagram is balanced again.
    func flushUDP(from old: [Frontend], to new: [Frontend]) async {
        let current = Dictionary(new.map { ($0.address, $0.targets) }, uniquingKeysWith: { a, _ in a })
        for f in old where f.proto == .udp {
            let now = current[f.address] ?? []
            for gone in f.targets where !now.contains(gone) {
                await dataplane.deleteConntrack([
                    "-p", "udp", "--orig-dst", f.ip.description, "--orig-port-dst", String(f.port),
                    "--dst-nat", gone.ip.description,
                ])
            }
        }
    }
}
