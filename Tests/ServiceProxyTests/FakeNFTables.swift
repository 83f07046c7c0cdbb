import Foundation
import Synchronization

@testable import ServiceProxy

/// An nftables stand-in for the proxy's tests: it parses the scripts the proxy emits into
/// tables of chains, rules, sets and maps, and refuses what the kernel would refuse — a rule
/// in a chain that does not exist, a jump or goto to a missing chain, deleting a chain that
/// is still referenced or a set element that is not there, adding a map key twice with
/// another value. A script applies whole or not at all, as a transaction does. Conntrack
/// deletions are recorded.
final class FakeNFTables: Dataplane {
    struct Table: Equatable {
        var chains: [String: [String]] = [:]
        /// Sets and maps: element key → value ("" for a set).
        var sets: [String: [String: String]] = [:]
        /// Base chains: where the kernel enters them.
        var hooks: [String: Hook] = [:]
    }

    /// `type nat hook prerouting priority dstnat;` of a base chain.
    struct Hook: Equatable {
        var type: String
        var hook: String
        var priority: Int

        init?(_ line: String) {
            let words = line.replacingOccurrences(of: ";", with: " ").split(separator: " ").map(String.init)
            guard words.count >= 6, words[0] == "type", words[2] == "hook", words[4] == "priority" else {
                return nil
            }
            type = words[1]
            hook = words[3]
            let named = ["raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50, "srcnat": 100]
            guard let p = named[words[5]] ?? Int(words[5]) else { return nil }
            priority = p
        }
    }

    struct Refused: Error, CustomStringConvertible {
        var line: String
        var why: String
        var description: String { "nft refused `\(line)`: \(why)" }
    }

    private struct State {
        var tables: [String: Table] = [:]
        var scripts: [String] = []
        var conntrack: [[String]] = []
        var failNext = false
    }
    private let state = Mutex(State())

    var tables: [String: Table] { state.withLock { $0.tables } }
    var scripts: [String] { state.withLock { $0.scripts } }
    var conntrackDeletions: [[String]] { state.withLock { $0.conntrack } }

    /// The next `apply` fails as if the kernel refused it (and changes nothing).
    func failNextApply() { state.withLock { $0.failNext = true } }

    func apply(_ script: String) async throws {
        try state.withLock { s in
            s.scripts.append(script)
            if s.failNext {
                s.failNext = false
                throw Refused(line: "", why: "injected failure")
            }
            var tables = s.tables
            try Self.run(script, on: &tables)
            s.tables = tables
        }
    }

    func deleteConntrack(_ filter: [String]) async { state.withLock { $0.conntrack.append(filter) } }

    // MARK: Parsing

    static func run(_ script: String, on tables: inout [String: Table]) throws {
        var lines = script.split(separator: "\n", omittingEmptySubsequences: true).map {
            $0.trimmingCharacters(in: .whitespaces)
        }[...]
        while let line = lines.popFirst() {
            let words = line.split(separator: " ").map(String.init)
            func table(_ i: Int) throws -> String {
                guard words.count > i + 1, words[i] == "ip" else { throw Refused(line: line, why: "no ip table named") }
                return words[i + 1]
            }
            switch (words.first, words.count > 1 ? words[1] : "") {
            case ("add", "table"):
                let t = try table(2)
                if tables[t] == nil { tables[t] = Table() }
            case ("delete", "table"):
                guard tables.removeValue(forKey: try table(2)) != nil else {
                    throw Refused(line: line, why: "no such table")
                }
            case ("table", _):
                let t = try table(1)
                var body: [String] = []
                var depth = 1
                while let l = lines.popFirst() {
                    depth += l.filter { $0 == "{" }.count - l.filter { $0 == "}" }.count
                    if depth == 0 { break }
                    body.append(l)
                }
                try declare(body, into: &tables[t, default: Table()])
            case ("add", "chain"), ("flush", "chain"), ("delete", "chain"):
                let t = try table(2)
                guard var tbl = tables[t], words.count > 4 else { throw Refused(line: line, why: "no such table") }
                let c = words[4]
                switch words[0] {
                case "add": if tbl.chains[c] == nil { tbl.chains[c] = [] }
                case "flush":
                    guard tbl.chains[c] != nil else { throw Refused(line: line, why: "no chain \(c)") }
                    tbl.chains[c] = []
                default:
                    guard let rules = tbl.chains[c] else { throw Refused(line: line, why: "no chain \(c)") }
                    guard rules.isEmpty else { throw Refused(line: line, why: "chain \(c) is not empty") }
                    if let user = referrer(of: c, in: tbl) {
                        throw Refused(line: line, why: "chain \(c) is in use by \(user)")
                    }
                    tbl.chains[c] = nil
                    tbl.hooks[c] = nil
                }
                tables[t] = tbl
            case ("add", "rule"):
                let t = try table(2)
                guard var tbl = tables[t], words.count > 5 else { throw Refused(line: line, why: "no such table") }
                let c = words[4], rule = words[5...].joined(separator: " ")
                guard tbl.chains[c] != nil else { throw Refused(line: line, why: "no chain \(c)") }
                try checkReferences(rule, in: tbl, line: line)
                tbl.chains[c]?.append(rule)
                tables[t] = tbl
            case ("add", "set"), ("add", "map"):
                let t = try table(2)
                guard tables[t] != nil, words.count > 4 else { throw Refused(line: line, why: "no such table") }
                if tables[t]?.sets[words[4]] == nil { tables[t]?.sets[words[4]] = [:] }
            case ("delete", "set"), ("delete", "map"):
                let t = try table(2)
                guard var tbl = tables[t], words.count > 4, tbl.sets[words[4]] != nil else {
                    throw Refused(line: line, why: "no set")
                }
                if tbl.chains.values.joined().contains(where: {
                    $0.contains("@\(words[4]) ") || $0.hasSuffix("@\(words[4])")
                }) {
                    throw Refused(line: line, why: "set \(words[4]) is in use")
                }
                tbl.sets[words[4]] = nil
                tables[t] = tbl
            case ("add", "element"), ("delete", "element"):
                let t = try table(2)
                guard var tbl = tables[t], words.count > 4, tbl.sets[words[4]] != nil else {
                    throw Refused(line: line, why: "no set \(words.count > 4 ? words[4] : "")")
                }
                let name = words[4]
                for item in items(line) {
                    let (key, value) = split(item)
                    if words[0] == "add" {
                        if let v = value.flatMap(target), tbl.chains[v] == nil {
                            throw Refused(line: line, why: "no chain \(v)")
                        }
                        if let old = tbl.sets[name]?[key], old != (value ?? "") {
                            throw Refused(line: line, why: "\(name) already maps \(key) to \(old)")
                        }
                        tbl.sets[name]?[key] = value ?? ""
                    } else {
                        guard tbl.sets[name]?[key] != nil else {
                            throw Refused(line: line, why: "\(name) has no element \(key)")
                        }
                        tbl.sets[name]?[key] = nil
                    }
                }
                tables[t] = tbl
            default:
                throw Refused(line: line, why: "not a statement this fake knows")
            }
        }
    }

    /// The body of `table ip T { … }`: one-line sets and maps, and chains with their rules.
    /// Rules may refer to chains declared later in the same block, as in nft.
    static func declare(_ body: [String], into table: inout Table) throws {
        var pendingRules: [(String, String)] = []
        var i = 0
        while i < body.count {
            let line = body[i]
            let words = line.split(separator: " ").map(String.init)
            if words.first == "set" || words.first == "map", words.count > 1 {
                var elements: [String: String] = [:]
                if let r = line.range(of: "elements = { ") {
                    let rest = line[r.upperBound...]
                    let inner = rest.prefix { $0 != "}" }
                    for item in inner.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
                    where !item.isEmpty {
                        let (k, v) = split(item)
                        elements[k] = v ?? ""
                    }
                }
                table.sets[words[1]] = elements
            } else if words.first == "chain", words.count > 1 {
                let name = words[1]
                table.chains[name] = []
                i += 1
                while i < body.count, body[i] != "}" {
                    let rule = body[i]
                    if rule.hasPrefix("type ") {
                        guard let hook = Hook(rule) else { throw Refused(line: rule, why: "not a base chain's hook") }
                        table.hooks[name] = hook
                    } else {
                        pendingRules.append((name, rule))
                    }
                    i += 1
                }
            }
            i += 1
        }
        for (chain, rule) in pendingRules {
            try checkReferences(rule, in: table, line: rule)
            table.chains[chain]?.append(rule)
        }
    }

    static func checkReferences(_ rule: String, in table: Table, line: String) throws {
        let words = rule.split(separator: " ").map(String.init)
        for (i, w) in words.enumerated() where (w == "goto" || w == "jump") && i + 1 < words.count {
            guard table.chains[words[i + 1]] != nil else { throw Refused(line: line, why: "no chain \(words[i + 1])") }
        }
        for w in words where w.hasPrefix("@") {
            guard table.sets[String(w.dropFirst())] != nil else { throw Refused(line: line, why: "no set \(w)") }
        }
    }

    /// A chain or map element that jumps or goes to `chain`, if any.
    static func referrer(of chain: String, in table: Table) -> String? {
        for (name, rules) in table.chains {
            for r in rules {
                let words = r.split(separator: " ").map(String.init)
                for (i, w) in words.enumerated()
                where (w == "goto" || w == "jump") && i + 1 < words.count && words[i + 1] == chain {
                    return "chain \(name)"
                }
            }
        }
        for (name, elements) in table.sets where elements.values.contains(where: { target($0) == chain }) {
            return "map \(name)"
        }
        return nil
    }

    /// The items between `{ ` and ` }` of an element statement.
    static func items(_ line: String) -> [String] {
        guard let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") else { return [] }
        return line[line.index(after: open)..<close].split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        .filter { !$0.isEmpty }
    }

    /// `key : value` of a map element, or a set element alone.
    static func split(_ item: String) -> (String, String?) {
        guard let r = item.range(of: " : ") else { return (item, nil) }
        return (String(item[..<r.lowerBound]), String(item[r.upperBound...]))
    }

    /// The chain a verdict goes or jumps to.
    static func target(_ verdict: String) -> String? {
        let words = verdict.split(separator: " ")
        guard words.count == 2, words[0] == "goto" || words[0] == "jump" else { return nil }
        return String(words[1])
    }
}
