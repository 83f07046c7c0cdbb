import Foundation
import NIOPosix

/// Work that blocks a thread (a child's run to its exit, a netlink transaction) runs on one
/// bounded pool, never on Swift concurrency's threads: on Linux those are as many as the
/// cores, and a blocking item there stalls every task behind it — seconds, until libdispatch
/// adds a thread (that once cost the controllers their Lease during a long `kubectl exec`).
/// Only work that ends on its own goes here, and none of it waits for other work on the
/// pool, so the pool cannot deadlock; streams that last as long as a client wants (exec
/// output) are read on NIO's event loops instead.
public enum BlockingPool {
    /// Four threads: the in-process proxies' and load balancer's transactions and a few host
    /// commands at once; more queue.
    public static let shared: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()

    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await shared.runIfActive(work)
    }
}

/// Both output pipes of a child read to their end on one thread, so neither fills while the
/// other is read.
enum PipeDrain {
    static func readToEnd(_ a: FileHandle, _ b: FileHandle) -> (Data, Data) {
        var fds = [
            pollfd(fd: a.fileDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: b.fileDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        var data = [Data(), Data()]
        var open = [true, true]
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while open.contains(true) {
            for i in 0..<2 { fds[i].fd = open[i] ? [a, b][i].fileDescriptor : -1 }
            guard poll(&fds, 2, -1) >= 0 else {
                if errno == EINTR { continue }
                break
            }
            for i in 0..<2 where open[i] && fds[i].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    data[i].append(contentsOf: buffer[0..<n])
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    open[i] = false
                }
            }
        }
        return (data[0], data[1])
    }
}
