import Testing

@testable import KubeAPI
@testable import KubeMachinery

@Suite struct SelectorTests {
    let labels = ["app": "kiada", "tier": "web", "env": "prod"]

    @Test(arguments: [
        ("", true), ("app=kiada", true), ("app==kiada", true), ("app!=kiada", false), ("app=quiz", false),
        ("app in (kiada,quiz)", true), ("app notin (kiada)", false), ("tier", true), ("!tier", false),
        ("missing", false), ("!missing", true), ("app=kiada,tier=web", true), ("app=kiada,tier=db", false),
        ("env in (prod), app notin (x, y)", true), ("missing!=x", true),
    ])
    func matchesStringSelectors(selector: String, matches: Bool) throws {
        #expect(try LabelSelector.parse(selector).matches(labels) == matches)
    }

    @Test(arguments: ["app=", "=x", "app in kiada", "app in (a", "a b", "Bad Key=x", "app=bad value!"])
    func rejectsMalformedSelectors(selector: String) {
        if selector == "app=" {
            // An empty value is valid: it selects objects whose label is the empty string.
            #expect((try? LabelSelector.parse(selector)) != nil)
            return
        }
        #expect(throws: LabelSelectorError.self) { try LabelSelector.parse(selector) }
    }

    @Test func structuredSelector() throws {
        let sel: JSON = [
            "matchLabels": ["app": "kiada"],
            "matchExpressions": [
                ["key": "tier", "operator": "In", "values": ["web", "api"]],
                ["key": "legacy", "operator": "DoesNotExist"],
            ],
        ]
        let s = try LabelSelector(structured: sel)
        #expect(s.matches(labels))
        #expect(!s.matches(["app": "kiada", "tier": "db"]))
        #expect(s.description == "app=kiada,tier in (web,api),!legacy")
        #expect(try LabelSelector(structured: nil).matches(labels) == false)
        #expect(try LabelSelector(structured: .emptyObject).matches(labels) == true)
        #expect(throws: LabelSelectorError.self) {
            try LabelSelector(structured: ["matchExpressions": [["key": "a", "operator": "Near"]]])
        }
    }

    @Test func fieldSelectors() throws {
        let pod: JSON = [
            "metadata": ["name": "p1", "namespace": "ns"], "spec": ["nodeName": "node-1"],
            "status": ["phase": "Running"],
        ]
        let r = Resources.pods
        func match(_ s: String) throws -> Bool { try FieldSelector.parse(s).matches { r.fieldValue(pod, $0) } }
        #expect(try match("spec.nodeName=node-1"))
        #expect(try match("spec.nodeName!=node-2,status.phase=Running"))
        #expect(try !match("metadata.name=p2"))
        #expect(try match("metadata.namespace==ns"))
        #expect(throws: LabelSelectorError.self) { try FieldSelector.parse("nonsense") }
    }
}
