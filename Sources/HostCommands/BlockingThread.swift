import Foundation

/// Work that blocks (a pipe read, a child's exit, a netlink transaction) runs on a thread of
/// its own. On Linux, Swift concurrency's jobs run on the same width-limited pool as
/// `DispatchQueue.global()`: a blocking item there holds one of its few threads (one per core)
/// and stalls every task behind it — seconds, until libdispatch notices and adds a thread.
/// That once cost the controllers their Lease during a long `kubectl exec`.
public enum BlockingThread {
    public static func run(_ work: @escaping @Sendable () -> Void) {
        Thread.detachNewThread(work)
    }
}
