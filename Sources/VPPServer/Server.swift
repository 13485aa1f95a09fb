import Tracking
import Ingestion
import VPPAuth
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import VPPCore
import VPPStore

/// The `vpp serve` HTTP application (issue 7): routes, middleware and limits. Handlers are thin
/// and call VPPCore (Ingestor, store queries, Authorization).
public struct HTTPServer: Sendable {
    let storage: Storage
    let settings: ServerSettings
    let logger: Logger
    let uploads: UploadService
    let readAPI: ReadAPI
    let cache: ResponseCache
    let limiter: RateLimiter
    /// Refused authentication attempts, audited once per source and key id per window.
    let refused: RefusedAttemptAudit
    /// Dashboard sign-in sessions (issue 16).
    let sessions: SessionStore

    public init(storage: Storage, settings: ServerSettings, logger: Logger, debugIngestDelayMs: Int = 0) {
        self.storage = storage
        self.settings = settings
        self.logger = logger
        self.uploads = UploadService(storage: storage, settings: settings, logger: logger, debugIngestDelayMs: debugIngestDelayMs)
        self.cache = ResponseCache(storage: storage, ttlS: settings.cacheTTLS, maxBytes: settings.cacheMaxBytes)
        self.readAPI = ReadAPI(storage: storage, cache: cache, siteID: settings.site?.id)
        self.limiter = RateLimiter(ratePerS: settings.rateLimitPerS, burst: settings.rateBurst)
        self.sessions = SessionStore(settings: settings.sessions, clock: storage.clock)
        self.refused = RefusedAttemptAudit(storage: storage, windowS: settings.refusedAuditWindowS, maxKeys: settings.refusedAuditMaxKeys)
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

    /// The router: unauthenticated basics, the API's resources (each a `RouteCollection`, see
    /// Routes.swift) behind bearer authentication and the rate limit, and the HTML pages.
    func makeRouter() -> Router<VPPRequestContext> {
        let router = Router(context: VPPRequestContext.self)
        router.addRoutes(basicRoutes())
        router.group("/api/v1")
            .add(middleware: AuthMiddleware(storage: storage, allowCookie: false, refused: refused))
            .add(middleware: RateLimitMiddleware(limiter: limiter))
            .addRoutes(uploadRoutes(), atPath: "/uploads")
            .addRoutes(dongRoutes(), atPath: "/dongs")
            .addRoutes(forecastRoutes(), atPath: "/forecasts")
            .addRoutes(scheduleRoutes(), atPath: "/schedules")
            .addRoutes(reportRoutes(), atPath: "/report")
            .addRoutes(auditRoutes(), atPath: "/audit")
            .addRoutes(telemetryRoutes(), atPath: "/telemetry")
            .addRoutes(cityRoutes(), atPath: "/city")
        router.addRoutes(pageRoutes())
        addOpenADR(to: router)
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
            throw APIError.badRequest("upload id must be a positive integer below 2^63", code: "bad_upload_id", parameter: "id")
        }
        return id
    }

    static func formFields(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            // Keeps empty sides, so `=` or `=x` is a pair with an empty name, never an empty array.
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let first = kv.first else { continue }
            let k = String(first).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            let v = kv.count > 1 ? (String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "") : ""
            out[k] = v
        }
        return out
    }

    /// Checks made before any body byte is read: encoding and declared length (413).
    func checkBodyHeaders(_ request: Request) throws {
        if let enc = request.headers[.contentEncoding]?.lowercased().trimmingCharacters(in: .whitespaces), !enc.isEmpty, enc != "identity" {
            throw APIError(.unsupportedMediaType, "unsupported_encoding", "Content-Encoding \(enc) is not accepted; send the file as is")
        }
        let max = settings.maxBodyBytes
        if let cl = request.headers[.contentLength] {
            guard let n = Int(cl), n >= 0 else { throw APIError.badRequest("bad Content-Length", code: "bad_request", parameter: "Content-Length") }
            if n > max { throw APIError(.contentTooLarge, "body_too_large", "the upload is larger than \(max / (1024 * 1024)) MiB") }
        }
    }

    /// Body collection for an authenticated request: header checks, then `100 Continue` if the
    /// client waits for it, then the body within the upload deadline and size limit.
    func collectBody(_ request: Request, context: VPPRequestContext) async throws -> [UInt8] {
        try checkBodyHeaders(request)
        await context.proceed(request)
        let reader = BodyReader(request.body, maxBytes: settings.maxBodyBytes)
        _ = try await read(reader, timeoutS: settings.uploadBodyTimeoutS, what: "the upload body", until: nil)
        return reader.bytes
    }

    /// Reads into `reader` until `until` says enough (true) or the body ends (false), within
    /// `timeoutS`; 413 beyond the size limit, 408 on timeout.
    func read(_ reader: BodyReader, timeoutS: Double, what: String,
              until: (@Sendable ([UInt8]) -> Bool)?) async throws -> Bool {
        do {
            return try await withDeadline(timeoutS) { try await reader.read(until: until) }
        } catch let e as any HTTPResponseError where e.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "body_too_large", "the upload is larger than \(settings.maxBodyBytes / (1024 * 1024)) MiB")
        } catch let e as APIError where e.code == "timeout" {
            throw APIError(.requestTimeout, "timeout", "\(what) did not arrive within \(timeoutS < 1 ? String(timeoutS) : String(Int(timeoutS))) s",
                           headers: [.connection: "close"])
        }
    }

    static let rawTypes: Set<String> = [
        "text/csv", "text/plain", "application/csv", "application/octet-stream", "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]

    /// Parses `POST /api/v1/uploads`: multipart (fields kind, month, complex, file) or a raw body
    /// with `?kind=&month=&complex=&filename=`.
    func readUpload(_ request: Request, context: VPPRequestContext) async throws -> UploadInput {
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let q = Self.query(request)
        if mediaType == "multipart/form-data" {
            guard let boundary = MultipartForm.boundary(contentType: contentType) else {
                throw APIError.badRequest("multipart/form-data without a boundary", code: "malformed_multipart")
            }
            let form = try parseMultipart(try await collectBody(request, context: context), boundary: boundary)
            return try makeInput(form: form, query: q)
        }
        guard Self.rawTypes.contains(mediaType) else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "Content-Type must be multipart/form-data, text/csv, application/octet-stream or the .xlsx type")
        }
        let bytes = try await collectBody(request, context: context)
        return try makeInput(bytes: bytes, fileName: q["filename"], partType: contentType, fields: q)
    }

    /// Parses `POST /upload` and authenticates it before the file is read (issue 15). With an
    /// `Authorization: Bearer` header the token is checked from the headers alone. Otherwise the
    /// token must be the form's first field (as the page puts it): only that part is read (at most
    /// 16 KiB, within `headerTimeoutS`), checked, and only then is `100 Continue` sent and the
    /// rest of the body read. Refusals throw `FormAuthError` (401, audited by the route).
    func readUploadForm(_ request: Request, context: VPPRequestContext) async throws -> (UploadInput, Principal) {
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data"), let boundary = MultipartForm.boundary(contentType: contentType) else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "the upload form posts multipart/form-data")
        }
        let reader = BodyReader(request.body, maxBytes: settings.maxBodyBytes)
        let principal: Principal
        if request.headers[.authorization] != nil {
            do { principal = try await AuthMiddleware(storage: storage, allowCookie: false, refused: refused).authenticate(request) } catch let e as AuthError {
                throw FormAuthError(auth: e, message: e.description, keyID: AuthMiddleware.presentedKeyID(request))
            }
            try checkBodyHeaders(request)
        } else {
            try checkBodyHeaders(request)
            _ = try await read(reader, timeoutS: settings.headerTimeoutS, what: "the form's token field", until: { bytes in
                MultipartForm.leadingField("token", in: bytes, boundary: boundary) != .needMore
            })
            guard case .found(let text) = MultipartForm.leadingField("token", in: reader.bytes, boundary: boundary) else {
                throw FormAuthError(auth: AuthError(.missingToken), message: "authentication required: the token field must come first in the form "
                                    + "(before the file), or send Authorization: Bearer <token>", keyID: nil)
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            do { principal = try await storage.auth.authenticate(token: token) } catch let e as AuthError {
                throw FormAuthError(auth: e, message: e.description, keyID: TokenSecret.presentedKeyID(token))
            }
        }
        await context.proceed(request)
        _ = try await read(reader, timeoutS: settings.uploadBodyTimeoutS, what: "the upload body", until: nil)
        let form = try parseMultipart(reader.bytes, boundary: boundary)
        return (try makeInput(form: form, query: [:]), principal)
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
        if let raw = fileName {
            // The last path component is what a file system would store: more than NAME_MAX
            // (255 bytes) is not a file name any client could have.
            let last = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? raw
            guard last.utf8.count <= 255 else {
                throw APIError.badRequest("the file name is \(last.utf8.count) bytes long (UTF-8); at most 255 bytes", code: "bad_file_name",
                                          parameter: "filename")
            }
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
        let headerTimeoutS = settings.headerTimeoutS
        return Application(
            responder: responder,
            server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionDeadlineHandler(headerTimeoutS: headerTimeoutS),
                                                                            ExpectContinueHandler()],
                                                idleTimeout: .milliseconds(Int64(settings.idleTimeoutS * 1000)))),
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "vpp"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Serves until SIGTERM/SIGINT, then stops accepting, lets in-flight requests (uploads
    /// included) finish for up to `shutdownGraceS`, and returns. A kill instead rolls the open
    /// ingest transaction back (SQLite WAL), so the store never holds a partial upload.
    public func run(shutdownGraceS: Double = 60, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        sweepSpool()
        let app = makeApplication(onRunning: onRunning)
        var config = ServiceGroupConfiguration(services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        config.maximumGracefulShutdownDuration = .milliseconds(Int64(shutdownGraceS * 1000))
        let group = ServiceGroup(configuration: config)
        do { try await group.run() } catch {
            await refused.flush(all: true)
            throw error
        }
        await refused.flush(all: true)
    }
}

/// A server started in-process (tests, benchmarks): its bound port and a way to stop it gracefully.
final class RunningServer: Sendable {
    let port: Int
    let server: HTTPServer
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(port: Int, server: HTTPServer, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port; self.server = server; self.group = group; self.task = task
    }

    /// Starts `server` without signal handlers; returns once it listens.
    static func start(_ server: HTTPServer) async throws -> RunningServer {
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
        return RunningServer(port: port, server: server, group: group, task: task)
    }

    /// Starts a quiet server over `store` (tests).
    static func start(storage: Storage, settings: ServerSettings, debugIngestDelayMs: Int = 0) async throws -> RunningServer {
        var logger = Logger(label: "vpp.serve")
        logger.logLevel = .critical
        return try await start(HTTPServer(storage: storage, settings: settings, logger: logger, debugIngestDelayMs: debugIngestDelayMs))
    }

    /// Graceful shutdown: in-flight requests finish first.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        await server.refused.flush(all: true)
    }
}

/// The upload form's credentials were missing or refused (401 page).
struct FormAuthError: Error {
    var auth: AuthError
    var message: String
    /// Public key id of the presented token, for the audit row.
    var keyID: String?
}

/// The body of one request, read in phases (the form's token part, then the rest). Used by one
/// task at a time: a phase runs to its end, or is cancelled by `withDeadline` and the request is
/// answered without touching the reader again.
final class BodyReader: @unchecked Sendable {
    private var iterator: RequestBody.AsyncIterator
    private(set) var bytes: [UInt8] = []
    let maxBytes: Int

    init(_ body: RequestBody, maxBytes: Int) {
        iterator = body.makeAsyncIterator()
        self.maxBytes = maxBytes
    }

    /// Appends chunks until `until(bytes)` is true (returns true) or the body ends (false).
    func read(until: (([UInt8]) -> Bool)?) async throws -> Bool {
        while let chunk = try await iterator.next() {
            guard bytes.count + chunk.readableBytes <= maxBytes else { throw HTTPError(.contentTooLarge) }
            bytes.append(contentsOf: chunk.readableBytesView)
            if let until, until(bytes) { return true }
        }
        return false
    }
}
