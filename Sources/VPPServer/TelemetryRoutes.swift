import Foundation
import Hummingbird
import VPPCore
import VPPStore

extension HTTPServer {
    /// `POST /api/v1/telemetry`: a telemetry CSV (`TelemetryCSVReader`'s format) as the raw body
    /// (`text/csv`) or as the `file` part of a multipart form. The same ingest as
    /// `POST /api/v1/uploads` with `kind=telemetry`: operators post for any battery, battery
    /// tokens only for their own batteries (403, nothing ingested, when one row names another),
    /// office tokens not at all. 201 with the upload's counts and first rejects; 422 when every
    /// row was rejected.
    func telemetryRoutes() -> Routes {
        let routes = Routes(context: VPPRequestContext.self)
        routes.post { request, context in
            let p = try context.requirePrincipal()
            if p.role == .office { throw AuthError(.forbidden("an office token may not post battery telemetry")) }
            var input = try await self.readTelemetry(request, context: context)
            input.kind = .telemetry
            let result = try await self.uploads.upload(input, by: p)
            self.cache.invalidate()
            return jsonResponse(try await self.uploads.json(result), status: result.visible ? result.status : .conflict)
        }
        return routes
    }

    /// The body as an upload of kind telemetry (a `kind` the client sends is overridden).
    private func readTelemetry(_ request: Request, context: VPPRequestContext) async throws -> UploadInput {
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        var q = Self.query(request)
        q["kind"] = IngestKind.telemetry.rawValue
        if mediaType == "multipart/form-data" {
            guard let boundary = MultipartForm.boundary(contentType: contentType) else {
                throw APIError.badRequest("multipart/form-data without a boundary", code: "malformed_multipart")
            }
            let form = try parseMultipart(try await collectBody(request, context: context), boundary: boundary)
            return try makeInput(form: form, query: q)
        }
        guard ["text/csv", "text/plain", "application/csv", "application/octet-stream"].contains(mediaType) else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "Content-Type must be text/csv or multipart/form-data")
        }
        let bytes = try await collectBody(request, context: context)
        return try makeInput(bytes: bytes, fileName: q["filename"] ?? "telemetry.csv", partType: contentType, fields: q)
    }
}
