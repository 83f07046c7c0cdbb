import KubeAPI
import KubeMachinery

/// The per-kind steps of the generic registry's writes, as Kubernetes' REST strategies and
/// storage decorators give them: what an object claims when it is written (committed once
/// it is stored, rolled back if the write fails), how a delete proceeds, and what follows
/// it. Defaults and validation stay in `Resource`'s rules; everything else the registry
/// does is the same for every kind.
protocol StorageStrategy: Sendable {
    /// Before defaulting and validation of an update of the main resource.
    func prepareForUpdate(_ obj: inout JSON, old: JSON)
    /// After validation, before the store write of a create (`old` nil) or an update.
    func begin(_ obj: inout JSON, old: JSON?) async throws(APIError) -> WriteTransaction
    /// How a delete request proceeds for this object.
    func deletion(of obj: JSON, options: DeleteOptions) -> Deletion
    /// After the object left the store.
    func afterDelete(_ obj: JSON) async
    /// Whether an object being deleted goes as soon as its last finalizer does.
    func deletesWhenFinalized(_ obj: JSON) -> Bool
}

/// What a write claimed: kept when the object is stored, given back when it is not.
struct WriteTransaction: Sendable {
    var commit: @Sendable () async -> Void = {}
    var rollback: @Sendable () async -> Void = {}

    static let none = WriteTransaction()
}

enum Deletion: Equatable {
    /// Removed from the store now (unless finalizers hold it).
    case immediate
    /// Marked with a deletionTimestamp this far ahead; whoever runs it removes it (a kubelet).
    case graceful(seconds: Int64)
    /// Marked Terminating; its contents are deleted, then it (namespaces).
    case terminate
}

extension StorageStrategy {
    func prepareForUpdate(_ obj: inout JSON, old: JSON) {}
    func begin(_ obj: inout JSON, old: JSON?) async throws(APIError) -> WriteTransaction { .none }
    func deletion(of obj: JSON, options: DeleteOptions) -> Deletion { .immediate }
    func afterDelete(_ obj: JSON) async {}
    func deletesWhenFinalized(_ obj: JSON) -> Bool { true }
}

/// Every kind without steps of its own.
struct DefaultStrategy: StorageStrategy {}

/// Services claim ClusterIPs and NodePorts (and give back what a type change frees only once
/// the new object is stored); a deleted Service gives back all it held.
struct ServiceStrategy: StorageStrategy {
    let allocator: ServiceAllocator

    func prepareForUpdate(_ obj: inout JSON, old: JSON) { ServiceAllocation.dropTypeDependentFields(&obj, old: old) }

    func begin(_ obj: inout JSON, old: JSON?) async throws(APIError) -> WriteTransaction {
        let txn = try await ServiceAllocation.allocate(&obj, old: old, allocator: allocator)
        let allocator = self.allocator
        return WriteTransaction(
            commit: { await allocator.release(txn.toRelease) },
            rollback: { await allocator.release(txn.reserved) }
        )
    }

    func afterDelete(_ obj: JSON) async { await allocator.release(.init(service: obj)) }
}

/// Pods bound to a node are deleted gracefully: the kubelet stops them and then removes
/// them. Unbound and finished pods go at once.
struct PodStrategy: StorageStrategy {
    func deletion(of obj: JSON, options: DeleteOptions) -> Deletion {
        var grace = options.gracePeriodSeconds ?? obj[path: ["spec", "terminationGracePeriodSeconds"]]?.int ?? 30
        let phase = obj[path: ["status", "phase"]]?.string
        if (obj[path: ["spec", "nodeName"]]?.string ?? "").isEmpty || phase == "Succeeded" || phase == "Failed" {
            grace = 0
        }
        if grace < 0 { grace = 1 }
        return grace > 0 ? .graceful(seconds: grace) : .immediate
    }

    /// A pod waits for its kubelet (a grace period of 0), not only for its finalizers.
    func deletesWhenFinalized(_ obj: JSON) -> Bool { obj[path: ["metadata", "deletionGracePeriodSeconds"]]?.int == 0 }
}

/// Namespaces terminate: their contents go first.
struct NamespaceStrategy: StorageStrategy {
    func deletion(of obj: JSON, options: DeleteOptions) -> Deletion { .terminate }
}
