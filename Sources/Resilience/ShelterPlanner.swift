import VPPCore
import VPPStore
import Dispatcher

/// A plan with the shelters' reserve: the typed errors when a requirement could not be met, the
/// fallback taken, the slots still short, and the objective's cost of the reserve.
public struct ShelterPlanResult: Sendable {
    public var plan: DispatchPlan
    /// The problem actually solved (reserve as held; after a fallback, the best achievable one).
    public var problem: DispatchProblem
    public var requirements: [ShelterRequirement]
    /// One error per shelter that could not be held as required (its first slot short).
    public var errors: [ResilienceError]
    /// True when the plan holds less than required somewhere (best achievable reserve).
    public var fallback: Bool
    /// Scale applied to the held energy after capping at capacity and reach (1 = as required).
    public var fallbackScale: Double
    public var shortfalls: [ShelterShortfall]
    /// LP objective of the same problem without the shelter reserve (nil when not computed).
    /// The same problem solved without the shelter reserve (nil when not computed).
    public var planWithoutReserve: DispatchPlan?
    public var objectiveWithoutReserve: Double? { planWithoutReserve?.objective }
    /// Objective with − without the shelter reserve (objective units; KRW for the cost objective).
    public var reserveCost: Double? { objectiveWithoutReserve.map { plan.objective - $0 } }

    /// Required reserve per battery and slot: SoC min + held [kWh] (for `reserve_kwh` columns).
    public func reserveKWh(battery: String, slot t: Int) -> Double {
        for d in problem.dongs { if let b = d.batteries.first(where: { $0.id == battery }) { return b.floor(t, of: problem.slotCount) } }
        return 0
    }

    public func outcome(runID: Int64?, recordedAt: Int64) -> ShelterOutcome {
        ShelterOutcome(runID: runID, recordedAt: recordedAt, fallback: fallback, note: note, shortfalls: shortfalls)
    }

    public var note: String {
        guard fallback else { return requirements.isEmpty ? "no shelters" : "shelter reserve held in every slot" }
        let short = Set(shortfalls.map(\.shelterID)).sorted()
        return "shelter reserve fallback (best achievable, scale \(fmtNum(fallbackScale, 3, trimZeros: true))): \(shortfalls.count) slots short for "
            + short.joined(separator: ", ") + "; " + errors.map(\.description).joined(separator: "; ")
    }
}

/// Solves a dispatch problem with the shelters' reserve from backup hours (issue 17).
///
/// 1. The requirement is checked before solving, per shelter and slot: floor above SoC max
///    (`capacity`) or above what full-power charging from the starting SoC can reach
///    (`charging_power`). 2. The LP is solved with the floors; an infeasible LP whose problem
///    without the shelter floors solves means the import limit and PV cannot supply the charge
///    (`import_and_pv`). 3. Any of these is a `ResilienceError.reserveInfeasible`
///    naming the shelter and slot; with `allowFallback` the plan falls back to the best
///    achievable reserve — floors capped at SoC max and at reach, then, if still infeasible, the
///    largest uniform scale of the held energy (bisection, 12 steps) that solves — and the slots
///    left short are returned for the record. Without `allowFallback` the first error is thrown.
public struct ShelterPlanner: Sendable {
    public var requirements: [ShelterRequirement]
    public var allowFallback = true
    /// Also solve without the shelter reserve, for its cost.
    public var compareWithoutReserve = true
    /// MPC: lower the battery's own floors to what the starting SoC can reach first (as `dispatch run`).
    public var clampOwnFloorsToReach = false
    public var maxSeconds: Double? = nil

    public init(requirements: [ShelterRequirement]) { self.requirements = requirements }

    public func solve(_ base: DispatchProblem) throws -> ShelterPlanResult {
        var base = base
        if clampOwnFloorsToReach { base.clampFloorsToReach() }
        let floors = ShelterReserve.floors(requirements, start: base.startEpoch, step: base.step)
        var full = base
        full.applyReserveFloors(floors)
        var without: DispatchPlan? = nil
        if compareWithoutReserve && !floors.isEmpty { without = try? DispatchModel.solve(base, maxSeconds: maxSeconds) }
        var errors = precheck(full)
        if errors.isEmpty {
            do {
                let plan = try DispatchModel.solve(full, maxSeconds: maxSeconds)
                return result(plan, full, errors: [], fallback: false, scale: 1, without: without)
            } catch DispatchError.infeasible(let causes) {
                // The shelter floors are to blame when the same problem without them solves (the
                // elastic diagnosis may relax the import limit instead of the reserve: both fix it).
                let baseSolves = without != nil || (try? DispatchModel.solve(base, maxSeconds: maxSeconds)) != nil
                guard baseSolves else { throw DispatchError.infeasible(causes: causes) }
                errors = firstShort(full, reach: reach(full), reasonIfHoldable: .importAndPV)
            }
        }
        guard allowFallback else {
            if let e = errors.first { throw e }
            throw DispatchError.infeasible(causes: [])
        }
        // Best achievable: cap at SoC max and reach, then the largest uniform scale that solves.
        var capped = base
        let r = reach(full)
        let held = base.heldKWh(floors)
        for k in capped.dongs.indices {
            for j in capped.dongs[k].batteries.indices {
                let b = capped.dongs[k].batteries[j]
                guard let h = held[b.id] else { continue }
                capped.dongs[k].batteries[j].reserveKWh = (0..<base.slotCount).map { t in
                    h[t] > 0 ? max(b.reserve(t), min(b.socMinKWh + h[t], b.socMaxKWh, r[b.id]?[t] ?? b.socMaxKWh)) : b.reserve(t)
                }
            }
        }
        if let plan = try? DispatchModel.solve(capped, maxSeconds: maxSeconds) {
            return result(plan, capped, errors: errors, fallback: true, scale: 1, without: without)
        }
        var lo = 0.0, hi = 1.0
        var best = try DispatchModel.solve(scaled(base, capped, 0), maxSeconds: maxSeconds)
        var bestProblem = scaled(base, capped, 0)
        for _ in 0..<12 {
            let mid = (lo + hi) / 2
            let p = scaled(base, capped, mid)
            if let plan = try? DispatchModel.solve(p, maxSeconds: maxSeconds) { lo = mid; best = plan; bestProblem = p } else { hi = mid }
        }
        return result(best, bestProblem, errors: errors, fallback: true, scale: lo, without: without)
    }

    /// `capped` with its shelter part (above `base`'s own reserve) scaled by `s`.
    func scaled(_ base: DispatchProblem, _ capped: DispatchProblem, _ s: Double) -> DispatchProblem {
        var p = capped
        for k in p.dongs.indices {
            for j in p.dongs[k].batteries.indices {
                let b0 = base.dongs[k].batteries[j], b1 = capped.dongs[k].batteries[j]
                p.dongs[k].batteries[j].reserveKWh = (0..<p.slotCount).map { t in b0.reserve(t) + s * max(0, b1.reserve(t) - b0.reserve(t)) }
            }
        }
        return p
    }

    /// Highest SoC each battery can hold at the end of each slot charging at full power [kWh].
    func reach(_ p: DispatchProblem) -> [String: [Double]] {
        var out: [String: [Double]] = [:]
        for d in p.dongs {
            for b in d.batteries {
                var s = b.initialSocKWh
                out[b.id] = (0..<p.slotCount).map { _ in s = min(b.socMaxKWh, s + b.chargeEfficiency * b.maxChargeKW * p.hoursPerSlot); return s }
            }
        }
        return out
    }

    /// Capacity and charging-power checks before solving.
    func precheck(_ p: DispatchProblem) -> [ResilienceError] {
        firstShort(p, reach: reach(p), reasonIfHoldable: nil)
    }

    /// The first slot of each shelter whose required total exceeds what its batteries can hold
    /// (capacity) or reach (charging power); with `reasonIfHoldable`, also the first slot with a
    /// requirement at all, for that reason.
    func firstShort(_ p: DispatchProblem, reach: [String: [Double]], reasonIfHoldable: ShortfallReason?) -> [ResilienceError] {
        var out: [ResilienceError] = []
        for r in requirements {
            let bats = p.dongs.flatMap(\.batteries).filter { r.heldKWh[$0.id] != nil }
            for t in 0..<p.slotCount {
                let req = bats.reduce(0) { $0 + $1.floor(t, of: p.slotCount) }
                let cap = bats.reduce(0) { $0 + $1.socMaxKWh }
                let rch = bats.reduce(0) { $0 + (reach[$1.id]?[t] ?? $1.socMaxKWh) }
                guard r.totalHeldKWh(t) > 0 else { continue }
                if req > cap + 1e-6 {
                    out.append(.reserveInfeasible(shelter: r.shelter.id, slotStart: p.startEpoch + Int64(t * p.step.seconds), reason: .capacity, requiredKWh: req, achievableKWh: cap)); break
                }
                if req > rch + 1e-6 {
                    out.append(.reserveInfeasible(shelter: r.shelter.id, slotStart: p.startEpoch + Int64(t * p.step.seconds), reason: .chargingPower, requiredKWh: req, achievableKWh: rch)); break
                }
                if let reason = reasonIfHoldable {
                    out.append(.reserveInfeasible(shelter: r.shelter.id, slotStart: p.startEpoch + Int64(t * p.step.seconds), reason: reason, requiredKWh: req, achievableKWh: rch)); break
                }
            }
        }
        return out
    }

    func result(_ plan: DispatchPlan, _ solved: DispatchProblem, errors: [ResilienceError], fallback: Bool, scale: Double,
                without: DispatchPlan?) -> ShelterPlanResult {
        // Shortfalls against the full requirement.
        var shortfalls: [ShelterShortfall] = []
        let floors = ShelterReserve.floors(requirements, start: solved.startEpoch, step: solved.step)
        let held = solved.heldKWh(floors)
        let r = reach(solved)
        for q in requirements {
            let bats = solved.dongs.flatMap(\.batteries).filter { q.heldKWh[$0.id] != nil }
            for t in 0..<solved.slotCount where q.totalHeldKWh(t) > 0 {
                let required = bats.reduce(0) { $0 + max($1.reserve(t), $1.socMinKWh + (held[$1.id]?[t] ?? 0)) }
                let planned = bats.reduce(0) { acc, b in acc + (plan.batteries.first { $0.id == b.id }?.socKWh[t] ?? 0) }
                guard planned < required - 1e-3 else { continue }
                let cap = bats.reduce(0) { $0 + $1.socMaxKWh }
                let rch = bats.reduce(0) { $0 + (r[$1.id]?[t] ?? $1.socMaxKWh) }
                let reason: ShortfallReason = required > cap + 1e-6 ? .capacity : (required > rch + 1e-6 ? .chargingPower : .importAndPV)
                shortfalls.append(ShelterShortfall(shelterID: q.shelter.id, slotStart: solved.startEpoch + Int64(t * solved.step.seconds),
                                                   requiredWh: Int64((required * 1000).rounded()), plannedWh: Int64((planned * 1000).rounded()),
                                                   reason: reason.rawValue))
            }
        }
        var res = ShelterPlanResult(plan: plan, problem: solved, requirements: requirements, errors: errors, fallback: fallback || !shortfalls.isEmpty,
                                    fallbackScale: scale, shortfalls: shortfalls, planWithoutReserve: without)
        if !fallback { res.fallbackScale = 1 }
        return res
    }
}
