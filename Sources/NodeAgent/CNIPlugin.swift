import Foundation
import HostCommands
import KubeMachinery

/// Swiftlet as a CNI plugin (containerd runs the `swiftlet` binary for every pod sandbox):
/// it wires the sandbox's network namespace into its node's namespace with the pod's own
/// address, on a point-to-point link to the node. Which node,
/// address and gateway come from the sandbox's annotations, which containerd passes on
/// because the plugin's configuration asks for them (`io.kubernetes.cri.pod-annotations`).
public enum CNIPlugin {
    public static let nodeNamespaceAnnotation = "swiftlet.dev/node-netns"
    public static let podIPAnnotation = "swiftlet.dev/pod-ip"
    public static let gatewayAnnotation = "swiftlet.dev/pod-gateway"
    public static let annotationsCapability = "io.kubernetes.cri.pod-annotations"
    public static let supportedVersions = ["0.3.0", "0.3.1", "0.4.0", "1.0.0"]

    /// The network configuration list containerd reads from its CNI conf dir.
    public static func configList() -> String {
        """
        {
          "cniVersion": "1.0.0",
          "name": "swiftlet",
          "plugins": [
            {"type": "swiftlet", "capabilities": {"\(annotationsCapability)": true}}
          ]
        }

        """
    }

    public struct Failure: Error, Equatable {
        public var code: Int
        public var message: String
        public var details = ""
    }

    public struct Request: Equatable, Sendable {
        public var command: String
        public var containerID: String
        public var netns: String
        public var ifName: String
        public var args: [String: String]
        public var cniVersion: String
        public var annotations: [String: String]
        /// The plugin asked for: `swiftlet`, or `loopback`, which containerd always runs first
        /// to bring up a sandbox's `lo` (this binary answers to both names).
        public var type = "swiftlet"
    }

    /// Reads CNI's environment and the configuration containerd wrote to stdin.
    public static func request(environment env: [String: String], stdin: Data) throws(Failure) -> Request {
        guard let command = env["CNI_COMMAND"], !command.isEmpty else {
            throw Failure(
                code: 4,
                message: "CNI_COMMAND is not set: swiftlet runs as a CNI plugin only under a runtime"
            )
        }
        var args: [String: String] = [:]
        for pair in (env["CNI_ARGS"] ?? "").split(separator: ";") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { args[String(kv[0])] = String(kv[1]) }
        }
        var version = "1.0.0"
        var type = "swiftlet"
        var annotations: [String: String] = [:]
        if !stdin.isEmpty {
            guard let config = try? JSON.parse(stdin) else {
                throw Failure(code: 6, message: "the network configuration on stdin is not JSON")
            }
            version = config["cniVersion"]?.string ?? version
            type = config["type"]?.string ?? type
            if let a = config[path: ["runtimeConfig", annotationsCapability]]?.object {
                for (k, v) in a { if let s = v.string { annotations[k] = s } }
            }
        }
        return Request(
            command: command,
            containerID: env["CNI_CONTAINERID"] ?? "",
            netns: env["CNI_NETNS"] ?? "",
            ifName: env["CNI_IFNAME"] ?? "eth0",
            args: args,
            cniVersion: version,
            annotations: annotations,
            type: type
        )
    }

    /// The network namespace name `ip -n` takes: containerd's pod namespaces are named
    /// files in /var/run/netns.
    static func namespaceName(_ path: String) -> String? {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        guard dir == "/var/run/netns" || dir == "/run/netns" else { return nil }
        return url.lastPathComponent
    }

    public struct Wiring: Equatable, Sendable {
        public var steps: [ClusterNetwork.Step]
        public var ip: IPv4Address
        public var gateway: IPv4Address
    }

    /// The `ip` batch of the loopback plugin's ADD. Pure.
    public static func loopbackSteps(_ r: Request) throws(Failure) -> [ClusterNetwork.Step] {
        guard let pod = namespaceName(r.netns) else {
            throw Failure(code: 4, message: "CNI_NETNS \(r.netns) is not a named namespace in /var/run/netns")
        }
        return [.init(namespace: pod, batch: ["link set lo up"])]
    }

    /// The `ip` batches of an ADD: the sandbox's `eth0` is a point-to-point link to its
    /// node, as CNI's `ptp` plugin builds it. Every pod packet, even to a pod on the same
    /// node, is routed by the node, so the node's nftables rules and conntrack see both
    /// directions of every connection (no bridge, so no dependence on `br_netfilter`). Pure.
    public static func addSteps(_ r: Request) throws(Failure) -> Wiring {
        guard let pod = namespaceName(r.netns) else {
            throw Failure(code: 4, message: "CNI_NETNS \(r.netns) is not a named namespace in /var/run/netns")
        }
        guard let node = r.annotations[nodeNamespaceAnnotation], !node.isEmpty,
            let ip = r.annotations[podIPAnnotation].flatMap(IPv4Address.init),
            let gw = r.annotations[gatewayAnnotation].flatMap(IPv4Address.init)
        else {
            throw Failure(
                code: 7,
                message: "the sandbox lacks Swiftlet's network annotations (\(nodeNamespaceAnnotation), "
                    + "\(podIPAnnotation), \(gatewayAnnotation)): only Swiftlet's node agent creates pods here"
            )
        }
        let link = hostLink(r)
        return Wiring(
            steps: [
                .init(
                    namespace: node,
                    batch: [
                        // A link left by an earlier attempt of the same pod goes first.
                        "link del \(link)"
                    ],
                    ignoreErrors: true
                ),
                .init(
                    namespace: node,
                    batch: [
                        "link add \(link) type veth peer name \(r.ifName) netns \(pod)",
                        "addr add \(gw)/32 dev \(link)",
                        "link set \(link) up",
                        // replace: a route to this address left by the pod that had it before
                        // (its DEL never ran) would refuse every attempt of this one.
                        "route replace \(ip)/32 dev \(link) src \(gw)",
                    ]
                ),
                .init(
                    namespace: pod,
                    batch: [
                        "link set lo up",
                        "addr add \(ip)/32 dev \(r.ifName)",
                        "link set \(r.ifName) up",
                        "route add \(gw) dev \(r.ifName) scope link",
                        "route add default via \(gw) dev \(r.ifName) src \(ip)",
                    ]
                ),
            ],
            ip: ip,
            gateway: gw
        )
    }

    /// The `ip` batch of a DEL: the node-side link (its peer goes with the pod namespace).
    /// Errors are ignored: DEL must succeed when the link or the node is already gone.
    public static func delSteps(_ r: Request) -> [ClusterNetwork.Step] {
        guard let node = r.annotations[nodeNamespaceAnnotation], !node.isEmpty else { return [] }
        return [.init(namespace: node, batch: ["link del \(hostLink(r))"], ignoreErrors: true)]
    }

    /// The node-side link: named after the pod's uid, so a retried ADD finds its own.
    static func hostLink(_ r: Request) -> String {
        ClusterNetwork.podLinkName(uid: r.args["K8S_POD_UID"] ?? r.containerID)
    }

    /// The result of an ADD, in the version the runtime asked for.
    public static func result(_ r: Request, _ w: Wiring) -> JSON {
        var ip: JSON = ["address": .string("\(w.ip)/32"), "gateway": .string(w.gateway.description), "interface": 0]
        // 0.3.x results name the address family of each address.
        if r.cniVersion.hasPrefix("0.3") { ip["version"] = "4" }
        return [
            "cniVersion": .string(r.cniVersion),
            "interfaces": [["name": .string(r.ifName), "sandbox": .string(r.netns)]],
            "ips": [ip],
            "routes": [["dst": "0.0.0.0/0", "gw": .string(w.gateway.description)]],
            "dns": [:],
        ]
    }

    public static func errorResult(_ f: Failure, version: String) -> JSON {
        [
            "cniVersion": .string(version), "code": JSON(f.code), "msg": .string(f.message),
            "details": .string(f.details),
        ]
    }

    /// Runs one CNI command; returns what goes to stdout and the exit status.
    public static func main(environment: [String: String], stdin: Data) async -> (String, Int32) {
        let request: Request
        do {
            request = try Self.request(environment: environment, stdin: stdin)
        } catch {
            return (errorResult(error, version: "1.0.0").serializedString(), 1)
        }
        switch request.command {
        case "VERSION":
            let v: JSON = [
                "cniVersion": .string(request.cniVersion),
                "supportedVersions": .array(supportedVersions.map { .string($0) }),
            ]
            return (v.serializedString(), 0)
        case "ADD" where request.type == "loopback":
            do {
                try await HostCommand.apply(loopbackSteps(request))
                let out: JSON = [
                    "cniVersion": .string(request.cniVersion),
                    "interfaces": [["name": "lo", "sandbox": .string(request.netns)]],
                ]
                return (out.serializedString(), 0)
            } catch let f as Failure {
                return (errorResult(f, version: request.cniVersion).serializedString(), 1)
            } catch {
                let f = Failure(code: 11, message: "bringing up lo in \(request.netns): \(error)")
                return (errorResult(f, version: request.cniVersion).serializedString(), 1)
            }
        case "ADD":
            do {
                let wiring = try addSteps(request)
                try await HostCommand.apply(wiring.steps)
                return (result(request, wiring).serializedString(), 0)
            } catch let f as Failure {
                return (errorResult(f, version: request.cniVersion).serializedString(), 1)
            } catch {
                let f = Failure(
                    code: 11,
                    message: "wiring pod \(request.args["K8S_POD_NAME"] ?? request.containerID): \(error)"
                )
                return (errorResult(f, version: request.cniVersion).serializedString(), 1)
            }
        case "DEL":
            if request.type != "loopback" { try? await HostCommand.apply(delSteps(request)) }
            return ("", 0)
        case "CHECK", "GC", "STATUS":
            return ("", 0)
        default:
            let f = Failure(code: 4, message: "unknown CNI_COMMAND \(request.command)")
            return (errorResult(f, version: request.cniVersion).serializedString(), 1)
        }
    }
}
