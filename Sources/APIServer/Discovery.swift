import KubeAPI
import KubeMachinery

/// Discovery documents: `/version`, `/api`, `/apis`, and each group version's resource list.
enum Discovery {
    static let kubernetesVersion = "v1.32.0"

    static func version(swiftletVersion: String) -> JSON {
        [
            "major": "1", "minor": "32", "gitVersion": .string("\(kubernetesVersion)+swiftlet-\(swiftletVersion)"),
            "gitCommit": "swiftlet", "gitTreeState": "clean", "buildDate": "2026-11-27T00:00:00Z",
            "goVersion": "swift6", "compiler": "swift", "platform": "linux/amd64",
        ]
    }

    static func apiVersions(serverAddress: String) -> JSON {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]],
        ]
    }

    static func groupJSON(_ name: String, _ version: String) -> JSON {
        let gv: JSON = ["groupVersion": .string("\(name)/\(version)"), "version": .string(version)]
        return ["name": .string(name), "versions": [gv], "preferredVersion": gv]
    }

    static var groupList: JSON {
        [
            "kind": "APIGroupList", "apiVersion": "v1",
            "groups": .array(Resources.groups.map { groupJSON($0.group, $0.version) }),
        ]
    }

    static func group(_ name: String) -> JSON? {
        guard let g = Resources.groups.first(where: { $0.group == name }) else { return nil }
        var j = groupJSON(g.group, g.version)
        j["kind"] = "APIGroup"
        j["apiVersion"] = "v1"
        return j
    }

    /// Subresources served besides status and scale.
    static func extraSubresources(_ r: Resource) -> [JSON] {
        let proxy: JSON = [
            "name": .string("\(r.plural)/proxy"), "singularName": "", "namespaced": true,
            "kind": .string(r.plural == "pods" ? "PodProxyOptions" : "ServiceProxyOptions"),
            "verbs": ["create", "delete", "get", "patch", "update"],
        ]
        if r.plural == "services" { return [proxy] }
        if r.plural == "serviceaccounts" {
            return [
                [
                    "name": "serviceaccounts/token", "singularName": "", "namespaced": true,
                    "group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest", "verbs": ["create"],
                ]
            ]
        }
        if r.plural == "certificatesigningrequests" {
            return [
                [
                    "name": "certificatesigningrequests/approval", "singularName": "", "namespaced": false,
                    "kind": "CertificateSigningRequest", "verbs": ["get", "patch", "update"],
                ]
            ]
        }
        guard r.plural == "pods" else { return [] }
        return [
            proxy,
            ["name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"]],
            [
                "name": "pods/eviction", "singularName": "", "namespaced": true, "group": "policy", "version": "v1",
                "kind": "Eviction", "verbs": ["create"],
            ],
            [
                "name": "pods/attach", "singularName": "", "namespaced": true, "kind": "PodAttachOptions",
                "verbs": ["create", "get"],
            ],
            [
                "name": "pods/exec", "singularName": "", "namespaced": true, "kind": "PodExecOptions",
                "verbs": ["create", "get"],
            ],
            [
                "name": "pods/portforward", "singularName": "", "namespaced": true, "kind": "PodPortForwardOptions",
                "verbs": ["create", "get"],
            ],
            ["name": "pods/binding", "singularName": "", "namespaced": true, "kind": "Binding", "verbs": ["create"]],
        ]
    }

    static func resourceList(group: String, version: String) -> JSON? {
        let rs = Resources.inGroupVersion(group: group, version: version)
        guard !rs.isEmpty else { return nil }
        var list: [JSON] = []
        for r in rs {
            var entry: JSON = [
                "name": .string(r.plural), "singularName": .string(r.singular), "namespaced": .bool(r.namespaced),
                "kind": .string(r.kind), "verbs": JSON(r.verbs),
            ]
            if !r.shortNames.isEmpty { entry["shortNames"] = JSON(r.shortNames) }
            if !r.categories.isEmpty { entry["categories"] = JSON(r.categories) }
            list.append(entry)
            if r.hasStatus {
                list.append([
                    "name": .string("\(r.plural)/status"), "singularName": "", "namespaced": .bool(r.namespaced),
                    "kind": .string(r.kind), "verbs": ["get", "patch", "update"],
                ])
            }
            if r.hasScale {
                list.append([
                    "name": .string("\(r.plural)/scale"), "singularName": "", "namespaced": .bool(r.namespaced),
                    "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"],
                ])
            }
            list += extraSubresources(r)
        }
        return [
            "kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"),
            "resources": .array(list),
        ]
    }
}
