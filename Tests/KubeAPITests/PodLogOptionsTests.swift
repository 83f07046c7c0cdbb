import KubeMachinery
import Testing

@testable import KubeAPI

@Suite struct PodLogOptionsTests {
    func error(_ query: [String: String]) -> APIError? {
        do {
            _ = try PodLogOptions(query: query, pod: "web")
            return nil
        } catch { return error }
    }

    @Test func goodQueriesDecode() throws {
        let o = try PodLogOptions(
            query: ["container": "c", "follow": "true", "tailLines": "0", "limitBytes": "10", "sinceSeconds": "5"],
            pod: "web"
        )
        #expect(o.container == "c" && o.follow && !o.previous && o.tailLines == 0 && o.limitBytes == 10)
        #expect(o.agentQuery.map(\.0) == ["follow", "tailLines", "limitBytes", "sinceSeconds"])
    }

    /// The reproducer of the crash: a negative limit reached `Data.prefix` in the node agent.
    @Test(
        arguments: [
            (
                ["limitBytes": "-1"], 422,
                "PodLogOptions \"web\" is invalid: limitBytes: Invalid value: -1: must be greater than 0"
            ),
            (
                ["limitBytes": "0"], 422,
                "PodLogOptions \"web\" is invalid: limitBytes: Invalid value: 0: must be greater than 0"
            ),
            (
                ["tailLines": "-3"], 422,
                "PodLogOptions \"web\" is invalid: tailLines: Invalid value: -3: must be greater than or equal to 0"
            ),
            (
                ["sinceSeconds": "0"], 422,
                "PodLogOptions \"web\" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0"
            ),
            (["tailLines": "ten"], 400, "strconv.ParseInt: parsing \"ten\": invalid syntax"),
            (
                ["limitBytes": "99999999999999999999"], 400,
                "strconv.ParseInt: parsing \"99999999999999999999\": value out of range"
            ),
        ] as [([String: String], Int, String)]
    )
    func badQueriesAreRefusedAsUpstream(query: [String: String], code: Int, message: String) {
        let e = error(query)
        #expect(e?.code == code)
        #expect(e?.message == message)
    }

    @Test func booleansConvertAsTheAPIServerDoes() throws {
        #expect(try PodLogOptions(query: ["follow": "maybe", "previous": "False"], pod: "p").follow)
        #expect(try !PodLogOptions(query: ["follow": "0"], pod: "p").follow)
        #expect(try !PodLogOptions(query: ["follow": "F", "previous": "false"], pod: "p").previous)
    }

    @Test func sinceSecondsAndSinceTimeExclude() {
        let e = error(["sinceSeconds": "10", "sinceTime": "2026-12-07T00:00:00Z"])
        #expect(e?.code == 422)
        #expect(e?.message.contains("at most one of `sinceTime` or `sinceSeconds` may be specified") == true)
    }
}
