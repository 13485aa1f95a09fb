import Foundation
import PostgresNIO
import VPPAuth
import VPPCore
import VPPStore

/// API tokens, the audit trail and upload ownership (`AuthStore`), as the SQLite driver: tokens
/// stored as salted HMAC-SHA256 only, every token action audited in the same transaction.
extension PostgresStore: AuthStore {
    public func createToken(role: TokenRole, office: String?, complexes: [String], actor: String) async throws
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
        let storedOffice = role == .office || role == .ven ? office : nil
        let info: TokenInfo = try await transaction("token write failed") { conn in
            if !uniqueComplexes.isEmpty {
                let meters = Set(try await all(conn, "SELECT id FROM asset WHERE kind = \(scopeKind) AND active").map { try $0.v("id", String.self) })
                let unknown = uniqueComplexes.filter { !meters.contains($0) }
                if !unknown.isEmpty {
                    let known = meters.sorted().prefix(6).joined(separator: ", ")
                    throw AuthError(.usage("unknown \(scopeKind == "battery" ? "battery" : "complex meter") id(s) \(unknown.joined(separator: ", ")); "
                        + (meters.isEmpty ? "load the site first (vpp site load)" : "known \(scopeKind == "battery" ? "batteries" : "meters") include \(known)")))
                }
            }
            let id: Int64 = try await all(conn, """
                INSERT INTO api_token (key_id, salt, secret_hmac, role, office, complexes_json, created_at)
                VALUES (\(secret.keyID), \(Data(salt)), \(Data(mac)), \(role.rawValue), \(storedOffice), \(complexesJSON), \(now))
                RETURNING id
                """)[0].v("id")
            try await insertAudit(conn, AuditEvent(at: now, actor: actor, tokenID: id, action: "token.create",
                                                   target: "token:\(secret.keyID)", outcome: "ok",
                                                   detail: role == .office ? "office \(office ?? "") complexes \(uniqueComplexes.joined(separator: ","))"
                                                       : role == .battery ? "battery \(uniqueComplexes.joined(separator: ","))"
                                                       : role == .ven ? "ven \(office ?? "") resources \(uniqueComplexes.joined(separator: ","))" : "operator"))
            return TokenInfo(id: id, keyID: secret.keyID, role: role, office: storedOffice, complexes: uniqueComplexes, createdAt: now,
                             revokedAt: nil)
        }
        return (info, secret.text)
    }

    @discardableResult
    public func revokeToken(keyID given: String, actor: String) async throws -> TokenInfo {
        let keyID = TokenSecret(text: given)?.keyID ?? given
        let now = clock.now()
        return try await transaction("token write failed") { conn in
            guard let row = try await all(conn, "SELECT * FROM api_token WHERE key_id = \(keyID) FOR UPDATE").first else {
                throw AuthError(.unknownToken(keyID))
            }
            var info = try Self.tokenInfo(row)
            let already = info.revokedAt != nil
            if !already {
                try await exec(conn, "UPDATE api_token SET revoked_at = \(now) WHERE id = \(info.id)")
                info.revokedAt = now
            }
            try await insertAudit(conn, AuditEvent(at: now, actor: actor, tokenID: info.id, action: "token.revoke",
                                                   target: "token:\(keyID)", outcome: already ? "already_revoked" : "ok"))
            return info
        }
    }

    public func tokens() async throws -> [TokenInfo] {
        try await rows("SELECT * FROM api_token ORDER BY id").map(Self.tokenInfo)
    }

    public func authenticate(token text: String) async throws -> Principal {
        guard let presented = TokenSecret(text: text) else { throw AuthError(.invalidToken) }
        let row = try await rows("SELECT * FROM api_token WHERE key_id = \(presented.keyID)").first
        guard let row else {
            // Spend the same HMAC work as for a known key id.
            _ = TokenHasher.verify(secret: presented.secret, salt: [UInt8](repeating: 0, count: TokenHasher.saltBytes),
                                   expected: [UInt8](repeating: 0, count: 32))
            throw AuthError(.invalidToken)
        }
        let info = try Self.tokenInfo(row)
        let salt: Data = try row.v("salt"), mac: Data = try row.v("secret_hmac")
        guard TokenHasher.verify(secret: presented.secret, salt: Array(salt), expected: Array(mac)) else { throw AuthError(.invalidToken) }
        if info.revokedAt != nil { throw AuthError(.revokedToken) }
        return Principal(tokenID: info.id, keyID: info.keyID, role: info.role, office: info.office, complexes: info.complexes)
    }

    private static func tokenInfo(_ row: PostgresRandomAccessRow) throws -> TokenInfo {
        let complexesJSON: String = try row.v("complexes_json")
        let complexes = (try? JSONDecoder().decode([String].self, from: Data(complexesJSON.utf8))) ?? []
        let role = TokenRole(rawValue: try row.v("role")) ?? .office
        return TokenInfo(id: try row.v("id"), keyID: try row.v("key_id"), role: role, office: try row.v("office"), complexes: complexes,
                         createdAt: try row.v("created_at"), revokedAt: try row.v("revoked_at"))
    }

    func insertAudit(_ conn: PostgresConnection, _ e: AuditEvent) async throws {
        try await exec(conn, """
            INSERT INTO audit_log (at, actor, token_id, action, target, outcome, detail)
            VALUES (\(e.at), \(e.actor), \(e.tokenID), \(e.action), \(e.target), \(e.outcome), \(String(e.detail.prefix(2000))))
            """)
    }

    public func appendAudit(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        try await transaction("audit write failed") { conn in for e in events { try await insertAudit(conn, e) } }
    }

    public func auditLog(limit: Int) async throws -> [AuditEvent] {
        try await rows("SELECT * FROM audit_log ORDER BY id DESC LIMIT \(Int64(limit))").map {
            AuditEvent(id: try $0.v("id"), at: try $0.v("at"), actor: try $0.v("actor"), tokenID: try $0.v("token_id"),
                       action: try $0.v("action"), target: try $0.v("target"), outcome: try $0.v("outcome"), detail: try $0.v("detail"))
        }
    }

    public func recordHTTPUpload(uploadID: Int64?, fresh: Bool, displayName: String, principal: Principal,
                                 complex: String?, outcome: String, detail: String) async throws {
        let now = clock.now()
        try await transaction("audit write failed") { conn in
            if let uploadID, fresh {
                try await exec(conn, "UPDATE upload SET file_name = \(displayName) WHERE id = \(uploadID)")
                try await exec(conn, """
                    INSERT INTO upload_owner (upload_id, token_id, office, complex)
                    VALUES (\(uploadID), \(principal.tokenID), \(principal.office), \(complex)) ON CONFLICT DO NOTHING
                    """)
            }
            try await insertAudit(conn, AuditEvent(at: now, actor: principal.actor, tokenID: principal.tokenID, action: "upload",
                                                   target: uploadID.map { "upload:\($0)" }, outcome: outcome, detail: detail))
        }
    }

    public func uploadOwner(uploadID: Int64) async throws -> UploadOwner? {
        try await rows("SELECT * FROM upload_owner WHERE upload_id = \(uploadID)").first.map {
            UploadOwner(uploadID: try $0.v("upload_id"), tokenID: try $0.v("token_id"), office: try $0.v("office"), complex: try $0.v("complex"))
        }
    }
}
