import Foundation
import KubeAPI
import KubeMachinery
import KubeStore
import Logging
import Synchronization

/// What a watch stream carries: `ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK` or `ERROR`.
public struct WatchEvent: Sendable {
    public var type: String
    public var object: JSON
    /// The store revision the event comes from (0 for synthetic ones), so encodings can be shared.
    public var revision: Int64 = 0

    public var json: JSON { ["type": .string(type), "object": object] }
}

public struct ListOptions: Sendable {
    public var labelSelector = LabelSelector.everything
    public var fieldSelector = FieldSelector(requirements: [])
    public init() {}
}

public struct DeleteOptions: Sendable {
    public var gracePeriodSeconds: Int64?
    public var propagationPolicy: String?
    public var preconditionUID: String?
    public var preconditionResourceVersion: String?
    public init() {}
}

/// Create, read, update, delete and watch of Kubernetes objects on a `Store`: the rules of
/// Kubernetes' generic registry (metadata, optimistic concurrency, graceful deletion,
/// finalizers, dry run) plus the per-kind rules of `Resource`.
public final class Registry: Sendable {
    public let store: any Store
    public let allocator: ServiceAllocator
    let logger: Logger
    let clock: @Sendable () -> Timestamp
    /// Every watcher of a resource decodes the same store event: do it once.
    let decoded = SharedCache<Int64, JSON>(capacity: 512)
    /// Watch lines already encoded, shared by watchers of the same event and format.
    public let encodedEvents = SharedCache<String, [UInt8]>(capacity: 1024)

    /// The kinds with write steps of their own, by resource (`group/plural`).
    let strategies: [String: any StorageStrategy]
    /// The admission plugins (ServiceAccounts for pods, storage for claims); a server
    /// without the controllers that make accounts, in tests, leaves them off.
    let admission: Bool

    public init(
        store: any Store,
        allocator: ServiceAllocator,
        logger: Logger = Logger(label: "swiftlet.registry"),
        clock: @escaping @Sendable () -> Timestamp = { Timestamp.now },
        admission: Bool = false
    ) {
        self.admission = admission
        self.store = store
        self.allocator = allocator
        self.logger = logger
        self.clock = clock
        strategies = [
            Self.strategyKey(Resources.services): ServiceStrategy(allocator: allocator),
            Self.strategyKey(Resources.pods): PodStrategy(),
            Self.strategyKey(Resources.namespaces): NamespaceStrategy(),
        ]
    }

    static func strategyKey(_ r: Resource) -> String { "\(r.group)/\(r.plural)" }

    func strategy(_ r: Resource) -> any StorageStrategy { strategies[Self.strategyKey(r)] ?? DefaultStrategy() }

    /// Rebuilds allocator state from stored services and resumes unfinished namespace deletions.
    public func start() async throws {
        let (services, _) = try await store.list(prefix: Resources.key(Resources.services, namespace: nil, name: nil))
        let holdings = services.compactMap { kv in
            (try? JSON.parse(kv.value)).map { ServiceAllocator.Holdings(service: $0) }
        }
        for h in holdings { await allocator.markUsed(h) }
        await allocator.ensureClaims(holdings)
        let (namespaces, _) = try await list(Resources.namespaces, namespace: nil, options: ListOptions())
        for ns in namespaces where ns.deletionTimestamp != nil {
            scheduleNamespaceCleanup(ns.name)
        }
    }

    // MARK: Encoding

    func decode(_ kv: KeyValue) throws(APIError) -> JSON {
        do {
            var obj = try JSON.parse(kv.value)
            obj[path: ["metadata", "resourceVersion"]] = .string(String(kv.modRevision))
            return obj
        } catch {
            throw APIError.internalError("stored object \(kv.key) is not valid JSON: \(error)")
        }
    }

    func encode(_ obj: JSON) -> [UInt8] {
        var o = obj
        o[path: ["metadata", "resourceVersion"]] = nil
        return o.serialized()
    }

    static func mapStoreError(_ error: any Error, _ r: Resource, name: String) -> APIError {
        if let e = error as? APIError { return e }
        switch error as? StoreError {
        case .alreadyExists: return .alreadyExists(resource: r.plural, group: r.group, name: name)
        case .notFound: return .notFound(resource: r.plural, group: r.group, name: name)
        case .conflict: return .conflict(resource: r.plural, group: r.group, name: name)
        case .compacted(let req, let oldest): return .gone("too old resource version: \(req) (\(oldest))")
        default: return .internalError(String(describing: error))
        }
    }

    // MARK: Read

    public func get(_ r: Resource, namespace: String?, name: String) async throws(APIError) -> JSON {
        let key = Resources.key(r, namespace: namespace, name: name)
        let kv: KeyValue?
        do { kv = try await store.get(key) } catch { throw Self.mapStoreError(error, r, name: name) }
        guard let kv else { throw APIError.notFound(resource: r.plural, group: r.group, name: name) }
        return try decode(kv)
    }

    public func list(
        _ r: Resource,
        namespace: String?,
        options: ListOptions
    ) async throws(APIError) -> (items: [JSON], revision: Int64) {
        let prefix = Resources.key(r, namespace: namespace, name: nil)
        let result: (items: [KeyValue], revision: Int64)
        do { result = try await store.list(prefix: prefix) } catch { throw Self.mapStoreError(error, r, name: "") }
        var items: [JSON] = []
        items.reserveCapacity(result.items.count)
        for kv in result.items {
            let obj = try decode(kv)
            if matches(r, obj, options) { items.append(obj) }
        }
        return (items, result.revision)
    }

    func matches(_ r: Resource, _ obj: JSON, _ options: ListOptions) -> Bool {
        (options.labelSelector.isEverything || options.labelSelector.matches(obj.labels))
            && (options.fieldSelector.isEverything || options.fieldSelector.matches { r.fieldValue(obj, $0) })
    }

    // MARK: Create

    func checkTypeMeta(_ r: Resource, _ obj: inout JSON) throws(APIError) {
        guard obj.isObject else { throw APIError.badRequest("the body of the request must be a JSON object") }
        // A body without type information takes it from the URL, as Kubernetes' decoder does.
        let kind = obj.kind.isEmpty ? r.kind : obj.kind, apiVersion = obj.apiVersion
        obj["kind"] = .string(kind)
        if !apiVersion.isEmpty, apiVersion != r.apiVersion {
            throw APIError.badRequest(
                "the API version in the data (\(apiVersion)) does not match the expected API version (\(r.apiVersion))"
            )
        }
        if kind != r.kind {
            throw APIError.badRequest(
                "the kind in the data (\(kind)) does not match the expected kind (\(r.kind)) for \(r.qualifiedName)"
            )
        }
        obj["apiVersion"] = .string(r.apiVersion)
        if obj["metadata"].map({ !$0.isObject }) ?? true { obj["metadata"] = .emptyObject }
    }

    func checkNamespace(_ r: Resource, _ obj: inout JSON, namespace: String?) throws(APIError) {
        if r.namespaced {
            let ns = namespace ?? ""
            if !obj.namespace.isEmpty, obj.namespace != ns {
                throw APIError.badRequest(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            }
            obj[path: ["metadata", "namespace"]] = .string(ns)
        } else {
            obj[path: ["metadata", "namespace"]] = nil
        }
    }

    static let generateAlphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    static func generateName(_ base: String) -> String {
        var b = base
        if b.count > 58 { b = String(b.prefix(58)) }
        var rng = SystemRandomNumberGenerator()
        return b + String((0..<5).map { _ in generateAlphabet[Int(rng.next() % UInt64(generateAlphabet.count))] })
    }

    public func create(
        _ r: Resource,
        namespace: String?,
        body: JSON,
        dryRun: Bool = false
    ) async throws(APIError) -> JSON {
        var obj = body
        try checkTypeMeta(r, &obj)
        try checkNamespace(r, &obj, namespace: namespace)
        if obj.name.isEmpty, let gen = obj[path: ["metadata", "generateName"]]?.string, !gen.isEmpty {
            obj[path: ["metadata", "name"]] = .string(Self.generateName(gen))
        }
        let now = clock()
        var meta = obj["metadata"] ?? .emptyObject
        meta["uid"] = .string(UUID().uuidString.lowercased())
        meta["creationTimestamp"] = .string(now.rfc3339)
        meta["resourceVersion"] = nil
        meta["deletionTimestamp"] = nil
        meta["deletionGracePeriodSeconds"] = nil
        meta["managedFields"] = nil
        meta["selfLink"] = nil
        if r.tracksGeneration { meta["generation"] = 1 } else { meta["generation"] = nil }
        obj["metadata"] = meta
        r.prepareForCreate(&obj)
        if admission, r.group.isEmpty, r.plural == "pods" {
            try await ServiceAccountAdmission.admit(&obj, registry: self)
            DefaultTolerations.admit(&obj)
        }
        if admission, r.group.isEmpty, r.plural == "persistentvolumeclaims" {
            await StorageAdmission.admit(&obj, registry: self)
        }

        let errs = r.validate(obj)
        if !errs.isEmpty { throw APIError.invalid(kind: r.kind, group: r.group, name: obj.name, causes: errs) }

        if r.namespaced {
            let ns: JSON
            do { ns = try await get(Resources.namespaces, namespace: nil, name: obj.namespace) } catch {
                throw APIError.notFound(resource: "namespaces", name: obj.namespace)
            }
            if ns.deletionTimestamp != nil {
                throw APIError.forbidden(
                    resource: r.plural,
                    group: r.group,
                    name: obj.name,
                    "unable to create new content in namespace \(obj.namespace) because it is being terminated"
                )
            }
        }

        let txn = try await strategy(r).begin(&obj, old: nil)
        if dryRun {
            await txn.rollback()
            return obj
        }
        let key = Resources.key(r, namespace: obj.namespace, name: obj.name)
        do {
            let kv = try await store.create(key, value: encode(obj))
            await txn.commit()
            obj[path: ["metadata", "resourceVersion"]] = .string(String(kv.modRevision))
            return obj
        } catch {
            await txn.rollback()
            throw Self.mapStoreError(error, r, name: obj.name)
        }
    }

    // MARK: Update and patch

    /// Replaces an object (PUT), or its status with `subresource: "status"`.
    public func update(
        _ r: Resource,
        namespace: String?,
        name: String,
        body: JSON,
        subresource: String? = nil,
        dryRun: Bool = false
    ) async throws(APIError) -> JSON {
        var incoming = body
        try checkTypeMeta(r, &incoming)
        if !incoming.name.isEmpty, incoming.name != name {
            throw APIError.badRequest(
                "the name of the object (\(incoming.name)) does not match the name on the URL (\(name))"
            )
        }
        incoming[path: ["metadata", "name"]] = .string(name)
        try checkNamespace(r, &incoming, namespace: namespace)
        let requiredRV = incoming.resourceVersion
        return try await guaranteedUpdate(
            r,
            namespace: namespace,
            name: name,
            subresource: subresource,
            dryRun: dryRun,
            retryOnConflict: requiredRV.isEmpty
        ) { _ in incoming }
    }

    public func patch(
        _ r: Resource,
        namespace: String?,
        name: String,
        type: PatchType,
        patch: JSON,
        subresource: String? = nil,
        dryRun: Bool = false
    ) async throws(APIError) -> JSON {
        let pinned = patch[path: ["metadata", "resourceVersion"]]?.string != nil
        return try await guaranteedUpdate(
            r,
            namespace: namespace,
            name: name,
            subresource: subresource,
            dryRun: dryRun,
            retryOnConflict: !pinned
        ) { current throws(APIError) in
            var patched: JSON
            do throws(PatchError) { patched = try Patch.apply(type, patch: patch, to: current) } catch {
                throw error.malformed
                    ? APIError.badRequest(error.description)
                    : APIError(code: 422, reason: "Invalid", message: error.description)
            }
            guard patched.isObject else { throw APIError.badRequest("the patch did not produce an object") }
            if patched.name != name {
                throw APIError.badRequest(
                    "the name of the object (\(patched.name)) does not match the name on the URL (\(name))"
                )
            }
            if patched.kind != r.kind || patched.apiVersion != r.apiVersion {
                throw APIError.badRequest(
                    "a patch may not change the kind or apiVersion of \(r.qualifiedName) \"\(name)\""
                )
            }
            return patched
        }
    }

    /// Read → modify → validate → compare-and-swap, retried when another writer got there first
    /// (unless the client pinned a resourceVersion, which then yields 409 Conflict).
    func guaranteedUpdate(
        _ r: Resource,
        namespace: String?,
        name: String,
        subresource: String?,
        dryRun: Bool,
        retryOnConflict: Bool,
        _ modify: (JSON) throws(APIError) -> JSON
    ) async throws(APIError) -> JSON {
        let key = Resources.key(r, namespace: namespace, name: name)
        for _ in 0..<16 {
            let kvOrNil: KeyValue?
            do { kvOrNil = try await store.get(key) } catch { throw Self.mapStoreError(error, r, name: name) }
            guard let kv = kvOrNil else { throw APIError.notFound(resource: r.plural, group: r.group, name: name) }
            let old = try decode(kv)
            var obj = try modify(old)
            try checkNamespace(r, &obj, namespace: namespace)
            let rv = obj.resourceVersion
            if !rv.isEmpty, rv != String(kv.modRevision) {
                throw APIError.conflict(resource: r.plural, group: r.group, name: name)
            }
            // Identity and lifecycle metadata belong to the server.
            for field in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] {
                obj[path: ["metadata", field]] = old[path: ["metadata", field]]
            }
            obj[path: ["metadata", "managedFields"]] = nil
            obj[path: ["metadata", "resourceVersion"]] = .string(String(kv.modRevision))
            var errs: [FieldError]
            let strategy = strategy(r)
            if subresource == "status" {
                r.prepareForStatusUpdate(&obj, old: old)
                errs = r.validateStatusUpdate(obj, old: old)
            } else if subresource == "binding" {
                errs = []  // the binding closure changed only spec.nodeName and a condition
            } else {
                r.prepareForUpdate(&obj, old: old)
                strategy.prepareForUpdate(&obj, old: old)
                r.applyDefaults(&obj)
                errs = r.validateUpdate(obj, old: old)
                if old.deletionTimestamp != nil {
                    let added = Set(obj.finalizers).subtracting(old.finalizers)
                    if !added.isEmpty {
                        errs.append(
                            .forbidden(
                                "metadata.finalizers",
                                "no new finalizers can be added if the object is being deleted, found new finalizers []string{\(added.sorted().map { "\"\($0)\"" }.joined(separator: ", "))}"
                            )
                        )
                    }
                }
            }
            if r.tracksGeneration, obj.specPart != old.specPart {
                obj[path: ["metadata", "generation"]] = JSON.int((old[path: ["metadata", "generation"]]?.int ?? 0) + 1)
            }
            if !errs.isEmpty { throw APIError.invalid(kind: r.kind, group: r.group, name: name, causes: errs) }
            if obj == old { return old }  // no-op: nothing is written, the resourceVersion stays
            // Status and binding writes claim nothing.
            let txn = subresource == nil ? try await strategy.begin(&obj, old: old) : .none
            if dryRun {
                await txn.rollback()
                return obj
            }
            do {
                let newKV = try await store.update(key, value: encode(obj), expectedModRevision: kv.modRevision)
                await txn.commit()
                obj[path: ["metadata", "resourceVersion"]] = .string(String(newKV.modRevision))
            } catch StoreError.conflict {
                await txn.rollback()
                if retryOnConflict { continue }
                throw APIError.conflict(resource: r.plural, group: r.group, name: name)
            } catch {
                await txn.rollback()
                throw Self.mapStoreError(error, r, name: name)
            }
            // The last finalizer gone from an object being deleted: delete it now.
            if obj.deletionTimestamp != nil, obj.finalizers.isEmpty, strategy.deletesWhenFinalized(obj) {
                if let deleted = try? await finishDelete(r, obj, key: key) { return deleted }
            }
            return obj
        }
        throw APIError.conflict(resource: r.plural, group: r.group, name: name, detail: "too many concurrent updates")
    }

    // MARK: Binding

    /// Assigns a pod to a node (`pods/binding`), once: a bound pod answers 409.
    public func bind(namespace: String, name: String, node: String, dryRun: Bool = false) async throws(APIError) -> JSON
    {
        let r = Resources.pods
        return try await guaranteedUpdate(
            r,
            namespace: namespace,
            name: name,
            subresource: "binding",
            dryRun: dryRun,
            retryOnConflict: true
        ) { current throws(APIError) in
            if current.deletionTimestamp != nil {
                throw APIError.conflict(
                    resource: "pods",
                    name: name,
                    detail: "pod \(name) is being deleted, cannot be assigned to a host"
                )
            }
            if let existing = current[path: ["spec", "nodeName"]]?.string, !existing.isEmpty {
                throw APIError.conflict(
                    resource: "pods",
                    name: name,
                    detail: "pod \(name) is already assigned to node \"\(existing)\""
                )
            }
            var pod = current
            pod[path: ["spec", "nodeName"]] = .string(node)
            var conditions = (pod[path: ["status", "conditions"]]?.array ?? []).filter {
                $0["type"]?.string != "PodScheduled"
            }
            conditions.append([
                "type": "PodScheduled", "status": "True", "lastProbeTime": .null,
                "lastTransitionTime": .string(self.clock().rfc3339),
            ])
            pod[path: ["status", "conditions"]] = .array(conditions)
            return pod
        }
    }

    // MARK: Delete

    public func delete(
        _ r: Resource,
        namespace: String?,
        name: String,
        options: DeleteOptions = DeleteOptions(),
        dryRun: Bool = false
    ) async throws(APIError) -> JSON {
        let key = Resources.key(r, namespace: namespace, name: name)
        for _ in 0..<16 {
            let kvOrNil: KeyValue?
            do { kvOrNil = try await store.get(key) } catch { throw Self.mapStoreError(error, r, name: name) }
            guard let kv = kvOrNil else { throw APIError.notFound(resource: r.plural, group: r.group, name: name) }
            var obj = try decode(kv)
            if let uid = options.preconditionUID, uid != obj.uid {
                throw APIError.conflict(
                    resource: r.plural,
                    group: r.group,
                    name: name,
                    detail: "Precondition failed: UID in precondition: \(uid), UID in object meta: \(obj.uid)"
                )
            }
            if let rv = options.preconditionResourceVersion, rv != obj.resourceVersion {
                throw APIError.conflict(
                    resource: r.plural,
                    group: r.group,
                    name: name,
                    detail:
                        "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(obj.resourceVersion)"
                )
            }
            if dryRun { return obj }
            let now = clock()
            var finalizers = obj.finalizers
            switch options.propagationPolicy {
            case "Foreground" where !finalizers.contains("foregroundDeletion"): finalizers.append("foregroundDeletion")
            case "Orphan" where !finalizers.contains("orphan"): finalizers.append("orphan")
            default: break
            }
            let deletion = strategy(r).deletion(of: obj, options: options)
            if deletion == .terminate {
                if obj.deletionTimestamp == nil {
                    obj[path: ["metadata", "deletionTimestamp"]] = .string(now.rfc3339)
                    obj[path: ["status", "phase"]] = "Terminating"
                    do {
                        let newKV = try await store.update(key, value: encode(obj), expectedModRevision: kv.modRevision)
                        obj[path: ["metadata", "resourceVersion"]] = .string(String(newKV.modRevision))
                    } catch StoreError.conflict { continue } catch { throw Self.mapStoreError(error, r, name: name) }
                }
                scheduleNamespaceCleanup(name)
                return obj
            }
            var grace: Int64 = 0
            if case .graceful(let seconds) = deletion { grace = seconds }
            if !finalizers.isEmpty || grace > 0 {
                let existingGrace = obj[path: ["metadata", "deletionGracePeriodSeconds"]]?.int
                if obj.deletionTimestamp == nil || (existingGrace.map { grace < $0 } ?? false) {
                    obj[path: ["metadata", "deletionTimestamp"]] = .string(now.adding(seconds: grace).rfc3339)
                    obj[path: ["metadata", "deletionGracePeriodSeconds"]] = JSON.int(grace)
                } else if obj.finalizers == finalizers {
                    return obj  // already being deleted, nothing changes
                }
                obj[path: ["metadata", "finalizers"]] = JSON(finalizers)
                do {
                    let newKV = try await store.update(key, value: encode(obj), expectedModRevision: kv.modRevision)
                    obj[path: ["metadata", "resourceVersion"]] = .string(String(newKV.modRevision))
                } catch StoreError.conflict { continue } catch { throw Self.mapStoreError(error, r, name: name) }
                return obj
            }
            do {
                return try await finishDelete(r, obj, key: key, expected: kv.modRevision)
            } catch let e as APIError where e.code == 409 { continue } catch {
                throw Self.mapStoreError(error, r, name: name)
            }
        }
        throw APIError.conflict(resource: r.plural, group: r.group, name: name, detail: "too many concurrent updates")
    }

    func finishDelete(_ r: Resource, _ obj: JSON, key: String, expected: Int64? = nil) async throws -> JSON {
        do {
            let kv = try await store.delete(key, expectedModRevision: expected)
            await strategy(r).afterDelete(obj)
            var deleted = obj
            deleted[path: ["metadata", "resourceVersion"]] = .string(String(kv.modRevision))
            return deleted
        } catch StoreError.conflict {
            throw APIError.conflict(resource: r.plural, group: r.group, name: obj.name)
        }
    }

    public func deleteCollection(
        _ r: Resource,
        namespace: String?,
        options: ListOptions,
        deleteOptions: DeleteOptions,
        dryRun: Bool
    ) async throws(APIError) -> [JSON] {
        let (items, _) = try await list(r, namespace: namespace, options: options)
        var deleted: [JSON] = []
        for item in items {
            do {
                deleted.append(
                    try await delete(
                        r,
                        namespace: item.namespace.isEmpty ? nil : item.namespace,
                        name: item.name,
                        options: deleteOptions,
                        dryRun: dryRun
                    )
                )
            } catch  where error.code == 404 {
                continue
            }
        }
        return deleted
    }

    // MARK: Namespaces

    /// Deletes everything in a terminating namespace, then the namespace itself.
    func scheduleNamespaceCleanup(_ name: String) {
        Task { [self] in
            for attempt in 0..<3600 {
                var remaining = 0
                for r in Resources.all where r.namespaced {
                    guard let (items, _) = try? await list(r, namespace: name, options: ListOptions()) else {
                        remaining += 1
                        continue
                    }
                    remaining += items.count
                    for item in items where item.deletionTimestamp == nil || attempt > 0 {
                        var opts = DeleteOptions()
                        // Whatever waits for its runner (a pod for its kubelet) is forced after a minute.
                        if attempt >= 60, case .graceful = strategy(r).deletion(of: item, options: opts) {
                            opts.gracePeriodSeconds = 0
                        }
                        _ = try? await delete(r, namespace: name, name: item.name, options: opts)
                    }
                }
                if remaining == 0 {
                    let key = Resources.key(Resources.namespaces, namespace: nil, name: name)
                    _ = try? await store.delete(key, expectedModRevision: nil)
                    logger.info("namespace deleted", metadata: ["namespace": "\(name)"])
                    return
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}

/// A bounded map shared between tasks; the oldest entries go first.
public final class SharedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var values: [Key: Value] = [:]
        var order: [Key] = []
        var head = 0
    }
    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    public func get(_ k: Key) -> Value? { state.withLock { $0.values[k] } }

    public func set(_ k: Key, _ v: Value) {
        let capacity = self.capacity
        state.withLock { s in
            if s.values.updateValue(v, forKey: k) != nil { return }
            if s.order.count < capacity {
                s.order.append(k)
            } else {
                s.values[s.order[s.head]] = nil
                s.order[s.head] = k
                s.head = (s.head + 1) % capacity
            }
        }
    }
}

/// A small lock-protected value for state shared between a watch's tasks.
final class LockedBox<T: Sendable>: Sendable {
    private let state: Mutex<T>
    init(_ v: T) { state = Mutex(v) }
    var value: T {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
