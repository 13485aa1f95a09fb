import VPPStore

/// How much of a dong's renewable energy rests on estimates (issue 12), hour by hour alongside
/// `DongEnergyAccountant`:
/// - f_g = estimated PV / generation and f_c = consumption from monthly / consumption of the hour;
/// - direct PV is estimated in the share 1 − (1 − f_g)(1 − f_c) (only the part where both the
///   generation and the consumption were metered counts as metered);
/// - PV charged into storage carries f_g into the store, which mixes like the accountant's
///   well-mixed store; PV via storage is estimated in the share 1 − (1 − f_store)(1 − f_c).
public struct EstimatedShareTracker: Sendable {
    public let hasPV: Bool
    public let roundTripEfficiency: Double
    /// Estimated and total PV-origin energy in the store [Wh].
    private var storedEstimated = 0.0

    public init(roundTripEfficiency: Double, hasPV: Bool) { self.roundTripEfficiency = roundTripEfficiency; self.hasPV = hasPV }

    /// Fills the estimated fields of `t` (the accountant's result for `r`); `pvBefore`/`pvAfter`
    /// are the accountant's PV-origin store before and after the hour.
    public mutating func apply(_ t: inout EnergyTotals, rollup r: HourlyRollup, counts c: HourCounts?, pvBefore: Double, pvAfter: Double) {
        let g = Double(max(0, r.generationWh)), cons = Double(max(0, r.consumptionWh))
        let pvEst = min(g, max(0, c?.pvEstimatedWh ?? 0)), monthly = min(cons, max(0, c?.monthlyEstimatedWh ?? 0))
        t.generationEstimated = pvEst
        t.consumptionFromMonthly = monthly
        let fg = g > 0 ? pvEst / g : 0, fc = cons > 0 ? monthly / cons : 0
        let complete = (!hasPV || r.generationCoveredS > 0) && r.consumptionCoveredS > 0
        let direct = complete ? min(g, cons) : 0
        let pvCharge = min(Double(max(0, r.chargeWh)), complete ? g - direct : 0)
        let added = pvCharge * roundTripEfficiency
        let afterCharge = pvBefore + added
        let fStore = afterCharge > 0 ? (storedEstimated + added * fg) / afterCharge : 0
        storedEstimated = max(0, pvAfter) * fStore
        t.renewableEstimated = t.directPV * (1 - (1 - fg) * (1 - fc)) + t.pvViaStorage * (1 - (1 - fStore) * (1 - fc))
    }
}
