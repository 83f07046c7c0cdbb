import NIOCore
import Testing

@testable import SPDY

@Suite struct HeaderBlockTests {
    @Test func theDictionaryIsSPDY3s() {
        // 1423 bytes, and the Adler-32 that Go's spdystream puts in its zlib header (DICTID):
        // a peer whose dictionary differs cannot inflate a single header block.
        #expect(HeaderBlock.dictionary.count == 1423)
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in HeaderBlock.dictionary {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        #expect(b << 16 | a == 0xe3c6_a7c2)
    }

    @Test func blocksRoundTripWithLowerCaseNames() {
        let raw = HeaderBlock.encode([("StreamType", "data"), ("port", "8080"), ("requestID", "")])
        let back = HeaderBlock.decode(raw)
        #expect(back?.map(\.name) == ["streamtype", "port", "requestid"])
        #expect(back?.map(\.value) == ["data", "8080", ""])
    }

    @Test(
        arguments: [
            [0, 0, 0, 1],  // one pair announced, none there
            [0, 0, 0, 1, 0, 0, 0, 9, 65],  // name longer than the block
            [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],  // empty name
            [0, 0, 0, 0, 7],  // bytes after the last pair
            [0xff, 0xff, 0xff, 0xff],  // absurd count
        ] as [[UInt8]]
    )
    func malformedBlocksAreRefused(_ raw: [UInt8]) {
        #expect(HeaderBlock.decode(raw) == nil)
    }
}

@Suite struct FrameCodingTests {
    func roundTrip(_ frames: [Frame], byteAtATime: Bool = false) throws -> [Frame] {
        let encoder = try FrameEncoder(), decoder = try FrameDecoder()
        var wire = ByteBuffer()
        for f in frames { try encoder.encode(f, into: &wire) }
        if !byteAtATime { return try decoder.decode(wire) }
        var out: [Frame] = []
        while let byte = wire.readSlice(length: 1) { out += try decoder.decode(byte) }
        return out
    }

    static let sample: [Frame] = [
        .synStream(
            stream: 1,
            associated: 0,
            fin: false,
            unidirectional: false,
            headers: [.init("streamtype", "error"), .init("port", "80")]
        ),
        .synReply(stream: 1, fin: false, headers: []),
        // The second block reuses the compression stream of the first.
        .synStream(stream: 3, associated: 0, fin: true, unidirectional: true, headers: [.init("streamtype", "data")]),
        .data(stream: 3, fin: false, payload: ByteBuffer(string: "hello")),
        .data(stream: 3, fin: true, payload: ByteBuffer()),
        .rstStream(stream: 5, status: Frame.cancel),
        .settings([.init(id: 4, value: 100, flags: 1)]),
        .ping(7),
        .goAway(lastStream: 3, status: 0),
        .headers(stream: 1, fin: true, headers: [.init("a", "b\u{0}c")]),
        .windowUpdate(stream: 1, delta: 65536),
    ]

    @Test func framesRoundTrip() throws {
        #expect(try roundTrip(Self.sample) == Self.sample)
    }

    @Test func framesSurviveArrivingOneByteAtATime() throws {
        #expect(try roundTrip(Self.sample, byteAtATime: true) == Self.sample)
    }

    @Test func aDataFrameIsItsStreamFlagsLengthAndPayload() throws {
        var wire = ByteBuffer()
        try FrameEncoder().encode(.data(stream: 5, fin: true, payload: ByteBuffer(string: "ab")), into: &wire)
        #expect(Array(wire.readableBytesView) == [0, 0, 0, 5, 1, 0, 0, 2, 97, 98])
    }

    @Test func unknownControlFramesAreSkipped() throws {
        let wire = ByteBuffer(bytes: [0x80, 3, 0, 42, 0, 0, 0, 2, 9, 9, 0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1])
        #expect(try FrameDecoder().decode(wire) == [.unknown(type: 42), .ping(1)])
    }

    @Test(
        arguments: [
            ([0x80, 2, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1], "SPDY version 2 is not supported (3 is)"),
            ([0x80, 3, 0, 6, 0, 0xff, 0xff, 0xff], "a SPDY frame of 16777215 bytes is over the limit"),
            ([0x80, 3, 0, 3, 0, 0, 0, 4, 0, 0, 0, 1], "a SPDY control frame (type 3) is too short"),
            ([0x80, 3, 0, 2, 0, 0, 0, 8, 0, 0, 0, 1, 1, 2, 3, 4], "a SPDY header block does not inflate"),
        ] as [([UInt8], String)]
    )
    func badBytesAreAnErrorNotACrash(_ bytes: [UInt8], _ message: String) throws {
        #expect(throws: FrameError(description: message)) { try FrameDecoder().decode(ByteBuffer(bytes: bytes)) }
    }
}

@Suite struct SessionTests {
    /// Two sessions joined back to back in memory.
    @Test func streamsCarryHeadersDataAndHalfCloses() async throws {
        let (toServer, toServerSink) = AsyncStream<ByteBuffer>.makeStream()
        let (toClient, toClientSink) = AsyncStream<ByteBuffer>.makeStream()
        let client = Session(role: .client), server = Session(role: .server)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run(reading: toClient) { toServerSink.yield($0) } }
            group.addTask { try await server.run(reading: toServer) { toClientSink.yield($0) } }
            let up = client.open([.init("streamtype", "data"), .init("port", "8080")])
            #expect(up.id == 1)
            var accepted: SessionStream? = nil
            for await s in server.incoming {
                accepted = s
                break
            }
            let down = try #require(accepted)
            #expect(down.header("StreamType") == "data")
            #expect(down.header("port") == "8080")
            down.reply()
            up.write(ByteBuffer(repeating: 7, count: 100_000))
            up.closeWrite()
            var got = 0
            for await chunk in down.inbound { got += chunk.readableBytes }
            #expect(got == 100_000)
            down.write(ByteBuffer(string: "pong"))
            down.closeWrite()
            var answer = ""
            for await chunk in up.inbound { answer += String(buffer: chunk) }
            #expect(answer == "pong")
            client.close()
            server.close()
            toServerSink.finish()
            toClientSink.finish()
            try await group.waitForAll()
        }
    }
}

@Suite struct ResponseHeadTests {
    @Test func aHeadIsReadUpToTheBlankLineAndTheRestIsKept() throws {
        let bytes = ByteBuffer(
            string:
                "HTTP/1.1 101 Switching Protocols\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n\u{80}\u{3}"
        )
        let (head, rest) = try #require(ResponseHead.parse(bytes))
        #expect(head.status == 101 && head.header("x-stream-protocol-version") == "v4.channel.k8s.io")
        #expect(rest.readableBytes == 3)  // U+0080 is two bytes in UTF-8, U+0003 one
    }

    @Test func anIncompleteHeadIsNotYetAHead() {
        #expect(ResponseHead.parse(ByteBuffer(string: "HTTP/1.1 101 Switching\r\nA: b\r\n")) == nil)
    }

    @Test func urlsSplitIntoHostPortAndTarget() {
        let s = UpgradeClient.split("http://127.0.0.1:10010/exec/abc?x=1")
        #expect(s?.0 == "127.0.0.1" && s?.1 == 10010 && s?.2 == "/exec/abc?x=1")
        #expect(UpgradeClient.split("https://x/") == nil)
    }
}
