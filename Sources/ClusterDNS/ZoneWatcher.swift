import CLinuxNamespaces
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging
import ProcessTuning
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

    /// An EndpointSlice as the zone reads it: its Service, ports, and only the ready
    /// endpoints' addresses and hostnames (not-ready ones never answer).
    static func slimSlice(_ s: EndpointSlice) -> EndpointSlice {
        var meta = identity(s.metadata)
        if let svc = s.serviceName { meta["labels"] = [WellKnownLabels.serviceName: .string(svc)] }
        return EndpointSlice(
            metadata: ObjectMeta(["metadata": meta]),
            addressType: s.addressType,
            ports: s.ports,
            endpoints: s.endpoints.filter(\.isReady).map {
                EndpointSlice.Endpoint(addresses: $0.addresses, hostname: $0.hostname)
            }
        )
    }

    /// Name and namespace only: what the zone keys objects by.
    static func identity(_ m: ObjectMeta) -> JSON {
        var meta = JSONObject([("name", JSON.string(m.name))])
        if !m.namespace.isEmpty { meta["namespace"] = .string(m.namespace) }
        if let d = m.deletionTimestamp { meta["deletionTimestamp"] = .string(d) }
        return .object(meta)
    }

    public func run() async throws {
        let services = Informer(Resources.services, of: ZoneData.Service.self, client: client, logger: logger)
        let slices = Informer(
            Resources.endpointslices,
            of: EndpointSlice.self,
            client: client,
            logger: logger,
            transform: Self.slimSlice
        )
        let namespaces = Informer(Resources.namespaces, client: client, logger: logger) {
            ["metadata": Self.identity(ObjectMeta($0))]
        }
        let (signals, kick) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                let all: [any AnyInformer] = [services, slices, namespaces]
                for inf in all {
                    group.addTask { await inf.run() }
                    group.addTask { await inf.signalChanges(to: kick) }
                }
                group.addTask {
                    for inf in all { await inf.waitForSync() }
                    kick.yield()
                    var first = true
                    for await _ in signals {
                        let zone = ZoneData(
                            services: await services.list(),
                            slices: await slices.list(),
                            namespaces: await namespaces.list().map(\.name)
                        )
                        engine.update(zone)
                        if first {
                            // The initial lists were decoded once and dropped: give that memory back.
                            first = false
                            ProcessTuning.releaseFreeMemory()
                        }
                    }
                }
                await group.waitForAll()
            }
        }
    }
}
