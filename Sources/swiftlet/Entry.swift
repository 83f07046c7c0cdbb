import Foundation
import ProcessTuning

@main
enum Entry {
    static func main() async {
        // First of all: the allocator's arenas are fixed for threads as they start.
        ProcessTuning.chooseMallocArenas(
            arguments: CommandLine.arguments,
            environment: ProcessInfo.processInfo.environment
        )
        await Swiftlet.main()
    }
}
