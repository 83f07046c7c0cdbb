import HostCommands

extension HostCommand {
    /// Runs the steps of a `ClusterNetwork` plan, one `ip -batch` per step.
    public static func apply(_ steps: [ClusterNetwork.Step]) async throws {
        for step in steps {
            var args: [String] = []
            if let ns = step.namespace { args += ["-n", ns] }
            args += ["-batch", "-"]
            do {
                try await run("ip", args, input: step.batch.joined(separator: "\n") + "\n")
            } catch let f as Failure {
                if !step.ignoreErrors {
                    throw Failure(
                        command: "ip \(args.joined(separator: " ")) <<< \(step.batch.joined(separator: "; "))",
                        status: f.status,
                        stderr: f.stderr
                    )
                }
            }
        }
    }
}
