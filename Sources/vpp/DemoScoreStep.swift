import Forecast
import Foundation
import VPPCore
import VPPStore

/// Demo step "score" (issue 11): day-ahead runs for the last week of the ingested July 2022
/// samples, each issued at D-1 09:00 KST as `forecast run` would have been, then
/// `forecast score` over that week: per dong and district, against the ingested actuals.
enum DemoScoreStep {
    static let firstDay = KSTDateTime(year: 2022, month: 7, day: 25)
    static let days = 7

    static func run(storage store: Storage, samples: String) async throws {
        guard let site = try await store.selectSite(nil) else { throw VPPError(.internal, "demo: no site loaded") }
        let weatherPath = samples + "/weather-standin-2022-07.csv"
        let weather = try WeatherCSV.load(path: weatherPath)
        let perDong = Dictionary(uniqueKeysWithValues: site.dongs.map { ($0.code, weather) })
        let length = SlotLength.quarterHour
        var ids: [Int64] = []
        for d in 0..<days {
            let start = firstDay.epochSeconds + Int64(d) * 86_400
            let s = try await ForecastRunner.run(storage: store, site: site, start: start, slots: 86_400 / length.seconds, length: length,
                                                 weather: perDong, issuedAt: start - 86_400 + 9 * 3600)
            ids.append(s.runID)
        }
        print("\n== score: \(days) day-ahead runs (#\(ids.first ?? 0)..#\(ids.last ?? 0)) for \(firstDay.dateString)..2022-07-31, each issued D-1 09:00 KST, weather \(weatherPath)")
        print("   (stand-in: the real KMA forecast for Dangjin 2019-07-24..31, re-dated; the actuals are GIST samples: "
              + "this shows the scoring path, not the model's accuracy for Seodaemun)")
        let request = ForecastScoreRequest(from: firstDay.epochSeconds, to: firstDay.epochSeconds + Int64(days) * 86_400, dongs: site.dongs)
        let report = try await ForecastScorer.score(forecasts: try store.forecastScoring(), readings: store.readings, request: request)
        // Only the dongs with both a forecast and a meter of the quantity, then the district
        // (the others say "no actuals" or, for load without history, "no forecast").
        var shown = report
        shown.pv = report.pv.filter { $0.status != .noActuals && $0.status != .noForecast }
        shown.load = report.load.filter { $0.status != .noActuals && $0.status != .noForecast }
        print(ForecastCommand.Score.render(shown, format: .table).split(separator: "\n", omittingEmptySubsequences: false)
            .map { "   " + $0 }.joined(separator: "\n"))
        print("   (\(report.pv.count - shown.pv.count) PV and \(report.load.count - shown.load.count) load rows say \"no actuals\" or \"no forecast\": "
              + "`vpp forecast score --db … --from 2022-07-25 --to 2022-08-01` prints them all)")
    }
}
