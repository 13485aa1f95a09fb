import VPPCore
import VPPStore

/// Energy summed over a bucket (hour, day, month, …) [Wh]. `Double` because PV via storage is
/// de-rated by the round-trip efficiency; rounded to whole Wh only when shown.
public struct EnergyTotals: Sendable, Equatable {
    public var generation = 0.0
    public var consumption = 0.0
    public var directPV = 0.0
    public var pvViaStorage = 0.0
    public var charged = 0.0
    public var discharged = 0.0
    public var storageLoss = 0.0
    public var imported = 0.0
    public var exported = 0.0
    /// tCO2e avoided = renewable MWh × the emission factor of each hour's KST calendar year.
    public var tco2Avoided = 0.0
    /// Metered seconds summed over hours (and dongs, for district totals) [s].
    public var generationCoveredS: Int64 = 0
    public var consumptionCoveredS: Int64 = 0
    /// Estimated parts (issue 12): generation of unmetered PV, consumption spread from monthly
    /// uploads, and the renewable energy that rests on either (`EstimatedShareTracker`) [Wh].
    public var generationEstimated = 0.0
    public var consumptionFromMonthly = 0.0
    public var renewableEstimated = 0.0
    public var tco2AvoidedEstimated = 0.0

    public init() {}

    /// Renewable energy used on site [Wh] = self-consumed PV.
    @inlinable public var renewable: Double { directPV + pvViaStorage }
    @inlinable public var selfConsumedPV: Double { directPV + pvViaStorage }

    @inlinable public mutating func add(_ o: EnergyTotals) {
        generation += o.generation; consumption += o.consumption; directPV += o.directPV
        pvViaStorage += o.pvViaStorage; charged += o.charged; discharged += o.discharged
        storageLoss += o.storageLoss; imported += o.imported; exported += o.exported
        tco2Avoided += o.tco2Avoided
        generationCoveredS += o.generationCoveredS; consumptionCoveredS += o.consumptionCoveredS
        generationEstimated += o.generationEstimated; consumptionFromMonthly += o.consumptionFromMonthly
        renewableEstimated += o.renewableEstimated; tco2AvoidedEstimated += o.tco2AvoidedEstimated
    }
}

/// Applies the definitions above to one dong's hourly rollups, in time order (the store of
/// PV-tagged energy carries over from hour to hour).
public struct DongEnergyAccountant: Sendable {
    /// η_charge × η_discharge of the dong's batteries [0–1].
    public let roundTripEfficiency: Double
    /// Deliverable energy in the store by origin [Wh].
    public private(set) var pvStoredWh = 0.0
    public private(set) var gridStoredWh = 0.0

    /// False for a dong without PV: its generation needs no meter, so it is always "covered".
    public let hasPV: Bool

    public init(roundTripEfficiency: Double, hasPV: Bool = true) {
        self.roundTripEfficiency = roundTripEfficiency; self.hasPV = hasPV
    }

    /// Round-trip efficiency of a dong: capacity-weighted mean of η_charge × η_discharge over its
    /// batteries; 1 when it has none (nothing is stored then).
    public static func roundTripEfficiency(of dong: DongConfig) -> Double {
        let cap = dong.batteries.reduce(0.0) { $0 + $1.capacityKWh }
        guard cap > 0 else { return 1 }
        return dong.batteries.reduce(0.0) { $0 + $1.capacityKWh * $1.chargeEfficiency * $1.dischargeEfficiency } / cap
    }

    /// One hour's contribution (tCO2 is left at 0; the caller applies the year's factor).
    public mutating func account(_ r: HourlyRollup) -> EnergyTotals {
        let g = Double(max(0, r.generationWh)), c = Double(max(0, r.consumptionWh))
        let ch = Double(max(0, r.chargeWh)), d = Double(max(0, r.dischargeWh))
        var t = EnergyTotals()
        t.generation = g; t.consumption = c; t.charged = ch; t.discharged = d
        // An hour missing generation or consumption data has no known balance: nothing derived
        // is counted for it (its charge is treated as grid energy), so a gap never shows up as
        // self-consumption or as export/import.
        let complete = (!hasPV || r.generationCoveredS > 0) && r.consumptionCoveredS > 0
        let direct = complete ? min(g, c) : 0
        t.directPV = direct
        let surplus = complete ? g - direct : 0
        let pvCharge = min(ch, surplus)
        let eta = roundTripEfficiency
        pvStoredWh += pvCharge * eta
        gridStoredWh += (ch - pvCharge) * eta
        t.storageLoss = ch * (1 - eta)
        if d > 0 {
            let held = pvStoredWh + gridStoredWh
            let pvOut = held > 0 ? min(pvStoredWh, d * pvStoredWh / held) : 0
            let gridOut = min(gridStoredWh, d - pvOut)
            pvStoredWh -= pvOut; gridStoredWh -= gridOut
            t.pvViaStorage = complete ? min(pvOut, max(0, c - g)) : 0
        }
        if r.importWh != 0 || r.exportWh != 0 {
            t.imported = Double(r.importWh); t.exported = Double(r.exportWh)
        } else if complete {
            let net = c + ch - g - d
            t.imported = max(0, net); t.exported = max(0, -net)
        }
        t.generationCoveredS = min(3600, max(0, r.generationCoveredS))
        t.consumptionCoveredS = min(3600, max(0, r.consumptionCoveredS))
        return t
    }
}
