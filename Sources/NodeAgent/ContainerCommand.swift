import KubeAPI
import KubeMachinery
import KubeModel

/// What a container runs. Swiftlet has no container runtime: the e2e test images
/// (agnhost, serve_hostname, pause) are built into the `swiftlet` binary, and any other
/// image runs its explicit `command` from the host's filesystem.
public enum ContainerCommand {
    public enum Builtin: String, Sendable { case agnhost, serveHostname, pause }

    /// The image's repository name without registry, path or tag: `registry.k8s.io/e2e-test-images/agnhost:2.53` → `agnhost`.
    public static func baseName(_ image: String) -> String {
        var s = Substring(image)
        if let at = s.firstIndex(of: "@") { s = s[..<at] }
        if let slash = s.lastIndex(of: "/") { s = s[s.index(after: slash)...] }
        if let colon = s.firstIndex(of: ":") { s = s[..<colon] }
        return String(s)
    }

    public static func builtin(_ image: String) -> Builtin? {
        switch baseName(image) {
        case "agnhost": .agnhost
        case "serve_hostname", "serve-hostname": .serveHostname
        case "pause": .pause
        default: nil
        }
    }

    /// The argv to exec, with `$(VAR)` references expanded; `selfPath` is the swiftlet binary.
    public static func argv(
        container: Container,
        env: [String: String],
        selfPath: String
    ) throws(PodEnvironment.Failure) -> [String] {
        let image = container.image
        let command = container.command
        let args = container.args
        let expand = { (s: String) in PodEnvironment.expand(s, env) }
        switch builtin(image) {
        case .agnhost:
            let argv = (command ?? ["/agnhost"]) + args
            if let first = argv.first, first == "/agnhost" || first == "agnhost" {
                return [selfPath, "agnhost"] + argv.dropFirst().map(expand)
            }
            return argv.map(expand)
        case .serveHostname:
            if let command, !command.isEmpty { return (command + args).map(expand) }
            return [selfPath, "agnhost", "serve-hostname"] + args.map(expand)
        case .pause:
            if let command, !command.isEmpty { return (command + args).map(expand) }
            return [selfPath, "agnhost", "pause"]
        case nil:
            guard let command, !command.isEmpty else {
                throw PodEnvironment.Failure(
                    reason: "CreateContainerError",
                    message: "image \"\(image)\" is not built into Swiftlet and the container has no command: "
                        + "give it a `command` to run from the host's filesystem, "
                        + "or use registry.k8s.io/e2e-test-images/agnhost (netexec, serve-hostname, pause)"
                )
            }
            return (command + args).map(expand)
        }
    }

    /// Why a pod cannot run on Swiftlet, or nil. `onRuntime`: its containers run in the
    /// container runtime rather than as host processes.
    public static func unsupported(_ spec: PodSpec, onRuntime: Bool = false) -> String? {
        if onRuntime {
            if spec.hostNetwork {
                return "hostNetwork pods run only with images built into Swiftlet for now; remove hostNetwork"
            }
            for c in spec.containers + spec.initContainers where !c.volumeMounts.isEmpty {
                return "container \(c.name) mounts volumes, which Swiftlet does not support yet; remove volumeMounts"
            }
            return nil
        }
        for c in spec.containers + spec.initContainers {
            if !c.volumeMounts.isEmpty {
                return "container \(c.name) mounts volumes: Swiftlet runs containers "
                    + "on the host's filesystem and cannot mount volumes; remove volumeMounts"
            }
            if c.privileged {
                return "container \(c.name) asks to be privileged, which Swiftlet does not allow"
            }
        }
        return nil
    }
}
