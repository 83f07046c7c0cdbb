import Hummingbird
import KubeAPI
import KubeMachinery

/// Subresources served by other components (pod logs and exec come from node agents),
/// and extra credentials (bootstrap tokens) — plugged in by whoever assembles the server.
public struct APIExtensions: Sendable {
    public typealias SubresourceHandler =
        @Sendable (Request, Resource, String?, String, String, [String: String], Registry) async throws -> Response

    var subresources: [String: SubresourceHandler] = [:]
    var tokenCheck: (@Sendable (String) async -> UserInfo?)?

    public init() {}

    public mutating func addSubresource(_ plural: String, _ sub: String, _ handler: @escaping SubresourceHandler) {
        subresources["\(plural)/\(sub)"] = handler
    }

    public mutating func setTokenCheck(_ check: @escaping @Sendable (String) async -> UserInfo?) { tokenCheck = check }

    func handlesSubresource(_ r: Resource, _ sub: String) -> Bool { subresources["\(r.plural)/\(sub)"] != nil }

    func handle(
        _ request: Request,
        r: Resource,
        namespace: String?,
        name: String,
        subresource: String,
        query: Query,
        registry: Registry
    ) async throws -> Response {
        try await subresources["\(r.plural)/\(subresource)"]!(
            request,
            r,
            namespace,
            name,
            subresource,
            query.values,
            registry
        )
    }
}
