import Foundation
import Testing
@testable import Tracking
@testable import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPStore
import VPPTestSupport
@testable import VPPCore

// The hand-computed case of issue 12 (items 1, 2 and 4), August 2025 (31 days; Aug 1 is a Friday;
// non-working days: 10 weekend days + 광복절 Aug 15 = 11, working days 20).
//
// Dong A (가동): feeder-a covers complex 가 apt; apt-a (child of feeder-a) measures the same complex.
//   feeder-a: 10 kWh every hour of the month.           apt-a: 6 kWh every hour of Aug 1 only.
//   Aug 1: apt-a has data for whole hours and covers all the feeder covers → feeder not counted:
//   6 kWh/h (rollup had 16: 10 kWh/h removed, 240 kWh). Aug 2–31: 10 kWh/h.
//   Consumption A = 24 × 6 + 30 × 24 × 10 = 144 + 7,200 = 7,344 kWh.
//   Monthly upload of apt-a: 3,500 + 3,500 = 7,000 kWh; interval covers all 744 h → interval used,
//   difference = 7,000 − 7,344 = −344 kWh.
//   PV: pv-a-roof (10 kWp, metered) 8 kWh/h at 10–14 h (hour-beginning) every day, 0 otherwise:
//   1,240 kWh. pv-a-mini (5 kWp, same orientation, unmetered) = 8 × 5/10 = 4 kWh/h: 620 kWh.
//   Generation A = 1,860 kWh (metered 1,240, estimated 620).
//   Aug 1 PV hours: direct min(12, 6) = 6, export 6; Aug 2–31 PV hours: direct 10, export 2.
//   Direct = 5 × 6 + 150 × 10 = 1,530 kWh = renewable; RE100 = 1,530 / 7,344 = 20.83 %.
//   Export = 30 + 300 = 330; import = 19 × 6 + 30 × 19 × 10 = 5,814 kWh.
//   Estimated share of renewable: f_gen = 4/12 in every PV hour, f_cons = 0 → 510 kWh (33.33 %).
//   tCO2 = 1.530 MWh × 0.5 = 0.765 t, of which estimated 0.255 t.
// Dong B (나동): apt-b monthly only, 500 + 508 = 1,008 kWh; no interval load in the dong → the
//   standard profile (working 1, other 2): Σw = 20 × 24 + 11 × 24 × 2 = 1,008 → 1 kWh per working
//   hour, 2 kWh per other hour. pv-b-mini (10 kWp, unmetered, no metered PV in B) from the district
//   reference pv-a-roof: 8 × 10/10 = 8 kWh/h at 10–14 h: 1,240 kWh, all estimated.
//   Direct = 20 days × 5 h × 1 + 11 × 5 × 2 = 100 + 110 = 210 kWh; RE100 = 210 / 1,008 = 20.83 %.
//   Export = 20 × 5 × 7 + 11 × 5 × 6 = 700 + 330 = 1,030; import = 20 × 19 × 1 + 11 × 19 × 2 = 380 + 418 = 798.
//   All of B's renewable rests on estimates (210 kWh, 100 %); tCO2 0.105 t, all estimated.
// District: generation 3,100 (metered 1,240, estimated 1,860); consumption 8,352, of which
//   1,008 from monthly = 12.07 %; renewable 1,740, RE100 20.83 %; estimated renewable 720 = 41.38 %;
//   tCO2 0.870 t, estimated 0.360 t; import 6,612; export 1,360.
//   Mini-solar households installed (config): 10 + 20 = 30 of the target 1,000,000 × 0.01 = 10,000 → 0.3 %.
@Suite("Counting: hand-computed report (meter hierarchy, monthly uploads, unmetered PV)")
struct CountingReportTests {
    static func handCase() async throws -> CountingEnv {
        let env = try await CountingEnv()
        try await env.ingestAugust("feeder-a") { _, _ in 10 }
        try await env.ingestAugust("apt-a", days: 1...1) { _, _ in 6 }
        try await env.ingestAugust("pv-a-roof", kind: .pv) { _, h in (10...14).contains(h) ? 8 : 0 }
        let a = try await env.ingestMonthly("apt-a", rows: [(301, 101, 1000, 4500), (301, 102, 2000, 5500)])
        #expect(a.rowsOK == 2)
        let b = try await env.ingestMonthly("apt-b", rows: [(101, 101, 100, 600), (101, 102, 200, 708)])
        #expect(b.rowsOK == 2)
        return env
    }

    @Test("every figure of the period rows of both dongs and the district")
    func handComputedFigures() async throws {
        let env = try await Self.handCase()
        let r = try await env.report()
        let a = try #require(r.row(CountingEnv.codeA)), b = try #require(r.row(CountingEnv.codeB))
        let d = try #require(r.districtRow)
        // Dong A
        #expect(a.gap == false)
        #expect(a.generationKWh == 1860); #expect(a.generationMeteredKWh == 1240); #expect(a.generationEstimatedKWh == 620)
        #expect(a.consumptionKWh == 7344); #expect(a.consumptionFromMonthlyKWh == 0); #expect(a.consumptionFromMonthlySharePct == 0)
        #expect(a.directPVKWh == 1530); #expect(a.renewableKWh == 1530); #expect(a.selfConsumedPVKWh == 1530)
        #expect(a.pvViaStorageKWh == 0); #expect(a.chargedKWh == 0); #expect(a.dischargedKWh == 0)
        #expect(a.importKWh == 5814); #expect(a.exportKWh == 330)
        #expect(a.re100SharePct == 20.83)
        #expect(near(a.tco2eAvoided, 0.765, 1e-9)); #expect(near(a.tco2eAvoidedEstimated, 0.255, 1e-9))
        #expect(a.renewableEstimatedKWh == 510); #expect(a.renewableEstimatedSharePct == 33.33)
        #expect(a.generationCoveragePct == 100); #expect(a.consumptionCoveragePct == 100)
        // Dong B
        #expect(b.gap == false)
        #expect(b.generationKWh == 1240); #expect(b.generationMeteredKWh == 0); #expect(b.generationEstimatedKWh == 1240)
        #expect(b.consumptionKWh == 1008); #expect(b.consumptionFromMonthlyKWh == 1008); #expect(b.consumptionFromMonthlySharePct == 100)
        #expect(b.directPVKWh == 210); #expect(b.renewableKWh == 210)
        #expect(b.importKWh == 798); #expect(b.exportKWh == 1030)
        #expect(b.re100SharePct == 20.83)
        #expect(near(b.tco2eAvoided, 0.105, 1e-9)); #expect(near(b.tco2eAvoidedEstimated, 0.105, 1e-9))
        #expect(b.renewableEstimatedKWh == 210); #expect(b.renewableEstimatedSharePct == 100)
        #expect(b.generationCoveragePct == 100); #expect(b.consumptionCoveragePct == 100)
        // District
        #expect(d.gap == false)
        #expect(d.generationKWh == 3100); #expect(d.generationMeteredKWh == 1240); #expect(d.generationEstimatedKWh == 1860)
        #expect(d.consumptionKWh == 8352); #expect(d.consumptionFromMonthlyKWh == 1008); #expect(d.consumptionFromMonthlySharePct == 12.07)
        #expect(d.renewableKWh == 1740); #expect(d.re100SharePct == 20.83)
        #expect(d.renewableEstimatedKWh == 720); #expect(d.renewableEstimatedSharePct == 41.38)
        #expect(near(d.tco2eAvoided, 0.87, 1e-9)); #expect(near(d.tco2eAvoidedEstimated, 0.36, 1e-9))
        #expect(d.importKWh == 6612); #expect(d.exportKWh == 1360)
        // Target progress counts the configured mini-solar households.
        let mini = try #require(r.targets.first { $0.key == "mini_solar_households" })
        #expect(mini.actual == 30); #expect(mini.target == 10_000); #expect(mini.progressPct == 0.3)
    }

    @Test("monthly uploads: interval used where it covers the premises (difference reported), else estimated from monthly")
    func monthlyChecks() async throws {
        let env = try await Self.handCase()
        let r = try await env.report()
        let a = try #require(r.counting.monthlyChecks.first { $0.meterID == "apt-a" })
        #expect(a.used == .interval); #expect(a.monthlyKWh == 7000); #expect(a.units == 2)
        #expect(a.intervalHours == 744); #expect(a.monthHours == 744); #expect(a.estimatedKWh == 0)
        #expect(near(a.intervalKWh, 7344, 1e-9)); #expect(near(a.differenceKWh, -344, 1e-9))
        let b = try #require(r.counting.monthlyChecks.first { $0.meterID == "apt-b" })
        #expect(b.used == .monthly); #expect(b.monthlyKWh == 1008); #expect(b.estimatedKWh == 1008)
        #expect(b.intervalHours == 0); #expect(b.intervalKWh == nil); #expect(b.differenceKWh == nil)
        #expect(b.shape.contains("standard residential profile"))
        // Hour by hour: 1 kWh in a working hour (Fri Aug 1, 03 h), 2 kWh on Saturday Aug 2 and on 광복절 Aug 15 (Fri).
        let daily = r.daily.filter { $0.level == .dong && $0.dongCode == CountingEnv.codeB }
        #expect(daily.first { $0.bucket == "2025-08-01" }?.consumptionKWh == 24)
        #expect(daily.first { $0.bucket == "2025-08-02" }?.consumptionKWh == 48)
        #expect(daily.first { $0.bucket == "2025-08-15" }?.consumptionKWh == 48)
        #expect(daily.first { $0.bucket == "2025-08-18" }?.consumptionKWh == 24)
        // Participants: apt-b's consumption is its monthly upload spread over the period (all of it
        // estimated from monthly); apt-a's own meter has one day of data (a gap), its monthly upload
        // is not added (the feeder's interval data cover its premises); the feeder's own reading total.
        let pb = try #require(r.participants.first { $0.participantID == "apt-b" })
        #expect(pb.consumptionKWh == 1008); #expect(pb.consumptionFromMonthlyKWh == 1008)
        #expect(pb.consumptionFromMonthlySharePct == 100); #expect(pb.consumptionCoveragePct == 100)
        let pa = try #require(r.participants.first { $0.participantID == "apt-a" })
        #expect(pa.consumptionKWh == nil); #expect(pa.consumptionCoveragePct == 3.2)
        let pf = try #require(r.participants.first { $0.participantID == "feeder-a" })
        #expect(pf.consumptionKWh == 7440); #expect(pf.consumptionFromMonthlyKWh == 0)
        // Double counting removed by the hierarchy: 10 kWh in each of Aug 1's 24 hours.
        #expect(near(r.counting.hierarchyRemovedKWh[CountingEnv.codeA], 240, 1e-9))
        let aDaily = r.daily.filter { $0.level == .dong && $0.dongCode == CountingEnv.codeA }
        #expect(aDaily.first { $0.bucket == "2025-08-01" }?.consumptionKWh == 144)
        #expect(aDaily.first { $0.bucket == "2025-08-02" }?.consumptionKWh == 240)
    }

    @Test("unmetered PV: estimated per method, labelled in every rendering")
    func pvEstimatesAndRenderings() async throws {
        let env = try await Self.handCase()
        let r = try await env.report()
        let mini = try #require(r.counting.pvEstimates.first { $0.fleetID == "pv-a-mini" })
        #expect(near(mini.byMethodKWh["dong_metered_pv"], 620, 1e-9)); #expect(mini.hoursWithoutReference == 0)
        let b = try #require(r.counting.pvEstimates.first { $0.fleetID == "pv-b-mini" })
        #expect(near(b.byMethodKWh["district_metered_pv"], 1240, 1e-9))
        #expect(r.counting.pvEstimates.contains { $0.fleetID == "pv-a-roof" } == false)
        let out = TrackingReportRenderer(r)
        // CSV: the estimate columns with the district's figures.
        let csv = out.csv()
        let header = try #require(csv.split(separator: "\n").first).split(separator: ",").map(String.init)
        let total = try #require(csv.split(separator: "\n").first { $0.hasPrefix("district,") }).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        func col(_ name: String) -> String? { header.firstIndex(of: name).map { total[$0] } }
        #expect(col("generation_estimated_kwh") == "1860.000")
        #expect(col("consumption_estimated_from_monthly_kwh") == "1008.000")
        #expect(col("consumption_estimated_from_monthly_share_pct") == "12.07")
        #expect(col("renewable_estimated_share_pct") == "41.38")
        // JSON: the counting block with the label and the share.
        let json = out.json()
        #expect(json.contains("\"estimated_from_monthly_label\": \"estimated from monthly\""))
        #expect(json.contains("\"consumption_estimated_from_monthly_share_pct\": 12.07"))
        #expect(json.contains("\"difference_kwh\": -344.000"))
        // Table notes and HTML.
        let notes = out.notes().joined(separator: "\n")
        #expect(notes.contains("consumption estimated from monthly: 1.008 MWh = 12.07 % of consumption"))
        #expect(notes.contains("generation: 1.240 MWh metered + 1.860 MWh estimated"))
        #expect(notes.contains("41.38 % of the renewable kWh rest on estimates"))
        let cells = out.tableCells()
        let pctIdx = try #require(cells.headers.firstIndex(of: "cons_monthly_%"))
        #expect(cells.rows.last?[pctIdx] == "12.1")
        let html = TrackingHTMLReport(r).render()
        #expect(html.contains("id=\"table-estimates\"")); #expect(html.contains("estimated from monthly"))
        #expect(html.contains("id=\"table-monthly-uploads\"")); #expect(html.contains("id=\"table-pv-estimates\""))
    }

    /// The same case with one battery in dong B (20 kWh, η_charge 1.0, η_discharge 0.9: round trip
    /// 0.9) whose telemetry covers four hours of Mon Aug 4 (a working day: B's load is 1 kWh per
    /// hour from the standard profile, its PV 8 kWh per hour at 10–14 h), power read as the mean
    /// over the interval since the previous sample (BatteryFlowAccounting):
    ///   10–11 h and 11–12 h charging 4 kW: g 8, c 1 → direct 1, surplus 7, PV charge 4 (stored
    ///   3.6 each), export 7 − 4 = 3 (was 7);
    ///   12–19 h: a 7-hour gap between samples, not covered (no plan: nothing planned either);
    ///   19–20 h and 20–21 h discharging 3 kW: all of it PV-origin energy (7.2 stored), c 1 →
    ///   PV via storage min(3, 1) = 1 each, export 3 − 1 = 2, import 0 (was 1).
    /// Dong B: charged 8, discharged 6, renewable 210 + 2 = 212 kWh, RE100 212 / 1,008 = 21.03 %,
    ///   export 1,030 − 8 + 4 = 1,026, import 798 − 2 = 796, tCO2 0.106 t, all resting on the
    ///   estimated PV (212 kWh, 100 %).
    /// District: renewable 1,742, RE100 1,742 / 8,352 = 20.86 %, estimated 722 = 41.45 %,
    ///   tCO2 0.871 t (0.361 estimated), import 6,610, export 1,356.
    @Test("one battery with telemetry: measured flows change storage, export, import and RE100 as computed by hand")
    func handComputedWithBatteryTelemetry() async throws {
        let env = try await CountingEnv(toml: CountingEnv.siteTOML(dongB: """

            [[dong.battery]]
            id = "ess-b"
            capacity_kwh = 20
            max_charge_kw = 5
            max_discharge_kw = 5
            charge_efficiency = 1.0
            discharge_efficiency = 0.9
            soc_min_pct = 10
            soc_max_pct = 100
            reserve_pct = 10
            initial_soc_pct = 50
            terminal_soc_pct = 50
            cycling_cost_krw_per_kwh = 0
            """))
        try await env.ingestAugust("feeder-a") { _, _ in 10 }
        try await env.ingestAugust("apt-a", days: 1...1) { _, _ in 6 }
        try await env.ingestAugust("pv-a-roof", kind: .pv) { _, h in (10...14).contains(h) ? 8 : 0 }
        try await env.ingestMonthly("apt-a", rows: [(301, 101, 1000, 4500), (301, 102, 2000, 5500)])
        try await env.ingestMonthly("apt-b", rows: [(101, 101, 100, 600), (101, 102, 200, 708)])
        func at(_ h: Int) -> Int64 { KSTDateTime(year: 2025, month: 8, day: 4, hour: h).epochSeconds }
        let samples = [
            TelemetrySample(batteryID: "ess-b", measuredAt: at(10), soc: .wh(10_000), powerW: 0),
            TelemetrySample(batteryID: "ess-b", measuredAt: at(11), soc: .wh(14_000), powerW: -4_000),
            TelemetrySample(batteryID: "ess-b", measuredAt: at(12), soc: .wh(18_000), powerW: -4_000),
            TelemetrySample(batteryID: "ess-b", measuredAt: at(19), soc: .wh(18_000), powerW: 0),
            TelemetrySample(batteryID: "ess-b", measuredAt: at(20), soc: .wh(14_667), powerW: 3_000),
            TelemetrySample(batteryID: "ess-b", measuredAt: at(21), soc: .wh(11_333), powerW: 3_000),
        ]
        let path = env.dir.appendingPathComponent("ess-b-telemetry.csv").path
        try Data(TelemetryCSV.csv(samples).utf8).write(to: URL(fileURLWithPath: path))
        let t = try await Ingestor(storage: env.store.storage).ingest(file: path, options: IngestOptions(kind: .telemetry, source: "test"))
        #expect(t.rowsOK == 6 && t.rowsRejected == 0)

        let r = try await env.report()
        let b = try #require(r.row(CountingEnv.codeB)), d = try #require(r.districtRow)
        #expect(b.chargedKWh == 8); #expect(b.dischargedKWh == 6); #expect(b.pvViaStorageKWh == 2)
        #expect(b.directPVKWh == 210); #expect(b.renewableKWh == 212); #expect(b.re100SharePct == 21.03)
        #expect(b.exportKWh == 1026); #expect(b.importKWh == 796)
        #expect(near(b.tco2eAvoided, 0.106, 1e-9)); #expect(near(b.tco2eAvoidedEstimated, 0.106, 1e-9))
        #expect(b.renewableEstimatedKWh == 212); #expect(b.renewableEstimatedSharePct == 100)
        #expect(d.renewableKWh == 1742); #expect(d.re100SharePct == 20.86)
        #expect(d.renewableEstimatedKWh == 722); #expect(d.renewableEstimatedSharePct == 41.45)
        #expect(near(d.tco2eAvoided, 0.871, 1e-9)); #expect(near(d.tco2eAvoidedEstimated, 0.361, 1e-9))
        #expect(d.importKWh == 6610); #expect(d.exportKWh == 1356)
        // Dong A is untouched by B's battery.
        let a = try #require(r.row(CountingEnv.codeA))
        #expect(a.renewableKWh == 1530 && a.importKWh == 5814 && a.exportKWh == 330 && a.chargedKWh == 0)
        // Plan vs actual: four measured hours, nothing planned (no dispatch run).
        let pva = try #require(r.batteryFlows?.batteries.first { $0.batteryID == "ess-b" })
        #expect(pva.measuredChargeKWh == 8 && pva.measuredDischargeKWh == 6 && pva.measuredHours == 4)
        #expect(pva.plannedChargeKWh == 0 && pva.plannedDischargeKWh == 0)
        #expect(near(pva.lastMeasuredSoCKWh, 11.333, 1e-9))
    }
}
