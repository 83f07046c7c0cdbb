import Testing

@testable import KubeClient

/// `PackedBytes` against a plain dictionary doing the same operations: every read must agree,
/// through growth of the table, removals, replacements and the rewrites garbage triggers.
@Suite struct PackedBytesTests {
    /// A small deterministic generator, so a failure replays.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    func agree(_ packed: PackedBytes, _ model: [String: [UInt8]]) {
        #expect(packed.count == model.count)
        #expect(Set(packed.keys) == Set(model.keys))
        #expect(packed.liveBytes == model.reduce(0) { $0 + $1.key.utf8.count + $1.value.count })
        for (k, v) in model {
            #expect(packed[k].map(Array.init) == v, "\(k)")
            #expect(packed.holds(k, v))
        }
        #expect(
            packed.values.map { Array($0) }.sorted { $0.lexicographicallyPrecedes($1) }
                == model.values.sorted { $0.lexicographicallyPrecedes($1) }
        )
    }

    @Test(arguments: [1, 2, 3])
    func matchesADictionaryThroughRandomChanges(_ seed: UInt64) {
        var rng = SplitMix(state: seed)
        var packed = PackedBytes()
        var model: [String: [UInt8]] = [:]
        for step in 0..<20_000 {
            let key = "default/svc-\(Int.random(in: 0..<3_000, using: &rng))"
            if Int.random(in: 0..<4, using: &rng) == 0 {
                packed.remove(key)
                model[key] = nil
            } else {
                let value = (0..<Int.random(in: 0..<64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng)
                }
                packed.set(key, value)
                model[key] = value
            }
            if step % 2_500 == 0 { agree(packed, model) }
        }
        agree(packed, model)
        for k in model.keys { packed.remove(k) }
        agree(packed, [:])
        #expect(packed["default/svc-1"] == nil && !packed.contains("default/svc-1"))
    }

    @Test func emptyValuesAndKeysAreEntries() {
        var packed = PackedBytes()
        packed.set("", [UInt8]())
        packed.set("a", [UInt8]())
        #expect(packed.contains("") && packed.contains("a") && packed.count == 2)
        #expect(packed[""]?.isEmpty == true)
        #expect(!packed.holds("a", [1]))
        packed.remove("")
        #expect(!packed.contains("") && packed.contains("a"))
    }

    @Test func labelIndexKeepsKeySetsPackedOrNot() {
        for isPacked in [true, false] {
            var index = LabelIndex(packed: isPacked)
            index.insert("default/a", under: "default|app=x")
            index.insert("default/b", under: "default|app=x")
            index.insert("default/b", under: "default|app=x")
            index.insert("default/c", under: "default|app=y")
            #expect(index.keys(under: "default|app=x") == ["default/a", "default/b"])
            index.remove("default/a", under: "default|app=x")
            index.remove("default/zz", under: "default|app=x")
            #expect(index.keys(under: "default|app=x") == ["default/b"])
            index.remove("default/b", under: "default|app=x")
            #expect(index.keys(under: "default|app=x").isEmpty && index.count == 1)
        }
    }
}
