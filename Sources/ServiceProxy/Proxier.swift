import ProcessTuning
import Foundation
import CLinuxNamespaces
import KubeAPI
import KubeMachinery
import KubeClient
import KubeModel
import Logging

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

    /// What each Service has in the table, encoded (`ServiceFragment.encoded()`): kept for
    /// every Service, so it is kept small.
    private var applied = PackedBytes()
    private var hairpinCount: [IPv4Address: Int] = [:]
    private var routedCount: [IPv4Address: Int] = [:]
    private var healthChecks: [String: [HealthCheck]] = [:]
    /// The shared `pick-…` chains the kernel's table has.
    private var sharedChains: Set<String> = []
    private var needsFull = true
    private var lastFull = ContinuousClock.now
    private var dirty: [String: ContinuousClock.Instant] = [:]
    private var kick: AsyncStream<Void>.Continuation?
    private var reportSubscribers: [UUID: AsyncStream<SyncReport>.Continuation] = [:]
    private var routeWaiters: [UUID: (IPv4Address, CheckedContinuation<Void, Never>)] = [:]
    public private(set) var syncCount = 0

    public init(config: Configuration, dataplane: any Dataplane, services: Informer<Service>, slices: Informer<EndpointSlice>, logger: Logger) {
        self.config = config
        self.dataplane = dataplane
        self.services = services
        self.slices = slices
        self.logger = logger
        health = config.healthChecks
            ? HealthCheckServers(netnsPath: "/run/netns/\(config.namespace)", address: config.node.nodeIP,
                                 nodeName: config.node.name, logger: logger) : nil
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
        if ContinuousClock.now - lastFull >= config.fullResyncInterval { needsFull = true }
        if let health { Task { await health.touch() } }
        kick?.yield()
    }

    /// Replaces the whole table at the next sync (benchmarks; the periodic resync does this).
    public func requestFullSync() {
        needsFull = true
        kick?.yield()
    }

    /// Whether this node's rules send traffic to `ip` as a ready endpoint.
    public func routes(to ip: IPv4Address) -> Bool { (routedCount[ip] ?? 0) > 0 }

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
        return ProxyRenderer.fragment(ports: ports, endpoints: ProxyObjects.endpoints(of: ports, slices: slices), node: config.node)
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
        let full = needsFull
        let pending = dirty
        dirty = [:]
        var next: [String: ServiceFragment] = [:]
        /// A full sync's table, encoded: compared with `applied`, then kept as it.
        var fresh = PackedBytes()
        var changes: [(key: String, old: ServiceFragment, new: ServiceFragment)] = []
        let script: String
        if full {
            for key in await services.keys() {
                let f = await render(key)
                if !f.isEmpty { next[key] = f }
            }
            // Only what differs from the table: a periodic resync of an unchanged cluster
            // decodes nothing.
            for key in applied.keys where next[key] == nil { changes.append((key, appliedFragment(key), ServiceFragment())) }
            for (key, f) in next {
                let bytes = f.encoded()
                fresh.set(key, bytes)
                if !applied.holds(key, bytes) { changes.append((key, appliedFragment(key), f)) }
            }
            script = NFTScript.full(config.node, next.keys.sorted().map { next[$0]! })
        } else {
            for key in pending.keys.sorted() {
                let f = await render(key)
                let old = appliedFragment(key)
                if f != old { changes.append((key, old, f)) }
            }
            // Hairpin entries are shared between Services: only the first user adds one and
            // only the last removes it.
            var delta: [IPv4Address: Int] = [:]
            for c in changes {
                for ip in c.old.localEndpointIPs.subtracting(c.new.localEndpointIPs) { delta[ip, default: 0] -= 1 }
                for ip in c.new.localEndpointIPs.subtracting(c.old.localEndpointIPs) { delta[ip, default: 0] += 1 }
            }
            var added: Set<IPv4Address> = [], removed: Set<IPv4Address> = []
            for (ip, d) in delta {
                let before = hairpinCount[ip] ?? 0
                if before == 0 && before + d > 0 { added.insert(ip) }
                if before > 0 && before + d == 0 { removed.insert(ip) }
            }
            script = NFTScript.update(config.node, changes.map { (old: $0.old, new: $0.new) },
                                      hairpinAdded: added, hairpinRemoved: removed, existingSharedChains: sharedChains)
        }
        logger.trace("service proxy transaction:\n\(script)")
        let applyStart = ContinuousClock.now
        if !script.isEmpty {
            do {
                try await dataplane.apply(script)
            } catch {
                logger.error("service proxy sync failed, the next one replaces the table: \(error)")
                needsFull = true
                for (k, t) in pending where dirty[k] == nil { dirty[k] = t }
                try? await Task.sleep(for: .seconds(1))
                kick?.yield()
                return false
            }
        }
        if full {
            applied = fresh
        } else {
            for c in changes { applied.set(c.key, c.new.isEmpty ? nil : c.new.encoded()) }
        }
        if full { sharedChains = [] }
        for f in next.values where full { sharedChains.formUnion(f.sharedChains.keys) }
        for c in changes where !full { sharedChains.formUnion(c.new.sharedChains.keys) }
        if full {
            hairpinCount = [:]
            routedCount = [:]
            healthChecks = [:]
            for (key, f) in next { count(key, f, +1) }
            next = [:]
        } else {
            for c in changes {
                count(c.key, c.old, -1)
                count(c.key, c.new, +1)
            }
        }
        if full {
            needsFull = false
            lastFull = .now
        }
        syncCount += 1
        let end = ContinuousClock.now
        if !script.isEmpty || full {
            let first = pending.values.min() ?? start
            let report = SyncReport(full: full, services: changes.map(\.key), duration: end - start, applyDuration: end - applyStart,
                                    latency: end - first,
                                    scriptBytes: script.utf8.count)
            logger.debug("service proxy synced \(report.services.count) services (full: \(full)) in \(report.duration)")
            for c in reportSubscribers.values { c.yield(report) }
        }
        for c in changes { await flushStaleUDP(old: c.old, new: c.new) }
        if let health, full || changes.contains(where: { !$0.old.healthChecks.isEmpty || !$0.new.healthChecks.isEmpty }) {
            await health.reconcile(healthChecks.values.flatMap { $0 })
        }
        await health?.touch()
        for (id, w) in routeWaiters where !routes(to: w.0) {
            routeWaiters[id] = nil
            w.1.resume()
        }
        return full
    }

    /// What the table has for one Service. A fragment that does not decode (which would be a
    /// bug) counts as nothing, and the next sync replaces the whole table.
    private func appliedFragment(_ key: String) -> ServiceFragment {
        guard let bytes = applied[key] else { return ServiceFragment() }
        guard let f = ServiceFragment(encoded: bytes) else {
            logger.error("service proxy: the applied rules of \(key) do not decode; replacing the whole table")
            needsFull = true
            kick?.yield()
            return ServiceFragment()
        }
        return f
    }

    /// Table-wide counts kept in step with `applied`, one Service at a time.
    private func count(_ key: String, _ f: ServiceFragment, _ delta: Int) {
        for ip in f.localEndpointIPs { hairpinCount[ip, default: 0] += delta; if hairpinCount[ip] == 0 { hairpinCount[ip] = nil } }
        for ip in f.readyEndpointIPs { routedCount[ip, default: 0] += delta; if routedCount[ip] == 0 { routedCount[ip] = nil } }
        if delta > 0 { healthChecks[key] = f.healthChecks.isEmpty ? nil : f.healthChecks } else { healthChecks[key] = nil }
    }

    /// UDP has no connection to end: conntrack entries keep sending a flow to a removed
    /// endpoint, or past a Service that just got its first endpoint, until they are deleted.
    private func flushStaleUDP(old: ServiceFragment, new: ServiceFragment) async {
        for target in new.udpTargets {
            let before = old.udpTargets.first { $0.destinations.first == target.destinations.first && $0.port == target.port }
            if (before?.endpoints ?? []).isEmpty && !target.endpoints.isEmpty {
                for d in target.destinations {
                    await dataplane.deleteConntrack(["-p", "udp", "--orig-dst", d.description, "--orig-port-dst", String(target.port)])
                }
                if let np = target.nodePort { await dataplane.deleteConntrack(["-p", "udp", "--orig-port-dst", String(np)]) }
            }
        }
        for before in old.udpTargets {
            let after = new.udpTargets.first { $0.destinations.first == before.destinations.first && $0.port == before.port }
            for ip in before.endpoints.subtracting(after?.endpoints ?? []) {
                for d in before.destinations {
                    await dataplane.deleteConntrack(["-p", "udp", "--orig-dst", d.description, "--dst-nat", ip.description])
                }
                if let np = before.nodePort {
                    await dataplane.deleteConntrack(["-p", "udp", "--orig-port-dst", String(np), "--dst-nat", ip.description])
                }
            }
        }
    }
}
