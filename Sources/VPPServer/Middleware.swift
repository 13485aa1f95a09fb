import Tracking
import Ingestion
import VPPAuth
import Foundation
import Hummingbird
import Synchronization
import VPPCore
import VPPStore

/// Reads `Authorization: Bearer <token>` (or, for GET pages only, the `vpp_token` cookie set by
/// the login form), authenticates it against the store and puts the principal in the context.
/// Rejects with 401 `auth_missing` / `auth_invalid` / `auth_revoked`.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = VPPRequestContext
    let storage: Storage
    let allowCookie: Bool
    /// Where refused uploads are audited (aggregated per source and key id).
    let refused: RefusedAttemptAudit

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        do {
            context.principal = try await authenticate(request)
        } catch let e as AuthError {
            // Refused uploads are audited too, even without a principal; the body is never read.
            if request.method == .post {
                await refused.record(.init(action: "upload.denied", source: context.sourceAddress,
                                     keyID: Self.presentedKeyID(request), outcome: e.code,
                                     detail: "POST \(request.uri.path)"))
            }
            throw e
        }
        return try await next(request, context)
    }

    /// The public key id of a bearer token in the Authorization header, if it is token-shaped.
    static func presentedKeyID(_ request: Request) -> String? {
        guard let h = request.headers[.authorization] else { return nil }
        let parts = h.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return TokenSecret.presentedKeyID(parts[1].trimmingCharacters(in: .whitespaces))
    }

    func authenticate(_ request: Request) async throws -> Principal {
        if let h = request.headers[.authorization] {
            let parts = h.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw AuthError(.invalidToken) }
            return try await storage.auth.authenticate(token: String(parts[1]).trimmingCharacters(in: .whitespaces))
        }
        if allowCookie, request.method == .get || request.method == .head, let t = request.cookies["vpp_token"]?.value, !t.isEmpty {
            return try await storage.auth.authenticate(token: t)
        }
        throw AuthError(.missingToken)
    }
}

/// Token bucket per token (issue 7: per-token rate limit). 429 `rate_limited` with Retry-After.
final class RateLimiter: Sendable {
    private struct Bucket { var tokens: Double; var last: UInt64 }
    private let state = Mutex<[Int64: Bucket]>([:])
    let ratePerS: Double
    let burst: Double

    init(ratePerS: Double, burst: Double) { self.ratePerS = ratePerS; self.burst = max(1, burst) }

    /// True when the request may go ahead; otherwise the seconds until one token is back.
    func take(_ key: Int64, now: UInt64 = DispatchTime.now().uptimeNanoseconds) -> (ok: Bool, retryAfterS: Double) {
        state.withLock { buckets in
            var b = buckets[key] ?? Bucket(tokens: burst, last: now)
            let elapsed = Double(now &- b.last) / 1e9
            b.tokens = min(burst, b.tokens + elapsed * ratePerS)
            b.last = now
            if b.tokens >= 1 {
                b.tokens -= 1
                buckets[key] = b
                return (true, 0)
            }
            buckets[key] = b
            return (false, (1 - b.tokens) / ratePerS)
        }
    }
}

struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = VPPRequestContext
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let p = context.principal {
            let r = limiter.take(p.tokenID)
            if !r.ok {
                throw APIError(.tooManyRequests, "rate_limited", "too many requests for this token; retry later",
                               headers: [.retryAfter: String(max(1, Int(r.retryAfterS.rounded(.up))))])
            }
        }
        return try await next(request, context)
    }
}

/// Runs `body`, answering 503 `timeout` once `seconds` have passed even if `body` is stuck in
/// blocking work (a task group would wait for it). On timeout `body`'s task is cancelled before
/// the caller resumes, so a body reader suspended on the request stream lets go of it before
/// Hummingbird drains the rest (two readers of that stream would trap), and its late result is dropped.
func withDeadline<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let gate = ResumeOnce<T>()
    let state = DeadlineState()
    let timeout = APIError(.serviceUnavailable, "timeout", "the request took longer than \(Int(seconds)) s")
    return try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
        gate.arm(c)
        let work = Task {
            var result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            if state.timedOut.withLock({ $0 }) { result = .failure(timeout) }   // e.g. the CancellationError we caused
            state.timer.withLock { $0?.cancel() }
            gate.resume(result)
        }
        let t = Task {
            try? await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
            if Task.isCancelled { return }
            state.timedOut.withLock { $0 = true }
            work.cancel()
            gate.resume(.failure(timeout))
        }
        state.timer.withLock { $0 = t }
    }
}

/// What `withDeadline`'s two tasks share.
private final class DeadlineState: Sendable {
    let timedOut = Mutex(false)
    let timer = Mutex<Task<Void, Never>?>(nil)
}

/// Resumes a continuation exactly once.
final class ResumeOnce<T: Sendable>: Sendable {
    private let state = Mutex<CheckedContinuation<T, any Error>?>(nil)
    func arm(_ c: CheckedContinuation<T, any Error>) { state.withLock { $0 = c } }
    func resume(_ r: Result<T, any Error>) {
        let c = state.withLock { s -> CheckedContinuation<T, any Error>? in defer { s = nil }; return s }
        c?.resume(with: r)
    }
}

/// Authentication of the HTML pages (issue 16): `Authorization: Bearer` (scripts) or the
/// `vpp_session` cookie of a signed-in session (browsers; never the token itself). Without either,
/// a GET is sent to `/login?next=<this page>` (303) and anything else gets a 401 page with a link
/// to it, never a JSON error. The rate limit applies per token as for the API.
struct PageAuthMiddleware: RouterMiddleware {
    typealias Context = VPPRequestContext
    let storage: Storage
    let sessions: SessionStore
    let pages: Pages
    let refused: RefusedAttemptAudit

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if request.headers[.authorization] != nil {
            do {
                context.principal = try await AuthMiddleware(storage: storage, allowCookie: false, refused: refused)
                    .authenticate(request)
            } catch let e as AuthError {
                return htmlResponse(pages.message(title: "인증 실패 Not signed in", text: e.description, status: 401), status: .unauthorized)
            }
        } else if let s = sessions.session(request), let p = s.principal {
            context.principal = p
        } else {
            let here = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            let login = "/login?next=" + (here.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "%2F")
            if request.method == .get || request.method == .head {
                return Response(status: .seeOther, headers: [.location: login])
            }
            return htmlResponse(pages.message(title: "로그인 필요 Sign-in needed", text: "your session ended; sign in again",
                                              link: (login, "로그인 Sign in"), status: 401), status: .unauthorized)
        }
        return try await next(request, context)
    }
}
