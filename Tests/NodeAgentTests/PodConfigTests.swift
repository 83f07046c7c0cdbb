import AsyncHTTPClient
import KubeAPI
import KubeMachinery
import KubeModel
import Testing

@testable import NodeAgent

@Suite struct ServiceEnvironmentTests {
    let quiz = Service([
        "metadata": ["name": "quiz", "namespace": "kiada"],
        "spec": [
            "clusterIP": "10.96.0.20",
            "ports": [
                ["name": "http", "port": 80, "protocol": "TCP"],
                ["name": "dns-udp", "port": 53, "protocol": "UDP"],
            ],
        ],
    ])
    let kubernetes = Service([
        "metadata": ["name": "kubernetes", "namespace": "default"],
        "spec": ["clusterIP": "10.96.0.1", "ports": [["name": "https", "port": 443, "protocol": "TCP"]]],
    ])
    let headless = Service([
        "metadata": ["name": "db", "namespace": "kiada"], "spec": ["clusterIP": "None", "ports": [["port": 5432]]],
    ])
    let other = Service([
        "metadata": ["name": "other", "namespace": "elsewhere"],
        "spec": ["clusterIP": "10.96.0.30", "ports": [["port": 1]]],
    ])

    @Test func kubeletNamesAndOrder() {
        let vars = PodEnvironment.variables(for: quiz)
        #expect(
            vars.map(\.0) == [
                "QUIZ_SERVICE_HOST", "QUIZ_SERVICE_PORT", "QUIZ_SERVICE_PORT_HTTP", "QUIZ_SERVICE_PORT_DNS_UDP",
                "QUIZ_PORT",
                "QUIZ_PORT_80_TCP", "QUIZ_PORT_80_TCP_PROTO", "QUIZ_PORT_80_TCP_PORT", "QUIZ_PORT_80_TCP_ADDR",
                "QUIZ_PORT_53_UDP", "QUIZ_PORT_53_UDP_PROTO", "QUIZ_PORT_53_UDP_PORT", "QUIZ_PORT_53_UDP_ADDR",
            ]
        )
        let d = Dictionary(vars, uniquingKeysWith: { a, _ in a })
        #expect(d["QUIZ_SERVICE_HOST"] == "10.96.0.20")
        #expect(d["QUIZ_SERVICE_PORT"] == "80")
        #expect(d["QUIZ_PORT"] == "tcp://10.96.0.20:80")
        #expect(d["QUIZ_PORT_53_UDP"] == "udp://10.96.0.20:53")
        #expect(d["QUIZ_PORT_53_UDP_PROTO"] == "udp")
    }

    @Test func onlyOwnNamespaceWithClusterIPPlusKubernetes() {
        let names = Set(
            PodEnvironment.serviceVariables(
                services: [quiz, kubernetes, headless, other],
                namespace: "kiada",
                enableServiceLinks: true
            ).map(\.0)
        )
        #expect(names.contains("QUIZ_SERVICE_HOST"))
        #expect(names.contains("KUBERNETES_SERVICE_HOST"))
        #expect(names.contains("KUBERNETES_PORT_443_TCP_ADDR"))
        #expect(!names.contains { $0.hasPrefix("DB_") || $0.hasPrefix("OTHER_") })
    }

    @Test func serviceLinksOffKeepsKubernetes() {
        let names = PodEnvironment.serviceVariables(
            services: [quiz, kubernetes],
            namespace: "kiada",
            enableServiceLinks: false
        ).map(\.0)
        #expect(names.allSatisfy { $0.hasPrefix("KUBERNETES_") })
        #expect(!names.isEmpty)
    }

    @Test func explicitEnvWinsAndExpands() throws {
        let pod: JSON = [
            "metadata": ["name": "p", "namespace": "kiada", "uid": "u1", "labels": ["app": "kiada"]],
            "spec": ["nodeName": "node-1"], "status": ["podIP": "10.244.1.5", "hostIP": "172.30.0.11"],
        ]
        let container: JSON = [
            "name": "c",
            "env": [
                ["name": "QUIZ_SERVICE_HOST", "value": "mine"],
                ["name": "GREETING", "value": "at $(QUIZ_SERVICE_PORT) and $(UNDEFINED) $$(ESCAPED)"],
                ["name": "POD_NAME", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]],
                ["name": "POD_IP", "valueFrom": ["fieldRef": ["fieldPath": "status.podIP"]]],
                ["name": "NODE", "valueFrom": ["fieldRef": ["fieldPath": "spec.nodeName"]]],
                ["name": "APP", "valueFrom": ["fieldRef": ["fieldPath": "metadata.labels['app']"]]],
            ],
        ]
        var skipped: [String] = []
        let env = try PodEnvironment.build(
            container: Container(container),
            spec: PodSpec(pod: pod),
            pod: pod,
            services: [quiz],
            skipped: &skipped
        )
        let d = Dictionary(env, uniquingKeysWith: { _, b in b })
        #expect(d["QUIZ_SERVICE_HOST"] == "mine")
        #expect(d["GREETING"] == "at 80 and $(UNDEFINED) $(ESCAPED)")
        #expect(d["POD_NAME"] == "p")
        #expect(d["POD_IP"] == "10.244.1.5")
        #expect(d["NODE"] == "node-1")
        #expect(d["APP"] == "kiada")
    }

    @Test func missingConfigMapIsAConfigError() {
        let container: JSON = [
            "name": "c", "env": [["name": "X", "valueFrom": ["configMapKeyRef": ["name": "cfg", "key": "k"]]]],
        ]
        #expect(
            throws: PodEnvironment.Failure(reason: "CreateContainerConfigError", message: "configmap \"cfg\" not found")
        ) {
            var skipped: [String] = []
            return try PodEnvironment.build(
                container: Container(container),
                spec: PodSpec(.emptyObject),
                pod: ["metadata": ["name": "p", "namespace": "d"]],
                services: [],
                skipped: &skipped
            )
        }
    }

    @Test func configMapsAndSecretsFillEnvAsKubeletDoes() throws {
        let container = Container([
            "name": "c",
            "envFrom": [
                ["configMapRef": ["name": "cfg"], "prefix": "CFG_"], ["secretRef": ["name": "creds"]],
                ["configMapRef": ["name": "absent", "optional": true]],
            ],
            "env": [
                ["name": "MODE", "valueFrom": ["configMapKeyRef": ["name": "cfg", "key": "mode"]]],
                ["name": "URL", "value": "http://$(CFG_host)/"],
                ["name": "NONE", "valueFrom": ["configMapKeyRef": ["name": "cfg", "key": "nope", "optional": true]]],
            ],
        ])
        let cfg: JSON = ["data": ["mode": "fast", "host": "db", "no good": "x"]]
        let creds: JSON = ["data": ["password": "czNjcjN0"]]
        var skipped: [String] = []
        let env = try PodEnvironment.build(
            container: container,
            spec: PodSpec(["enableServiceLinks": false]),
            pod: ["metadata": ["name": "p", "namespace": "d"]],
            services: [],
            configMaps: ["cfg": cfg],
            secrets: ["creds": creds],
            skipped: &skipped
        )
        let d = Dictionary(env, uniquingKeysWith: { _, b in b })
        #expect(d["CFG_host"] == "db" && d["CFG_mode"] == "fast" && d["password"] == "s3cr3t")
        #expect(d["MODE"] == "fast" && d["URL"] == "http://db/" && d["NONE"] == nil)
        #expect(
            skipped == [
                "Keys [CFG_no good] from the EnvFrom configMap d/cfg were skipped since they are considered invalid environment variable names."
            ]
        )
        #expect(
            throws: PodEnvironment.Failure(
                reason: "CreateContainerConfigError",
                message: "couldn't find key missing in Secret d/creds"
            )
        ) {
            try PodEnvironment.build(
                container: Container([
                    "name": "c",
                    "env": [["name": "X", "valueFrom": ["secretKeyRef": ["name": "creds", "key": "missing"]]]],
                ]),
                spec: PodSpec(.emptyObject),
                pod: ["metadata": ["name": "p", "namespace": "d"]],
                services: [],
                secrets: ["creds": creds],
                skipped: &skipped
            )
        }
    }
}

@Suite struct PodFilesTests {
    let dns = PodFiles.DNSSettings(
        clusterDNS: ["10.96.0.10"],
        clusterDomain: "cluster.local",
        hostResolvConf: "nameserver 192.0.2.53\nsearch corp.example\noptions edns0\n"
    )

    @Test(
        arguments: [
            (
                "ClusterFirst", JSON.null,
                "search kiada.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"
            ),
            ("Default", JSON.null, "search corp.example\nnameserver 192.0.2.53\noptions edns0\n"),
            (
                "None",
                ["nameservers": ["1.2.3.4"], "searches": ["a.example"], "options": [["name": "ndots", "value": "2"]]],
                "search a.example\nnameserver 1.2.3.4\noptions ndots:2\n"
            ),
            (
                "ClusterFirst", ["options": [["name": "ndots", "value": "1"], ["name": "edns0"]]],
                "search kiada.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:1 edns0\n"
            ),
        ] as [(String, JSON, String)]
    )
    func resolvConf(policy: String, config: JSON, expected: String) {
        var pod: JSON = ["metadata": ["name": "p", "namespace": "kiada"], "spec": ["dnsPolicy": .string(policy)]]
        if config != .null { pod[path: ["spec", "dnsConfig"]] = config }
        #expect(PodFiles.resolvConf(PodSpec(pod: pod), namespace: pod.namespace, dns: dns) == expected)
    }

    @Test func aHostNetworkPodResolvesAndNamesItselfAsItsNode() {
        let spec = PodSpec(["hostNetwork": true, "subdomain": "web", "containers": [["name": "a", "image": "x"]]])
        #expect(
            PodFiles.resolvConf(spec, namespace: "kiada", dns: dns)
                == "search corp.example\nnameserver 192.0.2.53\noptions edns0\n"
        )
        var withHostNet = spec
        withHostNet.dnsPolicy = "ClusterFirstWithHostNet"
        #expect(PodFiles.resolvConf(withHostNet, namespace: "kiada", dns: dns).contains("nameserver 10.96.0.10\n"))
        let hosts = PodFiles.hosts(
            spec,
            podName: "node-1",
            namespace: "kiada",
            podIP: "172.30.0.11",
            clusterDomain: "cluster.local"
        )
        #expect(hosts.hasPrefix("# Kubernetes-managed hosts file (host network).\n127.0.0.1\tlocalhost\n"))
        #expect(hosts.hasSuffix("\n172.30.0.11\tnode-1\n"))
    }

    @Test func hostsWithSubdomainAndAliases() {
        let pod: JSON = [
            "metadata": ["name": "p", "namespace": "kiada"],
            "spec": [
                "hostname": "web-0", "subdomain": "web",
                "hostAliases": [["ip": "10.0.0.9", "hostnames": ["db", "db.local"]]],
            ],
        ]
        let hosts = PodFiles.hosts(
            PodSpec(pod: pod),
            podName: pod.name,
            namespace: pod.namespace,
            podIP: "10.244.1.7",
            clusterDomain: "cluster.local"
        )
        #expect(hosts.hasPrefix("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"))
        #expect(hosts.contains("10.244.1.7\tweb-0.web.kiada.svc.cluster.local\tweb-0\n"))
        #expect(hosts.hasSuffix("\n# Entries added by HostAliases.\n10.0.0.9\tdb\tdb.local\n"))
    }
}

@Suite struct CRIPodConfigTests {
    @Test(
        arguments: [
            // Kubernetes' command/args go to CRI as they are (the runtime applies them to the
            // image's ENTRYPOINT/CMD), with $(VAR) references expanded.
            (
                ["image": "agnhost", "args": ["netexec", "--http-port=$(PORT)"]] as JSON, [],
                ["netexec", "--http-port=9000"]
            ),
            (["image": "busybox", "command": ["sleep", "$(PORT)"]] as JSON, ["sleep", "9000"], []),
            (
                ["image": "busybox", "command": ["sh", "-c"], "args": ["echo $$(PORT)"]] as JSON, ["sh", "-c"],
                ["echo $(PORT)"]
            ),
        ] as [(JSON, [String], [String])]
    )
    func commandAndArgs(container: JSON, command: [String], args: [String]) {
        let c = CRIPod.containerConfig(
            Container(container),
            attempt: 2,
            env: [("PORT", "9000")],
            logPath: "app/2.log",
            mounts: [("/pods/x/etc/hosts", "/etc/hosts", false)]
        )
        #expect(c.command == command && c.args == args)
        #expect(c.metadata.attempt == 2 && c.logPath == "app/2.log")
        #expect(c.envs.map { "\($0.key)=\($0.value)" } == ["PORT=9000"])
        #expect(c.mounts.map { $0.containerPath } == ["/etc/hosts"])
    }

    @Test(arguments: [
        ("busybox", "Always"), ("busybox:latest", "Always"), ("busybox:1.36", "IfNotPresent"),
        ("127.0.0.1:5000/busybox", "Always"), ("127.0.0.1:5000/busybox:1", "IfNotPresent"),
        ("busybox@sha256:abcd", "IfNotPresent"),
    ])
    func pullPolicyDefaultsAsKubelets(image: String, policy: String) {
        #expect(CRIPod.pullPolicy(Container(["image": .string(image)])) == policy)
        #expect(CRIPod.pullPolicy(Container(["image": .string(image), "imagePullPolicy": "Never"])) == "Never")
    }

    @Test func unknownVolumeTypesAreRefusedWithTheReason() {
        let claims = PodSpec([
            "containers": [["name": "a", "image": "x", "volumeMounts": [["name": "d", "mountPath": "/d"]]]],
            "volumes": [["name": "d", "persistentVolumeClaim": ["claimName": "data"]]],
        ])
        #expect(PodWorker.unsupported(claims) == nil)
        let nfs = PodSpec([
            "containers": [["name": "a", "image": "x", "volumeMounts": [["name": "d", "mountPath": "/d"]]]],
            "volumes": [["name": "d", "nfs": ["server": "x", "path": "/"]]],
        ])
        #expect(PodWorker.unsupported(nfs)?.contains("nfs") == true)
        #expect(
            PodWorker.unsupported(PodSpec(["hostNetwork": true, "containers": [["name": "a", "image": "x"]]])) == nil
        )
        #expect(PodWorker.unsupported(PodSpec(["containers": [["name": "a", "image": "x"]]])) == nil)
    }

    @Test func aHostNetworkSandboxAsksForTheNodesNamespaceWithoutAHostname() {
        let pod: JSON = [
            "metadata": ["name": "p", "namespace": "default", "uid": "u1"],
            "spec": ["hostNetwork": true, "containers": [["name": "a", "image": "x"]]],
        ]
        let c = CRIPod.sandboxConfig(
            pod: pod,
            spec: PodSpec(pod: pod),
            logDirectory: "/tmp/x",
            network: [:],
            cgroupParent: "/swiftlet"
        )
        #expect(c.linux.securityContext.namespaceOptions.network == .node)
        #expect(c.hostname == "")
    }
}

@Suite struct NodeNamespaceRuntimeTests {
    @Test(
        arguments: [
            (["--root", "/r", "--log", "l.json", "create", "--bundle", "/b/1", "--pid-file", "p", "id"], "/b/1"),
            (["create", "--bundle=/b/2", "id"], "/b/2"),
            (["--root", "/r", "start", "id"], nil),
            (["delete", "--force", "id"], nil),
        ] as [([String], String?)]
    )
    func theBundleOfACreate(_ arguments: [String], _ bundle: String?) {
        #expect(NodeNamespaceRuntime.bundle(arguments) == bundle)
    }

    @Test func aSpecGetsTheNodesNetworkAndItsNameOnce() throws {
        let spec: JSON = [
            "annotations": [
                NodeNamespaceRuntime.netnsAnnotation: "/run/netns/swl-c-node-1",
                NodeNamespaceRuntime.hostnameAnnotation: "node-1",
            ],
            "linux": ["namespaces": [["type": "pid"], ["type": "mount"]]],
            "mounts": [["destination": "/etc/hostname", "source": "/sandboxes/1/hostname"]],
        ]
        let out = try #require(NodeNamespaceRuntime.rewrite(spec))
        #expect(
            out[path: ["linux", "namespaces"]]
                == [
                    ["type": "pid"], ["type": "mount"], ["type": "network", "path": "/run/netns/swl-c-node-1"],
                    ["type": "uts"],
                ]
        )
        #expect(out["hostname"] == "node-1")
        #expect(NodeNamespaceRuntime.hostnameFile(out) == "/sandboxes/1/hostname")
        // Done already, or not a hostNetwork pod's: left as it is.
        #expect(NodeNamespaceRuntime.rewrite(out) == nil)
        #expect(NodeNamespaceRuntime.rewrite(["linux": ["namespaces": []]]) == nil)
    }
}

@Suite struct ClusterNetworkTests {
    let net = ClusterNetwork(
        name: "demo",
        nodeCIDR: IPv4Network("172.30.0.0/24")!,
        podCIDR: IPv4Network("10.244.0.0/16")!,
        serviceCIDR: IPv4Network("10.96.0.0/12")!
    )

    @Test func namesCarryTheClusterAndFitInterfaceLimits() {
        #expect(net.bridge == "swl-demo")
        #expect(net.nodeNamespace(3) == "swl-demo-node-3")
        #expect(net.nodeLink(12) == "swl-demo-12")
        #expect(net.nodeIP(1).description == "172.30.0.11")
        #expect(net.nodePodCIDR(2).description == "10.244.2.0/24")
        let long = ClusterNetwork(
            name: "abcdefgh",
            nodeCIDR: net.nodeCIDR,
            podCIDR: net.podCIDR,
            serviceCIDR: net.serviceCIDR
        )
        #expect(long.nodeLink(99).utf8.count <= 15)
        #expect(ClusterNetwork.podLinkName(uid: "0b6d4c8e-1").utf8.count <= 15)
        #expect(ClusterNetwork.problem(withName: "Demo") != nil)
        #expect(ClusterNetwork.problem(withName: "toolongname") != nil)
        #expect(ClusterNetwork.problem(withName: "demo2") == nil)
    }

    @Test func hostGuardsEveryRangeAndRoutesEachNode() {
        let batch = net.hostSteps(nodes: 2)[0].batch
        #expect(batch.contains("route add unreachable 10.244.0.0/16 metric 4242"))
        #expect(batch.contains("route add unreachable 10.96.0.0/12 metric 4242"))
        #expect(batch.contains("route add unreachable 172.30.0.0/24 metric 4242"))
        #expect(batch.contains("route add 10.244.2.0/24 via 172.30.0.12 dev swl-demo"))
    }

    @Test func nodesRouteToEachOtherWithoutADefaultRoute() {
        let inNode = net.nodeSteps(1, nodes: 3)[1]
        #expect(inNode.namespace == "swl-demo-node-1")
        #expect(inNode.batch.contains("route add 10.244.2.0/24 via 172.30.0.12 dev eth0"))
        #expect(inNode.batch.contains("route add 10.244.3.0/24 via 172.30.0.13 dev eth0"))
        #expect(!inNode.batch.contains { $0.contains("default") })
    }

    @Test func clashesAreNamed() {
        let other = ClusterNetwork(
            name: "b",
            nodeCIDR: IPv4Network("172.30.0.128/25")!,
            podCIDR: IPv4Network("10.245.0.0/16")!,
            serviceCIDR: IPv4Network("10.100.0.0/16")!
        )
        #expect(
            net.clashes(with: other) == [
                "node network 172.30.0.0/24 overlaps 172.30.0.128/25",
                "service range 10.96.0.0/12 overlaps 10.100.0.0/16",
                "load balancer pool 172.30.0.128-172.30.0.254 overlaps 172.30.0.192-172.30.0.254",
            ]
        )
    }

    @Test func aPoolOutsideTheNodeNetworkIsRoutedAndGuarded() {
        var outside = net
        outside.loadBalancerPool = LoadBalancerPool("192.168.77.10-192.168.77.20")!
        let batch = outside.hostSteps(nodes: 1)[0].batch
        #expect(batch.contains("route add 192.168.77.10/31 dev swl-demo src 172.30.0.1"))
        #expect(batch.contains("route add 192.168.77.20/32 dev swl-demo src 172.30.0.1"))
        #expect(batch.contains("route add unreachable 192.168.77.16/30 metric 4242"))
        #expect(net.loadBalancerRoutes.isEmpty, "the default pool is inside the node network")
    }
}

@Suite struct PodStatusTests {
    @Test func phasesAndConditions() {
        var s = PodStatusModel(hostIP: "172.30.0.11", startTime: Timestamp(seconds: 0))
        var c = ContainerStatus(name: "app", image: "agnhost")
        s.containers = [c]
        #expect(s.phase == "Pending")
        s.sandboxReady = true
        c.state = .running(startedAt: Timestamp(seconds: 1))
        s.containers = [c]
        #expect(s.phase == "Running")
        var json = s.json(now: Timestamp(seconds: 2))
        let ready = json["conditions"]?.array?.first { $0["type"] == "Ready" }
        #expect(ready?["status"] == "False")
        #expect(ready?["message"] == "containers with unready status: [app]")
        c.ready = true
        s.containers = [c]
        json = s.json(now: Timestamp(seconds: 3))
        #expect(json["conditions"]?.array?.first { $0["type"] == "Ready" }?["status"] == "True")
        s.restartPolicy = "Never"
        c.state = .terminated(
            exitCode: 1,
            signal: nil,
            reason: "Error",
            message: nil,
            startedAt: nil,
            finishedAt: Timestamp(seconds: 4)
        )
        c.ready = false
        s.containers = [c]
        #expect(s.phase == "Failed")
        s.restartPolicy = "OnFailure"
        c.state = .terminated(
            exitCode: 0,
            signal: nil,
            reason: "Completed",
            message: nil,
            startedAt: nil,
            finishedAt: Timestamp(seconds: 4)
        )
        s.containers = [c]
        #expect(s.phase == "Succeeded")
    }
}

@Suite struct SidecarStatusTests {
    @Test func sidecarsJoinReadinessAndInitializationByStarting() {
        var s = PodStatusModel(hostIP: "172.30.0.11", startTime: Timestamp(seconds: 0))
        s.sandboxReady = true
        var side = ContainerStatus(name: "side", image: "x")
        side.restartable = true
        side.state = .running(startedAt: Timestamp(seconds: 1))
        var app = ContainerStatus(name: "app", image: "x")
        app.state = .running(startedAt: Timestamp(seconds: 1))
        app.ready = true
        s.initContainers = [side]
        s.containers = [app]
        s.initialized = false
        var json = s.json(now: Timestamp(seconds: 2))
        let initialized = json["conditions"]?.array?.first { $0["type"] == "Initialized" }
        #expect(initialized?["message"] == "containers with incomplete status: [side]")
        s.initialized = true
        json = s.json(now: Timestamp(seconds: 3))
        let ready = json["conditions"]?.array?.first { $0["type"] == "Ready" }
        #expect(ready?["status"] == "False")
        #expect(ready?["message"] == "containers with unready status: [side]")
        s.initContainers[0].ready = true
        #expect(s.containersReady)
    }
}

@Suite struct LifecycleHookTextTests {
    @Test(
        arguments: [
            ("plain", "\"plain\""), ("two\nlines\n", "\"two\\nlines\\n\""), ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("\u{1}", "\"\\x01\""),
        ]
    )
    func goQuoting(_ raw: String, _ quoted: String) {
        #expect(raw.goQuoted == quoted)
    }

    @Test func aFailedExecHookIsWordedAsKubeletWordsIt() async {
        let prober = Prober(http: HTTPClient.shared)
        let container = Container(["name": "c", "image": "x"])
        let message = await prober.run(
            .handler(.exec(command: ["sh", "-c", "echo broken; exit 7"])),
            container: container,
            pod: "p_default(1234)",
            podIP: "10.0.0.2",
            exec: { _, timeout in
                #expect(timeout == nil, "hooks have no time limit of their own")
                return (7, "broken\n")
            }
        )
        #expect(
            message
                == "Exec lifecycle hook ([sh -c echo broken; exit 7]) for Container \"c\" in Pod \"p_default(1234)\" "
                + "failed - error: command 'sh -c echo broken; exit 7' exited with 7: broken\n, message: \"broken\\n\""
        )
        let ok = await prober.run(
            .handler(.exec(command: ["true"])),
            container: container,
            pod: "p",
            podIP: "10.0.0.2",
            exec: { _, _ in (0, "") }
        )
        #expect(ok == nil)
    }

    @Test func hooksParseAsKubeletReadsThem() {
        let c = Container([
            "name": "c", "image": "x",
            "lifecycle": [
                "postStart": ["exec": ["command": ["sh", "-c", "true"]]], "preStop": ["sleep": ["seconds": 3]],
            ],
            "restartPolicy": "Always",
        ])
        #expect(c.postStart == .handler(.exec(command: ["sh", "-c", "true"])))
        #expect(c.preStop == .sleep(seconds: 3))
        #expect(c.isSidecar)
    }
}

@Suite struct HostPortTests {
    @Test func hostPortsBecomeOneTableOfDNATRules() {
        let spec = PodSpec([
            "containers": [
                [
                    "name": "a", "image": "x",
                    "ports": [
                        ["containerPort": 8080, "hostPort": 18080],
                        ["containerPort": 53, "hostPort": 5353, "protocol": "UDP", "hostIP": "172.30.0.11"],
                        ["containerPort": 9000],
                    ],
                ]
            ]
        ])
        let table = HostPorts.table(uid: "0b7e9d62-1111-2222-3333-444455556666")
        #expect(table == "swiftlet-hostport-0b7e9d621111")
        let script = HostPorts.ruleset(table: table, podIP: "10.244.1.5", HostPorts.mappings(spec))
        #expect(script.hasPrefix("add table ip \(table)\ndelete table ip \(table)\ntable ip \(table) {\n"))
        #expect(
            script.components(separatedBy: "fib daddr type local tcp dport 18080 dnat to 10.244.1.5:8080").count == 3
        )
        #expect(script.components(separatedBy: "ip daddr 172.30.0.11 udp dport 5353 dnat to 10.244.1.5:53").count == 3)
        #expect(!script.contains("9000"))
    }
}
