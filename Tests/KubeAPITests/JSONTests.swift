import Testing

@testable import KubeAPI
@testable import KubeMachinery

@Suite struct JSONTests {
    @Test(arguments: [
        ("{}", JSON.emptyObject),
        ("[]", JSON.array([])),
        ("null", JSON.null),
        ("true", JSON.bool(true)),
        ("-12", JSON.int(-12)),
        ("1.5", JSON.double(1.5)),
        ("1e3", JSON.double(1000)),
        ("\"a\\nb\\u00e9\\ud83d\\ude00\"", JSON.string("a\nbé😀")),
        (
            "{\"a\":[1,{\"b\":null}]}",
            JSON.object(JSONObject([("a", .array([.int(1), .object(JSONObject([("b", .null)]))]))]))
        ),
    ])
    func parses(text: String, expected: JSON) throws {
        #expect(try JSON.parse(text) == expected)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "tru", "01", "1.", "\"\u{01}\"", "{} x", "-", "\"\\x\"", "[1 2]"])
    func rejectsMalformed(text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }

    @Test func rejectsDeepNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSON.parse(deep) }
    }

    @Test func roundTripsKeepingKeyOrder() throws {
        let text = #"{"z":1,"a":"x\"y","m":[true,false,null],"n":{"k":-3.25}}"#
        let v = try JSON.parse(text)
        #expect(v.serializedString() == text)
        #expect(v.object?.keys == ["z", "a", "m", "n"])
    }

    @Test func objectEqualityIgnoresOrder() throws {
        #expect(try JSON.parse(#"{"a":1,"b":2}"#) == JSON.parse(#"{"b":2,"a":1}"#))
        #expect(try JSON.parse(#"{"a":1}"#) != JSON.parse(#"{"a":2}"#))
    }

    @Test func pathAccessCreatesIntermediateObjects() {
        var v = JSON.emptyObject
        v[path: ["metadata", "labels", "app"]] = "kiada"
        #expect(v.labels == ["app": "kiada"])
        v[path: ["metadata", "labels", "app"]] = nil
        #expect(v.labels == [:])
    }

    /// A list read one item at a time gives the same items and metadata as parsing it whole.
    @Test(arguments: [
        #"{"kind":"ServiceList","metadata":{"resourceVersion":"42"},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b","labels":{"x":"[]"}}}]}"#,
        #"{"items":[],"kind":"PodList","metadata":{"resourceVersion":"7"}}"#,
        #" { "apiVersion" : "v1" , "items" : [ 1 , "two" , [3] ] } "#,
    ])
    func parsesListsItemByItem(text: String) throws {
        let whole = try JSON.parse(text)
        var items: [JSON] = []
        let rest = try JSON.parseList(Array(text.utf8)) { items.append($0) }
        #expect(items == whole["items"]?.array)
        var withoutItems = whole
        withoutItems["items"] = nil
        #expect(rest == withoutItems)
    }

    @Test(arguments: [#"{"items":[1,}"#, #"{"items":[{"a":1}"#, "[1]", #"{"items":[1]} x"#])
    func refusesBrokenLists(text: String) {
        #expect(throws: (any Error).self) { try JSON.parseList(Array(text.utf8)) { _ in } }
    }

    @Test(arguments: [
        ("a\u{01}\"\\", #""a\u0001\"\\""#),
        ("", #""""#),
        ("plain", #""plain""#),
        ("\"", #""\"""#),
        ("a longer string than fifteen bytes\n", #""a longer string than fifteen bytes\n""#),
        ("\t\r\u{1f}end", #""\t\r\u001fend""#),
        ("é😀 and \\ in the middle", #""é😀 and \\ in the middle""#),
    ])
    func escapesWhatJSONRequires(text: String, json: String) throws {
        #expect(JSON.string(text).serializedString() == json)
        #expect(try JSON.parse(Array(json.utf8)) == .string(text))
    }
}

@Suite struct TimeTests {
    @Test func formatsAndParsesRFC3339() throws {
        let t = try #require(Timestamp(rfc3339: "2026-11-27T08:44:33Z"))
        #expect(t.rfc3339 == "2026-11-27T08:44:33Z")
        #expect(Timestamp(rfc3339: "2024-02-29T23:59:59.123456Z")?.rfc3339Micro == "2024-02-29T23:59:59.123456Z")
        #expect(Timestamp(rfc3339: "2026-11-27T10:44:33+02:00") == t)
        #expect(Timestamp(rfc3339: "1970-01-01T00:00:00Z")?.micros == 0)
        #expect(Timestamp(rfc3339: "not a time") == nil)
        #expect(Timestamp(rfc3339: "2026-13-01T00:00:00Z") == nil)
        #expect(Timestamp(rfc3339: "2026-01-01T00:00:00.1234567891Z")?.rfc3339Micro == "2026-01-01T00:00:00.123456Z")
    }

    @Test(
        arguments: [
            (0, "0s"), (59, "59s"), (119, "119s"), (120, "2m"), (125, "2m5s"), (600, "10m"), (179 * 60, "179m"),
            (3 * 3600, "3h"), (3 * 3600 + 60, "3h1m"), (10 * 3600, "10h"), (50 * 3600, "2d2h"), (48 * 3600, "2d"),
            (30 * 86400, "30d"), (3 * 365 * 86400, "3y"), (-5, "<invalid>"),
        ] as [(Int64, String)]
    )
    func humanDurations(seconds: Int64, text: String) {
        #expect(humanDuration(seconds: seconds) == text)
    }
}
