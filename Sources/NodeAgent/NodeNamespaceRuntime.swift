import Foundation
import KubeMachinery

/// The runtime of hostNetwork pods. containerd puts a pod whose network namespace is NODE
/// into its own namespace, the host's; a Swiftlet node is a network namespace of its own.
/// So containerd's runc shim runs this binary (as `swiftlet-node-runc`) instead of runc:
/// before a container is created it adds to the bundle's OCI spec the node's network
/// namespace and a UTS namespace with the node's name, both named by pod annotations, and
/// then becomes the real runc. Every other runc command passes through unchanged.
public enum NodeNamespaceRuntime {
    /// The handler name of the CRI runtime in containerd's configuration.
    public static let handler = "swiftlet-node"
    /// The program name containerd's shim is given (a link to this binary).
    public static let programName = "swiftlet-node-runc"
    /// The node's network namespace, as a path (`/run/netns/…`).
    public static let netnsAnnotation = "swiftlet.dev/node-netns-path"
    /// The hostname the pod's containers see: the node's.
    public static let hostnameAnnotation = "swiftlet.dev/node-hostname"
    /// The annotations containerd must pass from the sandbox into each OCI spec.
    public static let passedAnnotations = ["swiftlet.dev/node-*"]

    /// The bundle directory of a `runc create` or `runc run`, from its arguments.
    public static func bundle(_ arguments: [String]) -> String? {
        guard arguments.contains("create") || arguments.contains("run") else { return nil }
        for (i, a) in arguments.enumerated() {
            if a == "--bundle" || a == "-b" { return i + 1 < arguments.count ? arguments[i + 1] : nil }
            if a.hasPrefix("--bundle=") { return String(a.dropFirst("--bundle=".count)) }
        }
        return nil
    }

    /// The OCI spec with the node's namespaces added; nil when it has none of our
    /// annotations or already names a network namespace. Pure.
    public static func rewrite(_ spec: JSON) -> JSON? {
        guard let netns = spec[path: ["annotations", netnsAnnotation]]?.string, !netns.isEmpty else { return nil }
        var namespaces = spec[path: ["linux", "namespaces"]]?.array ?? []
        let types = Set(namespaces.compactMap { $0["type"]?.string })
        if types.contains("network") { return nil }
        var out = spec
        namespaces.append(["type": "network", "path": .string(netns)])
        if !types.contains("uts"), let hostname = spec[path: ["annotations", hostnameAnnotation]]?.string {
            namespaces.append(["type": "uts"])
            out["hostname"] = .string(hostname)
        }
        out[path: ["linux", "namespaces"]] = .array(namespaces)
        return out
    }

    /// The file mounted as the container's /etc/hostname, if any. Pure.
    static func hostnameFile(_ spec: JSON) -> String? {
        (spec["mounts"]?.array ?? []).first { $0["destination"]?.string == "/etc/hostname" }?["source"]?.string
    }

    /// The real runc: the first `runc` on the usual paths or PATH that is not this program.
    static func runc(environment: [String: String]) -> String? {
        let path = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        let candidates = ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] + path
        let fm = FileManager.default
        return candidates.map { $0 + "/runc" }.first { fm.isExecutableFile(atPath: $0) }
    }

    /// Runs as runc: rewrites a create's spec, then execs the real runc with the same
    /// arguments. Returns only on failure, with the exit status to use.
    public static func main(arguments: [String], environment: [String: String]) -> Int32 {
        if let bundle = bundle(arguments) {
            let file = URL(fileURLWithPath: bundle).appendingPathComponent("config.json")
            do {
                let data = try Data(contentsOf: file)
                if let spec = try? JSON.parse(data) {
                    // The sandbox enters the node's namespaces; its containers join the sandbox's.
                    if let rewritten = rewrite(spec) {
                        try Data(rewritten.serialized()).write(to: file, options: .atomic)
                    }
                    // containerd wrote the host's name into the pod's /etc/hostname.
                    if let hostname = spec[path: ["annotations", hostnameAnnotation]]?.string,
                        let source = hostnameFile(spec)
                    {
                        try Data((hostname + "\n").utf8).write(to: URL(fileURLWithPath: source))
                    }
                }
            } catch {
                FileHandle.standardError.write(Data("\(programName): \(file.path): \(error)\n".utf8))
                return 1
            }
        }
        guard let runc = runc(environment: environment) else {
            FileHandle.standardError.write(
                Data("\(programName): runc is not installed (apt-get install runc)\n".utf8)
            )
            return 127
        }
        var argv: [UnsafeMutablePointer<CChar>?] = ([runc] + arguments).map { strdup($0) }
        argv.append(nil)
        execv(runc, argv)
        FileHandle.standardError.write(Data("\(programName): exec \(runc): \(String(cString: strerror(errno)))\n".utf8))
        return 126
    }
}
