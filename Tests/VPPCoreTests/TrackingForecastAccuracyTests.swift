import Foundation
import Testing
@testable import Tracking
import VPPConfig
import VPPStoreSQLite
import VPPStore
import VPPCore
import VPPTestSupport

/// The report's forecast-accuracy section (issue 11): present in table data, CSV, JSON and HTML
/// when a run issued by D-1 10:00 covers the period; absent when none does.
@Suite("Tracking: forecast-accuracy section")
struct TrackingForecastAccuracyTests {
    static let day = KSTDateTime(year: 2024, month: 7, day: 2).epochSeconds

    /// Two dongs of 32.5 kWp; PV actual 10 kWh at 10–13 h KST on D; forecast 12 kWh (|F − A| = 2 kWh, all hours qualify).
    func fixture() async throws -> (SQLiteStore, URL, SiteConfig) {
        let (store, dir) = try TestStore.make()
        let site = SiteBuilder.tiny(dongs: 2)
        _ = try await store.loadSite(site)
        var rollups: [(dongCode: String, rollup: HourlyRollup)] = []
        var values: [ForecastValue] = []
        for d in site.dongs {
            for h in 0..<24 {
                let t = Self.day + Int64(h) * 3600
                rollups.append((d.code, HourlyRollup(hourStart: t, generationWh: (10..<14).contains(h) ? 10_000 : 0, consumptionWh: 2_000)))
                for q in 0..<4 {
                    values.append(ForecastValue(dongCode: d.code, quantity: "pv", slotStart: t + Int64(q) * 900, durationS: 900,
                                                value: WattHours((10..<14).contains(h) ? 3_000 : 0)))
                }
            }
        }
        try await store.replaceRollups(rollups)
        try await store.insertForecastRun(issuedAt: Self.day - 86_400 + 8 * 3600, kind: "day-ahead", horizonS: 86_400, stepS: 900,
                                          model: "test", values: values)
        return (store, dir, site)
    }

    @Test("Section in JSON, CSV and HTML with the KPX NMAE worked by hand (2 kWh / 32.5 kWp)")
    func sectionRendered() async throws {
        let (store, dir, site) = try await fixture()
        defer { TempDirectory.remove(dir) }
        let report = try await TrackingReportBuilder.build(storage: store.storage, period: try ReportPeriod.parse("2024-07-02..2024-07-02"))
        let fa = try #require(report.forecastAccuracy)
        let expected = 2_000.0 / 32_500 * 100
        let dong0 = try #require(fa.periodScores.pv.first { $0.dong == site.dongs[0].code })
        #expect(abs((dong0.nmaePct ?? -1) - expected) < 1e-9 && dong0.scoredHours == 4)
        // District: 4 kWh / 65 kWp, the same share.
        #expect(abs((fa.scores.districtPV?.nmaePct ?? -1) - expected) < 1e-9)
        #expect(fa.charts.count == 2 && fa.charts[0].forecastKWh.count == 24)
        // Load has actuals but no load forecast: "no forecast", not 0.
        #expect(fa.periodScores.load.allSatisfy { $0.status == .noForecast && $0.nmaePct == nil })

        let renderer = TrackingReportRenderer(report)
        let json = renderer.json()
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let section = try #require(obj["forecast_accuracy"] as? [String: Any])
        let pv = try #require(section["pv"] as? [[String: Any]])
        #expect(pv.contains { ($0["dong"] as? String) == "district" && abs((($0["nmae_pct"] as? NSNumber)?.doubleValue ?? -1) - expected) < 1e-3 })
        let csv = renderer.csv()
        #expect(csv.contains("\nperiod,dong,quantity,status,capacity_kwp"))
        #expect(csv.contains("2024-07-02,\(site.dongs[0].code),pv,ok,32.500"))
        let html = TrackingHTMLReport(report).render()
        #expect(html.contains("예측 정확도 Forecast accuracy") && html.contains("forecast-vs-actual"))
        #expect(html.contains(String(format: "%.2f", expected)))
    }

    @Test("No run issued by the deadline: no section, the rest of the report unchanged")
    func noRunNoSection() async throws {
        let (store, dir, _) = try await fixture()
        defer { TempDirectory.remove(dir) }
        let report = try await TrackingReportBuilder.build(storage: store.storage, period: try ReportPeriod.parse("2024-07-03..2024-07-03"))
        #expect(report.forecastAccuracy == nil)
        #expect(!TrackingReportRenderer(report).json().contains("forecast_accuracy"))
    }
}
