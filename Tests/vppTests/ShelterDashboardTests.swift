import Foundation
import Testing
import VPPCore
import VPPStore
import VPPStoreSQLite
import VPPTestSupport

/// The dashboard's cooling-shelter block (issue 17): the alert in force, the requirement and the
/// slots the newest run could not hold.
@Suite("Shelter dashboard")
struct ShelterDashboardTests {
    @Test func dashboard_shows_the_alert_requirement_and_shortfalls() async throws {
        let s = try await LiveServer.start()
        let now = s.store.clock.now()
        _ = try await s.store.putAlerts([WeatherAlert(area: "서울서북권", kind: "heat", level: .warning, fromEpoch: now - 3600, toEpoch: now + 3600,
                                                      source: "test")], importedAt: now)
        let slot = Slot(containing: now, length: .quarterHour).start
        try await s.store.recordShelterOutcome(ShelterOutcome(runID: nil, recordedAt: now, fallback: true, note: "test",
            shortfalls: [ShelterShortfall(shelterID: "hongje1-centre", slotStart: slot, requiredWh: 307_632, plannedWh: 250_000, reason: "import_and_pv")]))
        let dash = try await s.get("/dashboard", token: s.operatorToken)
        await s.stop()
        #expect(dash.status == 200)
        let block = try #require(dash.text.range(of: "<section id=\"shelters\">").map { String(dash.text[$0.lowerBound...].prefix(2000)) })
        #expect(block.contains("홍제1동 주민센터 무더위쉼터") && block.contains("폭염경보"))
        #expect(block.contains(">8.0<"))                       // the warning's 8 h
        #expect(block.contains("1 slots short") && block.contains("import_and_pv"))
    }
}
