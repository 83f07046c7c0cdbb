import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Deletes objects whose owners are gone, and carries out Foreground and Orphan deletion,
/// following `metadata.ownerReferences` as Kubernetes' garbage collector does.
public actor GarbageCollector: Controller {
    let client: KubeClient
    let informers: [any MetadataInformer]
    public nonisolated let logger: Logger
    public nonisolated let queue = WorkQueue(name: "garbage_collector_attempt_to_delete")

    static let resourceByKind: [String: Resource] = Dictionary(
        uniqueKeysWithValues: Resources.all.map { ("\($0.apiVersion)/\($0.kind)", $0) }
    )

    public init(client: KubeClient, informers: [any MetadataInformer], logger: Logger) {
        self.client = client
        self.informers = informers
        self.logger = logger
    }

    /// Owner uid → the work keys of the objects that name it, kept from the informers'
    /// changes, so finding an owner's dependents does not scan every object.
    private var dependentsByOwner: [String: Set<String>] = [:]
    private var ownersOf: [String: [String]] = [:]  // work key → owner uids

    func track(_ workKey: String, _ obj: ObjectMeta?) {
        for uid in ownersOf.removeValue(forKey: workKey) ?? [] {
            dependentsByOwner[uid]?.remove(workKey)
            if dependentsByOwner[uid]?.isEmpty == true { dependentsByOwner[uid] = nil }
        }
        let uids = (obj?.ownerReferences ?? []).map(\.uid).filter { !$0.isEmpty }
        guard !uids.isEmpty else { return }
        ownersOf[workKey] = uids
        for uid in uids { dependentsByOwner[uid, default: []].insert(workKey) }
    }

    func informer(for r: Resource) -> (any MetadataInformer)? {
        informers.first { $0.resource.plural == r.plural && $0.resource.group == r.group }
    }

    static func workKey(_ r: Resource, _ obj: ObjectMeta) -> String { "\(r.apiVersion)/\(r.kind)|\(obj.key)" }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for inf in informers {
                group.addTask {
                    await inf.forEachMetadataChange { _, old, new in
                        guard let obj = new ?? old else { return }
                        await self.changed(inf.resource, obj, deleted: new == nil)
                    }
                }
            }
            group.addTask {
                for inf in self.informers { await inf.waitForSync() }
                for inf in self.informers {
                    for obj in await inf.allMetadata() {
                        await self.track(Self.workKey(inf.resource, obj), obj)
                        await self.queue.add(Self.workKey(inf.resource, obj))
                    }
                }
                await self.runWorkers()
            }
            await group.waitForAll()
        }
    }

    func changed(_ r: Resource, _ obj: ObjectMeta, deleted: Bool) async {
        track(Self.workKey(r, obj), deleted ? nil : obj)
        await queue.add(Self.workKey(r, obj))
        // An owner that went away: look at everything that might depend on it.
        if deleted { for key in dependentsByOwner[obj.uid] ?? [] { await queue.add(key) } }
        // A dependent that changed: its owners may be waiting for it (Foreground).
        for ref in obj.ownerReferences {
            if let owner = Self.resourceByKind["\(ref.apiVersion)/\(ref.kind)"] {
                await queue.add(
                    "\(ref.apiVersion)/\(ref.kind)|\(owner.namespaced ? "\(obj.namespace)/\(ref.name)" : ref.name)"
                )
            }
        }
    }

    func dependents(of owner: ObjectMeta) async -> [(Resource, ObjectMeta)] {
        var out: [(Resource, ObjectMeta)] = []
        for key in dependentsByOwner[owner.uid] ?? [] {
            let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
            guard parts.count == 2, let r = Self.resourceByKind[parts[0]], let inf = informer(for: r),
                let obj = await inf.metadata(parts[1]),
                obj.ownerReferences.contains(where: { $0.uid == owner.uid })
            else { continue }
            out.append((r, obj))
        }
        return out
    }

    /// Whether an owner still exists, asked of the API server (informers may lag).
    func ownerExists(_ ref: OwnerReference, namespace: String) async throws -> Bool {
        // Owners of kinds not served here are left alone.
        guard let r = Self.resourceByKind["\(ref.apiVersion)/\(ref.kind)"] else { return true }
        let name = ref.name
        if let inf = informer(for: r), let cached = await inf.metadata(r.namespaced ? "\(namespace)/\(name)" : name),
            cached.uid == ref.uid
        {
            return true
        }
        let live = try await client.getIfExists(r, namespace: r.namespaced ? namespace : nil, name: name)
        return live?.uid == ref.uid
    }

    public func reconcile(_ key: String) async throws {
        let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
        guard parts.count == 2, let r = Self.resourceByKind[parts[0]], let inf = informer(for: r),
            let obj = await inf.metadata(parts[1])
        else { return }
        let ns = r.namespaced ? obj.namespace : nil

        if obj.isDeleting {
            if obj.finalizers.contains("orphan") {
                for (dr, d) in await dependents(of: obj) {
                    let refs = d.ownerReferences.filter { $0.uid != obj.uid }.map(\.json)
                    _ = try await client.patch(
                        dr,
                        namespace: dr.namespaced ? d.namespace : nil,
                        name: d.name,
                        ["metadata": ["ownerReferences": refs.isEmpty ? JSON.null : .array(refs)]]
                    )
                }
                try await removeFinalizer("orphan", from: obj, r, ns)
            } else if obj.finalizers.contains("foregroundDeletion") {
                let deps = await dependents(of: obj)
                for (dr, d) in deps where !d.isDeleting {
                    do {
                        try await client.delete(
                            dr,
                            namespace: dr.namespaced ? d.namespace : nil,
                            name: d.name,
                            propagationPolicy: "Foreground",
                            preconditionUID: d.uid
                        )
                    } catch let e as APIError where e.code == 404 || e.code == 409 {}
                }
                if deps.isEmpty { try await removeFinalizer("foregroundDeletion", from: obj, r, ns) }
            }
        }

        let owners = obj.ownerReferences
        guard !owners.isEmpty, !obj.isDeleting else { return }
        for ref in owners where try await ownerExists(ref, namespace: obj.namespace) { return }
        logger.debug("deleting \(r.plural) \(obj.key): its owners are gone")
        do {
            try await client.delete(
                r,
                namespace: ns,
                name: obj.name,
                propagationPolicy: "Background",
                preconditionUID: obj.uid
            )
        } catch let e as APIError where e.code == 404 || e.code == 409 {}
    }

    func removeFinalizer(_ f: String, from obj: ObjectMeta, _ r: Resource, _ ns: String?) async throws {
        let rest = obj.finalizers.filter { $0 != f }
        _ = try await client.patch(
            r,
            namespace: ns,
            name: obj.name,
            [
                "metadata": [
                    "finalizers": rest.isEmpty ? .null : JSON(rest), "resourceVersion": .string(obj.resourceVersion),
                ]
            ]
        )
    }
}
