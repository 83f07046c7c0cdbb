import APIServer
import Testing

@testable import KubeAPI
@testable import KubeMachinery

let svcPath = "/api/v1/namespaces/kiada/services"

func service(_ name: String, _ spec: String = #"{"selector":{"app":"kiada"},"ports":[{"port":80}]}"#) -> String {
    #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"\#(name)"},"spec":\#(spec)}"#
}

@Suite struct APIServerTests {
    @Test func discoveryAndAuthentication() async throws {
        let api = try await TestAPI()
        try await api.run { c in
            #expect(try await c.send(.get, "/version", token: nil).code == 200)
            let denied = try await c.send(.get, "/api/v1/namespaces", token: nil)
            #expect(denied.code == 401)
            #expect(denied.json["reason"] == "Unauthorized" && denied.json["kind"] == "Status")
            #expect(try await c.send(.get, "/api/v1/namespaces", token: "wrong").code == 401)
            let core = try await c.send(.get, "/api/v1")
            let names = (core.json["resources"]?.array ?? []).compactMap { $0["name"]?.string }
            #expect(names.contains("services") && names.contains("services/status") && names.contains("pods/log"))
            let groups = try await c.send(.get, "/apis")
            #expect(
                groups.json["groups"]?.array?.compactMap { $0["name"]?.string } == [
                    "apps", "batch", "discovery.k8s.io", "coordination.k8s.io", "rbac.authorization.k8s.io",
                    "authentication.k8s.io", "authorization.k8s.io", "policy", "storage.k8s.io", "certificates.k8s.io",
                ]
            )
            let apps = try await c.send(.get, "/apis/apps/v1")
            #expect(apps.json["resources"]?.array?.contains { $0["name"] == "deployments/scale" } == true)
            #expect(try await c.send(.get, "/apis/nope/v1").code == 404)
            #expect(try await c.send(.get, "/api/v1/widgets").code == 404)
            #expect(try await c.send(.get, "/openapi/v3").json["paths"]?["apis/apps/v1"] != nil)
        }
    }

    @Test func serviceDefaultsAndAllocation() async throws {
        let api = try await TestAPI()
        try await api.run { c in
            let r = try await c.send(.post, svcPath, service("quiz"))
            #expect(r.code == 201)
            let spec = try #require(r.json["spec"])
            #expect(
                spec["type"] == "ClusterIP" && spec["sessionAffinity"] == "None"
                    && spec["internalTrafficPolicy"] == "Cluster"
            )
            #expect(spec["ports"]?[0]?["protocol"] == "TCP" && spec["ports"]?[0]?["targetPort"] == 80)
            let ip = try #require(spec["clusterIP"]?.string)
            #expect(IPv4Network("10.96.0.0/24")!.contains(IPv4Address(ip)!))
            #expect(
                spec["clusterIPs"] == [.string(ip)] && spec["ipFamilies"] == ["IPv4"]
                    && spec["ipFamilyPolicy"] == "SingleStack"
            )
            #expect(spec["externalTrafficPolicy"] == nil)
            #expect(r.json["metadata"]?["uid"]?.string?.count == 36)
            #expect(r.json["metadata"]?["resourceVersion"]?.string != nil)

            let taken = try await c.send(
                .post,
                svcPath,
                service("second", #"{"clusterIP":"\#(ip)","ports":[{"port":80}]}"#)
            )
            #expect(taken.code == 422)
            #expect(
                taken.json["message"]
                    == .string(
                        #"Service "second" is invalid: spec.clusterIPs: Invalid value: []string{"\#(ip)"}: failed to allocate IP \#(ip): provided IP is already allocated"#
                    )
            )
            let outside = try await c.send(
                .post,
                svcPath,
                service("third", #"{"clusterIP":"10.0.0.5","ports":[{"port":80}]}"#)
            )
            #expect(
                outside.json["message"]
                    == #"Service "third" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.5"}: failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/24"#
            )
            #expect(try await c.send(.get, "\(svcPath)/third").code == 404)

            let np = try await c.send(
                .post,
                svcPath,
                service(
                    "np",
                    #"{"type":"NodePort","ports":[{"name":"a","port":53,"protocol":"UDP"},{"name":"b","port":53,"protocol":"TCP"}]}"#
                )
            )
            #expect(np.code == 201)
            let ports = try #require(np.json["spec"]?["ports"]?.array)
            #expect(ports[0]["nodePort"] != nil && ports[0]["nodePort"] == ports[1]["nodePort"])
            #expect(np.json["spec"]?["externalTrafficPolicy"] == "Cluster")

            let headless = try await c.send(
                .post,
                svcPath,
                service("h", #"{"clusterIP":"None","selector":{"app":"x"}}"#)
            )
            #expect(headless.code == 201 && headless.json["spec"]?["clusterIPs"] == ["None"])

            let ext = try await c.send(
                .post,
                svcPath,
                service("ext", #"{"type":"ExternalName","externalName":"example.com"}"#)
            )
            #expect(
                ext.code == 201 && ext.json["spec"]?["clusterIP"] == nil
                    && ext.json["spec"]?["internalTrafficPolicy"] == nil
            )

            // Deleting frees the address: it can be requested again.
            #expect(try await c.send(.delete, "\(svcPath)/quiz").code == 200)
            #expect(
                try await c.send(.post, svcPath, service("again", #"{"clusterIP":"\#(ip)","ports":[{"port":80}]}"#))
                    .code == 201
            )
        }
    }

    @Test func validationReportsEveryErrorAndStoresNothing() async throws {
        let api = try await TestAPI()
        try await api.run { c in
            let bad = try await c.send(
                .post,
                svcPath,
                service("Bad_Name", #"{"type":"Weird","ports":[{"port":0},{"port":70000,"name":"x"}]}"#)
            )
            #expect(bad.code == 422)
            #expect(bad.json["reason"] == "Invalid")
            let fields = (bad.json["details"]?["causes"]?.array ?? []).compactMap { $0["field"]?.string }
            #expect(
                fields.contains("metadata.name") && fields.contains("spec.type")
                    && fields.contains("spec.ports[0].name")
                    && fields.contains("spec.ports[0].port") && fields.contains("spec.ports[1].port")
            )
            let message = try #require(bad.json["message"]?.string)
            #expect(message.hasPrefix(#"Service "Bad_Name" is invalid: ["#))
            #expect(
                message.contains(
                    #"spec.type: Unsupported value: "Weird": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort""#
                )
            )
            #expect(message.contains("spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"))
            let noPorts = try await c.send(.post, svcPath, service("noports", #"{"selector":{"a":"b"}}"#))
            #expect(noPorts.json["message"] == #"Service "noports" is invalid: spec.ports: Required value"#)
            let list = try await c.send(.get, svcPath)
            #expect(list.json["items"]?.array?.isEmpty == true)
        }
    }

    @Test func badInputGetsStatusErrors() async throws {
        let api = try await TestAPI()
        try await api.run { c in
            let malformed = try await c.send(.post, svcPath, "{not json")
            #expect(malformed.code == 400 && malformed.json["reason"] == "BadRequest")
            let wrongKind = try await c.send(
                .post,
                svcPath,
                #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"}}"#
            )
            #expect(wrongKind.code == 400)
            let wrongVersion = try await c.send(
                .post,
                svcPath,
                #"{"apiVersion":"apps/v1","kind":"Service","metadata":{"name":"x"}}"#
            )
            #expect(
                wrongVersion.json["message"]
                    == "the API version in the data (apps/v1) does not match the expected API version (v1)"
            )
            let noKind = try await c.send(.post, svcPath, #"{"metadata":{"name":"x"},"spec":{"ports":[{"port":1}]}}"#)
            #expect(noKind.code == 201 && noKind.json["kind"] == "Service")
            let huge = try await c.send(
                .post,
                svcPath,
                service("big", #"{"ports":[{"port":80}],"x":""# + String(repeating: "a", count: 70_000) + "\"}")
            )
            #expect(huge.code == 413 && huge.json["reason"] == "RequestEntityTooLarge")
            let media = try await c.send(.post, svcPath, service("m"), contentType: "application/xml")
            #expect(media.code == 415)
            let otherNS = try await c.send(
                .post,
                svcPath,
                #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"x","namespace":"default"},"spec":{"ports":[{"port":1}]}}"#
            )
            #expect(otherNS.code == 400)
            let missingNS = try await c.send(.post, "/api/v1/namespaces/nope/services", service("x"))
            #expect(missingNS.code == 404 && missingNS.json["message"] == #"namespaces "nope" not found"#)
            let yaml = try await c.send(
                .post,
                svcPath,
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: y\nspec:\n  ports:\n  - port: 81\n",
                contentType: "application/yaml"
            )
            #expect(yaml.code == 201)
            let badYAML = try await c.send(.post, svcPath, "a: [b", contentType: "application/yaml")
            #expect(badYAML.code == 400)
            #expect(try await c.send(.get, svcPath).json["items"]?.array?.count == 2)
            #expect(try await c.send(.get, "\(svcPath)?labelSelector=a%20in%20(").code == 400)
        }
    }

    /// 10,001 operations in one JSON patch: refused whole, before any is applied.
    @Test func jsonPatchOperationsAreBounded() async throws {
        let api = try await TestAPI()
        try await api.run(maxBodyBytes: 3 * 1024 * 1024) { c in
            #expect(try await c.send(.post, svcPath, service("quiz")).code == 201)
            let ops = Array(repeating: #"{"op":"test","path":"/kind","value":"Service"}"#, count: 10_001)
            let tooMany = try await c.send(
                .patch,
                "\(svcPath)/quiz",
                "[" + ops.joined(separator: ",") + "]",
                contentType: "application/json-patch+json"
            )
            #expect(tooMany.code == 413)
            #expect(tooMany.json["message"] == "The allowed maximum operations in a JSON patch is 10000, got 10001")
        }
    }

    /// Query parameters as upstream checks them, each with its status and message.
    @Test func listQueriesAreCheckedAsUpstream() async throws {
        let api = try await TestAPI()
        try await api.run { c in
            let label = try await c.send(.get, "\(svcPath)?fieldSelector=spec.type%3DClusterIP")
            #expect(label.code == 400 && label.json["message"] == "field label not supported: spec.type")
            #expect(try await c.send(.get, "\(svcPath)?fieldSelector=metadata.name%3Dx").code == 200)
            #expect(
                try await c.send(.get, "/api/v1/pods?fieldSelector=spec.nodeName%3Dn,status.phase!%3DFailed").code
                    == 200
            )
            let limit = try await c.send(.get, "\(svcPath)?limit=abc")
            #expect(limit.code == 400 && limit.json["message"] == #"strconv.ParseInt: parsing "abc": invalid syntax"#)
            let timeout = try await c.send(.get, "\(svcPath)?watch=true&timeoutSeconds=soon")
            #expect(timeout.code == 400)
            let match = try await c.send(.get, "\(svcPath)?resourceVersionMatch=Exact")
            #expect(match.code == 422)
            #expect(
                match.json["message"]
                    == #"ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"#
            )
            let bogus = try await c.send(.get, "\(svcPath)?resourceVersionMatch=Newest&resourceVersion=1")
            #expect(bogus.code == 422)
            #expect(
                try await c.send(.get, "\(svcPath)?resourceVersionMatch=NotOlderThan&resourceVersion=1").code == 200
            )
        }
    }

    @Test func optimisticConcurrencyAndNoOpUpdates() async throws {
        let api = try await TestAPI()
        try await api.run { c in
            let created = try await c.send(.post, svcPath, service("quiz"))
            var obj = created.json
            let rv = try #require(obj.resourceVersion.isEmpty ? nil : obj.resourceVersion)
            let same = try await c.send(.put, "\(svcPath)/quiz", obj.serializedString())
            #expect(same.code == 200 && same.json.resourceVersion == rv)
            obj[path: ["metadata", "labels"]] = ["x": "1"]
            let updated = try await c.send(.put, "\(svcPath)/quiz", obj.serializedString())
            #expect(updated.code == 200 && updated.json.resourceVersion != rv)
            obj[path: ["metadata", "labels"]] = ["x": "2"]
            let stale = try await c.send(.put, "\(svcPath)/quiz", obj.serializedString())
            #expect(stale.code == 409 && stale.json["reason"] == "Conflict")
            #expect(
                stale.json["message"]
                    == #"Operation cannot be fulfilled on services "quiz": the object has been modified; please apply your changes to the latest version and try again"#
            )
            // Any address but the allocated one (a /24 range: the allocator may have picked .77).
            let other = created.json[path: ["spec", "clusterIP"]]?.string == "10.96.0.77" ? "10.96.0.78" : "10.96.0.77"
            let changedIP = try await c.send(
                .patch,
                "\(svcPath)/quiz",
                #"{"spec":{"clusterIP":"\#(other)","clusterIPs":["\#(other)"]}}"#,
                contentType: "application/merge-patch+json"
            )
            #expect(changedIP.code == 422)
        }
    }

    @Test func patchesAndTypeChanges() async throws {
        let api = try await TestAPI()
        try await api.run { c in
            _ = try await c.send(.post, svcPath, service("quiz"))
            let np = try await c.send(
                .patch,
                "\(svcPath)/quiz",
                #"{"spec":{"type":"NodePort"}}"#,
                contentType: "application/strategic-merge-patch+json"
            )
            #expect(np.code == 200)
            let nodePort = try #require(np.json["spec"]?["ports"]?[0]?["nodePort"]?.int)
            let back = try await c.send(
                .patch,
                "\(svcPath)/quiz",
                #"[{"op":"replace","path":"/spec/type","value":"ClusterIP"}]"#,
                contentType: "application/json-patch+json"
            )
            #expect(back.code == 200 && back.json["spec"]?["ports"]?[0]?["nodePort"] == nil)
            #expect(back.json["spec"]?["externalTrafficPolicy"] == nil)
            let ext = try await c.send(
                .patch,
                "\(svcPath)/quiz",
                #"{"spec":{"type":"ExternalName","externalName":"db.example.com","selector":null,"ports":null}}"#,
                contentType: "application/merge-patch+json"
            )
            #expect(ext.code == 200 && ext.json["spec"]?["clusterIP"] == nil)
            // The node port and the address are free again.
            let reuse = try await c.send(
                .post,
                svcPath,
                service("np2", #"{"type":"NodePort","ports":[{"port":80,"nodePort":\#(nodePort)}]}"#)
            )
            #expect(reuse.code == 201)
            let clash = try await c.send(
                .post,
                svcPath,
                service("np3", #"{"type":"NodePort","ports":[{"port":80,"nodePort":\#(nodePort)}]}"#)
            )
            #expect(
                clash.json["message"]
                    == .string(
                        #"Service "np3" is invalid: spec.ports[0].nodePort: Invalid value: \#(nodePort): provided port is already allocated"#
                    )
            )
            let range = try await c.send(
                .post,
                svcPath,
                service("np4", #"{"type":"NodePort","ports":[{"port":80,"nodePort":80}]}"#)
            )
            #expect(
                range.json["message"]
                    == #"Service "np4" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-30009"#
            )
            let badPatch = try await c.send(
                .patch,
                "\(svcPath)/np2",
                "[{}]",
                contentType: "application/json-patch+json"
            )
            #expect(badPatch.code == 400)
        }
    }

    @Test func statusSubresourceOnlyChangesStatus() async throws {
        let api = try await TestAPI()
        try await api.run { c in
            _ = try await c.send(.post, svcPath, service("lb", #"{"type":"LoadBalancer","ports":[{"port":80}]}"#))
            let st = try await c.send(
                .patch,
                "\(svcPath)/lb/status",
                #"{"status":{"loadBalancer":{"ingress":[{"ip":"172.30.0.200"}]}},"spec":{"type":"ClusterIP"}}"#,
                contentType: "application/merge-patch+json"
            )
            #expect(st.code == 200 && st.json["spec"]?["type"] == "LoadBalancer")
            #expect(st.json["status"]?["loadBalancer"]?["ingress"]?[0]?["ip"] == "172.30.0.200")
            let main = try await c.send(
                .patch,
                "\(svcPath)/lb",
                #"{"status":{"loadBalancer":{}}}"#,
                contentType: "application/merge-patch+json"
            )
            #expect(main.json["status"]?["loadBalancer"]?["ingress"]?[0]?["ip"] == "172.30.0.200")
            let table = try await c.send(
                .get,
                svcPath,
                accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
            )
            #expect(table.json["kind"] == "Table")
            #expect(
                table.json["columnDefinitions"]?.array?.compactMap { $0["name"]?.string } == [
                    "Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector",
                ]
            )
            let cells = try #require(table.json["rows"]?[0]?["cells"]?.array)
            #expect(cells[0] == "lb" && cells[1] == "LoadBalancer" && cells[3] == "172.30.0.200")
            #expect(cells[4].string?.hasPrefix("80:") == true && cells[6] == "<none>")
        }
    }

    @Test func podGracefulDeletionAndFinalizers() async throws {
        let api = try await TestAPI()
        let pods = "/api/v1/namespaces/kiada/pods"
        try await api.run { c in
            let pod =
                #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","finalizers":["example.com/hold"]},"spec":{"nodeName":"node-1","containers":[{"name":"c","image":"agnhost"}]}}"#
            let created = try await c.send(.post, pods, pod)
            #expect(
                created.code == 201 && created.json["spec"]?["dnsPolicy"] == "ClusterFirst"
                    && created.json["status"]?["phase"] == "Pending"
            )
            let deleting = try await c.send(.delete, "\(pods)/p")
            #expect(deleting.code == 200 && deleting.json.deletionTimestamp != nil)
            #expect(deleting.json["metadata"]?["deletionGracePeriodSeconds"] == 30)
            #expect(try await c.send(.get, "\(pods)/p").code == 200)
            let addFinalizer = try await c.send(
                .patch,
                "\(pods)/p",
                #"{"metadata":{"finalizers":["example.com/hold","more"]}}"#,
                contentType: "application/merge-patch+json"
            )
            #expect(addFinalizer.code == 422)
            _ = try await c.send(
                .patch,
                "\(pods)/p",
                #"{"metadata":{"finalizers":null}}"#,
                contentType: "application/merge-patch+json"
            )
            #expect(try await c.send(.get, "\(pods)/p").code == 200)  // still waits for its node
            #expect(try await c.send(.delete, "\(pods)/p?gracePeriodSeconds=0").code == 200)
            #expect(try await c.send(.get, "\(pods)/p").code == 404)
        }
    }

    @Test func deleteCollectionWithSelector() async throws {
        let api = try await TestAPI()
        try await api.run { c in
            for (n, tier) in [("a", "web"), ("b", "web"), ("c", "db")] {
                _ = try await c.send(
                    .post,
                    svcPath,
                    #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"\#(n)","labels":{"tier":"\#(tier)"}},"spec":{"ports":[{"port":80}]}}"#
                )
            }
            #expect(try await c.send(.delete, "\(svcPath)?labelSelector=tier%3Dweb").code == 200)
            #expect(try await c.send(.get, svcPath).json["items"]?.array?.map(\.name) == ["c"])
        }
    }

    @Test func scaleSubresource() async throws {
        let api = try await TestAPI()
        let path = "/apis/apps/v1/namespaces/kiada/deployments"
        try await api.run { c in
            let d =
                #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"kiada"},"spec":{"selector":{"matchLabels":{"app":"kiada"}},"template":{"metadata":{"labels":{"app":"kiada"}},"spec":{"containers":[{"name":"c","image":"agnhost"}]}}}}"#
            let created = try await c.send(.post, path, d)
            #expect(
                created.code == 201 && created.json["spec"]?["replicas"] == 1
                    && created.json["metadata"]?["generation"] == 1
            )
            let scale = try await c.send(
                .patch,
                "\(path)/kiada/scale",
                #"{"spec":{"replicas":3}}"#,
                contentType: "application/merge-patch+json"
            )
            #expect(
                scale.json["kind"] == "Scale" && scale.json["spec"]?["replicas"] == 3
                    && scale.json["status"]?["selector"] == "app=kiada"
            )
            let after = try await c.send(.get, "\(path)/kiada")
            #expect(after.json["spec"]?["replicas"] == 3 && after.json["metadata"]?["generation"] == 2)
            let mismatch = try await c.send(
                .post,
                path,
                d.replacingOccurrences(of: #""labels":{"app":"kiada"}"#, with: #""labels":{"app":"other"}"#)
                    .replacingOccurrences(of: #""name":"kiada""#, with: #""name":"x""#)
            )
            #expect(mismatch.code == 422)
        }
    }

    @Test func protobufBodiesAreDecoded() async throws {
        let api = try await TestAPI()
        try await api.run { c in
            // A Service as kubectl's typed client encodes it: magic, runtime.Unknown{typeMeta, raw}.
            var meta = ProtoWriter()
            meta.string(1, "pb")
            meta.map(11, "app", "kiada")
            var port = ProtoWriter()
            port.string(1, "http")
            port.string(2, "TCP")
            port.varint(3, 80)
            var target = ProtoWriter()
            target.varint(1, 0)
            target.varint(2, 8080)
            port.message(4, target)
            var spec = ProtoWriter()
            spec.message(1, port)
            spec.string(4, "ClusterIP")
            spec.string(3, "")
            var svc = ProtoWriter()
            svc.message(1, meta)
            svc.message(2, spec)
            var typeMeta = ProtoWriter()
            typeMeta.string(1, "v1")
            typeMeta.string(2, "Service")
            var unknown = ProtoWriter()
            unknown.message(1, typeMeta)
            unknown.bytes(2, svc.out)
            let r = try await c.send(
                .post,
                svcPath,
                bytes: [0x6B, 0x38, 0x73, 0x00] + unknown.out,
                contentType: "application/vnd.kubernetes.protobuf"
            )
            #expect(r.code == 201)
            #expect(r.json["metadata"]?["labels"] == ["app": "kiada"])
            #expect(
                r.json["spec"]?["ports"]?[0]?["targetPort"] == 8080 && r.json["spec"]?["ports"]?[0]?["name"] == "http"
            )
            let garbage = try await c.send(
                .post,
                svcPath,
                bytes: [0x6B, 0x38, 0x73, 0x00, 0x0A, 0xFF],
                contentType: "application/vnd.kubernetes.protobuf"
            )
            #expect(garbage.code == 400)
        }
    }
}

/// Builds protobuf bytes for tests.
struct ProtoWriter {
    var out: [UInt8] = []
    mutating func rawVarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
    mutating func varint(_ field: Int, _ v: UInt64) {
        rawVarint(UInt64(field << 3))
        rawVarint(v)
    }
    mutating func bytes(_ field: Int, _ b: [UInt8]) {
        rawVarint(UInt64(field << 3 | 2))
        rawVarint(UInt64(b.count))
        out += b
    }
    mutating func string(_ field: Int, _ s: String) { bytes(field, Array(s.utf8)) }
    mutating func message(_ field: Int, _ m: ProtoWriter) { bytes(field, m.out) }
    mutating func map(_ field: Int, _ k: String, _ v: String) {
        var e = ProtoWriter()
        e.string(1, k)
        e.string(2, v)
        message(field, e)
    }
}
