import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Claims and volumes, as kube-controller-manager's persistent-volume binder, the
/// pvc-protection controller and k3s's local-path provisioner do it together:
/// - a claim binds to a volume that names it, else to the smallest Available volume of its
///   class that fits; failing that its class provisions one (the built-in `local-path`
///   class: a directory on the node its first pod was scheduled to, `WaitForFirstConsumer`);
/// - a volume whose claim is gone is Released; `Delete` then deletes it (its node's agent
///   removes the directory before the volume goes), `Retain` keeps it;
/// - a claim being deleted keeps its protection finalizer while an active pod uses it.
public actor PersistentVolumeController: Controller {
    /// Held by every local-path volume until its node's agent removed the directory.
    public static let cleanupFinalizer = "swiftlet.dev/local-path-cleanup"
    /// The Node annotation naming the directory its agent keeps local-path volumes in.
    public static let storageRootAnnotation = "swiftlet.dev/local-path-root"

    let client: KubeClient
    let claims: Informer<JSON>
    let volumes: Informer<JSON>
    let classes: Informer<JSON>
    let pods: Informer<Pod>
    let nodes: Informer<Node>
    let events: EventRecorder
    public nonisolated let logger: Logger
    /// `claim/<ns>/<name>` or `volume/<name>`.
    public nonisolated let queue = WorkQueue(name: "persistentvolume")
    private var reported: [String: String] = [:]

    public init(
        client: KubeClient,
        claims: Informer<JSON>,
        volumes: Informer<JSON>,
        classes: Informer<JSON>,
        pods: Informer<Pod>,
        nodes: Informer<Node>,
        logger: Logger
    ) {
        self.client = client
        self.claims = claims
        self.volumes = volumes
        self.classes = classes
        self.pods = pods
        self.nodes = nodes
        self.logger = logger
        events = EventRecorder(client: client, component: "persistentvolume-controller")
    }

    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await c in await self.claims.changes() {
                    await self.queue.add("claim/" + c.key)
                    // A claim that goes releases its volume.
                    if c.new == nil, let v = c.old?[path: ["spec", "volumeName"]]?.string, !v.isEmpty {
                        await self.queue.add("volume/" + v)
                    }
                }
            }
            group.addTask {
                for await c in await self.volumes.changes() {
                    await self.queue.add("volume/" + c.key)
                    if let ref = (c.new ?? c.old)?[path: ["spec", "claimRef"]],
                        let ns = ref["namespace"]?.string, let name = ref["name"]?.string
                    {
                        await self.queue.add("claim/\(ns)/\(name)")
                    }
                }
            }
            group.addTask {
                // A pod that stops or goes may free a claim being deleted.
                for await c in await self.pods.changes() {
                    guard let pod = c.old ?? c.new else { continue }
                    for name in pod.claimNames { await self.queue.add("claim/\(pod.namespace)/\(name)") }
                }
            }
            group.addTask {
                for await _ in await self.classes.changes() {
                    for key in await self.claims.keys() { await self.queue.add("claim/" + key) }
                }
            }
            group.addTask {
                await self.claims.waitForSync()
                await self.volumes.waitForSync()
                await self.classes.waitForSync()
                await self.pods.waitForSync()
                await self.nodes.waitForSync()
                for key in await self.claims.keys() { await self.queue.add("claim/" + key) }
                for key in await self.volumes.keys() { await self.queue.add("volume/" + key) }
                await self.runWorkers()
            }
        }
    }

    public func reconcile(_ key: String) async throws {
        if key.hasPrefix("claim/") { try await reconcileClaim(String(key.dropFirst(6))) }
        if key.hasPrefix("volume/") { try await reconcileVolume(String(key.dropFirst(7))) }
    }

    /// Records an event once per claim and reason (a claim waits through many reconciles).
    private func once(_ claim: JSON, _ type: String, _ reason: String, _ message: String) async {
        guard reported[claim.uid] != reason + message else { return }
        reported[claim.uid] = reason + message
        await events.record(claim, type: type, reason: reason, message: message)
    }

    static func requested(_ claim: JSON) -> Double {
        Quantity(claim[path: ["spec", "resources", "requests", "storage"]])?.value ?? 0
    }

    static func claimRef(_ claim: JSON) -> JSON {
        [
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": .string(claim.namespace),
            "name": .string(claim.name), "uid": .string(claim.uid),
        ]
    }

    /// Whether a volume is meant for this claim (its claimRef names it, uid and all).
    static func names(_ volume: JSON, _ claim: JSON) -> Bool {
        guard let ref = volume[path: ["spec", "claimRef"]] else { return false }
        guard ref["namespace"]?.string == claim.namespace, ref["name"]?.string == claim.name else { return false }
        let uid = ref["uid"]?.string ?? ""
        return uid.isEmpty || uid == claim.uid
    }

    /// The smallest Available volume of the claim's class that has its access modes and size.
    public static func bestFit(_ claim: JSON, among volumes: [JSON]) -> JSON? {
        let className = claim[path: ["spec", "storageClassName"]]?.string ?? ""
        let modes = Set(claim[path: ["spec", "accessModes"]]?.array?.compactMap(\.string) ?? [])
        let size = requested(claim)
        let wanted = claim[path: ["spec", "volumeName"]]?.string ?? ""
        return
            volumes.filter { v in
                v[path: ["spec", "claimRef"]] == nil && v.deletionTimestamp == nil
                    && (v[path: ["status", "phase"]]?.string ?? "Available") == "Available"
                    && (v[path: ["spec", "storageClassName"]]?.string ?? "") == className
                    && modes.isSubset(of: Set(v[path: ["spec", "accessModes"]]?.array?.compactMap(\.string) ?? []))
                    && (Quantity(v[path: ["spec", "capacity", "storage"]])?.value ?? 0) >= size
                    && (wanted.isEmpty || v.name == wanted)
            }
            .min {
                (Quantity($0[path: ["spec", "capacity", "storage"]])?.value ?? 0, $0.name)
                    < (Quantity($1[path: ["spec", "capacity", "storage"]])?.value ?? 0, $1.name)
            }
    }

    func reconcileClaim(_ key: String) async throws {
        guard var claim = await claims.get(key) else { return }
        if claim.deletionTimestamp != nil {
            try await releaseProtection(claim)
            return
        }
        let all = await volumes.list()
        if let volume = all.first(where: { Self.names($0, claim) }) {
            try await bind(&claim, to: volume)
            return
        }
        if (claim[path: ["spec", "volumeName"]]?.string ?? "").isEmpty == false,
            claim[path: ["status", "phase"]]?.string == "Bound"
        {
            // Its volume is gone.
            claim["status"] = ["phase": "Lost"]
            _ = try await client.update(
                Resources.persistentvolumeclaims,
                namespace: claim.namespace,
                claim,
                subresource: "status"
            )
            await once(
                claim,
                "Warning",
                "ClaimLost",
                "Bound claim has lost its PersistentVolume. Data on the volume is lost!"
            )
            return
        }
        if var fit = Self.bestFit(claim, among: all) {
            fit[path: ["spec", "claimRef"]] = Self.claimRef(claim)
            _ = try await client.update(Resources.persistentvolumes, namespace: nil, fit)
            return
        }
        try await provision(claim)
    }

    /// Marks the claim and the volume Bound to each other.
    func bind(_ claim: inout JSON, to volume: JSON) async throws {
        if claim[path: ["spec", "volumeName"]]?.string != volume.name {
            claim[path: ["spec", "volumeName"]] = .string(volume.name)
            claim[path: ["metadata", "annotations", "pv.kubernetes.io/bind-completed"]] = "yes"
            claim[path: ["metadata", "annotations", "pv.kubernetes.io/bound-by-controller"]] = "yes"
            claim = try await client.update(Resources.persistentvolumeclaims, namespace: claim.namespace, claim)
        }
        let status: JSON = [
            "phase": "Bound", "accessModes": volume[path: ["spec", "accessModes"]] ?? [],
            "capacity": volume[path: ["spec", "capacity"]] ?? .emptyObject,
        ]
        if claim["status"] != status {
            claim["status"] = status
            _ = try await client.update(
                Resources.persistentvolumeclaims,
                namespace: claim.namespace,
                claim,
                subresource: "status"
            )
        }
        if volume[path: ["status", "phase"]]?.string != "Bound" {
            var v = volume
            if (v[path: ["spec", "claimRef", "uid"]]?.string ?? "").isEmpty {
                v[path: ["spec", "claimRef"]] = Self.claimRef(claim)
                v = try await client.update(Resources.persistentvolumes, namespace: nil, v)
            }
            v["status"] = ["phase": "Bound"]
            _ = try await client.update(Resources.persistentvolumes, namespace: nil, v, subresource: "status")
        }
    }

    func provision(_ claim: JSON) async throws {
        let className = claim[path: ["spec", "storageClassName"]]?.string ?? ""
        guard !className.isEmpty else {
            await once(
                claim,
                "Normal",
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set"
            )
            return
        }
        guard let sc = await classes.get(className) else {
            await once(claim, "Warning", "ProvisioningFailed", "storageclass.storage.k8s.io \"\(className)\" not found")
            return
        }
        guard sc["provisioner"]?.string == LocalPath.provisioner else {
            await once(
                claim,
                "Normal",
                "ExternalProvisioning",
                "Waiting for a volume to be created either by the external provisioner '\(sc["provisioner"]?.string ?? "")' or manually by the system administrator."
            )
            return
        }
        var nodeName = claim[path: ["metadata", "annotations", StorageRules.selectedNodeAnnotation]]?.string
        if nodeName == nil {
            if sc["volumeBindingMode"]?.string == "WaitForFirstConsumer" {
                await once(
                    claim,
                    "Normal",
                    "WaitForFirstConsumer",
                    "waiting for first consumer to be created before binding"
                )
                return
            }
            nodeName = await nodes.list().filter(\.isSchedulable).map(\.name).sorted().first
        }
        guard let nodeName, let node = await nodes.get(nodeName),
            let root = node.metadata.annotations[Self.storageRootAnnotation]
        else {
            await once(claim, "Warning", "ProvisioningFailed", "no node to make the volume on yet")
            return
        }
        let directory = "\(root)/pvc-\(claim.uid)_\(claim.namespace)_\(claim.name)"
        var volume = LocalPath.volume(
            for: claim,
            node: nodeName,
            directory: directory,
            reclaimPolicy: sc["reclaimPolicy"]?.string ?? "Delete"
        )
        volume[path: ["metadata", "finalizers"]] = [.string(Self.cleanupFinalizer)]
        do {
            _ = try await client.create(Resources.persistentvolumes, namespace: nil, volume)
        } catch let e as APIError where e.code == 409 {
            return
        }
        await events.record(
            claim,
            reason: "ProvisioningSucceeded",
            message: "Successfully provisioned volume \(volume.name) on \(nodeName)"
        )
    }

    /// A claim being deleted goes once no active pod uses it.
    func releaseProtection(_ claim: JSON) async throws {
        var finalizers = claim[path: ["metadata", "finalizers"]]?.array ?? []
        guard finalizers.contains(.string(StorageRules.protectionFinalizer)) else { return }
        let inUse = await pods.list(namespace: claim.namespace).contains {
            !$0.isTerminal && $0.claimNames.contains(claim.name)
        }
        guard !inUse else { return }
        finalizers.removeAll { $0 == .string(StorageRules.protectionFinalizer) }
        _ = try await client.patch(
            Resources.persistentvolumeclaims,
            namespace: claim.namespace,
            name: claim.name,
            ["metadata": ["finalizers": .array(finalizers)]],
            type: .merge
        )
    }

    func reconcileVolume(_ name: String) async throws {
        guard var volume = await volumes.get(name), volume.deletionTimestamp == nil else { return }
        let phase = volume[path: ["status", "phase"]]?.string ?? "Pending"
        guard let ref = volume[path: ["spec", "claimRef"]] else {
            if phase != "Available" {
                volume["status"] = ["phase": "Available"]
                _ = try await client.update(Resources.persistentvolumes, namespace: nil, volume, subresource: "status")
            }
            return
        }
        let ns = ref["namespace"]?.string ?? "", claimName = ref["name"]?.string ?? ""
        let claim = await claims.get("\(ns)/\(claimName)")
        let claimGone = claim == nil || (!(ref["uid"]?.string ?? "").isEmpty && claim?.uid != ref["uid"]?.string)
        guard claimGone, phase == "Bound" || phase == "Released" else { return }
        if phase == "Bound" {
            volume["status"] = ["phase": "Released"]
            volume = try await client.update(Resources.persistentvolumes, namespace: nil, volume, subresource: "status")
        }
        if volume[path: ["spec", "persistentVolumeReclaimPolicy"]]?.string == "Delete" {
            do { _ = try await client.delete(Resources.persistentvolumes, namespace: nil, name: name) } catch let e
                as APIError where e.code == 404
            {}
        }
    }
}
