/// Text renderings of a `TrackingReport`: table cells, CSV and JSON (schema
/// `vpp.tracking-report/2`; column names in `MetricsRow.columns`). The HTML report is in
/// `TrackingHTMLReport`. Everything here is string building from UTF-8, no Foundation formatters.
public enum ReportGranularity: String, Sendable, CaseIterable {
    case period, day, month, year
}

public struct TrackingReportRenderer: Sendable {
    public let report: TrackingReport
    public init(_ report: TrackingReport) { self.report = report }

    /// Rows at a granularity: dong rows then the district (scope) row per bucket.
    public func rows(_ by: ReportGranularity) -> [MetricsRow] {
        switch by {
        case .period: return report.summary
        case .day: return report.daily
        case .month: return report.monthly
        case .year: return report.yearly
        }
    }

    // MARK: CSV

    /// RFC 4180 CSV with the stable columns of `MetricsRow.columns`; gaps are empty cells.
    /// Participants follow the dong and district rows when `by` is `.period`.
    public func csv(by: ReportGranularity = .period) -> String {
        var out = MetricsRow.columns.joined(separator: ",") + "\n"
        var all = rows(by)
        if by == .period { all += report.participants }
        for r in all {
            out += r.textValues.map(csvEscape).joined(separator: ",")
            for (v, digits) in zip(r.numericValues, MetricsRow.numericDecimals) {
                out += ","
                if let v { out += fmtNum(v, digits) }
            }
            out += r.gap ? ",true\n" : ",false\n"
        }
        if let fa = report.forecastAccuracy { out += fa.csv() }
        return out
    }

    // MARK: JSON

    /// JSON document; key order is fixed and null marks a gap.
    public func json(by: ReportGranularity = .period) -> String {
        let r = report
        func row(_ m: MetricsRow) -> JSONValue {
            var fields: [(String, JSONValue)] = zip(MetricsRow.textColumns, m.textValues).map { ($0, .string($1)) }
            for ((k, v), digits) in zip(zip(MetricsRow.numericColumns, m.numericValues), MetricsRow.numericDecimals) {
                fields.append((k, v.map { .number($0, digits) } ?? .null))
            }
            fields.append(("gap", .bool(m.gap)))
            return .object(fields)
        }
        func target(_ t: TargetProgress) -> JSONValue {
            .object([("key", .string(t.key)), ("label", .string(t.label)), ("unit", .string(t.unit)),
                     ("actual", t.actual.map { .number($0, 3) } ?? .null), ("target", .number(t.target, 3)),
                     ("progress_pct", t.progressPct.map { .number($0, 2) } ?? .null), ("note", .string(t.note))])
        }
        var doc: JSONValue = .object([
            ("schema", .string(TrackingReport.schema)),
            ("site", .object([("id", .string(r.siteID)), ("name_ko", .string(r.siteNameKo)), ("name", .string(r.siteName))])),
            ("period", .object([("label", .string(r.period.label)), ("kind", .string(r.period.kind.rawValue)),
                                ("start_kst", .string(r.period.startKST.iso8601)),
                                ("end_kst_exclusive", .string(KSTDateTime(epochSeconds: r.period.end).iso8601)),
                                ("days", .number(Double(r.period.days), 0))])),
            ("scope", .string(r.scope)), ("scope_name_ko", .string(r.scopeNameKo)),
            ("generated_at_kst", .string(KSTDateTime(epochSeconds: r.generatedAt).iso8601)),
            ("coverage_threshold_pct", .number(r.coverageThresholdPct, 1)),
            ("emission_factors_used", .array(r.factorsUsed.map { f in
                .object([("applied_to_year", .number(Double(f.appliedToYear), 0)), ("entry", .string(f.entryLabel)),
                         ("tco2eq_per_mwh", .number(f.tco2eqPerMWh, 4)), ("basis", .string(f.basis)),
                         ("source", .string(f.source)), ("note", .string(f.note))])
            })),
            ("by", .string(by.rawValue)),
            ("columns", .array(MetricsRow.columns.map { .string($0) })),
            ("summary", .array(r.summary.map(row))),
            ("participants", .array(r.participants.map(row))),
            ("rows", .array(by == .period ? [] : rows(by).map(row))),
            ("targets", .array(r.targets.map(target))),
            ("dong_targets", .object(r.dongs.map { d in (d.code, .array((r.dongTargets[d.code] ?? []).map(target))) })),
            ("tco2_run_rate", .object([
                ("tco2e_per_year", r.runRate.tco2ePerYear.map { .number($0, 3) } ?? .null),
                ("method", .string(r.runRate.method.rawValue)),
                ("window_start_kst", .string(KSTDateTime(epochSeconds: r.runRate.windowStart).iso8601)),
                ("window_end_kst_exclusive", .string(KSTDateTime(epochSeconds: r.runRate.windowEnd).iso8601)),
                ("covered_days", .number(Double(r.runRate.coveredDays), 0)),
                ("window_days", .number(Double(r.runRate.windowDays), 0)),
                ("covered_pv_yield_share", .number(r.runRate.coveredYieldShare, 4)),
                ("explanation", .string(r.runRate.explanation)),
                ("by_dong", .object(r.dongs.map { d in (d.code, (r.runRate.byDong[d.code] ?? nil).map { .number($0, 3) } ?? .null) })),
            ])),
            ("soc", .object([
                ("source", .string(r.soc.source.rawValue)), ("resolution", .string(r.soc.resolution)),
                ("unit", .string("% of capacity")), ("explanation", .string(r.soc.explanation)),
                ("dongs", .array(r.soc.dongs.map { s in
                    .object([("dong_code", .string(s.dongCode)), ("name_ko", .string(s.nameKo)),
                             ("capacity_kwh", .number(s.capacityKWh, 1)),
                             ("points", .array(s.points.map { p in
                                 .array([.string(KSTDateTime(epochSeconds: p.t).iso8601), .number(p.pct, 2)]) }))])
                })),
            ])),
            ("definitions", .array(r.definitions.map { .string($0) })),
            ("battery_plan_vs_actual", batteryJSON()),
            ("counting", countingJSON()),
        ])
        if let fa = r.forecastAccuracy, case .object(let fields) = doc { doc = .object(fields + [("forecast_accuracy", fa.json())]) }
        var out = ""
        doc.write(into: &out, indent: 0)
        return out + "\n"
    }

    // MARK: Table

    /// Header and cells for a human table (MWh, %, t); gaps read "gap".
    public func tableCells(by: ReportGranularity = .period) -> (headers: [String], rows: [[String]], numeric: Set<Int>) {
        let headers = ["dong", "name", "bucket", "gen_MWh", "cons_MWh", "self_cons_MWh", "via_storage_MWh", "charged_MWh",
                       "discharged_MWh", "loss_MWh", "import_MWh", "export_MWh", "RE100_%", "tCO2e", "coverage_%",
                       "gen_est_MWh", "cons_monthly_%", "RE_est_%"]
        func mwh(_ v: Double?) -> String { v.map { fmtNum($0 / 1000, 3) } ?? "gap" }
        let cells = rows(by).map { m -> [String] in
            let cov = min(m.generationCoveragePct ?? 100, m.consumptionCoveragePct ?? 0)
            return [m.level == .district ? "total" : m.dongCode, m.name, m.bucket, mwh(m.generationKWh), mwh(m.consumptionKWh),
                    mwh(m.selfConsumedPVKWh), mwh(m.pvViaStorageKWh), mwh(m.chargedKWh), mwh(m.dischargedKWh),
                    mwh(m.storageLossKWh), mwh(m.importKWh), mwh(m.exportKWh),
                    m.re100SharePct.map { fmtNum($0, 1) } ?? "gap", m.tco2eAvoided.map { fmtNum($0, 3) } ?? "gap",
                    fmtNum(cov, 1), mwh(m.generationEstimatedKWh),
                    m.consumptionFromMonthlySharePct.map { fmtNum($0, 1) } ?? (m.consumptionKWh == nil ? "gap" : "-"),
                    m.renewableEstimatedSharePct.map { fmtNum($0, 1) } ?? (m.renewableKWh == nil ? "gap" : "-")]
        }
        return (headers, cells, Set(3..<18))
    }

    /// Lines printed under the table: factor used, targets, run-rate method, coverage rule.
    public func notes() -> [String] {
        let r = report
        var out: [String] = []
        out.append("period \(r.period.label) (KST), scope \(r.scopeNameKo) [\(r.scope)]; gaps: coverage < \(fmtNum(r.coverageThresholdPct, 0)) %")
        for f in r.factorsUsed { out.append("emission factor used: \(f.sentence)") }
        for t in r.targets {
            let a = t.actual.map { fmtNum($0, t.unit == "households" ? 0 : 1) } ?? "n/a"
            let p = t.progressPct.map { fmtNum($0, 1) + " %" } ?? "n/a"
            out.append("target \(t.label): \(a) of \(fmtNum(t.target, t.unit == "households" ? 0 : 1)) \(t.unit) = \(p)")
        }
        out.append("tCO2 run-rate: \(r.runRate.explanation)")
        if let b = r.batteryFlows { out.append(b.explanation) }
        out += countingNotes()
        if r.participants.contains(where: { !$0.gap }) {
            out.append("participants: \(r.participants.filter { !$0.gap }.count) of \(r.participants.count) meters with data (JSON/CSV list them)")
        }
        return out
    }
}

func csvEscape(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}

/// Minimal ordered JSON tree with fixed-decimal numbers.
indirect enum JSONValue {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(Double, Int)
    case bool(Bool)
    case null

    func write(into out: inout String, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let v, let d): out += v.isFinite ? fmtNum(v, d) : "null"
        case .string(let s): jsonEscape(s, into: &out)
        case .array(let a):
            if a.isEmpty { out += "[]"; return }
            // Short arrays of scalars on one line (SoC points).
            if a.count <= 4, a.allSatisfy({ if case .object = $0 { return false }; if case .array = $0 { return false }; return true }) {
                out += "["
                for (i, v) in a.enumerated() { if i > 0 { out += ", " }; v.write(into: &out, indent: indent) }
                out += "]"; return
            }
            out += "[\n"
            for (i, v) in a.enumerated() {
                out += jsonIndent(indent + 2)
                v.write(into: &out, indent: indent + 2)
                out += i < a.count - 1 ? ",\n" : "\n"
            }
            out += jsonIndent(indent)
            out += "]"
        case .object(let o):
            if o.isEmpty { out += "{}"; return }
            out += "{\n"
            for (i, (k, v)) in o.enumerated() {
                out += jsonIndent(indent + 2)
                jsonEscape(k, into: &out)
                out += ": "
                v.write(into: &out, indent: indent + 2)
                out += i < o.count - 1 ? ",\n" : "\n"
            }
            out += jsonIndent(indent)
            out += "}"
        }
    }
}

private let jsonIndents: [String] = (0..<16).map { String(repeating: " ", count: $0 * 2) }
func jsonIndent(_ n: Int) -> String { n / 2 < jsonIndents.count ? jsonIndents[n / 2] : String(repeating: " ", count: n) }


import Foundation
import VPPCore
import VPPStore
