import KubeAPI
import KubeClient
import KubeMachinery
import KubeModel
import Logging
import Synchronization

/// Leader election through a `coordination.k8s.io/v1` Lease, as client-go's leaderelection
/// does it: the holder renews `spec.renewTime` every `retryPeriod`; anyone may take the
/// Lease once it has gone unrenewed for `leaseDurationSeconds`; every write carries the
/// Lease's resourceVersion, so two candidates can never both win. A leader that cannot
/// renew within `renewDeadline` stops leading before anyone else may start.
public actor LeaderElector {
    public struct Configuration: Sendable {
        public var namespace = "kube-system"
        public var name: String
        /// Who this candidate is; the same identity after a restart resumes the Lease at once.
        public var identity: String
        public var leaseDuration: Duration = .seconds(15)
        public var renewDeadline: Duration = .seconds(10)
        public var retryPeriod: Duration = .seconds(2)

        public init(name: String, identity: String) {
            self.name = name
            self.identity = identity
        }
    }

    let client: KubeClient
    let config: Configuration
    let logger: Logger
    public private(set) var isLeader = false

    public init(client: KubeClient, config: Configuration, logger: Logger) {
        self.client = client
        self.config = config
        self.logger = logger
    }

    /// Runs `lead` whenever this candidate holds the Lease (cancelling it when the Lease is
    /// lost) until the calling task is cancelled; then gives the Lease up so another
    /// candidate takes over at once.
    public func run(lead: @escaping @Sendable () async -> Void) async {
        while !Task.isCancelled {
            if await attempt(within: config.renewDeadline) {
                logger.notice("became leader (lease \(config.namespace)/\(config.name), identity \(config.identity))")
                isLeader = true
                let leading = Task { await lead() }
                var lastRenew = ContinuousClock.now
                while !Task.isCancelled {
                    try? await Task.sleep(for: config.retryPeriod)
                    if Task.isCancelled { break }
                    if await attempt(within: config.renewDeadline - (ContinuousClock.now - lastRenew)) {
                        lastRenew = .now
                    } else if ContinuousClock.now - lastRenew >= config.renewDeadline {
                        logger.warning("lost the lease \(config.namespace)/\(config.name): stopping the controllers")
                        break
                    }
                }
                leading.cancel()
                await leading.value
                isLeader = false
                if Task.isCancelled { break }
            } else {
                try? await Task.sleep(for: config.retryPeriod)
            }
        }
        // Bounded too: a server that stopped answering must not hold up the shutdown. (Unstructured
        // tasks: this one is cancelled already, and the release must still be tried.)
        let releasing = Task { await self.release() }
        let deadline = Task { [renewDeadline = config.renewDeadline] in
            try? await Task.sleep(for: renewDeadline)
            releasing.cancel()
        }
        await releasing.value
        deadline.cancel()
    }

    static func seconds(_ d: Duration) -> Int64 { d.components.seconds }

    /// One acquire-or-renew, given up once `limit` has passed. A request that hangs rather than
    /// fails must not keep a leader leading past its deadline while the Lease runs out (client-go
    /// bounds its renewal by renewDeadline the same way): the late request is cancelled and not
    /// waited for.
    func attempt(within limit: Duration) async -> Bool {
        guard limit > .zero else { return false }
        let outcome = FirstOutcome()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                outcome.start(continuation, request: Task { outcome.finish(await self.tryAcquireOrRenew()) })
                Task {
                    try? await Task.sleep(for: limit)
                    outcome.finish(false)
                }
            }
        } onCancel: {
            outcome.finish(false)
        }
    }

    func tryAcquireOrRenew() async -> Bool {
        let now = Timestamp.now
        do {
            guard
                var lease = try await client.getIfExists(
                    Resources.leases,
                    namespace: config.namespace,
                    name: config.name
                )
            else {
                _ = try await client.create(
                    Resources.leases,
                    namespace: config.namespace,
                    [
                        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                        "metadata": ["name": .string(config.name), "namespace": .string(config.namespace)],
                        "spec": [
                            "holderIdentity": .string(config.identity),
                            "leaseDurationSeconds": JSON(Int(Self.seconds(config.leaseDuration))),
                            "acquireTime": .string(now.rfc3339Micro), "renewTime": .string(now.rfc3339Micro),
                            "leaseTransitions": 0,
                        ],
                    ]
                )
                return true
            }
            let holder = lease[path: ["spec", "holderIdentity"]]?.string ?? ""
            if holder != config.identity {
                let duration = lease[path: ["spec", "leaseDurationSeconds"]]?.int ?? Self.seconds(config.leaseDuration)
                let renewed =
                    (lease[path: ["spec", "renewTime"]]?.string).flatMap(Timestamp.init(rfc3339:))
                    ?? Timestamp(micros: 0)
                guard holder.isEmpty || renewed.adding(seconds: duration) < now else { return false }
                lease[path: ["spec", "acquireTime"]] = .string(now.rfc3339Micro)
                lease[path: ["spec", "leaseTransitions"]] = JSON(
                    Int((lease[path: ["spec", "leaseTransitions"]]?.int ?? 0) + 1)
                )
            }
            lease[path: ["spec", "holderIdentity"]] = .string(config.identity)
            lease[path: ["spec", "leaseDurationSeconds"]] = JSON(Int(Self.seconds(config.leaseDuration)))
            lease[path: ["spec", "renewTime"]] = .string(now.rfc3339Micro)
            // 409 if someone else wrote first.
            _ = try await client.update(Resources.leases, namespace: config.namespace, lease)
            return true
        } catch {
            logger.debug("lease \(config.namespace)/\(config.name): \(error)")
            return false
        }
    }

    /// Gives the Lease up (an empty holder), if this candidate holds it.
    func release() async {
        guard
            var lease = try? await client.getIfExists(Resources.leases, namespace: config.namespace, name: config.name),
            lease[path: ["spec", "holderIdentity"]]?.string == config.identity
        else { return }
        lease[path: ["spec", "holderIdentity"]] = ""
        lease[path: ["spec", "leaseDurationSeconds"]] = 1
        _ = try? await client.update(Resources.leases, namespace: config.namespace, lease)
    }
}

/// Resumes a continuation with whichever outcome comes first, and cancels the request if that
/// was not its own answer; later outcomes are dropped.
private final class FirstOutcome: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Bool, Never>?
        var request: Task<Void, Never>?
        var result: Bool?
    }
    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<Bool, Never>, request: Task<Void, Never>) {
        let early = state.withLock { s -> Bool? in
            if let r = s.result { return r }
            s.continuation = continuation
            s.request = request
            return nil
        }
        if let early {
            request.cancel()
            continuation.resume(returning: early)
        }
    }

    func finish(_ value: Bool) {
        let (waiting, request) = state.withLock { s -> (CheckedContinuation<Bool, Never>?, Task<Void, Never>?) in
            guard s.result == nil else { return (nil, nil) }
            s.result = value
            defer {
                s.continuation = nil
                s.request = nil
            }
            return (s.continuation, s.request)
        }
        // The request's own answer arrives from inside its task: cancelling it then is harmless.
        request?.cancel()
        waiting?.resume(returning: value)
    }
}
