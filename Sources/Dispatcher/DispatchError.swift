import VPPCore
import VPPStore

/// The constraint families of the dispatch LP, used to say why a model is infeasible.
public enum ConstraintFamily: String, Sendable, Codable, CaseIterable {
    case socMinimum = "soc_minimum"
    case socMaximum = "soc_maximum"
    case reserveFloor = "reserve_floor"
    case terminalTarget = "terminal_soc_target"
    case importLimit = "import_connection_limit"
    case sharedImportLimit = "shared_import_limit"
    case exportLimit = "export_connection_limit"
    case sharedExportLimit = "shared_export_limit"
}

/// One constraint family that had to be relaxed to make the model feasible, with the place it
/// was relaxed most (battery or dong, slot) and the total shortfall (kWh for SoC families, kW for limits).
public struct InfeasibilityCause: Sendable, Equatable, Codable, CustomStringConvertible {
    public var family: ConstraintFamily
    public var element: String
    public var slotStart: Int64
    public var worstShortfall: Double
    public var totalShortfall: Double
    public var description: String {
        let unit: String
        switch family {
        case .socMinimum, .socMaximum, .reserveFloor, .terminalTarget: unit = "kWh"
        default: unit = "kW"
        }
        return "\(family.rawValue) at \(element) \(KSTDateTime(epochSeconds: slotStart)) KST short by \(fmt(worstShortfall)) \(unit) (total \(fmt(totalShortfall)))"
    }
}

/// A figure for messages and reports: rounded to `digits`, trailing zeros dropped.
package func fmt(_ v: Double, _ digits: Int = 3) -> String { v.isFinite ? fmtNum(v, digits, trimZeros: true) : String(v) }

/// Typed failures of the dispatcher. Categories follow CONTRIBUTING (65 bad data, 70 internal, 75 try later).
public enum DispatchError: CategorizedError, Equatable {
    /// Inputs fail validation (lengths, signs, bounds).
    case invalidInput(String)
    /// The LP has no feasible point; `causes` names the constraint families that had to be relaxed
    /// (empty when the diagnosis could not tell).
    case infeasible(causes: [InfeasibilityCause])
    case unbounded
    case timeLimit(seconds: Double)
    case iterationLimit
    case solverError(status: Int32, secondary: Int32)
    /// A returned solution broke an invariant (a bug, never user input).
    case invariantViolated(String)
    /// Another dispatch run holds the lock.
    case locked(path: String)
    case io(String)

    public var category: ErrorCategory {
        switch self {
        case .invalidInput, .infeasible: return .badData
        case .timeLimit, .locked: return .temporary
        case .io: return .unavailable
        case .unbounded, .iterationLimit, .solverError, .invariantViolated: return .internal
        }
    }

    public var description: String {
        switch self {
        case .invalidInput(let m): return "dispatch: invalid input: \(m)"
        case .infeasible(let causes):
            if causes.isEmpty { return "dispatch: model infeasible (cause not identified)" }
            return "dispatch: model infeasible: " + causes.map(\.description).joined(separator: "; ")
        case .unbounded: return "dispatch: model unbounded (a price or weight makes unlimited profit possible)"
        case .timeLimit(let s): return "dispatch: solver stopped at the time limit of \(fmt(s)) s"
        case .iterationLimit: return "dispatch: solver stopped at its iteration limit"
        case .solverError(let s, let s2): return "dispatch: CLP failed (status \(s), secondary \(s2))"
        case .invariantViolated(let m): return "dispatch: plan broke an invariant: \(m)"
        case .locked(let p): return "dispatch: another run holds the lock \(p); try later"
        case .io(let m): return "dispatch: \(m)"
        }
    }
}
