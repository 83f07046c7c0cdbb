import Foundation
import HostCommands
import NIOCore
import NIOPosix

/// Runs a command inside a pod (through `swiftlet pod-exec`), streaming its output.
enum PodExec {
    /// Stream ids as the Kubernetes exec protocol numbers them.
    static let stdout: UInt8 = 1
    static let stderr: UInt8 = 2

    /// Returns the exit code (126/127 when the command cannot run, 137 when killed at the timeout).
    static func run(
        executable: String,
        arguments: [String],
        environment: [String: String],
        stdin: Data?,
        timeout: Duration?,
        output: @escaping @Sendable (UInt8, Data) -> Void
    ) async -> Int32 {
        let out = HostCommand.pipe(), err = HostCommand.pipe(), inp = HostCommand.pipe()
        let process: ContainerProcess
        do {
            process = ContainerProcess(
                executable: executable,
                arguments: arguments,
                environment: environment,
                stdin: stdin == nil ? nil : inp.fileHandleForReading,
                stdout: out,
                stderr: err
            )
            try process.start()
        } catch {
            output(Self.stderr, Data("cannot start: \(error)\n".utf8))
            return 126
        }
        // The pipes are read (and stdin written) on NIO's event loops: an exec may stream for
        // as long as its client wants, and must hold no thread meanwhile.
        let streams = [(out, Self.stdout), (err, Self.stderr)].map { pipe, id in
            PipeStream.forward(pipe.fileHandleForReading, id: id, to: output)
        }
        if let stdin {
            PipeStream.write(stdin, to: inp.fileHandleForWriting)
        } else {
            try? inp.fileHandleForWriting.close()
        }
        let killer = timeout.map { t in
            Task {
                try? await Task.sleep(for: t)
                if Task.isCancelled { return false }
                process.signalGroup(SIGKILL)
                return true
            }
        }
        let exit = await process.wait()
        killer?.cancel()
        if await killer?.value == true {
            // Killed at the timeout: what it wrote is read, but a child it left behind (a
            // shell's `sleep`) may hold the pipes open for long; they are closed instead.
            try? await Task.sleep(for: .milliseconds(100))
            for stream in streams { stream.stop() }
        }
        for stream in streams { try? await stream.done.get() }
        return exit.code
    }
}

/// A pipe's bytes on an event loop: forwarded as they come, until its writer closes it.
enum PipeStream {
    private final class Forwarder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let id: UInt8
        let output: @Sendable (UInt8, Data) -> Void

        init(id: UInt8, output: @escaping @Sendable (UInt8, Data) -> Void) {
            self.id = id
            self.output = output
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = unwrapInboundIn(data)
            output(id, Data(bytes.readableBytesView))
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    /// A pipe being read: `done` completes when it has ended (its channel closed).
    struct Reading: Sendable {
        let channel: EventLoopFuture<any Channel>
        let done: EventLoopFuture<Void>
        /// Stops reading and closes the pipe.
        func stop() { channel.whenSuccess { $0.close(promise: nil) } }
    }

    /// NIO owns a duplicate of the descriptor, so the handle keeps its own.
    static func forward(
        _ handle: FileHandle,
        id: UInt8,
        to output: @escaping @Sendable (UInt8, Data) -> Void
    ) -> Reading {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let fd = dup(handle.fileDescriptor)
        guard fd >= 0 else {
            return Reading(
                channel: loop.makeFailedFuture(ChannelError.ioOnClosedChannel),
                done: loop.makeSucceededVoidFuture()
            )
        }
        let channel = NIOPipeBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Forwarder(id: id, output: output))
                }
            }
            .takingOwnershipOfDescriptor(input: fd)
        // Not taken: the descriptor is still ours to close.
        channel.whenFailure { _ in _ = close(fd) }
        return Reading(channel: channel, done: channel.flatMap { $0.closeFuture }.recover { _ in })
    }

    /// Writes `data` and closes the pipe; a child that exits without reading it costs nothing.
    static func write(_ data: Data, to handle: FileHandle) {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let fd = dup(handle.fileDescriptor)
        try? handle.close()
        guard fd >= 0 else { return }
        NIOPipeBootstrap(group: loop)
            .takingOwnershipOfDescriptor(output: fd)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    channel.writeAndFlush(ByteBuffer(bytes: data)).whenComplete { _ in channel.close(promise: nil) }
                case .failure:
                    _ = close(fd)
                }
            }
    }
}
