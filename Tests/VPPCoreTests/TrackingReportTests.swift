import Foundation
import GRDB
import Testing
@testable import VPPBenchmarks
@testable import VPPAuth
@testable import Tracking
@testable import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPStore
@testable import VPPCore
import VPPTestSupport

@Suite("Tracking: reports from rollups (hand-computed)")
struct TrackingReportTests {
    /// The worked day (dong 0, 2024-07-01), η_rt = 0.9025:
    /// load 24 × 1 MWh = 24 MWh; PV 10–13 h 4 × 3 = 12 MWh; direct PV 4 × 1 = 4 MWh;
    /// charge 4 × 2 = 8 MWh, all from the PV surplus → store 8 × 0.9025 = 7.22 MWh PV, loss 0.78 MWh;
    /// discharge 19–22 h 4 × 1.5 = 6 MWh, PV-tagged, but only 1 MWh/h meets load → PV via storage 4 MWh,
    /// 0.5 MWh/h exported → export 2 MWh; import = the other 16 h × 1 MWh = 16 MWh.
    /// Renewable 8 MWh / 24 MWh = 33.33 %; tCO2 = 8 MWh × 0.4173 (2023 factor; no 2024 entry) = 3.3384 t.
    @Test func workedDayRE100StorageAndTCO2() async throws {
        let (store, dir, _) = try await TrackingFixture.store(dongs: 1)
        defer { TempDirectory.remove(dir) }
        try await store.replaceRollups(TrackingFixture.workedDay(dong: TrackingFixture.code(0)))
        let report = try await TrackingReportBuilder.build(storage: store.storage, period: try ReportPeriod.parse("2024-07-01..2024-07-01"))
        let row = report.summary[0]
        #expect(row.level == .dong && row.dongCode == "9999900000" && row.name == "시험0동")
        #expect(row.generationKWh == 12_000)
        #expect(row.consumptionKWh == 24_000)
        #expect(row.directPVKWh == 4_000)
        #expect(row.pvViaStorageKWh == 4_000)
        #expect(row.selfConsumedPVKWh == 8_000)
        #expect(row.renewableKWh == 8_000)
        #expect(row.chargedKWh == 8_000)
        #expect(row.dischargedKWh == 6_000)
        #expect(row.storageLossKWh == 780)
        #expect(row.importKWh == 16_000)
        #expect(row.exportKWh == 2_000)
        #expect(row.re100SharePct == 33.33)
        #expect(row.tco2eAvoided == 3.3384)
        #expect(row.emissionFactor == 0.4173)
        #expect(row.generationCoveragePct == 100 && row.consumptionCoveragePct == 100 && !row.gap)
        #expect(report.factorsUsed.map(\.appliedToYear) == [2024])
        #expect(report.factorsUsed[0].note.contains("latest earlier year (2023)"))
        // District row of a one-dong site equals the dong.
        #expect(report.summary[1].level == .district && report.summary[1].renewableKWh == 8_000)
    }

    /// The factor of each hour's year: 1 MWh renewable on 2022-12-31 (0.4312) and on 2023-01-01
    /// (0.4173) = 0.8485 t; the period's effective factor is 0.8485 / 2 = 0.42425.
    @Test func emissionFactorOfTheRightYear() async throws {
        let factors = [EmissionFactorEntry(year: 2022, label: "2022", tco2eqPerMWh: 0.4312),
                       EmissionFactorEntry(year: 2023, label: "2023", tco2eqPerMWh: 0.4173)]
        let (store, dir, _) = try await TrackingFixture.store(dongs: 1, factors: factors)
        defer { TempDirectory.remove(dir) }
        let c = TrackingFixture.code(0)
        let mwhAtNoon: [Int: (g: Int64, c: Int64, ch: Int64, dis: Int64)] = [12: (1_000_000, 1_000_000, 0, 0)]
        try await store.replaceRollups(TrackingFixture.day(2022, 12, 31, dong: c, hours: mwhAtNoon)
                                       + TrackingFixture.day(2023, 1, 1, dong: c, hours: mwhAtNoon))
        let report = try await TrackingReportBuilder.build(storage: store.storage, period: try ReportPeriod.parse("2022-12-31..2023-01-01"))
        let days = report.daily.filter { $0.level == .dong }
        #expect(days.map(\.tco2eAvoided) == [0.4312, 0.4173])
        #expect(days.map(\.emissionFactor) == [0.4312, 0.4173])
        #expect(report.summary[0].tco2eAvoided == 0.8485)
        #expect(report.summary[0].emissionFactor == 0.4243)   // 0.42425 rounded to 4 places
        #expect(report.factorsUsed.map(\.tco2eqPerMWh) == [0.4312, 0.4173])
        #expect(report.factorsUsed.allSatisfy { $0.note.isEmpty })
        #expect(report.yearly.filter { $0.level == .dong }.map(\.bucket) == ["2022", "2023"])
    }

    /// Dong 1 has 12 of 24 hours (50 % coverage): its values are gaps (nil), not 0, and so is the
    /// district total (36 / 48 h = 75 %); at a 50 % threshold they show.
    @Test func gapsAreNullsNotZeros() async throws {
        let (store, dir, _) = try await TrackingFixture.store(dongs: 2)
        defer { TempDirectory.remove(dir) }
        try await store.replaceRollups(TrackingFixture.workedDay(dong: TrackingFixture.code(0))
            + TrackingFixture.day(2024, 7, 1, dong: TrackingFixture.code(1), base: (100_000, 200_000), coveredHours: 0..<12))
        let period = try ReportPeriod.parse("2024-07-01..2024-07-01")
        let report = try await TrackingReportBuilder.build(storage: store.storage, period: period)
        let d1 = report.summary[1], total = report.summary[2]
        #expect(d1.dongCode == "9999900001" && d1.gap)
        #expect(d1.generationKWh == nil && d1.consumptionKWh == nil && d1.re100SharePct == nil && d1.tco2eAvoided == nil)
        #expect(d1.generationCoveragePct == 50 && d1.consumptionCoveragePct == 50)
        #expect(total.level == .district && total.gap && total.consumptionCoveragePct == 75 && total.renewableKWh == nil)
        // CSV: empty cells; JSON: null.
        let csv = TrackingReportRenderer(report).csv()
        let line = csv.split(separator: "\n").first { $0.hasPrefix("dong,9999900001,") }!
        #expect(line == "dong,9999900001,시험1동,,2024-07-01..2024-07-01,,,,,,,,,,,,,,0.4173,50.0,50.0,,,,,,,,true")
        let json = TrackingReportRenderer(report).json()
        #expect(json.contains("\"generation_kwh\": null"))
        // A looser threshold shows the half day: 12 h × 0.1 MWh = 1.2 MWh PV, 2.4 MWh load, RE100 50 %.
        let loose = try await TrackingReportBuilder.build(storage: store.storage, period: period, options: TrackingOptions(coverageThresholdPct: 50))
        #expect(loose.summary[1].generationKWh == 1_200 && loose.summary[1].consumptionKWh == 2_400)
        #expect(loose.summary[1].re100SharePct == 50)
    }

    /// A missing consumption meter (generation present) withholds consumption and everything
    /// derived, but still shows generation.
    @Test func consumptionGapKeepsGeneration() async throws {
        let (store, dir, _) = try await TrackingFixture.store(dongs: 1)
        defer { TempDirectory.remove(dir) }
        var rows = TrackingFixture.day(2024, 7, 1, dong: TrackingFixture.code(0), base: (50_000, 0))
        for i in rows.indices { rows[i].rollup.consumptionCoveredS = 0 }
        try await store.replaceRollups(rows)
        let report = try await TrackingReportBuilder.build(storage: store.storage, period: try ReportPeriod.parse("2024-07-01..2024-07-01"))
        let r = report.summary[0]
        #expect(r.generationKWh == 1_200 && r.consumptionKWh == nil && r.re100SharePct == nil && r.gap)
        // Even with no threshold, the uncovered hours add no self-consumption and no export.
        let all = try await TrackingReportBuilder.build(storage: store.storage, period: try ReportPeriod.parse("2024-07-01..2024-07-01"),
                                                  options: TrackingOptions(coverageThresholdPct: 0))
        #expect(all.summary[0].generationKWh == 1_200 && all.summary[0].exportKWh == 0 && all.summary[0].directPVKWh == 0)
        #expect(all.summary[0].consumptionCoveragePct == 0)
    }

    /// Targets: households 1000 + 2000; district share 3.24 %. PV 2 × 32.5 = 65 kWp of
    /// 1,000,000 × 0.0324 = 32,400 kWp = 0.20 %; mini-solar 200 of 32,400 households = 0.62 %;
    /// tCO2 target 540,000 × 0.0324 = 17,496 t. Dong 1 (2,000 of 3,000 households): 0.0216 →
    /// 21,600 kWp, 21,600 households, 11,664 t.
    @Test func targetShares() async throws {
        let (store, dir, _) = try await TrackingFixture.store(dongs: 2)
        defer { TempDirectory.remove(dir) }
        let report = try await TrackingReportBuilder.build(storage: store.storage, period: try ReportPeriod.parse("2024-07"))
        let t = Dictionary(uniqueKeysWithValues: report.targets.map { ($0.key, $0) })
        #expect(t["pv_kwp"]!.actual == 65 && t["pv_kwp"]!.target == 32_400 && t["pv_kwp"]!.progressPct == 0.2)
        #expect(t["mini_solar_households"]!.actual == 200 && t["mini_solar_households"]!.target == 32_400)
        #expect(t["mini_solar_households"]!.progressPct == 0.62)
        #expect(t["tco2_per_year"]!.target == 17_496 && t["tco2_per_year"]!.actual == nil)
        let d1 = Dictionary(uniqueKeysWithValues: report.dongTargets["9999900001"]!.map { ($0.key, $0) })
        #expect(d1["pv_kwp"]!.target == 21_600 && d1["mini_solar_households"]!.target == 21_600)
        #expect(d1["tco2_per_year"]!.target == 11_664)
        #expect(report.runRate.method == .none)
    }

    /// One month of data (July 2024, 1 MWh renewable a day = 0.4173 t/day → 12.9363 t) is
    /// annualised by July's share of the Dangjin PV year, 0.094607: 136.737 tCO2e/yr.
    @Test func runRateAnnualisedWithSeasonalWeighting() async throws {
        let (store, dir, _) = try await TrackingFixture.store(dongs: 1)
        defer { TempDirectory.remove(dir) }
        var rows: [(dongCode: String, rollup: HourlyRollup)] = []
        for d in 1...31 {
            rows += TrackingFixture.day(2024, 7, d, dong: TrackingFixture.code(0), hours: [12: (1_000_000, 1_000_000, 0, 0)])
        }
        try await store.replaceRollups(rows)
        let report = try await TrackingReportBuilder.build(storage: store.storage, period: try ReportPeriod.parse("2024-07"))
        #expect(report.summary[0].tco2eAvoided == 12.9363)
        #expect(report.runRate.method == .seasonalAnnualised)
        #expect(report.runRate.coveredDays == 31 && report.runRate.windowDays == 366)
        #expect(abs(report.runRate.coveredYieldShare - 0.094607) < 1e-12)
        #expect(report.runRate.tco2ePerYear == 136.737)
        #expect(report.runRate.explanation.contains("annualised with seasonal weighting"))
        // A one-dong site is the whole district: target 540,000 × 0.0324 = 17,496 t; 136.737 / 17,496 = 0.78 %.
        #expect(report.targets[2].progressPct == 0.78)
    }

    /// Twelve full months: the run-rate is their plain sum, 366 days × 0.4173 t = 152.7318 t.
    @Test func runRateFromTheLastTwelveMonths() async throws {
        let (store, dir, _) = try await TrackingFixture.store(dongs: 1)
        defer { TempDirectory.remove(dir) }
        var rows: [(dongCode: String, rollup: HourlyRollup)] = []
        var t = KSTDateTime(year: 2024, month: 1, day: 1)
        while t.year == 2024 {
            rows += TrackingFixture.day(t.year, t.month, t.day, dong: TrackingFixture.code(0), hours: [12: (1_000_000, 1_000_000, 0, 0)])
            t = KSTDateTime(epochSeconds: t.epochSeconds + 86_400)
        }
        try await store.replaceRollups(rows)
        let report = try await TrackingReportBuilder.build(storage: store.storage, period: try ReportPeriod.parse("2024"))
        #expect(report.runRate.method == .last12Months)
        #expect(report.runRate.tco2ePerYear == 152.732)
        #expect(report.summary[0].tco2eAvoided == 152.7318)
        #expect(report.monthly.filter { $0.level == .dong }.count == 12)
        #expect(report.monthly.first { $0.bucket == "2024-02" }!.renewableKWh == 29_000)
    }

    /// Participants: meter-0 read 24 × 0.5 MWh = 12 MWh; its dong's RE100 is 8 / 24 → 4 MWh renewable.
    @Test func participantsGetTheirDongsShare() async throws {
        let (store, dir, _) = try await TrackingFixture.store(dongs: 1)
        defer { TempDirectory.remove(dir) }
        try await store.replaceRollups(TrackingFixture.workedDay(dong: TrackingFixture.code(0)))
        let start = KSTDateTime(year: 2024, month: 7, day: 1).epochSeconds
        try await store.write { db in
            for h in 0..<24 {
                try db.execute(sql: "INSERT INTO reading (asset_id, slot_start, duration_s, energy_wh) VALUES ('meter-0', ?, 3600, 500000)",
                               arguments: [start + Int64(h) * 3600])
            }
        }
        let report = try await TrackingReportBuilder.build(storage: store.storage, period: try ReportPeriod.parse("2024-07-01..2024-07-01"))
        let p = try #require(report.participants.first)
        #expect(p.participantID == "meter-0" && p.name == "시험아파트 0" && p.level == .participant)
        #expect(p.consumptionKWh == 12_000 && p.renewableKWh == 4_000 && p.re100SharePct == 33.33)
        #expect(p.tco2eAvoided == 1.6692)    // 4 MWh × 0.4173
        #expect(p.consumptionCoveragePct == 100 && !p.gap)
    }

    /// SoC from the latest dispatch plan: run 2 overrides run 1 for the slot both planned.
    @Test func socFromTheLatestPlan() async throws {
        let (store, dir, _) = try await TrackingFixture.store(dongs: 1, batteryKWh: 100)
        defer { TempDirectory.remove(dir) }
        let t0 = KSTDateTime(year: 2024, month: 7, day: 1).epochSeconds
        try await store.write { db in
            for run in [1, 2] {
                try db.execute(sql: """
                    INSERT INTO dispatch_run (id, started_at, status, objective, horizon_s, step_s) VALUES (?, ?, 'ok', 'cost', 86400, 3600)
                    """, arguments: [run, t0])
            }
            try db.execute(sql: "INSERT INTO schedule VALUES (1, 'ess-0', ?, 3600, 0, 0, 50000), (1, 'ess-0', ?, 3600, 0, 0, 60000), (2, 'ess-0', ?, 3600, 0, 0, 70000)",
                           arguments: [t0, t0 + 3600, t0 + 3600])
        }
        let report = try await TrackingReportBuilder.build(storage: store.storage, period: try ReportPeriod.parse("2024-07-01..2024-07-01"))
        #expect(report.soc.source == .plannedSchedule && report.soc.resolution == "hour")
        #expect(report.soc.dongs[0].points == [.init(t: t0, pct: 50), .init(t: t0 + 3600, pct: 70)])
    }

    /// Without a plan, SoC is integrated from metered charge/discharge from the initial 50 %:
    /// 10 kWh battery, charge 2 kWh × 0.95 → 50 % + 19 % = 69 %; discharge 0.95 kWh / 0.95 → 59 %.
    @Test func socDerivedFromRollups() async throws {
        let (store, dir, _) = try await TrackingFixture.store(dongs: 1, batteryKWh: 10)
        defer { TempDirectory.remove(dir) }
        try await store.replaceRollups(TrackingFixture.day(2024, 7, 1, dong: TrackingFixture.code(0),
                                                           hours: [1: (0, 0, 2_000, 0), 2: (0, 0, 0, 950)]))
        let report = try await TrackingReportBuilder.build(storage: store.storage, period: try ReportPeriod.parse("2024-07-01..2024-07-01"))
        #expect(report.soc.source == .derivedFromRollups)
        let pts = report.soc.dongs[0].points
        #expect(pts.count == 24 && pts[0].pct == 50 && pts[1].pct == 69 && pts[2].pct == 59 && pts[23].pct == 59)
    }

    @Test func unknownDongIsAUsageError() async throws {
        let (store, dir, _) = try await TrackingFixture.store(dongs: 1)
        defer { TempDirectory.remove(dir) }
        await #expect(throws: VPPError.self) {
            try await TrackingReportBuilder.build(storage: store.storage, period: try ReportPeriod.parse("2024-07"),
                                            options: TrackingOptions(dongCode: "1141099999"))
        }
    }
}
