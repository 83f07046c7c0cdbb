import Foundation
import KubeAPI
import KubeMachinery
import KubeStore

/// Hands out ClusterIPs and NodePorts. Its state is rebuilt from the stored Services on
/// start, so a restart never hands out an address twice.
public actor ServiceAllocator {
    public let serviceCIDR: IPv4Network
    public let nodePorts: ClosedRange<Int>
    private var usedIPs: Set<UInt32> = []
    private var usedPorts: Set<Int> = []
    private var rng = SystemRandomNumberGenerator()
    /// With a store several API servers share (etcd), every address and port is also claimed
    /// by creating a key in it: creation is atomic, so two servers never hand out the same
    /// one. Released with the Service.
    private var sharedStore: (any Store)?

    static let claimPrefix = "/registry/swiftlet.io/serviceallocations/"
    static func claimKey(ip: IPv4Address) -> String { claimPrefix + "clusterips/\(ip)" }
    static func claimKey(port: Int) -> String { claimPrefix + "nodeports/\(port)" }

    public func claimThrough(_ store: any Store) { sharedStore = store }

    /// Creates the claim; false when another server holds it. Store errors count as held
    /// (never hand out what might be taken).
    private func claim(_ key: String) async -> Bool {
        guard let store = sharedStore else { return true }
        do {
            _ = try await store.create(key, value: Array(Timestamp.now.rfc3339Micro.utf8))
            return true
        } catch {
            return false
        }
    }

    private func unclaim(_ keys: [String]) async {
        guard let store = sharedStore else { return }
        for k in keys { _ = try? await store.delete(k, expectedModRevision: nil) }
    }

    public init(serviceCIDR: IPv4Network, nodePorts: ClosedRange<Int>) {
        self.serviceCIDR = serviceCIDR
        self.nodePorts = nodePorts
    }

    /// Addresses a service holds, as recorded in its spec.
    public struct Holdings: Sendable, Equatable {
        public var ips: [IPv4Address] = []
        public var ports: [Int] = []

        public init(service: JSON) {
            let spec = service["spec"] ?? .emptyObject
            if let ip = spec["clusterIP"]?.string.flatMap(IPv4Address.init) { ips.append(ip) }
            // An ExternalName Service may carry nodePorts, but never holds them.
            for p in spec["ports"]?.array ?? [] where ServiceRules.type(service) != "ExternalName" {
                if let np = p["nodePort"]?.intValue, np != 0, !ports.contains(np) { ports.append(np) }
            }
            if let hc = spec["healthCheckNodePort"]?.intValue, hc != 0, !ports.contains(hc) { ports.append(hc) }
        }

        public init() {}
    }

    /// Records what a stored Service holds.
    public func markUsed(_ h: Holdings) {
        for ip in h.ips { usedIPs.insert(ip.value) }
        for p in h.ports { usedPorts.insert(p) }
    }

    /// With a shared store: claims whatever stored Services hold that has no claim yet
    /// (Services written before claims existed), so no other server hands it out.
    public func ensureClaims(_ holdings: [Holdings]) async {
        guard let store = sharedStore, let (existing, _) = try? await store.list(prefix: Self.claimPrefix) else {
            return
        }
        let have = Set(existing.map(\.key))
        for h in holdings {
            for key in h.ips.map({ Self.claimKey(ip: $0) }) + h.ports.map({ Self.claimKey(port: $0) })
            where !have.contains(key) {
                _ = await claim(key)
            }
        }
    }

    public func release(_ h: Holdings) async {
        for ip in h.ips { usedIPs.remove(ip.value) }
        for p in h.ports { usedPorts.remove(p) }
        await unclaim(h.ips.map { Self.claimKey(ip: $0) } + h.ports.map { Self.claimKey(port: $0) })
    }

    public func isUsed(ip: IPv4Address) -> Bool { usedIPs.contains(ip.value) }

    public enum Failure: Error, Equatable {
        case ipOutOfRange(String)
        case ipAllocated(String)
        case ipRangeFull
        case portOutOfRange(Int)
        case portAllocated(Int)
        case portRangeFull
    }

    /// Reserves a specific address.
    public func reserve(ip: IPv4Address) async throws(Failure) {
        guard serviceCIDR.contains(ip), ip != serviceCIDR.first, ip != serviceCIDR.broadcast else {
            throw .ipOutOfRange(ip.description)
        }
        guard !usedIPs.contains(ip.value) else { throw .ipAllocated(ip.description) }
        usedIPs.insert(ip.value)
        guard await claim(Self.claimKey(ip: ip)) else { throw .ipAllocated(ip.description) }  // another server's
    }

    /// A free address: random, so deleted services' addresses are not reused at once.
    public func allocateIP() async throws(Failure) -> IPv4Address {
        let size = serviceCIDR.size
        guard size > 2 else { throw .ipRangeFull }
        let usable = size - 2
        let start = UInt64.random(in: 0..<usable, using: &rng)
        for i in 0..<usable {
            let offset = (start + i) % usable + 1
            let ip = serviceCIDR.address(offset)
            if !usedIPs.contains(ip.value) {
                usedIPs.insert(ip.value)
                if await claim(Self.claimKey(ip: ip)) { return ip }  // else another server holds it: stays marked
            }
        }
        throw .ipRangeFull
    }

    public func reserve(port: Int) async throws(Failure) {
        guard nodePorts.contains(port) else { throw .portOutOfRange(port) }
        guard !usedPorts.contains(port) else { throw .portAllocated(port) }
        usedPorts.insert(port)
        guard await claim(Self.claimKey(port: port)) else { throw .portAllocated(port) }
    }

    public func allocatePort() async throws(Failure) -> Int {
        let count = nodePorts.count
        let start = Int.random(in: 0..<count, using: &rng)
        for i in 0..<count {
            let p = nodePorts.lowerBound + (start + i) % count
            if !usedPorts.contains(p) {
                usedPorts.insert(p)
                if await claim(Self.claimKey(port: p)) { return p }
            }
        }
        throw .portRangeFull
    }

    public var usedIPCount: Int { usedIPs.count }
}
