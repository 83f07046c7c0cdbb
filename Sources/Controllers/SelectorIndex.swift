/// Which Services select a pod, without looking at every Service: each selector is filed
/// under one of its `key=value` pairs (the smallest), so a pod's candidates are the Services
/// filed under its own labels, checked in full. Pure; the Endpoints controller keeps one.
struct SelectorIndex: Sendable, Equatable {
    private(set) var selectors: [String: (namespace: String, selector: [String: String])] = [:]
    private(set) var byPair: [String: Set<String>] = [:]

    static func pairKey(_ namespace: String, _ key: String, _ value: String) -> String {
        "\(namespace)\u{0}\(key)=\(value)"
    }

    /// Files (or re-files) a Service; nil or an empty selector takes it out (it selects no pods).
    mutating func set(_ service: String, namespace: String, selector: [String: String]?) {
        if let old = selectors.removeValue(forKey: service), let pair = old.selector.min(by: { $0.key < $1.key }) {
            let k = Self.pairKey(old.namespace, pair.key, pair.value)
            byPair[k]?.remove(service)
            if byPair[k]?.isEmpty == true { byPair[k] = nil }
        }
        guard let selector, let pair = selector.min(by: { $0.key < $1.key }) else { return }
        selectors[service] = (namespace, selector)
        byPair[Self.pairKey(namespace, pair.key, pair.value), default: []].insert(service)
    }

    /// The Services whose selector matches these labels.
    func matching(namespace: String, labels: [String: String]) -> Set<String> {
        var out: Set<String> = []
        for (k, v) in labels {
            for service in byPair[Self.pairKey(namespace, k, v)] ?? [] {
                if let s = selectors[service], s.selector.allSatisfy({ labels[$0.key] == $0.value }) {
                    out.insert(service)
                }
            }
        }
        return out
    }

    static func == (a: SelectorIndex, b: SelectorIndex) -> Bool {
        a.byPair == b.byPair && a.selectors.count == b.selectors.count
            && a.selectors.allSatisfy { k, v in
                b.selectors[k].map { $0.namespace == v.namespace && $0.selector == v.selector } ?? false
            }
    }
}
