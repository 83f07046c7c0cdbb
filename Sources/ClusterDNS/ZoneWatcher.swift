import CLinuxNamespaces
import KubeAPI
import KubeClient
import Logging
import ServiceLifecycle

/// Keeps a `DNSEngine`'s zone in step with Services, EndpointSlices and Namespaces: every
/// change rebuilds the zone data (changes arriving together are folded into one rebuild).
public struct ZoneWatcher: Service {
    let client: KubeClient
    let engine: DNSEngine
    let logger: Logger

    public init(client: KubeClient, engine: DNSEngine, logger: Logger) {
        self.client = client
        self.engine = engine
        self.logger = logger
    }

    public func run() async throws {
        let informers = [Informer(Resources.services, client: client, logger: logger) { $0.slimmed(keeping: ["spec"]) },
                         Informer(Resources.endpointslices, client: client, logger: logger) {
                             $0.slimmedSlice()
                         },
                         Informer(Resources.namespaces, client: client, logger: logger) { $0.slimmed(keeping: []) }]
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
