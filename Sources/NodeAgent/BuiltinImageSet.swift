import Foundation
import HostCommands
import Logging
import OCIImage

/// Images in a containerd that CRI cannot manage: archives imported (`swiftlet images
/// import`, the images Swiftlet makes) and names tagged, through containerd's own `ctr`.
public enum ContainerdImages {
    /// The CRI plugin's containerd namespace: images must be there for pods to use them.
    static let namespace = "k8s.io"

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    static func ctr() throws(Failure) -> String {
        guard let ctr = HostCommand.which("ctr") else {
            throw Failure(description: "ctr (containerd's client, in the containerd package) is not installed")
        }
        return ctr
    }

    public static func importArchive(_ archive: String, socket: String) async throws {
        let ctr = try ctr()
        do {
            _ = try await HostCommand.run(
                ctr,
                ["--address", socket, "--namespace", namespace, "images", "import", archive]
            )
        } catch {
            throw Failure(description: "importing \(archive) into containerd failed: \(error)")
        }
    }

    /// Builds one of Swiftlet's own images in `scratch` and imports it.
    public static func importBuilt(_ image: ImageBuild, socket: String, scratch: URL) async throws {
        let archive = scratch.appendingPathComponent("image-\(UUID().uuidString).tar")
        defer { try? FileManager.default.removeItem(at: archive) }
        try image.write(to: archive)
        try await importArchive(archive.path, socket: socket)
    }

    /// Gives an image a second name (`ctr images tag --force`).
    public static func tag(_ source: String, as target: String, socket: String) async throws {
        let ctr = try ctr()
        _ = try await HostCommand.run(
            ctr,
            ["--address", socket, "--namespace", namespace, "images", "tag", "--force", source, target]
        )
    }

    /// A reference as containerd names it: `busybox` → `docker.io/library/busybox:latest`. Pure.
    public static func normalized(_ reference: String) -> String {
        var name = reference
        var suffix = ""
        if let at = name.firstIndex(of: "@") {
            suffix = String(name[at...])
            name = String(name[..<at])
        }
        let slash = name.firstIndex(of: "/")
        let first = slash.map { String(name[..<$0]) } ?? ""
        let hasDomain = slash != nil && (first.contains(".") || first.contains(":") || first == "localhost")
        if !hasDomain { name = (slash == nil ? "docker.io/library/" : "docker.io/") + name }
        let lastComponent = name.split(separator: "/").last ?? ""
        if suffix.isEmpty, !lastComponent.contains(":") { name += ":latest" }
        return name + suffix
    }
}

/// The images Swiftlet provides itself, made into real images in a node's containerd the
/// first time a pod asks for one: `registry.k8s.io/e2e-test-images/agnhost` (this binary as
/// `/agnhost`, with the libraries it loads, and the host's busybox and curl when present,
/// as upstream's image has a shell and curl), `serve_hostname`, and `pause`. They are
/// never pulled: there may be no registry to pull them from.
public actor BuiltinImageSet {
    public enum Kind: String, Sendable { case agnhost, serveHostname, pause }

    let socket: String
    let executable: String
    let scratch: URL
    private var built: [Kind: Task<String, any Error>] = [:]
    /// Names given to the images, each once: concurrent `ctr images tag --force` of one name
    /// race (one sees "already exists", a pod sees the name missing for a moment).
    private var tagged: [String: Task<Void, any Error>] = [:]

    public init(socket: String, executable: String, scratch: URL) {
        self.socket = socket
        self.executable = executable
        self.scratch = scratch
    }

    public static let agnhostReference = "swiftlet.local/agnhost:builtin"
    public static let serveHostnameReference = "swiftlet.local/serve-hostname:builtin"

    /// Which of Swiftlet's images a pod's image names, by its repository's last component.
    public static func kind(of image: String) -> Kind? {
        var s = Substring(image)
        if let at = s.firstIndex(of: "@") { s = s[..<at] }
        if let slash = s.lastIndex(of: "/") { s = s[s.index(after: slash)...] }
        if let colon = s.firstIndex(of: ":") { s = s[..<colon] }
        switch s {
        case "agnhost": return .agnhost
        case "serve_hostname", "serve-hostname": return .serveHostname
        case "pause": return .pause
        default: return nil
        }
    }

    /// Makes the agnhost image now, in the background, so that the first pod that asks for
    /// it does not wait while it is made (as `up` imports its images at start).
    public nonisolated func prepareAgnhost(logger: Logger) {
        Task {
            do {
                try await self.provide(Self.agnhostReference, kind: .agnhost)
            } catch {
                logger.warning("could not make the agnhost image ahead of time: \(error)")
            }
        }
    }

    /// Makes `image` again: it is gone from containerd (image garbage collection, `swiftlet
    /// images rm`). Pods that find it gone together share one remake.
    public func remake(_ image: String, kind: Kind) async throws {
        let name = ContainerdImages.normalized(image)
        if let task = remaking[name] { return try await task.value }
        let task = Task {
            self.built[kind] = nil
            self.tagged[name] = nil
            try await self.provide(image, kind: kind)
        }
        remaking[name] = task
        defer { remaking[name] = nil }
        try await task.value
    }
    private var remaking: [String: Task<Void, any Error>] = [:]

    /// Makes sure `image` names one of Swiftlet's images in containerd.
    public func provide(_ image: String, kind: Kind) async throws {
        let canonical = try await build(kind)
        let name = ContainerdImages.normalized(image)
        if name == ContainerdImages.normalized(canonical) { return }
        if let task = tagged[name] { return try await task.value }
        let socket = self.socket
        let task = Task { try await ContainerdImages.tag(canonical, as: name, socket: socket) }
        tagged[name] = task
        do {
            try await task.value
        } catch {
            tagged[name] = nil
            throw error
        }
    }

    private func build(_ kind: Kind) async throws -> String {
        if let task = built[kind] { return try await task.value }
        let socket = self.socket, executable = self.executable, scratch = self.scratch
        let task = Task<String, any Error> {
            switch kind {
            case .pause:
                try await ContainerdImages.importBuilt(PauseImage.build, socket: socket, scratch: scratch)
                return PauseImage.reference
            case .agnhost, .serveHostname:
                let binary = await Self.stripped(executable, into: scratch, name: kind.rawValue)
                defer { if binary != executable { try? FileManager.default.removeItem(atPath: binary) } }
                let image = try await Self.agnhostImage(executable: binary, kind: kind)
                try await ContainerdImages.importBuilt(image, socket: socket, scratch: scratch)
                return image.reference
            }
        }
        built[kind] = task
        do {
            return try await task.value
        } catch {
            built[kind] = nil
            throw error
        }
    }

    /// Host tools the image carries when the host has them (with the libraries they load),
    /// as upstream's agnhost image carries a shell, curl, dig, iproute2, getent and ping.
    /// dash is the image's /bin/sh when the host has it: Debian's busybox shell runs its own
    /// applets before anything on PATH (its ping hangs on an ICMP error), dash runs PATH's.
    static let tools = ["busybox", "dash", "curl", "dig", "ip", "getent", "ping"]
    static let busyboxApplets = [
        "sh", "cat", "ls", "echo", "env", "grep", "tr", "hostname", "sleep", "seq", "wget", "ip", "ps", "nslookup",
        "true", "false", "id", "head", "tail", "wc", "sed", "awk", "printf", "test", "date", "nc", "timeout", "mkdir",
        "rm", "cp", "mv", "touch", "kill", "uname", "xargs", "sort", "uniq", "cut", "tee", "which", "tar", "gzip",
        "chmod", "ln", "find", "dd", "md5sum", "basename", "dirname", "pwd", "stat", "du", "df", "tty", "stty", "vi",
        "less", "clear", "top", "free",
    ]

    /// A copy of the binary without its symbols (a quarter of the size: the image imports
    /// faster), or the binary itself where binutils' strip is missing or fails.
    static func stripped(_ executable: String, into scratch: URL, name: String) async -> String {
        guard let strip = HostCommand.which("strip") else { return executable }
        let out = scratch.appendingPathComponent("\(name)-stripped-\(getpid())").path
        try? FileManager.default.removeItem(atPath: out)
        guard (try? await HostCommand.run(strip, ["-o", out, executable])) != nil,
            FileManager.default.fileExists(atPath: out)
        else { return executable }
        return out
    }

    static func agnhostImage(executable: String, kind: Kind) async throws -> ImageBuild {
        let found = tools.compactMap { name in HostCommand.which(name).map { (name, $0) } }
        let paths = [executable] + found.map(\.1)
        var libraries: Set<String> = []
        for binary in paths {
            let out = (try? await HostCommand.run("ldd", [binary])) ?? ""
            libraries.formUnion(SharedLibraries.paths(lddOutput: out))
        }
        var files = ImageFileTree()
        files.add(directory: "tmp", mode: 0o1777)
        files.add(directory: "etc")
        files.add(
            file: "etc/passwd",
            data: Data("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n".utf8)
        )
        files.add(file: "etc/group", data: Data("root:x:0:\nnobody:x:65534:\n".utf8))
        files.add(file: "agnhost", mode: 0o755, from: executable)
        files.add(symlink: "serve_hostname", to: "agnhost")
        for lib in libraries.sorted() { files.add(file: String(lib.dropFirst()), mode: 0o755, from: lib) }
        let hasDash = found.contains { $0.0 == "dash" }
        for (name, path) in found where name != "busybox" {
            files.add(file: name == "dash" ? "bin/sh" : "usr/bin/" + name, mode: 0o755, from: path)
        }
        if let busybox = found.first(where: { $0.0 == "busybox" }) {
            files.add(file: "bin/busybox", mode: 0o755, from: busybox.1)
            for applet in busyboxApplets where !found.contains(where: { $0.0 == applet }) {
                if hasDash, applet == "sh" { continue }
                files.add(symlink: "bin/" + applet, to: "busybox")
            }
        }
        var image = ImageBuild(
            reference: kind == .agnhost ? agnhostReference : serveHostnameReference,
            files: files.entries,
            entrypoint: kind == .agnhost ? ["/agnhost"] : ["/serve_hostname"]
        )
        image.cmd = kind == .agnhost ? ["pause"] : []
        return image
    }
}

/// The shared libraries a program loads, from `ldd`'s output. Pure.
public enum SharedLibraries {
    public static func paths(lddOutput: String) -> [String] {
        var out: [String] = []
        for line in lddOutput.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            // `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)` or `/lib64/ld-linux-x86-64.so.2 (0x…)`
            if let arrow = fields.firstIndex(of: "=>"), arrow + 1 < fields.count, fields[arrow + 1].hasPrefix("/") {
                out.append(String(fields[arrow + 1]))
            } else if let first = fields.first, first.hasPrefix("/") {
                out.append(String(first))
            }
        }
        return out
    }
}

/// The files of an image, with every parent directory listed once before what it holds.
struct ImageFileTree {
    private(set) var entries: [ImageBuild.File] = []
    private var directories: Set<String> = []

    mutating func add(directory path: String, mode: Int = 0o755) {
        guard !path.isEmpty, !directories.contains(path) else { return }
        parents(of: path)
        directories.insert(path)
        entries.append(.init(path, mode: mode, .directory))
    }

    mutating func add(file path: String, mode: Int = 0o644, data: Data) {
        parents(of: path)
        entries.append(.init(path, mode: mode, .data(data)))
    }

    mutating func add(file path: String, mode: Int, from source: String) {
        parents(of: path)
        entries.append(.init(path, mode: mode, .file(URL(fileURLWithPath: source))))
    }

    mutating func add(symlink path: String, to target: String) {
        parents(of: path)
        entries.append(.init(path, mode: 0o777, .symlink(target)))
    }

    private mutating func parents(of path: String) {
        let parts = path.split(separator: "/").dropLast()
        var prefix = ""
        for p in parts {
            prefix = prefix.isEmpty ? String(p) : prefix + "/" + p
            add(directory: prefix)
        }
    }
}
