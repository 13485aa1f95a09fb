import Foundation
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

@Suite("Tracking: CSV/JSON schema stability and HTML content")
struct TrackingOutputTests {
    static let csvHeader = "level,dong_code,name,participant_id,bucket,generation_kwh,consumption_kwh,direct_pv_kwh,pv_via_storage_kwh,self_consumed_pv_kwh,renewable_kwh,charged_kwh,discharged_kwh,storage_loss_kwh,import_kwh,export_kwh,re100_share_pct,tco2e_avoided,emission_factor_tco2eq_per_mwh,generation_coverage_pct,consumption_coverage_pct,generation_metered_kwh,generation_estimated_kwh,consumption_estimated_from_monthly_kwh,consumption_estimated_from_monthly_share_pct,renewable_estimated_kwh,renewable_estimated_share_pct,tco2e_avoided_estimated,gap"

    func workedReport() async throws -> (TrackingReport, URL) {
        let (store, dir, _) = try await TrackingFixture.store(dongs: 2)
        try await store.replaceRollups(TrackingFixture.workedDay(dong: TrackingFixture.code(0))
            + TrackingFixture.day(2024, 7, 1, dong: TrackingFixture.code(1), base: (100_000, 200_000), coveredHours: 0..<12))
        return await (try TrackingReportBuilder.build(storage: store.storage, period: try ReportPeriod.parse("2024-07-01..2024-07-01")), dir)
    }

    @Test func csvSchemaIsStable() async throws {
        let (report, dir) = try await workedReport()
        defer { TempDirectory.remove(dir) }
        let lines = TrackingReportRenderer(report).csv().split(separator: "\n").map(String.init)
        #expect(lines[0] == Self.csvHeader)
        #expect(MetricsRow.columns.joined(separator: ",") == Self.csvHeader)
        #expect(lines[1] == "dong,9999900000,시험0동,,2024-07-01..2024-07-01,12000.000,24000.000,4000.000,4000.000,8000.000,8000.000,8000.000,6000.000,780.000,16000.000,2000.000,33.33,3.3384,0.4173,100.0,100.0,12000.000,0.000,0.000,0.00,0.000,0.00,0.0000,false")
        // dong 0, dong 1, district, 2 participants (no readings: gaps)
        #expect(lines.count == 6)
        #expect(lines[3].hasPrefix("district,,시험구,,"))
        #expect(lines[4] == "participant,9999900000,시험아파트 0,meter-0,2024-07-01..2024-07-01,,,,,,,,,,,,,,0.4173,,0.0,,,,,,,,true")
        for l in lines { #expect(l.split(separator: ",", omittingEmptySubsequences: false).count == 29, "\(l)") }
        // Daily CSV has the same columns.
        let daily = TrackingReportRenderer(report).csv(by: .day).split(separator: "\n")
        #expect(daily[0] == Substring(Self.csvHeader) && daily.count == 4)
    }

    @Test func jsonSchemaIsStable() async throws {
        let (report, dir) = try await workedReport()
        defer { TempDirectory.remove(dir) }
        let text = TrackingReportRenderer(report).json()
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Set(obj.keys) == ["schema", "site", "period", "scope", "scope_name_ko", "generated_at_kst", "coverage_threshold_pct",
                                  "emission_factors_used", "by", "columns", "summary", "participants", "rows", "targets",
                                  "dong_targets", "tco2_run_rate", "soc", "definitions",
                                  // Issue 12: additive; null without batteries in scope.
                                  "battery_plan_vs_actual", "counting"])
        #expect(obj["schema"] as? String == "vpp.tracking-report/2")
        #expect(obj["columns"] as? [String] == MetricsRow.columns)
        let summary = try #require(obj["summary"] as? [[String: Any]])
        #expect(summary.count == 3)
        for row in summary { #expect(Set(row.keys) == Set(MetricsRow.columns)) }
        #expect((summary[0]["re100_share_pct"] as? NSNumber)?.doubleValue == 33.33)
        #expect((summary[0]["tco2e_avoided"] as? NSNumber)?.doubleValue == 3.3384)
        #expect(summary[1]["generation_kwh"] is NSNull)           // gap → null, never 0
        #expect(summary[1]["gap"] as? Bool == true)
        let factors = try #require(obj["emission_factors_used"] as? [[String: Any]])
        #expect((factors.first?["tco2eq_per_mwh"] as? NSNumber)?.doubleValue == 0.4173)
        #expect((factors.first?["applied_to_year"] as? NSNumber)?.intValue == 2024)
        // Key order is fixed: schema first (definitions, then the counting block, last).
        #expect(text.hasPrefix("{\n  \"schema\": \"vpp.tracking-report/2\","))
        let rr = try #require(obj["tco2_run_rate"] as? [String: Any])
        #expect(Set(rr.keys) == ["tco2e_per_year", "method", "window_start_kst", "window_end_kst_exclusive", "covered_days",
                                 "window_days", "covered_pv_yield_share", "explanation", "by_dong"])
    }

    @Test func htmlIsSelfContainedAndCarriesTheNumbers() async throws {
        let (report, dir) = try await workedReport()
        defer { TempDirectory.remove(dir) }
        let html = TrackingHTMLReport(report).render()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<meta charset=\"utf-8\">"))
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("@import") && !html.contains("url(http"))
        for id in ["chart-targets", "chart-re100", "chart-soc", "table-summary", "table-daily", "table-soc", "table-participants"] {
            #expect(html.contains("id=\"\(id)\""), "missing \(id)")
        }
        #expect(html.contains("시험0동") && html.contains("시험구"))
        // Worked-day numbers in the summary table.
        for n in ["12,000.0", "24,000.0", "8,000.0", "780.0", "16,000.0", "2,000.0", "33.33", "3.338", "0.4173"] {
            #expect(html.contains("<td class=\"n\">\(n)</td>"), "missing \(n)")
        }
        #expect(html.contains("33.3 %"))                           // RE100 bar label
        #expect(html.contains("gap — coverage 50.0 %"))             // dong 1 bar is a gap, not 0
        #expect(html.contains("0.4173 tCO2eq/MWh"))                 // factor named
        #expect(html.contains("32,400"))                            // PV target (district share)
        // Dong 1 has no data after 12:00, so its consumption line stops: a gap day is shaded, not drawn at 0.
        #expect(html.contains("<td class=\"gap\">—</td>"))
    }

    @Test func numberFormattingIsFixedPoint() {
        #expect(fmtNum(0.05, 2) == "0.05" && fmtNum(3.5, 2) == "3.50" && fmtNum(0, 0) == "0" && fmtNum(0, 3) == "0.000")
        #expect(fmtNum(-2.25, 1) == "-2.3" && fmtNum(-0.0001, 2) == "0.00" && fmtNum(12_000, 3) == "12000.000")
        #expect(fmtGroup(1_234_567.891, 1) == "1,234,567.9" && fmtGroup(-1_234.5, 1) == "-1,234.5" && fmtGroup(999, 0) == "999")
        #expect(fmtGroup(1000, 0) == "1,000" && fmtNum(.nan, 2) == "")
    }

    @Test func svgLinesBreakAtGaps() {
        let h = TrackingHTMLReport(TrackingReport.emptyForTests())
        let s = h.line([1, 2, nil, 3, 4, nil, 5], color: "#000", x: { Double($0) }, y: { $0 })
        #expect(s.contains("d=\"M0.0,1.0L1.0,2.0M3.0,3.0L4.0,4.0\""))
        #expect(s.contains("<circle cx=\"6.0\" cy=\"5.0\""))
    }

    @Test func tableTextShowsGapsAndFactor() async throws {
        let (report, dir) = try await workedReport()
        defer { TempDirectory.remove(dir) }
        let r = TrackingReportRenderer(report)
        let cells = r.tableCells()
        #expect(cells.rows[0][3] == "12.000" && cells.rows[0][12] == "33.3")
        #expect(cells.rows[1][3] == "gap")
        #expect(r.notes().contains { $0.hasPrefix("emission factor used: 2024: 0.4173 tCO2eq/MWh") })
    }
}

extension TrackingReport {
    static func emptyForTests() -> TrackingReport {
        TrackingReport(siteID: "t", siteNameKo: "시험구", siteName: "Test", period: .month(YearMonth(year: 2024, month: 7)), scope: "district",
                       scopeNameKo: "시험구", generatedAt: 0, coverageThresholdPct: 90, factorsUsed: [], dongs: [], summary: [],
                       participants: [], daily: [], monthly: [], yearly: [], targets: [], dongTargets: [:],
                       runRate: RunRate(tco2ePerYear: nil, method: .none, windowStart: 0, windowEnd: 0, coveredDays: 0, windowDays: 0,
                                        coveredYieldShare: 0, explanation: "", byDong: [:]),
                       soc: SoCSeries(source: .none, resolution: "hour", explanation: "", dongs: []), definitions: [])
    }
}
