import ArgumentParser
import CRI
import Foundation
import NodeAgent
import SwiftletCluster

/// The images in a running cluster's containerd, for air-gapped use: import archives as
/// `docker save` or `skopeo copy … oci-archive:` write them, list and remove.
struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Import, list and remove the images of a running cluster.",
        subcommands: [Import.self, List.self, Remove.self]
    )

    struct Cluster: ParsableArguments {
        @Option(help: "The cluster's data directory (default /var/lib/swiftlet as root, ~/.swiftlet otherwise).")
        var dataDir: String?

        func socket() throws -> String {
            let dir = ClusterRecord.dataDir(dataDir)
            let name = ClusterRecord.load(from: dir)?.name ?? "swiftlet"
            let socket = ContainerdLayout(dataDir: dir.path, cluster: name).socket
            guard FileManager.default.fileExists(atPath: socket) else {
                throw ValidationError(
                    "no running cluster with containerd in \(dir.path): start one with `swiftlet up --data-dir \(dir.path)`"
                )
            }
            return socket
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import an image archive (docker-archive or OCI archive) into the cluster."
        )
        @OptionGroup var cluster: Cluster
        @Argument(help: "The archive: FILE.tar") var archive: String

        func run() async throws {
            guard FileManager.default.isReadableFile(atPath: archive) else {
                throw ValidationError("cannot read \(archive)")
            }
            try await ContainerdImages.importArchive(archive, socket: try cluster.socket())
            print("imported \(archive)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the cluster's images.")
        @OptionGroup var cluster: Cluster

        func run() async throws {
            let cri = try CRIClient(socketPath: try cluster.socket())
            defer { cri.close() }
            let images = try await cri.images.listImages(Runtime_V1_ListImagesRequest()).images
            print("IMAGE".padding(toLength: 60, withPad: " ", startingAt: 0) + " IMAGE ID       SIZE")
            for image in images {
                let id = String(image.id.dropFirst("sha256:".count).prefix(13))
                let size = String(format: "%.1fMB", Double(image.size) / 1e6)
                for tag in image.repoTags.isEmpty ? ["<none>"] : image.repoTags {
                    print(tag.padding(toLength: 60, withPad: " ", startingAt: 0) + " \(id)  \(size)")
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove images from the cluster.")
        @OptionGroup var cluster: Cluster
        @Argument(help: "Image names or ids.") var images: [String]

        func run() async throws {
            let cri = try CRIClient(socketPath: try cluster.socket())
            defer { cri.close() }
            for image in images {
                var r = Runtime_V1_RemoveImageRequest()
                r.image.image = image
                do {
                    _ = try await cri.images.removeImage(r)
                    print("deleted \(image)")
                } catch {
                    throw ValidationError("cannot remove \(image): \(error)")
                }
            }
        }
    }
}
