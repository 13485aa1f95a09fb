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

    /// HTML: the upload form and login (their own authentication), then the dashboard behind
    /// bearer-or-cookie authentication and the rate limit.
    func pageRoutes() -> Routes {
        let routes = Routes(context: VPPRequestContext.self)
        let timeout = settings.requestTimeoutS
        let pages = Pages(storage: storage, settings: settings, readAPI: readAPI)
        routes.get("/upload") { _, _ in htmlResponse(pages.uploadForm(message: nil)) }
        routes.post("/upload") { request, context in try await self.formUpload(request, context: context, pages: pages) }
        routes.post("/login") { request, context in try await self.login(request, context: context, pages: pages) }
        routes.get("/login") { _, _ in htmlResponse(pages.login(error: nil)) }
        // Middleware added to a collection applies to the routes added after it.
        routes.add(middleware: AuthMiddleware(storage: storage, allowCookie: true, refused: refused))
            .add(middleware: RateLimitMiddleware(limiter: limiter))
        routes.get("/dashboard") { request, context in
            try Authorization.requireOperator(try context.requirePrincipal())
            let q = Self.query(request)
            let html = try await withDeadline(timeout) { try await pages.dashboard(periodText: q["period"]) }
            return htmlResponse(html)
        }
        return routes
    }

    /// `POST /upload`: the plain HTML form carries the token as its first field (offices paste
    /// it), never a cookie; scripts may send Authorization: Bearer instead. Either way the token
    /// is checked before the file is read (see readUploadForm).
    func formUpload(_ request: Request, context: VPPRequestContext, pages: Pages) async throws -> Response {
        let input: UploadInput, principal: Principal
        do { (input, principal) = try await readUploadForm(request, context: context) } catch let e as FormAuthError {
            await refused.record(.init(action: "upload.denied", source: context.sourceAddress, keyID: e.keyID,
                                       outcome: e.auth.code, detail: "POST /upload form"))
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

    /// `POST /login`: an 8 KiB form whose operator token becomes the dashboard cookie.
    func login(_ request: Request, context: VPPRequestContext, pages: Pages) async throws -> Response {
        var request = request
        await context.proceed(request)   // the token in the form is the authentication
        let body = try await request.collectBody(upTo: 8192)
        let form = Self.formFields(String(buffer: body))
        guard let token = form["token"], (try? await storage.auth.authenticate(token: token))?.role == .operator else {
            return htmlResponse(pages.login(error: "not a valid operator token"), status: .unauthorized)
        }
        return Response(status: .seeOther, headers: [
            .location: "/dashboard",
            .setCookie: "vpp_token=\(token); Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=43200",
        ])
    }
}
