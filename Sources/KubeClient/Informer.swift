import Foundation
import KubeAPI
import KubeMachinery
import KubeModel
import Logging

/// A list + watch cache of one resource, as client-go's informers keep: the current objects
/// by `namespace/name`, and a stream of the keys that changed. It re-lists when the watch
/// ends or its resourceVersion expires. Objects are cached as `Object`: a typed model
/// (`Informer<Service>`), built once per change, or the JSON tree itself.
public actor Informer<Object: CacheableObject> {
    public nonisolated let resource: Resource
    let client: any ListerWatcher
    let logger: Logger
    let fieldSelector: String?
    /// Applied to every object before it is cached (a slimmer copy keeps memory down).
    let transform: (@Sendable (Object) -> Object)?
    /// Cached objects kept as their JSON bytes and parsed when read: a tenth of the memory
    /// of the parsed tree, for caches read a few objects at a time (a node's Services and
    /// EndpointSlices). Reads cost a parse of the objects they return.
    public nonisolated let packed: Bool
    /// Whether the first list reaches subscribers as changes. Subscribers that read `list()`
    /// once the informer has synced (the proxy, the load balancer) do not need them, and a
    /// first list of 10,000 objects would sit in their streams as 10,000 parsed objects.
    /// Later re-lists always report what changed.
    public nonisolated let replaysInitialList: Bool
    private var objects: [String: Object] = [:]
    private var packedObjects = PackedBytes()
    /// `namespace|label=value` → keys of the objects carrying that label, so a selector
    /// finds its objects without scanning them all.
    private var labelIndex: LabelIndex
    /// The label keys `labelIndex` covers (nil: every label). A packed cache indexes only the
    /// labels it is selected by: a label most objects share (`managed-by`, `app`) would make
    /// every insert rewrite a list of thousands of keys. A selector on any other label scans.
    public nonisolated let indexedLabels: Set<String>?
    private var subscribers: [UUID: AsyncStream<Change>.Continuation] = [:]
    private var synced = false
    private var syncWaiters: [CheckedContinuation<Void, Never>] = []

    public struct Change: Sendable {
        public var key: String
        public var old: Object?
        public var new: Object?
    }

    public init(
        _ resource: Resource,
        of type: Object.Type,
        client: any ListerWatcher,
        fieldSelector: String? = nil,
        packed: Bool = false,
        replaysInitialList: Bool = true,
        indexedLabels: Set<String>? = nil,
        logger: Logger,
        transform: (@Sendable (Object) -> Object)? = nil
    ) {
        self.indexedLabels = indexedLabels
        self.packed = packed
        self.replaysInitialList = replaysInitialList
        self.resource = resource
        self.fieldSelector = fieldSelector
        self.transform = transform
        self.client = client
        self.logger = logger
        labelIndex = LabelIndex(packed: packed)
    }

    public func get(_ key: String) -> Object? {
        packed ? packedObjects[key].flatMap(Self.unpack) : objects[key]
    }

    /// The keys of every cached object (no object is parsed).
    public func keys() -> [String] {
        packed ? packedObjects.keys : Array(objects.keys)
    }

    public func list() -> [Object] {
        packed ? packedObjects.values.compactMap(Self.unpack) : Array(objects.values)
    }

    public func list(namespace: String) -> [Object] { list().filter { $0.cacheNamespace == namespace } }

    /// Objects of a namespace whose labels include every pair of `matchLabels` (none if empty).
    public func select(namespace: String, matchLabels: [String: String]) -> [Object] {
        if let indexedLabels, !matchLabels.keys.allSatisfy(indexedLabels.contains) {
            return list(namespace: namespace).filter { obj in
                matchLabels.allSatisfy { obj.cacheLabels[$0.key] == $0.value }
            }
        }
        let sets = matchLabels.map { labelIndex.keys(under: "\(namespace)|\($0.key)=\($0.value)") }
        guard var keys = sets.min(by: { $0.count < $1.count }) else { return [] }
        for s in sets { keys.formIntersection(s) }
        return keys.compactMap(get)
    }

    private func indexed(_ obj: Object) -> [(key: String, value: String)] {
        guard let indexedLabels else { return Array(obj.cacheLabels) }
        return obj.cacheLabels.filter { indexedLabels.contains($0.key) }.map { ($0.key, $0.value) }
    }

    private func indexRemove(_ key: String, _ obj: Object) {
        for (k, v) in indexed(obj) { labelIndex.remove(key, under: "\(obj.cacheNamespace)|\(k)=\(v)") }
    }

    private func indexAdd(_ key: String, _ obj: Object) {
        for (k, v) in indexed(obj) { labelIndex.insert(key, under: "\(obj.cacheNamespace)|\(k)=\(v)") }
    }

    /// An object as this cache keeps it: decoded once, then slimmed.
    private func decode(_ json: JSON) -> Object {
        let obj = Object(json)
        return transform?(obj) ?? obj
    }

    /// Stores `obj` (nil: removes it) and returns what was there. `changed` is false when a
    /// packed cache already held exactly this object (its readers only see the cached
    /// fields, so a change to any other field is no change to them), or is asked to remove
    /// one it does not hold.
    private func store(_ key: String, _ obj: Object?) -> (changed: Bool, old: Object?) {
        let bytes = packed ? obj?.json.serialized() : nil
        if packed, let bytes, packedObjects.holds(key, bytes) { return (false, obj) }
        if packed, bytes == nil, !packedObjects.contains(key) { return (false, nil) }
        let old = get(key)
        if let old { indexRemove(key, old) }
        if packed { packedObjects.set(key, bytes) } else { objects[key] = obj }
        if let obj { indexAdd(key, obj) }
        return (true, old)
    }

    static func unpack(_ bytes: ArraySlice<UInt8>) -> Object? { (try? JSON.parse(bytes)).map(Object.init) }

    public var hasSynced: Bool { synced }

    public func waitForSync() async {
        if synced { return }
        await withCheckedContinuation { syncWaiters.append($0) }
    }

    /// Changes from now on; the caller reads `list()` for the state so far.
    public func changes() -> AsyncStream<Change> {
        let (stream, continuation) = AsyncStream<Change>.makeStream()
        let id = UUID()
        subscribers[id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(id) }
        }
        return stream
    }

    private func unsubscribe(_ id: UUID) { subscribers[id] = nil }

    private func emit(_ c: Change) {
        if !synced, !replaysInitialList { return }
        for s in subscribers.values { s.yield(c) }
    }

    private func replace(with items: [JSON]) {
        var fresh: [String: Object] = [:]
        for json in items {
            let obj = decode(json)
            fresh[obj.cacheKey] = obj
        }
        for (k, old) in objects where fresh[k] == nil { emit(Change(key: k, old: old, new: nil)) }
        for (k, new) in fresh where objects[k] != new { emit(Change(key: k, old: objects[k], new: new)) }
        objects = fresh
        labelIndex = LabelIndex(packed: false)
        for (k, obj) in fresh { indexAdd(k, obj) }
        markSynced()
    }

    private func markSynced() {
        guard !synced else { return }
        synced = true
        for w in syncWaiters { w.resume() }
        syncWaiters = []
    }

    /// `replace(with:)` for a packed cache (the only way one is filled), straight from the list's bytes: each item is parsed,
    /// slimmed, packed and indexed on its own. Returns the list's resourceVersion.
    private func replacePacked(with bytes: [UInt8]) throws -> String {
        var fresh = PackedBytes()
        var index = LabelIndex(packed: true)
        let list = try JSON.parseList(bytes) { json in
            let item = decode(json)
            let key = item.cacheKey
            fresh.set(key, item.json.serialized())
            for (k, v) in indexed(item) { index.insert(key, under: "\(item.cacheNamespace)|\(k)=\(v)") }
        }
        if synced || replaysInitialList {
            for k in packedObjects.keys where !fresh.contains(k) { emit(Change(key: k, old: get(k), new: nil)) }
            for k in fresh.keys where !packedObjects.holds(k, fresh[k]!) {
                emit(Change(key: k, old: get(k), new: fresh[k].flatMap(Self.unpack)))
            }
        }
        packedObjects = fresh
        labelIndex = index
        markSynced()
        return list[path: ["metadata", "resourceVersion"]]?.string ?? ""
    }

    private func apply(_ event: KubeClient.Event) {
        let k = event.object.cacheKey
        switch event.type {
        case "ADDED", "MODIFIED":
            let new = decode(event.object)
            let stored = store(k, new)
            if stored.changed { emit(Change(key: k, old: stored.old, new: new)) }
        case "DELETED":
            let old = store(k, nil).old
            emit(Change(key: k, old: old ?? decode(event.object), new: nil))
        default:
            break
        }
    }

    /// Runs until cancelled.
    public func run() async {
        var backoff: Duration = .milliseconds(100)
        while !Task.isCancelled {
            do {
                let rv: String
                if packed {
                    rv = try replacePacked(with: try await client.listBytes(resource, fieldSelector: fieldSelector))
                } else {
                    let (items, listRV) = try await client.list(resource, fieldSelector: fieldSelector)
                    rv = listRV
                    replace(with: items)
                }
                backoff = .milliseconds(100)
                var lastRV = rv
                while !Task.isCancelled {
                    for try await event in client.watch(
                        resource,
                        resourceVersion: lastRV,
                        fieldSelector: fieldSelector,
                        timeoutSeconds: 300
                    ) {
                        if let v = event.object["metadata"]?["resourceVersion"]?.string { lastRV = v }
                        apply(event)
                    }
                }
            } catch {
                if Task.isCancelled { break }
                logger.debug("informer for \(resource.plural) restarts: \(error)")
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
        for s in subscribers.values { s.finish() }
    }
}

/// What a component that rebuilds from several caches of different kinds does with each
/// alike: run it, wait for its first list, and hear that something changed.
public protocol AnyInformer: Sendable {
    func run() async
    func waitForSync() async
    /// Yields to `kick` on every change, until the informer stops.
    func signalChanges(to kick: AsyncStream<Void>.Continuation) async
}

extension Informer: AnyInformer {
    public func signalChanges(to kick: AsyncStream<Void>.Continuation) async {
        for await _ in changes() { kick.yield() }
    }
}

/// Any informer read for its objects' metadata alone, whatever model it caches: what the
/// garbage collector needs of every resource.
public protocol MetadataInformer: AnyInformer {
    nonisolated var resource: Resource { get }
    func metadata(_ key: String) async -> ObjectMeta?
    func allMetadata() async -> [ObjectMeta]
    /// Calls `body` with every change (key, old, new), until the informer stops.
    func forEachMetadataChange(_ body: @Sendable (String, ObjectMeta?, ObjectMeta?) async -> Void) async
}

extension Informer: MetadataInformer {
    public func metadata(_ key: String) -> ObjectMeta? { get(key)?.cacheMetadata }
    public func allMetadata() -> [ObjectMeta] { list().map(\.cacheMetadata) }
    public nonisolated func forEachMetadataChange(
        _ body: @Sendable (String, ObjectMeta?, ObjectMeta?) async -> Void
    ) async {
        for await c in await changes() { await body(c.key, c.old?.cacheMetadata, c.new?.cacheMetadata) }
    }
}

extension Informer where Object == JSON {
    /// A cache of the objects as JSON trees.
    public init(
        _ resource: Resource,
        client: any ListerWatcher,
        fieldSelector: String? = nil,
        packed: Bool = false,
        replaysInitialList: Bool = true,
        indexedLabels: Set<String>? = nil,
        logger: Logger,
        transform: (@Sendable (JSON) -> JSON)? = nil
    ) {
        self.init(
            resource,
            of: JSON.self,
            client: client,
            fieldSelector: fieldSelector,
            packed: packed,
            replaysInitialList: replaysInitialList,
            indexedLabels: indexedLabels,
            logger: logger,
            transform: transform
        )
    }

    public static func key(_ obj: JSON) -> String { obj.cacheKey }
}

/// `namespace|label=value` → the keys of the objects carrying that label, so a selector
/// finds its objects without scanning them all. A packed cache keeps it packed too: each
/// label's keys one after another, a newline between them (object names have none).
struct LabelIndex {
    private var sets: [String: Set<String>] = [:]
    private var packed: PackedBytes?

    init(packed: Bool) { self.packed = packed ? PackedBytes() : nil }

    var count: Int { packed?.count ?? sets.count }

    func keys(under label: String) -> Set<String> {
        guard let packed else { return sets[label] ?? [] }
        guard let bytes = packed[label] else { return [] }
        return Set(bytes.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) })
    }

    mutating func insert(_ key: String, under label: String) {
        guard packed != nil else {
            sets[label, default: []].insert(key)
            return
        }
        var keys = keys(under: label)
        guard keys.insert(key).inserted else { return }
        store(keys, under: label)
    }

    mutating func remove(_ key: String, under label: String) {
        guard packed != nil else {
            sets[label]?.remove(key)
            if sets[label]?.isEmpty == true { sets[label] = nil }
            return
        }
        var keys = keys(under: label)
        guard keys.remove(key) != nil else { return }
        store(keys, under: label)
    }

    private mutating func store(_ keys: Set<String>, under label: String) {
        packed?.set(label, keys.isEmpty ? nil : Array(keys.sorted().joined(separator: "\n").utf8))
    }
}
