import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Closes connections that hold the server without sending a request: a
/// request head must be complete within `headerTimeout` of the connection
/// opening or of the previous response ending (so an idle keep-alive
/// connection is closed after it too), and a request body must end within
/// `bodyTimeout` of its head. A slow-header client (one header line a second)
/// gets a 408 and is closed; a stalled body is cut off.
///
/// A request the HTTP parser cannot read (a request line or headers over the
/// 80 KiB limit, say) gets a 400 with a JSON `error` here, instead of
/// Hummingbird's empty one, and the connection closes.
///
/// It sits after Hummingbird's HTTP/1 codec (`HTTP1Channel` additional
/// handlers), where request heads arrive whole; no timer runs while a
/// response is being produced or streamed, so a long export is not cut.
final class RequestTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headerTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private let onTimeout: @Sendable (String) -> Void
    private var timer: Scheduled<Void>?
    /// Requests read whole and not answered yet.
    private var unanswered = 0
    private var readingBody = false

    init(headerTimeout: TimeAmount, bodyTimeout: TimeAmount, onTimeout: @escaping @Sendable (String) -> Void = { _ in }) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.onTimeout = onTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { waitForHead(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        waitForHead(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancel()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            readingBody = true
            arm(context, after: bodyTimeout) { handler, context in
                handler.onTimeout("body")
                context.close(promise: nil)
            }
        case .body:
            break
        case .end:
            readingBody = false
            unanswered += 1
            cancel()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered = max(0, unanswered - 1)
            if unanswered == 0 && !readingBody { waitForHead(context) }
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, unanswered == 0 else {
            context.fireErrorCaught(error)
            return
        }
        cancel()
        let what: String
        switch parserError {
        case .headerOverflow: what = "the request line and headers are larger than the 80 KiB limit (a query string that long is not accepted)"
        case .invalidURL: what = "the request target is not a valid URL"
        case .invalidMethod: what = "the method is not valid"
        case .invalidVersion: what = "the HTTP version is not valid"
        default: what = "the request is not valid HTTP/1.1 (\(parserError))"
        }
        answer(context, status: .badRequest, message: what)
    }

    private func waitForHead(_ context: ChannelHandlerContext) {
        arm(context, after: headerTimeout) { handler, context in
            handler.onTimeout("header")
            handler.answerTimeout(context)
        }
    }

    /// A 408 with a JSON error, then the connection closes.
    private func answerTimeout(_ context: ChannelHandlerContext) {
        let seconds = Double(headerTimeout.nanoseconds) / 1e9
        answer(context, status: .requestTimeout,
               message: "no complete request head within \(seconds) s of the connection opening or the last response: closing the connection")
    }

    /// A JSON error answer, then the connection closes.
    private func answer(_ context: ChannelHandlerContext, status: HTTPResponse.Status, message: String) {
        let escaped = message.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        let text = "{\"error\":\"\(escaped)\"}\n"
        var head = HTTPResponse(status: status)
        head.headerFields[.contentType] = "application/json; charset=utf-8"
        head.headerFields[.contentLength] = "\(text.utf8.count)"
        head.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(string: text))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    private func arm(_ context: ChannelHandlerContext, after delay: TimeAmount,
                     _ fire: @escaping (RequestTimeoutHandler, ChannelHandlerContext) -> Void) {
        cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = loopBound.value
            handler.timer = nil
            fire(handler, context)
        }
    }

    private func cancel() {
        timer?.cancel()
        timer = nil
    }
}
