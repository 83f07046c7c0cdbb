import Hummingbird
import KubeAPI
import KubeMachinery

/// OpenAPI v3 documents that describe each resource's operations and the query parameters
/// the server honours (`fieldValidation`, `dryRun`). They carry no schemas: kubectl then
/// leaves field validation to the server and computes apply patches from its built-in types.
enum OpenAPI {
    static func groupVersionPath(_ group: String, _ version: String) -> String {
        group.isEmpty ? "api/\(version)" : "apis/\(group)/\(version)"
    }

    static var groupVersions: [(String, String)] {
        [("", "v1")] + Resources.groups.map { ($0.group, $0.version) }
    }

    static func respond(segments: [Substring]) throws -> Response {
        let rest = segments.dropFirst()
        guard rest.first == "v3" else {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        let sub = rest.dropFirst().joined(separator: "/")
        if sub.isEmpty {
            var paths = JSONObject()
            for (g, v) in groupVersions {
                let p = groupVersionPath(g, v)
                paths[p] = ["serverRelativeURL": .string("/openapi/v3/\(p)?hash=\(ControlPlane.version)")]
            }
            return APIHandler.json(["paths": .object(paths)])
        }
        guard let (g, v) = groupVersions.first(where: { groupVersionPath($0.0, $0.1) == sub }) else {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        return APIHandler.json(document(group: g, version: v))
    }

    static func document(group: String, version: String) -> JSON {
        let queryParams: [JSON] = ["fieldValidation", "dryRun", "fieldManager", "pretty"].map {
            ["name": .string($0), "in": "query", "schema": ["type": "string", "uniqueItems": true]]
        }
        var paths = JSONObject()
        for r in Resources.inGroupVersion(group: group, version: version) {
            let base = "/" + groupVersionPath(group, version)
            let gvk: JSON = ["group": .string(group), "version": .string(version), "kind": .string(r.kind)]
            func op(_ action: String) -> JSON {
                [
                    "operationId": .string("\(action)\(r.kind)"), "x-kubernetes-action": .string(action),
                    "x-kubernetes-group-version-kind": gvk, "parameters": .array(queryParams),
                    "responses": ["200": ["description": "OK"]],
                ]
            }
            let collection = r.namespaced ? "\(base)/namespaces/{namespace}/\(r.plural)" : "\(base)/\(r.plural)"
            paths[collection] = ["get": op("list"), "post": op("post"), "delete": op("deletecollection")]
            paths["\(collection)/{name}"] = [
                "get": op("get"), "put": op("put"), "patch": op("patch"), "delete": op("delete"),
            ]
            if r.hasStatus {
                paths["\(collection)/{name}/status"] = ["get": op("get"), "put": op("put"), "patch": op("patch")]
            }
        }
        return [
            "openapi": "3.0.0", "info": ["title": "Kubernetes", "version": .string(Discovery.kubernetesVersion)],
            "paths": .object(paths), "components": .emptyObject,
        ]
    }
}
