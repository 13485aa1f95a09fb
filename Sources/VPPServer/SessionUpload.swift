import Foundation
import Hummingbird
import VPPAuth
import VPPCore

extension HTTPServer {
    /// `POST /upload` from a signed-in browser (issue 16): the form's first field is the session's
    /// CSRF token instead of an API token. As for the token form, only that first part is read
    /// (at most 16 KiB, within `headerTimeoutS`) and checked before `100 Continue` and the file.
    /// A form whose first field is `token` goes the token way (`readUploadForm`'s rules).
    func readSessionUploadForm(_ request: Request, context: VPPRequestContext, session: Session,
                               principal: Principal) async throws -> (UploadInput, Principal) {
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data"), let boundary = MultipartForm.boundary(contentType: contentType) else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "the upload form posts multipart/form-data")
        }
        try checkBodyHeaders(request)
        let reader = BodyReader(request.body, maxBytes: settings.maxBodyBytes)
        _ = try await read(reader, timeoutS: settings.headerTimeoutS, what: "the form's csrf field", until: { bytes in
            MultipartForm.leadingField("csrf", in: bytes, boundary: boundary) != .needMore
        })
        guard case .found(let posted) = MultipartForm.leadingField("csrf", in: reader.bytes, boundary: boundary),
              SessionStore.csrfMatches(posted.trimmingCharacters(in: .whitespacesAndNewlines), session) else {
            throw FormAuthError(auth: AuthError(.forbidden("the form's csrf field is missing or stale; reload the upload page")),
                                message: "the form is stale or was not sent by this site (CSRF check failed); reload the upload page and try again",
                                keyID: principal.keyID)
        }
        await context.proceed(request)
        _ = try await read(reader, timeoutS: settings.uploadBodyTimeoutS, what: "the upload body", until: nil)
        let form = try parseMultipart(reader.bytes, boundary: boundary)
        return (try makeInput(form: form, query: [:]), principal)
    }
}
