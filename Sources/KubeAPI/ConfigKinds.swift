import Foundation
import KubeMachinery

/// ConfigMaps and Secrets: what a joining node reads (`kube-public/cluster-info`, bootstrap
/// token Secrets), and what users keep configuration in.
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
            return errs
        },
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
            return errs
        },
        validateUpdate: { new, old in
            new["type"]?.string != old["type"]?.string
                ? [.invalid("type", new["type"] ?? "", "field is immutable")] : []
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
