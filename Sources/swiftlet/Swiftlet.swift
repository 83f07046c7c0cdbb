import APIServer
import ArgumentParser
import Controllers
import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import Logging
import ServiceLifecycle
import SwiftletCluster

struct Swiftlet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftlet",
        abstract: "Kubernetes Service networking in one binary.",
        discussion: """
            Start a cluster with `swiftlet up`, then use your own kubectl: the context `swiftlet` \
            is merged into ~/.kube/config.
            """,
        version: ControlPlane.version,
        subcommands: [
            Up.self, Down.self, Server.self, Node.self, Token.self, APIProxyCommand.self, DNSCommand.self, Version.self,
            AgnhostCommand.self, ImagesCommand.self,
        ]
    )
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")
    func run() {
        print("swiftlet \(ControlPlane.version) (Kubernetes API \(KubernetesInfo.apiVersion))")
    }
}

enum KubernetesInfo {
    static let apiVersion = "v1.32"
}

/// Flags shared by the commands that start a control plane.
struct ServerOptions: ParsableArguments {
    @Option(
        help:
            "Where the store, certificates and kubeconfig live (default /var/lib/swiftlet as root, ~/.swiftlet otherwise)."
    )
    var dataDir: String?

    @Option(help: "The HTTPS port of the API server.")
    var port = 6443

    @Option(help: "Addresses the API server listens on, comma-separated. Never all interfaces unless you say 0.0.0.0.")
    var bindAddress = "127.0.0.1"

    @Option(name: [.long, .customLong("service-cluster-ip-range")], help: "The Service ClusterIP range.")
    var serviceCIDR = "10.96.0.0/12"

    @Option(name: [.long, .customLong("service-node-port-range")], help: "The NodePort range, as FROM-TO.")
    var nodePortRange = "30000-32767"

    @Option(
        help:
            "The storage engine: sqlite (default, a file in the data directory), memory, or etcd://host:2379[,host:2379…]."
    )
    var store = "sqlite"

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    func configuration() throws -> ServerConfiguration {
        let dir =
            dataDir.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) }
            ?? ServerConfiguration.defaultDataDir
        var c = ServerConfiguration(dataDir: dir)
        c.port = port
        c.bindAddresses = bindAddress.split(separator: ",").map(String.init)
        c.advertiseAddress = c.bindAddresses.first ?? "127.0.0.1"
        guard let cidr = IPv4Network(serviceCIDR) else {
            throw ValidationError("--service-cidr \(serviceCIDR) is not an IPv4 CIDR such as 10.96.0.0/12")
        }
        c.serviceCIDR = cidr
        let parts = nodePortRange.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, parts[0] < parts[1], parts[0] > 0, parts[1] < 65536 else {
            throw ValidationError("--node-port-range \(nodePortRange) must look like 30000-32767")
        }
        c.nodePortRange = parts[0]...parts[1]
        switch store {
        case "sqlite": c.storeURL = nil
        case "memory": c.storeURL = "memory"
        case let url where url.hasPrefix("etcd://"): c.storeURL = url
        default:
            throw ValidationError("--store \(store) is not known: use sqlite, memory, or etcd://host:2379[,host:2379…]")
        }
        return c
    }

    func logger(_ label: String) -> Logger {
        var l = Logger(label: label)
        l.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return l
    }
}

struct Server: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the control plane: the API server on an embedded store."
    )

    @OptionGroup var options: ServerOptions

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = options.logger("swiftlet.server")
        let config = try options.configuration()
        try await ControlPlaneProcess(config: config).run(
            logger: logger,
            controllersLogger: options.logger("swiftlet.controllers")
        )
    }
}
