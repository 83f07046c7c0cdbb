import Testing

@testable import KubeMachinery

@Suite struct JSONPatchLimitsTests {
    /// The reproducer: each copy doubles the object; unbounded, 26 of them asked for 37 GB.
    @Test func doublingCopiesStopAtTheCopyLimit() throws {
        var ops: [JSON] = [["op": "add", "path": "/data/x0", "value": .string(String(repeating: "a", count: 1024))]]
        ops.append(["op": "add", "path": "/data/d0", "value": ["v": "/data/x0"]])
        for i in 1...30 {
            ops.append(["op": "copy", "from": "/data", "path": .string("/data/c\(i)")])
        }
        let target: JSON = ["metadata": ["name": "cm"], "data": .emptyObject]
        do {
            _ = try Patch.jsonPatch(.array(ops), to: target)
            Issue.record("the copies were applied")
        } catch {
            #expect(!error.malformed)
            #expect(
                error.description.hasPrefix("Unable to complete the copy, the accumulated size increase of copy is ")
            )
            #expect(error.description.hasSuffix("exceeding the limit 3145728"))
        }
    }

    @Test func copiesWithinTheLimitApply() throws {
        let patch: JSON = [["op": "copy", "from": "/a", "path": "/b"]]
        let out = try Patch.jsonPatch(patch, to: ["a": ["x": 1]])
        #expect(out["b"] == ["x": 1] && out["a"] == ["x": 1])
    }
}
