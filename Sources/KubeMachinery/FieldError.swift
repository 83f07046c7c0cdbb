/// One field-level validation error, rendered the way Kubernetes' `field.Error` renders.
public struct FieldError: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case required, invalid
        case notSupported([String])
        case duplicate, forbidden
        case tooLong(Int)
        case tooMany(Int)
        case notFound

        var causeReason: String {
            switch self {
            case .required: return "FieldValueRequired"
            case .invalid: return "FieldValueInvalid"
            case .notSupported: return "FieldValueNotSupported"
            case .duplicate: return "FieldValueDuplicate"
            case .forbidden: return "FieldValueForbidden"
            case .tooLong: return "FieldValueTooLong"
            case .tooMany: return "FieldValueTooMany"
            case .notFound: return "FieldValueNotFound"
            }
        }
    }

    public var kind: Kind
    public var field: String
    public var value: JSON?
    public var detail: String
    /// The value as Go would print it, where JSON rendering differs (`[]string{"10.0.0.1"}`).
    public var renderedValue: String?

    public init(_ kind: Kind, _ field: String, value: JSON? = nil, _ detail: String = "") {
        self.kind = kind
        self.field = field
        self.value = value
        self.detail = detail
    }

    public static func invalid(_ field: String, rendered: String, _ detail: String) -> FieldError {
        var e = FieldError(.invalid, field, detail)
        e.renderedValue = rendered
        return e
    }
    public static func required(_ field: String, _ detail: String = "") -> FieldError {
        .init(.required, field, detail)
    }
    public static func invalid(_ field: String, _ value: JSON, _ detail: String) -> FieldError {
        .init(.invalid, field, value: value, detail)
    }
    public static func notSupported(_ field: String, _ value: JSON, _ supported: [String]) -> FieldError {
        .init(.notSupported(supported), field, value: value)
    }
    public static func duplicate(_ field: String, _ value: JSON) -> FieldError {
        .init(.duplicate, field, value: value)
    }
    public static func forbidden(_ field: String, _ detail: String) -> FieldError { .init(.forbidden, field, detail) }
    public static func notFound(_ field: String, _ value: JSON) -> FieldError {
        .init(.notFound, field, value: value)
    }

    /// The text after the field path, e.g. `Invalid value: "Foo": must be ...`.
    public var body: String {
        switch kind {
        case .required:
            return detail.isEmpty ? "Required value" : "Required value: \(detail)"
        case .invalid:
            let v = "Invalid value: \(renderedValue ?? Self.render(value))"
            return detail.isEmpty ? v : "\(v): \(detail)"
        case .notSupported(let supported):
            var s = "Unsupported value: \(Self.render(value))"
            if !supported.isEmpty {
                s += ": supported values: " + supported.map { "\"\($0)\"" }.joined(separator: ", ")
            }
            return s
        case .duplicate:
            return "Duplicate value: \(renderedValue ?? Self.render(value))"
        case .forbidden:
            return detail.isEmpty ? "Forbidden" : "Forbidden: \(detail)"
        case .tooLong(let max):
            return detail.isEmpty ? "Too long: may not be more than \(max) bytes" : "Too long: \(detail)"
        case .tooMany(let max):
            return "Too many: \(Self.render(value)): must have at most \(max) items"
        case .notFound:
            return "Not found: \(Self.render(value))"
        }
    }

    public var description: String { "\(field): \(body)" }

    /// Go's `%#v`-like rendering that Kubernetes uses for values: strings quoted, numbers bare.
    static func render(_ value: JSON?) -> String {
        switch value {
        case .none, .some(.null): return "null"
        case .some(.string(let s)): return quote(s)
        case .some(.int(let i)): return String(i)
        case .some(.double(let d)): return String(d)
        case .some(.bool(let b)): return String(b)
        case .some(let v): return v.serializedString()
        }
    }

    package static func quote(_ s: String) -> String { s.goQuoted }
}

extension String {
    /// Go's `%q` of a string, for the characters Kubernetes' messages carry (its field
    /// errors, kubelet's hook and downward-API texts).
    package var goQuoted: String {
        var out = "\""
        for ch in unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if ch.value < 0x20 || ch.value == 0x7f {
                    let hex = String(ch.value, radix: 16)
                    out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    out.unicodeScalars.append(ch)
                }
            }
        }
        return out + "\""
    }
}
