import KubeAPI
import KubeMachinery
import Yams

/// YAML bodies (`Content-Type: application/yaml`) read into the same JSON trees, keys in order.
enum YAMLBridge {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func parse(_ text: String) throws -> JSON {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw Failure(description: "error converting YAML to JSON: \(error)")
        }
        guard let node else { return .null }
        return try convert(node, depth: 0)
    }

    static func convert(_ node: Node, depth: Int) throws -> JSON {
        guard depth < JSON.maxDepth else { throw Failure(description: "YAML nested too deeply") }
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
                o[key] = try convert(v, depth: depth + 1)
            }
            return .object(o)
        case .sequence(let seq):
            return .array(try seq.map { try convert($0, depth: depth + 1) })
        case .alias:
            throw Failure(description: "YAML aliases are not supported")
        }
    }
}
