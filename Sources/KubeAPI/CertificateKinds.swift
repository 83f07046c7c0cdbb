import Foundation
import KubeMachinery

/// CertificateSigningRequests (`certificates.k8s.io/v1`): how a joining node gets its
/// kubelet client certificate, and how anyone asks the cluster's CA for one, with
/// upstream's validation and `kubectl get csr` columns.
public enum CertificateRules {
    public static let group = "certificates.k8s.io"
    public static let kubeletClientSigner = "kubernetes.io/kube-apiserver-client-kubelet"
    public static let clientSigner = "kubernetes.io/kube-apiserver-client"
    public static let pemType = "CERTIFICATE REQUEST"
    static let usages = [
        "signing", "digital signature", "content commitment", "key encipherment", "key agreement",
        "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth",
        "client auth", "code signing", "email protection", "s/mime", "ipsec end system", "ipsec tunnel",
        "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc",
    ]

    /// The PEM text of `spec.request` (base64 in JSON), if it decodes.
    public static func requestPEM(_ csr: JSON) -> String? {
        guard let b64 = csr[path: ["spec", "request"]]?.string, let bytes = Data(base64Encoded: b64) else { return nil }
        return String(data: bytes, encoding: .utf8)
    }

    public static func condition(_ csr: JSON, _ type: String) -> Bool {
        (csr[path: ["status", "conditions"]]?.array ?? []).contains {
            $0["type"]?.string == type && ($0["status"]?.string ?? "True") == "True"
        }
    }

    public static func isIssued(_ csr: JSON) -> Bool {
        !(csr[path: ["status", "certificate"]]?.string ?? "").isEmpty
    }

    static func conditionErrors(_ obj: JSON) -> [FieldError] {
        var errs: [FieldError] = []
        var seen: Set<String> = []
        for (i, c) in (obj[path: ["status", "conditions"]]?.array ?? []).enumerated() {
            let type = c["type"]?.string ?? ""
            let path = "status.conditions[\(i)]"
            if type.isEmpty { errs.append(.required("\(path).type")) }
            if seen.contains(type) {
                errs.append(.duplicate("\(path).type", .string(type)))
            }
            seen.insert(type)
            let status = c["status"]?.string ?? ""
            if ["Approved", "Denied", "Failed"].contains(type), status != "True" {
                errs.append(.notSupported("\(path).status", .string(status), ["True"]))
            } else if !["True", "False", "Unknown"].contains(status) {
                errs.append(.notSupported("\(path).status", .string(status), ["False", "True", "Unknown"]))
            }
        }
        if seen.contains("Approved"), seen.contains("Denied") {
            errs.append(
                .invalid(
                    "status.conditions",
                    .string("Denied"),
                    "Approved and Denied conditions are mutually exclusive"
                )
            )
        }
        return errs
    }

    static let certificateSigningRequest = ResourceRules(
        prepareForCreate: { obj in obj["status"] = [:] },
        // The spec is fixed at creation: an update changes metadata, status through `status`
        // and `approval`.
        prepareForUpdate: { obj, old in
            obj["spec"] = old["spec"] ?? [:]
            obj["status"] = old["status"] ?? [:]
        },
        prepareForStatusUpdate: { obj, old in obj["spec"] = old["spec"] ?? [:] },
        validate: { obj in
            var errs: [FieldError] = []
            if let pem = requestPEM(obj) {
                if !pem.contains("-----BEGIN \(pemType)-----") {
                    errs.append(
                        .invalid("spec.request", rendered: "<value omitted>", "PEM block type must be \(pemType)")
                    )
                }
            } else if (obj[path: ["spec", "request"]]?.string ?? "").isEmpty {
                errs.append(.required("spec.request"))
            } else {
                errs.append(.invalid("spec.request", rendered: "<value omitted>", "must be base64-encoded PEM"))
            }
            let signer = obj[path: ["spec", "signerName"]]?.string ?? ""
            if signer.isEmpty {
                errs.append(.required("spec.signerName"))
            } else if !signer.contains("/") {
                errs.append(
                    .invalid(
                        "spec.signerName",
                        .string(signer),
                        "should be a domain with at least two segments separated by dots"
                    )
                )
            }
            let used = obj[path: ["spec", "usages"]]?.array ?? []
            if used.isEmpty { errs.append(.required("spec.usages")) }
            for (i, u) in used.enumerated() where !usages.contains(u.string ?? "") {
                errs.append(.notSupported("spec.usages[\(i)]", u, usages))
            }
            if let seconds = obj[path: ["spec", "expirationSeconds"]]?.int, seconds < 600 {
                errs.append(
                    .invalid(
                        "spec.expirationSeconds",
                        .int(seconds),
                        "may not specify a duration less than 600 seconds (10 minutes)"
                    )
                )
            }
            return errs + conditionErrors(obj)
        },
        validateStatus: { obj in conditionErrors(obj) },
        fieldValue: { obj, field in field == "spec.signerName" ? obj[path: ["spec", "signerName"]]?.string : nil },
        columns: [
            TableColumn.age, TableColumn("SignerName"), TableColumn("Requestor"), TableColumn("RequestedDuration"),
            TableColumn("Condition"),
        ],
        cells: { obj, now in
            let duration = obj[path: ["spec", "expirationSeconds"]]?.int.map { humanDuration(seconds: $0) } ?? "<none>"
            var conditions = (obj[path: ["status", "conditions"]]?.array ?? []).compactMap { $0["type"]?.string }
            if conditions.isEmpty { conditions = ["Pending"] }
            if isIssued(obj) { conditions.append("Issued") }
            return [
                .string(age(obj, now)), .string(obj[path: ["spec", "signerName"]]?.string ?? ""),
                .string(obj[path: ["spec", "username"]]?.string ?? ""), .string(duration),
                .string(conditions.joined(separator: ",")),
            ]
        }
    )
}
