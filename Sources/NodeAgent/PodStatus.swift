import KubeAPI
import KubeMachinery
import KubeModel

/// What the agent knows about one container, turned into a `containerStatuses` entry.
public struct ContainerStatus: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case waiting(reason: String, message: String?)
        case running(startedAt: Timestamp)
        case terminated(
            exitCode: Int32,
            signal: Int32?,
            reason: String,
            message: String?,
            startedAt: Timestamp?,
            finishedAt: Timestamp
        )
    }

    public var name: String
    public var image: String
    public var state: State = .waiting(reason: "ContainerCreating", message: nil)
    public var lastTerminated: State?
    public var restartCount = 0
    public var ready = false
    public var started = false
    public var containerID: String?
    /// The runtime's id of the image it runs (`sha256:…`); the image's name when there is none.
    public var imageID: String?
    /// A sidecar: an init container that runs beside the others (restartPolicy Always).
    public var restartable = false

    public init(name: String, image: String) {
        self.name = name
        self.image = image
    }

    public var isRunning: Bool { if case .running = state { true } else { false } }
    public var isTerminated: Bool { if case .terminated = state { true } else { false } }
    public var hasRun: Bool { isRunning || isTerminated || lastTerminated != nil }

    static func render(_ s: State) -> JSON {
        switch s {
        case let .waiting(reason, message):
            var w: JSON = ["reason": .string(reason)]
            if let message { w["message"] = .string(message) }
            return ["waiting": w]
        case let .running(startedAt):
            return ["running": ["startedAt": .string(startedAt.rfc3339)]]
        case let .terminated(code, signal, reason, message, startedAt, finishedAt):
            var t: JSON = [
                "exitCode": JSON(Int(code)), "reason": .string(reason), "finishedAt": .string(finishedAt.rfc3339),
            ]
            if let signal { t["signal"] = JSON(Int(signal)) }
            if let message { t["message"] = .string(message) }
            if let startedAt { t["startedAt"] = .string(startedAt.rfc3339) }
            return ["terminated": t]
        }
    }

    public var json: JSON {
        var o: JSON = [
            "name": .string(name), "image": .string(image), "imageID": .string(imageID ?? image),
            "ready": .bool(ready), "restartCount": JSON(restartCount), "started": .bool(started),
            "state": Self.render(state),
            "lastState": lastTerminated.map(Self.render) ?? [:],
        ]
        if let containerID { o["containerID"] = .string(containerID) }
        return o
    }
}

/// The pod-level status: phase and conditions from the containers, as the kubelet computes them.
public struct PodStatusModel: Sendable {
    public var hostIP: String
    public var podIP: String?
    public var startTime: Timestamp
    public var sandboxReady = false
    public var initialized = true
    public var containers: [ContainerStatus] = []
    public var initContainers: [ContainerStatus] = []
    public var restartPolicy = "Always"
    /// As the API server computed it at creation.
    public var qosClass = "BestEffort"
    public var failure: (reason: String, message: String)?
    /// When each condition last changed, to keep `lastTransitionTime` stable.
    public var transitions: [String: (Bool, Timestamp)] = [:]

    public init(hostIP: String, startTime: Timestamp) {
        self.hostIP = hostIP
        self.startTime = startTime
    }

    public var phase: String {
        if failure != nil && containers.allSatisfy({ !$0.hasRun }) { return "Pending" }
        if !sandboxReady || !initialized { return "Pending" }
        if containers.allSatisfy(\.isTerminated) && !containers.isEmpty {
            let failed = containers.contains {
                if case let .terminated(code, _, _, _, _, _) = $0.state { code != 0 } else { false }
            }
            if restartPolicy == "Always" { return "Running" }
            return failed ? "Failed" : "Succeeded"
        }
        if containers.contains(where: \.hasRun) { return "Running" }
        return "Pending"
    }

    /// Sidecars count, as the containers they serve do.
    public var containersReady: Bool {
        !containers.isEmpty && containers.allSatisfy(\.ready)
            && initContainers.allSatisfy { !$0.restartable || $0.ready }
    }

    mutating func condition(
        _ type: String,
        _ value: Bool,
        reason: String? = nil,
        message: String? = nil,
        now: Timestamp
    ) -> JSON {
        if transitions[type]?.0 != value { transitions[type] = (value, now) }
        var c: JSON = [
            "type": .string(type), "status": .string(value ? "True" : "False"), "lastProbeTime": nil,
            "lastTransitionTime": .string(transitions[type]!.1.rfc3339),
        ]
        if let reason { c["reason"] = .string(reason) }
        if let message { c["message"] = .string(message) }
        return c
    }

    /// The whole `status`, with conditions in the kubelet's order.
    public mutating func json(now: Timestamp = .now) -> JSON {
        let phase = self.phase
        let terminal = phase == "Succeeded" || phase == "Failed"
        let unready = (initContainers.filter(\.restartable) + containers).filter { !$0.ready }.map(\.name)
        let unreadyMessage = "containers with unready status: [\(unready.joined(separator: " "))]"
        let ready = containersReady
        var conditions: [JSON] = [
            condition("PodReadyToStartContainers", sandboxReady && !terminal, now: now),
            condition(
                "Initialized",
                initialized,
                reason: initialized ? nil : "ContainersNotInitialized",
                message: initialized
                    ? nil
                    : "containers with incomplete status: [\(initContainers.filter { $0.restartable ? !$0.started : !$0.isTerminated }.map(\.name).joined(separator: " "))]",
                now: now
            ),
            condition(
                "Ready",
                ready,
                reason: ready ? nil : (terminal ? "PodCompleted" : "ContainersNotReady"),
                message: ready || terminal ? nil : unreadyMessage,
                now: now
            ),
            condition(
                "ContainersReady",
                ready,
                reason: ready ? nil : (terminal ? "PodCompleted" : "ContainersNotReady"),
                message: ready || terminal ? nil : unreadyMessage,
                now: now
            ),
        ]
        conditions.append([
            "type": "PodScheduled", "status": "True", "lastProbeTime": nil,
            "lastTransitionTime": .string(startTime.rfc3339),
        ])
        var s: JSON = [
            "phase": .string(phase),
            "conditions": .array(conditions),
            "hostIP": .string(hostIP),
            "hostIPs": [["ip": .string(hostIP)]],
            "startTime": .string(startTime.rfc3339),
            "containerStatuses": .array(containers.map(\.json)),
            "qosClass": .string(qosClass),
        ]
        if !initContainers.isEmpty { s["initContainerStatuses"] = .array(initContainers.map(\.json)) }
        if let podIP {
            s["podIP"] = .string(podIP)
            s["podIPs"] = [["ip": .string(podIP)]]
        }
        if let failure {
            s["reason"] = .string(failure.reason)
            s["message"] = .string(failure.message)
        }
        return s
    }
}
