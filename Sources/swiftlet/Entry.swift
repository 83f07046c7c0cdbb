import Foundation
import NodeAgent
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
        // happens, never a reason for the whole cluster to die. (Containers do not inherit it:
        // containerd, not this process, starts them.)
        signal(SIGPIPE, SIG_IGN)
        // containerd runs this binary as the CNI plugin of every pod sandbox: no arguments,
        // the command in the environment, the network configuration on stdin.
        let environment = ProcessInfo.processInfo.environment
        if CommandLine.arguments.count == 1, environment["CNI_COMMAND"] != nil {
            let stdin = FileHandle.standardInput.readDataToEndOfFile()
            let (out, status) = await CNIPlugin.main(environment: environment, stdin: stdin)
            FileHandle.standardOutput.write(Data(out.utf8))
            exit(status)
        }
        // In Swiftlet's agnhost image this binary is /agnhost (and /serve_hostname), as
        // upstream's image calls its program; containerd's shim runs it as the runc of
        // hostNetwork pods.
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch URL(fileURLWithPath: CommandLine.arguments.first ?? "").lastPathComponent {
        case NodeNamespaceRuntime.programName:
            exit(NodeNamespaceRuntime.main(arguments: arguments, environment: environment))
        case "agnhost": await Swiftlet.main(["agnhost"] + arguments)
        case "serve_hostname": await Swiftlet.main(["agnhost", "serve-hostname"] + arguments)
        default: await Swiftlet.main()
        }
    }
}
