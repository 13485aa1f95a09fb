import Tracking
import Ingestion
import VPPAuth
import VPPCore
import VPPStore
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Closes connections that do not send a complete request head in time (issue 15: 200
/// slow-header connections stayed open, HTTP/1.0 connections lingered 60 s).
///
/// Hummingbird's `idleTimeout` restarts on every HTTP part, and no part exists before a head is
/// complete, so it cannot bound the time to send the head. This handler arms a deadline of
/// `headerTimeout` when the connection starts and whenever the last response in flight ends;
/// a complete head disarms it. When it fires with no request in flight the connection is closed,
/// so the same limit is the keep-alive idle time. Requests that ask to close (HTTP/1.0 without
/// keep-alive, `Connection: close` in any spelling) are normalised to `Connection: close`, which
/// makes Hummingbird shut its side right after the response; the deadline then closes the rest.
final class ConnectionDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let headerTimeout: TimeAmount
    private var inFlight = 0
    private var deadline: Scheduled<Void>?

    init(headerTimeoutS: Double) {
        headerTimeout = .nanoseconds(Int64(max(0.001, min(headerTimeoutS, 86_400)) * 1e9))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // HTTP/1.0 is only visible before the conversion to HTTPTypes (which drops the version).
        let ops = context.pipeline.syncOperations
        if let codec = try? ops.handler(type: HTTP1ToHTTPServerCodec.self) {
            try? ops.addHandler(KeepAliveNormalizer(), position: .before(codec))
        }
        if context.channel.isActive { arm(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) { disarm() }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            inFlight += 1
            disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            inFlight = max(0, inFlight - 1)
            if inFlight == 0 { arm(context) }
        }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext) {
        disarm()
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: headerTimeout) { [self] in
            deadline = nil
            if inFlight == 0 { context.close(promise: nil) }
        }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }
}

/// Marks requests that do not keep the connection alive (HTTP/1.0 without `keep-alive`, or a
/// `Connection` header with `close` in it) with exactly `Connection: close`, the form Hummingbird
/// checks before ending a connection after the response.
final class KeepAliveNormalizer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(var head) = unwrapInboundIn(data), !head.isKeepAlive {
            head.headers.replaceOrAdd(name: "connection", value: "close")
            context.fireChannelRead(wrapInboundOut(.head(head)))
            return
        }
        context.fireChannelRead(data)
    }
}
