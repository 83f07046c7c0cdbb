import Testing

@testable import KubeAPI
@testable import KubeMachinery

@Suite struct PatchTests {
    func j(_ s: String) -> JSON { try! JSON.parse(s) }

    @Test func mergePatch() {
        let target = j(#"{"a":1,"b":{"c":2,"d":3},"l":[1,2]}"#)
        let out = Patch.mergePatch(j(#"{"a":null,"b":{"c":9},"l":[3],"n":"x"}"#), to: target)
        #expect(out == j(#"{"b":{"c":9,"d":3},"l":[3],"n":"x"}"#))
    }

    @Test func jsonPatchOperations() throws {
        let target = j(#"{"a":[1,2],"b":{"c":"x"}}"#)
        let ops = j(
            #"[{"op":"add","path":"/a/1","value":9},{"op":"add","path":"/a/-","value":7},{"op":"replace","path":"/b/c","value":"y"},{"op":"copy","from":"/b/c","path":"/d"},{"op":"move","from":"/d","path":"/e"},{"op":"remove","path":"/a/0"},{"op":"test","path":"/e","value":"y"},{"op":"add","path":"/k~1v","value":1}]"#
        )
        #expect(try Patch.jsonPatch(ops, to: target) == j(#"{"a":[9,2,7],"b":{"c":"y"},"e":"y","k/v":1}"#))
    }

    @Test func jsonPatchFailures() {
        let target = j(#"{"a":1}"#)
        #expect(throws: PatchError.self) {
            try Patch.jsonPatch(j(#"[{"op":"test","path":"/a","value":2}]"#), to: target)
        }
        #expect(throws: PatchError.self) { try Patch.jsonPatch(j(#"[{"op":"remove","path":"/zz"}]"#), to: target) }
        #expect(throws: PatchError.self) {
            try Patch.jsonPatch(j(#"[{"op":"replace","path":"/zz","value":1}]"#), to: target)
        }
        #expect(throws: PatchError.self) { try Patch.jsonPatch(j(#"{"op":"add"}"#), to: target) }
        #expect(throws: PatchError.self) { try Patch.jsonPatch(j(#"[{"op":"frobnicate","path":"/a"}]"#), to: target) }
    }

    @Test func strategicMergeByKey() throws {
        let pod = j(
            #"{"spec":{"containers":[{"name":"a","image":"x","env":[{"name":"E1","value":"1"}]},{"name":"b","image":"y"}]}}"#
        )
        let patch = j(
            #"{"spec":{"containers":[{"name":"a","image":"x2","env":[{"name":"E2","value":"2"}]},{"name":"b","$patch":"delete"},{"name":"c","image":"z"}]}}"#
        )
        let out = try Patch.strategicMerge(patch, to: pod, path: [])
        #expect(
            out
                == j(
                    #"{"spec":{"containers":[{"name":"a","image":"x2","env":[{"name":"E1","value":"1"},{"name":"E2","value":"2"}]},{"name":"c","image":"z"}]}}"#
                )
        )
    }

    @Test func strategicMergeServicePortsAndDirectives() throws {
        let svc = j(
            #"{"metadata":{"finalizers":["a"]},"spec":{"ports":[{"port":80,"name":"http"},{"port":443,"name":"https"}],"selector":{"app":"x","old":"y"}}}"#
        )
        let patch = j(
            #"{"metadata":{"finalizers":["b"]},"spec":{"ports":[{"port":80,"targetPort":8080}],"selector":{"$patch":"replace","app":"z"},"$setElementOrder/ports":[{"port":80}]}}"#
        )
        let out = try Patch.strategicMerge(patch, to: svc, path: [])
        #expect(
            out
                == j(
                    #"{"metadata":{"finalizers":["a","b"]},"spec":{"ports":[{"port":80,"name":"http","targetPort":8080},{"port":443,"name":"https"}],"selector":{"app":"z"}}}"#
                )
        )
        let del = try Patch.strategicMerge(
            j(#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}}"#),
            to: out,
            path: []
        )
        #expect(del["metadata"]?["finalizers"] == ["b"])
        let retain = try Patch.strategicMerge(
            j(#"{"spec":{"$retainKeys":["selector"],"selector":{"app":"q"}}}"#),
            to: out,
            path: []
        )
        #expect(retain["spec"] == j(#"{"selector":{"app":"q"}}"#))
    }

    @Test func listsWithoutMergeKeyAreReplaced() throws {
        let out = try Patch.strategicMerge(
            j(#"{"spec":{"tolerations":[{"key":"b"}]}}"#),
            to: j(#"{"spec":{"tolerations":[{"key":"a"}]}}"#),
            path: []
        )
        #expect(out == j(#"{"spec":{"tolerations":[{"key":"b"}]}}"#))
    }
}
