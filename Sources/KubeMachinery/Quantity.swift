/// A Kubernetes resource quantity (`500m`, `1.5`, `128Mi`, `1e3`, `2G`), read as a number of
/// base units (cores, bytes). Double precision covers every quantity a pod spec names.
public struct Quantity: Sendable, Equatable, Comparable {
    public let value: Double

    public static let formatMessage =
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

    static let suffixes: [String: Double] = [
        "": 1, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
        "Ki": 1024, "Mi": 1_048_576, "Gi": 1_073_741_824, "Ti": 1_099_511_627_776,
        "Pi": 1_125_899_906_842_624, "Ei": 1_152_921_504_606_846_976,
    ]

    public init(value: Double) { self.value = value }

    /// Parses the canonical forms the API accepts; nil for anything else.
    public init?(_ text: String) {
        var s = Substring(text)
        var sign = 1.0
        if s.first == "+" || s.first == "-" {
            if s.first == "-" { sign = -1 }
            s = s.dropFirst()
        }
        let number = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard !number.isEmpty, number.filter({ $0 == "." }).count <= 1, number != ".",
            let mantissa = Double(number.hasPrefix(".") ? "0" + number : String(number))
        else { return nil }
        let suffix = String(s.dropFirst(number.count))
        if let scale = Self.suffixes[suffix] {
            value = sign * mantissa * scale
            return
        }
        // A decimal exponent: `1e3`, `5E-2`.
        guard let first = suffix.first, first == "e" || first == "E" else { return nil }
        var exponent = suffix.dropFirst()
        var expSign = 1
        if exponent.first == "+" || exponent.first == "-" {
            if exponent.first == "-" { expSign = -1 }
            exponent = exponent.dropFirst()
        }
        guard !exponent.isEmpty, exponent.allSatisfy({ $0.isASCII && $0.isNumber }), let e = Int(exponent), e < 300
        else { return nil }
        var scale = 1.0
        for _ in 0..<e { scale *= 10 }
        value = sign * (expSign > 0 ? mantissa * scale : mantissa / scale)
    }

    /// A quantity as the API carries it: a string, or a bare JSON number.
    public init?(_ json: JSON?) {
        switch json {
        case .string(let s)?: self.init(s)
        case .int(let i)?: self.init(value: Double(i))
        case .double(let d)?: self.init(value: d)
        default: return nil
        }
    }

    /// Thousandths, rounded up (CPU in millicores).
    public var milliValue: Int64 { Int64((value * 1000).rounded(.up)) }
    /// Whole units, rounded up (memory in bytes).
    public var intValue: Int64 { Int64(value.rounded(.up)) }
    public var isZero: Bool { value == 0 }

    public static func < (a: Quantity, b: Quantity) -> Bool { a.value < b.value }
}
