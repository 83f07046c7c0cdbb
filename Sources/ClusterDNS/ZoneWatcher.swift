import CLinuxNamespaces
import KubeAPI
import KubeMachinery
import KubeModel
import KubeClient
import Logging
import ServiceLifecycle

/// Keeps a `DNSEngine`'s zone in step with Services, EndpointSlices and Namespaces: every
/// change rebuilds the zone data (changes arriving together are folded into one rebuild).
public struct ZoneWatcher: ServiceLifecycle.Service {
    let client: KubeClient
    let engine: DNSEngine
    let logger: Logger

    public init(client: KubeClient, engine: DNSEngine, logger: Logger) {
        self.client = client
        self.engine = engine
        self.logger = logger
    }

    /// A Service as the zone reads it: type, addresses, ports (name, protocol, number) — the
    /// informer cache holds 10,000s of these.
    static func slimService(_ s: JSON) -> JSON {
        var out: JSON = ["metadata": identity(s)]
        var spec = JSONObject()
        for k in ["type", "clusterIP", "externalName"] { if let v = s[path: ["spec", k]] { spec[k] = v } }
        if let ports = s[path: ["spec", "ports"]]?.array {
            spec["ports"] = .array(ports.map { p in
                .object(JSONObject([("name", p["name"] ?? ""), ("protocol", p["protocol"] ?? "TCP"), ("port", p["port"] ?? 0)]))
            })
        }
        out["spec"] = .object(spec)
        return out
    }

    /// An EndpointSlice as the zone reads it: its Service, ports, and only the ready
    /// endpoints' addresses and hostnames (not-ready ones never answer).
    static func slimSlice(_ s: JSON) -> JSON {
        var meta = identity(s)
        if let svc = s.labels["kubernetes.io/service-name"] { meta["labels"] = ["kubernetes.io/service-name": .string(svc)] }
        var out: JSON = ["metadata": meta]
        if let t = s["addressType"] { out["addressType"] = t }
        if let ports = s["ports"] { out["ports"] = ports }
        out["endpoints"] = .array((s["endpoints"]?.array ?? []).compactMap { e in
            guard e[path: ["conditions", "ready"]]?.bool ?? true, let addresses = e["addresses"] else { return nil }
            var kept = JSONObject([("addresses", addresses)])
            if let h = e["hostname"] { kept["hostname"] = h }
            return .object(kept)
        })
        return out
    }

    /// Name and namespace only: what the zone keys objects by.
    static func identity(_ s: JSON) -> JSON {
        var meta = JSONObject([("name", JSON.string(s.name))])
        if !s.namespace.isEmpty { meta["namespace"] = .string(s.namespace) }
        if s.deletionTimestamp != nil { meta["deletionTimestamp"] = s[path: ["metadata", "deletionTimestamp"]] }
        return .object(meta)
    }

    public func run() async throws {
        let informers = [Informer(Resources.services, client: client, logger: logger, transform: Self.slimService),
                         Informer(Resources.endpointslices, client: client, logger: logger, transform: Self.slimSlice),
                         Informer(Resources.namespaces, client: client, logger: logger) { ["metadata": Self.identity($0)] }]
        let (signals, kick) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for inf in informers {
                    group.addTask { await inf.run() }
                    group.addTask {
                        for await _ in await inf.changes() { kick.yield() }
                    }
                }
                group.addTask {
                    for inf in informers { await inf.waitForSync() }
                    kick.yield()
                    var first = true
                    for await _ in signals {
                        let zone = ZoneData(services: await informers[0].list(), slices: await informers[1].list(),
                                            namespaces: await informers[2].list())
                        engine.update(zone)
                        if first {
                            // The initial lists were decoded once and dropped: give that memory back.
                            first = false
                            swiftlet_release_free_memory()
                        }
                    }
                }
                await group.waitForAll()
            }
        }
    }
}
