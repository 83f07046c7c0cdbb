import Foundation
import ProcessTuning

@main
enum Entry {
    static func main() async {
        // As `swiftlet` does, so a process measured here allocates (and survives a closed
        // pipe) as it would there.
        ProcessTuning.chooseMallocArenas(
            arguments: CommandLine.arguments,
            environment: ProcessInfo.processInfo.environment
        )
        signal(SIGPIPE, SIG_IGN)
        await Bench.main()
    }
}
