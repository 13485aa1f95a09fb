import VPPCore

/// Why a plan could not hold a shelter's reserve in a slot.
public enum ShortfallReason: String, Sendable, Codable, CaseIterable {
    /// The floor is above what the backing batteries can store (SoC max).
    case capacity
    /// Charging at full power from the starting SoC cannot reach the floor by that slot.
    case chargingPower = "charging_power"
    /// The batteries could hold it, but the dong's import limit and PV cannot supply the charge
    /// (with its load served) in time.
    case importAndPV = "import_and_pv"
}

/// Typed failures of the resilience module. Categories follow CONTRIBUTING (65 bad data, 66 no
/// input, 69 unavailable, 75 try later).
public enum ResilienceError: CategorizedError, Equatable {
    /// A shelter's required reserve cannot be met in a slot: the shelter, the slot start [UTC
    /// epoch s], the reason, and the energy required and achievable in the backing batteries [kWh].
    case reserveInfeasible(shelter: String, slotStart: Int64, reason: ShortfallReason, requiredKWh: Double, achievableKWh: Double)
    /// A bad alert row or reply: file, line (0 when not line-based) and reason.
    case badAlert(file: String, line: Int, reason: String)
    case unknownDong(String)
    case kmaError(code: String, message: String)
    case kmaUnavailable(String)
    case kmaTemporary(String)
    case usage(String)

    public var category: ErrorCategory {
        switch self {
        case .reserveInfeasible, .badAlert, .unknownDong: return .badData
        case .kmaError, .kmaUnavailable: return .unavailable
        case .kmaTemporary: return .temporary
        case .usage: return .usage
        }
    }

    public var description: String {
        switch self {
        case let .reserveInfeasible(s, t, r, req, ach):
            return "shelter \(s): reserve cannot be met in the slot starting \(KSTDateTime(epochSeconds: t)) KST (\(r.rawValue)): "
                + "required \(fmtNum(req, 1, trimZeros: true)) kWh, achievable \(fmtNum(ach, 1, trimZeros: true)) kWh"
        case let .badAlert(f, l, r): return l > 0 ? "\(f):\(l): \(r)" : "\(f): \(r)"
        case let .unknownDong(c): return "no dong \(c) in the site config"
        case let .kmaError(c, m): return "KMA warning service error \(c): \(m)"
        case let .kmaUnavailable(m): return "KMA warning service unavailable: \(m)"
        case let .kmaTemporary(m): return "KMA warning service temporarily failing: \(m); try again"
        case let .usage(m): return m
        }
    }
}
