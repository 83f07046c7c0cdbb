import ProcessTuning
import Testing

@Suite struct MallocArenaTests {
    @Test(
        arguments: [
            (["swiftlet", "server"], [:], false),
            (["swiftlet", "up", "--nodes", "3"], [:], false),
            (["swiftlet", "node", "--server", "https://172.30.0.1:6443"], [:], true),
            (["swiftlet", "dns"], [:], true),
            (["swiftlet"], [:], true),
            (["swiftlet-bench", "proxy-process"], [:], true),
            // The user's choice wins either way.
            (["swiftlet", "node"], ["MALLOC_ARENA_MAX": "4"], false),
            (["swiftlet", "node"], ["GLIBC_TUNABLES": "glibc.malloc.arena_max=2"], false),
            (["swiftlet", "node"], ["GLIBC_TUNABLES": "glibc.malloc.trim_threshold=1"], true),
        ] as [([String], [String: String], Bool)]
    )
    func oneArenaUnlessControlPlaneOrChosen(arguments: [String], environment: [String: String], one: Bool) {
        #expect(ProcessTuning.wantsOneMallocArena(arguments: arguments, environment: environment) == one)
    }
}
