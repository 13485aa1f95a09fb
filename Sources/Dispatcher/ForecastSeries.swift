import VPPCore
import VPPStore

/// Per-dong load and PV series [kW] for the dispatch horizon from the latest stored forecast run
/// (`forecast` table, Wh per slot), falling back slot by slot to recorded profiles where the
/// forecast does not cover the horizon or a dong. A forecast slot longer than the dispatch step
/// (hourly forecast, 15-min dispatch) gives its average power to every dispatch slot inside it.
public enum ForecastSeries {
    public struct Result: Sendable {
        public var series: [(load: [Double], pv: [Double])]
        /// Forecast run used (nil = none stored) and the share of (dong, quantity, slot) values it covered.
        public var runID: Int64?
        public var coverage: Double
    }

    /// `fallback`: per-dong series used where the forecast does not cover (nil: zeros).
    public static func latest(forecasts: any ForecastStore, builder: SiteProblemBuilder,
                              fallback: [(load: [Double], pv: [Double])]?,
                              start: Int64, step: SlotLength, slots: Int) async throws -> Result {
        var series = fallback
            ?? builder.site.dongs.map { _ in ([Double](repeating: 0, count: slots), [Double](repeating: 0, count: slots)) }
        guard let run = try await forecasts.newestForecastRun() else { return Result(series: series, runID: nil, coverage: 0) }
        // value by (dong, quantity) → [(slotStart, duration, kW)]
        var byKey: [String: [Int64: (Int, Double)]] = [:]
        for v in try await forecasts.forecastValues(runID: run.id) where v.durationS > 0 {
            byKey[v.dongCode + "|" + v.quantity, default: [:]][v.slotStart] = (v.durationS, Double(v.value.wh) / 1000 / (Double(v.durationS) / 3600))
        }
        var covered = 0
        for (k, d) in builder.site.dongs.enumerated() {
            for (q, isLoad) in [("load", true), ("pv", false)] {
                guard let m = byKey[d.code + "|" + q] else { continue }
                for t in 0..<slots {
                    let e = start + Int64(t * step.seconds)
                    var hit: Double?
                    for len in [step.seconds, 900, 3600] {
                        let s0 = e - ((e % Int64(len)) + Int64(len)) % Int64(len)
                        if let (dur, kw) = m[s0], e < s0 + Int64(dur) { hit = kw; break }
                    }
                    if let kw = hit {
                        if isLoad { series[k].0[t] = max(0, kw) } else { series[k].1[t] = max(0, kw) }
                        covered += 1
                    }
                }
            }
        }
        let total = builder.site.dongs.count * 2 * slots
        return Result(series: series, runID: run.id, coverage: total > 0 ? Double(covered) / Double(total) : 0)
    }
}
