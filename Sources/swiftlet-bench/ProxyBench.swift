import ArgumentParser
import CLinuxNamespaces
import Foundation
import HostCommands
import KubeAPI
import KubeClient
import KubeMachinery
import Logging
import NIOCore
import NIOPosix
import ProcessTuning
import ServiceProxy
import SwiftletCluster
import Synchronization

/// `swiftlet bench proxy`: sync times, programming latency and memory of a real proxy fed by
/// a real API server, and the data path through the rules, all in a scratch namespace.
struct ProxyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Service proxy: sync, programming latency, memory, data path."
    )

    @Option(help: "Services (each with 2 endpoints) for the sync figures.") var services = 10_000
    @Option(help: "One-service changes and EndpointSlice changes to time.") var changes = 50
    @Option(help: "Seconds per data-path measurement.") var seconds = 3.0
    @Option(help: "Client threads for the data path (the server has the other core).") var clients = 1
    @Option(help: "Rounds per data-path comparison, each on new connections.") var rounds = 5
    @Flag(help: "Stop after the memory of a process running the proxy alone.") var memoryOnly = false
    @Flag(help: "Only the data path (no API server, no sync figures).") var dataPathOnly = false

    var namespace: String { "swl-bench-\(getpid())" }

    func run() async throws {
        guard getuid() == 0 else { throw ValidationError("bench proxy needs root (it makes a network namespace)") }
        try await HostCommand.run("ip", ["netns", "add", namespace])
        let namespace = self.namespace
        @Sendable func deleteNamespace() {
            _ = try? Process.run(URL(fileURLWithPath: "/usr/sbin/ip"), arguments: ["netns", "delete", namespace])
                .waitUntilExit()
        }
        let interruption = BenchInterruption.onInterrupt(deleteNamespace)
        defer {
            BenchInterruption.remove(interruption)
            deleteNamespace()
        }
        try await HostCommand.run(
            "ip",
            ["-n", namespace, "-batch", "-"],
            input: """
                link set lo up
                addr add 10.250.0.1/32 dev lo
                addr add 10.250.0.2/32 dev lo
                route add 10.96.0.0/12 dev lo

                """
        )
        let node = Self.node(table: "swiftlet-bench")
        ProgressLog.say(
            "Service proxy benchmark (namespace \(namespace), nftables \(try await HostCommand.run("nft", ["--version"]).trimmingCharacters(in: .whitespacesAndNewlines)))"
        )
        if !dataPathOnly { try await syncFigures(node) }
        if memoryOnly { return }
        try await dataPath(node)
    }

    static func node(table: String) -> ProxyNode {
        ProxyNode(
            name: "bench",
            nodeIP: IPv4Address("10.250.0.1")!,
            clusterPodCIDR: IPv4Network("10.250.0.0/16")!,
            nodePodCIDR: IPv4Network("10.250.0.0/24")!,
            serviceCIDR: IPv4Network("10.96.0.0/12")!,
            table: table
        )
    }

    /// The proxy alone in a process of its own (as kube-proxy runs): its RSS once it has
    /// programmed every Service, read from the child's report.
    func proxyProcessRSS(_ server: ServerProcess) async throws -> String {
        let out = try await HostCommand.run(
            SwiftletExecutable.current,
            [
                "proxy-process", "--data-dir", server.dir.path,
                "--server", server.url, "--namespace", namespace,
            ]
        )
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: Sync, programming latency, memory

    func syncFigures(_ node: ProxyNode) async throws {
        let dataplane = NamespaceDataplane(namespace: namespace)
        // Rendering and applying alone, without the API.
        let clock = ContinuousClock()
        var t0 = clock.now
        ProcessTuning.releaseFreeMemory()
        let rssBeforeFragments = rssMiB(pid: getpid())
        let fragments = (0..<services).map { syntheticFragment($0, node) }
        ProgressLog.say(
            "\(services) rendered fragments (the proxy's state per Service) take "
                + "\(format(rssMiB(pid: getpid()) - rssBeforeFragments)) MiB"
        )
        let render = clock.now - t0
        let script = NFTScript.full(node, fragments)
        t0 = clock.now
        try await dataplane.apply(script)
        let apply = clock.now - t0
        ProgressLog.say(
            "full ruleset, \(services) services x 2 endpoints: render \(format(Stats.ms(render))) ms, "
                + "nft apply \(format(Stats.ms(apply))) ms (\(script.utf8.count / 1024) KiB script)"
        )
        var one: [Double] = []
        for i in 0..<changes {
            t0 = clock.now
            let f = syntheticFragment(services + i, node)
            try await dataplane.apply(
                NFTScript.update(
                    node,
                    [(old: ServiceFragment(), new: f)],
                    hairpinAdded: [],
                    hairpinRemoved: [],
                    existingSharedChains: ["pick-2"]
                )
            )
            one.append(Stats.ms(clock.now - t0))
        }
        let o = Stats(samples: one)
        ProgressLog.say(
            "add one service with \(services) present (render + nft): p50 \(format(o.percentile(0.5))) ms, p99 \(format(o.percentile(0.99))) ms"
        )
        var spawn: [Double] = []
        for _ in 0..<changes {
            t0 = clock.now
            try await HostCommand.run("nsenter", ["--net=/run/netns/\(namespace)", "true"])
            spawn.append(Stats.ms(clock.now - t0))
        }
        ProgressLog.say(
            "  of which starting a process (nsenter true): p50 \(format(Stats(samples: spawn).percentile(0.5))) ms"
        )

        // The real proxy: informers on a real API server, then changes through the API.
        let server = try ServerProcess()
        defer { server.stop() }
        let client = try await server.waitReady()
        ProgressLog.say("populating the API server with \(services) services and EndpointSlices…")
        try await populate(client)
        ProgressLog.say(
            "a process running only the proxy (informers + proxier, table programmed): \(try await proxyProcessRSS(server))"
        )
        if memoryOnly { return }
        var logger = Logger(label: "bench.proxy")
        logger.logLevel = ProcessInfo.processInfo.environment["SWIFTLET_BENCH_DEBUG"] != nil ? .trace : .warning
        let rssBefore = rssMiB(pid: getpid())
        // The same slim caches the node agent keeps.
        let (servicesInformer, slicesInformer) = ProxyObjects.nodeInformers(client: client, logger: logger)
        var config = Proxier.Configuration(node: node, namespace: namespace)
        config.healthChecks = false
        let proxier = Proxier(
            config: config,
            dataplane: dataplane,
            services: servicesInformer,
            slices: slicesInformer,
            logger: logger
        )
        let reports = await proxier.reports()
        let informers = Task {
            await withTaskGroup(of: Void.self) { g in
                g.addTask { await servicesInformer.run() }
                g.addTask { await slicesInformer.run() }
            }
        }
        defer { informers.cancel() }
        await servicesInformer.waitForSync()
        await slicesInformer.waitForSync()
        ProcessTuning.releaseFreeMemory()
        let rssCaches = rssMiB(pid: getpid())
        let running = Task { await proxier.run() }
        defer { running.cancel() }
        var iterator = reports.makeAsyncIterator()
        guard let first = await iterator.next() else { return }
        ProgressLog.say(
            "proxy first sync (informers synced, full): \(first.services.count) services in \(format(Stats.ms(first.duration))) ms"
        )
        await proxier.requestFullSync()
        if let full = await iterator.next() {
            ProgressLog.say("proxy full resync: \(format(Stats.ms(full.duration))) ms")
        }
        // Read once the sync that reported has ended and given its memory back (the report
        // comes before that, and a read at once raced the trim: 54-70 MiB).
        try? await Task.sleep(for: .seconds(1))
        ProgressLog.say(
            "proxy process RSS with \(services) services and slices cached and programmed, 1 s after the full resync: \(format(rssMiB(pid: getpid()))) MiB "
                + "(before the proxy started: \(format(rssBefore)) MiB; with the informer caches filled: \(format(rssCaches)) MiB)"
        )

        // One new Service + slice at a time: render + apply, and API write to rules live.
        var syncs: [Double] = [], applies: [Double] = [], latencies: [Double] = []
        for i in 0..<changes {
            let name = "added-\(i)"
            let start = clock.now
            _ = try await client.create(Resources.services, namespace: "default", service(name))
            _ = try await client.create(Resources.endpointslices, namespace: "default", slice(name, services + i))
            while let r = await iterator.next() {
                if r.services.contains("default/\(name)") {
                    // The slice may arrive in a second sync: wait for the one with endpoints.
                    if await proxier.routes(to: endpointIP(services + i, 0)) {
                        syncs.append(Stats.ms(r.duration))
                        applies.append(Stats.ms(r.applyDuration))
                        if ProcessInfo.processInfo.environment["SWIFTLET_BENCH_DEBUG"] != nil {
                            ProgressLog.say(
                                "    sync: \(r.services.count) services, \(r.scriptBytes) bytes, \(Stats.ms(r.duration)) ms"
                            )
                        }
                        latencies.append(Stats.ms(clock.now - start))
                        break
                    }
                }
            }
        }
        let s = Stats(samples: syncs), l = Stats(samples: latencies)
        let a = Stats(samples: applies)
        ProgressLog.say(
            "proxy sync adding one service (\(services) present): p50 \(format(s.percentile(0.5))) ms, p99 \(format(s.percentile(0.99))) ms "
                + "(nft alone: p50 \(format(a.percentile(0.5))) ms, p99 \(format(a.percentile(0.99))) ms)"
        )
        ProgressLog.say(
            "  from API create to rules live: p50 \(format(l.percentile(0.5))) ms, p99 \(format(l.percentile(0.99))) ms"
        )

        // EndpointSlice changes: one endpoint replaced; time from the API update to rules live.
        var eps: [Double] = []
        for i in 0..<changes {
            let name = "svc-\(i)"
            let fresh = IPv4Address("10.251.\(i / 200).\(i % 200 + 2)")!
            var sl = slice(name, i)
            sl[path: ["endpoints"]] = [endpoint(fresh), endpoint(endpointIP(i, 1))]
            let start = clock.now
            _ = try await client.update(Resources.endpointslices, namespace: "default", sl)
            while await !proxier.routes(to: fresh) {
                guard await iterator.next() != nil else { break }
            }
            eps.append(Stats.ms(clock.now - start))
        }
        let e = Stats(samples: eps)
        ProgressLog.say(
            "EndpointSlice change to rules live (API update → nft committed): p50 \(format(e.percentile(0.5))) ms, "
                + "p99 \(format(e.percentile(0.99))) ms"
        )
        running.cancel()
        await client.shutdown()
    }

    func endpointIP(_ i: Int, _ j: Int) -> IPv4Address {
        IPv4Address(UInt32(0x0AF4_0000) + UInt32(i) * 2 + UInt32(j) + 2)
    }  // 10.244.x.y
    func clusterIP(_ i: Int) -> IPv4Address { IPv4Address(UInt32(0x0A60_0000) + UInt32(i) + 100) }

    func syntheticFragment(_ i: Int, _ node: ProxyNode) -> ServiceFragment {
        let name = ServicePortName(namespace: "default", name: "svc-\(i)", port: "http", proto: .tcp)
        let port = ProxyServicePort(name: name, clusterIP: clusterIP(i), port: 80)
        let eps = (0..<2).map { ProxyEndpoint(ip: endpointIP(i, $0), port: 8080, nodeName: "other") }
        return ProxyRenderer.fragment(ports: [port], endpoints: [name: eps], node: node)
    }

    func service(_ name: String) -> JSON {
        [
            "apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name)],
            "spec": ["ports": [["name": "http", "port": 80, "targetPort": 8080]]],
        ]
    }

    func endpoint(_ ip: IPv4Address) -> JSON {
        ["addresses": [.string(ip.description)], "conditions": ["ready": true], "nodeName": "other"]
    }

    func slice(_ name: String, _ i: Int) -> JSON {
        [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": [
                "name": .string(name),
                "labels": [
                    "kubernetes.io/service-name": .string(name),
                    "endpointslice.kubernetes.io/managed-by": "bench",
                ],
            ],
            "addressType": "IPv4", "ports": [["name": "http", "port": 8080, "protocol": "TCP"]],
            "endpoints": [endpoint(endpointIP(i, 0)), endpoint(endpointIP(i, 1))],
        ]
    }

    func populate(_ client: KubeClient) async throws {
        let total = services
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<8 {
                group.addTask {
                    for i in stride(from: c, to: total, by: 8) {
                        _ = try await client.create(Resources.services, namespace: "default", service("svc-\(i)"))
                        _ = try await client.create(
                            Resources.endpointslices,
                            namespace: "default",
                            slice("svc-\(i)", i)
                        )
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    // MARK: Data path

    /// Two pods of the benchmark's node, each a namespace with a veth to the node's, as
    /// Swiftlet's pods are: traffic between them is forwarded by the node, where the proxy's
    /// rules translate a ClusterIP.
    struct Pods {
        static let client = IPv4Address("10.250.1.10")!
        static let server = IPv4Address("10.250.2.10")!
        let node: String
        var client: String { "\(node)-client" }
        var server: String { "\(node)-server" }

        func create() async throws {
            for (pod, link, gateway, address) in [
                (client, "vc", "10.250.1.1", Self.client), (server, "vs", "10.250.2.1", Self.server),
            ] {
                try await HostCommand.run("ip", ["netns", "add", pod])
                try await HostCommand.run(
                    "ip",
                    ["-n", node, "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", pod]
                )
                try await HostCommand.run(
                    "ip",
                    ["-n", node, "-batch", "-"],
                    input: "addr add \(gateway)/24 dev \(link)\nlink set \(link) up\n"
                )
                try await HostCommand.run(
                    "ip",
                    ["-n", pod, "-batch", "-"],
                    input: """
                        link set lo up
                        addr add \(address)/24 dev eth0
                        link set eth0 up
                        route add default via \(gateway)

                        """
                )
            }
            try await HostCommand.run("ip", ["netns", "exec", node, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
        }

        /// Deleting a pod's namespace deletes its veth, and so the node's end too.
        func delete() {
            for pod in [client, server] {
                _ = try? Process.run(URL(fileURLWithPath: "/usr/sbin/ip"), arguments: ["netns", "delete", pod])
                    .waitUntilExit()
            }
        }
    }

    func dataPath(_ node: ProxyNode) async throws {
        let dataplane = NamespaceDataplane(namespace: namespace)
        let pods = Pods(node: namespace)
        let interruption = BenchInterruption.onInterrupt { pods.delete() }
        defer {
            BenchInterruption.remove(interruption)
            pods.delete()
        }
        try await pods.create()
        let podServer = try await startServer(in: pods.server)
        defer { podServer.close(promise: nil) }
        let nodeServer = try await startServer(in: namespace)
        defer { nodeServer.close(promise: nil) }
        func load(_ count: Int, backends: [IPv4Address]) async throws {
            let fragments = (0..<count).map { i -> ServiceFragment in
                let name = ServicePortName(namespace: "default", name: "svc-\(i)", port: "http", proto: .tcp)
                let port = ProxyServicePort(name: name, clusterIP: clusterIP(i), port: 80)
                return ProxyRenderer.fragment(
                    ports: [port],
                    endpoints: [name: backends.map { ProxyEndpoint(ip: $0, port: 8080) }],
                    node: node
                )
            }
            try await dataplane.apply(NFTScript.full(node, fragments))
        }
        let target = clusterIP(services - 1)
        ProgressLog.say(
            "data path (\(clients) client thread(s), \(rounds) rounds of \(format(seconds)) s, each client alternating a request direct and one to the ClusterIP, "
                + "server on NIO, \(services) services loaded; ratio: median of the rounds' ratios, and their range):"
        )
        // Pod to pod through the node, as Service traffic between pods goes.
        try await load(services, backends: [Pods.server])
        try comparePaths("pod to pod", clientNamespace: pods.client, direct: Pods.server, target: target)
        // The node itself as the client, to an endpoint on the node (its NAT is re-routed
        // locally, the costliest case).
        try await load(services, backends: [IPv4Address("10.250.0.1")!, IPv4Address("10.250.0.2")!])
        try comparePaths(
            "node to itself",
            clientNamespace: namespace,
            direct: IPv4Address("10.250.0.1")!,
            target: target
        )

        // Connection set-up with few and with many Services, in alternating rounds: to the
        // same 100 Services each time (what the table's size costs), and to any of the
        // 10,000 (that, plus the memory the traffic itself touches).
        var few: [Double] = [], manySame: [Double] = [], manyAny: [Double] = []
        for _ in 0..<rounds {
            try await load(100, backends: [Pods.server])
            few.append(connectLatency(from: pods.client, services: 100))
            try await load(services, backends: [Pods.server])
            manySame.append(connectLatency(from: pods.client, services: 100))
            manyAny.append(connectLatency(from: pods.client, services: services))
        }
        func summary(_ xs: [Double]) -> String {
            let ratios = zip(xs, few).map { 100 * $0 / $1 }.sorted()
            return
                "\(format(Stats(samples: xs).percentile(0.5) * 1000)) µs = \(format(Stats(samples: ratios).percentile(0.5)))% "
                + "(rounds \(format(ratios.first!))–\(format(ratios.last!))%)"
        }
        ProgressLog.say(
            "  first-connection latency, pod to ClusterIP (p50 of 2,000 connects a round; medians of the rounds): "
                + "\(format(Stats(samples: few).percentile(0.5) * 1000)) µs with 100 services; with \(services) services "
                + "loaded, to the same 100: \(summary(manySame)); to any of them: \(summary(manyAny))"
        )
    }

    /// Requests per second directly and through a ClusterIP. Each client thread alternates
    /// one request on each path, so that whatever else the machine does in that moment falls
    /// on both alike; each round starts with new connections, as their placement (CPU, hash
    /// buckets) varies from one to the next.
    func comparePaths(_ what: String, clientNamespace: String, direct: IPv4Address, target: IPv4Address) throws {
        for keepAlive in [false, true] {
            var d: [Load] = [], v: [Load] = []
            for _ in 0..<rounds {
                let (viaDirect, viaService) = measure(
                    from: clientNamespace,
                    direct: (direct, 8080),
                    service: (target, 80),
                    keepAlive: keepAlive
                )
                d.append(viaDirect)
                v.append(viaService)
            }
            guard d.allSatisfy({ $0.rate > 0 }), v.allSatisfy({ $0.rate > 0 }) else {
                throw ValidationError(
                    "\(what): no request got an answer (direct \(d.map(\.rate)), ClusterIP \(v.map(\.rate)))"
                )
            }
            let ratios = zip(v, d).map { 100 * $0.rate / $1.rate }.sorted()
            let direct = Load.mean(d), viaService = Load.mean(v)
            let mode = keepAlive ? "keep-alive requests" : "new connection per request"
            ProgressLog.say(
                "  \(what), \(mode): direct \(format(direct.rate)) req/s (p50 \(format(direct.p50)) ms, p99 \(format(direct.p99)) ms); "
                    + "ClusterIP \(format(viaService.rate)) req/s (p50 \(format(viaService.p50)) ms, p99 \(format(viaService.p99)) ms) "
                    + "= \(format(Stats(samples: ratios).percentile(0.5)))% of direct (rounds \(format(ratios.first!))–\(format(ratios.last!))%)"
            )
        }
    }

    struct Load {
        var rate: Double
        var p50: Double
        var p99: Double
        static func mean(_ xs: [Load]) -> Load {
            let n = Double(xs.count)
            return Load(
                rate: xs.map(\.rate).reduce(0, +) / n,
                p50: xs.map(\.p50).reduce(0, +) / n,
                p99: xs.map(\.p99).reduce(0, +) / n
            )
        }
    }

    /// Blocking clients on threads, each timing requests from connect (or send) to the last
    /// byte, one on the direct path and one through the Service in turn. A path's rate is what
    /// the clients would reach on it alone: its requests over the time they took.
    func measure(
        from netns: String,
        direct: (IPv4Address, Int),
        service: (IPv4Address, Int),
        keepAlive: Bool
    ) -> (Load, Load) {
        let results = (direct: LockedArray(), service: LockedArray())
        let rates = (direct: LockedArray(), service: LockedArray())
        let path = "/run/netns/\(netns)"
        let duration = seconds
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        DispatchQueue.concurrentPerform(iterations: clients) { i in
            // Each client thread on a core the server does not use, then free again.
            if cpus > 1 { ProcessTuning.pinThread(to: Int32(i % (cpus - 1))) }
            defer { if cpus > 1 { ProcessTuning.pinThread(to: -1) } }
            let targets = [direct, service]
            var lat: [[Double]] = [[], []]
            var fds: [Int32] = [-1, -1]
            let end = Date().addingTimeInterval(duration)
            var lane = 0
            while Date() < end {
                let t0 = DispatchTime.now().uptimeNanoseconds
                if fds[lane] < 0 {
                    fds[lane] = connectTo(path, targets[lane].0, targets[lane].1)
                    if fds[lane] < 0 { continue }
                }
                guard exchange(fds[lane]) else {
                    close(fds[lane])
                    fds[lane] = -1
                    continue
                }
                if !keepAlive {
                    abortiveClose(fds[lane])
                    fds[lane] = -1
                }
                lat[lane].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                lane = 1 - lane
            }
            for fd in fds where fd >= 0 { close(fd) }
            results.direct.append(lat[0])
            results.service.append(lat[1])
            // This client's rate on a path: its requests there over the time they took.
            rates.direct.append([Double(lat[0].count) * 1000 / max(lat[0].reduce(0, +), 1e-9)])
            rates.service.append([Double(lat[1].count) * 1000 / max(lat[1].reduce(0, +), 1e-9)])
        }
        func load(_ samples: LockedArray, _ rates: LockedArray) -> Load {
            let all = samples.values, s = Stats(samples: all)
            return Load(
                rate: all.isEmpty ? 0 : rates.values.reduce(0, +),
                p50: s.percentile(0.5),
                p99: s.percentile(0.99)
            )
        }
        return (load(results.direct, rates.direct), load(results.service, rates.service))
    }

    /// Connects to ClusterIPs spread over the first `services` Services.
    func connectLatency(from netns: String, services count: Int) -> Double {
        let path = "/run/netns/\(netns)"
        var samples: [Double] = []
        for i in 0..<2000 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let fd = connectTo(path, clusterIP((i * 7919) % count), 80)
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            if fd >= 0 {
                samples.append(dt)
                abortiveClose(fd)
            }
        }
        return Stats(samples: samples).percentile(0.5)
    }

    /// A server on an event loop of its own, pinned to the last CPU when there are several
    /// (the client threads take the others), so that the two sides do not trade cores
    /// between rounds.
    func startServer(in netns: String) async throws -> any Channel {
        let fd = swiftlet_tcp_listener_in_netns("/run/netns/\(netns)", 0, 8080)
        guard fd >= 0 else { throw ValidationError("cannot listen in \(netns): \(String(cString: strerror(-fd)))") }
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        if cpus > 1 { _ = try await group.next().submit { ProcessTuning.pinThread(to: Int32(cpus - 1)) }.get() }
        let channel = try await ServerBootstrap(group: group)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { $0.pipeline.addHandler(FixedResponder()) }
            .withBoundSocket(fd).get()
        channel.closeFuture.whenComplete { _ in group.shutdownGracefully { _ in } }
        return channel
    }
}

private let request = Array("GET / HTTP/1.1\r\nHost: bench\r\n\r\n".utf8)
private let response = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)

/// Answers every read with one small HTTP response (each read is one whole request here).
final class FixedResponder: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: response)), promise: nil)
    }
}

private func connectTo(_ netns: String, _ ip: IPv4Address, _ port: Int) -> Int32 {
    let fd = swiftlet_socket_in_netns(netns, Int32(SOCK_STREAM.rawValue))
    guard fd >= 0 else { return -1 }
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    var sin = sockaddr_in()
    sin.sin_family = sa_family_t(AF_INET)
    sin.sin_port = UInt16(port).bigEndian
    sin.sin_addr.s_addr = ip.value.bigEndian
    let ok = withUnsafePointer(to: &sin) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
    if !ok {
        close(fd)
        return -1
    }
    return fd
}

private func exchange(_ fd: Int32) -> Bool {
    guard request.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == request.count else { return false }
    var got = 0
    var buf = [UInt8](repeating: 0, count: 256)
    while got < response.count {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return false }
        got += n
    }
    return true
}

/// Closes with RST, so a client making thousands of connections leaves no TIME_WAIT behind.
private func abortiveClose(_ fd: Int32) {
    var l = linger(l_onoff: 1, l_linger: 0)
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
    close(fd)
}

final class LockedArray: Sendable {
    private let items = Mutex<[Double]>([])
    func append(_ xs: [Double]) { items.withLock { $0 += xs } }
    var values: [Double] { items.withLock { $0 } }
}

/// `swiftlet bench proxy-process` (run by `bench proxy`): the proxy's informers and proxier
/// alone in this process, against the benchmark's API server, programming a table of its own
/// in the benchmark's namespace; prints its RSS after the first full sync, then removes the table.
struct ProxyProcessProbe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy-process",
        abstract: "The proxy alone in a process (used by bench proxy).",
        shouldDisplay: false
    )

    @Option(help: "The benchmark server's data directory.") var dataDir: String
    @Option(help: "The benchmark server's URL.") var server: String
    @Option(help: "The benchmark's network namespace.") var namespace: String

    func run() async throws {
        let client = try KubeClient(
            credentials: try ClusterCredentials.fromDataDir(URL(fileURLWithPath: dataDir), server: server)
        )
        var logger = Logger(label: "bench.proxy-process")
        logger.logLevel = .warning
        let node = ProxyBench.node(table: "swiftlet-bench-alone")
        let (services, slices) = ProxyObjects.nodeInformers(client: client, logger: logger)
        var config = Proxier.Configuration(node: node, namespace: namespace)
        config.healthChecks = false
        let dataplane = NamespaceDataplane(namespace: namespace)
        let proxier = Proxier(config: config, dataplane: dataplane, services: services, slices: slices, logger: logger)
        let reports = await proxier.reports()
        let idle = rssMiB(pid: getpid())
        let informers = Task {
            await withTaskGroup(of: Void.self) { g in
                g.addTask { await services.run() }
                g.addTask { await slices.run() }
            }
        }
        await services.waitForSync()
        await slices.waitForSync()
        ProcessTuning.releaseFreeMemory()
        let cached = rssMiB(pid: getpid())
        let running = Task { await proxier.run() }
        var iterator = reports.makeAsyncIterator()
        // Only the count: a node agent keeps no report, and this one names every Service.
        guard let programmed = await iterator.next()?.services.count else {
            throw ValidationError("the proxy did not sync")
        }
        // Let the start-up settle before reading the figure.
        try await Task.sleep(for: .seconds(3))
        let settled = rssMiB(pid: getpid())
        print(
            "\(format(settled)) MiB RSS 3 s after its first sync of \(programmed) services "
                + "(\(format(idle)) MiB before the informers, \(format(cached)) MiB with their caches filled)"
        )
        informers.cancel()
        running.cancel()
        await dataplane.deleteTable(node.table)
        await client.shutdown()
    }
}
