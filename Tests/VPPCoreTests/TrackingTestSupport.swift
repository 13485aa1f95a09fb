import Foundation
@testable import VPPCore
import VPPStore
@testable import VPPStoreSQLite
@testable import Tracking
import VPPTestSupport

/// Helpers for the tracking tests: a tiny site on a fresh store and whole-day rollups.
enum TrackingFixture {
    /// A fresh store with `SiteBuilder.tiny` loaded (dongs 9999900000, 9999900001, …; households
    /// 1000, 2000, …; 32.5 kWp mini-solar each; one battery each, η 0.95 × 0.95).
    static func store(dongs: Int = 2, batteryKWh: Double = 10_000,
                      factors: [EmissionFactorEntry]? = nil) async throws -> (SQLiteStore, URL, SiteConfig) {
        let (store, dir) = try TestStore.make(clock: FixedWallClock(KSTDateTime(year: 2024, month: 8, day: 2)))
        var config = SiteBuilder.tiny(dongs: dongs, batteryKWh: batteryKWh)
        if let factors { config.emissionFactors = factors }
        try await store.loadSite(config)
        return (store, dir, config)
    }

    static func code(_ i: Int) -> String { String(format: "99999%05d", i) }

    /// 24 covered hours of one KST day; `hours` overrides hour-of-day → (gen, cons, charge, discharge) Wh.
    static func day(_ y: Int, _ m: Int, _ d: Int, dong: String,
                    hours: [Int: (g: Int64, c: Int64, ch: Int64, dis: Int64)] = [:],
                    base: (g: Int64, c: Int64) = (0, 0), coveredHours: Range<Int> = 0..<24)
        -> [(dongCode: String, rollup: HourlyRollup)]
    {
        coveredHours.map { h in
            let t = KSTDateTime(year: y, month: m, day: d, hour: h).epochSeconds
            let v = hours[h] ?? (base.g, base.c, 0, 0)
            return (dong, HourlyRollup(hourStart: t, generationWh: v.g, consumptionWh: v.c, chargeWh: v.ch, dischargeWh: v.dis))
        }
    }

    /// The worked example of `TrackingReportTests`: 1 MWh/h load all day; 3 MWh/h PV 10–13 h of
    /// which 2 MWh/h is stored; 1.5 MWh/h discharged 19–22 h.
    static func workedDay(dong: String, y: Int = 2024, m: Int = 7, d: Int = 1) -> [(dongCode: String, rollup: HourlyRollup)] {
        var hours: [Int: (g: Int64, c: Int64, ch: Int64, dis: Int64)] = [:]
        for h in 10...13 { hours[h] = (3_000_000, 1_000_000, 2_000_000, 0) }
        for h in 19...22 { hours[h] = (0, 1_000_000, 0, 1_500_000) }
        return day(y, m, d, dong: dong, hours: hours, base: (0, 1_000_000))
    }
}
