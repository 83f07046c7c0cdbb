import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Which external IP each LoadBalancer Service should have, decided from the Services
/// alone (their specs and the addresses their status already holds), so the answer
/// survives a restart of the controller and never gives one address to two Services
/// that may not share it. Pure.
///
/// Like MetalLB: `spec.loadBalancerIP` or the `metallb.universe.tf/loadBalancerIPs`
/// (`metallb.io/…`) annotation asks for an address; Services with the same
/// `…/allow-shared-ip` annotation value may share one when their ports differ.
public enum LoadBalancerIPPlanner {
    static let requestAnnotations = ["metallb.io/loadBalancerIPs", "metallb.universe.tf/loadBalancerIPs"]
    static let sharingAnnotations = ["metallb.io/allow-shared-ip", "metallb.universe.tf/allow-shared-ip"]

    public enum Outcome: Sendable, Equatable {
        case assigned(IPv4Address)
        case failed(String)
    }

    struct PortKey: Hashable {
        var proto: String
        var port: Int
    }

    struct Holder {
        var key: String
        var sharingKey: String?
        var ports: Set<PortKey>
    }

    /// The address a Service asks for, if any (nil), or an error for a malformed request.
    enum Request: Equatable {
        case any
        case address(IPv4Address)
        case malformed(String)
    }

    static func requested(_ svc: Service) -> Request {
        var texts: [String] = []
        for a in requestAnnotations {
            if let v = svc.metadata.annotations[a] {
                texts = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                break
            }
        }
        if texts.isEmpty, let ip = svc.loadBalancerIP { texts = [ip] }
        let v4 = texts.filter { !$0.contains(":") }
        guard let text = v4.first else { return .any }
        guard let ip = IPv4Address(text) else {
            return .malformed("requested address \"\(text)\" is not an IPv4 address")
        }
        return .address(ip)
    }

    static func sharingKey(_ svc: Service) -> String? {
        for a in sharingAnnotations { if let v = svc.metadata.annotations[a], !v.isEmpty { return v } }
        return nil
    }

    static func ports(_ svc: Service) -> Set<PortKey> {
        Set(svc.ports.compactMap { p in p.port.map { PortKey(proto: p.protocol.rawValue, port: $0) } })
    }

    /// The address the Service holds now (its status' first IPv4 ingress IP).
    public static func current(_ svc: Service) -> IPv4Address? {
        svc.ingressIPs.lazy.compactMap(IPv4Address.init).first
    }

    /// The outcome for every managed Service, keyed `namespace/name`.
    public static func plan(_ services: [Service], pool: LoadBalancerPool) -> [String: Outcome] {
        let managed = services.filter(\.isSwiftletLoadBalancer).sorted {
            let a = $0.metadata.creationTimestamp ?? "", b = $1.metadata.creationTimestamp ?? ""
            return a != b ? a < b : $0.cacheKey < $1.cacheKey
        }
        var holders: [IPv4Address: [Holder]] = [:]
        var out: [String: Outcome] = [:]

        func conflict(_ ip: IPv4Address, _ h: Holder) -> String? {
            guard let others = holders[ip], !others.isEmpty else { return nil }
            for o in others {
                guard let k = h.sharingKey, o.sharingKey == k else {
                    return "\(ip) is already used by Service \(o.key)"
                        + (h.sharingKey == nil
                            ? " (share it by giving both the annotation metallb.io/allow-shared-ip with one value)"
                            : " with another sharing key")
                }
                if let clash = h.ports.intersection(o.ports).first {
                    return "\(ip) is shared with Service \(o.key), which already uses port \(clash.port)/\(clash.proto)"
                }
            }
            return nil
        }

        // First, Services keep the address they hold if it is still what they ask for.
        var pending: [(Service, Holder)] = []
        for svc in managed {
            let h = Holder(key: svc.cacheKey, sharingKey: sharingKey(svc), ports: ports(svc))
            let want = requested(svc)
            if let ip = current(svc), pool.contains(ip), want == .any || want == .address(ip), conflict(ip, h) == nil {
                holders[ip, default: []].append(h)
                out[h.key] = .assigned(ip)
            } else {
                pending.append((svc, h))
            }
        }
        // Then the rest, oldest first: the address asked for, a shareable one, or the lowest free one.
        for (svc, h) in pending {
            switch requested(svc) {
            case .malformed(let message):
                out[h.key] = .failed(message)
            case .address(let ip):
                if !pool.contains(ip) {
                    out[h.key] = .failed("requested address \(ip) is outside the load balancer pool \(pool)")
                } else if let why = conflict(ip, h) {
                    out[h.key] = .failed("requested address " + why)
                } else {
                    holders[ip, default: []].append(h)
                    out[h.key] = .assigned(ip)
                }
            case .any:
                var chosen: IPv4Address?
                if h.sharingKey != nil {
                    chosen = holders.keys.sorted().first { ip in pool.contains(ip) && conflict(ip, h) == nil }
                }
                if chosen == nil {
                    var a = pool.first
                    while true {
                        if holders[a] == nil {
                            chosen = a
                            break
                        }
                        if a == pool.last { break }
                        a = a.advanced(by: 1)
                    }
                }
                if let ip = chosen {
                    holders[ip, default: []].append(h)
                    out[h.key] = .assigned(ip)
                } else {
                    out[h.key] = .failed(
                        "no available IPs: every address of the pool \(pool) (\(pool.size)) is in use; delete a LoadBalancer Service or start the cluster with a larger --load-balancer-pool"
                    )
                }
            }
        }
        return out
    }
}

/// Gives every LoadBalancer Service of Swiftlet's class an external IP from the pool
/// (`status.loadBalancer.ingress`), and records why when it cannot. The addresses live
/// only in the Services' status: each pass re-plans from the informer's cache.
public actor LoadBalancerIPController: Controller {
    let client: KubeClient
    let services: Informer<Service>
    let pool: LoadBalancerPool
    let events: EventRecorder
    public nonisolated let logger: Logger
    /// One key, `all`: addresses are planned over every Service at once.
    public nonisolated let queue = WorkQueue(name: "service_lb_ips")
    /// The last outcome announced per Service, so each change makes one Event.
    private var announced: [String: LoadBalancerIPPlanner.Outcome] = [:]

    public init(client: KubeClient, services: Informer<Service>, pool: LoadBalancerPool, logger: Logger) {
        self.client = client
        self.services = services
        self.pool = pool
        self.logger = logger
        events = EventRecorder(client: client, component: "swiftlet-load-balancer")
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await c in await self.services.changes() {
                    let relevant = [c.old, c.new].contains { $0?.type == .loadBalancer }
                    if relevant { await self.queue.add("all") }
                }
            }
            group.addTask {
                await self.services.waitForSync()
                await self.queue.add("all")
                await self.runWorkers()
            }
            await group.waitForAll()
        }
    }

    public func reconcile(_ key: String) async throws {
        let all = await services.list()
        let plan = LoadBalancerIPPlanner.plan(all, pool: pool)
        var failure: (any Error)?
        for svc in all {
            let key = svc.cacheKey
            guard let outcome = plan[key] else {
                announced[key] = nil
                continue
            }
            switch outcome {
            case .assigned(let ip):
                if LoadBalancerIPPlanner.current(svc) != ip {
                    let ingress: JSON = [["ip": .string(ip.description), "ipMode": "VIP"]]
                    do {
                        _ = try await client.patch(
                            Resources.services,
                            namespace: svc.namespace,
                            name: svc.name,
                            ["status": ["loadBalancer": ["ingress": ingress]]],
                            type: .merge,
                            subresource: "status"
                        )
                    } catch let e as APIError where e.code == 404 {
                        continue
                    } catch {
                        // The other Services still get theirs; this one is retried with back-off.
                        failure = failure ?? error
                        continue
                    }
                }
                if announced[key] != outcome {
                    announced[key] = outcome
                    await events.record(svc, reason: "IPAllocated", message: "Assigned IP [\"\(ip)\"]")
                }
            case .failed(let why):
                if LoadBalancerIPPlanner.current(svc) != nil {
                    // An address it may no longer have (another Service's, or not the one it asks for).
                    _ = try? await client.patch(
                        Resources.services,
                        namespace: svc.namespace,
                        name: svc.name,
                        ["status": ["loadBalancer": ["ingress": .null]]],
                        type: .merge,
                        subresource: "status"
                    )
                }
                if announced[key] != outcome {
                    announced[key] = outcome
                    logger.notice("Service \(key) gets no load balancer IP: \(why)")
                    await events.record(
                        svc,
                        type: "Warning",
                        reason: "AllocationFailed",
                        message: "Failed to allocate IP for \"\(key)\": \(why)"
                    )
                }
            }
        }
        if let failure { throw failure }
    }
}
