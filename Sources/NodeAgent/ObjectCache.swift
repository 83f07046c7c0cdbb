import KubeAPI
import KubeClient
import KubeMachinery

/// The ConfigMaps and Secrets a node's pods read for env and volumes, each fetched at most
/// once per `maxAge`: every pod mounts `kube-root-ca.crt` and re-reads its volumes'
/// objects every two seconds, and a hundred pods should not ask the API a hundred times.
actor ObjectCache {
    private struct Entry {
        var object: JSON?
        var fetched: ContinuousClock.Instant
    }

    let client: KubeClient
    let maxAge: Duration
    private var entries: [String: Entry] = [:]

    init(client: KubeClient, maxAge: Duration = .seconds(1)) {
        self.client = client
        self.maxAge = maxAge
    }

    /// The object, or nil when it does not exist (or the API did not answer).
    func get(_ r: Resource, namespace: String, name: String) async -> JSON? {
        let key = "\(r.plural)/\(namespace)/\(name)"
        let now = ContinuousClock.now
        if let e = entries[key], now - e.fetched < maxAge { return e.object }
        let object = try? await client.getIfExists(r, namespace: namespace, name: name)
        entries[key] = Entry(object: object, fetched: ContinuousClock.now)
        if entries.count > 4096 { entries = entries.filter { ContinuousClock.now - $0.value.fetched < maxAge } }
        return object
    }
}
