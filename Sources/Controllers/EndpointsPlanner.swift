import KubeAPI
import KubeMachinery
import KubeModel

/// The pure part of the Endpoints and EndpointSlice controllers: from a Service and its pods
/// to the objects Kubernetes would have, and the fewest writes that get there.
public enum EndpointsPlanner {
    public static let managedBy = "endpointslice-controller.k8s.io"
    public static let serviceNameLabel = "kubernetes.io/service-name"
    public static let managedByLabel = "endpointslice.kubernetes.io/managed-by"
    public static let headlessLabel = "service.kubernetes.io/headless"

    /// Pods a Service's endpoints may list: an IP, not finished; terminating ones only when asked.
    public static func shouldInclude(_ pod: Pod, includeTerminating: Bool) -> Bool {
        guard pod.podIP != nil, !pod.isTerminal else { return false }
        return includeTerminating || !pod.metadata.isDeleting
    }

    /// The pods a Service selects: same namespace, a non-empty selector that matches.
    public static func selectedPods(_ service: Service, _ pods: [Pod]) -> [Pod] {
        guard let selector = service.selector, !selector.isEmpty else { return [] }
        let sel = LabelSelector(matchLabels: selector)
        return pods.filter { $0.namespace == service.namespace && sel.matches($0.labels) }
    }

    /// A service port's target on one pod: a number, or a named container port; nil if unresolvable.
    public static func resolvePort(_ servicePort: Service.Port, pod: Pod) -> Int? {
        switch servicePort.targetPort {
        case .int(let n)?: return n
        case .string(let name)?:
            if let n = Int(name) { return n }
            return pod.port(named: name, protocol: servicePort.protocol)
        case nil:
            return servicePort.port
        }
    }

    static func endpointPorts(_ service: Service, pod: Pod) -> [JSON] {
        service.ports.compactMap { sp in
            guard let port = resolvePort(sp, pod: pod) else { return nil }
            var p: JSON = ["name": .string(sp.name), "port": JSON(port), "protocol": .string(sp.protocol.rawValue)]
            if let ap = sp.appProtocol { p["appProtocol"] = .string(ap) }
            return p
        }
    }

    static func targetRef(_ pod: Pod) -> JSON {
        [
            "kind": "Pod", "namespace": .string(pod.namespace), "name": .string(pod.name),
            "uid": .string(pod.metadata.uid),
        ]
    }

    static func hostname(_ pod: Pod, _ service: Service) -> String? {
        guard let h = pod.hostname, pod.subdomain == service.name else { return nil }
        return h
    }

    // MARK: EndpointSlices

    /// One endpoint of a slice, with conditions computed as Kubernetes computes them.
    public static func endpoint(_ pod: Pod, _ service: Service) -> JSON {
        let publishNotReady = service.publishNotReadyAddresses
        let terminating = pod.metadata.isDeleting
        let serving = publishNotReady || pod.isReady
        let ready = publishNotReady || (pod.isReady && !terminating)
        var ep: JSON = [
            "addresses": [.string(pod.podIP ?? "")],
            "conditions": ["ready": .bool(ready), "serving": .bool(serving), "terminating": .bool(terminating)],
        ]
        if let h = hostname(pod, service) { ep["hostname"] = .string(h) }
        if let node = pod.nodeName { ep["nodeName"] = .string(node) }
        ep["targetRef"] = targetRef(pod)
        return ep
    }

    /// Desired endpoints grouped by the ports they resolve to (pods resolving a named port
    /// differently need different slices).
    public static func desiredGroups(_ service: Service, pods: [Pod]) -> [(ports: [JSON], endpoints: [JSON])] {
        var groups: [[JSON]: [(name: String, endpoint: JSON)]] = [:]
        var order: [[JSON]] = []
        for pod in selectedPods(service, pods) where shouldInclude(pod, includeTerminating: true) {
            let ports = endpointPorts(service, pod: pod)
            if groups[ports] == nil { order.append(ports) }
            groups[ports, default: []].append((pod.name, endpoint(pod, service)))
        }
        return order.map { ports in
            (ports, (groups[ports] ?? []).sorted { $0.name < $1.name }.map(\.endpoint))
        }
    }

    public struct SlicePlan: Sendable, Equatable {
        public var create: [JSON] = []
        public var update: [JSON] = []
        public var delete: [String] = []
        public var isEmpty: Bool { create.isEmpty && update.isEmpty && delete.isEmpty }
    }

    /// Labels every managed slice carries.
    public static func sliceLabels(_ service: Service) -> JSON {
        var labels = JSONObject()
        for (k, v) in service.labels.sorted(by: { $0.key < $1.key }) where k != serviceNameLabel && k != managedByLabel
        {
            labels[k] = .string(v)
        }
        labels[serviceNameLabel] = .string(service.name)
        labels[managedByLabel] = .string(managedBy)
        if service.isHeadless { labels[headlessLabel] = "" }
        return .object(labels)
    }

    static func ownerReference(_ service: Service) -> JSON { OwnerReference.controller(service).json }

    static func endpointKey(_ ep: JSON) -> String {
        ep[path: ["targetRef", "uid"]]?.string ?? ep["addresses"]?.array?.first?.string ?? ""
    }

    /// The writes that turn `existing` slices into the desired ones, keeping each endpoint in
    /// the slice it is already in, so one pod change costs one slice write.
    public static func planSlices(
        service: Service,
        pods: [Pod],
        existing: [JSON],
        maxEndpointsPerSlice: Int = 100
    ) -> SlicePlan {
        var plan = SlicePlan()
        let labels = sliceLabels(service)
        let owner = ownerReference(service)
        var groups = desiredGroups(service, pods: pods)
        if groups.isEmpty { groups = [([], [])] }  // an empty service still gets one (empty) slice

        var unused = existing
        for (ports, endpoints) in groups {
            var remaining: [String: JSON] = [:]
            var order: [String] = []
            for ep in endpoints {
                let k = endpointKey(ep)
                remaining[k] = ep
                order.append(k)
            }
            // Existing slices with these ports keep the endpoints they hold.
            var mine = unused.filter { ($0["ports"]?.array ?? []) == ports && $0["addressType"]?.string == "IPv4" }
            unused.removeAll { s in mine.contains { $0.name == s.name } }
            for i in mine.indices {
                var eps: [JSON] = []
                for ep in mine[i]["endpoints"]?.array ?? [] {
                    let k = endpointKey(ep)
                    if let desired = remaining.removeValue(forKey: k) { eps.append(desired) }
                }
                mine[i]["endpoints"] = .array(eps)
            }
            // New endpoints fill slices with room, then new slices.
            var leftovers = order.compactMap { remaining[$0] }
            for i in mine.indices where !leftovers.isEmpty {
                var eps = mine[i]["endpoints"]?.array ?? []
                let room = maxEndpointsPerSlice - eps.count
                if room > 0 {
                    eps += leftovers.prefix(room)
                    leftovers.removeFirst(min(room, leftovers.count))
                    mine[i]["endpoints"] = .array(eps)
                }
            }
            let byName = Dictionary(existing.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            var survivors: [JSON] = []
            for var s in mine {
                let empty = (s["endpoints"]?.array ?? []).isEmpty
                // Empty slices go, except one kept as the placeholder of a service without endpoints.
                if empty && !(endpoints.isEmpty && survivors.isEmpty) {
                    plan.delete.append(s.name)
                    continue
                }
                s[path: ["metadata", "labels"]] = labels
                s[path: ["metadata", "ownerReferences"]] = [owner]
                if s != byName[s.name] { plan.update.append(s) }
                survivors.append(s)
            }
            func newSlice(_ chunk: [JSON]) -> JSON {
                [
                    "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                    "metadata": [
                        "generateName": .string("\(service.name)-"), "namespace": .string(service.namespace),
                        "labels": labels, "ownerReferences": [owner],
                    ],
                    "addressType": "IPv4",
                    "endpoints": .array(chunk),
                    "ports": .array(ports),
                ]
            }
            while !leftovers.isEmpty {
                let chunk = Array(leftovers.prefix(maxEndpointsPerSlice))
                leftovers.removeFirst(chunk.count)
                let slice = newSlice(chunk)
                plan.create.append(slice)
                survivors.append(slice)
            }
            if endpoints.isEmpty && survivors.isEmpty {
                let slice = newSlice([])
                plan.create.append(slice)
                survivors.append(slice)
            }
        }
        plan.delete += unused.map(\.name)
        return plan
    }

    // MARK: Endpoints

    /// The Endpoints object for a Service: ready pods in `addresses`, others in
    /// `notReadyAddresses`, terminating pods left out, at most `maxAddresses`.
    public static func endpoints(service: Service, pods: [Pod], maxAddresses: Int = 1000) -> JSON {
        let publishNotReady = service.publishNotReadyAddresses
        var subsets: [[JSON]: (ready: [JSON], notReady: [JSON])] = [:]
        var order: [[JSON]] = []
        for pod in selectedPods(service, pods) where shouldInclude(pod, includeTerminating: publishNotReady) {
            var addr: JSON = ["ip": .string(pod.podIP ?? "")]
            if let h = hostname(pod, service) { addr["hostname"] = .string(h) }
            if let node = pod.nodeName { addr["nodeName"] = .string(node) }
            addr["targetRef"] = targetRef(pod)
            var ports = endpointPorts(service, pod: pod)
            for i in ports.indices where ports[i]["name"]?.string == "" { ports[i]["name"] = nil }
            if subsets[ports] == nil {
                order.append(ports)
                subsets[ports] = ([], [])
            }
            if publishNotReady || pod.isReady {
                subsets[ports]!.ready.append(addr)
            } else {
                subsets[ports]!.notReady.append(addr)
            }
        }
        var total = 0
        var truncated = false
        var out: [JSON] = []
        let byIP: (JSON, JSON) -> Bool = { ($0["ip"]?.string ?? "") < ($1["ip"]?.string ?? "") }
        for ports in order {
            var (ready, notReady) = subsets[ports]!
            ready.sort(by: byIP)
            notReady.sort(by: byIP)
            let roomReady = max(0, maxAddresses - total)
            if ready.count > roomReady {
                ready = Array(ready.prefix(roomReady))
                truncated = true
            }
            total += ready.count
            let roomNotReady = max(0, maxAddresses - total)
            if notReady.count > roomNotReady {
                notReady = Array(notReady.prefix(roomNotReady))
                truncated = true
            }
            total += notReady.count
            var subset = JSONObject()
            if !ready.isEmpty { subset["addresses"] = .array(ready) }
            if !notReady.isEmpty { subset["notReadyAddresses"] = .array(notReady) }
            if ready.isEmpty && notReady.isEmpty { continue }
            if !ports.isEmpty { subset["ports"] = .array(ports) }
            out.append(.object(subset))
        }
        var labels = JSONObject()
        for (k, v) in service.labels.sorted(by: { $0.key < $1.key }) { labels[k] = .string(v) }
        if service.isHeadless { labels[headlessLabel] = "" }
        var meta: JSON = ["name": .string(service.name), "namespace": .string(service.namespace)]
        if !labels.isEmpty { meta["labels"] = .object(labels) }
        if truncated { meta["annotations"] = ["endpoints.kubernetes.io/over-capacity": "truncated"] }
        var ep: JSON = ["apiVersion": "v1", "kind": "Endpoints", "metadata": meta]
        if !out.isEmpty { ep["subsets"] = .array(out) }
        return ep
    }
}

/// The pure part of the EndpointSlice mirroring controller: a selector-less Service's
/// hand-written Endpoints, as EndpointSlices.
public enum MirroringPlanner {
    public static let managedBy = "endpointslicemirroring-controller.k8s.io"
    public static let skipMirrorLabel = "endpointslice.kubernetes.io/skip-mirror"

    /// Whether an Endpoints object is mirrored, given the Service of the same name.
    public static func shouldMirror(_ endpoints: JSON, service: Service?) -> Bool {
        guard let service else { return false }
        if endpoints.labels[skipMirrorLabel] == "true" { return false }
        return (service.selector ?? [:]).isEmpty
    }

    /// The slices' contents (no names): one group of slices per subset, at most 1,000 addresses.
    /// A mirrored slice holds up to 1,000 endpoints (kube-controller-manager's
    /// `--mirroring-max-endpoints-per-subset` default), not the 100 of selector slices.
    public static func desiredSlices(_ endpoints: JSON, maxEndpointsPerSlice: Int = 1000) -> [JSON] {
        var labels = JSONObject()
        for (k, v) in endpoints.labels.sorted(by: { $0.key < $1.key }) where k != skipMirrorLabel {
            labels[k] = .string(v)
        }
        labels[EndpointsPlanner.serviceNameLabel] = .string(endpoints.name)
        labels[EndpointsPlanner.managedByLabel] = .string(managedBy)
        let owner: JSON = [
            "apiVersion": "v1", "kind": "Endpoints", "name": .string(endpoints.name), "uid": .string(endpoints.uid),
            "controller": true, "blockOwnerDeletion": true,
        ]
        var out: [JSON] = []
        var total = 0
        for subset in endpoints["subsets"]?.array ?? [] {
            let ports: [JSON] = (subset["ports"]?.array ?? []).map { p in
                var port: JSON = [
                    "name": .string(p["name"]?.string ?? ""), "port": p["port"] ?? .null,
                    "protocol": .string(p["protocol"]?.string ?? "TCP"),
                ]
                if let ap = p["appProtocol"] { port["appProtocol"] = ap }
                return port
            }
            var eps: [JSON] = []
            for (key, ready) in [("addresses", true), ("notReadyAddresses", false)] {
                for a in subset[key]?.array ?? [] where total < 1000 {
                    guard let ip = a["ip"]?.string, IPv4Address(ip) != nil else { continue }
                    var ep: JSON = ["addresses": [.string(ip)], "conditions": ["ready": .bool(ready)]]
                    if let h = a["hostname"] { ep["hostname"] = h }
                    if let n = a["nodeName"] { ep["nodeName"] = n }
                    if let t = a["targetRef"] { ep["targetRef"] = t }
                    eps.append(ep)
                    total += 1
                }
            }
            var i = 0
            repeat {
                let chunk = Array(eps[i..<min(i + maxEndpointsPerSlice, eps.count)])
                out.append([
                    "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                    "metadata": [
                        "generateName": .string("\(endpoints.name)-"), "namespace": .string(endpoints.namespace),
                        "labels": .object(labels), "ownerReferences": [owner],
                    ],
                    "addressType": "IPv4", "endpoints": .array(chunk), "ports": .array(ports),
                ])
                i += maxEndpointsPerSlice
            } while i < eps.count
        }
        return out
    }

    /// The comparable content of a slice: what mirroring sets.
    static func content(_ s: JSON) -> JSON {
        [
            "labels": s[path: ["metadata", "labels"]] ?? .null,
            "owners": s[path: ["metadata", "ownerReferences"]] ?? .null,
            "endpoints": s["endpoints"] ?? [], "ports": s["ports"] ?? [],
        ]
    }

    /// Writes that turn the existing mirrored slices into the desired ones, reusing slices in order.
    public static func plan(desired: [JSON], existing: [JSON]) -> EndpointsPlanner.SlicePlan {
        var plan = EndpointsPlanner.SlicePlan()
        let ordered = existing.sorted { $0.name < $1.name }
        for (i, want) in desired.enumerated() {
            if i < ordered.count {
                guard content(ordered[i]) != content(want) else { continue }
                var s = ordered[i]
                s[path: ["metadata", "labels"]] = want[path: ["metadata", "labels"]]
                s[path: ["metadata", "ownerReferences"]] = want[path: ["metadata", "ownerReferences"]]
                s["endpoints"] = want["endpoints"]
                s["ports"] = want["ports"]
                plan.update.append(s)
            } else {
                plan.create.append(want)
            }
        }
        if ordered.count > desired.count { plan.delete = ordered[desired.count...].map(\.name) }
        return plan
    }
}
