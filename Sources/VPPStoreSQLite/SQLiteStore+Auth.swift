import Foundation
import GRDB
import VPPCore
import VPPStore
import VPPAuth

/// SQL for API tokens, the audit trail and upload ownership (issue 7).
extension SQLiteStore {
    /// Creates a token and records `token.create` in the audit log in the same transaction.
    /// Returns the token's text, to be shown once: only its salted HMAC is stored.
    public func createToken(role: TokenRole, office: String?, complexes: [String], actor: String = "cli") async throws
        -> (info: TokenInfo, text: String)
    {
        try await createToken(role: role, office: office, complexes: complexes, actor: actor, secret: .generate())
    }

    /// `createToken` with a given secret (tests).
    public func createToken(role: TokenRole, office: String?, complexes: [String], actor: String,
                            secret: TokenSecret) async throws -> (info: TokenInfo, text: String) {
        let office = office?.trimmingCharacters(in: .whitespaces)
        switch role {
        case .office:
            guard let o = office, !o.isEmpty else { throw AuthError(.usage("an office token needs --office NAME")) }
            guard !complexes.isEmpty else { throw AuthError(.usage("an office token needs at least one --complex METER-ID")) }
        case .operator:
            guard complexes.isEmpty else { throw AuthError(.usage("--complex applies to office tokens only")) }
        case .battery:
            guard !complexes.isEmpty else { throw AuthError(.usage("a battery token needs at least one --battery BATTERY-ID")) }
        case .ven:
            guard let o = office, !o.isEmpty else { throw AuthError(.usage("a VEN token needs --ven NAME")) }
            guard !complexes.isEmpty else { throw AuthError(.usage("a VEN token needs at least one --resource BATTERY-ID")) }
        }
        let scopeKind = role == .battery || role == .ven ? "battery" : "meter"
        let uniqueComplexes = Array(Set(complexes)).sorted()
        let salt = TokenHasher.newSalt()
        let mac = TokenHasher.hash(secret: secret.secret, salt: salt)
        let complexesJSON = String(decoding: try JSONEncoder().encode(uniqueComplexes), as: UTF8.self)
        let now = clock.now()
        let info: TokenInfo = try await write { db in
            if !uniqueComplexes.isEmpty {
                let meters = Set(try String.fetchAll(db, sql: "SELECT id FROM asset WHERE kind = ? AND active = 1", arguments: [scopeKind]))
                let unknown = uniqueComplexes.filter { !meters.contains($0) }
                if !unknown.isEmpty {
                    let known = meters.sorted().prefix(6).joined(separator: ", ")
                    throw AuthError(.usage("unknown \(scopeKind == "battery" ? "battery" : "complex meter") id(s) \(unknown.joined(separator: ", ")); "
                        + (meters.isEmpty ? "load the site first (vpp site load)" : "known \(scopeKind == "battery" ? "batteries" : "meters") include \(known)")))
                }
            }
            try db.execute(sql: """
                INSERT INTO api_token (key_id, salt, secret_hmac, role, office, complexes_json, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [secret.keyID, Data(salt), Data(mac), role.rawValue, role == .office || role == .ven ? office : nil,
                                 complexesJSON, now])
            let id = db.lastInsertedRowID
            try Self.insertAudit(db, AuditEvent(at: now, actor: actor, tokenID: id, action: "token.create",
                                                target: "token:\(secret.keyID)", outcome: "ok",
                                                detail: role == .office ? "office \(office ?? "") complexes \(uniqueComplexes.joined(separator: ","))"
                                                    : role == .battery ? "battery \(uniqueComplexes.joined(separator: ","))"
                                                    : role == .ven ? "ven \(office ?? "") resources \(uniqueComplexes.joined(separator: ","))" : "operator"))
            return TokenInfo(id: id, keyID: secret.keyID, role: role, office: role == .office || role == .ven ? office : nil,
                             complexes: uniqueComplexes, createdAt: now, revokedAt: nil)
        }
        return (info, secret.text)
    }

    /// Revokes the token with this key id (or full token text); audited. Revoking twice is a no-op.
    @discardableResult
    public func revokeToken(keyID given: String, actor: String = "cli") async throws -> TokenInfo {
        let keyID = TokenSecret(text: given)?.keyID ?? given
        let now = clock.now()
        return try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM api_token WHERE key_id = ?", arguments: [keyID]) else {
                throw AuthError(.unknownToken(keyID))
            }
            var info = Self.tokenInfo(row)
            let already = info.revokedAt != nil
            if !already {
                try db.execute(sql: "UPDATE api_token SET revoked_at = ? WHERE id = ?", arguments: [now, info.id])
                info.revokedAt = now
            }
            try Self.insertAudit(db, AuditEvent(at: now, actor: actor, tokenID: info.id, action: "token.revoke",
                                                target: "token:\(keyID)", outcome: already ? "already_revoked" : "ok"))
            return info
        }
    }

    public func tokens() async throws -> [TokenInfo] {
        try await read { db in try Row.fetchAll(db, sql: "SELECT * FROM api_token ORDER BY id").map(Self.tokenInfo) }
    }

    /// The principal for presented token text. Throws `AuthError` (invalid, revoked).
    /// The secret is checked before revocation, so only a holder of the full token learns it was revoked.
    public func authenticate(token text: String) async throws -> Principal {
        guard let presented = TokenSecret(text: text) else { throw AuthError(.invalidToken) }
        let found: (info: TokenInfo, salt: Data, mac: Data)? = try await read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT id, key_id, salt, secret_hmac, role, office, complexes_json, created_at, revoked_at
                FROM api_token WHERE key_id = ?
                """, arguments: [presented.keyID]) else { return nil }
            return (Self.tokenInfo(row), row["salt"], row["secret_hmac"])
        }
        guard let found else {
            // Spend the same HMAC work as for a known key id.
            _ = TokenHasher.verify(secret: presented.secret, salt: [UInt8](repeating: 0, count: TokenHasher.saltBytes),
                                   expected: [UInt8](repeating: 0, count: 32))
            throw AuthError(.invalidToken)
        }
        guard TokenHasher.verify(secret: presented.secret, salt: Array(found.salt), expected: Array(found.mac)) else {
            throw AuthError(.invalidToken)
        }
        let info = found.info
        if info.revokedAt != nil { throw AuthError(.revokedToken) }
        return Principal(tokenID: info.id, keyID: info.keyID, role: info.role, office: info.office, complexes: info.complexes)
    }

    private static func tokenInfo(_ row: Row) -> TokenInfo {
        let complexesJSON: String = row["complexes_json"]
        let complexes = (try? JSONDecoder().decode([String].self, from: Data(complexesJSON.utf8))) ?? []
        let role = TokenRole(rawValue: row["role"]) ?? .office
        return TokenInfo(id: row["id"], keyID: row["key_id"], role: role, office: row["office"], complexes: complexes,
                         createdAt: row["created_at"], revokedAt: row["revoked_at"])
    }

    // MARK: Audit

    static func insertAudit(_ db: Database, _ e: AuditEvent) throws {
        try db.execute(sql: """
            INSERT INTO audit_log (at, actor, token_id, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [e.at, e.actor, e.tokenID, e.action, e.target, e.outcome, String(e.detail.prefix(2000))])
    }

    public func appendAudit(_ e: AuditEvent) async throws {
        try await write { db in try Self.insertAudit(db, e) }
    }

    /// Several audit rows in one transaction (e.g. the counts `RefusedAttemptAudit` owes).
    public func appendAudit(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        try await write { db in for e in events { try Self.insertAudit(db, e) } }
    }

    /// Newest first.
    public func auditLog(limit: Int = 100) async throws -> [AuditEvent] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", arguments: [limit]).map {
                AuditEvent(id: $0["id"], at: $0["at"], actor: $0["actor"], tokenID: $0["token_id"], action: $0["action"],
                           target: $0["target"], outcome: $0["outcome"], detail: $0["detail"])
            }
        }
    }

    // MARK: Upload ownership

    /// After an HTTP upload committed: the audit row. The owner and display name are written by
    /// the ingest transaction itself (`IngestOptions.attribution`, issue 15); for a fresh upload
    /// made without one they are filled in here (never for the earlier upload a duplicate points at).
    public func recordHTTPUpload(uploadID: Int64?, fresh: Bool, displayName: String, principal: Principal,
                                 complex: String?, outcome: String, detail: String) async throws {
        let now = clock.now()
        try await write { db in
            if let uploadID, fresh {
                try db.execute(sql: "UPDATE upload SET file_name = ? WHERE id = ?", arguments: [displayName, uploadID])
                try db.execute(sql: """
                    INSERT OR IGNORE INTO upload_owner (upload_id, token_id, office, complex) VALUES (?, ?, ?, ?)
                    """, arguments: [uploadID, principal.tokenID, principal.office, complex])
            }
            try Self.insertAudit(db, AuditEvent(at: now, actor: principal.actor, tokenID: principal.tokenID, action: "upload",
                                                target: uploadID.map { "upload:\($0)" }, outcome: outcome, detail: detail))
        }
    }

    public func uploadOwner(uploadID: Int64) async throws -> UploadOwner? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM upload_owner WHERE upload_id = ?", arguments: [uploadID]).map {
                UploadOwner(uploadID: $0["upload_id"], tokenID: $0["token_id"], office: $0["office"], complex: $0["complex"])
            }
        }
    }
}
