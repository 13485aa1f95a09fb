import Testing
import Foundation
import VPPCore
import VPPStore
import VPPStoreSQLite
import VPPConfig
import VPPTestSupport
@testable import Resilience

@Suite struct AlertImport {
    @Test func csv_rows_land_and_bad_rows_are_kept_with_line_and_reason() throws {
        let csv = """
            area,kind,level,from,to
            서대문구,heat,advisory,2026-08-03T12:00,2026-08-03T20:00
            서울서북권,폭염,경보,2026-08-04T11:00,2026-08-04T19:00
            서대문구,heat,severe,2026-08-03T12:00,2026-08-03T20:00
            서대문구,heat,advisory,2026-08-03T20:00,2026-08-03T12:00
            서대문구,heat,advisory,2026-13-03T12:00,2026-08-03T20:00
            서대문구,heat,advisory
            """
        let r = try AlertImporter.parse(Data(csv.utf8), file: "alerts.csv")
        #expect(r.format == "csv")
        #expect(r.alerts.count == 2)
        #expect(r.alerts[0] == WeatherAlert(area: "서대문구", kind: "heat", level: .advisory,
                                            fromEpoch: KSTDateTime(year: 2026, month: 8, day: 3, hour: 12).epochSeconds,
                                            toEpoch: KSTDateTime(year: 2026, month: 8, day: 3, hour: 20).epochSeconds, source: "csv:alerts.csv:2"))
        #expect(r.alerts[1].level == .warning && r.alerts[1].kind == "heat")
        #expect(r.rejected.map(\.line) == [4, 5, 6, 7])
        #expect(r.rejected[0].reason.contains("severe"))
        #expect(r.rejected[1].reason.contains("not after"))
        #expect(r.rejected[3].reason.contains("5 fields"))
        #expect(throws: ResilienceError.self) { _ = try AlertImporter.parse(Data("when,where\n".utf8), file: "x.csv") }
    }

    @Test func kma_titles_become_windows_per_area_and_kind() throws {
        let reply = KMAFixtures.list([
            ("109", "[특보] 제08-3호 : 2026.08.03.11:00 / 폭염주의보 발표(*)", "202608031030", 3),
            ("109", "[특보] 제08-5호 : 2026.08.04.10:00 / 폭염주의보→폭염경보 변경(*)", "202608040930", 5),
            ("109", "[특보] 제08-9호 : 2026.08.05.18:00 / 폭염경보 해제, 호우주의보 발표", "202608051730", 9),
        ])
        let r = try AlertImporter.parse(Data(reply.utf8), file: "reply.json")
        #expect(r.format == "kma")
        let heat = r.alerts.filter(\.isHeat)
        #expect(heat.map(\.level) == [.advisory, .warning])
        #expect(heat[0].fromEpoch == KSTDateTime(year: 2026, month: 8, day: 3, hour: 11).epochSeconds)
        #expect(heat[0].toEpoch == KSTDateTime(year: 2026, month: 8, day: 4, hour: 10).epochSeconds)
        #expect(heat[1].toEpoch == KSTDateTime(year: 2026, month: 8, day: 5, hour: 18).epochSeconds)
        #expect(heat.allSatisfy { $0.area == "서울" })
        let rain = try #require(r.alerts.first { $0.kind == "heavy_rain" })
        #expect(rain.toEpoch == rain.fromEpoch + 86_400)   // still open: closes a day after the last report
    }

    @Test func alerts_are_stored_once_and_found_by_window() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let a = WeatherAlert(area: "서대문구", kind: "heat", level: .advisory, fromEpoch: 1_000, toEpoch: 2_000, source: "t")
        let first = try await store.putAlerts([a], importedAt: 1)
        let again = try await store.putAlerts([a], importedAt: 2)
        #expect(first.inserted == 1 && again.duplicates == 1)
        #expect(try await store.alerts(from: 1_500, to: 3_000) == [a])
        #expect(try await store.alerts(from: 2_000, to: 3_000).isEmpty)
        try await store.putAlertReply(key: "k", fetchedAt: 1, body: Data("x".utf8))
        #expect(try await store.alertReply(key: "k") == Data("x".utf8))
    }
}

enum KMAFixtures {
    static func list(_ items: [(String, String, String, Int)]) -> String {
        let arr = items.map { #"{"stnId":"\#($0.0)","title":"\#($0.1)","tmFc":\#($0.2),"tmSeq":\#($0.3)}"# }.joined(separator: ",")
        return #"{"response":{"header":{"resultCode":"00","resultMsg":"NORMAL_SERVICE"},"body":{"dataType":"JSON","items":{"item":[\#(arr)]},"pageNo":1,"numOfRows":100,"totalCount":\#(items.count)}}}"#
    }
    static let noData = #"{"response":{"header":{"resultCode":"03","resultMsg":"NO_DATA"}}}"#
    static let keyError = """
        <OpenAPI_ServiceResponse><cmmMsgHeader><errMsg>SERVICE ERROR</errMsg>\
        <returnAuthMsg>SERVICE_KEY_IS_NOT_REGISTERED_ERROR</returnAuthMsg><returnReasonCode>30</returnReasonCode></cmmMsgHeader></OpenAPI_ServiceResponse>
        """
    static let throttled = #"{"response":{"header":{"resultCode":"22","resultMsg":"LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR"}}}"#
}

@Suite(.serialized) struct KMAWarningClientTests {
    func client(_ server: LocalHTTPServer, archive: (any AlertStore)? = nil) -> KMAWarningClient {
        KMAWarningClient(configuration: .init(baseURL: "http://127.0.0.1:\(server.port)/1360000/WthrWrnInfoService", serviceKey: "k/e+y",
                                              timeoutSeconds: 5, maxAttempts: 3, backoffSeconds: 0.01),
                         archive: archive)
    }

    @Test func recorded_reply_is_parsed_and_archived() async throws {
        let body = KMAFixtures.list([("109", "[특보] 제08-3호 : 2026.08.03.11:00 / 폭염주의보 발표(*)", "202608031030", 3)])
        let server = try LocalHTTPServer { _, _ in (200, body, 0) }
        defer { server.stop() }
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let reports = try await client(server, archive: store).reports(fromDate: "20260803", toDate: "20260803", now: 5)
        #expect(reports.count == 1 && reports[0].tmFc == "202608031030")
        let req = try #require(server.requests.first)
        #expect(req.contains("/getWthrWrnList?") && req.contains("stnId=109") && req.contains("fromTmFc=20260803") && req.contains("dataType=JSON"))
        #expect(req.contains("serviceKey=k%2Fe%2By"))
        #expect(try await store.alertReply(key: "kma:getWthrWrnList:109:20260803-20260803:p1") == Data(body.utf8))
    }

    @Test func no_data_is_an_empty_list() async throws {
        let server = try LocalHTTPServer { _, _ in (200, KMAFixtures.noData, 0) }
        defer { server.stop() }
        #expect(try await client(server).reports(fromDate: "20260101", toDate: "20260102", now: 0).isEmpty)
    }

    @Test func key_error_fails_at_once_and_throttling_is_retried() async throws {
        let bad = try LocalHTTPServer { _, _ in (200, KMAFixtures.keyError, 0) }
        defer { bad.stop() }
        await #expect(throws: ResilienceError.kmaError(code: "30", message: "SERVICE_KEY_IS_NOT_REGISTERED_ERROR")) {
            _ = try await client(bad).reports(fromDate: "20260101", toDate: "20260101", now: 0)
        }
        #expect(bad.requests.count == 1)
        let ok = KMAFixtures.list([("109", "[특보] 제08-3호 : 2026.08.03.11:00 / 폭염경보 발표(*)", "202608031030", 3)])
        let flaky = try LocalHTTPServer { _, i in i == 0 ? (200, KMAFixtures.throttled, 0) : (i == 1 ? (503, "", 0) : (200, ok, 0)) }
        defer { flaky.stop() }
        let r = try await client(flaky).reports(fromDate: "20260803", toDate: "20260803", now: 0)
        #expect(r.count == 1 && flaky.requests.count == 3)
        let down = try LocalHTTPServer { _, _ in (200, KMAFixtures.throttled, 0) }
        defer { down.stop() }
        await #expect(throws: ResilienceError.kmaTemporary("22 LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR")) {
            _ = try await client(down).reports(fromDate: "20260803", toDate: "20260803", now: 0)
        }
    }
}

@Suite struct ShelterConfigParsing {
    @Test func seodaemun_has_the_hongje1_shelter() throws {
        let site = try SiteConfigParser().parse(fileAt: Paths.seodaemunConfig.path)
        let d = try #require(site.dongs.first { $0.shelters.contains { $0.id == "hongje1-centre" } })
        let s = d.shelters[0]
        #expect(d.nameKo == "홍제1동" && s.batteryIDs == ["hongje-1-ess"] && s.criticalLoadKW > 0)
        #expect(s.hours(at: .advisory) == 4 && s.hours(at: .warning) == 8 && s.leadTimeH == 3)
        #expect(site.site.alertCovers(area: "서대문구") && !site.site.alertCovers(area: "부산"))
    }

    @Test func a_shelter_the_batteries_cannot_hold_names_the_shelter_and_line() throws {
        let text = try String(contentsOf: Paths.seodaemunConfig, encoding: .utf8)
            .replacingOccurrences(of: "critical_load_kw = 30 ", with: "critical_load_kw = 200 ")
        do {
            _ = try SiteConfigParser().parse(text: text, file: "s.toml")
            Issue.record("expected an error")
        } catch let e as SiteConfigError {
            #expect(e.description.contains("hongje1-centre") && e.description.contains("s.toml:") && e.key.hasSuffix("backup_hours"))
        }
        let wrong = try String(contentsOf: Paths.seodaemunConfig, encoding: .utf8)
            .replacingOccurrences(of: "batteries = [\"hongje-1-ess\"]", with: "batteries = [\"nope\"]")
        #expect(throws: SiteConfigError.self) { _ = try SiteConfigParser().parse(text: wrong, file: "s.toml") }
    }
}
