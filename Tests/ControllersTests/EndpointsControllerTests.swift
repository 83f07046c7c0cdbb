import Foundation
import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging
import TestSupport
import Testing

@testable import Controllers

/// The Endpoints and EndpointSlice controllers against fake informers and a recording
/// client: no API server.
@Suite struct EndpointsControllerTests {
    static let service: JSON = [
        "metadata": ["name": "quiz", "namespace": "kiada", "uid": "svc-uid", "resourceVersion": "1"],
        "spec": [
            "clusterIP": "10.96.0.20", "selector": ["app": "quiz"],
            "ports": [["name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080]],
        ],
    ]

    static func pod(_ name: String, _ ip: String) -> JSON {
        [
            "metadata": [
                "name": .string(name), "namespace": "kiada", "uid": .string("uid-\(name)"), "labels": ["app": "quiz"],
                "resourceVersion": "1",
            ],
            "spec": ["nodeName": "node-1", "containers": [["name": "c"]]],
            "status": ["phase": "Running", "podIP": .string(ip), "conditions": [["type": "Ready", "status": "True"]]],
        ]
    }

    /// The informer sees the controller's own writes come back (the same resourceVersion it
    /// got); that echo must not cost a reconcile, let alone a write. A change by someone else
    /// must.
    @Test func echoesOfItsOwnWritesDoNotRequeueButForeignChangesDo() async throws {
        let source = FakeListerWatcher()
        source.set(Resources.services, [Self.service])
        source.set(Resources.pods, [Self.pod("quiz-a", "10.244.1.5"), Self.pod("quiz-b", "10.244.1.6")])
        let writer = RecordingWriter()
        let logger = Logger(label: "test")
        let services = Informer(Resources.services, of: Service.self, client: source, logger: logger)
        let pods = Informer(Resources.pods, of: Pod.self, client: source, logger: logger)
        let slices = Informer(Resources.endpointslices, client: source, logger: logger)
        let endpoints = Informer(Resources.endpoints, client: source, logger: logger)
        let controller = EndpointsController(
            client: writer,
            services: services,
            pods: pods,
            slices: slices,
            endpoints: endpoints,
            logger: logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            for informer in [services, pods, slices, endpoints] as [any AnyInformer] {
                group.addTask { await informer.run() }
            }
            group.addTask { await controller.run() }
            defer { group.cancelAll() }

            // One slice and one Endpoints object for the Service's two ready pods.
            #expect(await eventually { await writer.writes.count == 2 })
            let first = await writer.writes
            #expect(Set(first.map { "\($0.verb) \($0.plural)" }) == ["create endpointslices", "create endpoints"])
            let slice = try #require(first.first { $0.plural == "endpointslices" }?.object)
            #expect(slice["endpoints"]?.array?.count == 2)

            // The echoes.
            let addsBefore = await controller.queue.adds
            for w in first {
                source.send(w.plural == "endpoints" ? Resources.endpoints : Resources.endpointslices, "ADDED", w.object)
            }
            #expect(
                await eventually {
                    let slice = await slices.get(Informer.key(slice))
                    let endpoints = await endpoints.get("kiada/quiz")
                    return slice != nil && endpoints != nil
                }
            )
            try await Task.sleep(for: .milliseconds(200))
            #expect(await controller.queue.adds == addsBefore, "an echo of its own write queued the Service again")
            #expect(await writer.writes.count == 2)

            // Someone else empties the slice: the controller puts the endpoints back.
            var foreign = slice
            foreign["endpoints"] = []
            foreign[path: ["metadata", "resourceVersion"]] = "500"
            source.send(Resources.endpointslices, "MODIFIED", foreign)
            #expect(await eventually { await writer.writes.count == 3 })
            let repair = try #require(await writer.writes.last)
            #expect(repair.verb == "update" && repair.plural == "endpointslices")
            #expect(repair.object["endpoints"]?.array?.count == 2)
            await controller.stop()
        }
    }
}
