import Testing

@testable import NodeAgent

@Suite struct ImageGCTests {
    let now = ContinuousClock.now
    var policy: ImageGCPolicy {
        var p = ImageGCPolicy()
        p.highThresholdPercent = 85
        p.lowThresholdPercent = 80
        p.minimumAge = .seconds(120)
        return p
    }

    func image(
        _ id: String,
        _ size: UInt64,
        unusedFor seconds: Int64,
        inUse: Bool = false,
        pinned: Bool = false
    )
        -> ImageGCPlan.Candidate
    {
        .init(id: id, size: size, lastUsed: now - .seconds(seconds), inUse: inUse, pinned: pinned)
    }

    @Test func nothingGoesUnderTheHighThreshold() {
        let d = ImageGCPlan.decide(
            [image("a", 10, unusedFor: 999)],
            capacity: 100,
            available: 16,
            policy: policy,
            now: now
        )
        #expect(d.remove.isEmpty && d.shortfall == nil)
    }

    @Test func overItTheLeastRecentlyUsedEligibleImagesGoUntilTheLowThreshold() {
        // 90% used: 10 bytes must go to reach 80%.
        let images = [
            image("recent", 50, unusedFor: 300), image("oldest", 6, unusedFor: 900), image("older", 6, unusedFor: 600),
            image("running", 50, unusedFor: 999, inUse: true), image("pause", 50, unusedFor: 999, pinned: true),
            image("young", 50, unusedFor: 30),
        ]
        let d = ImageGCPlan.decide(images, capacity: 100, available: 10, policy: policy, now: now)
        #expect(d.remove == ["oldest", "older"])
        #expect(d.shortfall == nil)
    }

    @Test func tooLittleEligibleIsAShortfall() {
        let d = ImageGCPlan.decide(
            [image("small", 3, unusedFor: 999), image("running", 50, unusedFor: 999, inUse: true)],
            capacity: 100,
            available: 10,
            policy: policy,
            now: now
        )
        #expect(d.remove == ["small"])
        #expect(d.shortfall?.wanted == 10 && d.shortfall?.found == 3)
    }

    @Test(arguments: [
        ("2m", Duration.seconds(120)), ("90s", .seconds(90)), ("1h30m", .seconds(5400)), ("1.5s", .milliseconds(1500)),
        ("0", .zero),
    ])
    func goDurations(_ text: String, _ expected: Duration) {
        #expect(ImageGCPolicy.duration(text) == expected)
    }

    @Test(arguments: ["", "m", "2", "2x", "s2"])
    func badDurations(_ text: String) {
        #expect(ImageGCPolicy.duration(text) == nil)
    }

    @Test func thresholdsAreCheckedWithKubeletsWords() {
        var p = ImageGCPolicy()
        #expect(p.problem == nil)
        p.lowThresholdPercent = 90
        #expect(
            p.problem
                == "invalid configuration: imageGCLowThresholdPercent (--image-gc-low-threshold) 90 must be less than imageGCHighThresholdPercent (--image-gc-high-threshold) 85"
        )
        p.highThresholdPercent = 101
        #expect(p.problem?.contains("must be between 0 and 100, inclusive") == true)
    }
}
