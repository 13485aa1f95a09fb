import Dispatcher
import Foundation
import Resilience
import VPPCore
import VPPStore
import VPPStoreSQLite

/// The shelters' reserve in `dispatch plan` and `dispatch run` (issue 17): alerts from a file or
/// the store, the reserve from backup hours, the fallback, and the lines that report them.
enum ShelterDispatch {
    /// Alerts from `file` (CSV or KMA reply) when given, else those stored overlapping the horizon.
    static func alerts(file: String?, store: (any AlertStore)?, from: Int64, to: Int64) async throws -> [WeatherAlert] {
        if let file {
            let r = try AlertImporter.parse(fileAt: file)
            for x in r.rejected { FileHandle.standardError.write(Data("\(file):\(x.line): rejected: \(x.reason)\n".utf8)) }
            return r.alerts
        }
        return try await store?.alerts(from: from - 2 * 86_400, to: to + 2 * 86_400) ?? []
    }

    static func planner(site: SiteConfig, alerts: [WeatherAlert], problem p: DispatchProblem) -> ShelterPlanner {
        ShelterPlanner(requirements: ShelterReserve.requirements(site: site, alerts: alerts, start: p.startEpoch, step: p.step, slots: p.slotCount))
    }

    /// Report lines: per shelter the alert windows in the horizon, the reserve held, backup hours
    /// over the plan, errors and the fallback, and the reserve's cost.
    static func summary(_ r: ShelterPlanResult) -> [String] {
        guard !r.requirements.isEmpty else { return [] }
        var out: [String] = []
        for q in r.requirements {
            let ids = Set(q.heldKWh.keys)
            let bats = r.problem.dongs.flatMap(\.batteries).filter { ids.contains($0.id) }
            let hours = (0..<r.plan.slotCount).map { t in
                bats.reduce(0.0) { acc, b in acc + max(0, (r.plan.batteries.first { $0.id == b.id }?.socKWh[t] ?? 0) - b.socMinKWh) * b.dischargeEfficiency }
                    / q.shelter.criticalLoadKW
            }
            let bound = (0..<r.plan.slotCount).filter { q.totalHeldKWh($0) > 0 }
            let alerts = Set(q.alert.compactMap { $0.map { "\($0.level.nameKo) \($0.area) \(KSTDateTime(epochSeconds: $0.fromEpoch))–\(KSTDateTime(epochSeconds: $0.toEpoch)) KST" } })
            out.append("shelter \(q.shelter.id) (\(q.shelter.name)), \(fmtNum(q.shelter.criticalLoadKW, 1, trimZeros: true)) kW: "
                       + (alerts.isEmpty ? "no heat alert in the horizon" : "alert " + alerts.sorted().joined(separator: "; ")))
            if let first = bound.first, let last = bound.last {
                out.append("  reserve held from \(KSTDateTime(epochSeconds: r.plan.slotStart(first) + Int64(r.plan.step.seconds))) to \(KSTDateTime(epochSeconds: r.plan.slotStart(last) + Int64(r.plan.step.seconds))) KST: "
                           + "\(fmtNum(q.totalHeldKWh(first), 1, trimZeros: true)) kWh above SoC min (\(fmtNum(q.hours[first], 2, trimZeros: true)) h × load / η_d)")
                out.append("  backup hours over the plan: min \(fmtNum(bound.map { hours[$0] }.min() ?? 0, 2, trimZeros: true)) h while required, "
                           + "first slot \(fmtNum(hours.first ?? 0, 2, trimZeros: true)) h")
            }
        }
        for e in r.errors { out.append("  error: \(e.description)") }
        if r.fallback { out.append("  FALLBACK: \(r.note)") }
        if let c = r.reserveCost, let w = r.objectiveWithoutReserve {
            out.append("reserve cost: objective \(fmtNum(r.plan.objective, 2)) with the shelter reserve vs \(fmtNum(w, 2)) without = \(fmtNum(c, 2)) (KRW for --objective cost)")
        }
        return out
    }
}
