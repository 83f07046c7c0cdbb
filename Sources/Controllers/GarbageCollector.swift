import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging

/// Deletes objects whose owners are gone, and carries out Foreground and Orphan deletion,
/// following `metadata.ownerReferences` as Kubernetes' garbage collector does.
public actor GarbageCollector: Controller {
    let client: KubeClient
    let informers: [Informer<JSON>]
    public nonisolated let logger: Logger
    public nonisolated let queue = WorkQueue(name: "garbage_collector_attempt_to_delete")

    static let resourceByKind: [String: Resource] = Dictionary(
        uniqueKeysWithValues: Resources.all.map { ("\($0.apiVersion)/\($0.kind)", $0) }
    )

    public init(client: KubeClient, informers: [Informer<JSON>], logger: Logger) {
        self.client = client
        self.informers = informers
        self.logger = logger
    }

    /// Owner uid → the work keys of the objects that name it, kept from the informers'
    /// changes, so finding an owner's dependents does not scan every object.
    private var dependentsByOwner: [String: Set<String>] = [:]
    private var ownersOf: [String: [String]] = [:]  // work key → owner uids

    func track(_ workKey: String, _ obj: JSON?) {
        for uid in ownersOf.removeValue(forKey: workKey) ?? [] {
            dependentsByOwner[uid]?.remove(workKey)
            if dependentsByOwner[uid]?.isEmpty == true { dependentsByOwner[uid] = nil }
        }
        let uids = (obj?.ownerReferences ?? []).compactMap { $0["uid"]?.string }
        guard !uids.isEmpty else { return }
        ownersOf[workKey] = uids
        for uid in uids { dependentsByOwner[uid, default: []].insert(workKey) }
    }

    func informer(for r: Resource) -> Informer<JSON>? {
        informers.first { $0.resource.plural == r.plural && $0.resource.group == r.group }
    }

    static func workKey(_ r: Resource, _ obj: JSON) -> String { "\(r.apiVersion)/\(r.kind)|\(Informer.key(obj))" }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for inf in informers {
                group.addTask {
                    for await c in await inf.changes() {
                        guard let obj = c.new ?? c.old else { continue }
                        await self.track(Self.workKey(inf.resource, obj), c.new)
                        await self.queue.add(Self.workKey(inf.resource, obj))
                        // An owner that went away: look at everything that might depend on it.
                        if c.new == nil { await self.enqueueDependents(of: obj) }
                        // A dependent that changed: its owners may be waiting for it (Foreground).
                        for ref in obj.ownerReferences {
                            if let kind = ref["kind"]?.string, let v = ref["apiVersion"]?.string,
                                let name = ref["name"]?.string,
                                let r = Self.resourceByKind["\(v)/\(kind)"]
                            {
                                await self.queue.add("\(v)/\(kind)|\(r.namespaced ? "\(obj.namespace)/\(name)" : name)")
                            }
                        }
                    }
                }
            }
            group.addTask {
                for inf in self.informers { await inf.waitForSync() }
                for inf in self.informers {
                    for obj in await inf.list() {
                        await self.track(Self.workKey(inf.resource, obj), obj)
                        await self.queue.add(Self.workKey(inf.resource, obj))
                    }
                }
                await self.runWorkers()
            }
            await group.waitForAll()
        }
    }

    func enqueueDependents(of owner: JSON) async {
        for key in dependentsByOwner[owner.uid] ?? [] { await queue.add(key) }
    }

    func dependents(of owner: JSON) async -> [(Resource, JSON)] {
        var out: [(Resource, JSON)] = []
        for key in dependentsByOwner[owner.uid] ?? [] {
            let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
            guard parts.count == 2, let r = Self.resourceByKind[parts[0]], let inf = informer(for: r),
                let obj = await inf.get(parts[1]),
                obj.ownerReferences.contains(where: { $0["uid"]?.string == owner.uid })
            else { continue }
            out.append((r, obj))
        }
        return out
    }

    /// Whether an owner still exists, asked of the API server (informers may lag).
    func ownerExists(_ ref: JSON, namespace: String) async throws -> Bool {
        guard let kind = ref["kind"]?.string, let apiVersion = ref["apiVersion"]?.string,
            let name = ref["name"]?.string,
            let r = Self.resourceByKind["\(apiVersion)/\(kind)"]
        else { return true }  // unknown kinds are left alone
        if let inf = informer(for: r), let cached = await inf.get(r.namespaced ? "\(namespace)/\(name)" : name),
            cached.uid == ref["uid"]?.string
        {
            return true
        }
        let live = try await client.getIfExists(r, namespace: r.namespaced ? namespace : nil, name: name)
        return live?.uid == ref["uid"]?.string
    }

    public func reconcile(_ key: String) async throws {
        let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
        guard parts.count == 2, let r = Self.resourceByKind[parts[0]], let inf = informer(for: r),
            let obj = await inf.get(parts[1])
        else { return }
        let ns = r.namespaced ? obj.namespace : nil

        if obj.deletionTimestamp != nil {
            if obj.finalizers.contains("orphan") {
                for (dr, d) in await dependents(of: obj) {
                    let refs = d.ownerReferences.filter { $0["uid"]?.string != obj.uid }
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
                for (dr, d) in deps where d.deletionTimestamp == nil {
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
        guard !owners.isEmpty, obj.deletionTimestamp == nil else { return }
        for ref in owners where try await ownerExists(ref, namespace: obj.namespace) { return }
        logger.debug("deleting \(r.plural) \(Informer.key(obj)): its owners are gone")
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

    func removeFinalizer(_ f: String, from obj: JSON, _ r: Resource, _ ns: String?) async throws {
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
