import VPPCore
import VPPStore

/// Errors of the Forecast module.
public enum ForecastError: CategorizedError, Equatable {
    /// A file that cannot be read.
    case noInput(path: String, reason: String)
    /// Bad data in a file: path, 1-based line and column, reason.
    case badData(path: String, line: Int, column: Int, reason: String)
    /// Input that cannot make a forecast (too little data, no overlap…).
    case insufficientData(String)
    /// KMA replied with an error code (resultCode, resultMsg).
    case kmaError(code: String, message: String)
    /// KMA could not be reached or replied with something unusable.
    case kmaUnavailable(String)
    /// KMA asked us to come back later (e.g. traffic limit) or timed out.
    case kmaTemporary(String)
    case usage(String)

    public var category: ErrorCategory {
        switch self {
        case .noInput: return .noInput
        case .badData, .insufficientData: return .badData
        case .kmaError(let code, _):
            // KMA/data.go.kr codes: 01 APPLICATION_ERROR, 02 DB_ERROR, 04 HTTP_ERROR, 05 SERVICETIME_OUT,
            // 22 LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS → try later (and retried); 03 NODATA → bad
            // data; 10/11/12 request/parameter errors → usage; 20/21/30/31/32/33 key or access
            // problems and 99 → unavailable.
            switch code {
            case "01", "02", "04", "05", "22": return .temporary
            case "03": return .badData
            case "10", "11", "12": return .usage
            default: return .unavailable
            }
        case .kmaUnavailable: return .unavailable
        case .kmaTemporary: return .temporary
        case .usage: return .usage
        }
    }

    public var description: String {
        switch self {
        case .noInput(let p, let r): return "\(p): cannot read: \(r)"
        case .badData(let p, let l, let c, let r): return "\(p):\(l):\(c): \(r)"
        case .insufficientData(let m): return m
        case .kmaError(let code, let msg): return "KMA error \(code): \(msg)"
        case .kmaUnavailable(let m): return "KMA unavailable: \(m)"
        case .kmaTemporary(let m): return "KMA temporarily unavailable: \(m)"
        case .usage(let m): return m
        }
    }
}
