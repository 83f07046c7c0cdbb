import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Keeps every selector Service's Endpoints and EndpointSlices in step with its pods.
/// Two Kubernetes controllers (endpoints and endpointslice) sharing one set of informers.
public actor EndpointsController: Controller {
    let client: any ObjectWriter
    let services: Informer<Service>
    let pods: Informer<Pod>
    let slices: Informer<JSON>
    let endpoints: Informer<JSON>
    public nonisolated let queue = WorkQueue(name: "endpointslice")
    public nonisolated let logger: Logger
    public let maxEndpointsPerSlice: Int
    /// Reconciles in flight at once (kube-controller-manager's `--concurrent-endpoint-slice-syncs`
    /// defaults to 5). They interleave on this actor while their writes are in flight.
    public let workers: Int
    /// What this controller wrote last, by service key then slice key: the informer may not
    /// have seen it yet. Kept per service so a reconcile looks at its own writes only.
    private var writtenSlices: [String: [String: JSON]] = [:]
    /// Slices deleted, by service key then slice key → resourceVersion at deletion.
    private var deletedSlices: [String: [String: String]] = [:]
    /// The Endpoints objects written last, by service key.
    private var writtenEndpoints: [String: JSON] = [:]
    public private(set) var writes = 0

    public init(
        client: any ObjectWriter,
        services: Informer<Service>,
        pods: Informer<Pod>,
        slices: Informer<JSON>,
        endpoints: Informer<JSON>,
        maxEndpointsPerSlice: Int = 100,
        workers: Int = 5,
        logger: Logger
    ) {
        self.workers = workers
        self.client = client
        self.services = services
        self.pods = pods
        self.slices = slices
        self.endpoints = endpoints
        self.maxEndpointsPerSlice = maxEndpointsPerSlice
        self.logger = logger
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.watchServices() }
            group.addTask { await self.watchPods() }
            group.addTask { await self.watchOwned(self.slices, slices: true) }
            group.addTask { await self.watchOwned(self.endpoints, slices: false) }
            group.addTask {
                await self.services.waitForSync()
                await self.pods.waitForSync()
                await self.slices.waitForSync()
                await self.endpoints.waitForSync()
                for svc in await self.services.list() { await self.queue.add(svc.cacheKey) }
                // Slices whose service is gone.
                for s in await self.slices.list()
                where s.labels[EndpointsPlanner.managedByLabel] == EndpointsPlanner.managedBy {
                    if let svc = s.labels[EndpointsPlanner.serviceNameLabel] {
                        await self.queue.add("\(s.namespace)/\(svc)")
                    }
                }
                await self.runWorkers(self.workers)
            }
            await group.waitForAll()
        }
    }

    /// Services seen deleted: their Endpoints go too (Endpoints of selector-less services are
    /// the user's, but they share the Service's lifetime, as in Kubernetes).
    private var deletedServices: Set<String> = []

    /// Every Service's selector, so a pod event finds its Services without scanning them all.
    private var selectorIndex = SelectorIndex()

    private func index(_ key: String, _ svc: Service?) {
        let selector = svc.flatMap { $0.type == .externalName ? nil : $0.selector }
        selectorIndex.set(key, namespace: svc?.namespace ?? "", selector: selector)
    }

    private func watchServices() async {
        for await c in await services.changes() {
            if c.new == nil { deletedServices.insert(c.key) }
            index(c.key, c.new)
            await queue.add(c.key)
        }
    }

    private func watchPods() async {
        let changes = await pods.changes()
        await services.waitForSync()
        for svc in await services.list() { index(svc.cacheKey, svc) }
        for await c in changes {
            let ns = (c.new ?? c.old)?.namespace ?? ""
            var affected = c.new.map { selectorIndex.matching(namespace: ns, labels: $0.labels) } ?? []
            if let old = c.old { affected.formUnion(selectorIndex.matching(namespace: ns, labels: old.labels)) }
            for key in affected { await queue.add(key) }
        }
    }

    /// Objects this controller writes: a change by someone else re-queues their Service. The
    /// echo of its own write (the resourceVersion it got back) does not, as kube-controller-
    /// manager's slice tracker skips its own generations: nothing would be left to do, and
    /// with several workers each echo would cost a reconcile of its own.
    private func watchOwned(_ informer: Informer<JSON>, slices: Bool) async {
        for await c in await informer.changes() {
            guard let obj = c.new ?? c.old,
                let name = slices ? obj.labels[EndpointsPlanner.serviceNameLabel] : obj.name
            else { continue }
            let svcKey = "\(obj.namespace)/\(name)"
            let written = slices ? writtenSlices[svcKey]?[c.key] : writtenEndpoints[svcKey]
            if let written, c.new == nil || Self.rv(written) <= Self.rv(c.new) {
                // The informer has caught up with (or gone past) this controller's write: its
                // view is the one to trust from now on.
                if slices { writtenSlices[svcKey]?[c.key] = nil } else { writtenEndpoints[svcKey] = nil }
                if let new = c.new, Self.rv(written) == Self.rv(new) { continue }
            }
            await queue.add(svcKey)
        }
    }

    private static func perform(_ write: (@Sendable () async throws -> JSON)?) async throws -> JSON? {
        try await write?()
    }

    static func rv(_ obj: JSON?) -> Int { Int(obj?.resourceVersion ?? "") ?? 0 }

    /// The managed slices of a service: the informer's view, corrected by this controller's own writes.
    private func currentSlices(namespace: String, service: String) async -> [JSON] {
        let svcKey = "\(namespace)/\(service)"
        var result: [String: JSON] = [:]
        for s in await slices.select(
            namespace: namespace,
            matchLabels: [
                EndpointsPlanner.serviceNameLabel: service, EndpointsPlanner.managedByLabel: EndpointsPlanner.managedBy,
            ]
        ) {
            result[Informer.key(s)] = s
        }
        for (k, w) in writtenSlices[svcKey] ?? [:] {
            if Self.rv(w) > Self.rv(result[k]) { result[k] = w } else { writtenSlices[svcKey]?[k] = nil }
        }
        for (k, rv) in deletedSlices[svcKey] ?? [:] {
            if let s = result[k], Self.rv(s) <= Int(rv) ?? 0 {
                result[k] = nil
            } else if result[k] == nil {
                deletedSlices[svcKey]?[k] = nil
            }
        }
        if writtenSlices[svcKey]?.isEmpty == true { writtenSlices[svcKey] = nil }
        if deletedSlices[svcKey]?.isEmpty == true { deletedSlices[svcKey] = nil }
        return Array(result.values)
    }

    public func reconcile(_ key: String) async throws {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return }
        let (ns, name) = (parts[0], parts[1])
        let svc = await services.get(key)
        let selector = svc?.selector ?? [:]
        let existing = await currentSlices(namespace: ns, service: name)
        guard let svc, !selector.isEmpty, svc.type != .externalName else {
            // No service, or one without a selector: nothing of ours may remain.
            for s in existing { try await deleteSlice(s, service: key) }
            if svc == nil, deletedServices.remove(key) != nil, await endpoints.get(key) != nil {
                try await ignoreNotFound {
                    try await self.client.delete(Resources.endpoints, namespace: ns, name: name)
                }
                writtenEndpoints[key] = nil
                writes += 1
            }
            return
        }
        let podList = await pods.select(namespace: ns, matchLabels: selector)
        let plan = EndpointsPlanner.planSlices(
            service: svc,
            pods: podList,
            existing: existing,
            maxEndpointsPerSlice: maxEndpointsPerSlice
        )
        // The Endpoints write goes out alongside the slice writes: neither waits for the other.
        let endpointsWrite = await endpointsWrite(svc, pods: podList)
        async let endpointsWritten = Self.perform(endpointsWrite)
        for s in plan.create {
            let created = try await client.create(Resources.endpointslices, namespace: ns, s)
            writtenSlices[key, default: [:]][Informer.key(created)] = created
            writes += 1
        }
        for s in plan.update {
            let updated = try await client.update(Resources.endpointslices, namespace: ns, s)
            writtenSlices[key, default: [:]][Informer.key(updated)] = updated
            writes += 1
        }
        for n in plan.delete {
            if let s = existing.first(where: { $0.name == n }) { try await deleteSlice(s, service: key) }
        }
        if let written = try await endpointsWritten {
            writtenEndpoints[key] = written
            writes += 1
        }
    }

    private func deleteSlice(_ s: JSON, service: String) async throws {
        try await ignoreNotFound {
            try await self.client.delete(Resources.endpointslices, namespace: s.namespace, name: s.name)
        }
        writtenSlices[service]?[Informer.key(s)] = nil
        deletedSlices[service, default: [:]][Informer.key(s)] = s.resourceVersion
        writes += 1
    }

    private func ignoreNotFound(_ body: () async throws -> Void) async throws {
        do { try await body() } catch let e as APIError where e.code == 404 {}
    }

    /// The write that brings the Service's Endpoints in line, or nil when they already are.
    private func endpointsWrite(_ svc: Service, pods: [Pod]) async -> (@Sendable () async throws -> JSON)? {
        let desired = EndpointsPlanner.endpoints(service: svc, pods: pods)
        let key = svc.cacheKey
        let current = writtenEndpoints[key].flatMap { w in Self.rv(w) > 0 ? w : nil }
        var existing = await endpoints.get(key)
        if let current, Self.rv(current) > Self.rv(existing) { existing = current }
        let client = self.client, ns = svc.namespace
        guard var existing else {
            return { try await client.create(Resources.endpoints, namespace: ns, desired) }
        }
        var next = existing
        next["subsets"] = desired["subsets"]
        next[path: ["metadata", "labels"]] = desired[path: ["metadata", "labels"]]
        var annotations = existing.annotations
        annotations["endpoints.kubernetes.io/over-capacity"] =
            desired.annotations["endpoints.kubernetes.io/over-capacity"]
        if annotations.isEmpty {
            next[path: ["metadata", "annotations"]] = nil
        } else {
            next[path: ["metadata", "annotations"]] = JSON(annotations)
        }
        existing[path: ["metadata", "managedFields"]] = nil
        if next == existing { return nil }
        let update = next
        return { try await client.update(Resources.endpoints, namespace: ns, update) }
    }
}
