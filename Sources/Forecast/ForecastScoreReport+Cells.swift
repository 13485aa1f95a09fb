import Foundation
import VPPCore

/// Table and CSV cells of a score report, shared by `vpp forecast score` and the report's
/// forecast-accuracy section. A missing figure is shown as the reason ("no actuals"), never 0.
extension ForecastScoreReport {
    public struct Cells: Sendable {
        public var headers: [String]
        public var rows: [[String]]
        /// Right-aligned columns.
        public var numeric: Set<Int>
    }

    static func f(_ v: Double?, _ digits: Int) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "–" }

    func name(_ code: String) -> String { code == ForecastScorer.districtLabel ? "구 전체" : dongNames[code] ?? "" }

    /// The headline cell: the figure, or why there is none.
    static func headline(_ s: ForecastScore) -> String { s.nmaePct.map { String(format: "%.2f", $0) } ?? s.status.rawValue }

    public var pvCells: Cells {
        Cells(headers: ["period", "dong", "name", "kwp", "fc_h", "scored_h", "no_actual_h", "nmae_pct", "persist_nmae_pct", "skill",
                        "mae_kwh", "rmse_kwh", "bias_kwh", "days", "days_le6_pct", "days_le8_pct"],
              rows: pv.map { s in
                  [s.period, s.dong, name(s.dong), Self.f(s.capacityKWp, 1), "\(s.forecastHours)", "\(s.scoredHours)", "\(s.missingActualHours)",
                   Self.headline(s), Self.f(s.persistenceNMAEPct, 2), Self.f(s.skillVsPersistence, 3), Self.f(s.maeKWh, 2),
                   Self.f(s.rmseKWh, 2), Self.f(s.biasKWh, 2), "\(s.days)", Self.f(s.shareDaysWithin6Pct, 1), Self.f(s.shareDaysWithin8Pct, 1)]
              }, numeric: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
    }

    public var loadCells: Cells {
        Cells(headers: ["period", "dong", "name", "fc_h", "paired_h", "no_actual_h", "nmae_pct", "mape_pct", "persist_nmae_pct", "skill",
                        "mae_kwh", "rmse_kwh", "bias_kwh"],
              rows: load.map { s in
                  [s.period, s.dong, name(s.dong), "\(s.forecastHours)", "\(s.pairedHours)", "\(s.missingActualHours)", Self.headline(s),
                   Self.f(s.mapePct, 2), Self.f(s.persistenceNMAEPct, 2), Self.f(s.skillVsPersistence, 3), Self.f(s.maeKWh, 2),
                   Self.f(s.rmseKWh, 2), Self.f(s.biasKWh, 2)]
              }, numeric: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    }

    /// One CSV table of both quantities: empty cells where a figure is missing, `status` says why.
    public var csvCells: Cells {
        func c(_ v: Double?, _ d: Int) -> String { v.map { String(format: "%.\(d)f", $0) } ?? "" }
        return Cells(headers: ["period", "dong", "quantity", "status", "capacity_kwp", "forecast_hours", "paired_hours", "scored_hours",
                               "missing_actual_hours", "nmae_pct", "persistence_nmae_pct", "skill_vs_persistence", "mae_kwh", "rmse_kwh",
                               "bias_kwh", "mape_pct", "days", "share_days_le_6_pct", "share_days_le_8_pct"],
                     rows: (pv + load).map { s in
                         [s.period, s.dong, s.quantity.rawValue, s.status.rawValue, c(s.capacityKWp, 3), "\(s.forecastHours)", "\(s.pairedHours)",
                          "\(s.scoredHours)", "\(s.missingActualHours)", c(s.nmaePct, 3), c(s.persistenceNMAEPct, 3),
                          c(s.skillVsPersistence, 4), c(s.maeKWh, 3), c(s.rmseKWh, 3), c(s.biasKWh, 3), c(s.mapePct, 3),
                          s.quantity == .pv ? "\(s.days)" : "", c(s.shareDaysWithin6Pct, 1), c(s.shareDaysWithin8Pct, 1)]
                     }, numeric: [])
    }

    /// The lines above the tables: range, deadline, runs used, days without one.
    public var summaryLines: [String] {
        let ids = Array(Set(runs.map(\.runID))).sorted()
        var out = ["Forecast accuracy \(from)..\(to) (KST, end exclusive), runs as issued by \(deadline): "
                   + "\(runs.count) day(s) with a run" + (ids.isEmpty ? "" : " (run \(ids.prefix(8).map { "#\($0)" }.joined(separator: ", "))"
                                                          + (ids.count > 8 ? ", … \(ids.count) runs" : "") + ")")]
        if !daysWithoutRun.isEmpty {
            out.append("\(daysWithoutRun.count) day(s) without a run issued by the deadline: "
                       + daysWithoutRun.prefix(5).joined(separator: ", ") + (daysWithoutRun.count > 5 ? ", …" : ""))
        }
        return out
    }
}
