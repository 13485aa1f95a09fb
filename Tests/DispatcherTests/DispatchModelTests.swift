import Testing
@testable import VPPBenchmarks
import VPPConfig
import VPPStoreSQLite
import VPPStore
import Foundation
import VPPCore
@testable import Dispatcher

/// Uniform draws from the seeded SplitMix64 in VPPCore, for repeatable random sites.
extension SplitMix64 {
    mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * Double(next() >> 11) / Double(1 << 53) }
}

let t0 = KSTDateTime(year: 2026, month: 7, day: 1).epochSeconds

/// One dong, one battery, hourly slots, no PV unless given.
func tiny(load: [Double], prices: [Double], pv: [Double]? = nil, battery: BatteryInput, importLimit: Double = .infinity,
          demandCharge: Double = 0, weights: ObjectiveWeights = ObjectiveWeights(), export: [Double]? = nil) -> DispatchProblem {
    let n = load.count
    return DispatchProblem(startEpoch: t0, step: .hour, slotCount: n,
                           dongs: [DongInput(code: "D1", loadKW: load, pvKW: pv ?? [Double](repeating: 0, count: n),
                                             importLimitKW: importLimit, batteries: [battery])],
                           importPriceKRWPerKWh: prices, exportPriceKRWPerKWh: export ?? [Double](repeating: 0, count: n),
                           emissionKgPerKWh: [Double](repeating: 0.4173, count: n), demandChargeKRWPerKW: demandCharge,
                           weights: weights, throughputRegularizer: 0)
}

func ideal(_ cap: Double = 10, power: Double = 10, eta: Double = 1, initial: Double = 0) -> BatteryInput {
    BatteryInput(id: "B1", capacityKWh: cap, maxChargeKW: power, maxDischargeKW: power, chargeEfficiency: eta,
                 dischargeEfficiency: eta, initialSocKWh: initial)
}

@Suite struct HandKnownOptimum {
    @Test func lossless_two_prices_shifts_full_capacity() throws {
        let plan = try DispatchModel.solve(tiny(load: [10, 10], prices: [100, 200], battery: ideal()))
        let b = plan.batteries[0]
        #expect(abs(b.chargeKW[0] - 10) < 1e-6)
        #expect(abs(b.dischargeKW[1] - 10) < 1e-6)
        #expect(abs(plan.breakdown.importCostKRW - 2000) < 1e-6)
        #expect(abs(plan.objective - 2000) < 1e-6)
        #expect(abs(plan.solverObjective - 2000) < 1e-6)
    }

    @Test func lossy_round_trip_uses_separate_efficiencies() throws {
        // η_c = η_d = 0.9: 10 kW in at 100 → SoC 9 kWh → 8.1 kW out at 200; cost 100·20 + 200·(10 − 8.1) = 2380.
        let plan = try DispatchModel.solve(tiny(load: [10, 10], prices: [100, 200], battery: ideal(eta: 0.9)))
        #expect(abs(plan.batteries[0].socKWh[0] - 9) < 1e-6)
        #expect(abs(plan.batteries[0].dischargeKW[1] - 8.1) < 1e-6)
        #expect(abs(plan.breakdown.importCostKRW - 2380) < 1e-6)
    }

    @Test func spread_below_round_trip_loss_leaves_battery_idle() throws {
        // 120 · 0.81 = 97.2 < 100: cycling loses money.
        let plan = try DispatchModel.solve(tiny(load: [10, 10], prices: [100, 120], battery: ideal(eta: 0.9)))
        #expect(plan.batteries[0].chargeKW.allSatisfy { $0 < 1e-7 })
        #expect(abs(plan.breakdown.importCostKRW - 2200) < 1e-6)
    }

    @Test func peak_shaving_with_demand_charge() throws {
        // Flat energy price; demand charge 1000 KRW/kW: shave the 30 kW peak to 20 kW.
        let plan = try DispatchModel.solve(tiny(load: [10, 30], prices: [100, 100], battery: ideal(), demandCharge: 1000))
        #expect(abs(plan.breakdown.sumDongPeakImportKW - 20) < 1e-6)
        #expect(abs(plan.breakdown.totalCostKRW - (4000 + 20_000)) < 1e-5)
        let none = Evaluation.breakdown(tiny(load: [10, 30], prices: [100, 100], battery: ideal(), demandCharge: 1000),
                                        Evaluation.noBattery(tiny(load: [10, 30], prices: [100, 100], battery: ideal())))
        #expect(abs(none.totalCostKRW - 34_000) < 1e-6)
    }

    @Test func stores_pv_surplus_for_the_evening() throws {
        // Slot 0: PV 20, load 10, export worth 0 → store 10; slot 1: load 10 at 200 → discharge.
        let plan = try DispatchModel.solve(tiny(load: [10, 10], prices: [100, 200], pv: [20, 0], battery: ideal()))
        #expect(abs(plan.batteries[0].chargeKW[0] - 10) < 1e-6)
        #expect(abs(plan.breakdown.importKWh) < 1e-6)
        #expect(abs(plan.breakdown.pvSelfConsumedKWh - 20) < 1e-6)
    }

    @Test func reserve_floor_time_varying_is_honoured() throws {
        // Reserve of 8 kWh in slot 1 (heat-wave alert): only 2 kWh may be discharged there.
        var b = ideal(initial: 10)
        b.reserveKWh = [0, 8, 0]
        let plan = try DispatchModel.solve(tiny(load: [10, 10, 10], prices: [100, 300, 200], battery: b))
        #expect(abs(plan.batteries[0].socKWh[1] - 8) < 1e-6)
        #expect(abs(plan.batteries[0].dischargeKW[1] - 2) < 1e-6)
        #expect(abs(plan.batteries[0].dischargeKW[2] - 8) < 1e-6)
    }

    @Test func terminal_target_is_a_lower_bound() throws {
        var b = ideal(initial: 10); b.terminalSocKWh = 6
        let plan = try DispatchModel.solve(tiny(load: [10, 10], prices: [100, 200], battery: b))
        #expect(abs(plan.batteries[0].socKWh[1] - 6) < 1e-6)
        #expect(abs(plan.batteries[0].dischargeKW.reduce(0, +) - 4) < 1e-6)
    }
}

@Suite struct Infeasibility {
    @Test func reserve_out_of_reach_names_reserve_family() {
        var b = ideal(power: 5); b.reserveKWh = [8, 8]
        let p = tiny(load: [1, 1], prices: [100, 100], battery: b)
        #expect {
            try DispatchModel.solve(p)
        } throws: { e in
            guard case DispatchError.infeasible(let causes) = e else { return false }
            return causes.map(\.family) == [.reserveFloor] && abs(causes[0].worstShortfall - 3) < 1e-6 && causes[0].element == "B1"
                && (e as? DispatchError)?.category == .badData
        }
    }

    @Test func load_above_import_limit_names_connection_limit() {
        let p = tiny(load: [100, 10], prices: [100, 100], battery: ideal(power: 5, initial: 5), importLimit: 50)
        #expect {
            try DispatchModel.solve(p)
        } throws: { e in
            guard case DispatchError.infeasible(let causes) = e else { return false }
            // 100 − 50 − 5 (battery) = 45 kW short in slot 0.
            return causes.map(\.family) == [.importLimit] && abs(causes[0].worstShortfall - 45) < 1e-6
                && causes[0].slotStart == t0 && causes[0].element == "D1"
        }
    }

    @Test func terminal_target_out_of_reach_names_terminal_family() {
        var b = ideal(power: 5); b.terminalSocKWh = 10
        let p = tiny(load: [1], prices: [100], battery: b)
        #expect {
            try DispatchModel.solve(p)
        } throws: { e in
            guard case DispatchError.infeasible(let causes) = e else { return false }
            return causes.map(\.family) == [.terminalTarget] && abs(causes[0].worstShortfall - 5) < 1e-6
        }
    }

    @Test func shared_limit_names_shared_family() {
        var p = tiny(load: [40, 40], prices: [100, 100], battery: ideal(power: 5, initial: 0))
        p.sharedImportLimitKW = 30
        #expect {
            try DispatchModel.solve(p)
        } throws: { e in
            guard case DispatchError.infeasible(let causes) = e else { return false }
            return causes.contains { $0.family == .sharedImportLimit }
        }
    }

    @Test func invalid_input_is_typed() {
        var p = tiny(load: [10, 10], prices: [100], battery: ideal())
        #expect(throws: DispatchError.self) { try DispatchModel.solve(p) }
        p = tiny(load: [10, -1], prices: [100, 100], battery: ideal())
        #expect(throws: DispatchError.invalidInput("dong D1 load is negative in slot 1")) { try DispatchModel.solve(p) }
    }
}

/// Random feasible sites: floors and terminal targets ≤ initial SoC and import limits above
/// the largest net load plus all charging power, so idling is always feasible.
func randomProblem(_ rng: inout SplitMix64) -> DispatchProblem {
    let step: SlotLength = rng.next() % 2 == 0 ? .hour : .quarterHour
    let n = Int(rng.next() % 40) + 8
    let nd = Int(rng.next() % 3) + 1
    var dongs: [DongInput] = []
    var bid = 0
    for k in 0..<nd {
        var load: [Double] = [], pv: [Double] = []
        let kwp = rng.uniform(0, 300)
        for t in 0..<n {
            let h = Double((t * step.seconds / 60) % 1440) / 60
            load.append(rng.uniform(20, 200))
            pv.append(max(0, kwp * sin((h - 6) / 12 * .pi)) * rng.uniform(0.3, 1))
        }
        var bats: [BatteryInput] = []
        for _ in 0..<(Int(rng.next() % 3) + 1) {
            let cap = rng.uniform(20, 400)
            let smin = cap * rng.uniform(0, 0.2), smax = cap * rng.uniform(0.8, 1)
            let initial = rng.uniform(smin, smax)
            var b = BatteryInput(id: "B\(bid)", capacityKWh: cap, maxChargeKW: cap * rng.uniform(0.2, 1),
                                 maxDischargeKW: cap * rng.uniform(0.2, 1), chargeEfficiency: rng.uniform(0.85, 1),
                                 dischargeEfficiency: rng.uniform(0.85, 1), socMinKWh: smin, socMaxKWh: smax,
                                 initialSocKWh: initial, terminalSocKWh: rng.uniform(0, initial),
                                 cyclingCostKRWPerKWh: rng.uniform(0, 20))
            if rng.next() % 2 == 0 {
                // Heat-wave window with a raised reserve (still ≤ initial SoC).
                let a = Int(rng.next() % UInt64(n)), len = Int(rng.next() % 12)
                let lvl = rng.uniform(smin, initial)
                b.reserveKWh = (0..<n).map { $0 >= a && $0 < a + len ? lvl : smin }
            } else {
                b.constantReserveKWh = rng.uniform(0, initial)
            }
            bats.append(b); bid += 1
        }
        let charge = bats.reduce(0) { $0 + $1.maxChargeKW }
        let exportLimit = rng.next() % 3 == 0 ? rng.uniform(0, 100) : .infinity
        dongs.append(DongInput(code: "D\(k)", loadKW: load, pvKW: pv, importLimitKW: 200 + charge + rng.uniform(0, 100),
                               exportLimitKW: exportLimit, batteries: bats))
    }
    let price = (0..<n).map { _ in rng.uniform(50, 250) }
    let export = (0..<n).map { _ in rng.uniform(0, 150) }
    let ef = (0..<n).map { _ in rng.uniform(0.35, 0.5) }
    let presets = ObjectiveWeights.Preset.allCases
    let w = ObjectiveWeights.preset(presets[Int(rng.next() % UInt64(presets.count))])
    var p = DispatchProblem(startEpoch: t0, step: step, slotCount: n, dongs: dongs, importPriceKRWPerKWh: price,
                            exportPriceKRWPerKWh: export, emissionKgPerKWh: ef,
                            demandChargeKRWPerKW: rng.next() % 2 == 0 ? rng.uniform(0, 2000) : 0, weights: w)
    if rng.next() % 3 == 0 {
        p.sharedImportLimitKW = dongs.reduce(0) { $0 + $1.importLimitKW }
    }
    return p
}

@Suite struct Properties {
    @Test(arguments: Array(UInt64(1)...UInt64(60)))
    func random_site_plan_keeps_every_invariant(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let p = randomProblem(&rng)
        let plan = try DispatchModel.solve(p)
        // The solver's own answer had no simultaneous charge/discharge to net.
        #expect(plan.nettedPairs == 0)
        // Re-check every invariant explicitly (solve() throws if any fails; this asserts the list is empty).
        #expect(PlanChecker.check(p, plan).isEmpty)
        for b in plan.batteries {
            for t in 0..<p.slotCount { #expect(min(b.chargeKW[t], b.dischargeKW[t]) <= 1e-7) }
        }
        // Objective reported by CLP equals the objective of the returned flows.
        #expect(abs(plan.objective - plan.solverObjective) <= 1e-6 * max(1, abs(plan.objective)))
        // Idle batteries are feasible, so the optimum can be no worse than no battery.
        var idle = plan
        idle.flows = Evaluation.noBattery(p)
        #expect(PlanChecker.check(p, idle).isEmpty)
        #expect(plan.objective <= DispatchModel.lpObjective(p, idle) + 1e-6 * max(1, abs(plan.objective)))
    }

    @Test(arguments: Array(UInt64(100)...UInt64(115)))
    func decomposed_solve_equals_monolithic(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var p = randomProblem(&rng)
        p.sharedImportLimitKW = nil
        let whole = try DispatchModel.solve(p, decompose: false)
        let split = try DispatchModel.solve(p, decompose: true)
        #expect(whole.blocks == 1 && split.blocks == p.dongs.count)
        #expect(abs(whole.objective - split.objective) <= 1e-7 * max(1, abs(whole.objective)))
        #expect(abs(whole.solverObjective - split.solverObjective) <= 1e-7 * max(1, abs(whole.objective)))
    }

    @Test func checker_catches_broken_plans() throws {
        var rng = SplitMix64(seed: 7)
        let p = randomProblem(&rng)
        var plan = try DispatchModel.solve(p)
        plan.flows.batteries[0].socKWh[0] += 1
        let kinds = Set(PlanChecker.check(p, plan).map(\.kind))
        #expect(kinds.contains(.socDynamics))
        plan = try DispatchModel.solve(p)
        plan.flows.dongs[0].importKW[0] += 1
        #expect(PlanChecker.check(p, plan).contains { $0.kind == .balance })
        plan = try DispatchModel.solve(p)
        plan.flows.batteries[0].chargeKW[0] += 1; plan.flows.batteries[0].dischargeKW[0] += 1
        #expect(PlanChecker.check(p, plan).contains { $0.kind == .simultaneous })
    }

    @Test func netting_removes_simultaneous_charge_and_keeps_balance() throws {
        // A hand-made plan with c = d = 5 kW in one slot: netting keeps SoC and balance.
        var b = ideal(eta: 0.9, initial: 5); b.socMinKWh = 0
        let p = tiny(load: [10], prices: [100], battery: b)
        var plan = DispatchPlan(startEpoch: t0, step: .hour, slotCount: 1, flows: Flows(
            dongs: [DongFlows(code: "D1", importKW: [10], exportKW: [0], spillKW: [0])],
            batteries: [BatterySchedule(id: "B1", dong: "D1", chargeKW: [5], dischargeKW: [5], socKWh: [5 + 4.5 - 5 / 0.9])]))
        #expect(PlanChecker.check(p, plan).map(\.kind) == [.simultaneous])
        #expect(PlanChecker.netSimultaneous(p, &plan) == 1)
        #expect(PlanChecker.check(p, plan).isEmpty)
        #expect(plan.batteries[0].chargeKW[0] == 0)
    }
}

@Suite struct Baselines {
    @Test func rule_based_charges_off_peak_and_discharges_at_peak() throws {
        var p = tiny(load: [10, 10, 10], prices: [60, 100, 200], battery: ideal())
        p.loadPeriods = [.offPeak, .mid, .peak]
        let f = Evaluation.ruleBased(p)
        #expect(f.batteries[0].chargeKW == [10, 0, 0])
        #expect(f.batteries[0].dischargeKW == [0, 0, 10])
        #expect(f.dongs[0].importKW == [20, 10, 0])
        let plan = try DispatchModel.solve(p)
        let base = Evaluation.breakdown(p, f)
        #expect(plan.breakdown.totalCostKRW <= base.totalCostKRW + 1e-6)
        #expect(abs(base.importCostKRW - (1200 + 1000)) < 1e-9)
    }

    @Test func periods_from_price_terciles() {
        let p = tiny(load: [1, 1, 1, 1, 1, 1], prices: [50, 50, 100, 100, 200, 200], battery: ideal())
        #expect(Evaluation.periods(p) == [.offPeak, .offPeak, .mid, .mid, .peak, .peak])
    }
}

@Suite struct MPS {
    @Test func mps_round_trip_structure() throws {
        var rng = SplitMix64(seed: 3)
        let p = randomProblem(&rng)
        let (lp, _) = try DispatchModel.buildLP(p)
        let text = MPSWriter.mps(lp)
        #expect(text.hasPrefix("NAME VPPDISPATCH\nROWS\n N OBJ\n"))
        #expect(text.hasSuffix("ENDATA\n"))
        // Every nonzero appears once in COLUMNS (plus objective entries).
        let cols = text.components(separatedBy: "\nCOLUMNS\n")[1].components(separatedBy: "\nRHS\n")[0]
        let lines = cols.split(separator: "\n").filter { !$0.contains(" OBJ ") }
        #expect(lines.count == lp.nonZeros)
        #expect(lp.colStart.count == lp.numCols + 1 && Int(lp.colStart.last!) == lp.nonZeros)
    }
}
