import Foundation
import Yams

/// Writes the cluster's kubeconfig and merges its context into the user's `~/.kube/config`.
public enum Kubeconfig {
    public static func document(
        server: String,
        caPEM: String,
        clientCertPEM: String,
        clientKeyPEM: String,
        context: String
    ) -> [String: Any] {
        func b64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }
        return [
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [["name": context, "cluster": ["server": server, "certificate-authority-data": b64(caPEM)]]],
            "users": [
                [
                    "name": context,
                    "user": ["client-certificate-data": b64(clientCertPEM), "client-key-data": b64(clientKeyPEM)],
                ]
            ],
            "contexts": [["name": context, "context": ["cluster": context, "user": context]]],
            "current-context": context,
            "preferences": [String: Any](),
        ]
    }

    /// The kubeconfig of `kube-public/cluster-info`: one cluster, no user, as kubeadm publishes it.
    public static func clusterInfo(server: String, caPEM: String) throws -> String {
        try Yams.dump(
            object: [
                "apiVersion": "v1", "kind": "Config",
                "clusters": [
                    [
                        "name": "",
                        "cluster": [
                            "server": server, "certificate-authority-data": Data(caPEM.utf8).base64EncodedString(),
                        ],
                    ]
                ],
                "contexts": [Any](), "current-context": "", "preferences": [String: Any](), "users": [Any](),
            ] as [String: Any],
            sortKeys: true
        )
    }

    public static func write(_ doc: [String: Any], to url: URL) throws {
        let yaml = try Yams.dump(object: doc, sortKeys: true)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let tmp = url.appendingPathExtension("tmp-\(getpid())")
        try yaml.write(to: tmp, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tmp.path)
        if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
        try FileManager.default.moveItem(at: tmp, to: url)
    }

    /// Adds or replaces the cluster, user and context named `context` in the kubeconfig at
    /// `url`, keeping everything else, and makes it the current context.
    public static func merge(_ doc: [String: Any], into url: URL, context: String) throws {
        var existing: [String: Any] = [:]
        if let text = try? String(contentsOf: url, encoding: .utf8), !text.isEmpty {
            guard let loaded = try Yams.load(yaml: text) as? [String: Any] else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url.path])
            }
            existing = loaded
        }
        for section in ["clusters", "users", "contexts"] {
            var list = (existing[section] as? [[String: Any]]) ?? []
            list.removeAll { ($0["name"] as? String) == context }
            list += (doc[section] as? [[String: Any]]) ?? []
            existing[section] = list
        }
        existing["apiVersion"] = existing["apiVersion"] ?? "v1"
        existing["kind"] = existing["kind"] ?? "Config"
        existing["current-context"] = context
        try write(existing, to: url)
    }

    /// Removes what `merge` added; the current context is cleared if it was this one.
    public static func unmerge(from url: URL, context: String) throws {
        guard let text = try? String(contentsOf: url, encoding: .utf8),
            var existing = try Yams.load(yaml: text) as? [String: Any]
        else { return }
        for section in ["clusters", "users", "contexts"] {
            var list = (existing[section] as? [[String: Any]]) ?? []
            list.removeAll { ($0["name"] as? String) == context }
            existing[section] = list
        }
        if existing["current-context"] as? String == context { existing["current-context"] = "" }
        try write(existing, to: url)
    }
}
