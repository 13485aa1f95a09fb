import Tracking
import Ingestion
import VPPAuth
import Foundation
import Hummingbird
import Logging
import NIOCore
import VPPCore
import VPPStore

/// What one upload request asks for, after the HTTP layer parsed it.
struct UploadInput: Sendable {
    var bytes: [UInt8]
    /// The client's file name, sanitized; a label only (stored in `upload.file_name`).
    var displayName: String
    var kind: IngestKind
    var month: YearMonth?
    var complex: String?
    var encoding: TextEncoding?
    var convention: StampConvention?
    var unit: EnergyUnit?
}

/// The JSON an upload returns.
struct UploadResult: Sendable {
    var status: HTTPResponse.Status
    var report: IngestReport
    /// False when the bytes were ingested before by someone this caller may not see.
    var visible: Bool
}

/// Runs HTTP uploads through the same `Ingestor` as `vpp ingest` (issue 7). The body is spooled
/// to a private file named by the server (the client's name is only a sanitized label), ingested
/// in one transaction off the event loop, and every attempt is audited.
struct UploadService: Sendable {
    let storage: Storage
    let settings: ServerSettings
    let logger: Logger
    /// Test hook (`vpp serve --debug-ingest-delay-ms`): sleep this long at each 1 MiB progress
    /// step inside the ingest transaction, so a test can kill the server mid-upload.
    let debugIngestDelayMs: Int


    func upload(_ input: UploadInput, by principal: Principal) async throws -> UploadResult {
        let meter: String?
        do {
            if input.kind == .telemetry {
                // Telemetry names its batteries per row: every one must be in the token's scope.
                meter = nil
                try Authorization.telemetry(for: principal, batteries: TelemetryFileScope.batteryIDs(
                    in: input.bytes, directory: try await storage.sites.assetDirectory()))
            } else {
                meter = try Authorization.uploadMeter(for: principal, requested: input.complex)
            }
        } catch let e as AuthError {
            try? await storage.auth.appendAudit(AuditEvent(at: storage.clock.now(), actor: principal.actor, tokenID: principal.tokenID,
                                              action: "upload.denied", target: input.complex.map { "complex:\($0)" },
                                              outcome: "denied", detail: "\(input.displayName): \(e.description)"))
            throw e
        }
        // Private spool: <spool>/<uuid>/<sanitized name>; removed after the ingest.
        let dir = settings.spoolDirectory + "/" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + input.displayName
        guard FileManager.default.createFile(atPath: path, contents: Data(input.bytes), attributes: [.posixPermissions: 0o600]) else {
            throw VPPError(.internal, "cannot spool upload to \(path)")
        }
        var mapping = IngestMapping()
        mapping.meter = meter
        mapping.month = input.month
        mapping.encoding = input.encoding
        mapping.convention = input.convention
        mapping.unit = input.unit
        let delay = debugIngestDelayMs
        let log = logger
        var progress: (@Sendable (Int64, Int64) -> Void)?
        if delay > 0 {
            progress = { (done: Int64, total: Int64) in
                log.notice("ingest progress \(done)/\(total) bytes")
                FileHandle.standardError.write(Data("vpp serve: ingest progress \(done)/\(total)\n".utf8))
                usleep(UInt32(delay) * 1000)
            }
        }
        // Idempotency per token (the owner who may read the upload back); the owner row is written
        // in the ingest transaction, so a concurrent duplicate always finds it.
        let options = IngestOptions(kind: input.kind, source: principal.office ?? principal.actor, mapping: mapping, progress: progress,
                                    owner: principal.actor,
                                    attribution: UploadAttribution(tokenID: principal.tokenID, office: principal.office, complex: meter),
                                    displayName: input.displayName)
        let storage = self.storage
        let report: IngestReport
        do {
            report = try await Ingestor(storage: storage).ingest(file: path, options: options)
        } catch let e as IngestError {
            var clean = e
            clean.file = input.displayName
            let message = clean.description.replacingOccurrences(of: path, with: input.displayName)
                .replacingOccurrences(of: dir, with: "")
            try? await storage.auth.recordHTTPUpload(uploadID: nil, fresh: false, displayName: input.displayName, principal: principal,
                                        complex: meter, outcome: "refused", detail: message)
            if e.category == .usage {
                throw APIError(.badRequest, "bad_upload_parameters", message)
            }
            throw APIError(.unprocessableContent, "upload_unreadable", message)
        } catch {
            try? await storage.auth.recordHTTPUpload(uploadID: nil, fresh: false, displayName: input.displayName, principal: principal,
                                        complex: meter, outcome: "failed", detail: "\(error)")
            if let c = error as? CategorizedError, c.category == .noInput {
                throw APIError(.serviceUnavailable, "not_ready", "the server has no site loaded yet")
            }
            if let c = error as? CategorizedError, c.category == .temporary {
                throw APIError(.serviceUnavailable, "busy", "the store is busy with another ingest; nothing was ingested, try again",
                               headers: [.retryAfter: "5"])
            }
            throw error
        }
        var r = report
        r.file = input.displayName
        if r.duplicate {
            let owner = try await storage.auth.uploadOwner(uploadID: r.uploadID)
            let visible = Authorization.canRead(uploadOwnedBy: owner, principal)
            try await storage.auth.recordHTTPUpload(uploadID: r.uploadID, fresh: false, displayName: input.displayName, principal: principal,
                                       complex: meter, outcome: "duplicate", detail: "\(input.displayName) sha256 \(r.sha256)")
            return UploadResult(status: .ok, report: r, visible: visible)
        }
        try await storage.auth.recordHTTPUpload(uploadID: r.uploadID, fresh: true, displayName: input.displayName, principal: principal,
                                   complex: meter, outcome: r.status,
                                   detail: "\(input.displayName): \(r.rowsOK) ok, \(r.rowsRejected) rejected, \(r.rowsChanged) changed")
        // Every row rejected: nothing landed (422, as `vpp ingest` exits 65); the body still carries
        // the upload id and its rejects, and the upload blocks no corrected re-send.
        return UploadResult(status: r.allRejected ? .unprocessableContent : .created, report: r, visible: true)
    }

    /// The upload response body.
    func json(_ result: UploadResult) async throws -> String {
        let r = result.report
        guard result.visible else {
            return try APIJSON.encode(UploadResultPayload(
                duplicate: true, status: "duplicate", message: "these exact bytes were already uploaded by another account; nothing changed"))
        }
        var p = UploadResultPayload(uploadID: r.uploadID, duplicate: r.duplicate, status: r.status, file: r.file, kind: r.kind.rawValue,
                                    sha256: r.sha256)
        if r.duplicate {
            if let u = try? await storage.uploads.upload(id: r.uploadID) {
                p.rowsAccepted = u.rowsOK; p.rowsRejected = u.rowsRejected; p.rowsChanged = u.rowsChanged
            }
            p.message = "these exact bytes were already ingested; nothing changed"
        } else {
            p = UploadResultPayload(uploadID: r.uploadID, duplicate: false, status: r.status, file: r.file, kind: r.kind.rawValue,
                                    sha256: r.sha256, rowsAccepted: r.rowsOK, rowsRejected: r.rowsRejected, rowsChanged: r.rowsChanged,
                                    rowsFlagged: r.rowsFlagged, rowsSkipped: r.rowsSkipped, warnings: r.warnings,
                                    firstRejects: Array(r.rejects.prefix(settings.rejectsInline)), seconds: r.seconds)
        }
        return try APIJSON.encode(p)
    }

    /// A safe display/spool name from a client file name: last path component only, no leading
    /// dots, letters (any script), digits, `.-_ ()` kept, the rest `_`, at most 100 characters
    /// and 200 UTF-8 bytes (it names the spool file, and NAME_MAX is 255 bytes).
    static func sanitizeFileName(_ raw: String?, fallbackExtension: String) -> String {
        var name = raw ?? ""
        if let slash = name.lastIndex(where: { $0 == "/" || $0 == "\\" }) { name = String(name[name.index(after: slash)...]) }
        var out = ""
        for ch in name.unicodeScalars {
            if CharacterSet.letters.contains(ch) || CharacterSet.decimalDigits.contains(ch) || ".-_ ()".unicodeScalars.contains(ch) {
                out.unicodeScalars.append(ch)
            } else { out += "_" }
        }
        while out.hasPrefix(".") || out.hasPrefix(" ") { out.removeFirst() }
        out = String(out.prefix(100))
        if out.utf8.count > 200 {
            // Cut the stem, keep a short extension (the ingestor looks at it).
            var ext = ""
            if let dot = out.lastIndex(of: "."), out.distance(from: dot, to: out.endIndex) <= 8 { ext = String(out[dot...]); out = String(out[..<dot]) }
            while out.utf8.count + ext.utf8.count > 200 { out.removeLast() }
            out += ext
        }
        out = out.trimmingCharacters(in: .whitespaces)
        if out.isEmpty || out == "." || out == ".." { out = "upload" + fallbackExtension }
        return out
    }
}
