import Foundation
import Forecast
import VPPConfig
import VPPCore
import VPPStore
import VPPStoreSQLite

/// `vpp bench score`: the time of `forecast score` over one year × the site's dongs (issue 11).
/// Inputs are SYNTHETIC (SyntheticRollups for the actuals, the actual plus seeded noise for one
/// day-ahead run per day issued D-1 09:00 at 15 min): a timing fixture, not a quality figure.
public enum ScoreBenchmark {
    /// CPU time of this process (all threads, including the store's) [s].
    static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    public static func run(siteConfigPath: String, directory: String, year: Int = 2024, iterations: Int = 5) async throws -> [String] {
        let site = try SiteConfigParser().parse(fileAt: siteConfigPath)
        let path = (directory as NSString).appendingPathComponent("vpp-bench-score-\(UUID().uuidString).sqlite")
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let store = try SQLiteStore(path: path)
        _ = try await store.loadSite(site)
        let codes = site.dongs.map(\.code)
        let from = KSTDateTime(year: year, month: 1, day: 1).epochSeconds, to = KSTDateTime(year: year + 1, month: 1, day: 1).epochSeconds
        let days = Int((to - from) / 86_400)
        var out: [String] = []
        let t0 = Date()
        let rows = SyntheticRollups.rows(dongs: codes, from: from - 86_400, hours: (days + 1) * 24, seed: 11)
        try await store.replaceRollups(rows)
        var byDongHour: [String: [Int64: HourlyRollup]] = [:]
        for r in rows { byDongHour[r.dongCode, default: [:]][r.rollup.hourStart] = r.rollup }
        var rng = SplitMix64(seed: 42)
        var values = 0
        for d in 0..<days {
            let day = from + Int64(d) * 86_400
            var v: [ForecastValue] = []
            v.reserveCapacity(codes.count * 192)
            for c in codes {
                for q in 0..<96 {
                    let t = day + Int64(q) * 900, hour = t - t % 3600
                    let a = byDongHour[c]?[hour]
                    let noise = 0.85 + Double(rng.next() % 300) / 1000   // ×0.85…1.15
                    v.append(ForecastValue(dongCode: c, quantity: "pv", slotStart: t, durationS: 900,
                                           value: WattHours(Int64(Double(a?.generationWh ?? 0) / 4 * noise))))
                    v.append(ForecastValue(dongCode: c, quantity: "load", slotStart: t, durationS: 900,
                                           value: WattHours(Int64(Double(a?.consumptionWh ?? 0) / 4 * noise))))
                }
            }
            values += v.count
            try await store.insertForecastRun(issuedAt: day - 86_400 + 9 * 3600, kind: "day-ahead", horizonS: 86_400, stepS: 900,
                                              model: "bench-synthetic", values: v)
        }
        out.append("forecast score benchmark: \(codes.count) dongs × \(days) days (\(year), KST), SYNTHETIC actuals and forecasts; "
                   + "\(days) runs, \(values) forecast values, \(rows.count) rollup rows; fill \(String(format: "%.1f", Date().timeIntervalSince(t0))) s")
        var times: [Double] = [], cpu: [Double] = []
        var last: ForecastScoreReport?
        for _ in 0..<max(1, iterations) {
            let s = Date(), c0 = Self.processCPUSeconds()
            last = try await ForecastScorer.score(forecasts: store, readings: store,
                                                  request: ForecastScoreRequest(from: from, to: to, dongs: site.dongs, grouping: .month))
            times.append(Date().timeIntervalSince(s)); cpu.append(Self.processCPUSeconds() - c0)
        }
        times.sort(); cpu.sort()
        let median = times[times.count / 2]
        out.append("score 1 year × \(codes.count) dongs (+ district, by month): median \(String(format: "%.3f", median)) s, "
                   + "min \(String(format: "%.3f", times[0])) s, max \(String(format: "%.3f", times[times.count - 1])) s over \(times.count) runs; "
                   + "process CPU median \(String(format: "%.3f", cpu[cpu.count / 2])) s (wall time includes waiting for a shared CPU)")
        if let d = last?.districtPV {
            out.append("  (sanity) district PV NMAE \(d.nmaePct.map { String(format: "%.2f", $0) } ?? d.status.rawValue)% over \(d.scoredHours) h, "
                       + "\(last?.runs.count ?? 0) days with a run")
        }
        return out
    }
}
