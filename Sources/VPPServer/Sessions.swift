import Foundation
import Hummingbird
import Synchronization
import VPPCore

/// Settings of the dashboard's sign-in sessions (issue 16).
public struct SessionSettings: Sendable {
    public init() {}
    /// A session unused for this long ends [s].
    public var idleTimeoutS: Int64 = 30 * 60
    /// A session ends this long after sign-in however much it is used [s].
    public var absoluteTimeoutS: Int64 = 8 * 3600
    /// Most sessions (signed in or sign-in forms pending) kept in memory; beyond it the least
    /// recently used one is dropped.
    public var maxSessions = 1000
    /// The clock sessions age by; nil: the store's clock (tests inject one).
    public var clock: (any WallClock)? = nil
}

/// One session: a random id (the only thing the cookie carries), the principal once signed in
/// (nil while only the sign-in form is pending) and the CSRF token its forms must echo.
struct Session: Sendable, Equatable {
    var id: String
    var principal: Principal?
    var csrf: String
    var createdAt: Int64
    var lastSeen: Int64
}

/// Server-side sessions in memory (a restart signs everyone out). The cookie holds a 256-bit
/// random id from the OS CSPRNG, never the API token; ids are compared as dictionary keys and
/// CSRF tokens in constant time.
final class SessionStore: Sendable {
    static let cookieName = "vpp_session"
    let settings: SessionSettings
    let clock: any WallClock
    private let state = Mutex<[String: Session]>([:])

    init(settings: SessionSettings, clock: any WallClock) {
        self.settings = settings
        self.clock = settings.clock ?? clock
    }

    static func randomToken() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(format: "%016llx", g.next() as UInt64) }.joined()
    }

    var count: Int { state.withLock { $0.count } }

    /// Starts a session (signed in when `principal` is given) and returns it.
    func create(principal: Principal?) -> Session {
        let now = clock.now()
        let s = Session(id: Self.randomToken(), principal: principal, csrf: Self.randomToken(), createdAt: now, lastSeen: now)
        state.withLock { all in
            all = all.filter { !expired($0.value, now: now) }
            while all.count >= max(1, settings.maxSessions), let lru = all.min(by: { $0.value.lastSeen < $1.value.lastSeen }) {
                all[lru.key] = nil
            }
            all[s.id] = s
        }
        return s
    }

    /// The live session with this id, its idle timer restarted; nil (and dropped) when expired.
    func lookup(_ id: String?) -> Session? {
        guard let id, !id.isEmpty else { return nil }
        let now = clock.now()
        return state.withLock { all in
            guard var s = all[id] else { return nil }
            if expired(s, now: now) { all[id] = nil; return nil }
            s.lastSeen = now
            all[id] = s
            return s
        }
    }

    func remove(_ id: String) { _ = state.withLock { $0.removeValue(forKey: id) } }

    func expired(_ s: Session, now: Int64) -> Bool {
        now - s.lastSeen >= settings.idleTimeoutS || now - s.createdAt >= settings.absoluteTimeoutS
    }

    /// The request's session from its cookie.
    func session(_ request: Request) -> Session? { lookup(request.cookies[Self.cookieName]?.value) }

    /// Constant-time comparison of a posted CSRF token with the session's.
    static func csrfMatches(_ posted: String?, _ session: Session) -> Bool {
        guard let posted else { return false }
        let a = Array(posted.utf8), b = Array(session.csrf.utf8)
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    /// `Set-Cookie` for a session id: HttpOnly, SameSite=Strict, Path=/, Secure when the request
    /// came over TLS (a TLS-terminating proxy says so with `X-Forwarded-Proto: https`); no
    /// Max-Age, so the browser drops it at exit and the server's timeouts decide the rest.
    static func cookie(_ id: String, request: Request) -> String {
        "\(cookieName)=\(id); Path=/; HttpOnly; SameSite=Strict" + (isTLS(request) ? "; Secure" : "")
    }

    static func clearCookie(request: Request) -> String {
        "\(cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" + (isTLS(request) ? "; Secure" : "")
    }

    static func isTLS(_ request: Request) -> Bool {
        if request.uri.scheme?.rawValue.lowercased() == "https" { return true }
        let proto = request.headers.first { $0.name.canonicalName == "x-forwarded-proto" }?.value ?? ""
        return proto.lowercased().split(separator: ",").first?.trimmingCharacters(in: .whitespaces) == "https"
    }

    /// A safe place to go back to after sign-in: a local path only (never `//host` or a scheme).
    static func safeNext(_ next: String?) -> String? {
        guard let n = next, n.hasPrefix("/"), !n.hasPrefix("//"), !n.hasPrefix("/\\"), n.count <= 2000,
              !n.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        return n
    }
}
