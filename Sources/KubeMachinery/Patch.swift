/// The three patch formats `kubectl` and clients send.
public enum PatchType: String, Sendable {
    case json = "application/json-patch+json"
    case merge = "application/merge-patch+json"
    case strategic = "application/strategic-merge-patch+json"
    case apply = "application/apply-patch+yaml"
}

public struct PatchError: Error, Sendable, CustomStringConvertible {
    public let description: String
    /// A patch that could not be read at all (400) rather than one that did not apply (422).
    public let malformed: Bool
    init(_ d: String, malformed: Bool = false) {
        description = d
        self.malformed = malformed
    }
}

public enum Patch {
    public static func apply(_ type: PatchType, patch: JSON, to target: JSON) throws(PatchError) -> JSON {
        switch type {
        case .json: return try jsonPatch(patch, to: target)
        case .merge: return mergePatch(patch, to: target)
        case .strategic: return try strategicMerge(patch, to: target, path: [])
        case .apply: return try strategicMerge(patch, to: target, path: [])
        }
    }

    // MARK: RFC 7386

    public static func mergePatch(_ patch: JSON, to target: JSON) -> JSON {
        guard case .object(let p) = patch else { return patch }
        var result = target.isObject ? target : .emptyObject
        for e in p {
            if e.value.isNull {
                result[e.key] = nil
            } else {
                result[e.key] = mergePatch(e.value, to: result[e.key] ?? .null)
            }
        }
        return result
    }

    // MARK: RFC 6902

    /// kube-apiserver's bound on the operations of one JSON patch (its 413 names it).
    public static let maxJSONPatchOperations = 10_000
    /// kube-apiserver's `JSONPatchMaxCopyBytes`: what all `copy` operations of one patch may
    /// add together. Without it, 1.9 KB of copies made a 120 MB object.
    public static let maxJSONPatchCopyBytes = 3 * 1024 * 1024

    public static func jsonPatch(_ patch: JSON, to target: JSON) throws(PatchError) -> JSON {
        guard let ops = patch.array else {
            throw PatchError("json patch must be an array of operations", malformed: true)
        }
        var doc = target
        var copied = 0
        for op in ops {
            guard let name = op["op"]?.string else {
                throw PatchError("missing 'op' in json patch operation", malformed: true)
            }
            guard let path = op["path"]?.string else {
                throw PatchError("missing 'path' in json patch operation", malformed: true)
            }
            let tokens = try pointer(path)
            switch name {
            case "add":
                guard let value = op["value"] else { throw PatchError("missing 'value' for add", malformed: true) }
                doc = try insert(value, at: tokens, in: doc, replace: false)
            case "replace":
                guard let value = op["value"] else { throw PatchError("missing 'value' for replace", malformed: true) }
                guard get(tokens, in: doc) != nil else {
                    throw PatchError("replace operation does not apply: doc is missing key: \(path)")
                }
                doc = try insert(value, at: tokens, in: doc, replace: true)
            case "remove":
                doc = try remove(tokens, from: doc, path: path)
            case "move", "copy":
                guard let from = op["from"]?.string else {
                    throw PatchError("missing 'from' for \(name)", malformed: true)
                }
                let fromTokens = try pointer(from)
                guard let value = get(fromTokens, in: doc) else {
                    throw PatchError("\(name) operation does not apply: doc is missing from path: \(from)")
                }
                if name == "move" {
                    doc = try remove(fromTokens, from: doc, path: from)
                } else {
                    copied += value.serializedString().utf8.count
                    if copied > maxJSONPatchCopyBytes {
                        throw PatchError(
                            "Unable to complete the copy, the accumulated size increase of copy is \(copied), exceeding the limit \(maxJSONPatchCopyBytes)"
                        )
                    }
                }
                doc = try insert(value, at: tokens, in: doc, replace: false)
            case "test":
                guard let value = op["value"] else { throw PatchError("missing 'value' for test", malformed: true) }
                guard get(tokens, in: doc) == value else {
                    throw PatchError("testing value \(path) failed: test failed")
                }
            default:
                throw PatchError("Unexpected kind: \(name)", malformed: true)
            }
        }
        return doc
    }

    static func pointer(_ path: String) throws(PatchError) -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else {
            throw PatchError("JSON pointer must be empty or start with a \"/\": \(path)", malformed: true)
        }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingAllSub("~1", "/").replacingAllSub("~0", "~")
        }
    }

    static func get(_ tokens: [String], in doc: JSON) -> JSON? {
        var cur = doc
        for t in tokens {
            switch cur {
            case .object(let o):
                guard let v = o[t] else { return nil }
                cur = v
            case .array(let a):
                guard let i = Int(t), a.indices.contains(i) else { return nil }
                cur = a[i]
            default: return nil
            }
        }
        return cur
    }

    static func insert(_ value: JSON, at tokens: [String], in doc: JSON, replace: Bool) throws(PatchError) -> JSON {
        guard let first = tokens.first else { return value }
        let rest = Array(tokens.dropFirst())
        switch doc {
        case .object(var o):
            if rest.isEmpty {
                o[first] = value
            } else {
                guard let child = o[first] else {
                    throw PatchError(
                        "add operation does not apply: doc is missing path: /\(tokens.joined(separator: "/"))"
                    )
                }
                o[first] = try insert(value, at: rest, in: child, replace: replace)
            }
            return .object(o)
        case .array(var a):
            if rest.isEmpty {
                if first == "-" && !replace {
                    a.append(value)
                } else if let i = Int(first), i >= 0, i < a.count || (!replace && i == a.count) {
                    if replace { a[i] = value } else { a.insert(value, at: i) }
                } else {
                    throw PatchError("add operation does not apply: index out of bounds: \(first)")
                }
            } else {
                guard let i = Int(first), a.indices.contains(i) else {
                    throw PatchError("index out of bounds: \(first)")
                }
                a[i] = try insert(value, at: rest, in: a[i], replace: replace)
            }
            return .array(a)
        default:
            throw PatchError("add operation does not apply: path does not lead to a container")
        }
    }

    static func remove(_ tokens: [String], from doc: JSON, path: String) throws(PatchError) -> JSON {
        guard let first = tokens.first else { throw PatchError("cannot remove the whole document") }
        let rest = Array(tokens.dropFirst())
        switch doc {
        case .object(var o):
            guard let child = o[first] else {
                throw PatchError("remove operation does not apply: doc is missing path: \"\(path)\"")
            }
            if rest.isEmpty { o[first] = nil } else { o[first] = try remove(rest, from: child, path: path) }
            return .object(o)
        case .array(var a):
            guard let i = Int(first), a.indices.contains(i) else {
                throw PatchError("remove operation does not apply: index out of bounds: \(first)")
            }
            if rest.isEmpty { a.remove(at: i) } else { a[i] = try remove(rest, from: a[i], path: path) }
            return .array(a)
        default:
            throw PatchError("remove operation does not apply: doc is missing path: \"\(path)\"")
        }
    }

    // MARK: Strategic merge patch

    /// The merge key of a list field, from the Kubernetes types' `patchMergeKey` tags.
    /// `""` means a list of primitives merged as a set; nil means the list is replaced.
    static func mergeKey(field: String, parents: [String]) -> String? {
        let inContainer = parents.contains { ["containers", "initContainers", "ephemeralContainers"].contains($0) }
        switch field {
        case "containers", "initContainers", "ephemeralContainers", "volumes", "imagePullSecrets", "resourceClaims":
            return "name"
        case "env": return "name"
        case "ports":
            if inContainer { return "containerPort" }
            if parents == ["spec"] { return "port" }
            return nil
        case "volumeMounts": return "mountPath"
        case "volumeDevices": return "devicePath"
        case "conditions": return parents.last == "status" ? "type" : nil
        case "addresses": return parents == ["status"] ? "type" : nil
        case "ownerReferences": return "uid"
        case "hostAliases": return "ip"
        case "finalizers": return ""
        case "topologySpreadConstraints": return "topologyKey"
        default: return nil
        }
    }

    static func strategicMerge(_ patch: JSON, to target: JSON, path: [String]) throws(PatchError) -> JSON {
        guard case .object(let p) = patch else { return patch }
        if p["$patch"]?.string == "replace" {
            var copy = p
            copy["$patch"] = nil
            return .object(copy)
        }
        if p["$patch"]?.string == "delete" { return .null }
        var result = target.object ?? JSONObject()
        var retainKeys: [String]?
        for e in p {
            let key = e.key
            if key == "$patch" { continue }
            if key == "$retainKeys" {
                retainKeys = (e.value.array ?? []).compactMap(\.string)
                continue
            }
            if key.hasPrefix("$setElementOrder/") { continue }
            if key.hasPrefix("$deleteFromPrimitiveList/") {
                let field = String(key.dropFirst("$deleteFromPrimitiveList/".count))
                let remove = e.value.array ?? []
                if let list = result[field]?.array { result[field] = .array(list.filter { !remove.contains($0) }) }
                continue
            }
            if e.value.isNull {
                result[key] = nil
                continue
            }
            let existing = result[key]
            switch e.value {
            case .object:
                result[key] = try strategicMerge(e.value, to: existing ?? .emptyObject, path: path + [key])
            case .array(let items):
                if let mk = mergeKey(field: key, parents: path), let current = existing?.array {
                    result[key] = .array(try mergeList(current, items, key: mk, path: path + [key]))
                } else {
                    result[key] = .array(items.filter { $0["$patch"] == nil })
                }
            default:
                result[key] = e.value
            }
        }
        if let retainKeys {
            var kept = JSONObject()
            for e in result where retainKeys.contains(e.key) { kept[e.key] = e.value }
            result = kept
        }
        return .object(result)
    }

    static func mergeList(_ current: [JSON], _ patch: [JSON], key: String, path: [String]) throws(PatchError) -> [JSON]
    {
        if key.isEmpty {
            var out = current
            for v in patch where !out.contains(v) { out.append(v) }
            return out
        }
        if patch.contains(where: { $0["$patch"]?.string == "replace" }) {
            return patch.filter { $0["$patch"] == nil }
        }
        var out = current
        for item in patch {
            guard let k = item[key] else {
                throw PatchError("map: \(item.serializedString()) does not contain declared merge key: \(key)")
            }
            let idx = out.firstIndex { $0[key] == k }
            if item["$patch"]?.string == "delete" {
                if let idx { out.remove(at: idx) }
                continue
            }
            if let idx {
                out[idx] = try strategicMerge(item, to: out[idx], path: path)
            } else {
                out.append(try strategicMerge(item, to: .emptyObject, path: path))
            }
        }
        return out
    }
}

extension Substring {
    func replacingAllSub(_ target: String, _ replacement: String) -> String {
        var out = ""
        var rest = self[...]
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
extension String {
    func replacingAllSub(_ target: String, _ replacement: String) -> String {
        self[...].replacingAllSub(target, replacement)
    }
}
