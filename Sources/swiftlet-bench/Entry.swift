import Foundation
import ProcessTuning

@main
enum Entry {
    static func main() async {
        // As `swiftlet` does, so a process measured here allocates as it would there.
        ProcessTuning.chooseMallocArenas(
            arguments: CommandLine.arguments,
            environment: ProcessInfo.processInfo.environment
        )
        await Bench.main()
    }
}
