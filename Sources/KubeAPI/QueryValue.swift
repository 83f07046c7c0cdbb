import KubeMachinery

/// Query parameter values converted as the API server's parameter codec converts them, for
/// every endpoint that reads numbers or booleans from a query.
public enum QueryValue {
    /// A query boolean as the API server converts it: absent, `0`, `false` or `f` (any case)
    /// is false, anything else true.
    public static func bool(_ text: String?) -> Bool {
        guard let text else { return false }
        return !(text == "0" || text.lowercased() == "false" || text.lowercased() == "f")
    }

    /// A 64-bit integer, as Go parses it; absent is nil.
    public static func int(_ text: String?) throws(APIError) -> Int? {
        guard let text else { return nil }
        guard let n = Int(text) else {
            let why =
                text.allSatisfy({ $0.isNumber || $0 == "-" || $0 == "+" }) && !text.isEmpty
                ? "value out of range" : "invalid syntax"
            throw APIError.badRequest("strconv.ParseInt: parsing \"\(text)\": \(why)")
        }
        return n
    }
}
