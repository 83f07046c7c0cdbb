import Foundation
import KubeAPI
import KubeMachinery
import KubeModel
import Testing

@testable import Controllers

/// The Job controller's decisions, and cron schedules.
@Suite struct JobsTests {
    static func job(_ spec: String, status: JSON = .emptyObject) throws -> Job {
        var s = try JSON.parse(spec)
        if s["template"] == nil {
            s["template"] = ["spec": ["restartPolicy": "Never", "containers": [["name": "c", "image": "i"]]]]
        }
        return Job(["metadata": ["name": "pi", "namespace": "default", "uid": "j1"], "spec": s, "status": status])
    }

    static func pod(
        _ name: String,
        phase: String,
        index: Int? = nil,
        exit: Int? = nil,
        finishedAt: String? = nil
    ) -> Pod {
        var meta: JSON = ["name": .string(name), "namespace": "default", "creationTimestamp": "2026-01-01T00:00:00Z"]
        if let index { meta["annotations"] = [Jobs.indexAnnotation: .string(String(index))] }
        var status: JSON = ["phase": .string(phase)]
        if let exit {
            status["containerStatuses"] = [
                [
                    "name": "c",
                    "state": [
                        "terminated": [
                            "exitCode": JSON(exit), "finishedAt": .string(finishedAt ?? "2026-01-01T00:00:10Z"),
                        ]
                    ],
                ]
            ]
        }
        return Pod(["metadata": meta, "status": status])
    }

    static let now = Timestamp(seconds: 1_767_225_700)  // 2026-01-01T00:01:40Z

    @Test func runsParallelismPodsUntilCompletionsSucceed() throws {
        let j = try Self.job(#"{"completions":5,"parallelism":2}"#)
        #expect(Jobs.plan(j, pods: [], now: Self.now).creates == [nil, nil])
        let some = [
            Self.pod("a", phase: "Succeeded"), Self.pod("b", phase: "Succeeded"), Self.pod("c", phase: "Running"),
        ]
        let p = Jobs.plan(j, pods: some, now: Self.now)
        #expect(p.creates == [nil])
        #expect(p.status["succeeded"] == 2 && p.status["active"] == 1)
        let done = (0..<5).map { Self.pod("p\($0)", phase: "Succeeded") }
        let finished = Jobs.plan(j, pods: done, now: Self.now)
        #expect(finished.creates.isEmpty)
        let types = (finished.status["conditions"]?.array ?? []).compactMap { $0["type"]?.string }
        #expect(types == ["SuccessCriteriaMet", "Complete"])
        #expect(finished.status["completionTime"] == .string(Self.now.rfc3339))
    }

    @Test func indexedJobsRunEachMissingIndexOnce() throws {
        let j = try Self.job(#"{"completions":5,"parallelism":3,"completionMode":"Indexed"}"#)
        let pods = [Self.pod("a", phase: "Succeeded", index: 0), Self.pod("b", phase: "Running", index: 2)]
        let p = Jobs.plan(j, pods: pods, now: Self.now)
        #expect(p.creates == [1, 3])
        #expect(p.status["completedIndexes"] == "0")
        let pod = Jobs.pod(j, index: 3)
        #expect(pod[path: ["metadata", "annotations", Jobs.indexAnnotation]] == "3")
        #expect(pod[path: ["spec", "hostname"]] == "pi-3")
        let env = pod[path: ["spec", "containers"]]?.array?.first?["env"]?.array ?? []
        #expect(env.contains { $0["name"] == "JOB_COMPLETION_INDEX" })
        #expect(Jobs.ranges([0, 1, 2, 4, 6, 7]) == "0-2,4,6-7")
    }

    @Test func failuresBackOffThenExceedTheLimit() throws {
        let j = try Self.job(#"{"completions":1,"parallelism":1,"backoffLimit":1}"#)
        // Failed 90 s ago with 10 s back-off: a new pod now.
        let once = [Self.pod("a", phase: "Failed", exit: 1)]
        #expect(Jobs.plan(j, pods: once, now: Self.now).creates == [nil])
        // Failed a moment ago: wait for the back-off.
        let recent = [Self.pod("a", phase: "Failed", exit: 1, finishedAt: "2026-01-01T00:01:38Z")]
        let waiting = Jobs.plan(j, pods: recent, now: Self.now)
        #expect(waiting.creates.isEmpty && waiting.recheckAfter == .seconds(8))
        let twice = once + [Self.pod("b", phase: "Failed", exit: 1)]
        let failed = Jobs.plan(j, pods: twice, now: Self.now)
        #expect(failed.creates.isEmpty)
        let reason = (failed.status["conditions"]?.array ?? []).first { $0["type"] == "Failed" }?["reason"]
        #expect(reason == "BackoffLimitExceeded")
    }

    @Test func aPodFailurePolicyFailsTheJobOrIgnoresThePod() throws {
        let j = try Self.job(
            #"{"completions":1,"backoffLimit":6,"podFailurePolicy":{"rules":[{"action":"FailJob","onExitCodes":{"operator":"In","values":[42]}},{"action":"Ignore","onExitCodes":{"operator":"In","values":[3]}}]}}"#
        )
        let ignored = Jobs.plan(j, pods: [Self.pod("a", phase: "Failed", exit: 3)], now: Self.now)
        #expect(ignored.status["failed"] == nil && ignored.creates == [nil])
        let fatal = Jobs.plan(j, pods: [Self.pod("b", phase: "Failed", exit: 42)], now: Self.now)
        let failed = (fatal.status["conditions"]?.array ?? []).first { $0["type"] == "Failed" }
        #expect(failed?["reason"] == "PodFailurePolicy")
        #expect(
            failed?["message"]
                == "Container c for pod default/b failed with exit code 42 matching FailJob rule at index 0"
        )
    }

    @Test func deadlinesSuspensionAndTTL() throws {
        let start: JSON = ["startTime": "2026-01-01T00:00:00Z"]
        let late = try Self.job(#"{"completions":1,"activeDeadlineSeconds":60}"#, status: start)
        let p = Jobs.plan(late, pods: [Self.pod("a", phase: "Running")], now: Self.now)
        #expect(p.deletes == ["a"])
        #expect((p.status["conditions"]?.array ?? []).contains { $0["reason"] == "DeadlineExceeded" })
        let suspended = try Self.job(#"{"completions":1,"suspend":true}"#, status: start)
        let s = Jobs.plan(suspended, pods: [Self.pod("a", phase: "Running")], now: Self.now)
        #expect(s.deletes == ["a"] && s.creates.isEmpty && s.status["startTime"] == nil)
        let complete: JSON = [
            "completionTime": "2026-01-01T00:01:00Z",
            "conditions": [["type": "Complete", "status": "True", "lastTransitionTime": "2026-01-01T00:01:00Z"]],
        ]
        let kept = try Self.job(#"{"completions":1,"ttlSecondsAfterFinished":60}"#, status: complete)
        #expect(Jobs.plan(kept, pods: [], now: Self.now).recheckAfter == .seconds(20))
        let gone = try Self.job(#"{"completions":1,"ttlSecondsAfterFinished":30}"#, status: complete)
        #expect(Jobs.plan(gone, pods: [], now: Self.now).deleteJob)
    }

    @Test func cronSchedulesNameTheRightMinutes() throws {
        let utc = try #require(TimeZone(identifier: "UTC"))
        let base = Date(timeIntervalSince1970: 1_767_225_700)  // Thu 2026-01-01 00:01:40 UTC
        func next(_ s: String, _ zone: TimeZone = utc) -> Int64? {
            CronSchedule(s)?.next(after: base, in: zone).map { Int64($0.timeIntervalSince1970) }
        }
        #expect(next("* * * * *") == 1_767_225_720)
        #expect(next("*/15 * * * *") == 1_767_226_500)
        #expect(next("30 2 * * *") == 1_767_234_600)
        #expect(next("@hourly") == 1_767_229_200)
        #expect(next("0 0 * * MON") == 1_767_571_200)  // Mon 2026-01-05
        #expect(next("0 9 1-7 * 1") == 1_767_258_000)  // day 1-7 OR Monday: Jan 1 09:00
        let tokyo = try #require(TimeZone(identifier: "Asia/Tokyo"))
        #expect(next("0 9 * * *", tokyo) == 1_767_312_000)  // 09:00 JST on Jan 2 = 00:00 UTC
        for bad in ["", "* * * *", "60 * * * *", "* * * * 8", "*/0 * * * *", "a b c d e", "5-1 * * * *"] {
            #expect(CronSchedule(bad) == nil, "\(bad)")
        }
        #expect(CronSchedule("0 0 30 2 *")?.next(after: base, in: utc) == nil)
    }
}
