import Foundation
/// Who may do what (issue 7). Pure functions of the principal and the target, so the HTTP
/// layer only asks and maps the thrown `AuthError` to a status.
public enum Authorization {
    /// Operator-only reads (district series, forecasts, schedules, reports, audit).
    public static func requireOperator(_ p: Principal) throws {
        guard p.role == .operator else { throw AuthError(.forbidden("this needs an operator token")) }
    }

    /// Which meter an upload is booked to. Office tokens must name one of their own complexes
    /// (or have exactly one, which is then implied); the whole file is then read as that meter,
    /// so an office can never write another complex's readings. Operators may name any meter or
    /// none (the file's own meter column decides).
    public static func uploadMeter(for p: Principal, requested: String?) throws -> String? {
        switch p.role {
        case .operator:
            return requested.flatMap { $0.isEmpty ? nil : $0 }
        case .office:
            if let r = requested, !r.isEmpty {
                guard p.complexes.contains(r) else {
                    throw AuthError(.forbidden("this office token may upload only for \(p.complexes.joined(separator: ", "))"))
                }
                return r
            }
            if p.complexes.count == 1 { return p.complexes[0] }
            throw AuthError(.forbidden("this office token covers several complexes (\(p.complexes.joined(separator: ", "))); name one with complex="))
        case .battery:
            throw AuthError(.forbidden("a battery token may post only telemetry (POST /api/v1/telemetry)"))
        case .ven:
            throw AuthError(.forbidden("a VEN token may use only the OpenADR API"))
        }
    }

    /// May `p` post telemetry naming `batteries` (asset ids)? Operators: any; battery tokens:
    /// only their own batteries (one foreign row refuses the whole file); office tokens: none.
    public static func telemetry(for p: Principal, batteries: Set<String>) throws {
        switch p.role {
        case .operator: return
        case .office: throw AuthError(.forbidden("an office token may not post battery telemetry"))
        case .ven: throw AuthError(.forbidden("a VEN token reports telemetry through the OpenADR API (POST /openadr3/3.1.0/reports)"))
        case .battery:
            let outside = batteries.subtracting(p.complexes).sorted()
            guard outside.isEmpty else {
                throw AuthError(.forbidden("this battery token may post telemetry only for \(p.complexes.joined(separator: ", ")); the file names \(outside.joined(separator: ", "))"))
            }
        }
    }

    /// May `p` read upload `uploadID`, owned by `owner` (nil: made by the CLI or unknown)?
    /// Office tokens read only uploads their own token made; operators read all.
    public static func canRead(uploadOwnedBy owner: UploadOwner?, _ p: Principal) -> Bool {
        switch p.role {
        case .operator: return true
        case .office, .battery, .ven: return owner?.tokenID == p.tokenID
        }
    }
}

/// The token that made an upload over HTTP.
public struct UploadOwner: Sendable, Equatable, Codable {
    public var uploadID: Int64
    public var tokenID: Int64
    public var office: String?
    public var complex: String?
    public init(uploadID: Int64, tokenID: Int64, office: String?, complex: String?) {
        self.uploadID = uploadID; self.tokenID = tokenID; self.office = office; self.complex = complex
    }
}

/// One row of the audit trail.
public struct AuditEvent: Sendable, Equatable, Codable {
    public var id: Int64?
    /// UTC epoch seconds.
    public var at: Int64
    /// `operator:<kid>`, `office:<name>:<kid>`, `cli` or `anonymous`.
    public var actor: String
    public var tokenID: Int64?
    /// `token.create`, `token.revoke`, `upload`, `upload.denied`.
    public var action: String
    /// What it acted on (`upload:12`, `token:<kid>`).
    public var target: String?
    /// `ok`, `duplicate`, `denied`, `rejected`, `failed`.
    public var outcome: String
    public var detail: String

    /// JSON names (CLI `--format json` and the HTTP API): snake_case, explicit.
    enum CodingKeys: String, CodingKey {
        case id, at, actor, tokenID = "token_id", action, target, outcome, detail
    }

    public init(id: Int64? = nil, at: Int64, actor: String, tokenID: Int64?, action: String, target: String?,
                outcome: String, detail: String = "") {
        self.id = id; self.at = at; self.actor = actor; self.tokenID = tokenID; self.action = action
        self.target = target; self.outcome = outcome; self.detail = detail
    }
}

/// A token as listed (never its secret or hash).
public struct TokenInfo: Sendable, Equatable, Codable {
    public var id: Int64
    public var keyID: String
    public var role: TokenRole
    public var office: String?
    public var complexes: [String]
    public var createdAt: Int64
    public var revokedAt: Int64?

    /// JSON names (CLI `--format json`): snake_case with units, explicit.
    enum CodingKeys: String, CodingKey {
        case id, keyID = "key_id", role, office, complexes, createdAt = "created_at", revokedAt = "revoked_at"
    }

    public init(id: Int64, keyID: String, role: TokenRole, office: String? = nil, complexes: [String], createdAt: Int64, revokedAt: Int64? = nil) {
        self.id = id
        self.keyID = keyID
        self.role = role
        self.office = office
        self.complexes = complexes
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}
