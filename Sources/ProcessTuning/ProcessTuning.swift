import CProcessTuning

/// How a Swiftlet process sets up glibc's allocator, and gives memory back.
public enum ProcessTuning {
    /// Whether a process started with `arguments` should allocate from glibc's one main
    /// arena. Every process does, unless it is the control plane (`server`, `up`) or the user
    /// chose an arena count (MALLOC_ARENA_MAX, or glibc.malloc.arena_max in GLIBC_TUNABLES).
    ///
    /// With the default of an arena per thread (up to 8 per core), each arena kept its own
    /// share of the memory a node's first proxy sync freed: a process running the proxy for
    /// 10,000 Services settled at 52-60 MiB, against 48 MiB with one arena. The API server is
    /// the other way round: under a burst of writes its threads queued on the one arena's
    /// lock (~7 % of CPU samples), and with arenas its endpoint benchmark's burst ran ~9 %
    /// faster, its RSS within the runs' spread (docs/benchmarks.md).
    public static func wantsOneMallocArena(arguments: [String], environment: [String: String]) -> Bool {
        if environment["MALLOC_ARENA_MAX"] != nil || environment["GLIBC_TUNABLES"]?.contains("arena_max") == true {
            return false
        }
        let command = arguments.dropFirst().first
        return command != "server" && command != "up"
    }

    /// Chooses the arenas as `wantsOneMallocArena` says. Call it first thing in `main`:
    /// the setting only holds for threads started after it.
    public static func chooseMallocArenas(arguments: [String], environment: [String: String]) {
        if wantsOneMallocArena(arguments: arguments, environment: environment) { swiftlet_use_one_malloc_arena() }
    }

    /// Gives free heap memory back to the system, after a large transient load.
    public static func releaseFreeMemory() { swiftlet_release_free_memory() }

    /// Keeps the calling thread on one CPU (`cpu` >= 0), or lets it run anywhere (-1).
    /// Returns 0 or -errno.
    @discardableResult
    public static func pinThread(to cpu: Int32) -> Int32 { swiftlet_pin_thread(cpu) }
}
