import Foundation
import KubeMachinery

/// ConfigMaps and Secrets: what a joining node reads (`kube-public/cluster-info`, bootstrap
/// token Secrets), and what users keep configuration in.
/// Upstream's limit on a ConfigMap's or Secret's data, in bytes.
let maxConfigDataSize = 1_048_576

/// `immutable: true` freezes the data and itself, with upstream's words.
func immutableErrors(_ new: JSON, _ old: JSON, fields: [String]) -> [FieldError] {
    guard old["immutable"]?.bool == true else { return [] }
    var errs: [FieldError] = []
    if new["immutable"]?.bool != true {
        errs.append(.forbidden("immutable", "field is immutable when `immutable` is set"))
    }
    for f in fields where (new[f] ?? .emptyObject) != (old[f] ?? .emptyObject) {
        errs.append(.forbidden(f, "field is immutable when `immutable` is set"))
    }
    return errs
}

enum ConfigMapRules {
    static let rules = ResourceRules(
        validate: { obj in
            var errs: [FieldError] = []
            let data = obj["data"]?.object?.keys ?? [], binary = obj["binaryData"]?.object?.keys ?? []
            for k in data { errs += DataKeys.errors(k, "data") }
            for k in binary {
                errs += DataKeys.errors(k, "binaryData")
                if data.contains(k) {
                    errs.append(.invalid("data[\(k)]", .string(k), "duplicate of key present in binaryData"))
                }
            }
            var size = 0
            for (_, v) in obj["data"]?.object ?? JSONObject() { size += v.string?.utf8.count ?? 0 }
            for (_, v) in obj["binaryData"]?.object ?? JSONObject() {
                size += v.string.flatMap { Data(base64Encoded: $0)?.count } ?? 0
            }
            if size > maxConfigDataSize { errs.append(FieldError(.tooLong(maxConfigDataSize), "[]")) }
            return errs
        },
        validateUpdate: { new, old in immutableErrors(new, old, fields: ["data", "binaryData"]) },
        columns: [TableColumn("Data", type: "integer", "Number of data in the configmap"), TableColumn.age],
        cells: { obj, now in
            [JSON((obj["data"]?.object?.count ?? 0) + (obj["binaryData"]?.object?.count ?? 0)), .string(age(obj, now))]
        }
    )
}

enum SecretRules {
    /// `stringData` is write-only: merged into `data` (base64), as the API server does.
    static func foldStringData(_ obj: inout JSON) {
        guard let strings = obj["stringData"]?.object else { return }
        for (k, v) in strings {
            obj[path: ["data", k]] = .string(Data((v.string ?? "").utf8).base64EncodedString())
        }
        obj["stringData"] = nil
    }

    /// The keys each built-in Secret type needs, with upstream's messages.
    static func typeErrors(_ obj: JSON) -> [FieldError] {
        let data = obj["data"]?.object ?? JSONObject()
        func decoded(_ key: String) -> Data? { data[key]?.string.flatMap { Data(base64Encoded: $0) } }
        var errs: [FieldError] = []
        switch obj["type"]?.string ?? "Opaque" {
        case "kubernetes.io/tls":
            for key in ["tls.crt", "tls.key"] where data[key] == nil { errs.append(.required("data[\(key)]")) }
        case "kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson":
            let key = obj["type"]?.string == "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson"
            if let bytes = decoded(key) {
                if (try? JSON.parse(bytes))?.object == nil {
                    errs.append(
                        .invalid("data[\(key)]", rendered: "\"<secret contents redacted>\"", "must be a JSON object")
                    )
                }
            } else {
                errs.append(.required("data[\(key)]"))
            }
        case "kubernetes.io/basic-auth":
            if data["username"] == nil, data["password"] == nil {
                errs += [.required("data[username]"), .required("data[password]")]
            }
        case "kubernetes.io/ssh-auth":
            if data["ssh-privatekey"] == nil { errs.append(.required("data[ssh-privatekey]")) }
        case "kubernetes.io/service-account-token":
            if obj[path: ["metadata", "annotations", "kubernetes.io/service-account.name"]] == nil {
                errs.append(.required("metadata.annotations[kubernetes.io/service-account.name]"))
            }
        default:
            break
        }
        return errs
    }

    static let rules = ResourceRules(
        prepareForCreate: { foldStringData(&$0) },
        prepareForUpdate: { new, _ in foldStringData(&new) },
        defaults: { obj in if obj["type"]?.string?.isEmpty ?? true { obj["type"] = "Opaque" } },
        validate: { obj in
            var errs: [FieldError] = []
            for (k, v) in obj["data"]?.object ?? JSONObject() {
                errs += DataKeys.errors(k, "data")
                if v.string.flatMap({ Data(base64Encoded: $0) }) == nil {
                    errs.append(.invalid("data[\(k)]", .string("<value omitted>"), "must be a base64-encoded string"))
                }
            }
            if obj["type"]?.string == BootstrapToken.secretType {
                errs += BootstrapToken.secretErrors(obj)
            }
            errs += typeErrors(obj)
            let size = (obj["data"]?.object ?? JSONObject()).reduce(0) {
                $0 + ($1.value.string.flatMap { Data(base64Encoded: $0)?.count } ?? 0)
            }
            if size > maxConfigDataSize { errs.append(FieldError(.tooLong(maxConfigDataSize), "data")) }
            return errs
        },
        validateUpdate: { new, old in
            (new["type"]?.string != old["type"]?.string
                ? [.invalid("type", new["type"] ?? "", "field is immutable")] : [])
                + immutableErrors(new, old, fields: ["data"])
        },
        fieldValue: { obj, field in field == "type" ? obj["type"]?.string ?? "" : nil },
        columns: [
            TableColumn("Type", "Type of the secret"),
            TableColumn("Data", type: "integer", "Number of data in the secret"), TableColumn.age,
        ],
        cells: { obj, now in
            [.string(obj["type"]?.string ?? "Opaque"), JSON(obj["data"]?.object?.count ?? 0), .string(age(obj, now))]
        }
    )
}

/// Keys of ConfigMap and Secret data: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` or `..`.
enum DataKeys {
    static func errors(_ key: String, _ field: String) -> [FieldError] {
        let ok =
            !key.isEmpty && key.count <= 253 && key != "." && key != ".."
            && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }
        return ok
            ? []
            : [
                .invalid(
                    "\(field)[\(key)]",
                    .string(key),
                    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
                )
            ]
    }
}

enum ServiceAccountRules {
    static let rules = ResourceRules(
        validate: { obj in
            var errs: [FieldError] = []
            for (i, s) in (obj["secrets"]?.array ?? []).enumerated() where (s["name"]?.string ?? "").isEmpty {
                errs.append(.required("secrets[\(i)].name"))
            }
            for (i, s) in (obj["imagePullSecrets"]?.array ?? []).enumerated()
            where (s["name"]?.string ?? "").isEmpty {
                errs.append(.required("imagePullSecrets[\(i)].name"))
            }
            return errs
        },
        columns: [TableColumn("Secrets", type: "string", "Secrets is a list of the secrets used"), TableColumn.age],
        cells: { obj, now in [JSON(obj["secrets"]?.array?.count ?? 0), .string(age(obj, now))] }
    )
}
