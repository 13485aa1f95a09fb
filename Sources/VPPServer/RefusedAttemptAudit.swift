import Tracking
import Ingestion
import VPPCore
import VPPStore
import Synchronization
import VPPAuth

/// Audits refused authentication attempts (401s) without letting a flood push real events out
/// of the audit trail (issue 15: 5,586 anonymous rows in 5 s).
///
/// Attempts are grouped by (action, source address, key id tried, outcome). The first attempt
/// of a group in a window of `windowS` seconds is written at once; later ones in that window are
/// only counted, and one row with the count is written when the window is over (at the group's
/// next attempt, at `flush`, or when the server stops). At most `maxKeys` groups are open per
/// window; attempts beyond that are pooled into one group for any source and key id, so made-up
/// key ids cannot fill the trail either. The key id recorded is the public part of a presented
/// `vpp_<key id>_<secret>` token; the secret is never recorded.
public final class RefusedAttemptAudit: Sendable {
    /// One refused request.
    public struct Attempt: Sendable, Equatable {
        /// `upload.denied`, ...
        public var action: String
        /// Client address (`127.0.0.1`), or `unknown`.
        public var source: String
        /// Public key id of the presented token, nil when none was presented or it was not token-shaped.
        public var keyID: String?
        /// The refusal code (`auth_missing`, `auth_invalid`, `auth_revoked`).
        public var outcome: String
        /// What was asked for (`POST /api/v1/uploads`); no secrets.
        public var detail: String

        public init(action: String, source: String, keyID: String?, outcome: String, detail: String) {
            self.action = action; self.source = source; self.keyID = keyID; self.outcome = outcome; self.detail = detail
        }
    }

    private struct Key: Hashable { var action: String, source: String, keyID: String?, outcome: String }
    private struct Window { var start: Int64; var suppressed: Int; var detail: String }
    private struct State { var windows: [Key: Window] = [:] }

    private let state = Mutex(State())
    private let auth: any AuthStore
    private let clock: any WallClock
    public let windowS: Int64
    public let maxKeys: Int

    static let pooledSource = "*"

    public init(storage: Storage, clock: (any WallClock)? = nil, windowS: Int64 = 60, maxKeys: Int = 16) {
        self.auth = storage.auth
        self.clock = clock ?? storage.clock
        self.windowS = max(1, windowS)
        self.maxKeys = max(1, maxKeys)
    }

    /// Records one refused attempt; writes at most one audit row for it now.
    public func record(_ a: Attempt) async {
        let now = clock.now()
        var rows = closeExpired(now: now)
        let immediate: AuditEvent? = state.withLock { s in
            var key = Key(action: a.action, source: a.source, keyID: a.keyID, outcome: a.outcome)
            if s.windows[key] == nil, s.windows.count >= maxKeys {
                key = Key(action: a.action, source: Self.pooledSource, keyID: nil, outcome: a.outcome)
            }
            if var w = s.windows[key] {
                w.suppressed += 1
                s.windows[key] = w
                return nil
            }
            s.windows[key] = Window(start: now, suppressed: 0, detail: a.detail)
            let pooled = key.source == Self.pooledSource
            let first = pooled
                ? "\(a.detail) from \(a.source)\(a.keyID.map { " with key id \($0)" } ?? ""): refused; further refusals from any source "
                    + "in the next \(windowS) s are counted in one row (too many distinct sources and key ids)"
                : "\(a.detail) from \(a.source)\(a.keyID.map { " with key id \($0)" } ?? ""): refused; repeats in the next \(windowS) s are counted in one row"
            return Self.event(key, at: now, detail: first)
        }
        if let immediate { rows.append(immediate) }
        await write(rows)
    }

    /// Writes the counts of every window that is over (or of every open window when `all`).
    public func flush(all: Bool = false) async {
        let now = clock.now()
        await write(closeExpired(now: now, all: all))
    }

    /// Removes the windows that ended by `now` (every window when `all`) and returns the count rows they owe.
    private func closeExpired(now: Int64, all: Bool = false) -> [AuditEvent] {
        state.withLock { s in
            var out: [AuditEvent] = []
            for (key, w) in s.windows where all || now >= w.start + windowS {
                s.windows[key] = nil
                guard w.suppressed > 0 else { continue }
                let end = min(now, w.start + windowS)
                let who = key.source == Self.pooledSource ? "from various sources and key ids"
                    : "from \(key.source)\(key.keyID.map { " with key id \($0)" } ?? "")"
                out.append(Self.event(key, at: end, detail: "\(w.detail) \(who): \(w.suppressed) more refused attempts "
                    + "between \(KSTDateTime(epochSeconds: w.start)) and \(KSTDateTime(epochSeconds: end)) KST (count=\(w.suppressed))"))
            }
            return out.sorted { $0.at < $1.at }
        }
    }

    private static func event(_ key: Key, at: Int64, detail: String) -> AuditEvent {
        AuditEvent(at: at, actor: "anonymous", tokenID: nil, action: key.action, target: key.keyID.map { "token:\($0)" },
                   outcome: key.outcome, detail: detail)
    }

    private func write(_ rows: [AuditEvent]) async {
        guard !rows.isEmpty else { return }
        // The audit trail must not turn a refusal into a 500; a failed write is dropped as before.
        try? await auth.appendAudit(rows)
    }
}

extension TokenSecret {
    /// The public key id of presented token text (`vpp_<16 hex>_…`), even when the secret part
    /// is malformed; nil when the text does not start like a vpp token. Never returns the secret.
    public static func presentedKeyID(_ text: String) -> String? {
        let u = Array(text.utf8.prefix(prefix.utf8.count + 17))
        let p = Array(prefix.utf8)
        guard u.count >= p.count + 16, u.starts(with: p) else { return nil }
        let kid = u[p.count..<(p.count + 16)]
        guard kid.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else { return nil }
        return String(decoding: kid, as: UTF8.self)
    }
}
