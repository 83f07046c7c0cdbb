import CRI
import Foundation
import HostCommands
import KubeMachinery
import Logging
import NodeAgent

/// A containerd that Swiftlet does not run (`--container-runtime-endpoint`, kubelet's flag):
/// it is neither configured, started nor stopped here, and may run other pods. Swiftlet
/// checks that it can wire pods (its CNI directories are Swiftlet's, under the data
/// directory, and it has the hostNetwork runtime handler), gives it Swiftlet's pause image
/// under its sandbox image's name when that is missing, and removes only the sandboxes
/// labelled with this cluster's name.
package struct ExternalContainerd: ClusterRuntime {
    package let endpoint: String
    package let layout: ContainerdLayout
    let logger: Logger

    package init(endpoint: String, layout: ContainerdLayout, logger: Logger) {
        self.endpoint = endpoint
        self.layout = layout
        self.logger = logger
    }

    package var socket: String { Self.socketPath(endpoint) }

    /// The socket path of a `unix://` endpoint (or of a bare path).
    package static func socketPath(_ endpoint: String) -> String {
        endpoint.hasPrefix("unix://") ? String(endpoint.dropFirst("unix://".count)) : endpoint
    }

    /// What the runtime's CRI Status (verbose) says of its configuration; the JSON keys are
    /// those of containerd's CRI plugin configuration.
    package struct RuntimeSettings: Equatable, Sendable {
        package var cniBinDir: String?
        package var cniConfDir: String?
        package var sandboxImage: String?
        package var runtimeHandlers: [String]
        package var systemdCgroup: Bool

        package init(statusInfo: [String: String]) {
            let config = (try? JSON.parse(statusInfo["config"] ?? "")) ?? .emptyObject
            cniBinDir = config[path: ["cni", "binDir"]]?.string
            cniConfDir = config[path: ["cni", "confDir"]]?.string
            sandboxImage = config["sandboxImage"]?.string
            let runtimes = config[path: ["containerd", "runtimes"]]?.object
            runtimeHandlers = runtimes?.keys.sorted() ?? []
            let defaultRuntime = config[path: ["containerd", "defaultRuntimeName"]]?.string ?? "runc"
            systemdCgroup =
                runtimes?[defaultRuntime]?[path: ["options", "SystemdCgroup"]]?.bool ?? false
        }
    }

    /// The lines to add to the runtime's config.toml so that it runs Swiftlet's pods. Pure.
    package static func requiredConfig(_ l: ContainerdLayout) -> String {
        """
        [plugins."io.containerd.grpc.v1.cri".cni]
          bin_dir = \(TOML.quoted(l.cniBin))
          conf_dir = \(TOML.quoted(l.cniConf))
        \(ContainerdConfig.nodeNamespaceRuntime(l))
        """
    }

    /// Why this runtime cannot run Swiftlet's pods, with the fix; nil when it can. Pure.
    package static func problem(_ s: RuntimeSettings, layout l: ContainerdLayout, endpoint: String) -> String? {
        // containerd forgets its default runc runtime once a file names any runtime.
        let configure =
            "add these lines to its config.toml (Swiftlet keeps the files they name up to date) and restart it; "
            + "a file that configures no runc runtime yet needs [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc] "
            + "with runtime_type = \"io.containerd.runc.v2\" too:\n" + requiredConfig(l)
        if s.cniBinDir != l.cniBin || s.cniConfDir != l.cniConf {
            return "the container runtime at \(endpoint) does not use Swiftlet's CNI plugin "
                + "(its CNI bin_dir is \(s.cniBinDir ?? "unknown"), conf_dir \(s.cniConfDir ?? "unknown")); "
                + configure
        }
        if !s.runtimeHandlers.contains(NodeNamespaceRuntime.handler) {
            return "the container runtime at \(endpoint) has no runtime handler \(NodeNamespaceRuntime.handler) "
                + "(for hostNetwork pods); " + configure
        }
        if s.systemdCgroup {
            return "the container runtime at \(endpoint) uses the systemd cgroup driver (SystemdCgroup = true); "
                + "Swiftlet's pods live in cgroupfs cgroups under \(l.cgroupParent): set SystemdCgroup = false "
                + "or let Swiftlet run its own containerd (leave out --container-runtime-endpoint)"
        }
        return nil
    }

    /// Connects, checks, installs Swiftlet's CNI plugin files and pause image, and removes
    /// this cluster's sandboxes that a crash left.
    package func start(executable: String) async throws -> (CRIClient, BuiltinImageSet) {
        guard FileManager.default.fileExists(atPath: socket) else {
            throw ContainerdError(
                "--container-runtime-endpoint \(endpoint): no such socket; start that containerd first, "
                    + "or leave out the flag and Swiftlet runs its own"
            )
        }
        let client = try CRIClient(socketPath: endpoint)
        do {
            let version = try await client.version()
            guard version.runtimeName == "containerd" else {
                throw ContainerdError(
                    "--container-runtime-endpoint \(endpoint) is \(version.runtimeName) \(version.runtimeVersion): "
                        + "Swiftlet needs containerd (it imports images with ctr)"
                )
            }
            var request = Runtime_V1_StatusRequest()
            request.verbose = true
            let status = try await client.runtime.status(request, options: .timeout(.seconds(5)))
            let settings = RuntimeSettings(statusInfo: status.info)
            // The files its CNI section must name, in place before the check, so that a
            // runtime already configured for them finds them.
            try ContainerdProcess(layout: layout, logger: logger).installCNI(executable: executable)
            if let problem = Self.problem(settings, layout: layout, endpoint: endpoint) {
                throw ContainerdError(problem)
            }
            let images = BuiltinImageSet(
                socket: socket,
                executable: executable,
                scratch: URL(fileURLWithPath: layout.dir)
            )
            // Its own pause image stays if it has one; else Swiftlet's goes under that name.
            let pause = settings.sandboxImage ?? ContainerdConfig.sandboxImage
            var imageStatus = Runtime_V1_ImageStatusRequest()
            imageStatus.image.image = pause
            if (try? await client.images.imageStatus(imageStatus).hasImage) != true {
                try await images.provide(pause, kind: .pause)
            }
            await Self.removePods(client, layout: layout, logger: logger)
            images.prepareAgnhost(logger: logger)
            return (client, images)
        } catch let e as ContainerdError {
            client.close()
            throw e
        } catch {
            client.close()
            throw ContainerdError(
                "--container-runtime-endpoint \(endpoint) does not answer CRI: \(CRIClient.describe(error))"
            )
        }
    }

    /// Removes this cluster's sandboxes (their containers with them); the runtime and any
    /// other pods stay.
    package func stop(_ client: CRIClient?) async {
        guard let client else { return }
        await Self.removePods(client, layout: layout, logger: logger)
        client.close()
    }

    /// This cluster's sandboxes, then the (empty) cgroup they lived under.
    package static func removePods(_ client: CRIClient, layout: ContainerdLayout, logger: Logger) async {
        await client.removeAllSandboxes(labelled: CRILabels.cluster, layout.cluster, logger: logger)
        // runc removes each container's cgroup; the pods' and the cluster's are Swiftlet's.
        for _ in 0..<20 {
            Cgroups.remove(layout.cgroupParent)
            guard Cgroups.exists(layout.cgroupParent) else { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }
}
