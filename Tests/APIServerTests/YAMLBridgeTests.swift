import KubeMachinery
import Testing

@testable import APIServer

@Suite struct YAMLBridgeTests {
    /// Nine levels of nine aliases each: 1.3 KB that expanded to gigabytes and aborted the
    /// server. It is refused with go-yaml's words, at once.
    @Test func nestedAliasesAreRefusedBeforeTheyExpand() {
        var lines = ["a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
        let names = ["b", "c", "d", "e", "f", "g", "h", "i"]
        var previous = "a"
        for n in names {
            lines.append("\(n): &\(n) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]")
            previous = n
        }
        let text = lines.joined(separator: "\n")
        #expect(text.utf8.count < 1_500)
        do {
            _ = try YAMLBridge.parse(text)
            Issue.record("a billion laughs was accepted")
        } catch {
            #expect(
                "\(error)" == "error converting YAML to JSON: yaml: document contains excessive aliasing"
            )
        }
    }

    @Test func modestAnchorsStillWork() throws {
        let text = """
            base: &env
              - {name: A, value: "1"}
              - {name: B, value: "2"}
            first: *env
            second: *env
            """
        let json = try YAMLBridge.parse(text)
        #expect(json["second"]?.array?.count == 2 && json[path: ["first"]] == json["base"])
    }
}
