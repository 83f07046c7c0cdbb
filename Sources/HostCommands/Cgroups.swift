import Foundation

/// The cgroups Swiftlet's pods live under.
public enum Cgroups {
    /// Removes a cgroup and those below it, deepest first, in every hierarchy mounted under
    /// /sys/fs/cgroup (each v1 controller, or the one v2 tree). A cgroup that still holds a
    /// process stays.
    /// SIGKILLs every process in a cgroup and those below it (in every hierarchy): containers
    /// outlive a killed shim, re-parented to init, but not their cgroup.
    public static func killAll(_ parent: String) {
        let fm = FileManager.default
        let root = "/sys/fs/cgroup"
        var trees = [root + parent]
        for h in (try? fm.contentsOfDirectory(atPath: root)) ?? [] { trees.append(root + "/" + h + parent) }
        for tree in trees where fm.fileExists(atPath: tree) {
            let files = ((try? fm.subpathsOfDirectory(atPath: tree)) ?? []).filter { $0.hasSuffix("cgroup.procs") }
            for file in ["cgroup.procs"] + files {
                let text = (try? String(contentsOfFile: tree + "/" + file, encoding: .utf8)) ?? ""
                for pid in text.split(separator: "\n").compactMap({ Int32($0) }) where pid > 1 && pid != getpid() {
                    kill(pid, SIGKILL)
                }
            }
        }
    }

    public static func remove(_ parent: String) {
        let fm = FileManager.default
        let root = "/sys/fs/cgroup"
        var trees = [root + parent]
        for h in (try? fm.contentsOfDirectory(atPath: root)) ?? [] { trees.append(root + "/" + h + parent) }
        for tree in trees where fm.fileExists(atPath: tree) {
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
