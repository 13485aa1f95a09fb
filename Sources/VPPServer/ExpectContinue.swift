import Tracking
import Ingestion
import VPPAuth
import VPPCore
import VPPStore
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTPTypes

/// Sends `100 Continue` for `Expect: 100-continue` only when a route asks for it, i.e. after the
/// request was authenticated from its headers (issue 15: answering it for every request let
/// anonymous clients push 19 MiB bodies). A route that will read the body calls
/// `VPPRequestContext.proceed(_:)`, which triggers `Proceed` on the channel; a request refused
/// before that gets its final status without a go-ahead, so a conforming client never sends the
/// body. Hummingbird 2 itself never sends `100 Continue`.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Outbound user event: the current request may send its body.
    struct Proceed: Sendable {}

    /// The current request waits for `100 Continue` and has had neither it nor a final response.
    private var pending = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): pending = head.headerFields[.expect]?.lowercased() == "100-continue"
        case .body, .end: pending = false   // the client sends without waiting
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .head(let response) = unwrapOutboundIn(data), response.status.kind != .informational { pending = false }
        context.write(data, promise: promise)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is Proceed else { return context.triggerUserOutboundEvent(event, promise: promise) }
        if pending {
            pending = false
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: promise)
        } else {
            promise?.succeed(())
        }
    }
}

extension VPPRequestContext {
    /// Lets a client that sent `Expect: 100-continue` send its body. Call only once the request is
    /// authenticated and its declared length accepted.
    func proceed(_ request: Request) async {
        guard request.headers[.expect]?.lowercased() == "100-continue" else { return }
        try? await channel.triggerUserOutboundEvent(ExpectContinueHandler.Proceed()).get()
    }
}
