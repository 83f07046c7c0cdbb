import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Mirrors the hand-written Endpoints of selector-less Services into EndpointSlices, so a
/// Service can point at something outside the cluster and every consumer of slices sees it.
public actor MirroringController: Controller {
    let client: KubeClient
    let services: Informer<Service>
    let slices: Informer<JSON>
    let endpoints: Informer<JSON>
    public nonisolated let queue = WorkQueue(name: "endpointslice_mirroring")
    public nonisolated let logger: Logger

    public init(
        client: KubeClient,
        services: Informer<Service>,
        slices: Informer<JSON>,
        endpoints: Informer<JSON>,
        logger: Logger
    ) {
        self.client = client
        self.services = services
        self.slices = slices
        self.endpoints = endpoints
        self.logger = logger
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await c in await self.services.changes() { await self.queue.add(c.key) } }
            group.addTask { for await c in await self.endpoints.changes() { await self.queue.add(c.key) } }
            group.addTask {
                for await c in await self.slices.changes() {
                    // Its own slices, and the EndpointSlice controller's (whose arrival lets it hand over).
                    guard let s = c.new ?? c.old, let svc = s.labels[EndpointsPlanner.serviceNameLabel] else {
                        continue
                    }
                    await self.queue.add("\(s.namespace)/\(svc)")
                }
            }
            group.addTask {
                await self.endpoints.waitForSync()
                await self.services.waitForSync()
                await self.slices.waitForSync()
                for ep in await self.endpoints.list() { await self.queue.add(Informer.key(ep)) }
                await self.runWorkers()
            }
            await group.waitForAll()
        }
    }

    public func reconcile(_ key: String) async throws {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return }
        let ep = await endpoints.get(key)
        let svc = await services.get(key)
        let existing = await slices.select(
            namespace: parts[0],
            matchLabels: [
                EndpointsPlanner.serviceNameLabel: parts[1],
                EndpointsPlanner.managedByLabel: MirroringPlanner.managedBy,
            ]
        )
        let desired =
            ep.flatMap { MirroringPlanner.shouldMirror($0, service: svc) ? MirroringPlanner.desiredSlices($0) : nil }
            ?? []
        var plan = MirroringPlanner.plan(desired: desired, existing: existing)
        // A Service that gained a selector: keep the mirrored slices until the EndpointSlice
        // controller's are there, so its clients never see it without endpoints.
        if desired.isEmpty, !plan.delete.isEmpty, let svc, !(svc.selector ?? [:]).isEmpty {
            let handedOver =
                !(await slices.select(
                    namespace: parts[0],
                    matchLabels: [
                        EndpointsPlanner.serviceNameLabel: parts[1],
                        EndpointsPlanner.managedByLabel: EndpointsPlanner.managedBy,
                    ]
                )).isEmpty
            if !handedOver { plan.delete = [] }
        }
        for s in plan.create { _ = try await client.create(Resources.endpointslices, namespace: parts[0], s) }
        for s in plan.update { _ = try await client.update(Resources.endpointslices, namespace: parts[0], s) }
        for n in plan.delete {
            do { try await client.delete(Resources.endpointslices, namespace: parts[0], name: n) } catch let e
                as APIError where e.code == 404
            {}
        }
    }
}
