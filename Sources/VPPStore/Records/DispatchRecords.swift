import Foundation
import VPPCore

/// One row of `dispatch_run` as `vpp dispatch history` shows it.
public struct DispatchRunRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var startedAt: Int64
    public var finishedAt: Int64?
    public var status: String
    public var objective: String
    public var objectiveValue: Double?
    public var breakdownJSON: String
    public var horizonSeconds: Int
    public var stepSeconds: Int
    public var solveMs: Double?
    public var message: String?

    public init(id: Int64, startedAt: Int64, finishedAt: Int64? = nil, status: String, objective: String, objectiveValue: Double? = nil, breakdownJSON: String, horizonSeconds: Int, stepSeconds: Int, solveMs: Double? = nil, message: String? = nil) {
        self.id = id
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.objective = objective
        self.objectiveValue = objectiveValue
        self.breakdownJSON = breakdownJSON
        self.horizonSeconds = horizonSeconds
        self.stepSeconds = stepSeconds
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
