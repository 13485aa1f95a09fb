import Foundation
import VPPCore
import VPPStore

/// Builds a `DispatchProblem` for a site config over a horizon, from recorded profiles or
/// given per-dong series.
public struct SiteProblemBuilder: Sendable {
    public var site: SiteConfig
    /// Mean household electric load [kW] (≈ 300 kWh/month Seoul apartment; ESTIMATE).
    public var meanHouseholdKW = 0.42
    /// Share of the dong's households whose load is behind the dong VPP's meters [0–1] (ESTIMATE).
    public var participation = 0.05
    /// Demand charge [KRW/kW per month] (KEPCO 일반용(을) 고압A 선택II basic charge ≈ 8,320; ESTIMATE),
    /// prorated to the horizon.
    public var demandChargeKRWPerKWMonth = 8320.0
    /// Optional hourly export price series [KRW/kWh] by hour-beginning epoch (e.g. SMP).
    public var exportSeries: [Int64: Double]? = nil
    public var weights = ObjectiveWeights()
    /// Raised resilience reserve in time windows (e.g. heat-wave alerts: cooling-shelter backup),
    /// applied to every battery: [from, to) UTC epoch s and the reserve [% of capacity].
    public var reserveWindows: [ReserveWindow] = []
    /// Optional limit on the sum of all dongs' import (shared transformer) [kW].
    public var sharedImportLimitKW: Double? = nil
    /// Reserve energy held for someone in a window, per battery — the general form of
    /// `reserveWindows` in kWh, e.g. a cooling shelter's backup during a heat-wave alert and its
    /// lead time (Resilience's `ShelterReserve`). See `DispatchProblem.applyReserveFloors`.
    public var reserveFloors: [ReserveFloor] = []

    public struct ReserveWindow: Sendable, Equatable {
        public var from: Int64, to: Int64, pct: Double
        public init(from: Int64, to: Int64, pct: Double) { self.from = from; self.to = to; self.pct = pct }
        /// Parses `2026-07-06T12:00/2026-07-06T20:00=60` (KST).
        public init(text: String) throws {
            let eq = text.split(separator: "=", maxSplits: 1)
            let ft = eq.first.map { $0.split(separator: "/", maxSplits: 1) } ?? []
            guard eq.count == 2, ft.count == 2, let a = KSTDateTime.parse(String(ft[0])), let b = KSTDateTime.parse(String(ft[1])),
                  let pct = Double(eq[1]), pct >= 0, pct <= 100, a < b else {
                throw DispatchError.invalidInput("reserve window '\(text)': expected FROM/TO=PCT, e.g. 2026-07-06T12:00/2026-07-06T20:00=60")
            }
            self.init(from: a.epochSeconds, to: b.epochSeconds, pct: pct)
        }
    }

    public init(site: SiteConfig) { self.site = site }

    /// The problem for `series` (one entry per dong, in config order) and initial SoCs by battery id.
    public func problem(start: Int64, step: SlotLength, slots: Int, series: [(load: [Double], pv: [Double])],
                        initialSoCKWh: [String: Double] = [:]) throws -> DispatchProblem {
        guard series.count == site.dongs.count else { throw DispatchError.invalidInput("series for \(series.count) dongs, site has \(site.dongs.count)") }
        var prices: [Double] = [], periods: [LoadPeriod] = [], export: [Double] = [], ef: [Double] = []
        for t in 0..<slots {
            let e = start + Int64(t * step.seconds)
            guard let rate = site.tariff(at: e)?.rate(at: e) else {
                throw DispatchError.invalidInput("no tariff period for \(KSTDateTime(epochSeconds: e)) KST in the site config")
            }
            prices.append(rate.rateKRWPerKWh); periods.append(rate.period)
            let hour = Slot(containing: e, length: .hour).start
            export.append(exportPrice(hour: hour))
            ef.append(site.emissionFactor(forYear: KSTDateTime(epochSeconds: e).year)?.tco2eqPerMWh ?? 0)
        }
        let dongs = zip(site.dongs, series).map { d, s in
            DongInput(code: d.code, loadKW: s.load, pvKW: s.pv, importLimitKW: d.importLimitKW, exportLimitKW: d.exportLimitKW,
                      batteries: d.batteries.map { BatteryInput(config: $0, initialSocKWh: initialSoCKWh[$0.id]) })
        }
        let days = Double(slots * step.seconds) / 86_400
        var dongs2 = dongs
        if !reserveWindows.isEmpty {
            for k in dongs2.indices {
                for j in dongs2[k].batteries.indices {
                    var bt = dongs2[k].batteries[j]
                    bt.reserveKWh = (0..<slots).map { t in
                        let e = start + Int64(t * step.seconds)
                        let raised = reserveWindows.filter { e >= $0.from && e < $0.to }.map { $0.pct / 100 * bt.capacityKWh }.max() ?? 0
                        return min(bt.socMaxKWh, max(bt.constantReserveKWh, raised))
                    }
                    dongs2[k].batteries[j] = bt
                }
            }
        }
        var problem = DispatchProblem(startEpoch: start, step: step, slotCount: slots, dongs: dongs2, importPriceKRWPerKWh: prices,
                                      exportPriceKRWPerKWh: export, emissionKgPerKWh: ef, loadPeriods: periods,
                                      demandChargeKRWPerKW: demandChargeKRWPerKWMonth * days / 30,
                                      sharedImportLimitKW: sharedImportLimitKW, weights: weights)
        problem.applyReserveFloors(reserveFloors)
        return problem
    }

    /// Export value for an hour: the series' value at that hour, else at the same month, day and
    /// hour of the series' year (the stored SMP covers 2021-01..08), else the flat config price.
    public func exportPrice(hour: Int64) -> Double {
        guard let s = exportSeries else { return site.export.flatKRWPerKWh }
        if let v = s[hour] { return v }
        let t = KSTDateTime(epochSeconds: hour)
        let alt = KSTDateTime(year: 2021, month: t.month, day: min(t.day, KST.daysInMonth(year: 2021, month: t.month)), hour: t.hour).epochSeconds
        return s[alt] ?? site.export.flatKRWPerKWh
    }
}
