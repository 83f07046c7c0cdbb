/// A JSON value that keeps the order of object keys, so objects read back as they were written.
///
/// Kubernetes objects are handled as JSON trees rather than typed structs in the API server:
/// fields Swiftlet does not know survive every round trip, and patches work on any shape.
public enum JSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    public static let emptyObject = JSON.object(JSONObject())

    public var isNull: Bool { if case .null = self { return true } else { return false } }
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var int: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e18: return Int64(d)
        default: return nil
        }
    }
    public var intValue: Int? { int.map { Int($0) } }
    public var double: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    public var array: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
    public var object: JSONObject? { if case .object(let o) = self { return o } else { return nil } }
    public var isObject: Bool { object != nil }

    /// Member access on objects; reading from anything else gives nil, writing turns it into an object.
    public subscript(key: String) -> JSON? {
        get { object?[key] }
        set { modifyObject { $0[key] = newValue } }
    }

    /// Mutates the object payload in place. The enum lets go of its payload first so the
    /// members array is uniquely referenced and no copy-on-write copy is made.
    @inline(__always)
    mutating func modifyObject(_ body: (inout JSONObject) -> Void) {
        var o: JSONObject
        if case .object(let existing) = self { o = existing } else { o = JSONObject() }
        self = .null
        body(&o)
        self = .object(o)
    }

    /// Nested access along a path of keys; writing creates the objects on the way.
    public subscript(path path: [String]) -> JSON? {
        get {
            var current: JSON? = self
            for key in path { current = current?[key] }
            return current
        }
        set { setPath(path[...], newValue) }
    }

    private mutating func setPath(_ path: ArraySlice<String>, _ newValue: JSON?) {
        guard let first = path.first else {
            if let newValue { self = newValue }
            return
        }
        if path.count == 1 {
            self[first] = newValue
            return
        }
        if newValue == nil, self[first]?.isObject != true { return }
        modifyObject { o in
            o.modifyValue(forKey: first) { child in
                if child?.isObject != true { child = .emptyObject }
                child!.setPath(path.dropFirst(), newValue)
            }
        }
    }

    public subscript(index: Int) -> JSON? {
        guard case .array(let a) = self, a.indices.contains(index) else { return nil }
        return a[index]
    }
}

/// An object's members in insertion order. Equality ignores order, as JSON's does.
public struct JSONObject: Sendable, Hashable, Sequence {
    public typealias Element = (key: String, value: JSON)
    public private(set) var entries: [Element]

    public init() { entries = [] }
    public init(_ entries: [(String, JSON)]) {
        self.entries = []
        self.entries.reserveCapacity(entries.count)
        for (k, v) in entries { self[k] = v }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }

    public func makeIterator() -> IndexingIterator<[Element]> { entries.makeIterator() }

    public subscript(key: String) -> JSON? {
        get {
            for e in entries where e.key == key { return e.value }
            return nil
        }
        set {
            if let i = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }

    /// Mutates one member in place (nil: absent; setting nil removes it).
    @inline(__always)
    public mutating func modifyValue(forKey key: String, _ body: (inout JSON?) -> Void) {
        if let i = entries.firstIndex(where: { $0.key == key }) {
            var v: JSON? = entries[i].value
            entries[i].value = .null
            body(&v)
            if let v { entries[i].value = v } else { entries.remove(at: i) }
        } else {
            var v: JSON? = nil
            body(&v)
            if let v { entries.append((key, v)) }
        }
    }

    /// Appends without checking for an existing key; for builders that know keys are new.
    mutating func appendUnchecked(_ key: String, _ value: JSON) { entries.append((key, value)) }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.entries.count == rhs.entries.count else { return false }
        for e in lhs.entries {
            guard let other = rhs[e.key], other == e.value else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent: combine members commutatively.
        var acc = 0
        for e in entries {
            var h = Hasher()
            h.combine(e.key)
            h.combine(e.value)
            acc ^= h.finalize()
        }
        hasher.combine(entries.count)
        hasher.combine(acc)
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(JSONObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension JSON {
    public init(_ int: Int) { self = .int(Int64(int)) }
    public init(_ strings: [String]) { self = .array(strings.map { .string($0) }) }
    public init(_ dict: [String: String]) {
        self = .object(JSONObject(dict.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) }))
    }

    /// A string → string map such as labels or annotations; nil when absent or not a map.
    public var stringMap: [String: String]? {
        guard let o = object else { return nil }
        var result: [String: String] = [:]
        for e in o { if let s = e.value.string { result[e.key] = s } }
        return result
    }
}
