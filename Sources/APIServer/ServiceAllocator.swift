import KubeAPI

/// Hands out ClusterIPs and NodePorts. Its state is rebuilt from the stored Services on
/// start, so a restart never hands out an address twice.
public actor ServiceAllocator {
    public let serviceCIDR: IPv4Network
    public let nodePorts: ClosedRange<Int>
    private var usedIPs: Set<UInt32> = []
    private var usedPorts: Set<Int> = []
    private var rng = SystemRandomNumberGenerator()

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
            for p in spec["ports"]?.array ?? [] {
                if let np = p["nodePort"]?.intValue, np != 0, !ports.contains(np) { ports.append(np) }
            }
            if let hc = spec["healthCheckNodePort"]?.intValue, hc != 0, !ports.contains(hc) { ports.append(hc) }
        }

        public init() {}
    }

    public func markUsed(_ h: Holdings) {
        for ip in h.ips { usedIPs.insert(ip.value) }
        for p in h.ports { usedPorts.insert(p) }
    }

    public func release(_ h: Holdings) {
        for ip in h.ips { usedIPs.remove(ip.value) }
        for p in h.ports { usedPorts.remove(p) }
    }

    public func isUsed(ip: IPv4Address) -> Bool { usedIPs.contains(ip.value) }

    public enum Failure: Error, Equatable {
        case ipOutOfRange(String), ipAllocated(String), ipRangeFull
        case portOutOfRange(Int), portAllocated(Int), portRangeFull
    }

    /// Reserves a specific address.
    public func reserve(ip: IPv4Address) throws(Failure) {
        guard serviceCIDR.contains(ip), ip != serviceCIDR.first, ip != serviceCIDR.broadcast else {
            throw .ipOutOfRange(ip.description)
        }
        guard !usedIPs.contains(ip.value) else { throw .ipAllocated(ip.description) }
        usedIPs.insert(ip.value)
    }

    /// A free address: random, so deleted services' addresses are not reused at once.
    public func allocateIP() throws(Failure) -> IPv4Address {
        let size = serviceCIDR.size
        guard size > 2 else { throw .ipRangeFull }
        let usable = size - 2
        let start = UInt64.random(in: 0..<usable, using: &rng)
        for i in 0..<usable {
            let offset = (start + i) % usable + 1
            let ip = serviceCIDR.address(offset)
            if !usedIPs.contains(ip.value) {
                usedIPs.insert(ip.value)
                return ip
            }
        }
        throw .ipRangeFull
    }

    public func reserve(port: Int) throws(Failure) {
        guard nodePorts.contains(port) else { throw .portOutOfRange(port) }
        guard !usedPorts.contains(port) else { throw .portAllocated(port) }
        usedPorts.insert(port)
    }

    public func allocatePort() throws(Failure) -> Int {
        let count = nodePorts.count
        let start = Int.random(in: 0..<count, using: &rng)
        for i in 0..<count {
            let p = nodePorts.lowerBound + (start + i) % count
            if !usedPorts.contains(p) {
                usedPorts.insert(p)
                return p
            }
        }
        throw .portRangeFull
    }

    public var usedIPCount: Int { usedIPs.count }
}
