import Foundation
import VPPCore
import VPPStore

/// Forecast error metrics. Energies in kWh per hour, capacity in kW.
public enum ForecastMetrics {
    /// KPX NMAE [%] (재생에너지 발전량 예측제도 정산 기준): mean over hours with actual ≥ 10 % of
    /// installed capacity of |F − A| / capacity × 100. Nil when no hour qualifies.
    public static func kpxNMAE(forecast f: [Double], actual a: [Double], capacityKW cap: Double) -> Double? {
        guard f.count == a.count else { return nil }
        var s = 0.0, n = 0
        for i in 0..<a.count where a[i] >= 0.1 * cap {
            s += abs(f[i] - a[i]) / cap; n += 1
        }
        return n > 0 ? s / Double(n) * 100 : nil
    }

    public static func mae(forecast f: [Double], actual a: [Double]) -> Double? {
        guard !a.isEmpty else { return nil }
        var s = 0.0
        for i in 0..<a.count { s += abs(f[i] - a[i]) }
        return s / Double(a.count)
    }

    public static func rmse(forecast f: [Double], actual a: [Double]) -> Double? {
        guard !a.isEmpty else { return nil }
        var s = 0.0
        for i in 0..<a.count { s += (f[i] - a[i]) * (f[i] - a[i]) }
        return (s / Double(a.count)).squareRoot()
    }

    /// Skill score 1 − E_model / E_reference (positive = better than the reference).
    public static func skill(model: Double, reference: Double) -> Double? {
        reference > 0 ? 1 - model / reference : nil
    }
}

/// One hour in a backtest: slot start, actual and the competing forecasts [kWh].
public struct BacktestHour: Sendable, Equatable {
    public var slotStart: Int64
    public var actual: Double
    public var forecast: Double
    public var physical: Double
    public var persistence: Double
    /// Whether the sun is up (clear-sky output > 0) — MAE/RMSE are over these hours.
    public var daylight: Bool
    public init(slotStart: Int64, actual: Double, forecast: Double, physical: Double, persistence: Double, daylight: Bool) {
        self.slotStart = slotStart; self.actual = actual; self.forecast = forecast; self.physical = physical
        self.persistence = persistence; self.daylight = daylight
    }
}

/// Scores of one group of hours (a month or the whole test period).
public struct BacktestScore: Sendable, Equatable {
    public var label: String
    public var scoredHours: Int
    /// KPX NMAE [%] of the forecast, the uncorrected physical model and day-ahead persistence.
    public var nmaePct: Double
    public var physicalNMAEPct: Double
    public var persistenceNMAEPct: Double
    /// MAE, RMSE over daylight hours [kWh].
    public var maeKWh: Double
    public var rmseKWh: Double
    public var skillVsPersistence: Double
    public var skillVsPhysical: Double
    /// Days with at least one scored hour, and the share of them with daily NMAE ≤ 6 % / ≤ 8 %.
    public var days: Int
    public var shareDaysWithin6: Double
    public var shareDaysWithin8: Double

    public var line: String {
        func f(_ x: Double, _ d: Int = 2) -> String { String(format: "%.\(d)f", x) }
        return "\(label): NMAE \(f(nmaePct))% (physical \(f(physicalNMAEPct))%, persistence \(f(persistenceNMAEPct))%), "
            + "MAE \(f(maeKWh, 1)) kWh, RMSE \(f(rmseKWh, 1)) kWh, skill vs persistence \(f(skillVsPersistence, 3)), "
            + "vs physical \(f(skillVsPhysical, 3)), days \(days): ≤6% \(f(shareDaysWithin6 * 100, 1))%, ≤8% \(f(shareDaysWithin8 * 100, 1))%"
    }

    /// Scores `hours` against `capacityKW`; nil when no hour qualifies for NMAE.
    public static func score(label: String, hours: [BacktestHour], capacityKW cap: Double) -> BacktestScore? {
        let a = hours.map(\.actual)
        guard let n = ForecastMetrics.kpxNMAE(forecast: hours.map(\.forecast), actual: a, capacityKW: cap),
              let np = ForecastMetrics.kpxNMAE(forecast: hours.map(\.physical), actual: a, capacityKW: cap),
              let nper = ForecastMetrics.kpxNMAE(forecast: hours.map(\.persistence), actual: a, capacityKW: cap)
        else { return nil }
        let day = hours.filter(\.daylight)
        let mae = ForecastMetrics.mae(forecast: day.map(\.forecast), actual: day.map(\.actual)) ?? 0
        let rmse = ForecastMetrics.rmse(forecast: day.map(\.forecast), actual: day.map(\.actual)) ?? 0
        // Daily bands: group by KST date.
        var byDay: [Int64: (Double, Int)] = [:]
        for h in hours where h.actual >= 0.1 * cap {
            let d = (h.slotStart + KST.offsetSeconds) / 86_400
            let e = byDay[d] ?? (0, 0)
            byDay[d] = (e.0 + abs(h.forecast - h.actual) / cap, e.1 + 1)
        }
        let daily = byDay.values.map { $0.0 / Double($0.1) * 100 }
        let nd = Double(max(daily.count, 1))
        return BacktestScore(label: label, scoredHours: a.filter { $0 >= 0.1 * cap }.count, nmaePct: n,
                             physicalNMAEPct: np, persistenceNMAEPct: nper, maeKWh: mae, rmseKWh: rmse,
                             skillVsPersistence: ForecastMetrics.skill(model: n, reference: nper) ?? 0,
                             skillVsPhysical: ForecastMetrics.skill(model: n, reference: np) ?? 0,
                             days: daily.count, shareDaysWithin6: Double(daily.filter { $0 <= 6 }.count) / nd,
                             shareDaysWithin8: Double(daily.filter { $0 <= 8 }.count) / nd)
    }

    /// Per KST month, then overall.
    public static func monthlyAndOverall(hours: [BacktestHour], capacityKW cap: Double) -> [BacktestScore] {
        var groups: [String: [BacktestHour]] = [:]
        for h in hours {
            let t = KSTDateTime(epochSeconds: h.slotStart)
            groups["\(t.year)-\(t.month < 10 ? "0" : "")\(t.month)", default: []].append(h)
        }
        var out = groups.keys.sorted().compactMap { score(label: $0, hours: groups[$0]!, capacityKW: cap) }
        if let all = score(label: "overall", hours: hours, capacityKW: cap) { out.append(all) }
        return out
    }
}
