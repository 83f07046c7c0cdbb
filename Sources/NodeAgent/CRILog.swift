import Foundation

/// CRI's container log format, as containerd writes it: one record per line,
/// `<RFC 3339 nano timestamp> <stdout|stderr> <P|F> <text>`, where P marks a piece of a
/// line split for its length and F the line's end.
enum CRILog {
    /// The text of the complete records in `data` (with their timestamps if asked);
    /// an unfinished last record waits in `carry` for the next read. Pure.
    static func decode(_ data: Data, timestamps: Bool, carry: inout Data) -> Data {
        var input = carry + data
        carry = Data()
        if let lastNewline = input.lastIndex(of: 0x0A) {
            carry = input[(lastNewline + 1)...]
            input = input[..<(lastNewline + 1)]
        } else {
            carry = input
            return Data()
        }
        var out = Data()
        var partial = false
        for record in input.split(separator: 0x0A, omittingEmptySubsequences: true) {
            let fields = record.split(separator: 0x20, maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count >= 3 else { continue }
            let text = fields.count == 4 ? fields[3] : Data()[...]
            if timestamps, !partial {
                out.append(contentsOf: fields[0])
                out.append(0x20)
            }
            out.append(contentsOf: text)
            partial = fields[2].first == UInt8(ascii: "P")
            if !partial { out.append(0x0A) }
        }
        return out
    }
}
