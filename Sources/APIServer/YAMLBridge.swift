import KubeAPI
import KubeMachinery
import Yams

/// YAML bodies (`Content-Type: application/yaml`) read into the same JSON trees, keys in order.
public enum YAMLBridge {
    public struct Failure: Error, CustomStringConvertible { public let description: String }

    public static func parse(_ text: String) throws -> JSON {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw Failure(description: "error converting YAML to JSON: \(error)")
        }
        guard let node else { return .null }
        // Yams resolves aliases into shared nodes, and converting them copies each use: a
        // kilobyte of nested aliases ("billion laughs") became gigabytes. Without aliases a
        // document has fewer nodes than characters, so that (and some room for modest
        // anchors) bounds the work.
        var budget = text.utf8.count + 10_000
        return try convert(node, depth: 0, budget: &budget)
    }

    static func convert(_ node: Node, depth: Int, budget: inout Int) throws -> JSON {
        guard depth < JSON.maxDepth else { throw Failure(description: "YAML nested too deeply") }
        budget -= 1
        guard budget >= 0 else {
            throw Failure(description: "error converting YAML to JSON: yaml: document contains excessive aliasing")
        }
        switch node {
        case .scalar(let s):
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return node.bool.map(JSON.bool) ?? .string(s.string)
            case Tag.Name.int.rawValue: return node.int.map { .int(Int64($0)) } ?? .string(s.string)
            case Tag.Name.float.rawValue: return node.float.map(JSON.double) ?? .string(s.string)
            default: return .string(s.string)
            }
        case .mapping(let m):
            var o = JSONObject()
            for (k, v) in m {
                guard let key = k.string else { throw Failure(description: "YAML mapping keys must be strings") }
                o[key] = try convert(v, depth: depth + 1, budget: &budget)
            }
            return .object(o)
        case .sequence(let seq):
            var items: [JSON] = []
            items.reserveCapacity(seq.count)
            for item in seq { items.append(try convert(item, depth: depth + 1, budget: &budget)) }
            return .array(items)
        case .alias:
            throw Failure(description: "YAML aliases are not supported")
        }
    }
}
