import VPPCore
import VPPStore

/// Grid flows of one dong per slot [kW, average over the slot].
public struct DongFlows: Sendable, Equatable, Codable {
    public var code: String
    public var importKW: [Double]
    public var exportKW: [Double]
    public var spillKW: [Double]

    public init(code: String, importKW: [Double], exportKW: [Double], spillKW: [Double]) {
        self.code = code
        self.importKW = importKW
        self.exportKW = exportKW
        self.spillKW = spillKW
    }
}

/// Schedule of one battery per slot: charge and discharge power [kW] and SoC at the end of the slot [kWh].
public struct BatterySchedule: Sendable, Equatable, Codable {
    public var id: String
    public var dong: String
    public var chargeKW: [Double]
    public var dischargeKW: [Double]
    public var socKWh: [Double]

    /// JSON names (`vpp dispatch plan --format json`): per-slot kW and kWh, as the plan's CSV columns.
    enum CodingKeys: String, CodingKey {
        case id, dong, chargeKW = "charge_kw", dischargeKW = "discharge_kw", socKWh = "soc_kwh"
    }

    public init(id: String, dong: String, chargeKW: [Double], dischargeKW: [Double], socKWh: [Double]) {
        self.id = id
        self.dong = dong
        self.chargeKW = chargeKW
        self.dischargeKW = dischargeKW
        self.socKWh = socKWh
    }
}

public struct Flows: Sendable, Equatable, Codable {
    public var dongs: [DongFlows]
    public var batteries: [BatterySchedule]

    public init(dongs: [DongFlows], batteries: [BatterySchedule]) {
        self.dongs = dongs
        self.batteries = batteries
    }
}

/// Objective terms, each in its own unit, for a set of flows (optimal plan, baseline or no battery).
public struct ObjectiveBreakdown: Sendable, Equatable, Codable {
    public var importCostKRW = 0.0
    public var exportRevenueKRW = 0.0
    public var demandChargeKRW = 0.0
    public var cyclingCostKRW = 0.0
    public var co2Kg = 0.0
    public var importKWh = 0.0
    public var exportKWh = 0.0
    public var spillKWh = 0.0
    public var loadKWh = 0.0
    public var pvKWh = 0.0
    /// PV used in the dongs (directly or via storage): Σ max(0, PV − export − spill) Δt.
    public var pvSelfConsumedKWh = 0.0
    /// Σ over dongs of each dong's peak import [kW].
    public var sumDongPeakImportKW = 0.0
    /// Peak of the district's total import [kW].
    public var districtPeakImportKW = 0.0
    public var chargeKWh = 0.0
    public var dischargeKWh = 0.0
    /// Slots (dong × slot) where import or export exceeded its connection limit (baselines only).
    public var limitViolations = 0

    /// JSON names (`vpp dispatch plan --format json`, `dispatch_run.breakdown_json`): snake_case
    /// with units, as the CSV columns of `dispatch plan --summary`.
    enum CodingKeys: String, CodingKey {
        case importCostKRW = "import_cost_krw", exportRevenueKRW = "export_revenue_krw", demandChargeKRW = "demand_charge_krw"
        case cyclingCostKRW = "cycling_cost_krw", co2Kg = "co2_kg", importKWh = "import_kwh", exportKWh = "export_kwh"
        case spillKWh = "spill_kwh", loadKWh = "load_kwh", pvKWh = "pv_kwh", pvSelfConsumedKWh = "pv_self_consumed_kwh"
        case sumDongPeakImportKW = "sum_dong_peak_import_kw", districtPeakImportKW = "district_peak_import_kw"
        case chargeKWh = "charge_kwh", dischargeKWh = "discharge_kwh", limitViolations = "limit_violations"
    }

    public var totalCostKRW: Double { importCostKRW - exportRevenueKRW + demandChargeKRW + cyclingCostKRW }
    public var pvSelfConsumptionShare: Double { pvKWh > 0 ? pvSelfConsumedKWh / pvKWh : 0 }
    public var selfSufficiency: Double { loadKWh > 0 ? 1 - importKWh / loadKWh : 0 }
}

/// An optimal dispatch plan with its objective breakdown and solve statistics.
public struct DispatchPlan: Sendable, Codable {
    public var startEpoch: Int64
    public var step: SlotLength
    public var slotCount: Int
    public var flows: Flows
    /// LP objective evaluated on the returned flows, and as the solver reported it.
    public var objective = 0.0
    public var solverObjective = 0.0
    public var breakdown = ObjectiveBreakdown()
    public var iterations = 0
    public var buildSeconds = 0.0
    public var solveSeconds = 0.0
    public var rows = 0, columns = 0, nonZeros = 0
    public var clippedExportSlots = 0
    /// Independent LP blocks solved (1 = monolithic; dongs when decomposed).
    public var blocks = 1
    /// Battery-slot pairs where the solver returned charge and discharge together and the
    /// checker netted them (0 in every test so far; kept as evidence).
    public var nettedPairs = 0

    public init(startEpoch: Int64, step: SlotLength, slotCount: Int, flows: Flows) {
        self.startEpoch = startEpoch; self.step = step; self.slotCount = slotCount; self.flows = flows
    }

    public var batteries: [BatterySchedule] { flows.batteries }
    public func slotStart(_ t: Int) -> Int64 { startEpoch + Int64(t * step.seconds) }
}

public enum Evaluation {
    /// Objective terms of `flows` under the problem's prices (actual export price, not the clipped one).
    public static func breakdown(_ p: DispatchProblem, _ f: Flows) -> ObjectiveBreakdown {
        let dt = p.hoursPerSlot, T = p.slotCount
        var r = ObjectiveBreakdown()
        var district = [Double](repeating: 0, count: T)
        var bi = 0
        for (k, d) in p.dongs.enumerated() {
            let g = f.dongs[k]
            var peak = 0.0
            for t in 0..<T {
                let i = g.importKW[t], e = g.exportKW[t], s = g.spillKW[t]
                r.importCostKRW += p.importPriceKRWPerKWh[t] * i * dt
                r.exportRevenueKRW += p.exportPriceKRWPerKWh[t] * e * dt
                r.co2Kg += p.emissionKgPerKWh[t] * i * dt
                r.importKWh += i * dt; r.exportKWh += e * dt; r.spillKWh += s * dt
                r.loadKWh += d.loadKW[t] * dt; r.pvKWh += d.pvKW[t] * dt
                r.pvSelfConsumedKWh += max(0, d.pvKW[t] - e - s) * dt
                peak = max(peak, i); district[t] += i
                if i > d.importLimitKW + 1e-6 || e > d.exportLimitKW + 1e-6 { r.limitViolations += 1 }
            }
            r.sumDongPeakImportKW += peak
            for bt in d.batteries {
                let s = f.batteries[bi]
                for t in 0..<T {
                    r.chargeKWh += s.chargeKW[t] * dt; r.dischargeKWh += s.dischargeKW[t] * dt
                    r.cyclingCostKRW += bt.cyclingCostKRWPerKWh * s.dischargeKW[t] * dt
                }
                bi += 1
            }
        }
        r.districtPeakImportKW = district.max() ?? 0
        r.demandChargeKRW = p.demandChargeKRWPerKW * r.sumDongPeakImportKW
        return r
    }

    /// Flows with no battery: PV serves load, surplus is exported up to the limit, the rest spilled.
    public static func noBattery(_ p: DispatchProblem) -> Flows {
        var dongs: [DongFlows] = []
        var bats: [BatterySchedule] = []
        for d in p.dongs {
            var f = DongFlows(code: d.code, importKW: [], exportKW: [], spillKW: [])
            for t in 0..<p.slotCount {
                let net = d.loadKW[t] - d.pvKW[t]
                f.importKW.append(max(0, net))
                let surplus = max(0, -net)
                f.exportKW.append(min(surplus, d.exportLimitKW)); f.spillKW.append(surplus - min(surplus, d.exportLimitKW))
            }
            dongs.append(f)
            for b in d.batteries {
                let z = [Double](repeating: 0, count: p.slotCount)
                bats.append(BatterySchedule(id: b.id, dong: d.code, chargeKW: z, dischargeKW: z,
                                            socKWh: [Double](repeating: b.initialSocKWh, count: p.slotCount)))
            }
        }
        return Flows(dongs: dongs, batteries: bats)
    }

    /// Load period per slot: the problem's TOU periods, else price terciles (lowest third off-peak,
    /// highest third peak).
    public static func periods(_ p: DispatchProblem) -> [LoadPeriod] {
        if p.loadPeriods.count == p.slotCount { return p.loadPeriods }
        let sorted = p.importPriceKRWPerKWh.sorted()
        let n = sorted.count
        let lo = sorted[max(0, n / 3 - 1)], hi = sorted[min(n - 1, 2 * n / 3)]
        return p.importPriceKRWPerKWh.map { $0 <= lo ? .offPeak : ($0 >= hi && $0 > lo ? .peak : .mid) }
    }

    /// Rule-based baseline: charge from PV surplus (any period) or from the grid in off-peak up
    /// to SoC max; discharge in peak to cover the dong's remaining load (no export), down to the
    /// floor (SoC min / reserve); idle otherwise. Batteries in a dong act in config order.
    /// Connection limits are not enforced (violations are counted in the breakdown).
    public static func ruleBased(_ p: DispatchProblem) -> Flows {
        let periods = periods(p)
        let dt = p.hoursPerSlot, T = p.slotCount
        var dongs: [DongFlows] = []
        var bats: [BatterySchedule] = []
        for d in p.dongs {
            var f = DongFlows(code: d.code, importKW: [], exportKW: [], spillKW: [])
            var sched = d.batteries.map { BatterySchedule(id: $0.id, dong: d.code, chargeKW: [], dischargeKW: [], socKWh: []) }
            var soc = d.batteries.map(\.initialSocKWh)
            for t in 0..<T {
                var net = d.loadKW[t] - d.pvKW[t]
                for (j, b) in d.batteries.enumerated() {
                    var c = 0.0, x = 0.0
                    let room = max(0, b.socMaxKWh - soc[j]) / (b.chargeEfficiency * dt)
                    let avail = max(0, soc[j] - max(b.socMinKWh, b.reserve(t))) * b.dischargeEfficiency / dt
                    if net < 0 {
                        c = min(b.maxChargeKW, room, -net)
                    } else if periods[t] == .offPeak {
                        c = min(b.maxChargeKW, room)
                    } else if periods[t] == .peak {
                        x = min(b.maxDischargeKW, avail, net)
                    }
                    net += c - x
                    soc[j] += b.chargeEfficiency * c * dt - x * dt / b.dischargeEfficiency
                    sched[j].chargeKW.append(c); sched[j].dischargeKW.append(x); sched[j].socKWh.append(soc[j])
                }
                f.importKW.append(max(0, net))
                let surplus = max(0, -net)
                f.exportKW.append(min(surplus, d.exportLimitKW)); f.spillKW.append(surplus - min(surplus, d.exportLimitKW))
            }
            dongs.append(f); bats += sched
        }
        return Flows(dongs: dongs, batteries: bats)
    }
}
