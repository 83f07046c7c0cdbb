import Crypto
import Foundation

/// An image of Swiftlet's own making (the pause image, agnhost), written as an OCI image
/// archive (`oci-layout`, `index.json`, `blobs/sha256/…`) that containerd imports as
/// `docker save` output is imported. One uncompressed layer.
public struct ImageBuild: Sendable {
    public enum Source: Sendable, Equatable {
        case data(Data)
        case file(URL)
        case directory
        case symlink(String)
    }

    public struct File: Sendable, Equatable {
        public var path: String
        public var mode: Int
        public var source: Source

        public init(_ path: String, mode: Int = 0o644, _ source: Source) {
            self.path = path
            self.mode = mode
            self.source = source
        }
    }

    /// The image's name, e.g. `swiftlet.local/pause:1`.
    public var reference: String
    public var files: [File]
    public var entrypoint: [String]
    public var cmd: [String] = []
    public var env: [String] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    public var workingDir = "/"
    public var user: String?
    public var architecture = ImageBuild.hostArchitecture

    public init(reference: String, files: [File], entrypoint: [String]) {
        self.reference = reference
        self.files = files
        self.entrypoint = entrypoint
    }

    /// The OCI name of this machine's architecture.
    public static var hostArchitecture: String {
        #if arch(arm64)
        "arm64"
        #else
        "amd64"
        #endif
    }

    struct Descriptor: Codable {
        var mediaType: String
        var digest: String
        var size: Int
        var annotations: [String: String]?
    }

    /// Writes the archive to `destination`; the layer is streamed through a file beside it.
    /// Returns the manifest's digest.
    @discardableResult
    public func write(to destination: URL) throws -> String {
        let fm = FileManager.default
        let layerURL = destination.appendingPathExtension("layer")
        defer { try? fm.removeItem(at: layerURL) }
        _ = fm.createFile(atPath: layerURL.path, contents: nil)
        let layerHandle = try FileHandle(forWritingTo: layerURL)
        var hasher = SHA256()
        var layerSize = 0
        let layer = TarWriter { chunk in
            hasher.update(data: chunk)
            layerSize += chunk.count
            try layerHandle.write(contentsOf: chunk)
        }
        for f in files {
            switch f.source {
            case .data(let d): try layer.file(f.path, mode: f.mode, contents: d)
            case .file(let url): try layer.file(f.path, mode: f.mode, from: url)
            case .directory: try layer.directory(f.path, mode: f.mode)
            case .symlink(let target): try layer.symlink(f.path, to: target)
            }
        }
        try layer.finish()
        try layerHandle.close()
        let layerDigest = "sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined()

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var config: [String: JSONValue] = [
            "Entrypoint": .strings(entrypoint), "Env": .strings(env), "WorkingDir": .string(workingDir),
        ]
        if !cmd.isEmpty { config["Cmd"] = .strings(cmd) }
        if let user { config["User"] = .string(user) }
        let configBlob = try encoder.encode([
            "architecture": JSONValue.string(architecture), "os": .string("linux"), "config": .object(config),
            "rootfs": .object(["type": .string("layers"), "diff_ids": .strings([layerDigest])]),
        ])
        let configDigest = Self.digest(configBlob)
        let manifest = try encoder.encode(
            Manifest(
                schemaVersion: 2,
                mediaType: "application/vnd.oci.image.manifest.v1+json",
                config: Descriptor(
                    mediaType: "application/vnd.oci.image.config.v1+json",
                    digest: configDigest,
                    size: configBlob.count
                ),
                layers: [
                    Descriptor(
                        mediaType: "application/vnd.oci.image.layer.v1.tar",
                        digest: layerDigest,
                        size: layerSize
                    )
                ]
            )
        )
        let manifestDigest = Self.digest(manifest)
        let tag = reference.split(separator: ":").last.map(String.init) ?? "latest"
        let index = try encoder.encode(
            Index(
                schemaVersion: 2,
                manifests: [
                    Descriptor(
                        mediaType: "application/vnd.oci.image.manifest.v1+json",
                        digest: manifestDigest,
                        size: manifest.count,
                        annotations: [
                            "io.containerd.image.name": reference, "org.opencontainers.image.ref.name": tag,
                        ]
                    )
                ]
            )
        )

        _ = fm.createFile(atPath: destination.path, contents: nil)
        let out = try FileHandle(forWritingTo: destination)
        defer { try? out.close() }
        let archive = TarWriter { try out.write(contentsOf: $0) }
        try archive.file("oci-layout", contents: Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        try archive.file("index.json", contents: index)
        try archive.directory("blobs")
        try archive.directory("blobs/sha256")
        try archive.file("blobs/sha256/" + configDigest.dropFirst(7), contents: configBlob)
        try archive.file("blobs/sha256/" + manifestDigest.dropFirst(7), contents: manifest)
        try archive.file("blobs/sha256/" + layerDigest.dropFirst(7), mode: 0o644, from: layerURL)
        try archive.finish()
        return manifestDigest
    }

    static func digest(_ d: Data) -> String {
        "sha256:" + SHA256.hash(data: d).map { String(format: "%02x", $0) }.joined()
    }

    struct Manifest: Codable {
        var schemaVersion: Int
        var mediaType: String
        var config: Descriptor
        var layers: [Descriptor]
    }

    struct Index: Codable {
        var schemaVersion: Int
        var manifests: [Descriptor]
    }
}

/// The few JSON shapes an image config needs, encodable with sorted keys.
enum JSONValue: Encodable {
    case string(String)
    case strings([String])
    case object([String: JSONValue])

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .strings(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}
