// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .unsafeFlags(["-warnings-as-errors"])
]

let package = Package(
    name: "swiftlet",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "swiftlet", targets: ["swiftlet"]),
        .executable(name: "swiftlet-bench", targets: ["swiftlet-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.0"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.0"),
    ],
    targets: [
        // API machinery: ordered JSON and its codec, patches, selectors, errors, name and
        // address validation, timestamps. No I/O, no knowledge of any kind.
        .target(name: "KubeMachinery", swiftSettings: strict),
        // Kubernetes' protobuf encoding read into the same JSON trees (kubectl's typed commands).
        .target(name: "KubeProtobuf", dependencies: ["KubeMachinery"], swiftSettings: strict),
        // Typed read models of the objects components consume, built once from JSON, with
        // upstream's derived rules as members.
        .target(name: "KubeModel", dependencies: ["KubeMachinery"], swiftSettings: strict),
        // The per-kind rules: defaults, validation, tables, the served resources.
        .target(name: "KubeAPI", dependencies: ["KubeMachinery", "KubeModel"], swiftSettings: strict),
        // The Store protocol with its memory and SQLite engines.
        .target(
            name: "KubeStore",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The HTTPS API server: routes, discovery, watch streaming, tables, allocators, TLS.
        .target(
            name: "APIServer",
            dependencies: [
                "KubeAPI", "KubeMachinery", "KubeModel", "KubeProtobuf", "KubeStore", "SPDY",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        // The HTTP client every component uses to read the cluster.
        .target(
            name: "KubeClient",
            dependencies: [
                "KubeAPI", "KubeMachinery", "KubeModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Controllers: API clients that keep Endpoints, EndpointSlices and workloads in step.
        .target(
            name: "Controllers",
            dependencies: [
                "KubeAPI", "KubeMachinery", "KubeModel", "KubeClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // A local TCP front for several API servers, for clients that take one address.
        .target(
            name: "APIFailover",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Running host programs (ip, nft, conntrack) with their errors reported.
        .target(
            name: "HostCommands",
            dependencies: [.product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strict
        ),
        // The service proxy: Services and EndpointSlices to an nftables ruleset per node.
        .target(
            name: "ServiceProxy",
            dependencies: [
                "KubeAPI", "KubeMachinery", "KubeModel", "KubeClient", "CLinuxNamespaces", "CNFTables", "HostCommands",
                "ProcessTuning",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // libnftables (Debian's libnftables-dev), kept open on a thread inside a network namespace.
        .target(name: "CNFTables", linkerSettings: [.linkedLibrary("nftables")]),
        // zlib with a preset dictionary, flushed per call: SPDY's header compression.
        .target(name: "CZlib", linkerSettings: [.linkedLibrary("z")]),
        // SPDY/3.1 framing and sessions: the multiplexing under Kubernetes' exec, attach and
        // port-forward streams (kubectl's port-forward tunnel, CRI streaming servers).
        .target(
            name: "SPDY",
            dependencies: [
                "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The load balancer in front of the nodes: LoadBalancer IPs to NodePorts, health-checked.
        .target(
            name: "HostLoadBalancer",
            dependencies: [
                "KubeAPI", "KubeMachinery", "KubeModel", "KubeClient", "ServiceProxy",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Cluster DNS: the Kubernetes DNS specification over UDP and TCP, with forwarding.
        .target(
            name: "ClusterDNS",
            dependencies: [
                "KubeAPI", "KubeMachinery", "KubeModel", "KubeClient", "CLinuxNamespaces", "ProcessTuning",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        // The Container Runtime Interface: code generated from Protos/cri, and a client for
        // a runtime's unix socket.
        .target(
            name: "CRI",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The gRPC health checking protocol (grpc.health.v1): code generated from
        // Protos/grpc_health, for grpc probes and agnhost's grpc-health-checking.
        .target(
            name: "GRPCHealth",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strict
        ),
        // Images Swiftlet makes itself (the pause image, agnhost) as OCI archives. Pure but for
        // the files it streams.
        .target(
            name: "OCIImage",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            exclude: ["pause"],
            swiftSettings: strict
        ),
        // The node agent: network namespaces, pod processes, probes, status, logs and exec.
        .target(
            name: "NodeAgent",
            dependencies: [
                "KubeAPI", "KubeMachinery", "KubeModel", "KubeClient", "ServiceProxy", "HostCommands", "CRI",
                "OCIImage", "GRPCHealth",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // setns/unshare and sockets inside a network namespace, which Glibc's module does not export.
        .target(name: "CLinuxNamespaces"),
        // glibc's allocator and CPU affinity calls (malloc arenas, malloc_trim, pinning).
        .target(name: "CProcessTuning"),
        .target(name: "ProcessTuning", dependencies: ["CProcessTuning"], swiftSettings: strict),
        // The e2e test images built into the binary (agnhost netexec, serve-hostname, pause).
        .target(
            name: "BuiltinImages",
            dependencies: [
                "GRPCHealth",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // How `swiftlet up` assembles a cluster on this host: its record, the host's network
        // plumbing, and the binaries it starts.
        .target(
            name: "SwiftletCluster",
            dependencies: [
                "APIServer", "KubeAPI", "KubeMachinery", "KubeModel", "KubeClient", "Controllers", "NodeAgent",
                "ServiceProxy", "ClusterDNS", "HostLoadBalancer", "HostCommands", "CRI", "OCIImage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "swiftlet",
            dependencies: [
                "KubeAPI", "KubeMachinery", "KubeModel", "KubeStore", "APIServer", "KubeClient", "Controllers",
                "NodeAgent",
                "ServiceProxy", "HostCommands", "ClusterDNS", "HostLoadBalancer", "BuiltinImages", "CLinuxNamespaces",
                "APIFailover", "ProcessTuning", "SwiftletCluster", "CRI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The benchmarks, apart from the shipped binary; they start `swiftlet` beside them.
        .executableTarget(
            name: "swiftlet-bench",
            dependencies: [
                "KubeAPI", "KubeMachinery", "KubeModel", "KubeStore", "APIServer", "KubeClient", "Controllers",
                "NodeAgent",
                "ServiceProxy", "HostCommands", "ClusterDNS", "HostLoadBalancer", "CLinuxNamespaces", "ProcessTuning",
                "SwiftletCluster",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "APIFailoverTests",
            dependencies: [
                "APIFailover", .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "SPDYTests", dependencies: ["SPDY"], swiftSettings: strict),
        .testTarget(
            name: "KubeAPITests",
            dependencies: ["KubeAPI", "KubeMachinery", "KubeModel", "KubeProtobuf"],
            swiftSettings: strict
        ),
        // Fakes the component tests share (informer sources, recording clients); never shipped.
        .target(
            name: "TestSupport",
            dependencies: ["KubeAPI", "KubeMachinery", "KubeClient"],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "ControllersTests",
            dependencies: ["Controllers", "KubeAPI", "KubeMachinery", "KubeModel", "KubeClient", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NodeAgentTests",
            dependencies: [
                "NodeAgent", "KubeAPI", "KubeMachinery", "KubeModel", "HostCommands",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ServiceProxyTests",
            dependencies: [
                "ServiceProxy", "KubeAPI", "KubeMachinery", "KubeModel", "KubeClient", "HostCommands", "TestSupport",
            ],
            exclude: ["Golden"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HostLoadBalancerTests",
            dependencies: [
                "HostLoadBalancer", "ServiceProxy", "KubeAPI", "KubeMachinery", "KubeModel", "HostCommands",
            ],
            exclude: ["Golden"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ClusterDNSTests",
            dependencies: ["ClusterDNS", "KubeAPI", "KubeMachinery", "KubeModel"],
            swiftSettings: strict
        ),
        .testTarget(name: "KubeStoreTests", dependencies: ["KubeStore"], swiftSettings: strict),
        .testTarget(
            name: "SwiftletClusterTests",
            dependencies: [
                "SwiftletCluster", "KubeMachinery", "CRI", "NodeAgent", "OCIImage", "HostCommands",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "OCIImageTests", dependencies: ["OCIImage"], swiftSettings: strict),
        .testTarget(name: "ProcessTuningTests", dependencies: ["ProcessTuning"], swiftSettings: strict),
        .testTarget(name: "KubeClientTests", dependencies: ["KubeClient"], swiftSettings: strict),
        .testTarget(
            name: "APIServerTests",
            dependencies: [
                "APIServer", "KubeAPI", "KubeMachinery", "KubeModel", "KubeStore", "KubeClient",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
