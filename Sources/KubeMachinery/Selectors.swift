/// A label selector: the string form of `?labelSelector=` and the structured `LabelSelector`.
public struct LabelSelector: Sendable, Equatable, CustomStringConvertible {
    public enum Operator: Sendable, Equatable { case equals, notEquals, `in`, notIn, exists, doesNotExist }

    public struct Requirement: Sendable, Equatable {
        public var key: String
        public var op: Operator
        public var values: [String]

        public func matches(_ labels: [String: String]) -> Bool {
            switch op {
            case .equals, .in: return labels[key].map(values.contains) ?? false
            case .notEquals, .notIn: return labels[key].map { !values.contains($0) } ?? true
            case .exists: return labels[key] != nil
            case .doesNotExist: return labels[key] == nil
            }
        }
    }

    public var requirements: [Requirement]
    /// A selector that matches nothing (a nil structured selector, for instance).
    public var matchesNothing = false

    public init(requirements: [Requirement] = []) { self.requirements = requirements }

    public static let everything = LabelSelector()
    public static let nothing: LabelSelector = {
        var s = LabelSelector()
        s.matchesNothing = true
        return s
    }()

    public var isEverything: Bool { requirements.isEmpty && !matchesNothing }

    public func matches(_ labels: [String: String]) -> Bool {
        !matchesNothing && requirements.allSatisfy { $0.matches(labels) }
    }

    /// A map selector as Services and ReplicaSets' `matchLabels` use; an empty map selects everything.
    public init(matchLabels: [String: String]) {
        requirements = matchLabels.sorted { $0.key < $1.key }.map {
            Requirement(key: $0.key, op: .equals, values: [$0.value])
        }
    }

    /// A `metav1.LabelSelector` object (`matchLabels` + `matchExpressions`).
    public init(structured: JSON?) throws(LabelSelectorError) {
        guard let structured, !structured.isNull else {
            self = .nothing
            return
        }
        var reqs = LabelSelector(matchLabels: structured["matchLabels"]?.stringMap ?? [:]).requirements
        for expr in structured["matchExpressions"]?.array ?? [] {
            guard let key = expr["key"]?.string else { throw LabelSelectorError("matchExpressions: key is required") }
            let values = (expr["values"]?.array ?? []).compactMap(\.string)
            switch expr["operator"]?.string {
            case "In": reqs.append(.init(key: key, op: .in, values: values))
            case "NotIn": reqs.append(.init(key: key, op: .notIn, values: values))
            case "Exists": reqs.append(.init(key: key, op: .exists, values: []))
            case "DoesNotExist": reqs.append(.init(key: key, op: .doesNotExist, values: []))
            case let op: throw LabelSelectorError("\"\(op ?? "")\" is not a valid label selector operator")
            }
        }
        requirements = reqs
    }

    public var description: String {
        requirements.map { r in
            switch r.op {
            case .equals: return "\(r.key)=\(r.values.first ?? "")"
            case .notEquals: return "\(r.key)!=\(r.values.first ?? "")"
            case .in: return "\(r.key) in (\(r.values.joined(separator: ",")))"
            case .notIn: return "\(r.key) notin (\(r.values.joined(separator: ",")))"
            case .exists: return r.key
            case .doesNotExist: return "!\(r.key)"
            }
        }.joined(separator: ",")
    }

    /// Parses the string syntax: `a=b,c!=d,e in (x,y),f notin (z),g,!h`.
    public static func parse(_ text: String) throws(LabelSelectorError) -> LabelSelector {
        var reqs: [Requirement] = []
        var scanner = Scanner(Array(text.unicodeScalars))
        scanner.skipSpaces()
        if scanner.atEnd { return .everything }
        while true {
            scanner.skipSpaces()
            var negated = false
            if scanner.peek == "!" {
                negated = true
                scanner.advance()
                scanner.skipSpaces()
            }
            let key = scanner.readWord()
            guard !key.isEmpty else {
                throw LabelSelectorError("unable to parse requirement: found '\(scanner.rest)', expected: identifier")
            }
            try validateKey(key)
            scanner.skipSpaces()
            if negated {
                reqs.append(.init(key: key, op: .doesNotExist, values: []))
            } else if scanner.atEnd || scanner.peek == "," {
                reqs.append(.init(key: key, op: .exists, values: []))
            } else if scanner.consume("==") || scanner.consume("=") {
                scanner.skipSpaces()
                let v = scanner.readWord()
                try validateValue(v)
                reqs.append(.init(key: key, op: .equals, values: [v]))
            } else if scanner.consume("!=") {
                scanner.skipSpaces()
                let v = scanner.readWord()
                try validateValue(v)
                reqs.append(.init(key: key, op: .notEquals, values: [v]))
            } else {
                let word = scanner.readWord()
                let op: Operator
                switch word {
                case "in": op = .in
                case "notin": op = .notIn
                default:
                    throw LabelSelectorError(
                        "unable to parse requirement: found '\(word)', expected: in, notin, =, ==, !=, gt, lt"
                    )
                }
                scanner.skipSpaces()
                guard scanner.consume("(") else {
                    throw LabelSelectorError("unable to parse requirement: found '\(scanner.rest)', expected: '('")
                }
                var values: [String] = []
                while true {
                    scanner.skipSpaces()
                    let v = scanner.readWord()
                    try validateValue(v)
                    if !v.isEmpty { values.append(v) }
                    scanner.skipSpaces()
                    if scanner.consume(",") { continue }
                    if scanner.consume(")") { break }
                    throw LabelSelectorError(
                        "unable to parse requirement: found '\(scanner.rest)', expected: ',', ')' or identifier"
                    )
                }
                reqs.append(.init(key: key, op: op, values: values))
            }
            scanner.skipSpaces()
            if scanner.atEnd { break }
            guard scanner.consume(",") else {
                throw LabelSelectorError("found '\(scanner.rest)', expected: ',' or 'end of string'")
            }
        }
        return LabelSelector(requirements: reqs)
    }

    static func validateKey(_ key: String) throws(LabelSelectorError) {
        if let msg = Validation.qualifiedNameErrors(key).first {
            throw LabelSelectorError(
                "unable to parse requirement: values[0][\(key)]: Invalid value: \"\(key)\": \(msg)"
            )
        }
    }

    static func validateValue(_ v: String) throws(LabelSelectorError) {
        if let msg = Validation.labelValueErrors(v).first {
            throw LabelSelectorError("unable to parse requirement: values[0][\(v)]: Invalid value: \"\(v)\": \(msg)")
        }
    }

    struct Scanner {
        let scalars: [Unicode.Scalar]
        var pos = 0
        init(_ s: [Unicode.Scalar]) { scalars = s }
        var atEnd: Bool { pos >= scalars.count }
        var peek: Unicode.Scalar? { atEnd ? nil : scalars[pos] }
        var rest: String { String(String.UnicodeScalarView(scalars[min(pos, scalars.count)...])) }
        mutating func advance() { pos += 1 }
        mutating func skipSpaces() { while let p = peek, p == " " || p == "\t" { pos += 1 } }
        mutating func consume(_ s: String) -> Bool {
            let u = Array(s.unicodeScalars)
            guard pos + u.count <= scalars.count, Array(scalars[pos..<pos + u.count]) == u else { return false }
            pos += u.count
            return true
        }
        mutating func readWord() -> String {
            var out = String.UnicodeScalarView()
            while let p = peek, !" \t,=!()".unicodeScalars.contains(p) {
                out.append(p)
                pos += 1
            }
            return String(out)
        }
    }
}

public struct LabelSelectorError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

/// A field selector (`metadata.name=x,spec.nodeName!=y`), matched against a few known fields.
public struct FieldSelector: Sendable, Equatable {
    public struct Requirement: Sendable, Equatable {
        public var field: String
        public var value: String
        public var negated: Bool
    }

    public var requirements: [Requirement]

    public init(requirements: [Requirement] = []) { self.requirements = requirements }

    public static func parse(_ text: String) throws(LabelSelectorError) -> FieldSelector {
        var reqs: [Requirement] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            let p = part.trimmingSpaces
            if let r = p.firstRange(of: "!=") {
                reqs.append(.init(field: String(p[..<r.lowerBound]), value: String(p[r.upperBound...]), negated: true))
            } else if let r = p.firstRange(of: "==") {
                reqs.append(.init(field: String(p[..<r.lowerBound]), value: String(p[r.upperBound...]), negated: false))
            } else if let r = p.firstRange(of: "=") {
                reqs.append(.init(field: String(p[..<r.lowerBound]), value: String(p[r.upperBound...]), negated: false))
            } else {
                throw LabelSelectorError("invalid selector: '\(p)'; can't understand '\(p)'")
            }
        }
        return FieldSelector(requirements: reqs)
    }

    public var isEverything: Bool { requirements.isEmpty }

    /// `fields` maps each selectable field to its value in the object.
    public func matches(_ fields: (String) -> String?) -> Bool {
        requirements.allSatisfy { r in
            let v = fields(r.field) ?? ""
            return r.negated ? v != r.value : v == r.value
        }
    }
}

extension Substring {
    var trimmingSpaces: String {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
