import Foundation
import Testing
import VPPCore
@testable import Forecast

@Suite("Dangjin data import")
struct DangjinDataTests {
    @Test("Forecast CSV and hour-ending energy CSV import")
    func imports() throws {
        guard let dir = TestData.path("pv-dangjin") else { print("SKIP: shared/data/pv-dangjin not found"); return }
        let w = try WeatherCSV.load(path: dir + "/dangjin_fcst.csv")
        #expect(w.points.count == 17_520)
        let first = try #require(w.points.first)
        #expect(first.epoch == KSTDateTime(year: 2018, month: 3, day: 2).epochSeconds)
        #expect(first.temperatureC == -2.0 && first.sky == 1.0 && first.humidityPct == 55 && first.windSpeedMS == 6.7)
        let e = try HourlyEnergyTable.load(path: dir + "/energy.csv", convention: .hourEnding)
        #expect(e.slotStarts.count == 17_543)
        // "2018-3-1 1:00" is the hour 00:00–01:00 KST.
        #expect(e.slotStarts[0] == KSTDateTime(year: 2018, month: 3, day: 1).epochSeconds)
        let col = try #require(e.columns["dangjin_warehouse"])
        #expect(col.filter { $0 == nil }.count == 48)
        #expect(Set(e.columns.keys) == ["dangjin_floating", "dangjin_warehouse", "dangjin", "ulsan"])
    }

    @Test("Bad rows name file, line and column")
    func badRow() {
        let csv = "Forecast_time,Temperature,Humidity,WindSpeed,WindDirection,Cloud\n2018-03-02 00:00:00,-2.0,55.0,6.7,336.0,1.0\n2018-03-02 01:00:00,x,55,6,3,1\n"
        #expect(throws: ForecastError.badData(path: "f.csv", line: 3, column: 2, reason: "temperature is not a number")) {
            _ = try WeatherCSV.parse(bytes: Array(csv.utf8), path: "f.csv")
        }
    }
}
