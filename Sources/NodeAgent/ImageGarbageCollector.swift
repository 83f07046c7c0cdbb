import CRI
import Foundation
import KubeClient
import KubeMachinery
import Logging
import ServiceLifecycle

/// kubelet's image garbage collection policy (`--image-gc-high-threshold`,
/// `--image-gc-low-threshold`, `--minimum-image-ttl-duration`).
public struct ImageGCPolicy: Sendable, Equatable {
    /// Disk use (percent of the image filesystem) at which collection starts.
    public var highThresholdPercent = 85
    /// Disk use collection frees down to.
    public var lowThresholdPercent = 80
    /// An image unused for less than this is never collected.
    public var minimumAge: Duration = .seconds(120)

    public init() {}

    /// What is wrong with the thresholds, in kubelet's words; nil when they are usable.
    public var problem: String? {
        if !(0...100).contains(highThresholdPercent) {
            return
                "invalid configuration: imageGCHighThresholdPercent (--image-gc-high-threshold) \(highThresholdPercent) must be between 0 and 100, inclusive"
        }
        if !(0...100).contains(lowThresholdPercent) {
            return
                "invalid configuration: imageGCLowThresholdPercent (--image-gc-low-threshold) \(lowThresholdPercent) must be between 0 and 100, inclusive"
        }
        if lowThresholdPercent > highThresholdPercent {
            return
                "invalid configuration: imageGCLowThresholdPercent (--image-gc-low-threshold) \(lowThresholdPercent) must be less than imageGCHighThresholdPercent (--image-gc-high-threshold) \(highThresholdPercent)"
        }
        return nil
    }
}

extension ImageGCPolicy {
    /// A Go duration as kubelet's flags take it (`2m`, `90s`, `1h30m`); nil if malformed. Pure.
    public static func duration(_ text: String) -> Duration? {
        var total = 0.0
        var number = ""
        var unit = ""
        var sawAny = false
        func flush() -> Bool {
            guard let n = Double(number) else { return false }
            let scale: Double
            switch unit {
            case "ms": scale = 0.001
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            default: return false
            }
            total += n * scale
            number = ""
            unit = ""
            sawAny = true
            return true
        }
        for ch in text {
            if ch.isNumber || ch == "." {
                if !unit.isEmpty, !flush() { return nil }
                number.append(ch)
            } else {
                guard !number.isEmpty else { return nil }
                unit.append(ch)
            }
        }
        if text == "0" { return .zero }
        guard !number.isEmpty, flush(), sawAny else { return nil }
        return .milliseconds(Int64(total * 1000))
    }
}

/// The images to remove, as kubelet chooses them: nothing while disk use is under the high
/// threshold; above it, enough bytes to reach the low threshold, from images no container
/// uses, least recently used first, none younger than the minimum age and none pinned. Pure.
public enum ImageGCPlan {
    public struct Candidate: Sendable, Equatable {
        public var id: String
        public var size: UInt64
        /// When a container last used it (or, never used, when it was first seen).
        public var lastUsed: ContinuousClock.Instant
        public var inUse: Bool
        public var pinned: Bool

        public init(id: String, size: UInt64, lastUsed: ContinuousClock.Instant, inUse: Bool, pinned: Bool) {
            self.id = id
            self.size = size
            self.lastUsed = lastUsed
            self.inUse = inUse
            self.pinned = pinned
        }
    }

    public struct Decision: Sendable, Equatable {
        public var remove: [String]
        /// Bytes the plan wanted to free and could not (kubelet's FreeDiskSpaceFailed).
        public var shortfall: (wanted: Int64, found: Int64)?

        public static func == (a: Self, b: Self) -> Bool {
            a.remove == b.remove && a.shortfall?.wanted == b.shortfall?.wanted
                && a.shortfall?.found == b.shortfall?.found
        }
    }

    public static func decide(
        _ images: [Candidate],
        capacity: Int64,
        available: Int64,
        policy: ImageGCPolicy,
        now: ContinuousClock.Instant
    ) -> Decision {
        guard capacity > 0 else { return Decision(remove: []) }
        let usage = 100 - Int(available * 100 / capacity)
        guard usage >= policy.highThresholdPercent else { return Decision(remove: []) }
        let wanted = capacity * Int64(100 - policy.lowThresholdPercent) / 100 - available
        guard wanted > 0 else { return Decision(remove: []) }
        let eligible = images.filter { !$0.inUse && !$0.pinned && now - $0.lastUsed >= policy.minimumAge }
            .sorted { $0.lastUsed < $1.lastUsed }
        var freed: Int64 = 0
        var remove: [String] = []
        for image in eligible where freed < wanted {
            remove.append(image.id)
            freed += Int64(clamping: image.size)
        }
        return Decision(remove: remove, shortfall: freed < wanted ? (wanted, freed) : nil)
    }
}

/// Frees the image filesystem of one containerd as kubelet's image manager does: every
/// period it notes which images containers use, and when disk use passes the high
/// threshold removes unused images until it is under the low one. One collector serves
/// all the nodes that share a containerd (they share its images).
public struct ImageGarbageCollector: ServiceLifecycle.Service {
    let runtime: CRIClient
    let policy: ImageGCPolicy
    /// Never removed: the sandbox image.
    let pinned: Set<String>
    let period: Duration
    let events: EventRecorder?
    /// The node events are about (kubelet's are about its own node).
    let node: String
    let logger: Logger

    public init(
        runtime: CRIClient,
        policy: ImageGCPolicy,
        pinned: Set<String>,
        period: Duration = .seconds(10),
        events: EventRecorder?,
        node: String,
        logger: Logger
    ) {
        self.runtime = runtime
        self.policy = policy
        self.pinned = pinned
        self.period = period
        self.events = events
        self.node = node
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastUsed: [String: ContinuousClock.Instant] = [:]
            while !Task.isCancelled {
                try? await Task.sleep(for: period)
                if Task.isCancelled { break }
                await collect(lastUsed: &lastUsed)
            }
        }
        runtime.close()
    }

    func collect(lastUsed: inout [String: ContinuousClock.Instant]) async {
        guard let images = try? await runtime.images.listImages(Runtime_V1_ListImagesRequest()).images,
            let containers = try? await runtime.runtime.listContainers(Runtime_V1_ListContainersRequest()).containers,
            let fs = try? await runtime.images.imageFsInfo(Runtime_V1_ImageFsInfoRequest()).imageFilesystems.first
        else { return }
        let now = ContinuousClock.now
        let used = Set(containers.map(\.imageRef) + containers.map(\.image.image))
        var candidates: [ImageGCPlan.Candidate] = []
        for image in images {
            let inUse = used.contains(image.id) || image.repoTags.contains(where: used.contains)
            if inUse || lastUsed[image.id] == nil { lastUsed[image.id] = now }
            candidates.append(
                .init(
                    id: image.id,
                    size: image.size,
                    lastUsed: lastUsed[image.id] ?? now,
                    inUse: inUse,
                    pinned: image.pinned || image.repoTags.contains(where: pinned.contains)
                )
            )
        }
        lastUsed = lastUsed.filter { id, _ in images.contains { $0.id == id } }
        var stat = statvfs()
        guard statvfs(fs.fsID.mountpoint, &stat) == 0 else { return }
        let capacity = Int64(stat.f_blocks) * Int64(stat.f_frsize)
        let available = Int64(stat.f_bavail) * Int64(stat.f_frsize)
        let decision = ImageGCPlan.decide(
            candidates,
            capacity: capacity,
            available: available,
            policy: policy,
            now: now
        )
        for id in decision.remove {
            var r = Runtime_V1_RemoveImageRequest()
            r.image.image = id
            do {
                _ = try await runtime.images.removeImage(r)
                lastUsed[id] = nil
                logger.notice("image garbage collection removed \(id) (disk use over \(policy.highThresholdPercent)%)")
            } catch {
                logger.warning("image garbage collection could not remove \(id): \(CRIClient.describe(error))")
            }
        }
        if let (wanted, found) = decision.shortfall {
            let message =
                "Failed to garbage collect required amount of images. Attempted to free \(wanted) bytes, but only found \(found) bytes eligible to free."
            logger.warning("\(message)")
            await events?.record(
                ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(node), "uid": .string(node)]],
                type: "Warning",
                reason: "FreeDiskSpaceFailed",
                message: message
            )
        }
    }
}
