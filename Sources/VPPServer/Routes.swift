import Foundation
import Hummingbird
import VPPAuth
import VPPCore
import VPPStore

/// The routes of `vpp serve`, one `RouteCollection` per resource. `makeRouter` mounts the API
/// collections under `/api/v1` behind authentication and the rate limit. Handlers are thin:
/// parse, authorize, call `ReadAPI`/`UploadService`, answer with an API payload (VPPStore/API).
extension HTTPServer {
    typealias Routes = RouteCollection<VPPRequestContext>

    /// Adds a timed GET route answering with the JSON `body` returns; operators only unless
    /// `operatorOnly` is false (the handler then checks what the principal may read).
    func readRoute(_ routes: Routes, _ path: RouterPath = "", operatorOnly: Bool = true,
                   _ body: @escaping @Sendable (Request, VPPRequestContext) async throws -> String) {
        let timeout = settings.requestTimeoutS
        routes.get(path) { request, context in
            let p = try context.requirePrincipal()
            if operatorOnly { try Authorization.requireOperator(p) }
            let text = try await withDeadline(timeout) { try await body(request, context) }
            return jsonResponse(text)
        }
    }

    /// `/`, `/healthz`, `/api/v1/openapi.json`: no authentication.
    func basicRoutes() -> Routes {
        let routes = Routes(context: VPPRequestContext.self)
        routes.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/dashboard"]) }
        routes.get("/healthz") { _, _ in try jsonResponse(payload: HealthPayload()) }
        routes.get("/api/v1/openapi.json") { _, _ in jsonResponse(OpenAPIDocument.json) }
        return routes
    }

    /// `/api/v1/uploads`: POST a file; GET one upload and its rejected rows (offices: their own).
    func uploadRoutes() -> Routes {
        let routes = Routes(context: VPPRequestContext.self)
        let readAPI = self.readAPI
        routes.post { request, context in
            let p = try context.requirePrincipal()
            let input = try await self.readUpload(request, context: context)
            let result = try await self.uploads.upload(input, by: p)
            self.cache.invalidate()
            return jsonResponse(try await self.uploads.json(result), status: result.visible ? result.status : .conflict)
        }
        readRoute(routes, "/{id}", operatorOnly: false) { _, context in
            try await readAPI.uploadJSON(id: try Self.uploadID(context), principal: try context.requirePrincipal())
        }
        readRoute(routes, "/{id}/rejects", operatorOnly: false) { request, context in
            let q = Self.query(request)
            let limit = try queryInt(q, "limit", in: 1...1000) ?? 100
            let offset = try queryInt(q, "offset", in: 0...1_000_000) ?? 0
            return try await readAPI.uploadJSON(id: try Self.uploadID(context), principal: try context.requirePrincipal(),
                                                rejectsLimit: limit, rejectsOffset: offset)
        }
        return routes
    }

    /// `/api/v1/dongs`: the site's dongs and each dong's hourly series (operators).
    func dongRoutes() -> Routes {
        let routes = Routes(context: VPPRequestContext.self)
        let readAPI = self.readAPI
        readRoute(routes) { _, _ in try await readAPI.dongs() }
        readRoute(routes, "/{code}/series") { request, context in
            try await readAPI.series(dong: context.parameters.get("code") ?? "", query: Self.query(request))
        }
        return routes
    }

    /// `/api/v1/forecasts`: the latest forecast run's points (operators).
    func forecastRoutes() -> Routes {
        let routes = Routes(context: VPPRequestContext.self)
        let readAPI = self.readAPI
        readRoute(routes) { request, _ in try await readAPI.forecasts(query: Self.query(request)) }
        return routes
    }

    /// `/api/v1/schedules`: the latest battery schedule (operators).
    func scheduleRoutes() -> Routes {
        let routes = Routes(context: VPPRequestContext.self)
        let readAPI = self.readAPI
        readRoute(routes, "/latest") { _, _ in try await readAPI.latestSchedule() }
        return routes
    }

    /// `/api/v1/report`: the tracking report (operators).
    func reportRoutes() -> Routes {
        let routes = Routes(context: VPPRequestContext.self)
        let readAPI = self.readAPI
        readRoute(routes) { request, _ in try await readAPI.report(query: Self.query(request)) }
        return routes
    }

    /// `/api/v1/audit`: the audit trail, newest first (operators).
    func auditRoutes() -> Routes {
        let routes = Routes(context: VPPRequestContext.self)
        routes.get { request, context in
            try Authorization.requireOperator(try context.requirePrincipal())
            let limit = try queryInt(Self.query(request), "limit", in: 1...1000) ?? 100
            await self.refused.flush()   // counts of refusal windows that are over
            return try jsonResponse(payload: AuditPayload(events: try await self.storage.auth.auditLog(limit: limit)))
        }
        return routes
    }

    /// HTML (issue 16): the upload form, sign-in and sign-out with their own checks, then the
    /// operator pages behind `PageAuthMiddleware` (bearer header or a signed-in session cookie;
    /// a browser without one is sent to /login) and the rate limit. Office users reach the upload
    /// form and their own uploads; operator pages answer them with a 403 page.
    func pageRoutes() -> Routes {
        let routes = Routes(context: VPPRequestContext.self)
        let pages = Pages(storage: storage, settings: settings, readAPI: readAPI)
        let sessions = self.sessions
        routes.get("/upload") { request, _ in htmlResponse(pages.viewing(sessions.session(request)).uploadForm(message: nil)) }
        routes.post("/upload") { request, context in try await self.formUpload(request, context: context, pages: pages) }
        routes.get("/login") { request, _ in self.loginForm(request, pages: pages, error: nil, status: .ok) }
        routes.post("/login") { request, context in try await self.login(request, context: context, pages: pages) }
        routes.post("/logout") { request, context in try await self.logout(request, context: context, pages: pages) }
        // Middleware added to a collection applies to the routes added after it.
        routes.add(middleware: PageAuthMiddleware(storage: storage, sessions: sessions, pages: pages, refused: refused))
            .add(middleware: RateLimitMiddleware(limiter: limiter))
        operatorPage(routes, "/dashboard", pages) { request, _, pg in try await pg.dashboard(query: Self.query(request)) }
        operatorPage(routes, "/dong/{code}", pages) { request, context, pg in
            try await pg.dongPage(code: context.parameters.get("code") ?? "", query: Self.query(request))
        }
        operatorPage(routes, "/battery/{id}", pages) { request, context, pg in
            try await pg.batteryPage(id: context.parameters.get("id") ?? "", query: Self.query(request))
        }
        operatorPage(routes, "/completeness", pages) { request, _, pg in try await pg.completenessPage(query: Self.query(request)) }
        operatorPage(routes, "/city", pages) { request, _, pg in try await pg.cityPage(query: Self.query(request)) }
        routes.get("/uploads") { request, context in
            let p = try context.requirePrincipal()
            let pg = pages.viewing(sessions.session(request))
            return htmlResponse(try await pg.uploadsPage(principal: p))
        }
        routes.get("/uploads/{id}") { request, context in
            let p = try context.requirePrincipal()
            let pg = pages.viewing(sessions.session(request))
            guard let id = context.parameters.get("id").flatMap(Int64.init), id > 0 else {
                return htmlResponse(pg.message(title: "없는 업로드 No such upload", text: "upload id must be a positive integer", status: 404), status: .notFound)
            }
            guard let html = try await pg.uploadPage(id: id, principal: p) else {
                return htmlResponse(pg.message(title: "없는 업로드 No such upload", text: "upload \(id) not found", status: 404), status: .notFound)
            }
            return htmlResponse(html)
        }
        return routes
    }

    /// A GET page for operators only: others get the 403 page; request errors (bad period, unknown
    /// dong) become an HTML page with their status, never a JSON body.
    func operatorPage(_ routes: Routes, _ path: RouterPath, _ pages: Pages,
                      _ body: @escaping @Sendable (Request, VPPRequestContext, Pages) async throws -> String) {
        let timeout = settings.requestTimeoutS
        let sessions = self.sessions
        routes.get(path) { request, context in
            let p = try context.requirePrincipal()
            let pg = pages.viewing(sessions.session(request))
            guard p.role == .operator else { return htmlResponse(pg.forbidden(principal: p), status: .forbidden) }
            do {
                let html = try await withDeadline(timeout) { try await body(request, context, pg) }
                return htmlResponse(html)
            } catch let e as APIError where e.status.code < 500 {
                return htmlResponse(pg.message(title: "요청 오류 Bad request", text: e.message, status: Int(e.status.code)), status: e.status)
            }
        }
    }

    /// `POST /upload`: a signed-in browser sends its session's CSRF token as the form's first
    /// field; otherwise the plain form carries the API token as its first field (offices paste
    /// it), never a cookie; scripts may send Authorization: Bearer instead. Either way the
    /// credential is checked before the file is read (see readUploadForm, readSessionUploadForm).
    func formUpload(_ request: Request, context: VPPRequestContext, pages: Pages) async throws -> Response {
        let session = request.headers[.authorization] == nil ? sessions.session(request) : nil
        let pages = pages.viewing(session)
        let input: UploadInput, principal: Principal
        do {
            if let session, let p = session.principal {
                (input, principal) = try await readSessionUploadForm(request, context: context, session: session, principal: p)
            } else {
                (input, principal) = try await readUploadForm(request, context: context)
            }
        } catch let e as FormAuthError {
            await refused.record(.init(action: "upload.denied", source: context.sourceAddress, keyID: e.keyID,
                                       outcome: e.auth.code, detail: "POST /upload form"))
            if case .forbidden = e.auth.reason {
                return htmlResponse(pages.uploadForm(message: .init(ok: false, text: e.message)), status: .forbidden)
            }
            return htmlResponse(pages.uploadForm(message: .init(ok: false, text: e.message)), status: .unauthorized,
                                headers: [.wwwAuthenticate: "Bearer realm=\"vpp\""])
        }
        if !limiter.take(principal.tokenID).ok {
            return htmlResponse(pages.uploadForm(message: .init(ok: false, text: "too many requests; try again in a minute")),
                                status: .tooManyRequests)
        }
        do {
            let result = try await uploads.upload(input, by: principal)
            cache.invalidate()
            return htmlResponse(pages.uploadResult(result), status: result.status)
        } catch {
            let e = APIError.from(error, logger: logger, requestID: context.id)
            return htmlResponse(pages.uploadForm(message: .init(ok: false, text: e.message)), status: e.status)
        }
    }

    /// `GET /login`: the sign-in form. A pending (not signed-in) session is started for it so the
    /// form's CSRF token can be checked on POST; its cookie carries only the random session id.
    func loginForm(_ request: Request, pages: Pages, error: String?, status: HTTPResponse.Status, next: String? = nil) -> Response {
        let next = next ?? SessionStore.safeNext(Self.query(request)["next"]) ?? ""
        let pending = sessions.create(principal: nil)
        return htmlResponse(pages.login(error: error, csrf: pending.csrf, next: next), status: status,
                            headers: [.setCookie: SessionStore.cookie(pending.id, request: request)])
    }

    /// `POST /login` (8 KiB form: token, csrf, next): checks the pending session's CSRF token,
    /// authenticates the API token (operator or office) and starts a NEW session (the pending id
    /// is dropped, so a planted id never becomes signed in). Operators go to `next` or the
    /// dashboard; offices to `next` only when it is theirs to see, else the upload page.
    func login(_ request: Request, context: VPPRequestContext, pages: Pages) async throws -> Response {
        var request = request
        await context.proceed(request)   // the token in the form is the authentication
        let body = try await request.collectBody(upTo: 8192)
        let form = Self.formFields(String(buffer: body))
        let next = SessionStore.safeNext(form["next"])
        let again = { (text: String, status: HTTPResponse.Status) -> Response in
            self.loginForm(request, pages: pages, error: text, status: status, next: next)
        }
        guard let pending = sessions.session(request), pending.principal == nil, SessionStore.csrfMatches(form["csrf"], pending) else {
            return again("the sign-in form expired or was not sent by this site; sign in again", .forbidden)
        }
        sessions.remove(pending.id)
        let principal: Principal
        do { principal = try await storage.auth.authenticate(token: form["token"] ?? "") } catch let e as AuthError {
            await refused.record(.init(action: "login.denied", source: context.sourceAddress, keyID: TokenSecret.presentedKeyID(form["token"] ?? ""),
                                       outcome: e.code, detail: "POST /login"))
            return again("not a valid token", .unauthorized)
        }
        guard principal.role == .operator || principal.role == .office else {
            return again("this token cannot sign in to the dashboard (operator or office tokens only)", .forbidden)
        }
        let session = sessions.create(principal: principal)
        let officePaths = ["/upload", "/uploads"]
        var target = principal.role == .operator ? "/dashboard" : "/upload"
        if let next, principal.role == .operator || officePaths.contains(where: { next == $0 || next.hasPrefix($0 + "/") || next.hasPrefix($0 + "?") }) {
            target = next
        }
        return Response(status: .seeOther, headers: [.location: target, .setCookie: SessionStore.cookie(session.id, request: request)])
    }

    /// `POST /logout` (form field csrf): ends the session and clears the cookie.
    func logout(_ request: Request, context: VPPRequestContext, pages: Pages) async throws -> Response {
        var request = request
        await context.proceed(request)
        let body = try await request.collectBody(upTo: 8192)
        let form = Self.formFields(String(buffer: body))
        guard let s = sessions.session(request) else {
            return Response(status: .seeOther, headers: [.location: "/login", .setCookie: SessionStore.clearCookie(request: request)])
        }
        guard SessionStore.csrfMatches(form["csrf"], s) else {
            return htmlResponse(pages.viewing(s).message(title: "로그아웃 실패 Sign-out refused",
                                                         text: "the sign-out form was not sent by this site (CSRF check failed)", status: 403),
                                status: .forbidden)
        }
        sessions.remove(s.id)
        return Response(status: .seeOther, headers: [.location: "/login", .setCookie: SessionStore.clearCookie(request: request)])
    }
}
