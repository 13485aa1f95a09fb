import VPPCore
import VPPStore

/// One broken invariant of a plan.
public struct PlanViolation: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable { case socBounds, socDynamics, reserve, terminal, balance, importLimit, exportLimit,
                                         sharedImport, sharedExport, power, simultaneous, importAndExport, spill, negative }
    public var kind: Kind
    public var element: String
    public var slot: Int
    public var amount: Double
    public var description: String { "\(kind.rawValue) at \(element) slot \(slot) by \(fmt(amount, 6))" }
}

/// Checks a plan against the physical invariants of the model, with an absolute tolerance
/// (kW or kWh) plus a relative one on the magnitudes involved.
public enum PlanChecker {
    public static let absoluteTolerance = 1e-5
    public static let relativeTolerance = 1e-7

    public static func check(_ p: DispatchProblem, _ plan: DispatchPlan, tolerance: Double = absoluteTolerance) -> [PlanViolation] {
        var v: [PlanViolation] = []
        let T = p.slotCount, dt = p.hoursPerSlot
        func tol(_ m: Double) -> Double { tolerance + relativeTolerance * abs(m) }
        var bi = 0
        var sumImp = [Double](repeating: 0, count: T), sumExp = [Double](repeating: 0, count: T)
        for (k, d) in p.dongs.enumerated() {
            let f = plan.flows.dongs[k]
            var bal = [Double](repeating: 0, count: T)
            for bt in d.batteries {
                let s = plan.flows.batteries[bi]; bi += 1
                var prev = bt.initialSocKWh
                for t in 0..<T {
                    let c = s.chargeKW[t], x = s.dischargeKW[t], soc = s.socKWh[t]
                    bal[t] += x - c
                    if c < -tol(0) || x < -tol(0) { v.append(.init(kind: .negative, element: bt.id, slot: t, amount: min(c, x))) }
                    if c > bt.maxChargeKW + tol(bt.maxChargeKW) || x > bt.maxDischargeKW + tol(bt.maxDischargeKW) {
                        v.append(.init(kind: .power, element: bt.id, slot: t, amount: max(c - bt.maxChargeKW, x - bt.maxDischargeKW)))
                    }
                    if min(c, x) > tol(0) { v.append(.init(kind: .simultaneous, element: bt.id, slot: t, amount: min(c, x))) }
                    let expect = prev + bt.chargeEfficiency * c * dt - x * dt / bt.dischargeEfficiency
                    if abs(soc - expect) > tol(bt.capacityKWh) { v.append(.init(kind: .socDynamics, element: bt.id, slot: t, amount: soc - expect)) }
                    if soc < bt.socMinKWh - tol(bt.capacityKWh) || soc > bt.socMaxKWh + tol(bt.capacityKWh) {
                        v.append(.init(kind: .socBounds, element: bt.id, slot: t, amount: soc))
                    }
                    if soc < bt.reserve(t) - tol(bt.capacityKWh) { v.append(.init(kind: .reserve, element: bt.id, slot: t, amount: bt.reserve(t) - soc)) }
                    if t == T - 1 && soc < bt.terminalSocKWh - tol(bt.capacityKWh) {
                        v.append(.init(kind: .terminal, element: bt.id, slot: t, amount: bt.terminalSocKWh - soc))
                    }
                    prev = soc
                }
            }
            for t in 0..<T {
                let i = f.importKW[t], e = f.exportKW[t], s = f.spillKW[t]
                let lhs = i - e - s + bal[t], rhs = d.loadKW[t] - d.pvKW[t]
                let scale = max(abs(d.loadKW[t]), abs(d.pvKW[t]), abs(i), abs(e))
                if abs(lhs - rhs) > tol(scale) { v.append(.init(kind: .balance, element: d.code, slot: t, amount: lhs - rhs)) }
                if i < -tol(0) || e < -tol(0) || s < -tol(0) { v.append(.init(kind: .negative, element: d.code, slot: t, amount: min(i, e, s))) }
                if i > d.importLimitKW + tol(d.importLimitKW) { v.append(.init(kind: .importLimit, element: d.code, slot: t, amount: i - d.importLimitKW)) }
                if e > d.exportLimitKW + tol(d.exportLimitKW) { v.append(.init(kind: .exportLimit, element: d.code, slot: t, amount: e - d.exportLimitKW)) }
                if s > d.pvKW[t] + tol(d.pvKW[t]) { v.append(.init(kind: .spill, element: d.code, slot: t, amount: s - d.pvKW[t])) }
                if min(i, e) > tol(0) { v.append(.init(kind: .importAndExport, element: d.code, slot: t, amount: min(i, e))) }
                sumImp[t] += i; sumExp[t] += e
            }
        }
        for t in 0..<T {
            if let l = p.sharedImportLimitKW, sumImp[t] > l + tol(l) { v.append(.init(kind: .sharedImport, element: "district", slot: t, amount: sumImp[t] - l)) }
            if let l = p.sharedExportLimitKW, sumExp[t] > l + tol(l) { v.append(.init(kind: .sharedExport, element: "district", slot: t, amount: sumExp[t] - l)) }
        }
        return v
    }

    /// Removes charge-and-discharge pairs and import-and-export pairs the solver may leave at
    /// ties (see `DispatchModel`): (c, d) → net with the SoC trajectory unchanged, the freed
    /// δ = c − d − (c′ − d′) ≥ 0 absorbed by less import, then more export, then more spill.
    /// Also clamps solver noise below zero. Returns how many battery-slot pairs were netted.
    @discardableResult
    public static func netSimultaneous(_ p: DispatchProblem, _ plan: inout DispatchPlan) -> Int {
        let T = p.slotCount
        var netted = 0
        var bi = 0
        for (k, d) in p.dongs.enumerated() {
            for bt in d.batteries {
                for t in 0..<T {
                    let c = plan.flows.batteries[bi].chargeKW[t], x = plan.flows.batteries[bi].dischargeKW[t]
                    guard c > 0 && x > 0 else { continue }
                    let ds = bt.chargeEfficiency * c - x / bt.dischargeEfficiency   // SoC change per hour
                    let c2 = ds >= 0 ? ds / bt.chargeEfficiency : 0
                    let x2 = ds < 0 ? -ds * bt.dischargeEfficiency : 0
                    var delta = (c - x) - (c2 - x2)   // ≥ 0: power the bus no longer sends to the battery
                    plan.flows.batteries[bi].chargeKW[t] = c2
                    plan.flows.batteries[bi].dischargeKW[t] = x2
                    let cut = min(delta, plan.flows.dongs[k].importKW[t])
                    plan.flows.dongs[k].importKW[t] -= cut; delta -= cut
                    let room = max(0, d.exportLimitKW - plan.flows.dongs[k].exportKW[t])
                    let add = min(delta, room)
                    plan.flows.dongs[k].exportKW[t] += add; delta -= add
                    plan.flows.dongs[k].spillKW[t] += delta   // checker flags it if beyond PV
                    if min(c, x) > 1e-7 { netted += 1 }
                }
                bi += 1
            }
            for t in 0..<T {
                let i = plan.flows.dongs[k].importKW[t], e = plan.flows.dongs[k].exportKW[t]
                if i > 0 && e > 0 { let m = min(i, e); plan.flows.dongs[k].importKW[t] -= m; plan.flows.dongs[k].exportKW[t] -= m }
            }
        }
        return netted
    }
}
