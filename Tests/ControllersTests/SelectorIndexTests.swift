import Testing

@testable import Controllers

@Suite struct SelectorIndexTests {
    @Test func findsExactlyTheServicesWhoseSelectorMatches() {
        var index = SelectorIndex()
        index.set("kiada/quiz", namespace: "kiada", selector: ["app": "quiz"])
        index.set("kiada/quiz-v2", namespace: "kiada", selector: ["app": "quiz", "version": "2"])
        index.set("kiada/all", namespace: "kiada", selector: ["tier": "web"])
        index.set("other/quiz", namespace: "other", selector: ["app": "quiz"])
        index.set("kiada/manual", namespace: "kiada", selector: nil)
        #expect(index.matching(namespace: "kiada", labels: ["app": "quiz"]) == ["kiada/quiz"])
        #expect(
            index.matching(namespace: "kiada", labels: ["app": "quiz", "version": "2", "tier": "web"])
                == ["kiada/quiz", "kiada/quiz-v2", "kiada/all"]
        )
        #expect(index.matching(namespace: "other", labels: ["app": "quiz", "version": "2"]) == ["other/quiz"])
        #expect(index.matching(namespace: "kiada", labels: [:]).isEmpty)
        // A changed selector is re-filed; a removed one is gone.
        index.set("kiada/quiz", namespace: "kiada", selector: ["app": "kiada"])
        #expect(index.matching(namespace: "kiada", labels: ["app": "quiz"]).isEmpty)
        #expect(index.matching(namespace: "kiada", labels: ["app": "kiada"]) == ["kiada/quiz"])
        index.set("kiada/quiz", namespace: "kiada", selector: nil)
        index.set("kiada/quiz-v2", namespace: "kiada", selector: [:])
        #expect(index.matching(namespace: "kiada", labels: ["app": "kiada", "version": "2"]).isEmpty)
        var fresh = SelectorIndex()
        fresh.set("kiada/all", namespace: "kiada", selector: ["tier": "web"])
        fresh.set("other/quiz", namespace: "other", selector: ["app": "quiz"])
        #expect(index == fresh)  // nothing left behind
    }
}
