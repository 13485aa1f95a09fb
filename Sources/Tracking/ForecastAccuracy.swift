import Forecast
import Foundation
import VPPCore
import VPPStore

/// The report's forecast-accuracy section (issue 11): the stored runs, as issued by D-1 10:00,
/// scored against the period's actuals (Forecast/ForecastScorer), plus each dong's hourly PV
/// forecast and actual for the forecast-vs-actual charts.
public struct ForecastAccuracy: Sendable {
    public var scores: ForecastScoreReport
    /// Hour starts of the period [UTC epoch s].
    public var hourStarts: [Int64]
    /// Dongs with at least one forecast hour, in scope order, with their hourly PV [kWh] (nil = missing).
    public var charts: [DongChart]

    public struct DongChart: Sendable {
        public var code: String
        public var nameKo: String
        public var forecastKWh: [Double?]
        public var actualKWh: [Double?]
    }

    /// Scores the stored runs over `period` for `dongs`; days by day for a month or shorter, else by month.
    /// Nil when no stored run issued by the deadline covers a day of the period (the report then
    /// has no section: there is nothing to score), or when the store cannot select runs.
    public static func build(storage: Storage, dongs: [DongConfig], period: ReportPeriod,
                             issuedBeforeMinutes: Int = 600) async throws -> ForecastAccuracy? {
        guard let store = storage.scoring, !dongs.isEmpty else { return nil }
        let grouping: ScoreGrouping = period.end - period.start <= 31 * 86_400 ? .day : .month
        let (scores, pv, _) = try await ForecastScorer.scoreWithSeries(
            forecasts: store, readings: storage.readings,
            request: ForecastScoreRequest(from: period.start, to: period.end, dongs: dongs, issuedBeforeMinutes: issuedBeforeMinutes,
                                          grouping: grouping))
        guard !scores.runs.isEmpty else { return nil }
        let hours = Array(stride(from: period.start, to: period.end, by: 3600))
        let charts = dongs.compactMap { d -> DongChart? in
            guard let s = pv[d.code], s.contains(where: { $0.forecastWh != nil }) else { return nil }
            return DongChart(code: d.code, nameKo: d.nameKo, forecastKWh: s.map { $0.forecastWh.map { Double($0) / 1000 } },
                             actualKWh: s.map { $0.actualWh.map { Double($0) / 1000 } })
        }
        return ForecastAccuracy(scores: scores, hourStarts: hours, charts: charts)
    }

    /// The rows of the whole period only (per dong and district), for the report's tables.
    public var periodScores: ForecastScoreReport {
        var s = scores
        s.pv = s.pv.filter { $0.period == "all" }
        s.load = s.load.filter { $0.period == "all" }
        return s
    }

    /// The section as the report's CSV appends it: a blank line, then its own header and rows.
    public func csv() -> String {
        let c = scores.csvCells
        return "\n" + ([c.headers] + c.rows).map { $0.map(csvEscape).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    /// The section in the report's JSON (`forecast_accuracy`): the same names as `vpp forecast score --format json`.
    func json() -> JSONValue {
        guard let data = try? APIJSON.encode(scores).data(using: .utf8),
              let any = try? JSONSerialization.jsonObject(with: data) else { return .null }
        return Self.value(any)
    }

    static func value(_ any: Any) -> JSONValue {
        switch any {
        case let d as [String: Any]: return .object(d.keys.sorted().map { ($0, value(d[$0] ?? NSNull())) })
        case let a as [Any]: return .array(a.map(value))
        case let s as String: return .string(s)
        case let n as NSNumber:
            let v = n.doubleValue
            return .number(v, v == v.rounded() && abs(v) < 1e15 ? 0 : 4)
        default: return .null
        }
    }
}
