import Foundation
import Testing

@testable import NodeAgent

@Suite struct CRILogTests {
    @Test func recordsBecomeLinesAndSplitLinesAreJoined() {
        var carry: [UInt8] = []
        let log = Data(
            """
            2026-12-07T06:12:29.659923989Z stdout F hello
            2026-12-07T06:12:29.659980443Z stderr P par
            2026-12-07T06:12:29.659983357Z stderr F tial
            2026-12-07T06:12:29.7Z stdout F

            """.utf8
        )
        #expect(
            String(decoding: CRILog.decode(log, timestamps: false, carry: &carry), as: UTF8.self)
                == "hello\npartial\n\n"
        )
        let stamped = String(decoding: CRILog.decode(log, timestamps: true, carry: &carry), as: UTF8.self)
        #expect(stamped.hasPrefix("2026-12-07T06:12:29.659923989Z hello\n2026-12-07T06:12:29.659980443Z partial\n"))
        #expect(carry.isEmpty)
    }

    @Test func anUnfinishedRecordWaitsForTheRestOfIt() {
        var carry: [UInt8] = []
        let first = CRILog.decode(
            Data("2026-12-07T06:12:29Z stdout F one\n2026-12-07T06:12:30Z std".utf8),
            timestamps: false,
            carry: &carry
        )
        #expect(String(decoding: first, as: UTF8.self) == "one\n")
        // A slice of a larger buffer, as reads hand them over.
        let rest = Data("xxout F two\n".utf8).dropFirst(2)
        let second = CRILog.decode(rest, timestamps: false, carry: &carry)
        #expect(String(decoding: second, as: UTF8.self) == "two\n" && carry.isEmpty)
        #expect(CRILog.decode(Data(), timestamps: false, carry: &carry).isEmpty)
        #expect(CRILog.decode(Data("garbage\n".utf8), timestamps: false, carry: &carry).isEmpty)
    }
}
