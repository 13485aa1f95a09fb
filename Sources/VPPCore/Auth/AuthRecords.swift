import Foundation

/// Who a bearer token speaks for.
public enum TokenRole: String, Sendable, Codable, CaseIterable {
    /// An apartment management office (관리사무소): uploads for its own complexes, reads its own uploads.
    case office
    /// An energy-centre operator: reads everything, may upload for any meter.
    case `operator`
    /// A battery (or its controller): posts telemetry for its own batteries only (issue 12).
    case battery
    /// An OpenADR VEN (a battery controller, issue 13): reads the events targeted to its
    /// resources and posts reports for them. `office` holds the VEN name, `complexes` its
    /// resources (battery asset ids).
    case ven
}

/// The authenticated caller of one request.
public struct Principal: Sendable, Equatable, Codable {
    /// `api_token.id`.
    public var tokenID: Int64
    /// Public part of the token (safe to log and show).
    public var keyID: String
    public var role: TokenRole
    /// Office name for office tokens.
    public var office: String?
    /// Complex (meter asset) ids an office token may upload for; battery asset ids a battery
    /// token may post telemetry for; empty for operators.
    public var complexes: [String]

    public init(tokenID: Int64, keyID: String, role: TokenRole, office: String?, complexes: [String]) {
        self.tokenID = tokenID; self.keyID = keyID; self.role = role; self.office = office; self.complexes = complexes
    }

    /// How the audit log names this caller.
    public var actor: String {
        switch role {
        case .operator: return "operator:\(keyID)"
        case .office: return "office:\(office ?? "?"):\(keyID)"
        case .battery: return "battery:\(complexes.joined(separator: "+")):\(keyID)"
        case .ven: return "ven:\(office ?? "?"):\(keyID)"
        }
    }
}
