import Foundation
/// Why a request or a token command was refused. `code` is stable (clients and tests match
/// on it); `description` is one line for a person and never carries a secret.
public struct AuthError: CategorizedError, Equatable {
    public enum Reason: Equatable, Sendable {
        /// No credentials were sent.
        case missingToken
        /// Something was sent that is not a vpp token, or no token matches it.
        case invalidToken
        /// The token matched but was revoked.
        case revokedToken
        /// The token is valid but may not do this.
        case forbidden(String)
        /// A token command with bad arguments (unknown complex, office token without --office, ...).
        case usage(String)
        /// No token with that key id (revoke, show).
        case unknownToken(String)
    }

    public var reason: Reason
    public init(_ reason: Reason) { self.reason = reason }

    public var code: String {
        switch reason {
        case .missingToken: return "auth_missing"
        case .invalidToken: return "auth_invalid"
        case .revokedToken: return "auth_revoked"
        case .forbidden: return "forbidden"
        case .usage: return "bad_request"
        case .unknownToken: return "not_found"
        }
    }

    public var category: ErrorCategory {
        switch reason {
        case .usage: return .usage
        case .unknownToken: return .noInput
        default: return .usage
        }
    }

    public var description: String {
        switch reason {
        case .missingToken: return "authentication required: send Authorization: Bearer <token>"
        case .invalidToken: return "the token is not valid"
        case .revokedToken: return "the token has been revoked"
        case .forbidden(let why): return "forbidden: \(why)"
        case .usage(let why): return why
        case .unknownToken(let kid): return "no token with key id \(kid)"
        }
    }
}
