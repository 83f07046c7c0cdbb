import APIServer
import KubeStore
import Testing

@testable import KubeAPI
@testable import KubeMachinery

@Suite struct WatchTests {
    func svc(_ name: String, labels: JSON = .emptyObject) -> JSON {
        [
            "apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name), "labels": labels],
            "spec": ["ports": [["port": 80]]],
        ]
    }

    func next(_ it: inout AsyncStream<WatchEvent>.Iterator) async -> WatchEvent? { await it.next() }

    @Test func initialEventsThenChangesWithSelectorTransitions() async throws {
        let api = try await TestAPI()
        let reg = api.registry
        let services = Resources.services
        _ = try await reg.create(services, namespace: "kiada", body: svc("a", labels: ["tier": "web"]))
        _ = try await reg.create(services, namespace: "kiada", body: svc("b"))
        var options = Registry.WatchOptions()
        options.list.labelSelector = try LabelSelector.parse("tier=web")
        var it = try await reg.watch(services, namespace: "kiada", options: options).makeAsyncIterator()
        let first = await next(&it)
        #expect(first?.type == "ADDED" && first?.object.name == "a")
        _ = try await reg.patch(
            services,
            namespace: "kiada",
            name: "b",
            type: .merge,
            patch: ["metadata": ["labels": ["tier": "web"]]]
        )
        let entered = await next(&it)
        #expect(entered?.type == "ADDED" && entered?.object.name == "b")
        _ = try await reg.patch(
            services,
            namespace: "kiada",
            name: "a",
            type: .merge,
            patch: ["metadata": ["labels": ["tier": "db"]]]
        )
        let left = await next(&it)
        #expect(left?.type == "DELETED" && left?.object.name == "a")
        _ = try await reg.patch(
            services,
            namespace: "kiada",
            name: "b",
            type: .merge,
            patch: ["metadata": ["annotations": ["x": "y"]]]
        )
        let modified = await next(&it)
        #expect(modified?.type == "MODIFIED" && modified?.object.annotations["x"] == "y")
        _ = try await reg.delete(services, namespace: "kiada", name: "b")
        let deleted = await next(&it)
        #expect(deleted?.type == "DELETED" && deleted?.object.name == "b")
    }

    @Test func resumesFromResourceVersionWithoutLossOrDuplicates() async throws {
        let api = try await TestAPI()
        let reg = api.registry
        let a = try await reg.create(Resources.services, namespace: "kiada", body: svc("a"))
        _ = try await reg.create(Resources.services, namespace: "kiada", body: svc("b"))
        var options = Registry.WatchOptions()
        options.resourceVersion = a.resourceVersion
        var it = try await reg.watch(Resources.services, namespace: "kiada", options: options).makeAsyncIterator()
        _ = try await reg.create(Resources.services, namespace: "kiada", body: svc("c"))
        let e1 = await next(&it), e2 = await next(&it)
        #expect(e1?.object.name == "b" && e2?.object.name == "c")
        #expect(Int(e1!.object.resourceVersion)! < Int(e2!.object.resourceVersion)!)
    }

    @Test func expiredResourceVersionGivesGone() async throws {
        let api = try await TestAPI()
        let reg = api.registry
        for n in ["a", "b", "c"] { _ = try await reg.create(Resources.services, namespace: "kiada", body: svc(n)) }
        try await reg.store.compact(through: try await reg.store.currentRevision())
        var options = Registry.WatchOptions()
        options.resourceVersion = "1"
        var it = try await reg.watch(Resources.services, namespace: "kiada", options: options).makeAsyncIterator()
        let e = await next(&it)
        #expect(e?.type == "ERROR" && e?.object["code"] == 410 && e?.object["reason"] == "Expired")
    }

    @Test func bookmarksAndTimeout() async throws {
        let api = try await TestAPI()
        var options = Registry.WatchOptions()
        options.resourceVersion = String(try await api.registry.store.currentRevision())
        options.allowBookmarks = true
        options.bookmarkInterval = .milliseconds(20)
        options.timeout = .milliseconds(1500)  // room for a loaded machine: the test suite runs in parallel
        var count = 0
        for await e in try await api.registry.watch(Resources.services, namespace: "kiada", options: options) {
            #expect(e.type == "BOOKMARK" && e.object["metadata"]?["resourceVersion"] != nil)
            count += 1
        }
        #expect(count >= 2)  // and the stream ended by itself at the timeout
    }
}
