import CLinuxNamespaces
import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging
import ProcessTuning

/// The service proxy of one node (Swiftlet's kube-proxy): watches Services and
/// EndpointSlices, tracks which Services changed, renders their rules, and applies the
/// difference to the node's nftables table in one transaction. The first sync, any sync
/// after a failure, and one every `fullResyncInterval` replace the whole table instead.
public actor Proxier {
    public struct Configuration: Sendable {
        public var node: ProxyNode
        /// The node's network namespace: `/run/netns/<namespace>`.
        public var namespace: String
        public var fullResyncInterval: Duration = .seconds(3600)
        /// How long a pod being deleted keeps running after this node stopped routing to it,
        /// so other nodes' proxies (which sync in milliseconds) have stopped too.
        public var drainAllowance: Duration = .seconds(1)
        public var healthChecks = true

        public init(node: ProxyNode, namespace: String) {
            self.node = node
            self.namespace = namespace
        }
    }

    /// One applied sync, for benchmarks and logs.
    public struct SyncReport: Sendable {
        public var full: Bool
        public var services: [String]
        /// Rendering plus the kernel transaction.
        public var duration: Duration
        /// The kernel transaction alone (`nft -f`).
        public var applyDuration: Duration
        /// From the first change it includes to the rules being live.
        public var latency: Duration
        public var scriptBytes: Int
    }

    let config: Configuration
    let dataplane: any Dataplane
    let services: Informer<Service>
    let slices: Informer<EndpointSlice>
    let logger: Logger
    let health: HealthCheckServers?

    /// What the table holds and what the next sync must do: the pure part.
    private var state = ProxySyncState()
    private var lastFull = ContinuousClock.now
    private var dirty: [String: ContinuousClock.Instant] = [:]
    private var kick: AsyncStream<Void>.Continuation?
    private var reportSubscribers: [UUID: AsyncStream<SyncReport>.Continuation] = [:]
    private var routeWaiters: [UUID: (IPv4Address, CheckedContinuation<Void, Never>)] = [:]
    public private(set) var syncCount = 0

    public init(
        config: Configuration,
        dataplane: any Dataplane,
        services: Informer<Service>,
        slices: Informer<EndpointSlice>,
        logger: Logger
    ) {
        self.config = config
        self.dataplane = dataplane
        self.services = services
        self.slices = slices
        self.logger = logger
        health =
            config.healthChecks
            ? HealthCheckServers(
                netnsPath: "/run/netns/\(config.namespace)",
                address: config.node.nodeIP,
                nodeName: config.node.name,
                logger: logger
            ) : nil
    }

    /// Watches and syncs until cancelled. The informers must be running.
    public func run() async {
        let (signals, kick) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.kick = kick
        await health?.start()
        let serviceChanges = await services.changes()
        let sliceChanges = await slices.changes()
        await services.waitForSync()
        await slices.waitForSync()
        kick.yield()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await c in serviceChanges { await self.markDirty(c.key) }
            }
            group.addTask {
                for await c in sliceChanges {
                    for obj in [c.old, c.new].compactMap({ $0 }) {
                        if let svc = obj.serviceName { await self.markDirty("\(obj.namespace)/\(svc)") }
                    }
                }
            }
            group.addTask {
                for await _ in signals { await self.sync() }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(30))
                    await self.periodic()
                }
            }
            await group.waitForAll()
        }
        await health?.stop()
    }

    /// Sync reports as they happen.
    public func reports() -> AsyncStream<SyncReport> {
        let id = UUID()
        let (stream, c) = AsyncStream.makeStream(of: SyncReport.self)
        reportSubscribers[id] = c
        c.onTermination = { _ in Task { await self.unsubscribe(id) } }
        return stream
    }

    private func unsubscribe(_ id: UUID) { reportSubscribers[id] = nil }

    func markDirty(_ key: String) {
        if dirty[key] == nil { dirty[key] = .now }
        kick?.yield()
    }

    func periodic() {
        if ContinuousClock.now - lastFull >= config.fullResyncInterval { state.needsFull = true }
        if let health { Task { await health.touch() } }
        kick?.yield()
    }

    /// Replaces the whole table at the next sync (benchmarks; the periodic resync does this).
    public func requestFullSync() {
        state.needsFull = true
        kick?.yield()
    }

    /// Whether this node's rules send traffic to `ip` as a ready endpoint.
    public func routes(to ip: IPv4Address) -> Bool { state.routes(to: ip) }

    /// Returns once this node no longer routes to `ip` as a ready endpoint (or after
    /// `timeout`), then waits the drain allowance if it had been. Called before a pod gets
    /// SIGTERM. A terminating pod that is the last one serving stays routed (Kubernetes'
    /// terminating-endpoint fallback) and is not waited for.
    public func waitUntilDrained(_ ip: IPv4Address, timeout: Duration) async {
        guard routes(to: ip) else { return }
        let id = UUID()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { c in Task { await self.addRouteWaiter(id, ip, c) } }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                await self.releaseRouteWaiter(id)
            }
            _ = await group.next()
            group.cancelAll()
        }
        releaseRouteWaiter(id)
        try? await Task.sleep(for: min(config.drainAllowance, timeout))
    }

    private func addRouteWaiter(_ id: UUID, _ ip: IPv4Address, _ c: CheckedContinuation<Void, Never>) {
        if routes(to: ip) { routeWaiters[id] = (ip, c) } else { c.resume() }
    }

    private func releaseRouteWaiter(_ id: UUID) {
        routeWaiters.removeValue(forKey: id)?.1.resume()
    }

    /// The rules one Service should have now.
    func render(_ key: String) async -> ServiceFragment {
        guard let svc = await services.get(key) else { return ServiceFragment() }
        let ports = ProxyObjects.ports(of: svc)
        guard !ports.isEmpty else { return ServiceFragment() }
        let slices = await slices.select(namespace: svc.namespace, matchLabels: [WellKnownLabels.serviceName: svc.name])
        return ProxyRenderer.fragment(
            ports: ports,
            endpoints: ProxyObjects.endpoints(of: ports, slices: slices),
            node: config.node
        )
    }

    func sync() async {
        if await syncOnce() {
            // A full sync renders everything once and drops it: give that memory back, now
            // that all of it is free.
            ProcessTuning.releaseFreeMemory()
        }
    }

    /// Returns whether it replaced the whole table.
    private func syncOnce() async -> Bool {
        let start = ContinuousClock.now
        let pending = dirty
        dirty = [:]
        var plan: ProxySyncState.Plan
        if state.needsFull {
            var fragments: [String: ServiceFragment] = [:]
            for key in await services.keys() { fragments[key] = await render(key) }
            plan = state.planFull(config.node, fragments)
        } else {
            var rendered: [(key: String, fragment: ServiceFragment)] = []
            for key in pending.keys.sorted() { rendered.append((key, await render(key))) }
            plan = state.planUpdate(config.node, rendered)
        }
        if state.needsFull && !plan.full {
            // An applied fragment did not decode (a bug): start over with the whole table.
            logger.error("service proxy: applied rules do not decode; replacing the whole table")
            for (k, t) in pending where dirty[k] == nil { dirty[k] = t }
            kick?.yield()
            return false
        }
        logger.trace("service proxy transaction:\n\(plan.script)")
        let applyStart = ContinuousClock.now
        if !plan.script.isEmpty {
            do {
                try await dataplane.apply(plan.script)
            } catch {
                logger.error("service proxy sync failed, the next one replaces the table: \(error)")
                state.failed()
                for (k, t) in pending where dirty[k] == nil { dirty[k] = t }
                try? await Task.sleep(for: .seconds(1))
                kick?.yield()
                return false
            }
        }
        state.commit(&plan)
        if plan.full { lastFull = .now }
        syncCount += 1
        let end = ContinuousClock.now
        if !plan.script.isEmpty || plan.full {
            let first = pending.values.min() ?? start
            let report = SyncReport(
                full: plan.full,
                services: plan.changes.map(\.key),
                duration: end - start,
                applyDuration: end - applyStart,
                latency: end - first,
                scriptBytes: plan.script.utf8.count
            )
            logger.debug(
                "service proxy synced \(report.services.count) services (full: \(plan.full)) in \(report.duration)"
            )
            for c in reportSubscribers.values { c.yield(report) }
        }
        for c in plan.changes { await flushStaleUDP(old: c.old, new: c.new) }
        if let health,
            plan.full || plan.changes.contains(where: { !$0.old.healthChecks.isEmpty || !$0.new.healthChecks.isEmpty })
        {
            await health.reconcile(state.healthChecks.values.flatMap { $0 })
        }
        await health?.touch()
        for (id, w) in routeWaiters where !routes(to: w.0) {
            routeWaiters[id] = nil
            w.1.resume()
        }
        return plan.full
    }

    /// UDP has no connection to end: conntrack entries keep sending a flow to a removed
    /// endpoint, or past a Service that just got its first endpoint, until they are deleted.
    private func flushStaleUDP(old: ServiceFragment, new: ServiceFragment) async {
        for target in new.udpTargets {
            let before = old.udpTargets.first {
                $0.destinations.first == target.destinations.first && $0.port == target.port
            }
            if (before?.endpoints ?? []).isEmpty && !target.endpoints.isEmpty {
                for d in target.destinations {
                    await dataplane.deleteConntrack([
                        "-p", "udp", "--orig-dst", d.description, "--orig-port-dst", String(target.port),
                    ])
                }
                if let np = target.nodePort {
                    await dataplane.deleteConntrack(["-p", "udp", "--orig-port-dst", String(np)])
                }
            }
        }
        for before in old.udpTargets {
            let after = new.udpTargets.first {
                $0.destinations.first == before.destinations.first && $0.port == before.port
            }
            for ip in before.endpoints.subtracting(after?.endpoints ?? []) {
                for d in before.destinations {
                    await dataplane.deleteConntrack([
                        "-p", "udp", "--orig-dst", d.description, "--dst-nat", ip.description,
                    ])
                }
                if let np = before.nodePort {
                    await dataplane.deleteConntrack([
                        "-p", "udp", "--orig-port-dst", String(np), "--dst-nat", ip.description,
                    ])
                }
            }
        }
    }
}
