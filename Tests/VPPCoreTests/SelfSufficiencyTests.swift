import Foundation
import Testing
@testable import Tracking
import VPPStore
import VPPCore
import VPPTestSupport

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
