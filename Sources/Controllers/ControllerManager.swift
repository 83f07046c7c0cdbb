import KubeAPI
import KubeClient
import Logging
import ServiceLifecycle

/// Runs the controllers as API clients of a cluster, until graceful shutdown.
public struct ControllerManager: Service {
    let client: KubeClient
    let logger: Logger

    public init(client: KubeClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func run() async throws {
        let services = Informer(Resources.services, client: client, logger: logger)
        let pods = Informer(Resources.pods, client: client, logger: logger)
        let slices = Informer(Resources.endpointslices, client: client, logger: logger)
        let endpoints = Informer(Resources.endpoints, client: client, logger: logger)
        let endpointsController = EndpointsController(client: client, services: services, pods: pods, slices: slices,
                                                      endpoints: endpoints, logger: logger)
        let mirroring = MirroringController(client: client, services: services, slices: slices, endpoints: endpoints, logger: logger)
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for informer in [services, pods, slices, endpoints] {
                    group.addTask { await informer.run() }
                }
                group.addTask {
                    await withTaskCancellationHandler {
                        await endpointsController.run()
                    } onCancel: {
                        Task { await endpointsController.stop() }
                    }
                }
                group.addTask {
                    await withTaskCancellationHandler {
                        await mirroring.run()
                    } onCancel: {
                        Task { await mirroring.stop() }
                    }
                }
            }
        }
    }
}
