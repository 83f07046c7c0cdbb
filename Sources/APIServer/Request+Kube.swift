import KubeAPI
import KubeMachinery

/// A request path parsed the way the Kubernetes API lays paths out.
struct ResourcePath: Equatable {
    var group: String
    var version: String
    var plural: String
    var namespace: String?
    var name: String?
    var subresource: String?

    /// `/api/v1/namespaces/ns/pods/name/status`, `/apis/apps/v1/deployments`, …
    /// Returns nil for paths that are not resource paths (discovery and the like).
    static func parse(_ segments: [Substring]) -> ResourcePath? {
        var rest: ArraySlice<Substring>
        var group = "", version = ""
        if segments.first == "api", segments.count >= 3 {
            version = String(segments[1])
            rest = segments[2...]
        } else if segments.first == "apis", segments.count >= 4 {
            group = String(segments[1])
            version = String(segments[2])
            rest = segments[3...]
        } else {
            return nil
        }
        var namespace: String?
        // `namespaces/<ns>/<resource>…`, but `namespaces/<name>` and `namespaces/<name>/status`
        // address the Namespace object itself.
        if rest.first == "namespaces", rest.count >= 3,
            !(group.isEmpty && ["status", "finalize"].contains(rest[rest.startIndex + 2]) && rest.count == 3)
        {
            namespace = String(rest[rest.startIndex + 1])
            rest = rest.dropFirst(2)
        }
        guard let plural = rest.first else { return nil }
        let remaining = Array(rest.dropFirst())
        // `pods/NAME/proxy/any/path`: the path after `proxy` belongs to the proxied server.
        guard remaining.count <= 2 || remaining[1] == "proxy" else { return nil }
        return ResourcePath(
            group: group,
            version: version,
            plural: String(plural),
            namespace: namespace,
            name: remaining.first.map(String.init),
            subresource: remaining.count > 1 ? String(remaining[1]) : nil
        )
    }
}

/// Query parameters, percent-decoded (`+` is a space, as Go's `url.ParseQuery` reads it).
struct Query {
    var values: [String: String] = [:]

    init(_ query: String?) {
        guard let query else { return }
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(kv[0])
            let value = kv.count > 1 ? Self.decode(kv[1]) : ""
            if values[key] == nil { values[key] = value }
        }
    }

    subscript(_ key: String) -> String? { values[key] }

    func bool(_ key: String) -> Bool? {
        guard let v = values[key] else { return nil }
        return v == "1" || v == "true" || v == ""
    }

    static func decode(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var it = Array(s.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if c == UInt8(ascii: "%"), it.count >= 2,
                let h = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(h)
                it = it.dropFirst(2)
            } else {
                bytes.append(c)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// What the client asked to receive, from the `Accept` header.
enum ResponseFormat {
    case object
    case table(includeObject: String)
    case unsupported(String)

    static func from(accept: String?, query: Query) -> ResponseFormat {
        guard let accept, !accept.isEmpty else { return .object }
        var sawJSON = false
        for part in accept.split(separator: ",") {
            let params = part.split(separator: ";").map { $0.trimmingCharacters(in: " ") }
            guard let mediaType = params.first else { continue }
            let asParam = params.first { $0.hasPrefix("as=") }.map { String($0.dropFirst(3)) }
            let groupParam = params.first { $0.hasPrefix("g=") }.map { String($0.dropFirst(2)) }
            if ["application/json", "*/*", "application/*"].contains(mediaType) {
                if asParam == "Table", groupParam == "meta.k8s.io" {
                    return .table(includeObject: query["includeObject"] ?? "Metadata")
                }
                if asParam == nil { sawJSON = true }
            }
        }
        if sawJSON { return .object }
        if accept.contains("application/vnd.kubernetes.protobuf"), !accept.contains("json") {
            return .unsupported(accept)
        }
        return .object
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

/// Server-side `Table` responses, as `kubectl get` asks for them.
enum Tables {
    static func table(
        _ r: Resource,
        objects: [JSON],
        resourceVersion: String?,
        includeObject: String,
        now: Timestamp,
        includeColumns: Bool = true
    ) -> JSON {
        var t: JSON = ["kind": "Table", "apiVersion": "meta.k8s.io/v1"]
        t["metadata"] = resourceVersion.map { ["resourceVersion": .string($0)] } ?? .emptyObject
        t["columnDefinitions"] = includeColumns ? .array(r.tableColumns.map(\.json)) : []
        t["rows"] = .array(objects.map { row(r, $0, includeObject: includeObject, now: now) })
        return t
    }

    static func row(_ r: Resource, _ obj: JSON, includeObject: String, now: Timestamp) -> JSON {
        var row: JSON = ["cells": .array(r.tableCells(obj, now: now))]
        switch includeObject {
        case "None": break
        case "Object": row["object"] = obj
        default:
            row["object"] = [
                "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"] ?? .emptyObject,
            ]
        }
        return row
    }
}
