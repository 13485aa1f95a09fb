import Foundation
import Testing
import VPPConfig
import VPPStoreSQLite
import VPPStore
import VPPCore
import VPPTestSupport
@testable import Forecast

/// `vpp forecast score` arithmetic and selection (issue 11 item 4). Expected figures are worked
/// out by hand in the comments, not copied from the program's output.
@Suite("Forecast scoring")
struct ForecastScoringTests {
    static let tol = 1e-9

    @Test("KPX NMAE by hand: the 10 %-of-capacity filter, a missing actual, night hours, persistence skill, day bands")
    func nmaeHandComputed() {
        // Capacity 100 kWp → an hour qualifies when A ≥ 10 kWh.
        let hours = [
            ScoreHour(hourStart: 0, forecastWh: 5_000, actualWh: 4_000),                          // A < 10 %: not scored
            ScoreHour(hourStart: 3600, forecastWh: 30_000, actualWh: 20_000, persistenceWh: 25_000), // |F−A| 10 kWh → 10 %; P 5 %
            ScoreHour(hourStart: 7200, forecastWh: 50_000, actualWh: nil),                         // missing actual: left out
            ScoreHour(hourStart: 10_800, forecastWh: 40_000, actualWh: 46_000, persistenceWh: 36_000), // 6 %; P 10 %
            ScoreHour(hourStart: 14_400, forecastWh: 0, actualWh: 0),                              // night
        ]
        let s = ForecastScoring.scorePV(period: "all", dong: "x", hours: hours, capacityKWp: 100)
        #expect(s.status == .ok)
        #expect(s.forecastHours == 5 && s.pairedHours == 4 && s.missingActualHours == 1 && s.scoredHours == 2)
        // (10 % + 6 %) / 2
        #expect(abs((s.nmaePct ?? -1) - 8.0) < Self.tol)
        // persistence (5 % + 10 %) / 2 = 7.5 %; skill 1 − 8 / 7.5
        #expect(abs((s.persistenceNMAEPct ?? -1) - 7.5) < Self.tol)
        #expect(abs((s.skillVsPersistence ?? 0) - (1 - 8.0 / 7.5)) < Self.tol)
        // Daylight hours: errors +1, +10, −6 kWh → MAE 17/3, bias 5/3, RMSE √(137/3).
        #expect(abs((s.maeKWh ?? 0) - 17.0 / 3) < Self.tol)
        #expect(abs((s.biasKWh ?? 0) - 5.0 / 3) < Self.tol)
        #expect(abs((s.rmseKWh ?? 0) - (137.0 / 3).squareRoot()) < Self.tol)
        // One KST day with daily NMAE 8 %: not ≤ 6 %, ≤ 8 %.
        #expect(s.days == 1 && s.shareDaysWithin6Pct == 0 && s.shareDaysWithin8Pct == 100)
    }

    @Test("No actuals is said, never 0 %; no forecast and no qualifying hour are told apart")
    func noActuals() {
        let onlyForecast = (0..<24).map { ScoreHour(hourStart: Int64($0) * 3600, forecastWh: 1_000, actualWh: nil) }
        let pv = ForecastScoring.scorePV(period: "all", dong: "x", hours: onlyForecast, capacityKWp: 50)
        #expect(pv.status == .noActuals && pv.nmaePct == nil && pv.maeKWh == nil && pv.missingActualHours == 24)
        let load = ForecastScoring.scoreLoad(period: "all", dong: "x", hours: onlyForecast)
        #expect(load.status == .noActuals && load.nmaePct == nil && load.mapePct == nil)
        let nothing = ForecastScoring.scorePV(period: "all", dong: "x", hours: [ScoreHour(hourStart: 0, forecastWh: nil, actualWh: 5)],
                                              capacityKWp: 50)
        #expect(nothing.status == .noForecast && nothing.nmaePct == nil)
        // Actual 4 kWh < 10 % of 50 kWp: paired, but no hour counts for KPX.
        let low = ForecastScoring.scorePV(period: "all", dong: "x", hours: [ScoreHour(hourStart: 0, forecastWh: 3_000, actualWh: 4_000)],
                                          capacityKWp: 50)
        #expect(low.status == .noQualifyingHours && low.nmaePct == nil && low.maeKWh == 1)
        let report = ForecastScoreReport(from: "a", to: "b", deadline: "d", grouping: .all, runs: [], daysWithoutRun: [], dongNames: [:],
                                         districtPVDongs: [], districtLoadDongs: [], pv: [pv], load: [load], definitions: [])
        #expect(report.pvCells.rows[0][7] == "no actuals")
        #expect(report.loadCells.rows[0][6] == "no actuals")
        #expect(report.csvCells.rows[0][9] == "" && report.csvCells.rows[0][3] == "no actuals")
    }

    @Test("Quarter-hour slots sum to hours; a partly forecast hour is dropped")
    func hourlyAggregation() {
        let h: Int64 = 1_719_792_000   // an hour start
        var slots = (0..<4).map { (slotStart: h + Int64($0) * 900, durationS: 900, wh: Int64(1_000 + $0)) }
        slots += (0..<3).map { (slotStart: h + 3600 + Int64($0) * 900, durationS: 900, wh: Int64(7)) }
        slots.append((slotStart: h + 7200, durationS: 7200, wh: 9))   // two hours: 5 + 4
        let out = ForecastScoring.hourly(slots: slots)
        #expect(out[h] == 4_006)
        #expect(out[h + 3600] == nil)
        #expect(out[h + 7200] == 5 && out[h + 10_800] == 4)
        // The scorer's array form gives the same hours (and nil for the partly forecast one).
        var sums = ForecastScoring.HourlySums(from: h, hours: 4)
        for x in slots { sums.add(slotStart: x.slotStart, durationS: x.durationS, wh: x.wh) }
        #expect(sums.values == [4_006, nil, 5, 4])
    }

    @Test("As issued: the newest run at or before the deadline that covers the day; later or partial runs are not used")
    func issuedBeforeSelection() {
        let day = KSTDateTime(year: 2024, month: 7, day: 2).epochSeconds
        func span(_ id: Int64, issued: KSTDateTime, from: Int64, to: Int64) -> ForecastRunSpan {
            ForecastRunSpan(run: StoredForecastRun(id: id, issuedAt: issued.epochSeconds, kind: "day-ahead", horizonS: to - from,
                                                   stepS: 900, model: "m"), firstSlot: from, endSlot: to)
        }
        let spans = [
            span(1, issued: KSTDateTime(year: 2024, month: 6, day: 30, hour: 9), from: day - 86_400, to: day + 86_400),
            span(2, issued: KSTDateTime(year: 2024, month: 7, day: 1, hour: 9), from: day, to: day + 2 * 86_400),
            span(3, issued: KSTDateTime(year: 2024, month: 7, day: 1, hour: 9, minute: 30), from: day, to: day + 43_200),  // half the day
            span(4, issued: KSTDateTime(year: 2024, month: 7, day: 1, hour: 11), from: day, to: day + 86_400),             // after 10:00
        ]
        let ten = day - 86_400 + 600 * 60
        #expect(ForecastScorer.asIssued(spans, day: day, deadline: ten)?.run.id == 2)
        #expect(ForecastScorer.asIssued(spans, day: day, deadline: day - 86_400 + 12 * 3600)?.run.id == 4)
        #expect(ForecastScorer.asIssued(spans, day: day, deadline: day - 86_400 + 8 * 3600)?.run.id == 1)
        #expect(ForecastScorer.asIssued(spans, day: day + 86_400, deadline: day + 600 * 60)?.run.id == 2)
        #expect(ForecastScorer.asIssued(Array(spans.prefix(1)), day: day + 86_400, deadline: day + 600 * 60) == nil)
        #expect(ForecastScorer.deadlineLabel(minutes: 600) == "D-1 10:00 KST")
    }

    // MARK: - Through the store

    /// Two dongs of 32.5 kWp (100 × 325 W). Day D = 2024-07-02 KST; PV at 10, 11, 12 h KST.
    struct Fixture {
        static let day = KSTDateTime(year: 2024, month: 7, day: 2).epochSeconds
        static let actualPV: [[Int64]] = [[10_000, 20_000, 2_000], [15_000, 15_000, 15_000]]
        static let previousDayPV: [[Int64]] = [[11_000, 14_000, 2_000], [15_000, 15_000, 15_000]]
        static let forecastPV: [[Int64]] = [[12_000, 17_000, 3_000], [15_000, 16_000, 14_000]]
        static let actualLoadWh: Int64 = 1_000, forecastLoadWh: Int64 = 1_100

        /// A day-ahead run over D at 15 min: PV from `pv` (hours 10–12 KST, else 0), load `loadWh` every hour.
        static func values(pv: [[Int64]], loadWh: Int64, site: SiteConfig) -> [ForecastValue] {
            var out: [ForecastValue] = []
            for (i, d) in site.dongs.enumerated() {
                for q in 0..<96 {
                    let t = day + Int64(q) * 900, hour = q / 4
                    let pvWh = (10...12).contains(hour) ? pv[i][hour - 10] / 4 : 0
                    out.append(ForecastValue(dongCode: d.code, quantity: "pv", slotStart: t, durationS: 900, value: WattHours(pvWh)))
                    out.append(ForecastValue(dongCode: d.code, quantity: "load", slotStart: t, durationS: 900, value: WattHours(loadWh / 4)))
                }
            }
            return out
        }

        static func rollups(site: SiteConfig) -> [(dongCode: String, rollup: HourlyRollup)] {
            var out: [(dongCode: String, rollup: HourlyRollup)] = []
            for (i, d) in site.dongs.enumerated() {
                for (start, pv) in [(day - 86_400, previousDayPV[i]), (day, actualPV[i])] {
                    for h in 0..<24 {
                        let g = (10...12).contains(h) ? pv[h - 10] : 0
                        out.append((d.code, HourlyRollup(hourStart: start + Int64(h) * 3600, generationWh: g, consumptionWh: actualLoadWh)))
                    }
                }
            }
            return out
        }
    }

    func makeStore(withActuals: Bool) async throws -> (SQLiteStore, URL, SiteConfig) {
        let (store, dir) = try TestStore.make()
        let site = SiteBuilder.tiny(dongs: 2)
        _ = try await store.loadSite(site)
        if withActuals { try await store.replaceRollups(Fixture.rollups(site: site)) }
        let d = Fixture.day
        // On time (D-1 09:00) with the fixture's forecast; an earlier one (D-2); a later one (D-1 11:00, all zero).
        try await store.insertForecastRun(issuedAt: d - 86_400 + 9 * 3600, kind: "day-ahead", horizonS: 86_400, stepS: 900, model: "on-time",
                                          values: Fixture.values(pv: Fixture.forecastPV, loadWh: Fixture.forecastLoadWh, site: site))
        try await store.insertForecastRun(issuedAt: d - 2 * 86_400, kind: "day-ahead", horizonS: 86_400, stepS: 900, model: "older",
                                          values: Fixture.values(pv: [[1, 1, 1], [1, 1, 1]], loadWh: 4, site: site))
        try await store.insertForecastRun(issuedAt: d - 86_400 + 11 * 3600, kind: "day-ahead", horizonS: 86_400, stepS: 900, model: "late",
                                          values: Fixture.values(pv: [[0, 0, 0], [0, 0, 0]], loadWh: 0, site: site))
        return (store, dir, site)
    }

    @Test("Store: the run issued after the deadline is not used; per dong, district aggregate and load by hand")
    func storeScoring() async throws {
        let (store, dir, site) = try await makeStore(withActuals: true)
        defer { TempDirectory.remove(dir) }
        let r = try await ForecastScorer.score(forecasts: store, readings: store,
                                               request: ForecastScoreRequest(from: Fixture.day, to: Fixture.day + 86_400, dongs: site.dongs))
        #expect(r.runs.count == 1 && r.runs[0].runID == 1 && r.daysWithoutRun.isEmpty)
        let cap = 32.5 * 1000   // Wh per hour
        let dong0 = try #require(r.pv.first { $0.dong == site.dongs[0].code })
        // Hours 10, 11 qualify (A ≥ 3.25 kWh), 12 h (A = 2 kWh) does not: (2 + 3) kWh / 32.5 / 2.
        #expect(dong0.scoredHours == 2)
        #expect(abs((dong0.nmaePct ?? -1) - (2_000 / cap + 3_000 / cap) / 2 * 100) < Self.tol)
        // Persistence (D-1 actuals 11, 14 kWh): errors 1 and 6 kWh → skill 1 − 5/7.
        #expect(abs((dong0.persistenceNMAEPct ?? -1) - (1_000 / cap + 6_000 / cap) / 2 * 100) < Self.tol)
        #expect(abs((dong0.skillVsPersistence ?? 0) - (1 - 5.0 / 7)) < Self.tol)
        let dong1 = try #require(r.pv.first { $0.dong == site.dongs[1].code })
        #expect(abs((dong1.nmaePct ?? -1) - (0 + 1_000 / cap + 1_000 / cap) / 3 * 100) < Self.tol)
        // District: A = 25, 35, 17 kWh; F = 27, 33, 17 kWh; capacity 65 kWp, threshold 6.5 kWh: all three hours.
        let district = try #require(r.districtPV)
        #expect(district.capacityKWp == 65 && district.scoredHours == 3)
        #expect(abs((district.nmaePct ?? -1) - (2_000 / 65_000 + 2_000 / 65_000 + 0) / 3 * 100) < Self.tol)
        #expect(r.districtPVDongs == site.dongs.map(\.code))
        // Load: 1.1 vs 1.0 kWh every hour → NMAE 10 %, MAPE 10 %, bias +0.1 kWh; district sums both dongs.
        let load0 = try #require(r.load.first { $0.dong == site.dongs[0].code })
        #expect(abs((load0.nmaePct ?? -1) - 10) < 1e-6 && abs((load0.mapePct ?? -1) - 10) < 1e-6)
        #expect(abs((load0.biasKWh ?? 0) - 0.1) < 1e-9 && load0.pairedHours == 24)
        let loadDistrict = try #require(r.districtLoad)
        #expect(abs((loadDistrict.maeKWh ?? 0) - 0.2) < 1e-9)

        // With a 12:00 deadline the late (all-zero) run is the one scored.
        let late = try await ForecastScorer.score(forecasts: store, readings: store, request: ForecastScoreRequest(
            from: Fixture.day, to: Fixture.day + 86_400, dongs: site.dongs, issuedBeforeMinutes: 12 * 60))
        #expect(late.runs.first?.runID == 3)
        #expect(abs((late.pv.first { $0.dong == site.dongs[0].code }?.nmaePct ?? -1) - (10_000 / cap + 20_000 / cap) / 2 * 100) < Self.tol)
    }

    @Test("Store without actuals: every score says no actuals; a day with no run is listed")
    func storeNoActuals() async throws {
        let (store, dir, site) = try await makeStore(withActuals: false)
        defer { TempDirectory.remove(dir) }
        let r = try await ForecastScorer.score(forecasts: store, readings: store, request: ForecastScoreRequest(
            from: Fixture.day, to: Fixture.day + 2 * 86_400, dongs: site.dongs, grouping: .day))
        #expect(r.daysWithoutRun == ["2024-07-03"])
        for s in r.pv + r.load where s.period != "2024-07-03" {
            #expect(s.status == .noActuals && s.nmaePct == nil)
        }
        #expect(r.pv.filter { $0.period == "2024-07-03" }.allSatisfy { $0.status == .noForecast })
        #expect(r.pv.map(\.period).contains("all"))
    }
}
