import Foundation
import VPPCore

/// One row of `dispatch_run` (`vpp dispatch history`, API `run` of `/schedules/latest`).
public struct DispatchRunRecord: Sendable, Equatable, Codable {
    public var id: Int64
    /// UTC epoch s.
    public var startedAt: Int64
    public var finishedAt: Int64?
    public var status: String
    public var objective: String
    public var objectiveValue: Double?
    /// The objective breakdown as stored (not part of the JSON payloads).
    public var breakdownJSON: String = "{}"
    public var horizonS: Int64
    public var stepS: Int64
    public var solveMs: Double?
    public var message: String?

    /// JSON names.
    enum CodingKeys: String, CodingKey {
        case id, startedAt = "started_at", finishedAt = "finished_at", status, objective, objectiveValue = "objective_value"
        case horizonS = "horizon_s", stepS = "step_s", solveMs = "solve_ms", message
    }

    public init(id: Int64, startedAt: Int64, finishedAt: Int64? = nil, status: String, objective: String, objectiveValue: Double? = nil,
                breakdownJSON: String = "{}", horizonS: Int64, stepS: Int64, solveMs: Double? = nil, message: String? = nil) {
        self.id = id
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.objective = objective
        self.objectiveValue = objectiveValue
        self.breakdownJSON = breakdownJSON
        self.horizonS = horizonS
        self.stepS = stepS
        self.solveMs = solveMs
        self.message = message
    }
}

/// One battery-slot row of `schedule`.
public struct ScheduleRow: Sendable, Equatable {
    public var batteryID: String
    public var slotStart: Int64
    public var durationSeconds: Int
    public var chargeW: Double
    public var dischargeW: Double
    public var socWh: Int64
    public init(batteryID: String, slotStart: Int64, durationSeconds: Int, chargeW: Double, dischargeW: Double, socWh: Int64) {
        self.batteryID = batteryID; self.slotStart = slotStart; self.durationSeconds = durationSeconds
        self.chargeW = chargeW; self.dischargeW = dischargeW; self.socWh = socWh
    }
}
