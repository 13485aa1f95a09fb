import Foundation
import Testing
import VPPStoreSQLite
import VPPStore
import VPPCore
import VPPTestSupport
@testable import Forecast

@Suite("Weather archive: import, idempotency, rejected rows, as-issued reads")
struct WeatherArchiveTests {
    static let grid = KMAGridPoint(nx: 54, ny: 112)

    static func csv(_ rows: [String]) -> [UInt8] {
        Array((["Forecast_time,Temperature,Humidity,WindSpeed,WindDirection,Cloud"] + rows).joined(separator: "\n").utf8)
    }

    @Test("A Dangjin-layout file lands once: a re-import adds nothing, changed values for the same issue are rejected")
    func importIsIdempotent() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let rows = (0..<6).map { "2019-03-02 \($0 * 3):00,\(5 + $0),60,2.5,180,\(1 + $0 % 4)" }
        let p = WeatherFileImport.dangjinCSV(bytes: Self.csv(rows), path: "f.csv", grid: Self.grid)
        #expect(p.hours.count == 6 && p.rejects.isEmpty)
        // Issue-time ASSUMPTION: valid times on 2019-03-02 were issued 2019-03-01 17:00 KST.
        #expect(p.hours.allSatisfy { $0.baseTime == KSTDateTime(year: 2019, month: 3, day: 1, hour: 17).epochSeconds })
        let r1 = try await store.archiveWeather(source: "f.csv", importedAt: 1, hours: p.hours, rejects: p.rejects)
        #expect(r1.added == 6 && r1.unchanged == 0 && r1.rejected.isEmpty)
        let r2 = try await store.archiveWeather(source: "f.csv", importedAt: 2, hours: p.hours, rejects: p.rejects)
        #expect(r2.added == 0 && r2.unchanged == 6 && r2.rejected.isEmpty)
        var changed = p.hours
        changed[2].temperatureC += 1
        let r3 = try await store.archiveWeather(source: "g.csv", importedAt: 3, hours: changed, rejects: [])
        #expect(r3.added == 0 && r3.unchanged == 5 && r3.rejected.count == 1)
        #expect(r3.rejected[0].reason.contains("duplicated base time"))
        // Kept with the import.
        let kept = try await store.weatherImportRejects(importID: r3.importID, limit: 10)
        #expect(kept.count == 1 && kept[0].reason.contains("duplicated base time"))
        let cells = try await store.weatherArchiveCells()
        #expect(cells.count == 1 && cells[0].hours == 6 && cells[0].issues == 1 && cells[0].nx == 54)
    }

    @Test("Bad rows are rejected with file, line and reason; gaps are reported; good rows land")
    func rejectedRows() throws {
        let rows = ["2019-03-02 0:00,5,60,2,180,1",
                    "2019-03-02 1:00,abc,60,2,180,1",       // line 3: not a number
                    "2019-03-02 2:00,5,160,2,180,1",        // line 4: humidity out of range
                    "2019-03-02 0:00,6,60,2,180,1",         // line 5: duplicated valid time
                    "2019-03-02 9:00,7,60,2,180,2",         // line 6: gap 00:00 → 09:00 (row archived)
                    "not a time,7,60,2,180,2"]              // line 7: bad time
        let p = WeatherFileImport.dangjinCSV(bytes: Self.csv(rows), path: "w.csv", grid: Self.grid)
        #expect(p.hours.count == 2)
        let byLine = Dictionary(grouping: p.rejects, by: \.line)
        #expect(byLine[3]?.first?.reason == "w.csv:3: temperature is not a number")
        #expect(byLine[4]?.first?.reason.contains("humidity 160.0 is outside 0.0…100.0 %") == true)
        #expect(byLine[5]?.first?.reason.contains("duplicated valid time") == true)
        #expect(byLine[6]?.first?.reason.contains("gap") == true)
        #expect(byLine[7]?.first?.reason == "w.csv:7: bad time stamp")
    }

    @Test("KMA JSON: unknown categories and conflicting duplicates are rejected, unused known ones skipped")
    func kmaJSON() throws {
        func item(_ cat: String, _ t: String, _ v: String) -> String {
            #"{"baseDate":"20240701","baseTime":"0500","category":"\#(cat)","fcstDate":"20240701","fcstTime":"\#(t)","fcstValue":"\#(v)","nx":59,"ny":127}"#
        }
        let items = [item("TMP", "0600", "22"), item("SKY", "0600", "1"), item("REH", "0600", "80"), item("WSD", "0600", "1.5"),
                     item("PTY", "0600", "0"), item("POP", "0600", "20"), item("UUU", "0600", "0.5"), item("XYZ", "0600", "3"),
                     item("TMP", "0600", "23"), item("TMP", "0700", "23")]
        let json = #"{"response":{"header":{"resultCode":"00","resultMsg":"NORMAL_SERVICE"},"body":{"items":{"item":["#
            + items.joined(separator: ",") + #"]},"totalCount":10,"pageNo":1,"numOfRows":1000}}}"#
        let p = try WeatherFileImport.kmaJSON(data: Data(json.utf8), path: "kma.json")
        #expect(p.hours.count == 1)
        #expect(p.hours[0].baseTime == KSTDateTime(year: 2024, month: 7, day: 1, hour: 5).epochSeconds)
        #expect(p.hours[0].precipitationProbabilityPct == 20 && p.hours[0].humidityPct == 80)
        let reasons = p.rejects.map(\.reason)
        #expect(reasons.contains { $0.contains("item 8: unknown category XYZ") })
        #expect(reasons.contains { $0.contains("item 9: duplicated base time") })
        #expect(reasons.contains { $0.contains("hour lacks SKY") })   // 07:00 has TMP only
        #expect(p.rejects.count == 3)
    }

    @Test("A run sees only weather issued before it; a cell with none is named")
    func asIssued() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let day = KSTDateTime(year: 2024, month: 7, day: 2).epochSeconds
        func hours(base: Int64, sky: Double) -> [ArchivedWeatherHour] {
            (-3...27).map { ArchivedWeatherHour(nx: 59, ny: 127, baseTime: base, validTime: day + Int64($0) * 3600, temperatureC: 25,
                                                humidityPct: 60, windSpeedMS: 2, sky: sky) }
        }
        let early = day - 86_400 + 5 * 3600, late = day - 86_400 + 20 * 3600
        _ = try await store.archiveWeather(source: "a", importedAt: 0, hours: hours(base: early, sky: 1), rejects: [])
        _ = try await store.archiveWeather(source: "b", importedAt: 0, hours: hours(base: late, sky: 4), rejects: [])
        let dong = DongConfig(code: "1141052000", nameKo: "천연동", name: "Cheonyeon", latitudeDeg: 37.57121, longitudeDeg: 126.95714,
                              households: 1)
        #expect(KMAGrid.gridPoint(latitudeDeg: dong.latitudeDeg, longitudeDeg: dong.longitudeDeg) == KMAGridPoint(nx: 59, ny: 127))
        let at18 = try await ArchivedWeather.forDongs([dong], archive: store, from: day, to: day + 86_400, issuedAt: day - 86_400 + 18 * 3600)
        #expect(at18.weather[dong.code]?.at(day + 12 * 3600)?.sky == 1)
        let at21 = try await ArchivedWeather.forDongs([dong], archive: store, from: day, to: day + 86_400, issuedAt: day - 86_400 + 21 * 3600)
        #expect(at21.weather[dong.code]?.at(day + 12 * 3600)?.sky == 4)
        let before = try await ArchivedWeather.forDongs([dong], archive: store, from: day, to: day + 86_400, issuedAt: early - 1)
        #expect(before.weather.isEmpty && before.missing == [KMAGridPoint(nx: 59, ny: 127)])
        // The day-ahead cutoff used in training: D-1 17:30 KST.
        #expect(ArchivedWeather.dayAheadCutoff()(day + 12 * 3600) == day - 86_400 + 17 * 3600 + 1800)
    }
}
