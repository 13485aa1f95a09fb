import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import VPPCore

/// The `vpp serve` HTTP application (issue 7): routes, middleware and limits. Handlers are thin
/// and call VPPCore (Ingestor, store queries, Authorization).
struct VPPServer: Sendable {
    let store: VPPStore
    let settings: ServerSettings
    let logger: Logger
    let uploads: UploadService
    let readAPI: ReadAPI
    let cache: ResponseCache
    let limiter: RateLimiter

    init(store: VPPStore, settings: ServerSettings, logger: Logger, debugIngestDelayMs: Int = 0) {
        self.store = store
        self.settings = settings
        self.logger = logger
        self.uploads = UploadService(store: store, settings: settings, logger: logger, debugIngestDelayMs: debugIngestDelayMs)
        self.cache = ResponseCache(store: store, ttlS: settings.cacheTTLS)
        self.readAPI = ReadAPI(store: store, cache: cache)
        self.limiter = RateLimiter(ratePerS: settings.rateLimitPerS, burst: settings.rateBurst)
    }

    /// Removes spooled bodies left behind by a killed server (the store itself rolled back).
    func sweepSpool() {
        let fm = FileManager.default
        try? fm.createDirectory(atPath: settings.spoolDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let cutoff = Date().addingTimeInterval(-3600)
        for name in (try? fm.contentsOfDirectory(atPath: settings.spoolDirectory)) ?? [] {
            let p = settings.spoolDirectory + "/" + name
            if let d = (try? fm.attributesOfItem(atPath: p))?[.modificationDate] as? Date, d < cutoff { try? fm.removeItem(atPath: p) }
        }
    }

    func makeRouter() -> Router<VPPRequestContext> {
        let router = Router(context: VPPRequestContext.self)
        let timeout = settings.requestTimeoutS
        let readAPI = self.readAPI

        /// Registers a GET read route: timed, JSON.
        func readRoute(_ group: RouterGroup<VPPRequestContext>, _ path: RouterPath, operatorOnly: Bool = true,
                       _ body: @escaping @Sendable (Request, VPPRequestContext) throws -> String) {
            group.get(path) { request, context in
                let p = try context.requirePrincipal()
                if operatorOnly { try Authorization.requireOperator(p) }
                let text = try await withDeadline(timeout) { try body(request, context) }
                return jsonResponse(text)
            }
        }

        router.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/dashboard"]) }
        router.get("/healthz") { _, _ in jsonResponse("{\"status\":\"ok\"}") }
        router.get("/api/v1/openapi.json") { _, _ in jsonResponse(OpenAPIDocument.json) }

        let api = router.group("/api/v1")
            .add(middleware: AuthMiddleware(store: store, allowCookie: false))
            .add(middleware: RateLimitMiddleware(limiter: limiter))

        api.post("/uploads") { request, context in
            let p = try context.requirePrincipal()
            let input = try await self.readUpload(request)
            let result = try await self.uploads.upload(input, by: p)
            self.cache.invalidate()
            return jsonResponse(self.uploads.json(result), status: result.visible ? result.status : .conflict)
        }
        readRoute(api, "/uploads/{id}", operatorOnly: false) { request, context in
            try readAPI.uploadJSON(id: try Self.uploadID(context), principal: try context.requirePrincipal())
        }
        readRoute(api, "/uploads/{id}/rejects", operatorOnly: false) { request, context in
            let q = Self.query(request)
            let limit = min(max(Int(q["limit"] ?? "") ?? 100, 1), 1000)
            let offset = min(max(Int(q["offset"] ?? "") ?? 0, 0), 1_000_000)
            return try readAPI.uploadJSON(id: try Self.uploadID(context), principal: try context.requirePrincipal(),
                                          rejectsLimit: limit, rejectsOffset: offset)
        }
        readRoute(api, "/dongs") { _, _ in try readAPI.dongs() }
        readRoute(api, "/dongs/{code}/series") { request, context in
            try readAPI.series(dong: context.parameters.get("code") ?? "", query: Self.query(request))
        }
        readRoute(api, "/forecasts") { request, _ in try readAPI.forecasts(query: Self.query(request)) }
        readRoute(api, "/schedules/latest") { _, _ in try readAPI.latestSchedule() }
        readRoute(api, "/report") { request, _ in try readAPI.report(query: Self.query(request)) }
        api.get("/audit") { request, context in
            try Authorization.requireOperator(try context.requirePrincipal())
            let limit = min(max(Int(Self.query(request)["limit"] ?? "") ?? 100, 1), 1000)
            return jsonResponse("{\"events\":" + (try JSONText.encode(try self.store.auditLog(limit: limit))) + "}")
        }

        // Pages.
        let pages = Pages(store: store, settings: settings, readAPI: readAPI)
        let dashboard = router.group("/dashboard")
            .add(middleware: AuthMiddleware(store: store, allowCookie: true))
            .add(middleware: RateLimitMiddleware(limiter: limiter))
        dashboard.get { request, context in
            try Authorization.requireOperator(try context.requirePrincipal())
            let q = Self.query(request)
            let html = try await withDeadline(timeout) { try pages.dashboard(periodText: q["period"]) }
            return htmlResponse(html)
        }
        router.get("/upload") { _, _ in htmlResponse(pages.uploadForm(message: nil)) }
        router.post("/upload") { request, context in
            // The plain HTML form carries the token as a field (offices paste it), never a cookie.
            let (input, token) = try await self.readUploadForm(request)
            let principal: Principal
            do { principal = try self.store.authenticate(token: token) } catch let e as AuthError {
                try? self.store.appendAudit(AuditEvent(at: self.store.clock.now(), actor: "anonymous", tokenID: nil, action: "upload.denied",
                                                       target: nil, outcome: e.code, detail: "/upload form: \(input.displayName)"))
                return htmlResponse(pages.uploadForm(message: .init(ok: false, text: e.description)), status: .unauthorized)
            }
            if !self.limiter.take(principal.tokenID).ok {
                return htmlResponse(pages.uploadForm(message: .init(ok: false, text: "too many requests; try again in a minute")),
                                    status: .tooManyRequests)
            }
            do {
                let result = try await self.uploads.upload(input, by: principal)
                self.cache.invalidate()
                return htmlResponse(pages.uploadResult(result), status: result.status)
            } catch {
                let e = APIError.from(error, logger: self.logger, requestID: context.id)
                return htmlResponse(pages.uploadForm(message: .init(ok: false, text: e.message)), status: e.status)
            }
        }
        router.post("/login") { request, context in
            var request = request
            let body = try await request.collectBody(upTo: 8192)
            let form = Self.formFields(String(buffer: body))
            guard let token = form["token"], (try? self.store.authenticate(token: token))?.role == .operator else {
                return htmlResponse(pages.login(error: "not a valid operator token"), status: .unauthorized)
            }
            return Response(status: .seeOther, headers: [
                .location: "/dashboard",
                .setCookie: "vpp_token=\(token); Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=43200",
            ])
        }
        router.get("/login") { _, _ in htmlResponse(pages.login(error: nil)) }
        return router
    }

    // MARK: - Request parsing

    static func query(_ request: Request) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in request.uri.queryParameters { out[String(k)] = String(v) }
        return out
    }

    static func uploadID(_ context: VPPRequestContext) throws -> Int64 {
        guard let s = context.parameters.get("id"), let id = Int64(s), id > 0 else {
            throw APIError.badRequest("upload id must be a positive integer", code: "bad_upload_id")
        }
        return id
    }

    static func formFields(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            let k = String(kv[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            let v = kv.count > 1 ? (String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "") : ""
            out[k] = v
        }
        return out
    }

    /// Common checks and body collection: encoding, declared length, arrival time, size.
    func collectBody(_ request: Request) async throws -> [UInt8] {
        if let enc = request.headers[.contentEncoding]?.lowercased().trimmingCharacters(in: .whitespaces), !enc.isEmpty, enc != "identity" {
            throw APIError(.unsupportedMediaType, "unsupported_encoding", "Content-Encoding \(enc) is not accepted; send the file as is")
        }
        let max = settings.maxBodyBytes
        if let cl = request.headers[.contentLength] {
            guard let n = Int(cl), n >= 0 else { throw APIError.badRequest("bad Content-Length", code: "bad_request") }
            if n > max { throw APIError(.contentTooLarge, "body_too_large", "the upload is larger than \(max / (1024 * 1024)) MiB") }
        }
        let body = request.body
        let buffer: ByteBuffer
        do {
            buffer = try await withDeadline(settings.uploadBodyTimeoutS) { try await body.collect(upTo: max) }
        } catch let e as any HTTPResponseError where e.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "body_too_large", "the upload is larger than \(max / (1024 * 1024)) MiB")
        } catch let e as APIError where e.code == "timeout" {
            throw APIError(.requestTimeout, "timeout", "the upload body did not arrive within \(Int(settings.uploadBodyTimeoutS)) s")
        }
        return Array(buffer.readableBytesView)
    }

    static let rawTypes: Set<String> = [
        "text/csv", "text/plain", "application/csv", "application/octet-stream", "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]

    /// Parses `POST /api/v1/uploads`: multipart (fields kind, month, complex, file) or a raw body
    /// with `?kind=&month=&complex=&filename=`.
    func readUpload(_ request: Request) async throws -> UploadInput {
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let q = Self.query(request)
        if mediaType == "multipart/form-data" {
            guard let boundary = MultipartForm.boundary(contentType: contentType) else {
                throw APIError.badRequest("multipart/form-data without a boundary", code: "malformed_multipart")
            }
            let form = try parseMultipart(try await collectBody(request), boundary: boundary)
            return try makeInput(form: form, query: q)
        }
        guard Self.rawTypes.contains(mediaType) else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "Content-Type must be multipart/form-data, text/csv, application/octet-stream or the .xlsx type")
        }
        let bytes = try await collectBody(request)
        return try makeInput(bytes: bytes, fileName: q["filename"], partType: contentType, fields: q)
    }

    func readUploadForm(_ request: Request) async throws -> (UploadInput, String) {
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data"), let boundary = MultipartForm.boundary(contentType: contentType) else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "the upload form posts multipart/form-data")
        }
        let form = try parseMultipart(try await collectBody(request), boundary: boundary)
        let token = (form.field("token") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        return (try makeInput(form: form, query: [:]), token)
    }

    func parseMultipart(_ bytes: [UInt8], boundary: String) throws -> MultipartForm {
        do { return try MultipartForm.parse(bytes, boundary: boundary) } catch MultipartForm.ParseError.malformed(let why) {
            throw APIError.badRequest("malformed multipart body: \(why)", code: "malformed_multipart")
        }
    }

    func makeInput(form: MultipartForm, query: [String: String]) throws -> UploadInput {
        guard let file = form.file else { throw APIError.badRequest("no file part in the form", code: "missing_file") }
        var fields = query
        for name in ["kind", "month", "complex", "encoding", "convention", "unit"] { if let v = form.field(name), !v.isEmpty { fields[name] = v } }
        return try makeInput(bytes: file.body, fileName: file.fileName, partType: file.contentType ?? "", fields: fields)
    }

    func makeInput(bytes: [UInt8], fileName: String?, partType: String, fields: [String: String]) throws -> UploadInput {
        guard !bytes.isEmpty else { throw APIError.badRequest("the file is empty (0 bytes); nothing ingested", code: "empty_upload") }
        guard let kindText = fields["kind"], let kind = IngestKind(rawValue: kindText) else {
            throw APIError.badRequest("kind must be one of \(IngestKind.allCases.map(\.rawValue).joined(separator: ", "))", code: "bad_kind")
        }
        var month: YearMonth?
        if let m = fields["month"], !m.isEmpty {
            guard let ym = YearMonth(m) else { throw APIError.badRequest("month must be YYYY-MM", code: "bad_month") }
            month = ym
        }
        var encoding: TextEncoding?
        if let e = fields["encoding"], !e.isEmpty {
            guard let te = TextEncoding(name: e) else { throw APIError.badRequest("encoding must be utf-8 or cp949", code: "bad_encoding") }
            encoding = te
        } else if let cs = Self.charset(partType) {
            guard let te = TextEncoding(name: cs) else {
                throw APIError(.unsupportedMediaType, "unsupported_charset", "charset \(cs) is not accepted; use utf-8 or euc-kr/cp949")
            }
            encoding = te
        }
        var convention: StampConvention?
        if let c = fields["convention"], !c.isEmpty {
            guard let v = StampConvention(rawValue: c) else {
                throw APIError.badRequest("convention must be hour-beginning or hour-ending", code: "bad_convention")
            }
            convention = v
        }
        var unit: EnergyUnit?
        if let u = fields["unit"], !u.isEmpty {
            guard let v = EnergyUnit(text: u) else { throw APIError.badRequest("unit must be Wh, kWh, MWh, W, kW or MW", code: "bad_unit") }
            unit = v
        }
        let isZip = bytes.count >= 4 && bytes[0] == 0x50 && bytes[1] == 0x4B && bytes[2] == 0x03 && bytes[3] == 0x04
        let ext = isZip ? ".xlsx" : ".csv"
        var name = UploadService.sanitizeFileName(fileName, fallbackExtension: ext)
        let lower = name.lowercased()
        if isZip, !lower.hasSuffix(".xlsx"), !lower.hasSuffix(".xlsm") { name += ".xlsx" }
        if !isZip, lower.hasSuffix(".xlsx") || lower.hasSuffix(".xlsm") {
            throw APIError(.unprocessableContent, "upload_unreadable", "\(name): not a readable .xlsx workbook (no zip header)")
        }
        return UploadInput(bytes: bytes, displayName: name, kind: kind, month: month,
                           complex: fields["complex"].flatMap { $0.isEmpty ? nil : $0 }, encoding: encoding,
                           convention: convention, unit: unit)
    }

    static func charset(_ contentType: String) -> String? {
        for param in contentType.split(separator: ";").dropFirst() {
            let kv = param.split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces).lowercased() == "charset" {
                return kv[1].trimmingCharacters(in: CharacterSet(charactersIn: " \"")).lowercased()
            }
        }
        return nil
    }

    // MARK: - Running

    /// The Hummingbird application with the JSON error responder around the router.
    func makeApplication(onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> Application<ErrorMappingResponder<RouterResponder<VPPRequestContext>>>
    {
        let responder = ErrorMappingResponder(inner: makeRouter().buildResponder(), logger: logger)
        let maxBody = settings.maxBodyBytes
        return Application(
            responder: responder,
            server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler(maxBodyBytes: maxBody)],
                                                idleTimeout: .milliseconds(Int64(settings.idleTimeoutS * 1000)))),
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "vpp"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Serves until SIGTERM/SIGINT, then stops accepting, lets in-flight requests (uploads
    /// included) finish for up to `shutdownGraceS`, and returns. A kill instead rolls the open
    /// ingest transaction back (SQLite WAL), so the store never holds a partial upload.
    func run(shutdownGraceS: Double = 60, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        sweepSpool()
        let app = makeApplication(onRunning: onRunning)
        var config = ServiceGroupConfiguration(services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        config.maximumGracefulShutdownDuration = .milliseconds(Int64(shutdownGraceS * 1000))
        let group = ServiceGroup(configuration: config)
        try await group.run()
    }
}

/// A server started in-process (tests, benchmarks): its bound port and a way to stop it gracefully.
final class RunningServer: Sendable {
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(port: Int, group: ServiceGroup, task: Task<Void, any Error>) { self.port = port; self.group = group; self.task = task }

    /// Starts `server` without signal handlers; returns once it listens.
    static func start(_ server: VPPServer) async throws -> RunningServer {
        server.sweepSpool()
        let (stream, cont) = AsyncStream<Int>.makeStream()
        let app = server.makeApplication { port in cont.yield(port); cont.finish() }
        let group = ServiceGroup(configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [], logger: server.logger))
        let task = Task { try await group.run() }
        var port = 0
        for await p in stream { port = p }
        guard port > 0 else {
            _ = try await task.value
            throw VPPError(.unavailable, "server did not start")
        }
        return RunningServer(port: port, group: group, task: task)
    }

    /// Starts a quiet server over `store` (tests).
    static func start(store: VPPStore, settings: ServerSettings, debugIngestDelayMs: Int = 0) async throws -> RunningServer {
        var logger = Logger(label: "vpp.serve")
        logger.logLevel = .critical
        return try await start(VPPServer(store: store, settings: settings, logger: logger, debugIngestDelayMs: debugIngestDelayMs))
    }

    /// Graceful shutdown: in-flight requests finish first.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}
