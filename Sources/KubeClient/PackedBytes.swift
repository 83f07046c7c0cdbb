/// Byte strings by key, keys and values back to back in one buffer, found through an
/// open-addressing table of integers: how a node keeps every Service and EndpointSlice of
/// the cluster (their JSON), and the proxy the rules it applied for each.
///
/// A dictionary of small arrays keyed by strings made three heap blocks per entry (key,
/// value, and the table's share), allocated among the short-lived blocks of the parser and
/// the renderer; for 20,000 objects the pages they pinned stayed resident once those were
/// freed. Here the whole store is three large arrays. Replaced and removed entries leave
/// garbage; once it outweighs the live bytes everything is rewritten.
public struct PackedBytes: Sendable {
    private struct Entry {
        var offset: Int
        var keyCount: Int32
        /// -1 once the entry is removed or replaced.
        var valueCount: Int32

        var isLive: Bool { valueCount >= 0 }
    }

    private static let empty: Int32 = -1
    private static let removed: Int32 = -2

    private var storage: [UInt8] = []
    private var entries: [Entry] = []
    /// Indices into `entries`, or `empty` / `removed`; a power of two long.
    private var slots: [Int32] = []
    public private(set) var count = 0
    private var garbageBytes = 0

    public init() {}

    public var liveBytes: Int { storage.count - garbageBytes }

    public var keys: [String] {
        entries.filter(\.isLive).map {
            String(decoding: storage[$0.offset..<$0.offset + Int($0.keyCount)], as: UTF8.self)
        }
    }

    /// Every entry's bytes, in no particular order.
    public var values: [ArraySlice<UInt8>] { entries.filter(\.isLive).map(value) }

    public func contains(_ key: String) -> Bool { find(key).entry != nil }

    public subscript(key: String) -> ArraySlice<UInt8>? { find(key).entry.map { value(entries[$0]) } }

    /// Whether `key` holds exactly `bytes`.
    public func holds(_ key: String, _ bytes: some Collection<UInt8>) -> Bool {
        guard let v = self[key] else { return false }
        return v.count == bytes.count && v.elementsEqual(bytes)
    }

    /// Stores `bytes` under `key`, or removes the entry (nil).
    public mutating func set(_ key: String, _ bytes: (some Collection<UInt8>)?) {
        let (slot, existing) = find(key)
        if let existing {
            garbageBytes += Int(entries[existing].keyCount) + Int(entries[existing].valueCount)
            entries[existing].valueCount = -1
            count -= 1
        }
        if let bytes {
            if slots.isEmpty || (entries.count + 1) * 2 > slots.count {
                rebuild(slotCount: max(16, Self.power(atLeast: (count + 1) * 2)))
                return set(key, bytes)
            }
            let offset = storage.count
            storage.append(contentsOf: key.utf8)
            storage.append(contentsOf: bytes)
            entries.append(
                Entry(
                    offset: offset,
                    keyCount: Int32(storage.count - offset - bytes.count),
                    valueCount: Int32(bytes.count)
                )
            )
            slots[slot ?? freeSlot(key.utf8)] = Int32(entries.count - 1)
            count += 1
        } else if existing != nil, let slot {
            slots[slot] = Self.removed
        }
        if garbageBytes > 64 * 1024 && garbageBytes > liveBytes { rebuild(slotCount: slots.count) }
    }

    public mutating func remove(_ key: String) { set(key, [UInt8]?.none) }

    private func value(_ e: Entry) -> ArraySlice<UInt8> {
        let start = e.offset + Int(e.keyCount)
        return storage[start..<start + Int(e.valueCount)]
    }

    /// FNV-1a, folded: keys are short, and the table only needs them spread.
    private static func hash(_ key: some Sequence<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    /// The slot holding `key` and its entry, or (nil, nil) if absent.
    private func find(_ key: String) -> (slot: Int?, entry: Int?) {
        guard !slots.isEmpty else { return (nil, nil) }
        let mask = slots.count - 1
        var i = Self.hash(key.utf8) & mask
        while true {
            let s = slots[i]
            if s == Self.empty { return (nil, nil) }
            if s >= 0 {
                let e = entries[Int(s)]
                if Int(e.keyCount) == key.utf8.count,
                    storage[e.offset..<e.offset + Int(e.keyCount)].elementsEqual(key.utf8)
                {
                    return (i, Int(s))
                }
            }
            i = (i + 1) & mask
        }
    }

    /// The first empty or removed slot on `key`'s probe path (there always is one: the table
    /// is kept at most half full).
    private func freeSlot(_ key: some Sequence<UInt8>) -> Int {
        let mask = slots.count - 1
        var i = Self.hash(key) & mask
        while slots[i] >= 0 { i = (i + 1) & mask }
        return i
    }

    /// Rewrites storage and entries with the live entries only, and the table at `slotCount`.
    private mutating func rebuild(slotCount: Int) {
        let live = entries.filter(\.isLive)
        var fresh = [UInt8]()
        fresh.reserveCapacity(liveBytes)
        var moved: [Entry] = []
        moved.reserveCapacity(live.count)
        for e in live {
            moved.append(Entry(offset: fresh.count, keyCount: e.keyCount, valueCount: e.valueCount))
            fresh.append(contentsOf: storage[e.offset..<e.offset + Int(e.keyCount) + Int(e.valueCount)])
        }
        storage = fresh
        entries = moved
        garbageBytes = 0
        slots = Array(repeating: Self.empty, count: slotCount)
        for (index, e) in entries.enumerated() {
            slots[freeSlot(storage[e.offset..<e.offset + Int(e.keyCount)])] = Int32(index)
        }
    }

    private static func power(atLeast n: Int) -> Int {
        var p = 1
        while p < n { p <<= 1 }
        return p
    }
}
