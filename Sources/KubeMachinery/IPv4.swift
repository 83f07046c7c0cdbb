/// An IPv4 address as a number, for allocators and CIDR arithmetic.
public struct IPv4Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    /// Dotted-quad only, no leading zeros (as Go's `net.ParseIP` accepts since 1.17).
    public init?(_ text: String) {
        var parts: [UInt32] = []
        var current: UInt32 = 0
        var digits = 0
        var leadingZero = false
        for c in text.utf8 {
            if c == UInt8(ascii: ".") {
                guard digits > 0 else { return nil }
                parts.append(current)
                current = 0
                digits = 0
                leadingZero = false
            } else if c >= 0x30, c <= 0x39 {
                if digits == 1, leadingZero { return nil }
                if digits == 0, c == 0x30 { leadingZero = true }
                current = current * 10 + UInt32(c - 0x30)
                digits += 1
                guard digits <= 3, current <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0 else { return nil }
        parts.append(current)
        guard parts.count == 4 else { return nil }
        value = parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }

    public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.value < b.value }

    public func advanced(by n: Int) -> IPv4Address { IPv4Address(UInt32(truncatingIfNeeded: Int64(value) + Int64(n))) }

    /// `10-244-1-5`, as DNS names pods and endpoints by address.
    public var dashed: String { description.replacingAll(".", "-") }
}

/// An IPv4 network such as `10.96.0.0/12`.
public struct IPv4Network: Sendable, Hashable, CustomStringConvertible {
    public var network: IPv4Address
    public var prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let addr = IPv4Address(String(parts[0])), let len = Int(parts[1]),
            (0...32).contains(len)
        else { return nil }
        prefixLength = len
        network = IPv4Address(addr.value & Self.mask(len))
    }

    public init(network: IPv4Address, prefixLength: Int) {
        self.prefixLength = prefixLength
        self.network = IPv4Address(network.value & Self.mask(prefixLength))
    }

    static func mask(_ len: Int) -> UInt32 { len == 0 ? 0 : UInt32.max << UInt32(32 - len) }

    public var size: UInt64 { UInt64(1) << UInt64(32 - prefixLength) }
    public var first: IPv4Address { network }
    public var broadcast: IPv4Address { IPv4Address(network.value | ~Self.mask(prefixLength)) }
    public func contains(_ a: IPv4Address) -> Bool { a.value & Self.mask(prefixLength) == network.value }
    public func overlaps(_ other: IPv4Network) -> Bool { contains(other.network) || other.contains(network) }
    public var description: String { "\(network)/\(prefixLength)" }

    /// The `index`-th address of the network (0 is the network address itself).
    public func address(_ index: UInt64) -> IPv4Address {
        IPv4Address(network.value &+ UInt32(truncatingIfNeeded: index))
    }
}

extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
