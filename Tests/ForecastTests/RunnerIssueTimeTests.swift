import Foundation
import Testing
import VPPStoreSQLite
import VPPStore
import VPPCore
import VPPTestSupport
@testable import Forecast

/// A day-ahead run issued at D-1 09:00 uses only the consumption of hours complete by then.
@Suite("Forecast run sees only what was known at its issue time")
struct RunnerIssueTimeTests {
    @Test func loadHistoryStopsAtTheIssueTime() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let site = HorizonInputsTests.site()
        let start = KSTDateTime(year: 2024, month: 7, day: 3).epochSeconds
        let issued = start - 15 * 3600   // D-1 09:00 KST
        // 14 days at 10 kWh per hour before the issue time; 1,000 kWh per hour after it (not yet metered then).
        var rows: [(dongCode: String, rollup: HourlyRollup)] = []
        var e = start - 14 * 86_400
        while e < start {
            rows.append((HorizonInputsTests.code, HourlyRollup(hourStart: e, consumptionWh: e < issued ? 10_000 : 1_000_000, generationCoveredS: 0)))
            e += 3600
        }
        try await store.replaceRollups(rows)
        let s = try await ForecastRunner.run(storage: store.storage, site: site, start: start, slots: 24, length: .hour, weather: [:],
                                             issuedAt: issued)
        #expect(s.dongsWithLoad == 1)
        let load = try await store.forecastValues(runID: s.runID, dong: HorizonInputsTests.code, quantity: "load")
        #expect(load.count == 24)
        for v in load { #expect(abs(Double(v.value.wh) - 10_000) < 1, "\(v)") }
    }
}
