import KubeMachinery

/// The addresses LoadBalancer Services get their external IPs from: an inclusive range.
public struct LoadBalancerPool: Sendable, Equatable, CustomStringConvertible {
    public var first: IPv4Address
    public var last: IPv4Address

    public init(first: IPv4Address, last: IPv4Address) {
        self.first = min(first, last)
        self.last = max(first, last)
    }

    /// `172.30.0.200-172.30.0.254` or a CIDR (`172.30.0.192/26`, every address of it).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { String($0.filter { $0 != " " }) }
        if parts.count == 2, let a = IPv4Address(parts[0]), let b = IPv4Address(parts[1]), a <= b {
            self.init(first: a, last: b)
        } else if parts.count == 1, let n = IPv4Network(parts[0]) {
            self.init(first: n.first, last: n.broadcast)
        } else {
            return nil
        }
    }

    /// The default pool on a cluster's node network: its upper half, below the broadcast
    /// address (nodes take `.11` upwards from the bottom).
    public static func defaultPool(nodeCIDR: IPv4Network) -> LoadBalancerPool {
        LoadBalancerPool(first: nodeCIDR.address(nodeCIDR.size / 2), last: nodeCIDR.address(nodeCIDR.size - 2))
    }

    public var size: Int { Int(last.value - first.value) + 1 }
    public func contains(_ a: IPv4Address) -> Bool { first <= a && a <= last }
    public var description: String { "\(first)-\(last)" }

    /// The smallest list of CIDR blocks covering exactly the range.
    public var blocks: [IPv4Network] {
        var out: [IPv4Network] = []
        var start = UInt64(first.value)
        let end = UInt64(last.value)
        while start <= end {
            var prefix = 32
            while prefix > 0 {
                let size = UInt64(1) << UInt64(33 - prefix)
                if start % size != 0 || start + size - 1 > end { break }
                prefix -= 1
            }
            out.append(IPv4Network(network: IPv4Address(UInt32(start)), prefixLength: prefix))
            start += UInt64(1) << UInt64(32 - prefix)
        }
        return out
    }
}
