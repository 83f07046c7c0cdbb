import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Binds pending pods to nodes as kube-scheduler does (`SchedulingRules`: node selector and
/// affinity, taints, requests, host ports, volumes, topology spread, pod affinity), spreading
/// them; a pod that fits nowhere stays Pending with upstream's event saying why.
public actor Scheduler: Controller {
    let client: KubeClient
    let pods: Informer<Pod>
    let nodes: Informer<Node>
    let claims: Informer<JSON>?
    let volumes: Informer<JSON>?
    let classes: Informer<JSON>?
    let events: EventRecorder
    public nonisolated let queue = WorkQueue(name: "scheduler")
    public nonisolated let logger: Logger
    /// The last FailedScheduling message per pod uid: a new one is reported when it changes.
    private var reported: [String: String] = [:]
    /// Pods bound here that the informer does not show bound yet (pod uid → node), so pods
    /// scheduled in a burst spread instead of all seeing the same counts.
    private var assumed: [String: String] = [:]

    public init(
        client: KubeClient,
        pods: Informer<Pod>,
        nodes: Informer<Node>,
        claims: Informer<JSON>? = nil,
        volumes: Informer<JSON>? = nil,
        classes: Informer<JSON>? = nil,
        logger: Logger
    ) {
        self.client = client
        self.pods = pods
        self.nodes = nodes
        self.claims = claims
        self.volumes = volumes
        self.classes = classes
        self.logger = logger
        events = EventRecorder(client: client, component: "default-scheduler")
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await c in await self.pods.changes() where c.new != nil { await self.queue.add(c.key) }
            }
            group.addTask {
                for await _ in await self.nodes.changes() {
                    for p in await self.pods.list() where Self.needsNode(p) { await self.queue.add(p.cacheKey) }
                }
            }
            for informer in [self.claims, self.volumes].compactMap({ $0 }) {
                group.addTask {
                    for await _ in await informer.changes() {
                        for p in await self.pods.list() where Self.needsNode(p) && !p.claimNames.isEmpty {
                            await self.queue.add(p.cacheKey)
                        }
                    }
                }
            }
            group.addTask {
                await self.pods.waitForSync()
                await self.nodes.waitForSync()
                for p in await self.pods.list() where Self.needsNode(p) { await self.queue.add(p.cacheKey) }
                await self.runWorkers()
            }
            await group.waitForAll()
        }
    }

    /// What a pod's claims say about where it may run: the nodes their volumes live on
    /// (nil: anywhere), the claims still waiting for a first consumer, or why it cannot run
    /// yet (upstream's VolumeBinding filter).
    func volumePlacement(_ pod: Pod) async -> (nodes: Set<String>?, waiting: [JSON], problem: String?) {
        guard !pod.claimNames.isEmpty, let claims, let volumes, let classes else { return (nil, [], nil) }
        var allowed: Set<String>?
        var waiting: [JSON] = []
        for name in Set(pod.claimNames) {
            guard let claim = await claims.get("\(pod.namespace)/\(name)") else {
                return (nil, [], "persistentvolumeclaim \"\(name)\" not found")
            }
            if claim.deletionTimestamp != nil {
                return (nil, [], "persistentvolumeclaim \"\(name)\" is being deleted")
            }
            let volumeName = claim[path: ["spec", "volumeName"]]?.string ?? ""
            if !volumeName.isEmpty {
                if let v = await volumes.get(volumeName), let n = LocalPath.node(of: v) {
                    allowed = (allowed ?? [n]).intersection([n])
                }
                continue
            }
            let className = claim[path: ["spec", "storageClassName"]]?.string ?? ""
            let mode = await classes.get(className)?["volumeBindingMode"]?.string
            if mode == "WaitForFirstConsumer" {
                if let n = claim[path: ["metadata", "annotations", StorageRules.selectedNodeAnnotation]]?.string {
                    allowed = (allowed ?? [n]).intersection([n])
                } else {
                    waiting.append(claim)
                }
                continue
            }
            return (nil, [], "pod has unbound immediate PersistentVolumeClaims")
        }
        return (allowed, waiting, nil)
    }

    static func needsNode(_ p: Pod) -> Bool {
        !p.isScheduled && !p.metadata.isDeleting && p.schedulerName == Pod.defaultScheduler
    }

    public func reconcile(_ key: String) async throws {
        guard let pod = await pods.get(key), Self.needsNode(pod) else { return }
        var podsByNode: [String: [Pod]] = [:]
        var seen: Set<String> = []
        for p in await pods.list() where p.isActive {
            let uid = p.metadata.uid
            seen.insert(uid)
            if let n = p.nodeName {
                podsByNode[n, default: []].append(p)
                assumed[uid] = nil
            } else if let n = assumed[uid] {
                var bound = p
                bound.nodeName = n
                podsByNode[n, default: []].append(bound)
            }
        }
        assumed = assumed.filter { seen.contains($0.key) }
        let allNodes = await nodes.list()
        let snapshot = SchedulingRules.Snapshot(nodes: allNodes, podsByNode: podsByNode)
        let volumes = await volumePlacement(pod)
        var reasons: [String: Int] = [:]
        var feasible: [Node] = []
        for n in allNodes {
            let unfit = SchedulingRules.unfit(pod, on: n, snapshot: snapshot, volumeNodes: volumes.nodes)
            if unfit.isEmpty { feasible.append(n) }
            for r in unfit { reasons[r, default: 0] += 1 }
        }
        guard volumes.problem == nil, let node = SchedulingRules.best(pod, among: feasible, snapshot: snapshot) else {
            let message =
                volumes.problem.map { "0/\(allNodes.count) nodes are available: \($0)." }
                ?? SchedulingRules.unschedulableMessage(nodeCount: allNodes.count, reasons: reasons)
            if reported[pod.metadata.uid] != message {
                reported[pod.metadata.uid] = message
                await events.record(pod, type: "Warning", reason: "FailedScheduling", message: message)
                _ = try? await client.patch(
                    Resources.pods,
                    namespace: pod.namespace,
                    name: pod.name,
                    [
                        "status": [
                            "conditions": [
                                [
                                    "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                    "message": .string(message),
                                    "lastTransitionTime": .string(Timestamp.now.rfc3339),
                                ]
                            ]
                        ]
                    ],
                    type: .strategic,
                    subresource: "status"
                )
            }
            return
        }
        // Claims waiting for their first consumer are made on the node it goes to.
        for claim in volumes.waiting {
            _ = try await client.patch(
                Resources.persistentvolumeclaims,
                namespace: claim.namespace,
                name: claim.name,
                ["metadata": ["annotations": [StorageRules.selectedNodeAnnotation: .string(node)]]]
            )
        }
        let binding: JSON = [
            "apiVersion": "v1", "kind": "Binding",
            "metadata": ["name": .string(pod.name), "namespace": .string(pod.namespace)],
            "target": ["apiVersion": "v1", "kind": "Node", "name": .string(node)],
        ]
        do {
            _ = try await client.request(
                .POST,
                KubeClient.path(Resources.pods, namespace: pod.namespace, name: pod.name, subresource: "binding"),
                body: binding
            )
        } catch let e as APIError where e.code == 409 || e.code == 404 {
            return
        }
        reported[pod.metadata.uid] = nil
        assumed[pod.metadata.uid] = node
        await events.record(
            pod,
            reason: "Scheduled",
            message: "Successfully assigned \(pod.namespace)/\(pod.name) to \(node)"
        )
    }
}
