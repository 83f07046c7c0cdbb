import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import Testing

@testable import APIFailover

/// A server that answers a connection's first bytes with its name and closes it (the
/// client speaks first, as in TLS, which is what the proxy carries).
final class Greeter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let name: String
    init(_ name: String) { self.name = name }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let channel = context.channel
        context.writeAndFlush(NIOAny(ByteBuffer(string: name))).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// Collects what a connection receives until it closes.
final class Collector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let received = NIOLockedValueBox("")
    let done: EventLoopPromise<String>
    init(_ done: EventLoopPromise<String>) { self.done = done }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let b = unwrapInboundIn(data)
        received.withLockedValue { $0 += String(buffer: b) }
    }
    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(NIOAny(ByteBuffer(string: "hello")), promise: nil)
    }
    func channelInactive(context: ChannelHandlerContext) { done.succeed(received.withLockedValue { $0 }) }
}

@Suite struct FailoverProxyTests {
    let group = MultiThreadedEventLoopGroup.singleton

    @Test(arguments: [
        ("https://172.30.0.1:6443", "172.30.0.1:6443"), ("https://127.0.0.1:6444/", "127.0.0.1:6444"),
        ("localhost:80", "localhost:80"),
        ("https://host", nil), ("https://:6443", nil), ("https://h:0", nil), ("https://h:70000", nil),
    ])
    func backendParsing(url: String, parsed: String?) {
        #expect(FailoverProxy.Backend(url: url)?.description == parsed)
    }

    func greeter(_ name: String) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { $0.pipeline.addHandler(Greeter(name)) }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func fetch(_ port: Int) async throws -> String {
        let done = group.next().makePromise(of: String.self)
        _ = try await ClientBootstrap(group: group)
            .channelInitializer { $0.pipeline.addHandler(Collector(done)) }
            .connect(host: "127.0.0.1", port: port).get()
        return try await done.futureResult.get()
    }

    @Test func connectionsGoToTheFirstServerThatAcceptsAndStayThere() async throws {
        let a = try await greeter("a"), b = try await greeter("b")
        let deadPort = try await greeter("dead")
        let dead = deadPort.localAddress!.port!
        try await deadPort.close()
        let bound = NIOLockedValueBox(0)
        let proxy = FailoverProxy(
            host: "127.0.0.1",
            port: 0,
            backends: [dead, a.localAddress!.port!, b.localAddress!.port!].map {
                FailoverProxy.Backend(host: "127.0.0.1", port: $0)
            },
            logger: Logger(label: "test")
        ) { port in bound.withLockedValue { $0 = port } }
        let lifecycle = ServiceGroup(
            configuration: .init(services: [.init(service: proxy)], logger: Logger(label: "test"))
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await lifecycle.run() }
            while bound.withLockedValue({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(10)) }
            let port = bound.withLockedValue { $0 }
            #expect(try await fetch(port) == "a")  // past the dead one
            #expect(try await fetch(port) == "a")
            try await a.close()
            let third = try await fetch(port)
            #expect(third == "b", "got \(third)")
            try await b.close()
            #expect(try await fetch(port) == "")  // nobody accepts: closed at once
            await lifecycle.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
