import Foundation

/// The cgroups Swiftlet's pods live under.
public enum Cgroups {
    /// A cgroup's directory in every hierarchy mounted under /sys/fs/cgroup (each v1
    /// controller, or the one v2 tree) that has it.
    static func trees(_ cgroup: String) -> [String] {
        let root = "/sys/fs/cgroup"
        let hierarchies = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return ([root + cgroup] + hierarchies.map { root + "/" + $0 + cgroup })
            .filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// SIGKILLs every process in a cgroup and those below it: containers outlive a killed
    /// shim, re-parented to init, but not their cgroup.
    public static func killAll(_ cgroup: String) {
        for tree in trees(cgroup) {
            let files = ((try? FileManager.default.subpathsOfDirectory(atPath: tree)) ?? [])
                .filter { $0.hasSuffix("cgroup.procs") }
            for file in ["cgroup.procs"] + files {
                let text = (try? String(contentsOfFile: tree + "/" + file, encoding: .utf8)) ?? ""
                for pid in text.split(separator: "\n").compactMap({ Int32($0) }) where pid > 1 && pid != getpid() {
                    kill(pid, SIGKILL)
                }
            }
        }
    }

    /// Whether the cgroup is still there in some hierarchy.
    public static func exists(_ cgroup: String) -> Bool { !trees(cgroup).isEmpty }

    /// Removes a cgroup and those below it, deepest first. A cgroup that still holds a
    /// process stays.
    public static func remove(_ cgroup: String) {
        let fm = FileManager.default
        for tree in trees(cgroup) {
            let below = ((try? fm.subpathsOfDirectory(atPath: tree)) ?? [])
                .filter { $0.split(separator: "/").last.map { !$0.contains(".") } ?? false }
                .map { tree + "/" + $0 }
                .filter {
                    var isDir: ObjCBool = false
                    return fm.fileExists(atPath: $0, isDirectory: &isDir) && isDir.boolValue
                }
            for dir in below.sorted(by: { $0.count > $1.count }) + [tree] { rmdir(dir) }
        }
    }
}
