import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging
import ServiceLifecycle

/// Runs the controllers as API clients of a cluster, until graceful shutdown — only while
/// it holds the `kube-system/swiftlet-controller-manager` Lease, so that with several API
/// servers on one store the controllers run once, and move when their holder dies.
public struct ControllerManager: ServiceLifecycle.Service {
    let client: KubeClient
    let logger: Logger
    let loadBalancerPool: LoadBalancerPool?
    let election: LeaderElector.Configuration
    /// The cluster CA, published to every namespace as `kube-root-ca.crt`.
    let rootCA: String?

    /// Without a pool, LoadBalancer Services stay `<pending>` (for another controller).
    /// `identity` names this candidate for leader election; the same identity after a
    /// restart takes the Lease back at once.
    public init(
        client: KubeClient,
        loadBalancerPool: LoadBalancerPool? = nil,
        identity: String,
        rootCA: String? = nil,
        leaseDuration: Duration = .seconds(15),
        logger: Logger
    ) {
        self.client = client
        self.rootCA = rootCA
        self.loadBalancerPool = loadBalancerPool
        self.logger = logger
        var election = LeaderElector.Configuration(name: "swiftlet-controller-manager", identity: identity)
        election.leaseDuration = leaseDuration
        election.renewDeadline = leaseDuration * 2 / 3
        election.retryPeriod = min(.seconds(2), leaseDuration / 5)
        self.election = election
    }

    public func run() async throws {
        let elector = LeaderElector(client: client, config: election, logger: logger)
        await cancelWhenGracefulShutdown {
            await elector.run { await self.runControllers() }
        }
    }

    func runControllers() async {
        let services = Informer(Resources.services, of: Service.self, client: client, logger: logger)
        let pods = Informer(Resources.pods, of: Pod.self, client: client, logger: logger)
        let slices = Informer(Resources.endpointslices, client: client, logger: logger)
        let endpoints = Informer(Resources.endpoints, client: client, logger: logger)
        let endpointsController = EndpointsController(
            client: client,
            services: services,
            pods: pods,
            slices: slices,
            endpoints: endpoints,
            logger: logger
        )
        let deployments = Informer(Resources.deployments, of: Deployment.self, client: client, logger: logger)
        let replicaSets = Informer(Resources.replicasets, of: ReplicaSet.self, client: client, logger: logger)
        let nodes = Informer(Resources.nodes, of: Node.self, client: client, logger: logger)
        let replicaSetController = ReplicaSetController(
            client: client,
            replicaSets: replicaSets,
            pods: pods,
            logger: logger
        )
        let replicationControllers = Informer(
            Resources.replicationcontrollers,
            of: ReplicaSet.self,
            client: client,
            logger: logger
        )
        let replicationManager = ReplicaSetController(
            client: client,
            kind: .replicationController,
            replicaSets: replicationControllers,
            pods: pods,
            logger: logger
        )
        let deploymentController = DeploymentController(
            client: client,
            deployments: deployments,
            replicaSets: replicaSets,
            logger: logger
        )
        let claims = Informer(Resources.persistentvolumeclaims, client: client, logger: logger)
        let volumes = Informer(Resources.persistentvolumes, client: client, logger: logger)
        let storageClasses = Informer(Resources.storageclasses, client: client, logger: logger)
        let scheduler = Scheduler(
            client: client,
            pods: pods,
            nodes: nodes,
            claims: claims,
            volumes: volumes,
            classes: storageClasses,
            logger: logger
        )
        let statefulSets = Informer(Resources.statefulsets, of: StatefulSet.self, client: client, logger: logger)
        let statefulSetController = StatefulSetController(
            client: client,
            sets: statefulSets,
            pods: pods,
            claims: claims,
            logger: logger
        )
        let daemonSets = Informer(Resources.daemonsets, of: DaemonSet.self, client: client, logger: logger)
        let daemonSetController = DaemonSetController(
            client: client,
            sets: daemonSets,
            pods: pods,
            nodes: nodes,
            logger: logger
        )
        let jobs = Informer(Resources.jobs, of: Job.self, client: client, logger: logger)
        let jobController = JobController(client: client, jobs: jobs, pods: pods, logger: logger)
        let cronJobs = Informer(Resources.cronjobs, client: client, logger: logger)
        let cronJobController = CronJobController(client: client, cronJobs: cronJobs, jobs: jobs, logger: logger)
        let taintEviction = TaintEvictionController(client: client, nodes: nodes, pods: pods, logger: logger)
        let budgets = Informer(Resources.poddisruptionbudgets, client: client, logger: logger)
        let disruption = DisruptionController(client: client, budgets: budgets, pods: pods, logger: logger)
        let persistentVolumes = PersistentVolumeController(
            client: client,
            claims: claims,
            volumes: volumes,
            classes: storageClasses,
            pods: pods,
            nodes: nodes,
            logger: logger
        )
        let gc = GarbageCollector(
            client: client,
            informers: [
                deployments, replicaSets, replicationControllers, statefulSets, daemonSets, jobs, cronJobs, pods,
                services, slices, endpoints, claims,
            ],
            logger: logger
        )
        let nodeLifecycle = NodeLifecycleController(client: client, nodes: nodes, pods: pods, logger: logger)
        let mirroring = MirroringController(
            client: client,
            services: services,
            slices: slices,
            endpoints: endpoints,
            logger: logger
        )
        let secrets = Informer(Resources.secrets, client: client, logger: logger)
        let configMaps = Informer(Resources.configmaps, client: client, logger: logger)
        let signer = BootstrapSigner(client: client, secrets: secrets, configMaps: configMaps, logger: logger)
        let namespaces = Informer(Resources.namespaces, client: client, logger: logger)
        let serviceAccounts = Informer(Resources.serviceaccounts, client: client, logger: logger)
        let clusterRoles = Informer(Resources.clusterroles, client: client, logger: logger)
        let aggregation = ClusterRoleAggregationController(client: client, clusterRoles: clusterRoles, logger: logger)
        let accounts = ServiceAccountsController(
            client: client,
            namespaces: namespaces,
            serviceAccounts: serviceAccounts,
            configMaps: configMaps,
            rootCA: rootCA,
            logger: logger
        )
        let loadBalancerIPs = loadBalancerPool.map {
            LoadBalancerIPController(client: client, services: services, pool: $0, logger: logger)
        }
        await withDiscardingTaskGroup { group in
            for informer in [
                services, pods, slices, endpoints, deployments, replicaSets, nodes, secrets, configMaps, namespaces,
                serviceAccounts, clusterRoles, claims, volumes, storageClasses, statefulSets,
                daemonSets, jobs, cronJobs, budgets, replicationControllers,
            ] as [any AnyInformer] {
                group.addTask { await informer.run() }
            }
            // Each controller ends its work queue when cancelled, so its run() returns.
            let controllers: [(run: @Sendable () async -> Void, stop: @Sendable () async -> Void)] = [
                ({ await endpointsController.run() }, { await endpointsController.stop() }),
                ({ await mirroring.run() }, { await mirroring.stop() }),
                ({ await replicaSetController.run() }, { await replicaSetController.stop() }),
                ({ await replicationManager.run() }, { await replicationManager.stop() }),
                ({ await statefulSetController.run() }, { await statefulSetController.stop() }),
                ({ await daemonSetController.run() }, { await daemonSetController.stop() }),
                ({ await jobController.run() }, { await jobController.stop() }),
                ({ await cronJobController.run() }, { await cronJobController.stop() }),
                ({ await disruption.run() }, { await disruption.stop() }),
                ({ await taintEviction.run() }, { await taintEviction.stop() }),
                ({ await deploymentController.run() }, { await deploymentController.stop() }),
                ({ await gc.run() }, { await gc.stop() }),
                ({ await scheduler.run() }, { await scheduler.stop() }),
                ({ await nodeLifecycle.run() }, { await nodeLifecycle.stop() }),
                ({ await signer.run() }, { await signer.stop() }),
                ({ await accounts.run() }, { await accounts.stop() }),
                ({ await aggregation.run() }, { await aggregation.stop() }),
                ({ await persistentVolumes.run() }, { await persistentVolumes.stop() }),
            ]
            if let lb = loadBalancerIPs {
                group.addTask {
                    await withTaskCancellationHandler {
                        await lb.run()
                    } onCancel: {
                        Task { await lb.stop() }
                    }
                }
            }
            for c in controllers {
                group.addTask {
                    await withTaskCancellationHandler {
                        await c.run()
                    } onCancel: {
                        Task { await c.stop() }
                    }
                }
            }
        }
    }
}
