import Foundation

/// CRI's container log format, as containerd writes it: one record per line,
/// `<RFC 3339 nano timestamp> <stdout|stderr> <P|F> <text>`, where P marks a piece of a
/// line split for its length and F the line's end.
enum CRILog {
    /// The text of the complete records in `data` (with their timestamps if asked);
    /// an unfinished last record waits in `carry` for the next read. Pure.
    static func decode(_ data: Data, timestamps: Bool, carry: inout [UInt8]) -> Data {
        var input = carry
        input.append(contentsOf: data)
        guard let lastNewline = input.lastIndex(of: 0x0A) else {
            carry = input
            return Data()
        }
        carry = Array(input[(lastNewline + 1)...])
        var out: [UInt8] = []
        var partial = false
        for record in input[..<lastNewline].split(separator: 0x0A, omittingEmptySubsequences: true) {
            let fields = record.split(separator: 0x20, maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count >= 3 else { continue }
            if timestamps, !partial {
                out.append(contentsOf: fields[0])
                out.append(0x20)
            }
            if fields.count == 4 { out.append(contentsOf: fields[3]) }
            partial = fields[2].first == UInt8(ascii: "P")
            if !partial { out.append(0x0A) }
        }
        return Data(out)
    }
}
