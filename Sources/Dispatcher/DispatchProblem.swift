import VPPCore
import VPPStore

/// One battery as the LP sees it. Energies in kWh, powers in kW (AC terminal), efficiencies 0–1.
public struct BatteryInput: Sendable, Equatable, Codable {
    public var id: String
    public var capacityKWh: Double
    public var maxChargeKW: Double
    public var maxDischargeKW: Double
    public var chargeEfficiency: Double
    public var dischargeEfficiency: Double
    public var socMinKWh: Double
    public var socMaxKWh: Double
    /// State of charge at the start of the horizon [kWh].
    public var initialSocKWh: Double
    /// Minimum state of charge at the end of the horizon [kWh].
    public var terminalSocKWh: Double
    /// Resilience reserve floor per slot [kWh] (end-of-slot SoC must be ≥ it), e.g. raised during
    /// heat-wave alerts for cooling shelters. Empty = `constantReserveKWh` in every slot.
    public var reserveKWh: [Double]
    public var constantReserveKWh: Double
    /// Degradation cost per kWh discharged [KRW/kWh].
    public var cyclingCostKRWPerKWh: Double

    public init(id: String, capacityKWh: Double, maxChargeKW: Double, maxDischargeKW: Double,
                chargeEfficiency: Double = 0.95, dischargeEfficiency: Double = 0.95,
                socMinKWh: Double = 0, socMaxKWh: Double? = nil, initialSocKWh: Double, terminalSocKWh: Double = 0,
                reserveKWh: [Double] = [], constantReserveKWh: Double = 0, cyclingCostKRWPerKWh: Double = 0) {
        self.id = id; self.capacityKWh = capacityKWh; self.maxChargeKW = maxChargeKW; self.maxDischargeKW = maxDischargeKW
        self.chargeEfficiency = chargeEfficiency; self.dischargeEfficiency = dischargeEfficiency
        self.socMinKWh = socMinKWh; self.socMaxKWh = socMaxKWh ?? capacityKWh
        self.initialSocKWh = initialSocKWh; self.terminalSocKWh = terminalSocKWh
        self.reserveKWh = reserveKWh; self.constantReserveKWh = constantReserveKWh
        self.cyclingCostKRWPerKWh = cyclingCostKRWPerKWh
    }

    /// From the site config (percentages of capacity). `initialSocPct` overrides the config's
    /// initial SoC (e.g. from telemetry).
    public init(config b: BatteryConfig, initialSocKWh: Double? = nil) {
        let cap = b.capacityKWh
        self.init(id: b.id, capacityKWh: cap, maxChargeKW: b.maxChargeKW, maxDischargeKW: b.maxDischargeKW,
                  chargeEfficiency: b.chargeEfficiency, dischargeEfficiency: b.dischargeEfficiency,
                  socMinKWh: cap * b.socMinPct / 100, socMaxKWh: cap * b.socMaxPct / 100,
                  initialSocKWh: initialSocKWh ?? cap * b.initialSocPct / 100,
                  terminalSocKWh: cap * b.terminalSocPct / 100, constantReserveKWh: cap * b.reservePct / 100,
                  cyclingCostKRWPerKWh: b.cyclingCostKRWPerKWh)
    }

    /// Reserve floor in slot `t` [kWh].
    @inlinable public func reserve(_ t: Int) -> Double { reserveKWh.isEmpty ? constantReserveKWh : reserveKWh[t] }
    /// Lower SoC bound at the end of slot `t` of `n` [kWh]: max(SoC min, reserve, terminal at the end).
    @inlinable public func floor(_ t: Int, of n: Int) -> Double {
        var f = max(socMinKWh, reserve(t))
        if t == n - 1 { f = max(f, terminalSocKWh) }
        return f
    }
}

/// One dong: its net load and PV per slot (average power over the slot, kW), connection
/// limits and batteries.
public struct DongInput: Sendable, Equatable, Codable {
    public var code: String
    public var loadKW: [Double]
    public var pvKW: [Double]
    public var importLimitKW: Double
    public var exportLimitKW: Double
    public var batteries: [BatteryInput]
    public init(code: String, loadKW: [Double], pvKW: [Double], importLimitKW: Double = .infinity,
                exportLimitKW: Double = .infinity, batteries: [BatteryInput]) {
        self.code = code; self.loadKW = loadKW; self.pvKW = pvKW; self.importLimitKW = importLimitKW
        self.exportLimitKW = exportLimitKW; self.batteries = batteries
    }
}

/// Weights of the objective terms. The LP minimises
/// `cost·ImportCost − export·ExportRevenue + co2·CO2kg + selfSupply·ImportKWh + peak·DemandCharge + cycling·CyclingCost`
/// (each term in its own unit; see `DispatchModel`).
public struct ObjectiveWeights: Sendable, Equatable, Codable {
    public var cost: Double
    public var export: Double
    /// KRW-equivalent per kg CO2 (or any scale when minimising CO2 alone).
    public var co2: Double
    /// Per kWh imported from the grid (self-supply / PV self-consumption objective).
    public var selfSupply: Double
    public var peak: Double
    public var cycling: Double
    public init(cost: Double = 1, export: Double = 1, co2: Double = 0, selfSupply: Double = 0, peak: Double = 1, cycling: Double = 1) {
        self.cost = cost; self.export = export; self.co2 = co2; self.selfSupply = selfSupply; self.peak = peak; self.cycling = cycling
    }

    public enum Preset: String, Sendable, CaseIterable, Codable { case cost, co2, `self`, peak }

    /// Presets: the named term dominates; the money terms stay with weight 1e-3 as a tie-break
    /// so the plan is still sensible in money.
    public static func preset(_ p: Preset) -> ObjectiveWeights {
        switch p {
        case .cost: return ObjectiveWeights()
        case .co2: return ObjectiveWeights(cost: 1e-3, export: 1e-3, co2: 1, selfSupply: 0, peak: 0, cycling: 1e-3)
        case .self: return ObjectiveWeights(cost: 1e-3, export: 1e-3, co2: 0, selfSupply: 1, peak: 0, cycling: 1e-3)
        case .peak: return ObjectiveWeights(cost: 1e-3, export: 1e-3, co2: 0, selfSupply: 0, peak: 1, cycling: 1e-3)
        }
    }

    /// Parses `cost=1,export=1,co2=50,self=0,peak=1,cycling=1` (missing keys keep defaults).
    public static func parse(_ text: String) throws -> ObjectiveWeights {
        var w = ObjectiveWeights()
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, let v = Double(kv[1]), v.isFinite, v >= 0 else {
                throw DispatchError.invalidInput("weights: '\(part)' is not key=value with a finite value ≥ 0")
            }
            switch kv[0] {
            case "cost": w.cost = v
            case "export": w.export = v
            case "co2": w.co2 = v
            case "self": w.selfSupply = v
            case "peak": w.peak = v
            case "cycling": w.cycling = v
            default: throw DispatchError.invalidInput("weights: unknown key '\(kv[0])' (cost, export, co2, self, peak, cycling)")
            }
        }
        return w
    }
}

/// Everything one dispatch LP needs, as plain values (no forecast or store dependency).
public struct DispatchProblem: Sendable, Equatable, Codable {
    /// Start of the first slot [UTC epoch s] and the slot length.
    public var startEpoch: Int64
    public var step: SlotLength
    public var slotCount: Int
    public var dongs: [DongInput]
    /// Import energy price per slot [KRW/kWh] (TOU tariff rate in force).
    public var importPriceKRWPerKWh: [Double]
    /// Export value per slot [KRW/kWh] (flat or SMP series).
    public var exportPriceKRWPerKWh: [Double]
    /// Grid emission factor per slot [kg CO2e/kWh = tCO2e/MWh].
    public var emissionKgPerKWh: [Double]
    /// TOU load period per slot (for the rule-based baseline); empty = derive from prices.
    public var loadPeriods: [LoadPeriod]
    /// Demand charge applied to each dong's peak import over the horizon [KRW/kW].
    public var demandChargeKRWPerKW: Double
    /// Optional limit on the sum of all dongs' import / export (shared transformer) [kW].
    public var sharedImportLimitKW: Double?
    public var sharedExportLimitKW: Double?
    public var weights: ObjectiveWeights
    /// Throughput regulariser on charge and discharge [objective units per kWh]; > 0 makes
    /// simultaneous charge and discharge strictly unprofitable (see `DispatchModel`).
    public var throughputRegularizer: Double

    public init(startEpoch: Int64, step: SlotLength, slotCount: Int, dongs: [DongInput], importPriceKRWPerKWh: [Double],
                exportPriceKRWPerKWh: [Double], emissionKgPerKWh: [Double], loadPeriods: [LoadPeriod] = [],
                demandChargeKRWPerKW: Double = 0, sharedImportLimitKW: Double? = nil, sharedExportLimitKW: Double? = nil,
                weights: ObjectiveWeights = ObjectiveWeights(), throughputRegularizer: Double = 1e-4) {
        self.startEpoch = startEpoch; self.step = step; self.slotCount = slotCount; self.dongs = dongs
        self.importPriceKRWPerKWh = importPriceKRWPerKWh; self.exportPriceKRWPerKWh = exportPriceKRWPerKWh
        self.emissionKgPerKWh = emissionKgPerKWh; self.loadPeriods = loadPeriods
        self.demandChargeKRWPerKW = demandChargeKRWPerKW; self.sharedImportLimitKW = sharedImportLimitKW
        self.sharedExportLimitKW = sharedExportLimitKW; self.weights = weights; self.throughputRegularizer = throughputRegularizer
    }

    public var hoursPerSlot: Double { step.hours }
    public var slots: [Slot] { (0..<slotCount).map { Slot(start: startEpoch + Int64($0 * step.seconds), length: step) } }
    public var batteryCount: Int { dongs.reduce(0) { $0 + $1.batteries.count } }

    /// Checks lengths, signs and bounds; throws `DispatchError.invalidInput` naming the field.
    public func validate() throws {
        let n = slotCount
        guard n > 0 else { throw DispatchError.invalidInput("horizon has no slots") }
        func len(_ a: [Double], _ what: String) throws {
            guard a.count == n else { throw DispatchError.invalidInput("\(what): \(a.count) values for \(n) slots") }
            if let i = a.firstIndex(where: { !$0.isFinite }) { throw DispatchError.invalidInput("\(what): slot \(i) is not finite") }
        }
        try len(importPriceKRWPerKWh, "import price")
        try len(exportPriceKRWPerKWh, "export price")
        try len(emissionKgPerKWh, "emission factor")
        if !loadPeriods.isEmpty && loadPeriods.count != n { throw DispatchError.invalidInput("load periods: \(loadPeriods.count) values for \(n) slots") }
        if let i = importPriceKRWPerKWh.firstIndex(where: { $0 < 0 }) { throw DispatchError.invalidInput("import price is negative in slot \(i)") }
        if let i = emissionKgPerKWh.firstIndex(where: { $0 < 0 }) { throw DispatchError.invalidInput("emission factor is negative in slot \(i)") }
        let w = weights
        for (k, v) in [("cost", w.cost), ("export", w.export), ("co2", w.co2), ("self", w.selfSupply), ("peak", w.peak), ("cycling", w.cycling)]
        where !(v >= 0 && v.isFinite) { throw DispatchError.invalidInput("weight \(k) must be finite and ≥ 0") }
        guard throughputRegularizer >= 0, demandChargeKRWPerKW >= 0 else { throw DispatchError.invalidInput("regulariser and demand charge must be ≥ 0") }
        var ids = Set<String>()
        for d in dongs {
            try len(d.loadKW, "dong \(d.code) load")
            try len(d.pvKW, "dong \(d.code) PV")
            if let i = d.loadKW.firstIndex(where: { $0 < 0 }) { throw DispatchError.invalidInput("dong \(d.code) load is negative in slot \(i)") }
            if let i = d.pvKW.firstIndex(where: { $0 < 0 }) { throw DispatchError.invalidInput("dong \(d.code) PV is negative in slot \(i)") }
            guard d.importLimitKW >= 0, d.exportLimitKW >= 0 else { throw DispatchError.invalidInput("dong \(d.code) connection limits must be ≥ 0") }
            for b in d.batteries {
                guard ids.insert(b.id).inserted else { throw DispatchError.invalidInput("battery id \(b.id) appears twice") }
                guard b.capacityKWh > 0, b.maxChargeKW >= 0, b.maxDischargeKW >= 0 else {
                    throw DispatchError.invalidInput("battery \(b.id): capacity must be > 0 and power limits ≥ 0")
                }
                guard b.chargeEfficiency > 0, b.chargeEfficiency <= 1, b.dischargeEfficiency > 0, b.dischargeEfficiency <= 1 else {
                    throw DispatchError.invalidInput("battery \(b.id): efficiencies must be in (0, 1]")
                }
                guard b.socMinKWh >= 0, b.socMinKWh <= b.socMaxKWh, b.socMaxKWh <= b.capacityKWh + 1e-9 else {
                    throw DispatchError.invalidInput("battery \(b.id): need 0 ≤ SoC min ≤ SoC max ≤ capacity")
                }
                guard b.initialSocKWh >= 0, b.initialSocKWh <= b.capacityKWh + 1e-9 else {
                    throw DispatchError.invalidInput("battery \(b.id): initial SoC \(b.initialSocKWh) kWh outside 0…\(b.capacityKWh)")
                }
                if !b.reserveKWh.isEmpty { try len(b.reserveKWh, "battery \(b.id) reserve") }
                guard b.cyclingCostKRWPerKWh >= 0 else { throw DispatchError.invalidInput("battery \(b.id): cycling cost must be ≥ 0") }
            }
        }
    }
}

import Foundation

extension DispatchProblem {
    /// Lowers SoC-minimum, reserve floors and the terminal target to what the initial SoC can
    /// reach charging at full power, so a receding-horizon plan started from a measured SoC below
    /// its floor stays feasible (the battery recovers toward the floor as fast as it can).
    public mutating func clampFloorsToReach() {
        let dt = hoursPerSlot
        for k in dongs.indices {
            for j in dongs[k].batteries.indices {
                var b = dongs[k].batteries[j]
                var reach = b.initialSocKWh
                var res: [Double] = []
                for t in 0..<slotCount {
                    reach = min(b.socMaxKWh, reach + b.chargeEfficiency * b.maxChargeKW * dt)
                    res.append(min(max(b.socMinKWh, b.reserve(t)), reach))
                }
                b.reserveKWh = res
                b.terminalSocKWh = min(b.terminalSocKWh, reach)
                b.socMinKWh = min(b.socMinKWh, b.initialSocKWh)
                dongs[k].batteries[j] = b
            }
        }
    }
}
