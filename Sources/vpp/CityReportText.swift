import Foundation
import VPPStore

/// The text form of `vpp report --scope city`: progress to the city targets, then one row per
/// district with its share of the loaded districts' totals.
enum CityReportText {
    static func render(_ p: CityReportPayload) -> String {
        func opt(_ v: Double?, _ d: Int = 2) -> String { v.map { fmt($0, d) } ?? "—" }
        var out = "city report \(p.period) (KST, \(p.hours) h): \(p.districts.count) district(s), \(p.city.dongs) dongs; "
            + "targets from site \(p.targets.fromSite)\n\n"
        out += renderTable(headers: ["target", "unit", "actual", "target", "progress_pct"], rows: p.progress.map {
            [$0.key, $0.unit, fmt($0.actual, 1), fmt($0.target, 0), opt($0.progressPct)]
        }, numeric: [2, 3, 4]) + "\n\n"
        let headers = ["site", "district", "dongs", "households", "pv_kwp", "pv_share_pct", "mini_solar_hh", "mini_share_pct",
                       "generation_mwh", "gen_share_pct", "tco2_avoided", "tco2_share_pct", "tco2_per_year", "planned_share_pct", "coverage_pct"]
        var rows = p.districts.map { d in
            [d.id, d.nameKo, String(d.dongs), String(d.households), fmt(d.pvKWp, 1), opt(d.share?.pvKWpPct), String(d.miniSolarHouseholds),
             opt(d.share?.miniSolarHouseholdsPct), fmt(Double(d.generationWh) / 1e6, 3), opt(d.share?.generationPct),
             fmt(d.tco2Avoided, 3), opt(d.share?.tco2Pct), fmt(d.tco2PerYear, 3), opt(d.plannedSharePct, 3), fmt(d.coveragePct, 2)]
        }
        let c = p.city
        rows.append(["city", "total", String(c.dongs), String(c.households), fmt(c.pvKWp, 1), "100.00", String(c.miniSolarHouseholds),
                     "100.00", fmt(Double(c.generationWh) / 1e6, 3), "100.00", fmt(c.tco2Avoided, 3), "100.00", fmt(c.tco2PerYear, 3), "—",
                     fmt(c.coveragePct, 2)])
        out += renderTable(headers: headers, rows: rows, numeric: Set(2..<15)) + "\n\n"
        out += p.notes.map { "note: \($0)" }.joined(separator: "\n") + "\n"
        return out
    }
}
