import Foundation
import VPPCore

/// Quantities of `rollup_hourly` the read API serves.
public enum RollupQuantity: String, Sendable, CaseIterable, Codable {
    case generation, consumption, charge, discharge, `import`, export
}

/// One forecast value as served (hour-beginning slot start, UTC epoch s).
public struct ForecastPoint: Sendable, Equatable, Codable {
    public var runID: Int64
    public var dongCode: String
    public var quantity: String
    public var slotStart: Int64
    public var durationS: Int
    public var valueWh: Int64

    public init(runID: Int64, dongCode: String, quantity: String, slotStart: Int64, durationS: Int, valueWh: Int64) {
        self.runID = runID
        self.dongCode = dongCode
        self.quantity = quantity
        self.slotStart = slotStart
        self.durationS = durationS
        self.valueWh = valueWh
    }
}



/// One battery slot of a schedule (powers W, planned SoC Wh, hour-beginning slot start).
public struct ScheduleSlot: Sendable, Equatable, Codable {
    public var batteryID: String
    public var dongCode: String?
    public var slotStart: Int64
    public var durationS: Int
    public var chargeW: Double
    public var dischargeW: Double
    public var socWh: Int64

    /// JSON names (API `slots` of `/schedules/latest`): powers W, SoC Wh.
    enum CodingKeys: String, CodingKey {
        case batteryID = "battery_id", dongCode = "dong_code", slotStart = "slot_start", durationS = "duration_s"
        case chargeW = "charge_w", dischargeW = "discharge_w", socWh = "soc_wh"
    }

    public init(batteryID: String, dongCode: String? = nil, slotStart: Int64, durationS: Int, chargeW: Double, dischargeW: Double, socWh: Int64) {
        self.batteryID = batteryID
        self.dongCode = dongCode
        self.slotStart = slotStart
        self.durationS = durationS
        self.chargeW = chargeW
        self.dischargeW = dischargeW
        self.socWh = socWh
    }
}

/// Per-dong totals of the hourly rollups over a period [Wh].
public struct DongPeriodTotals: Sendable, Equatable, Codable {
    public var dongCode: String
    public var hours: Int
    public var generationWh: Int64
    public var consumptionWh: Int64
    public var chargeWh: Int64
    public var dischargeWh: Int64
    public var importWh: Int64
    public var exportWh: Int64
    public init(dongCode: String, hours: Int, generationWh: Int64, consumptionWh: Int64, chargeWh: Int64, dischargeWh: Int64,
                importWh: Int64, exportWh: Int64) {
        self.dongCode = dongCode; self.hours = hours; self.generationWh = generationWh; self.consumptionWh = consumptionWh
        self.chargeWh = chargeWh; self.dischargeWh = dischargeWh; self.importWh = importWh; self.exportWh = exportWh
    }
}

/// Hour-by-hour renewable-energy accounting for one dong (design.md §7).
///
/// Definitions (each hour, at the dong level, energies in Wh):
/// - **Direct self-consumed PV** = min(generation, consumption).
/// - **PV surplus** = generation − direct self-consumed PV.
/// - **PV-sourced charge** = min(charge, PV surplus); the rest of the charge came from the grid.
/// - The dong's batteries are treated as one *well-mixed store*: each charge adds
///   charge × η_rt (round-trip efficiency η_rt = η_charge × η_discharge, from the site config)
///   of deliverable energy, tagged PV or grid. A discharge draws both tags in proportion to
///   what the store holds, and never more PV energy than it holds. Energy already in the
///   batteries before the first hour read is unknown and counted as grid energy (conservative).
/// - **PV via storage** = the PV-tagged share of the discharge, capped at the load PV did not
///   cover directly (max(0, consumption − generation)); discharge exported to the grid is not
///   used on site and does not count.
/// - **Self-consumed PV** = direct self-consumed PV + PV via storage.
/// - **Renewable energy** = self-consumed PV (PV is the only renewable source metered today).
/// - **RE100 share** = renewable / consumption.
/// - **Storage loss** (round-trip) = charge × (1 − η_rt): what the energy stored in the hour
///   will lose before it comes back out.
/// - **Import / export**: the rollup row's metered values when it carries any (import or export
///   non-zero); otherwise import = max(0, consumption + charge − generation − discharge) and
///   export = max(0, generation + discharge − consumption − charge).
/// - An hour without generation or consumption coverage counts no self-consumption, no PV
///   charge and no computed import/export (its balance is unknown).
public struct HourlyRollup: Sendable, Equatable {
    /// Start of the hour [UTC epoch s] (hour-beginning).
    public var hourStart: Int64
    public var generationWh: Int64
    public var consumptionWh: Int64
    public var chargeWh: Int64
    public var dischargeWh: Int64
    public var importWh: Int64
    public var exportWh: Int64
    /// Seconds of the hour for which generation / consumption were metered [s, 0–3600].
    public var generationCoveredS: Int64
    public var consumptionCoveredS: Int64

    public init(hourStart: Int64, generationWh: Int64 = 0, consumptionWh: Int64 = 0, chargeWh: Int64 = 0,
                dischargeWh: Int64 = 0, importWh: Int64 = 0, exportWh: Int64 = 0,
                generationCoveredS: Int64 = 3600, consumptionCoveredS: Int64 = 3600) {
        self.hourStart = hourStart; self.generationWh = generationWh; self.consumptionWh = consumptionWh
        self.chargeWh = chargeWh; self.dischargeWh = dischargeWh; self.importWh = importWh; self.exportWh = exportWh
        self.generationCoveredS = generationCoveredS; self.consumptionCoveredS = consumptionCoveredS
    }
}
