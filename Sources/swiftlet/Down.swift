import APIServer
import ArgumentParser
import CRI
import Foundation
import KubeAPI
import KubeMachinery
import Logging
import NodeAgent
import SwiftletCluster

struct Down: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop a cluster and remove every namespace, link, route, nft table and process it made.",
        discussion:
            "The data directory is kept (`swiftlet up` resumes it); add --purge to delete it too. Safe to run twice or after a crash."
    )

    @Option(help: "The data directory of the cluster to stop.") var dataDir: String?
    @Option(help: "The cluster's name, when its data directory is gone.") var name: String?
    @Flag(help: "Also delete the data directory.") var purge = false

    func run() async throws {
        guard getuid() == 0 else {
            throw ValidationError("swiftlet down removes network namespaces and must run as root")
        }
        let dir = ClusterRecord.dataDir(dataDir)
        // With only --name (the data directory gone or elsewhere), the machine-wide list still
        // knows the cluster's ranges, so its guard routes go too.
        let record =
            ClusterRecord.load(from: dir).flatMap { r in name == nil || r.name == name ? r : nil }
            ?? name.flatMap(ClusterRecord.registered(name:))
        guard let clusterName = name ?? record?.name else {
            print("No cluster in \(dir.path) (no cluster.json) and no --name given: nothing to do.")
            return
        }
        if let pid = record?.pid, pid > 0, kill(pid, 0) == 0, isSwiftlet(pid) {
            print("Stopping swiftlet (pid \(pid))…")
            kill(pid, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(20)
            while kill(pid, 0) == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
            if kill(pid, 0) == 0 {
                kill(pid, SIGKILL)
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        let net =
            record?.network
            ?? ClusterNetwork(
                name: clusterName,
                nodeCIDR: IPv4Network("172.30.0.0/24")!,
                podCIDR: IPv4Network("10.244.0.0/16")!,
                serviceCIDR: IPv4Network("10.96.0.0/12")!
            )
        // The cluster's containerd outlives a crashed `up`: its sandboxes go first (so their
        // network namespaces go too), then containerd, its shims, mounts and cgroups.
        let layout = ContainerdLayout(dataDir: record?.dataDir ?? dir.path, cluster: clusterName)
        var stoppedRuntime: [String] = []
        if let endpoint = record?.containerRuntimeEndpoint {
            // A runtime Swiftlet was given: only this cluster's pods go, the runtime stays.
            if let cri = try? CRIClient(socketPath: endpoint), (try? await cri.version()) != nil {
                await ExternalContainerd.removePods(cri, layout: layout, logger: Logger(label: "swiftlet.down"))
                cri.close()
                stoppedRuntime.append("pods of \(clusterName) in the container runtime at \(endpoint)")
            }
        } else if FileManager.default.fileExists(atPath: layout.dir) {
            if FileManager.default.fileExists(atPath: layout.socket),
                let cri = try? CRIClient(socketPath: layout.socket),
                (try? await cri.version()) != nil
            {
                await cri.removeAllSandboxes(logger: Logger(label: "swiftlet.down"))
                cri.close()
                stoppedRuntime.append("containerd of \(clusterName) and its pods")
            }
            ContainerdProcess.removeLeftovers(layout, logger: Logger(label: "swiftlet.down"))
        }
        // emptyDir volumes on tmpfs that a crashed agent left mounted.
        let dataDir = record?.dataDir ?? dir.path
        for mount in ContainerdProcess.mounts(under: [dataDir + "/nodes"]).sorted(by: >)
        where umount2(mount, Int32(MNT_DETACH)) == 0 {
            stoppedRuntime.append("mount \(mount)")
        }
        let removed = stoppedRuntime + (await ClusterPlumbing.tearDown(net))
        record?.unregister()
        try? FileManager.default.removeItem(at: dir.appendingPathComponent("ready"))
        if removed.isEmpty {
            print("Cluster \(clusterName): nothing left to remove.")
        } else {
            print("Cluster \(clusterName): removed \(removed.count) objects:")
            for r in removed { print("  \(r)") }
        }
        if purge {
            try? FileManager.default.removeItem(at: dir)
            print("Deleted \(dir.path).")
        }
    }

    func isSwiftlet(_ pid: Int32) -> Bool {
        let cmd = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
        return cmd.contains("swiftlet")
    }
}
