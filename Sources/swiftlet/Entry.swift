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
        // A write to a pipe or socket whose reader is gone is an error to handle where it
        // happens, never a reason for the whole cluster to die. (Children inherit this:
        // `pod-exec` gives containers the default back before it execs them.)
        signal(SIGPIPE, SIG_IGN)
        await Swiftlet.main()
    }
}
