import KubeAPI
import KubeMachinery

/// Where an informer gets its objects: a list, then a watch from the list's resourceVersion
/// (client-go's `ListerWatcher`). `KubeClient` is the real one; tests feed a fake.
public protocol ListerWatcher: Sendable {
    func list(_ r: Resource, fieldSelector: String?) async throws -> (items: [JSON], resourceVersion: String)
    /// The list's JSON as the server sent it (packed caches parse it item by item).
    func listBytes(_ r: Resource, fieldSelector: String?) async throws -> [UInt8]
    func watch(
        _ r: Resource,
        resourceVersion: String,
        fieldSelector: String?,
        timeoutSeconds: Int
    )
        -> AsyncThrowingStream<KubeClient.Event, any Error>
}

/// The writes controllers make. `KubeClient` is the real one; tests record them.
public protocol ObjectWriter: Sendable {
    func create(_ r: Resource, namespace: String?, _ obj: JSON) async throws -> JSON
    func update(_ r: Resource, namespace: String?, _ obj: JSON, subresource: String?) async throws -> JSON
    func patch(
        _ r: Resource,
        namespace: String?,
        name: String,
        _ patch: JSON,
        type: PatchType,
        subresource: String?
    ) async throws -> JSON
    @discardableResult
    func delete(
        _ r: Resource,
        namespace: String?,
        name: String,
        gracePeriodSeconds: Int?,
        propagationPolicy: String?,
        preconditionUID: String?
    ) async throws -> JSON
}

extension ObjectWriter {
    public func update(_ r: Resource, namespace: String?, _ obj: JSON) async throws -> JSON {
        try await update(r, namespace: namespace, obj, subresource: nil)
    }

    public func patch(
        _ r: Resource,
        namespace: String?,
        name: String,
        _ patch: JSON,
        type: PatchType = .merge
    ) async throws -> JSON {
        try await self.patch(r, namespace: namespace, name: name, patch, type: type, subresource: nil)
    }

    @discardableResult
    public func delete(_ r: Resource, namespace: String?, name: String) async throws -> JSON {
        try await delete(
            r,
            namespace: namespace,
            name: name,
            gracePeriodSeconds: nil,
            propagationPolicy: nil,
            preconditionUID: nil
        )
    }
}

extension KubeClient: ListerWatcher, ObjectWriter {
    public func list(_ r: Resource, fieldSelector: String?) async throws -> (items: [JSON], resourceVersion: String) {
        try await list(r, namespace: nil, labelSelector: nil, fieldSelector: fieldSelector)
    }

    public func listBytes(_ r: Resource, fieldSelector: String?) async throws -> [UInt8] {
        try await listBytes(r, namespace: nil, fieldSelector: fieldSelector)
    }

    public func watch(
        _ r: Resource,
        resourceVersion: String,
        fieldSelector: String?,
        timeoutSeconds: Int
    )
        -> AsyncThrowingStream<KubeClient.Event, any Error>
    {
        watch(
            r,
            namespace: nil,
            resourceVersion: resourceVersion,
            labelSelector: nil,
            fieldSelector: fieldSelector,
            timeoutSeconds: timeoutSeconds,
            bookmarks: true
        )
    }
}
