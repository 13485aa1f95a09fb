import Tracking
import Ingestion
import VPPAuth
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import VPPCore
import VPPStore

/// Limits and settings of `vpp serve` (issue 7).
public struct ServerSettings: Sendable {
    public init() {}
    public var host = "127.0.0.1"
    public var port = 8080
    /// Largest accepted request body [bytes]; 413 beyond.
    public var maxBodyBytes = 20 * 1024 * 1024
    /// Time a read request may take before 503 `timeout` [s].
    public var requestTimeoutS: Double = 15
    /// Time an upload body may take to arrive [s] (slow clients); ingestion itself is not cut off,
    /// so an upload either commits whole or not at all.
    public var uploadBodyTimeoutS: Double = 120
    /// Connection idle timeout while a request is being read [s] (Hummingbird's idle timer).
    public var idleTimeoutS: Double = 60
    /// Time a client has to send a complete request head [s], counted from the connection's
    /// start and from the end of the previous response, so it is also the keep-alive idle limit.
    /// The upload form's token field must arrive within it too. The connection is closed after it.
    public var headerTimeoutS: Double = 5
    /// Per-token rate limit: sustained requests per second and burst size.
    public var rateLimitPerS: Double = 50
    public var rateBurst: Double = 100
    /// First rejects returned inline with an upload response.
    public var rejectsInline = 20
    /// Read-API response cache lifetime [s]; entries are dropped at once when the data stamp changes
    /// (new upload, forecast or dispatch run, site load), so this only bounds staleness for other writes.
    public var cacheTTLS: Double = 300
    /// Largest total size of cached read-API bodies [bytes]; least recently used bodies are
    /// evicted beyond it, and a body larger than half of it is not cached.
    public var cacheMaxBytes = 64 * 1024 * 1024
    /// Refused authentication attempts are audited once per source, key id and outcome in a
    /// window of this length [s]; later attempts in the window become one row with their count.
    public var refusedAuditWindowS: Int64 = 60
    /// Distinct (source, key id, outcome) keys audited per window before the rest are pooled
    /// into one row (a flood of made-up key ids cannot fill the audit trail either).
    public var refusedAuditMaxKeys = 16
    /// Private folder for spooling upload bodies to the ingestor (never a path from the request).
    public var spoolDirectory: String = FileManager.default.temporaryDirectory.appendingPathComponent("vpp-serve-spool").path
    /// The loaded site (its names lead the page titles); `vpp serve` sets it from the store at
    /// start. The dashboard reads the store's site on every request and falls back to this.
    public var site: SiteInfo? = nil
    /// Dashboard sign-in sessions: timeouts, bound, clock (issue 16).
    public var sessions = SessionSettings()
}

/// Per-request context: the authenticated principal once the auth middleware ran.
struct VPPRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var principal: Principal?
    /// The connection (to send `100 Continue` once the request is authenticated).
    let channel: any Channel
    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
        channel = source.channel
    }

    /// The client's IP address as the audit log names it.
    var sourceAddress: String { channel.remoteAddress?.ipAddress ?? "unknown" }
    /// Only used by Hummingbird's own decoders; uploads enforce `ServerSettings.maxBodyBytes` themselves.
    var maxUploadSize: Int { 64 * 1024 }

    func requirePrincipal() throws -> Principal {
        guard let p = principal else { throw AuthError(.missingToken) }
        return p
    }
}

/// An API error with a stable machine code. The JSON body is
/// `{"error": {"code": "...", "message": "..."}}`; messages never carry internals.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    /// The request parameter at fault (query, path or form field), when there is one.
    var parameter: String?
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, parameter: String? = nil, headers: HTTPFields = [:]) {
        self.status = status; self.code = code; self.message = message; self.parameter = parameter; self.headers = headers
    }

    static func badRequest(_ message: String, code: String = "bad_request", parameter: String? = nil) -> APIError {
        APIError(.badRequest, code, message, parameter: parameter)
    }
    static func notFound(_ what: String) -> APIError { APIError(.notFound, "not_found", "\(what) not found") }

    func response(requestID: String? = nil) -> Response {
        let body = (try? APIJSON.encode(ErrorPayload(code: code, message: message, parameter: parameter, requestID: requestID)))
            ?? "{\"error\":{\"code\":\"internal\",\"message\":\"internal error\"}}"
        var h = headers
        h[.contentType] = "application/json; charset=utf-8"
        h[.cacheControl] = "no-store"
        return Response(status: status, headers: h, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// Maps any error to what the client may see. Unknown errors become 500 `internal` with a
    /// request id; the detail goes only to the server log.
    static func from(_ error: any Error, logger: Logger, requestID: String) -> APIError {
        switch error {
        case let e as APIError: return e
        case let e as AuthError:
            switch e.reason {
            case .missingToken, .invalidToken, .revokedToken:
                return APIError(.unauthorized, e.code, e.description, headers: [.wwwAuthenticate: "Bearer realm=\"vpp\""])
            case .forbidden: return APIError(.forbidden, e.code, e.description)
            case .usage: return APIError(.badRequest, e.code, e.description)
            case .unknownToken: return APIError(.notFound, e.code, "not found")
            }
        case let e as HTTPParserError:
            // The client sent bytes that are not HTTP (a bad chunk size, a broken header): its
            // fault, and the connection cannot be trusted any more.
            return APIError(.badRequest, "malformed_request", "malformed HTTP request: \(e)", headers: [.connection: "close"])
        case let e as HTTPError:
            switch e.status {
            case .notFound: return APIError(.notFound, "not_found", "no such resource")
            case .methodNotAllowed: return APIError(.methodNotAllowed, "method_not_allowed", "method not allowed")
            case .contentTooLarge: return APIError(.contentTooLarge, "body_too_large", "request body too large")
            case .badRequest: return APIError(.badRequest, "bad_request", "bad request")
            default:
                if e.status.code < 500 { return APIError(e.status, "http_\(e.status.code)", e.status.reasonPhrase) }
                logger.error("request \(requestID): \(String(reflecting: e))")
                return APIError(.internalServerError, "internal", "internal error (request \(requestID))")
            }
        case let e as any HTTPResponseError where e.status == .contentTooLarge:
            return APIError(.contentTooLarge, "body_too_large", "request body too large")
        case let e as any HTTPResponseError where e.status.code < 500:
            return APIError(e.status, "http_\(e.status.code)", e.status.reasonPhrase)
        default:
            logger.error("request \(requestID): \(String(reflecting: error))")
            return APIError(.internalServerError, "internal", "internal error (request \(requestID))")
        }
    }
}

/// Outermost responder: every error, including router 404s and framework errors, becomes the
/// JSON error body, and every response gets the security headers.
struct ErrorMappingResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == VPPRequestContext {
    typealias Context = VPPRequestContext
    let inner: Inner
    let logger: Logger

    func respond(to request: Request, context: VPPRequestContext) async throws -> Response {
        var response: Response
        do {
            response = try await inner.respond(to: request, context: context)
        } catch {
            response = APIError.from(error, logger: logger, requestID: context.id).response(requestID: context.id)
        }
        // Framework answers without a body (router 404/405): give them the JSON error too.
        if response.status.code >= 400, response.headers[.contentType] == nil {
            let e = APIError.from(HTTPError(response.status), logger: logger, requestID: context.id)
            response = e.response(requestID: context.id)
        }
        response.headers[.init("X-Content-Type-Options")!] = "nosniff"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        return response
    }
}


/// A JSON response of an API payload (APIJSON: explicit snake_case names, sorted keys).
func jsonResponse(payload: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    jsonResponse(try APIJSON.encode(payload), status: status)
}

func jsonResponse(_ text: String, status: HTTPResponse.Status = .ok, cache: Bool = false) -> Response {
    Response(status: status,
             headers: [.contentType: "application/json; charset=utf-8", .cacheControl: cache ? "private, max-age=5" : "no-store"],
             body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
}

func htmlResponse(_ html: String, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
    var h: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'",
    ]
    for f in extra { h.append(f) }
    return Response(status: status, headers: h, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
}

