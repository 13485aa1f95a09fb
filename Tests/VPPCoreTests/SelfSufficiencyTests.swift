import Foundation
import Testing
@testable import Tracking
import VPPStore
import VPPCore
import VPPTestSupport
import VPPConfig
import VPPStoreSQLite

@Suite("Tracking: 자립율 next to RE100 (issue 17)")
struct SelfSufficiencyTests {
    /// The worked day of `TrackingReportTests`: PV 12 MWh, load 24 MWh, renewable used 8 MWh (2 MWh of
    /// stored PV exported). 자립율 counts all generation: 12 / 24 = 50 %; RE100 counts what was used: 33.33 %.
    @Test func workedDaySelfSufficiencyAndRE100Differ() async throws {
        let (store, dir, _) = try await TrackingFixture.store(dongs: 1)
        defer { TempDirectory.remove(dir) }
        try await store.replaceRollups(TrackingFixture.workedDay(dong: TrackingFixture.code(0)))
        let report = try await TrackingReportBuilder.build(storage: store.storage, period: try ReportPeriod.parse("2024-07-01..2024-07-01"))
        let rows = SelfSufficiencyKPI.rows(report)
        let dong = try #require(rows.first { $0.scope == TrackingFixture.code(0) })
        #expect(dong.selfSufficiencyPct == 50)
        #expect(dong.re100SharePct == 33.33)
        #expect(rows.last?.scope == "district")
        let cells = SelfSufficiencyKPI.tableCells(report)
        #expect(cells.headers.contains("자립율_%") && cells.headers.contains("RE100_%"))
        var html = TrackingHTMLReport(report)
        html.shelters = []
        let text = html.render()
        #expect(text.contains("table-self-sufficiency"))
        for d in SelfSufficiencyKPI.definitions { #expect(text.contains(esc(d))) }
        #expect(!text.contains("table-shelters"))
    }
}

@Suite("Tracking: shelter status (issue 17)")
struct ShelterStatusTests {
    /// Hongje 1-dong's ESS (550 kWh, SoC min 10 %, η_d 0.95) backs a 30 kW shelter. A plan covering now
    /// holds 330 kWh at the end of the slot ended at now and 200 kWh later: backup now (330 − 55) × 0.95 / 30,
    /// lowest over the plan (200 − 55) × 0.95 / 30; the warning in force requires 8 h.
    @Test func backupHoursNowAndOverThePlanWithTheAlertInForce() async throws {
        let now = KSTDateTime(year: 2026, month: 8, day: 3, hour: 13).epochSeconds
        let (store, dir) = try TestStore.make(clock: FixedWallClock(now))
        defer { TempDirectory.remove(dir) }
        let site = try SiteConfigParser().parse(fileAt: Paths.seodaemunConfig.path)
        _ = try await store.loadSite(site)
        let start = now - 3600
        let rows = (0..<8).map { t in
            ScheduleRow(batteryID: "hongje-1-ess", slotStart: start + Int64(t * 900), durationSeconds: 900, chargeW: 0, dischargeW: 0,
                        socWh: t < 5 ? 330_000 : 200_000)
        }
        let run = try await store.startDispatchRun(startedAt: start, objective: "cost", horizonSeconds: 7200, stepSeconds: 900)
        try await store.finishDispatchRun(id: run, finishedAt: start, status: "ok", objectiveValue: 0, breakdownJSON: "{}", solveMs: 1,
                                          message: nil, schedule: rows)
        _ = try await store.putAlerts([WeatherAlert(area: "서울서북권", kind: "heat", level: .warning, fromEpoch: now - 3600, toEpoch: now + 7 * 3600,
                                                    source: "test")], importedAt: now)
        let status = try await ShelterStatus.build(site: site, now: now, dispatch: store, alerts: store)
        let s = try #require(status.first { $0.shelterID == "hongje1-centre" })
        #expect(s.alertLevel == .warning && s.requiredHoursNow == 8)
        #expect(abs((s.backupHoursNow ?? 0) - (330 - 55) * 0.95 / 30) < 1e-9)
        #expect(abs((s.backupHoursMinOverPlan ?? 0) - (200 - 55) * 0.95 / 30) < 1e-9)
        #expect(s.line.contains("폭염경보"))
        // Months later the plan says nothing about now.
        let later = try await ShelterStatus.build(site: site, now: now + 90 * 86_400, dispatch: store, alerts: store)
        #expect(later[0].backupHoursNow == nil && later[0].backupHoursMinOverPlan == nil && later[0].alertLevel == AlertLevel.none)
    }
}
