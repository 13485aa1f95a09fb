import Foundation
import Hummingbird
import Logging
import NIOCore
import OpenADR
import VPPCore
import VPPStore

/// The OpenADR 3.1.0 VTN under `/openadr3/3.1.0` (issue 13): the specification's paths
/// (programs, events, reports, vens, resources, subscriptions, notifiers, auth) with `skip` /
/// `limit` ≤ 50 pagination, `targets` filtering and `problem` bodies for every error. Handlers
/// parse and call `VTN` (OpenADR target), which holds the rules.
extension HTTPServer {
    /// Where the VTN is mounted; a VEN's base URL is `http://HOST:PORT/openadr3/3.1.0`.
    static let openADRBase = "/openadr3/3.1.0"

    /// Mounts the VTN on `router` (the one line in `makeRouter`).
    func addOpenADR(to router: Router<VPPRequestContext>) {
        let notifier = WebhookNotifier()
        let open = router.group(RouterPath(stringLiteral: Self.openADRBase)).add(middleware: ProblemMiddleware(logger: logger))
        addOpenADRAuth(open)
        let api = open.add(middleware: AuthMiddleware(storage: storage, allowCookie: false, refused: refused))
            .add(middleware: RateLimitMiddleware(limiter: limiter))
        addOpenADRObjects(api, notifier: notifier)
    }

    typealias OADRGroup = RouterGroup<VPPRequestContext>
    typealias OADRHandler<T> = @Sendable (Request, VPPRequestContext, VTN, VTN.Caller) async throws -> T

    /// A route answering with the JSON of `T` and `status`.
    func oadr<T: Encodable & Sendable>(_ g: OADRGroup, _ method: HTTPRequest.Method, _ path: String, status: HTTPResponse.Status = .ok,
                                       notifier: WebhookNotifier, _ body: @escaping OADRHandler<T>) {
        let storage = self.storage
        let timeout = settings.requestTimeoutS
        g.on(RouterPath(stringLiteral: path), method: method) { request, context in
            let p = try context.requirePrincipal()
            let result = try await withDeadline(timeout) {
                let vtn = try VTN(storage: storage, notifier: notifier)
                return try await body(request, context, vtn, try await vtn.caller(p))
            }
            return Self.oadrJSON(try VTN.encode(result), status: status)
        }
    }

    /// A GET route answering with JSON bytes the VTN assembled itself.
    func oadrRaw(_ g: OADRGroup, _ path: String, notifier: WebhookNotifier, _ body: @escaping OADRHandler<Data>) {
        let storage = self.storage
        let timeout = settings.requestTimeoutS
        g.get(RouterPath(stringLiteral: path)) { request, context in
            let p = try context.requirePrincipal()
            let data = try await withDeadline(timeout) {
                let vtn = try VTN(storage: storage, notifier: notifier)
                return try await body(request, context, vtn, try await vtn.caller(p))
            }
            return Self.oadrJSON(data, status: .ok)
        }
    }

    func addOpenADRObjects(_ g: OADRGroup, notifier: WebhookNotifier) {
        // Programs
        oadr(g, .get, "/programs", notifier: notifier) { r, _, vtn, c in
            try await vtn.programs(c, targets: Self.targets(r), name: Self.named(r, "PROGRAM_NAME", "programName"), page: try Self.page(r))
        }
        oadr(g, .post, "/programs", status: .created, notifier: notifier) { r, ctx, vtn, c in
            try await vtn.createProgram(c, try await Self.decodeBody(Program.self, r, ctx))
        }
        oadr(g, .get, "/programs/{id}", notifier: notifier) { _, ctx, vtn, c in try await vtn.program(c, id: try Self.objectID(ctx)) }
        oadr(g, .put, "/programs/{id}", notifier: notifier) { r, ctx, vtn, c in
            try await vtn.updateProgram(c, id: try Self.objectID(ctx), try await Self.decodeBody(Program.self, r, ctx))
        }
        oadr(g, .delete, "/programs/{id}", notifier: notifier) { _, ctx, vtn, c in
            RawJSON(try await vtn.delete(c, kind: .program, id: try Self.objectID(ctx)))
        }
        // Events
        oadrRaw(g, "/events", notifier: notifier) { r, _, vtn, c in
            let q = r.uri.queryParameters
            if let a = q.get("active"), a != "true", a != "false" { throw Problem.badRequest("active must be true or false") }
            return try await vtn.eventsJSON(c, programID: try Self.optionalID(r, "programID"), targets: Self.targets(r),
                                            active: q.get("active") == "true", page: try Self.page(r))
        }
        oadr(g, .post, "/events", status: .created, notifier: notifier) { r, ctx, vtn, c in
            try await vtn.createEvent(c, try await Self.decodeBody(Event.self, r, ctx))
        }
        oadr(g, .get, "/events/{id}", notifier: notifier) { _, ctx, vtn, c in try await vtn.event(c, id: try Self.objectID(ctx)) }
        oadr(g, .put, "/events/{id}", notifier: notifier) { r, ctx, vtn, c in
            try await vtn.updateEvent(c, id: try Self.objectID(ctx), try await Self.decodeBody(Event.self, r, ctx))
        }
        oadr(g, .delete, "/events/{id}", notifier: notifier) { _, ctx, vtn, c in
            RawJSON(try await vtn.delete(c, kind: .event, id: try Self.objectID(ctx)))
        }
        // Reports
        oadr(g, .get, "/reports", notifier: notifier) { r, _, vtn, c in
            try await vtn.reports(c, programID: try Self.optionalID(r, "programID"), eventID: try Self.optionalID(r, "eventID"),
                                  clientName: r.uri.queryParameters.get("clientName"), page: try Self.page(r))
        }
        oadr(g, .post, "/reports", status: .created, notifier: notifier) { r, ctx, vtn, c in
            try await vtn.createReport(c, try await Self.decodeBody(Report.self, r, ctx))
        }
        oadr(g, .get, "/reports/{id}", notifier: notifier) { _, ctx, vtn, c in try await vtn.report(c, id: try Self.objectID(ctx)) }
        oadr(g, .put, "/reports/{id}", notifier: notifier) { r, ctx, vtn, c in
            try await vtn.updateReport(c, id: try Self.objectID(ctx), try await Self.decodeBody(Report.self, r, ctx))
        }
        oadr(g, .delete, "/reports/{id}", notifier: notifier) { _, ctx, vtn, c in
            RawJSON(try await vtn.delete(c, kind: .report, id: try Self.objectID(ctx)))
        }
        // VENs
        oadr(g, .get, "/vens", notifier: notifier) { r, _, vtn, c in
            let name = Self.named(r, "VEN_NAME", "venName")
            var vens = try await vtn.vens(c, targets: Self.targets(r), name: name, page: try Self.page(r))
            if let name { vens = vens.filter { $0.venName == name } }
            return vens
        }
        oadr(g, .post, "/vens", status: .created, notifier: notifier) { r, ctx, vtn, c in
            try await vtn.createVen(c, try await Self.decodeBody(Ven.self, r, ctx))
        }
        oadr(g, .get, "/vens/{id}", notifier: notifier) { _, ctx, vtn, c in try await vtn.ven(c, id: try Self.objectID(ctx)) }
        oadr(g, .put, "/vens/{id}", notifier: notifier) { r, ctx, vtn, c in
            try await vtn.updateVen(c, id: try Self.objectID(ctx), try await Self.decodeBody(Ven.self, r, ctx))
        }
        oadr(g, .delete, "/vens/{id}", notifier: notifier) { _, ctx, vtn, c in
            RawJSON(try await vtn.delete(c, kind: .ven, id: try Self.objectID(ctx)))
        }
        // Resources
        oadr(g, .get, "/resources", notifier: notifier) { r, _, vtn, c in
            try await vtn.resources(c, venID: try Self.optionalID(r, "venID"), targets: Self.targets(r), page: try Self.page(r))
        }
        oadr(g, .post, "/resources", status: .created, notifier: notifier) { r, ctx, vtn, c in
            try await vtn.createResource(c, try await Self.decodeBody(Resource.self, r, ctx))
        }
        oadr(g, .get, "/resources/{id}", notifier: notifier) { _, ctx, vtn, c in try await vtn.resource(c, id: try Self.objectID(ctx)) }
        oadr(g, .put, "/resources/{id}", notifier: notifier) { r, ctx, vtn, c in
            try await vtn.updateResource(c, id: try Self.objectID(ctx), try await Self.decodeBody(Resource.self, r, ctx))
        }
        oadr(g, .delete, "/resources/{id}", notifier: notifier) { _, ctx, vtn, c in
            RawJSON(try await vtn.delete(c, kind: .resource, id: try Self.objectID(ctx)))
        }
        // Subscriptions
        oadr(g, .get, "/subscriptions", notifier: notifier) { r, _, vtn, c in
            try await vtn.subscriptions(c, programID: try Self.optionalID(r, "programID"), clientName: r.uri.queryParameters.get("clientName"),
                                        page: try Self.page(r))
        }
        oadr(g, .post, "/subscriptions", status: .created, notifier: notifier) { r, ctx, vtn, c in
            try await vtn.createSubscription(c, try await Self.decodeBody(Subscription.self, r, ctx))
        }
        oadr(g, .get, "/subscriptions/{id}", notifier: notifier) { _, ctx, vtn, c in
            try await vtn.subscription(c, id: try Self.objectID(ctx))
        }
        oadr(g, .put, "/subscriptions/{id}", notifier: notifier) { r, ctx, vtn, c in
            try await vtn.updateSubscription(c, id: try Self.objectID(ctx), try await Self.decodeBody(Subscription.self, r, ctx))
        }
        oadr(g, .delete, "/subscriptions/{id}", notifier: notifier) { _, ctx, vtn, c in
            RawJSON(try await vtn.delete(c, kind: .subscription, id: try Self.objectID(ctx)))
        }
        // Notifiers: webhooks only.
        oadr(g, .get, "/notifiers", notifier: notifier) { _, _, _, _ in NotifiersResponse() }
    }

    /// `/auth/server` and the optional `/auth/token` (client credentials): `client_id` is a vpp
    /// token's key id and `client_secret` the whole token; the answer's access token is that
    /// token (vpp tokens are bearer tokens already; nothing new is minted).
    func addOpenADRAuth(_ g: OADRGroup) {
        let storage = self.storage
        g.get("/auth/server") { request, _ in
            let host = request.head.authority ?? "127.0.0.1"
            return Self.oadrJSON(try VTN.encode(AuthServerInfo(tokenURL: "http://\(host)\(Self.openADRBase)/auth/token")), status: .ok)
        }
        g.post("/auth/token") { request, context in
            var request = request
            let body = try await request.collectBody(upTo: 16 * 1024)
            let form = Self.formFields(String(buffer: body))
            // The specification answers 400 and 401 here with `problem` bodies; the RFC 6749 error
            // code leads the detail.
            func refuse(_ status: HTTPResponse.Status, _ error: String, _ why: String) throws -> Response {
                Self.oadrJSON(try VTN.encode(Problem(status: Int(status.code), title: status.reasonPhrase, detail: "\(error): \(why)")), status: status)
            }
            guard form["grant_type"] == "client_credentials" else {
                return try refuse(.badRequest, "unsupported_grant_type", "grant_type must be client_credentials")
            }
            guard let id = form["client_id"], let secret = form["client_secret"], !id.isEmpty, !secret.isEmpty else {
                return try refuse(.badRequest, "invalid_request", "client_id and client_secret are required")
            }
            guard let p = try? await storage.auth.authenticate(token: secret), p.keyID == id else {
                return try refuse(.unauthorized, "invalid_client", "client_id and client_secret do not match a valid vpp token")
            }
            let scope = p.role == .ven ? "read_targets read_ven_objects write_reports write_subscriptions write_vens"
                : "read_all write_programs write_events write_subscriptions write_vens"
            return Self.oadrJSON(try VTN.encode(ClientCredentialResponse(accessToken: secret, expiresInS: nil, scope: scope)), status: .ok)
        }
    }

    // MARK: - Parsing

    static func oadrJSON(_ data: Data, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `skip` (0…1 000 000) and `limit` (0…50, default 50).
    static func page(_ r: Request) throws -> VTN.Page {
        let q = r.uri.queryParameters
        var p = VTN.Page()
        if let s = q.get("skip") {
            guard let v = Int(s), (0...1_000_000).contains(v) else { throw Problem.badRequest("skip must be an integer in 0…1000000") }
            p.skip = v
        }
        if let s = q.get("limit") {
            guard let v = Int(s), (0...VTN.maxLimit).contains(v) else { throw Problem.badRequest("limit must be an integer in 0…\(VTN.maxLimit)") }
            p.limit = v
        }
        return p
    }

    /// `targets` (repeated or comma-separated); 3.0 clients' `targetValues` too, unless their
    /// `targetType` names an object (PROGRAM_NAME, VEN_NAME: see `named`). Nil when absent.
    static func targets(_ r: Request) -> [String]? {
        let q = r.uri.queryParameters
        let byName = ["PROGRAM_NAME", "VEN_NAME", "RESOURCE_NAME"].contains(q.get("targetType") ?? "")
        let all = (q.getAll("targets") + (byName ? [] : q.getAll("targetValues"))).flatMap { $0.split(separator: ",").map(String.init) }.filter { !$0.isEmpty }
        return all.isEmpty ? nil : all
    }

    /// The name a 3.0-style `targetType=<type>&targetValues=<name>` (python-oa3's
    /// `find_program_by_name`, `find_ven_by_name`) or `<param>=<name>` asks for.
    static func named(_ r: Request, _ type: String, _ param: String) -> String? {
        let q = r.uri.queryParameters
        if q.get("targetType") == type, let v = q.getAll("targetValues").first { return v }
        return q.get(param)
    }

    static func objectID(_ ctx: VPPRequestContext) throws -> String {
        guard let id = ctx.parameters.get("id"), isObjectID(id) else { throw Problem.badRequest("the id must match ^[a-zA-Z0-9_-]{1,128}$") }
        return id
    }

    static func optionalID(_ r: Request, _ name: String) throws -> String? {
        guard let v = r.uri.queryParameters.get(name) else { return nil }
        guard isObjectID(v) else { throw Problem.badRequest("\(name) must match ^[a-zA-Z0-9_-]{1,128}$") }
        return v
    }

    static func isObjectID(_ s: String) -> Bool {
        (1...128).contains(s.utf8.count) && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 }
    }

    /// The JSON body (at most 4 MiB) as `T`; 400 naming the field that does not fit.
    static func decodeBody<T: Decodable>(_ t: T.Type, _ r: Request, _ ctx: VPPRequestContext) async throws -> T {
        var r = r
        await ctx.proceed(r)
        let buf = try await r.collectBody(upTo: 4 * 1024 * 1024)
        do { return try JSONDecoder().decode(t, from: Data(buf.readableBytesView)) } catch let e as DecodingError {
            throw Problem.badRequest("the body is not a valid \(T.self): \(Self.describe(e))")
        }
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ p: [any CodingKey]) -> String { p.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined() }
        switch e {
        case .keyNotFound(let k, let c): return "missing \(path(c.codingPath + [k]))"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "wrong type at \(path(c.codingPath)): \(c.debugDescription)"
        case .dataCorrupted(let c): return "\(path(c.codingPath)) \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }
}

/// A stored object's JSON as is (DELETE answers with the deleted object).
struct RawJSON: Encodable, Sendable {
    let data: Data
    init(_ d: Data) { data = d }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode((try? JSONDecoder().decode(AnyJSON.self, from: data)) ?? .null)
    }
}

/// Any JSON value (for passing a stored body through an Encodable).
enum AnyJSON: Codable, Sendable {
    case null, bool(Bool), int(Int64), double(Double), string(String), array([AnyJSON]), object([String: AnyJSON])
    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([AnyJSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: AnyJSON].self)) }
    }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

/// Every error under the VTN becomes a `problem` body (`application/problem+json` content,
/// sent as application/json as the specification's responses declare) with its status:
/// 400 bad request, 401 missing/invalid/revoked token, 403 forbidden, 404 not found, 409
/// conflict, 429 rate limited, 500 internal (detail only in the server log).
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = VPPRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let r = try await next(request, context)
            return r
        } catch let p as Problem {
            return respond(p, headers: [:])
        } catch let e as VPPError where e.category == .temporary {
            return respond(Problem(status: 503, title: "Service Unavailable", detail: e.message), headers: [.retryAfter: "1"])
        } catch {
            let api = APIError.from(error, logger: logger, requestID: context.id)
            let title = api.status.reasonPhrase
            return respond(Problem(status: Int(api.status.code), title: title, detail: api.message), headers: api.headers)
        }
    }

    func respond(_ p: Problem, headers: HTTPFields) -> Response {
        var h = headers
        h[.contentType] = "application/json"
        h[.cacheControl] = "no-store"
        let body = (try? VTN.encode(p)) ?? Data("{\"status\":500,\"title\":\"Internal Server Error\"}".utf8)
        return Response(status: HTTPResponse.Status(code: p.status), headers: h, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
