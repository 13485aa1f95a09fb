import VPPCore
import VPPStore

/// The district energy centre's KPI next to RE100 (issue 17): the renewable self-sufficiency
/// rate 자립율 = renewable generation / consumption, per dong and district, over the report period.
public struct SelfSufficiencyRow: Sendable, Equatable {
    /// Dong code, or "district".
    public var scope: String
    public var name: String
    public var generationKWh: Double?
    public var consumptionKWh: Double?
    public var renewableUsedKWh: Double?
    /// 자립율 [%]: generation / consumption (may exceed 100 % when a dong exports surplus).
    public var selfSufficiencyPct: Double?
    /// RE100 share [%]: renewable energy used / consumption.
    public var re100SharePct: Double?
}

public enum SelfSufficiencyKPI {
    public static let definitions = [
        "자립율 (renewable self-sufficiency rate) = renewable generation kWh / consumption kWh × 100, per dong and district over the period — the district energy centre's performance target; it counts all PV generated, including what is exported, so it can exceed 100 %.",
        "RE100 share = renewable energy used kWh / consumption kWh × 100 — only PV consumed in the dong (directly or via storage) counts; exports do not.",
    ]

    /// One row per dong and the district row, from the report's period totals (gaps stay nil).
    public static func rows(_ report: TrackingReport) -> [SelfSufficiencyRow] {
        report.summary.filter { $0.level != .participant }.map { m in
            let pct: Double? = {
                guard let g = m.generationKWh, let c = m.consumptionKWh, c > 0 else { return nil }
                return (g / c * 10_000).rounded() / 100
            }()
            return SelfSufficiencyRow(scope: m.level == .district ? "district" : m.dongCode, name: m.name, generationKWh: m.generationKWh,
                                      consumptionKWh: m.consumptionKWh, renewableUsedKWh: m.renewableKWh, selfSufficiencyPct: pct,
                                      re100SharePct: m.re100SharePct)
        }
    }

    /// Table cells: scope, name, generation and consumption [MWh], 자립율 and RE100 [%].
    public static func tableCells(_ report: TrackingReport) -> (headers: [String], rows: [[String]]) {
        let h = ["dong", "name", "gen_MWh", "cons_MWh", "자립율_%", "RE100_%"]
        func mwh(_ v: Double?) -> String { v.map { fmtNum($0 / 1000, 3) } ?? "gap" }
        return (h, rows(report).map { r in
            [r.scope == "district" ? "total" : r.scope, r.name, mwh(r.generationKWh), mwh(r.consumptionKWh),
             r.selfSufficiencyPct.map { fmtNum($0, 1) } ?? "gap", r.re100SharePct.map { fmtNum($0, 1) } ?? "gap"]
        })
    }
}
