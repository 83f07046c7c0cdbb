import ArgumentParser
import Foundation
import KubeAPI
import KubeClient
import SwiftletCluster

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage bootstrap tokens, with which nodes join the cluster.",
        subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a bootstrap token and print the command that joins a node with it."
        )

        @Option(help: "The data directory of the cluster.") var dataDir: String?
        @Option(help: "How long the token is valid, in hours (0: until deleted).") var ttlHours = 24.0

        func run() async throws {
            let dir = ClusterRecord.dataDir(dataDir)
            guard let record = ClusterRecord.load(from: dir) else {
                throw ValidationError("no cluster in \(dir.path): start one with `swiftlet up --data-dir \(dir.path)`")
            }
            let client = try KubeClient(
                credentials: ClusterCredentials.fromDataDir(dir, server: "https://127.0.0.1:\(record.port)")
            )
            let token: BootstrapToken
            do {
                token = try await ClusterInfo.createToken(
                    client: client,
                    ttl: ttlHours > 0 ? ttlHours * 3600 : nil,
                    description: "made by swiftlet token create"
                )
                try await ClusterInfo.waitForSignature(client: client, token: token)
            } catch {
                await client.shutdown()
                throw error
            }
            await client.shutdown()
            print(ClusterInfo.joinCommand(server: "https://\(record.network.hostIP):\(record.port)", token: token))
        }
    }
}
