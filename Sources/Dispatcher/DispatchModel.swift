import VPPCore
import VPPStore
import Foundation

/// The dispatch LP (design §6, issue 5): one model per run over all dongs.
///
/// Indices: slot t = 0…T−1 of length Δt [h]; dong k; battery b in dong k(b).
///
/// Variables (all ≥ 0):
/// - `c[b,t]`, `d[b,t]` charge / discharge power at the AC terminal [kW], ≤ P_c(b), P_d(b)
/// - `s[b,t]` state of charge at the END of slot t [kWh], floor(b,t) ≤ s ≤ S_max(b), where
///   floor = max(S_min, reserve(b,t), terminal target if t = T−1) — the reserve may vary per slot
///   (heat-wave alert, cooling-shelter backup) and the terminal target is a lower bound.
/// - `i[k,t]`, `e[k,t]` grid import / export of dong k [kW], ≤ the dong's connection limits
/// - `σ[k,t]` PV spilled (curtailed) in dong k [kW], ≤ PV(k,t); only where PV > 0
/// - `P[k]` peak import of dong k over the horizon [kW] (only when the peak term has weight)
///
/// Constraints:
/// - SoC dynamics (separate efficiencies): s[b,t] − s[b,t−1] − η_c·Δt·c[b,t] + (Δt/η_d)·d[b,t] = 0,
///   with s[b,−1] = initial SoC moved to the right-hand side.
/// - Balance per dong and slot: i − e − σ − Σ_b c + Σ_b d = load − PV.
/// - Peak: i[k,t] − P[k] ≤ 0.
/// - Optional shared limits: Σ_k i[k,t] ≤ I_shared, Σ_k e[k,t] ≤ E_shared.
///
/// Objective (minimise), with weights w and Δt in hours:
///   Σ_t Δt·[ Σ_k (w_cost·p_t + w_co2·EF_t + w_self)·i[k,t] − Σ_k x'_t·e[k,t]
///          + Σ_b (w_cyc·cyc_b + r)·d[b,t] + r·c[b,t] ] + w_peak·DC·Σ_k P[k]
/// p import price (dated TOU), EF emission factor, x export value, DC demand charge, r a small
/// throughput regulariser. The self-supply term prices grid import: with load and PV fixed,
/// Σ(i − e) = const + storage losses, so minimising import maximises PV self-consumption net of losses.
///
/// Export value is clipped per slot: x'_t = min(w_exp·x_t, w_cost·p_t + w_co2·EF_t + w_self).
/// A real meter nets import and export within a slot, so when the export value exceeds the
/// import price the exact cost is non-convex; the clip keeps the LP convex and makes
/// simultaneous import and export in a slot never profitable (any left are netted, which
/// leaves the objective unchanged). `Plan.clippedExportSlots` counts the clipped slots.
///
/// Simultaneous charge and discharge — why it never pays here (and the guard if it does):
/// take a solution with c, d > 0 for battery b in slot t and lower c by ε and d by ε·η_c·η_d.
/// SoC is unchanged (η_c·ε = (ε·η_c·η_d)/η_d), the battery draws δ = ε(1 − η_c·η_d) ≥ 0 less from
/// the dong bus, and throughput falls. Absorb δ by lowering i (if i > 0), else raising e (if
/// below its limit), else raising σ. The objective changes by −Δt·[(w_cost·p + w_co2·EF + w_self)·δ
/// or x'·δ or 0] − Δt·[(w_cyc·cyc + r)·ε·η_c·η_d + r·ε] < 0 because prices, factors and weights
/// are ≥ 0 (validated) and r > 0. So no optimal solution has both — except degenerate corner
/// cases where δ cannot be absorbed (import 0, export at its limit, all PV already spilled).
/// As a guard, `PlanChecker` nets any pair the solver returns anyway (within its tolerance,
/// absorbing δ as above) and the plan is re-checked; a plan that cannot be repaired is an error.
/// We therefore *prove* it unprofitable rather than forbid it (forbidding needs binaries, a MILP).
public enum DispatchModel {
    /// Layout of columns and rows so solutions map back to named quantities.
    public struct Layout: Sendable {
        public var T: Int, D: Int, B: Int
        public var hasPeak: Bool, hasSharedImport: Bool, hasSharedExport: Bool
        public var rowsPerSlot: Int
        /// Column index of i, e, σ (−1 if none) per dong and slot; c, d, s per battery and slot; P per dong.
        public var imp: [Int], exp: [Int], spill: [Int]
        public var chg: [Int], dis: [Int], soc: [Int]
        public var peak: [Int]
        /// Battery b → dong k.
        public var batteryDong: [Int]
        @inlinable public func balanceRow(_ k: Int, _ t: Int) -> Int32 { Int32(t * rowsPerSlot + k) }
        @inlinable public func socRow(_ b: Int, _ t: Int) -> Int32 { Int32(t * rowsPerSlot + D + b) }
        @inlinable public func peakRow(_ k: Int, _ t: Int) -> Int32 { Int32(t * rowsPerSlot + D + B + k) }
        @inlinable public func sharedImportRow(_ t: Int) -> Int32 { Int32(t * rowsPerSlot + D + B + (hasPeak ? D : 0)) }
        @inlinable public func sharedExportRow(_ t: Int) -> Int32 { Int32(t * rowsPerSlot + D + B + (hasPeak ? D : 0) + (hasSharedImport ? 1 : 0)) }
    }

    /// Elastic (diagnosis) slack columns: column index → (family, element name, slot).
    struct Slack { var col: Int; var family: ConstraintFamily; var element: String; var slot: Int }

    public static func importCoefficient(_ p: DispatchProblem, _ t: Int) -> Double {
        let w = p.weights
        return w.cost * p.importPriceKRWPerKWh[t] + w.co2 * p.emissionKgPerKWh[t] + w.selfSupply
    }
    /// Export value used by the LP (clipped, see the type comment).
    public static func exportCoefficient(_ p: DispatchProblem, _ t: Int) -> Double {
        min(p.weights.export * p.exportPriceKRWPerKWh[t], importCoefficient(p, t))
    }

    /// Builds the sparse LP. With `elastic`, SoC bounds, reserve, terminal, import and shared
    /// limits become soft with unit-penalty slack columns and every other cost is zero: the
    /// minimum total slack then tells which constraint families make the real model infeasible.
    static func build(_ p: DispatchProblem, elastic: Bool = false, names: Bool = false) -> (SparseLP, Layout, [Slack]) {
        var a = Assembly(p, elastic: elastic, names: names)
        a.addSlotRows()
        for t in 0..<a.L.T {
            for k in 0..<a.L.D { a.addDongColumns(k, t) }
            for b in 0..<a.L.B { a.addBatteryColumns(b, t) }
        }
        a.addPeakColumns()
        a.addElasticSlackColumns()
        var lp = a.m.lp
        a.relaxSharedRows(&lp)
        return (lp, a.L, a.slacks)
    }

    /// The LP being built, step by step: rows slot-major, then per slot the dongs' grid columns
    /// and the batteries' columns, then peak columns, then (elastic) slack columns.
    private struct Assembly {
        let p: DispatchProblem
        let elastic: Bool
        let bats: [BatteryInput]
        let dt: Double
        let reg: Double
        var L: Layout
        var m: SparseLPBuilder
        var slacks: [Slack] = []
        /// Elastic rows come after the regular ones; each gets its slack column at the end.
        var elasticRows: [(row: Int32, family: ConstraintFamily, element: String, slot: Int, sign: Double)] = []
        let inf = Double.infinity

        init(_ p: DispatchProblem, elastic: Bool, names: Bool) {
            self.p = p; self.elastic = elastic
            let T = p.slotCount, D = p.dongs.count
            var batteryDong: [Int] = [], bats: [BatteryInput] = []
            for (k, d) in p.dongs.enumerated() { for b in d.batteries { batteryDong.append(k); bats.append(b) } }
            self.bats = bats
            let B = bats.count
            dt = p.hoursPerSlot
            reg = elastic ? 0 : p.throughputRegularizer
            let hasPeak = !elastic && p.weights.peak * p.demandChargeKRWPerKW > 0
            let hasSI = p.sharedImportLimitKW != nil, hasSE = p.sharedExportLimitKW != nil
            let rps = D + B + (hasPeak ? D : 0) + (hasSI ? 1 : 0) + (hasSE ? 1 : 0)
            L = Layout(T: T, D: D, B: B, hasPeak: hasPeak, hasSharedImport: hasSI, hasSharedExport: hasSE, rowsPerSlot: rps,
                       imp: .init(repeating: -1, count: D * T), exp: .init(repeating: -1, count: D * T),
                       spill: .init(repeating: -1, count: D * T), chg: .init(repeating: -1, count: B * T),
                       dis: .init(repeating: -1, count: B * T), soc: .init(repeating: -1, count: B * T),
                       peak: .init(repeating: -1, count: D), batteryDong: batteryDong)
            let estCols = T * (3 * D + 3 * B) + D
            m = SparseLPBuilder(expectedCols: estCols, expectedNonZeros: estCols * 3, recordNames: names)
        }

        /// Per slot: dong balances, battery SoC continuity, peak rows, shared import/export rows.
        mutating func addSlotRows() {
            for t in 0..<L.T {
                for (k, d) in p.dongs.enumerated() {
                    let rhs = d.loadKW[t] - d.pvKW[t]
                    m.addRow(lower: rhs, upper: rhs, name: "bal_\(k)_\(t)")
                }
                for b in 0..<L.B {
                    let rhs = t == 0 ? bats[b].initialSocKWh : 0
                    m.addRow(lower: rhs, upper: rhs, name: "soc_\(b)_\(t)")
                }
                if L.hasPeak { for k in 0..<L.D { m.addRow(lower: -inf, upper: 0, name: "pk_\(k)_\(t)") } }
                if L.hasSharedImport { m.addRow(lower: -inf, upper: elastic ? inf : p.sharedImportLimitKW!, name: "simp_\(t)") }
                if L.hasSharedExport { m.addRow(lower: -inf, upper: elastic ? inf : p.sharedExportLimitKW!, name: "sexp_\(t)") }
            }
        }

        /// Import i, export e and PV spill σ of dong `k` in slot `t` (elastic: import/export limits as rows).
        mutating func addDongColumns(_ k: Int, _ t: Int) {
            let T = L.T, d = p.dongs[k]
            let imC = elastic ? 0 : DispatchModel.importCoefficient(p, t) * dt
            let exC = elastic ? 0 : -DispatchModel.exportCoefficient(p, t) * dt
            let bal = L.balanceRow(k, t)
            let impUpper = elastic ? inf : d.importLimitKW
            L.imp[k * T + t] = m.addColumn(lower: 0, upper: impUpper, cost: imC, name: "imp_\(k)_\(t)",
                                           bal, 1, L.hasPeak ? L.peakRow(k, t) : -1, 1, L.hasSharedImport ? L.sharedImportRow(t) : -1, 1)
            if elastic && d.importLimitKW.isFinite {
                let r = m.addRow(lower: -inf, upper: d.importLimitKW, name: "eimp_\(k)_\(t)")
                m.appendToLastColumn(row: r, value: 1)
                elasticRows.append((r, .importLimit, d.code, t, -1))
            }
            let expUpper = elastic ? inf : d.exportLimitKW
            L.exp[k * T + t] = m.addColumn(lower: 0, upper: expUpper, cost: exC, name: "exp_\(k)_\(t)",
                                           bal, -1, L.hasSharedExport ? L.sharedExportRow(t) : -1, 1)
            if elastic && d.exportLimitKW.isFinite {
                let r = m.addRow(lower: -inf, upper: d.exportLimitKW, name: "eexp_\(k)_\(t)")
                m.appendToLastColumn(row: r, value: 1)
                elasticRows.append((r, .exportLimit, d.code, t, -1))
            }
            if d.pvKW[t] > 0 {
                L.spill[k * T + t] = m.addColumn(lower: 0, upper: d.pvKW[t], cost: 0, name: "spl_\(k)_\(t)", bal, -1)
            }
        }

        /// Charge c, discharge d and SoC s of battery `b` in slot `t` (elastic: SoC bounds, reserve
        /// and terminal target as rows).
        mutating func addBatteryColumns(_ b: Int, _ t: Int) {
            let T = L.T, bt = bats[b]
            let k = L.batteryDong[b]
            let bal = L.balanceRow(k, t), sr = L.socRow(b, t)
            L.chg[b * T + t] = m.addColumn(lower: 0, upper: bt.maxChargeKW, cost: reg * dt, name: "chg_\(b)_\(t)",
                                           bal, -1, sr, -bt.chargeEfficiency * dt)
            let disCost = elastic ? 0 : (p.weights.cycling * bt.cyclingCostKRWPerKWh + reg) * dt
            L.dis[b * T + t] = m.addColumn(lower: 0, upper: bt.maxDischargeKW, cost: disCost, name: "dis_\(b)_\(t)",
                                           bal, 1, sr, dt / bt.dischargeEfficiency)
            let next: Int32 = t + 1 < T ? L.socRow(b, t + 1) : -1
            guard elastic else {
                L.soc[b * T + t] = m.addColumn(lower: bt.floor(t, of: T), upper: bt.socMaxKWh, cost: 0, name: "soc_\(b)_\(t)",
                                               sr, 1, next, -1)
                return
            }
            L.soc[b * T + t] = m.addColumn(lower: 0, upper: inf, cost: 0, name: "soc_\(b)_\(t)", sr, 1, next, -1)
            var r = m.addRow(lower: bt.socMinKWh, upper: inf, name: "esmin_\(b)_\(t)")
            m.appendToLastColumn(row: r, value: 1); elasticRows.append((r, .socMinimum, bt.id, t, 1))
            r = m.addRow(lower: -inf, upper: bt.socMaxKWh, name: "esmax_\(b)_\(t)")
            m.appendToLastColumn(row: r, value: 1); elasticRows.append((r, .socMaximum, bt.id, t, -1))
            if bt.reserve(t) > bt.socMinKWh {
                r = m.addRow(lower: bt.reserve(t), upper: inf, name: "eres_\(b)_\(t)")
                m.appendToLastColumn(row: r, value: 1); elasticRows.append((r, .reserveFloor, bt.id, t, 1))
            }
            if t == T - 1 && bt.terminalSocKWh > 0 {
                r = m.addRow(lower: bt.terminalSocKWh, upper: inf, name: "eterm_\(b)")
                m.appendToLastColumn(row: r, value: 1); elasticRows.append((r, .terminalTarget, bt.id, t, 1))
            }
        }

        /// Peak P of each dong (demand charge), bounding its import in every slot.
        mutating func addPeakColumns() {
            guard L.hasPeak else { return }
            let pc = p.weights.peak * p.demandChargeKRWPerKW
            for k in 0..<L.D {
                var entries: [(Int32, Double)] = []
                entries.reserveCapacity(L.T)
                for t in 0..<L.T { entries.append((L.peakRow(k, t), -1)) }
                L.peak[k] = m.addColumn(lower: 0, upper: inf, cost: pc, name: "peak_\(k)", entries: entries)
            }
        }

        /// Elastic: one unit-cost slack column per soft row.
        mutating func addElasticSlackColumns() {
            guard elastic else { return }
            for (row, fam, el, t, sign) in elasticRows {
                let c = m.addColumn(lower: 0, upper: inf, cost: 1, name: "slk_\(row)", row, sign)
                slacks.append(Slack(col: c, family: fam, element: el, slot: t))
            }
        }

        /// Elastic: relax the shared rows, adding a slack to each existing shared row with its real limit.
        mutating func relaxSharedRows(_ lp: inout SparseLP) {
            guard elastic && (L.hasSharedImport || L.hasSharedExport) else { return }
            for t in 0..<L.T {
                if L.hasSharedImport, let lim = p.sharedImportLimitKW {
                    let r = Int(L.sharedImportRow(t)); lp.rowUpper[r] = lim
                    DispatchModel.appendColumn(&lp, row: Int32(r), value: -1, name: "slk_simp_\(t)")
                    slacks.append(Slack(col: lp.numCols - 1, family: .sharedImportLimit, element: "district", slot: t))
                }
                if L.hasSharedExport, let lim = p.sharedExportLimitKW {
                    let r = Int(L.sharedExportRow(t)); lp.rowUpper[r] = lim
                    DispatchModel.appendColumn(&lp, row: Int32(r), value: -1, name: "slk_sexp_\(t)")
                    slacks.append(Slack(col: lp.numCols - 1, family: .sharedExportLimit, element: "district", slot: t))
                }
            }
        }
    }

    private static func appendColumn(_ lp: inout SparseLP, row: Int32, value: Double, name: String) {
        lp.rowIndex.append(row); lp.value.append(value); lp.colStart.append(Int32(lp.value.count))
        lp.colLower.append(0); lp.colUpper.append(.infinity); lp.objective.append(1); if !lp.colNames.isEmpty { lp.colNames.append(name) }
        lp.numCols += 1
    }

    /// Builds the LP for `problem` (validated first); for MPS export and benchmarks.
    public static func buildLP(_ problem: DispatchProblem, names: Bool = true) throws -> (SparseLP, Layout) {
        try problem.validate()
        let (lp, layout, _) = build(problem, names: names)
        return (lp, layout)
    }

    /// Validates, builds, solves, checks and returns the optimal plan, or a typed error.
    ///
    /// Without a shared (cross-dong) limit the LP is block-separable by dong: every row and
    /// every objective term belongs to exactly one dong. Then, with `decompose` (the default),
    /// each dong's block is solved as its own LP and the solutions are concatenated — the same
    /// optimum as the monolithic LP (the MPS export is always the whole model, so the HiGHS
    /// cross-check also checks this), at a fraction of the simplex iterations.
    public static func solve(_ problem: DispatchProblem, maxSeconds: Double? = nil, decompose: Bool = true,
                             algorithm: LPAlgorithm = .primal) throws -> DispatchPlan {
        try problem.validate()
        var plan: DispatchPlan
        if decompose && problem.dongs.count > 1 && problem.sharedImportLimitKW == nil && problem.sharedExportLimitKW == nil {
            let clock = ContinuousClock()
            let start = clock.now
            var parts: [DispatchPlan] = []
            for d in problem.dongs {
                var sub = problem
                sub.dongs = [d]
                let left = maxSeconds.map { max(0.001, $0 - (clock.now - start).seconds) }
                do { parts.append(try solveBlock(sub, maxSeconds: left, algorithm: algorithm)) } catch DispatchError.infeasible {
                    throw DispatchError.infeasible(causes: diagnose(problem))
                }
            }
            plan = DispatchPlan(startEpoch: problem.startEpoch, step: problem.step, slotCount: problem.slotCount,
                                flows: Flows(dongs: parts.flatMap(\.flows.dongs), batteries: parts.flatMap(\.flows.batteries)))
            for q in parts {
                plan.solverObjective += q.solverObjective; plan.iterations += q.iterations
                plan.buildSeconds += q.buildSeconds; plan.solveSeconds += q.solveSeconds
                plan.rows += q.rows; plan.columns += q.columns; plan.nonZeros += q.nonZeros; plan.nettedPairs += q.nettedPairs
            }
            plan.blocks = parts.count
        } else {
            plan = try solveBlock(problem, maxSeconds: maxSeconds, algorithm: algorithm)
        }
        plan.clippedExportSlots = (0..<problem.slotCount).filter {
            problem.weights.export * problem.exportPriceKRWPerKWh[$0] > importCoefficient(problem, $0) + 1e-12
        }.count
        let violations = PlanChecker.check(problem, plan)
        if !violations.isEmpty {
            throw DispatchError.invariantViolated(violations.prefix(3).map(\.description).joined(separator: "; "))
        }
        plan.objective = lpObjective(problem, plan)
        plan.breakdown = Evaluation.breakdown(problem, plan.flows)
        return plan
    }

    /// Builds and solves one LP (the whole model or one dong's block) and nets any
    /// simultaneous pairs; no final invariant check.
    static func solveBlock(_ problem: DispatchProblem, maxSeconds: Double?, algorithm: LPAlgorithm) throws -> DispatchPlan {
        let clock = ContinuousClock()
        let t0 = clock.now
        let (lp, L, _) = build(problem)
        let t1 = clock.now
        let sol = ClpSolver.solve(lp, maxSeconds: maxSeconds, algorithm: algorithm)
        let t2 = clock.now
        switch sol.status {
        case .optimal: break
        case .infeasible: throw DispatchError.infeasible(causes: diagnose(problem))
        case .unbounded: throw DispatchError.unbounded
        case .timeLimit: throw DispatchError.timeLimit(seconds: maxSeconds ?? 0)
        case .iterationLimit: throw DispatchError.iterationLimit
        case .error: throw DispatchError.solverError(status: sol.rawStatus, secondary: sol.secondaryStatus)
        }
        var plan = extract(problem, L, sol.x)
        plan.solverObjective = sol.objective
        plan.iterations = sol.iterations
        plan.buildSeconds = (t1 - t0).seconds
        plan.solveSeconds = (t2 - t1).seconds
        plan.rows = lp.numRows; plan.columns = lp.numCols; plan.nonZeros = lp.nonZeros
        plan.nettedPairs = PlanChecker.netSimultaneous(problem, &plan)
        return plan
    }

    /// Re-solves the elastic model and reports the families whose slack is positive.
    public static func diagnose(_ problem: DispatchProblem) -> [InfeasibilityCause] {
        let (lp, _, slacks) = build(problem, elastic: true)
        let sol = ClpSolver.solve(lp)
        guard sol.status == .optimal else { return [] }
        var byFamily: [ConstraintFamily: InfeasibilityCause] = [:]
        for s in slacks {
            let v = sol.x[s.col]
            guard v > 1e-6 else { continue }
            let start = problem.startEpoch + Int64(s.slot * problem.step.seconds)
            if var c = byFamily[s.family] {
                c.totalShortfall += v
                if v > c.worstShortfall { c.worstShortfall = v; c.element = s.element; c.slotStart = start }
                byFamily[s.family] = c
            } else {
                byFamily[s.family] = InfeasibilityCause(family: s.family, element: s.element, slotStart: start, worstShortfall: v, totalShortfall: v)
            }
        }
        return ConstraintFamily.allCases.compactMap { byFamily[$0] }
    }

    static func extract(_ p: DispatchProblem, _ L: Layout, _ x: [Double]) -> DispatchPlan {
        let T = p.slotCount
        func col(_ i: Int) -> Double { i >= 0 ? max(0, x[i]) : 0 }
        var dongs: [DongFlows] = []
        var bats: [BatterySchedule] = []
        var b = 0
        for (k, d) in p.dongs.enumerated() {
            dongs.append(DongFlows(code: d.code, importKW: (0..<T).map { col(L.imp[k * T + $0]) },
                                   exportKW: (0..<T).map { col(L.exp[k * T + $0]) },
                                   spillKW: (0..<T).map { col(L.spill[k * T + $0]) }))
            for bt in d.batteries {
                bats.append(BatterySchedule(id: bt.id, dong: d.code,
                                            chargeKW: (0..<T).map { col(L.chg[b * T + $0]) },
                                            dischargeKW: (0..<T).map { col(L.dis[b * T + $0]) },
                                            socKWh: (0..<T).map { x[L.soc[b * T + $0]] }))
                b += 1
            }
        }
        return DispatchPlan(startEpoch: p.startEpoch, step: p.step, slotCount: T, flows: Flows(dongs: dongs, batteries: bats))
    }

    /// The LP objective evaluated on a plan's flows (equals the solver objective up to tolerance).
    public static func lpObjective(_ p: DispatchProblem, _ plan: DispatchPlan) -> Double {
        let dt = p.hoursPerSlot, T = p.slotCount
        var obj = 0.0
        var bi = 0
        for (k, d) in p.dongs.enumerated() {
            let f = plan.flows.dongs[k]
            for t in 0..<T { obj += dt * (importCoefficient(p, t) * f.importKW[t] - exportCoefficient(p, t) * f.exportKW[t]) }
            if p.weights.peak * p.demandChargeKRWPerKW > 0 { obj += p.weights.peak * p.demandChargeKRWPerKW * (f.importKW.max() ?? 0) }
            for bt in d.batteries {
                let s = plan.flows.batteries[bi]
                for t in 0..<T {
                    obj += dt * (p.weights.cycling * bt.cyclingCostKRWPerKWh + p.throughputRegularizer) * s.dischargeKW[t]
                    obj += dt * p.throughputRegularizer * s.chargeKW[t]
                }
                bi += 1
            }
        }
        return obj
    }
}

extension Duration {
    package var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
