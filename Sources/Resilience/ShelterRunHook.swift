import VPPCore
import VPPStore
import Dispatcher

/// The shelters' reserve in the scheduled (MPC) run: a `DispatchRunner.planner` that reads the
/// alerts for the horizon, lowers the batteries' own floors to what the measured SoC can reach
/// (as the plain run does), holds the shelter reserve, falls back to the best achievable one when
/// it cannot be held, and records the outcome with the run id.
public enum ShelterRunHook {
    public static func planner(site: SiteConfig, alerts: @escaping @Sendable (Int64, Int64) async throws -> [WeatherAlert],
                               record: (any AlertStore)?, now: @escaping @Sendable () -> Int64, maxSeconds: Double?)
        -> @Sendable (DispatchProblem, Int64) async throws -> (plan: DispatchPlan, note: String?)
    {
        { p, runID in
            let a = try await alerts(p.startEpoch, p.startEpoch + Int64(p.slotCount * p.step.seconds))
            var planner = ShelterPlanner(requirements: ShelterReserve.requirements(site: site, alerts: a, start: p.startEpoch,
                                                                                   step: p.step, slots: p.slotCount))
            planner.clampOwnFloorsToReach = true
            planner.compareWithoutReserve = false
            planner.maxSeconds = maxSeconds
            let r = try planner.solve(p)
            guard !r.requirements.isEmpty else { return (r.plan, nil) }
            try await record?.recordShelterOutcome(r.outcome(runID: runID, recordedAt: now()))
            return (r.plan, r.note)
        }
    }
}
