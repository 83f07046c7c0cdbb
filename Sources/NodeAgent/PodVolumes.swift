import Foundation
import KubeMachinery
import KubeModel

/// Why a volume could not be made, in kubelet's words (after `MountVolume.SetUp failed for
/// volume "NAME" : `).
struct VolumeError: Error, Equatable {
    var message: String
}

/// The files of configMap, secret, downwardAPI and projected volumes, as kubelet writes
/// them: keys (or `items`) become files with `defaultMode` (0644) or their own mode. Pure.
enum VolumeFiles {
    struct File: Equatable {
        var data: Data
        var mode: Int
    }

    static let defaultMode = 0o644

    static func payload(
        _ source: Volume.Source,
        pod: JSON,
        containers: [Container],
        configMaps: [String: JSON],
        secrets: [String: JSON],
        tokens: [ServiceAccountTokenKey: String] = [:]
    ) throws(VolumeError) -> [String: File] {
        switch source {
        case let .configMap(name, items, mode, optional):
            return try keys(
                configMaps[name],
                kind: "configmap",
                name: name,
                items: items,
                mode: mode ?? defaultMode,
                optional: optional,
                secret: false
            )
        case let .secret(name, items, mode, optional):
            return try keys(
                secrets[name],
                kind: "secret",
                name: name,
                items: items,
                mode: mode ?? defaultMode,
                optional: optional,
                secret: true
            )
        case let .downwardAPI(items, mode):
            return try downward(items, pod: pod, containers: containers, mode: mode ?? defaultMode)
        case let .projected(sources, mode):
            var out: [String: File] = [:]
            let m = mode ?? defaultMode
            for s in sources {
                let part: [String: File]
                switch s {
                case let .configMap(name, items, optional):
                    part = try keys(
                        configMaps[name],
                        kind: "configmap",
                        name: name,
                        items: items,
                        mode: m,
                        optional: optional,
                        secret: false
                    )
                case let .secret(name, items, optional):
                    part = try keys(
                        secrets[name],
                        kind: "secret",
                        name: name,
                        items: items,
                        mode: m,
                        optional: optional,
                        secret: true
                    )
                case let .downwardAPI(items):
                    part = try downward(items, pod: pod, containers: containers, mode: m)
                case let .serviceAccountToken(path, audience, seconds):
                    guard let token = tokens[ServiceAccountTokenKey(audience: audience, expirationSeconds: seconds)]
                    else { throw VolumeError(message: "no token for the service account yet") }
                    part = [path: File(data: Data(token.utf8), mode: m)]
                case .unknown:
                    throw VolumeError(message: "unknown projected volume source")
                }
                out.merge(part) { _, new in new }
            }
            return out
        default:
            return [:]
        }
    }

    /// A ConfigMap's or Secret's keys (ConfigMap: `data` and `binaryData`) as files.
    static func keys(
        _ object: JSON?,
        kind: String,
        name: String,
        items: [Volume.KeyToPath],
        mode: Int,
        optional: Bool,
        secret: Bool
    ) throws(VolumeError) -> [String: File] {
        guard let object else {
            if optional { return [:] }
            throw VolumeError(message: "\(kind) \"\(name)\" not found")
        }
        var values: [String: Data] = [:]
        for (k, v) in object["data"]?.object ?? JSONObject() {
            guard let text = v.string else { continue }
            values[k] = secret ? Data(base64Encoded: text) ?? Data() : Data(text.utf8)
        }
        if !secret {
            for (k, v) in object["binaryData"]?.object ?? JSONObject() {
                values[k] = v.string.flatMap { Data(base64Encoded: $0) } ?? Data()
            }
        }
        guard !items.isEmpty else { return values.mapValues { File(data: $0, mode: mode) } }
        var out: [String: File] = [:]
        for item in items {
            guard let data = values[item.key] else {
                if optional { continue }
                throw VolumeError(
                    message: secret
                        ? "references non-existent secret key: \(item.key)"
                        : "configmap references non-existent config key: \(item.key)"
                )
            }
            out[item.path] = File(data: data, mode: item.mode ?? mode)
        }
        return out
    }

    static func downward(
        _ items: [Volume.DownwardItem],
        pod: JSON,
        containers: [Container],
        mode: Int
    ) throws(VolumeError) -> [String: File] {
        var out: [String: File] = [:]
        for item in items {
            let text: String
            if let field = item.fieldPath {
                switch field {
                case "metadata.labels", "metadata.annotations":
                    let map =
                        pod[path: ["metadata", String(field.dropFirst("metadata.".count))]]?.object ?? JSONObject()
                    text = map.entries.compactMap { k, v in v.string.map { "\(k)=\($0.goQuoted)" } }.sorted()
                        .joined(separator: "\n")
                default:
                    guard let v = PodEnvironment.fieldValue(field, pod: pod) else {
                        throw VolumeError(message: "unsupported fieldPath \(field)")
                    }
                    text = v
                }
            } else if let resource = item.resource {
                guard let c = containers.first(where: { $0.name == item.containerName }) ?? containers.first else {
                    throw VolumeError(message: "no container for resourceFieldRef \(resource)")
                }
                text = PodEnvironment.resourceValue(resource, container: c)
            } else {
                continue
            }
            out[item.path] = File(data: Data(text.utf8), mode: item.mode ?? mode)
        }
        return out
    }
}

/// Which token a projection wants: one per audience and lifetime, as kubelet keys them.
struct ServiceAccountTokenKey: Hashable, Sendable {
    var audience: String?
    var expirationSeconds: Int64

    static func all(_ volumes: [Volume]) -> Set<ServiceAccountTokenKey> {
        var out = Set<ServiceAccountTokenKey>()
        for v in volumes {
            guard case let .projected(sources, _) = v.source else { continue }
            for case let .serviceAccountToken(_, audience, seconds) in sources {
                out.insert(.init(audience: audience, expirationSeconds: seconds))
            }
        }
        return out
    }
}

/// kubelet's atomic writer: a volume's files live in a timestamped directory that the
/// `..data` symlink names, and each top-level name is a symlink into `..data`; an update
/// writes a new directory and renames a new `..data` over the old one, so a reader sees
/// the old files or the new ones, never a mix.
enum AtomicWriter {
    static let dataLink = "..data"

    /// Whether a payload path is one kubelet writes: relative, without `..` components.
    static func isValid(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/") && !path.split(separator: "/").contains("..")
            && !path.hasPrefix("..")
    }

    /// Writes `payload` into `dir`; returns false when it was there already.
    @discardableResult
    static func write(_ payload: [String: VolumeFiles.File], to dir: URL) throws -> Bool {
        let fm = FileManager.default
        for path in payload.keys where !isValid(path) {
            throw VolumeError(message: "invalid path \(path): must be relative and may not contain '..'")
        }
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        let data = dir.appendingPathComponent(dataLink)
        let old = try? fm.destinationOfSymbolicLink(atPath: data.path)
        if let old, current(dir.appendingPathComponent(old)) == payload { return false }
        let stamp = "..\(Timestamp.now.rfc3339)_\(UInt32.random(in: 0...UInt32.max))"
            .replacingOccurrences(of: ":", with: "_")
        let fresh = dir.appendingPathComponent(stamp)
        try fm.createDirectory(at: fresh, withIntermediateDirectories: true)
        for (path, file) in payload {
            let url = fresh.appendingPathComponent(path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try file.data.write(to: url)
            try fm.setAttributes([.posixPermissions: file.mode], ofItemAtPath: url.path)
        }
        let tmp = dir.appendingPathComponent(dataLink + "_tmp")
        try? fm.removeItem(at: tmp)
        try fm.createSymbolicLink(atPath: tmp.path, withDestinationPath: stamp)
        guard rename(tmp.path, data.path) == 0 else {
            throw VolumeError(message: "rename \(tmp.path): \(String(cString: strerror(errno)))")
        }
        let tops = Set(payload.keys.compactMap { $0.split(separator: "/").first.map(String.init) })
        for name in tops where (try? fm.destinationOfSymbolicLink(atPath: dir.appendingPathComponent(name).path)) == nil
        {
            try fm.createSymbolicLink(
                atPath: dir.appendingPathComponent(name).path,
                withDestinationPath: dataLink + "/" + name
            )
        }
        for name in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? []
        where !name.hasPrefix("..") && !tops.contains(name) {
            try? fm.removeItem(at: dir.appendingPathComponent(name))
        }
        if let old { try? fm.removeItem(at: dir.appendingPathComponent(old)) }
        return true
    }

    /// The files a data directory holds now, as a payload.
    static func current(_ dir: URL) -> [String: VolumeFiles.File]? {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: dir.path) else { return nil }
        var out: [String: VolumeFiles.File] = [:]
        while let path = walker.nextObject() as? String {
            let url = dir.appendingPathComponent(path)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue,
                let data = try? Data(contentsOf: url),
                let mode = (try? fm.attributesOfItem(atPath: url.path))?[.posixPermissions] as? Int
            else { continue }
            out[path] = .init(data: data, mode: mode)
        }
        return out
    }
}

/// hostPath's `type` check, with kubelet's messages. Creates what `DirectoryOrCreate` and
/// `FileOrCreate` ask for.
enum HostPathCheck {
    static func check(_ path: String, type: String) throws(VolumeError) {
        let fm = FileManager.default
        var st = stat()
        let exists = lstat(path, &st) == 0
        let kind = st.st_mode & S_IFMT
        switch type {
        case "":
            return
        case "DirectoryOrCreate":
            if !exists {
                do {
                    try fm.createDirectory(
                        atPath: path,
                        withIntermediateDirectories: true,
                        attributes: [.posixPermissions: 0o755]
                    )
                } catch {
                    throw VolumeError(message: "hostPath type check failed: \(path): \(error.localizedDescription)")
                }
                return
            }
            if kind != S_IFDIR { throw VolumeError(message: "hostPath type check failed: \(path) is not a directory") }
        case "Directory":
            if !exists || kind != S_IFDIR {
                throw VolumeError(message: "hostPath type check failed: \(path) is not a directory")
            }
        case "FileOrCreate":
            if !exists {
                try? fm.createDirectory(
                    atPath: (path as NSString).deletingLastPathComponent,
                    withIntermediateDirectories: true
                )
                guard fm.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]) else {
                    throw VolumeError(message: "hostPath type check failed: \(path) could not be created")
                }
                return
            }
            if kind != S_IFREG { throw VolumeError(message: "hostPath type check failed: \(path) is not a file") }
        case "File":
            if !exists || kind != S_IFREG {
                throw VolumeError(message: "hostPath type check failed: \(path) is not a file")
            }
        case "Socket":
            if !exists || kind != S_IFSOCK {
                throw VolumeError(message: "hostPath type check failed: \(path) is not a socket file")
            }
        case "CharDevice":
            if !exists || kind != S_IFCHR {
                throw VolumeError(message: "hostPath type check failed: \(path) is not a character device")
            }
        case "BlockDevice":
            if !exists || kind != S_IFBLK {
                throw VolumeError(message: "hostPath type check failed: \(path) is not a block device")
            }
        default:
            throw VolumeError(message: "hostPath type \(type) is not supported")
        }
    }
}
