import Forecast
import Foundation
import Synchronization
import Tracking
import VPPCharts
import VPPCore
import VPPStore

/// Tracking reports the pages built, keyed by the store's data stamp and the period, so moving
/// between the dashboard, a dong and back does not rebuild a district-year (bounded, LRU-ish).
final class ReportMemo: Sendable {
    private let state = Mutex<[(key: String, report: TrackingReport)]>([])
    let capacity = 24
    func get(_ key: String) -> TrackingReport? { state.withLock { s in s.first { $0.key == key }?.report } }
    func put(_ key: String, _ r: TrackingReport) {
        state.withLock { s in
            s.removeAll { $0.key == key }
            s.insert((key, r), at: 0)
            if s.count > capacity { s.removeLast(s.count - capacity) }
        }
    }
}

/// Map measures (`?measure=`): what colours the dongs.
enum MapMeasure: String, CaseIterable, Sendable {
    case re100, pv, tco2, coverage, soc
    var title: String {
        switch self {
        case .re100: "RE100 비율 share %"
        case .pv: "태양광 PV kWh"
        case .tco2: "감축 tCO2 avoided"
        case .coverage: "데이터 coverage %"
        case .soc: "배터리 SoC now %"
        }
    }
}

extension Pages {
    // MARK: Period and shared pieces

    func period(_ q: [String: String]) async throws -> DashboardPeriod {
        let latest = try await storage.readings.rollupSpan()?.last ?? storage.clock.now()
        let clamped = min(max(latest, RequestTimeBounds.min), RequestTimeBounds.max - 1)
        return try DashboardPeriod.parse(q, latest: clamped)
    }

    /// The district tracking report of a period (cached per data stamp), with the sections the
    /// pages show: the summary and the chart buckets (months for a year, else days). Participants,
    /// SoC series and forecast accuracy are left out: the pages never show them from the report
    /// (the dong page scores its forecast itself), and on a cold district-year they were most of
    /// the time (issue 16). The values built are the full report's (DashboardGapsTests).
    func report(_ p: DashboardPeriod) async throws -> TrackingReport {
        let key = (try await storage.readings.dataStamp()) + "|" + p.reportPeriod.label
        if let r = memo.get(key) { return r }
        var options = TrackingOptions()
        options.sections = p.scope == .year ? [] : [.daily]
        let r = try await TrackingReportBuilder.build(storage: storage, period: p.reportPeriod, options: options, siteID: settings.site?.id)
        memo.put(key, r)
        return r
    }

    /// Scope tabs, previous/next, a date picker (a GET form: no script) and the latest period.
    func periodNav(path: String, _ p: DashboardPeriod, extra: [(String, String)] = []) -> String {
        let ex = extra.map { "&amp;\($0.0)=\(esc(urlq($0.1)))" }.joined()
        var b = "<nav class=\"period\" aria-label=\"period\"><span class=\"tabs\">"
        for s in DashboardPeriod.Scope.allCases {
            let q = DashboardPeriod.containing(p.start, scope: s).query
            b += s == p.scope ? "<b>\(esc(s.nameKo))</b>" : "<a href=\"\(esc(path))?\(esc(q))\(ex)\">\(esc(s.nameKo))</a>"
        }
        b += "</span><a id=\"prev\" href=\"\(esc(path))?\(esc(p.previous.query))\(ex)\">◀ 이전 prev</a>"
        b += "<strong id=\"period-title\">\(esc(p.title))</strong>"
        b += "<a id=\"next\" href=\"\(esc(path))?\(esc(p.next.query))\(ex)\">다음 next ▶</a>"
        b += "<form method=\"get\" action=\"\(esc(path))\" class=\"picker\"><input type=\"hidden\" name=\"scope\" value=\"\(p.scope.rawValue)\">"
        for (k, v) in extra { b += "<input type=\"hidden\" name=\"\(esc(k))\" value=\"\(esc(v))\">" }
        b += "<input type=\"date\" name=\"date\" id=\"date\" value=\"\(KSTDateTime(epochSeconds: p.start).dateString)\" aria-label=\"date (KST)\">"
        b += "<button type=\"submit\">이동 Go</button></form>"
        b += "<a href=\"\(esc(path))?scope=\(p.scope.rawValue)\(ex)\">최근 latest</a></nav>"
        return b
    }

    /// Percent-encodes a query value or path segment (RFC 3986 unreserved characters kept).
    func urlq(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? ""
    }

    func fmt(_ v: Double?, _ digits: Int, _ unit: String = "") -> String {
        guard let v else { return "–" }
        return fmtNum(v, digits) + (unit.isEmpty ? "" : " " + unit)
    }

    func fmtKWh(_ v: Double?) -> String {
        guard let v else { return "–" }
        return kwh(Int64((v * 1000).rounded())) + " kWh"
    }

    /// A card with its coverage line ("3 of 14 dongs").
    func card(_ label: String, _ value: String, coverage: String) -> String {
        "<div class=\"card\"><span>\(esc(label))</span><b>\(esc(value))</b><small>\(esc(coverage))</small></div>"
    }

    /// Chart buckets of a period: the district (or one dong's) rows by day or month, or hours.
    struct Buckets { var labels: [String]; var rows: [MetricsRow?] }

    func buckets(_ rep: TrackingReport, _ p: DashboardPeriod, dong: String?) -> Buckets {
        let level: MetricsRow.Level = dong == nil ? .district : .dong
        let rows = (p.scope == .year ? rep.monthly : rep.daily).filter { $0.level == level && (dong == nil || $0.dongCode == dong) }
        return Buckets(labels: rows.map { p.scope == .year ? String($0.bucket.suffix(2)) + "월" : String($0.bucket.suffix(5)) }, rows: rows)
    }

    // MARK: Dashboard

    func dashboard(query q: [String: String]) async throws -> String {
        let p = try await period(q)
        guard let measure = MapMeasure(rawValue: q["measure"] ?? "re100") else {
            throw APIError.badRequest("measure must be one of \(MapMeasure.allCases.map(\.rawValue).joined(separator: ", "))",
                                      code: "bad_measure", parameter: "measure")
        }
        let site = try await storage.sites.loadedSiteConfig(siteID: settings.site?.id)
        let rep = try await report(p)
        let dongRows = rep.summary.filter { $0.level == .dong }
        let district = rep.summary.first { $0.level == .district }
        let n = dongRows.count
        func count(_ f: (MetricsRow) -> Double?) -> Int { dongRows.filter { f($0) != nil }.count }
        var b = periodNav(path: "/dashboard", p, extra: [("measure", measure.rawValue)])
        b += "<div class=\"cards\">"
        b += card("발전 PV generation", fmtKWh(district?.generationKWh), coverage: "\(count(\.generationKWh)) of \(n) dongs metered ≥ \(Int(rep.coverageThresholdPct)) %")
        b += card("소비 Consumption", fmtKWh(district?.consumptionKWh), coverage: "\(count(\.consumptionKWh)) of \(n) dongs metered ≥ \(Int(rep.coverageThresholdPct)) %")
        b += card("RE100 비율 share", fmt(district?.re100SharePct, 1, "%"), coverage: "\(count(\.re100SharePct)) of \(n) dongs with PV and load")
        b += card("감축 tCO2 avoided", fmt(district?.tco2eAvoided, 2, "tCO2"), coverage: "\(count(\.tco2eAvoided)) of \(n) dongs")
        b += card("데이터 Data coverage", fmt(district?.consumptionCoveragePct, 1, "%"),
                  coverage: "consumption, district; PV \(fmt(district?.generationCoveragePct, 1, "%"))")
        b += "</div>"
        b += try await mapSection(site: site, rows: dongRows, measure: measure, period: p)
        let bk: Buckets
        var labels: [String] = [], pv: [Double?] = [], load: [Double?] = []
        if p.scope == .day {
            let codes = dongRows.map(\.dongCode)
            let hourly = try await storage.readings.hourlyRollups(dongCodes: codes, from: p.start, to: p.end)
            for h in 0..<24 {
                let t = p.start + Int64(h) * 3600
                let rs = hourly.values.compactMap { $0.first { $0.hourStart == t } }
                labels.append(String(format: "%02d", h))
                pv.append(rs.isEmpty ? nil : Double(rs.reduce(0) { $0 + $1.generationWh }) / 1000)
                load.append(rs.isEmpty ? nil : Double(rs.reduce(0) { $0 + $1.consumptionWh }) / 1000)
            }
        } else {
            bk = buckets(rep, p, dong: nil)
            labels = bk.labels; pv = bk.rows.map { $0?.generationKWh }; load = bk.rows.map { $0?.consumptionKWh }
        }
        let per = p.scope == .day ? "hour (hour-beginning)" : (p.scope == .year ? "month" : "day")
        b += "<section><h2>구 전체 발전·소비 District PV and consumption per \(per) (kWh, KST)</h2>"
        b += legend([("#e8a317", "발전 PV"), ("#2f6db5", "소비 consumption")])
        b += seriesChart([(pv, "#e8a317"), (load, "#2f6db5")], labels: labels, id: "chart-district")
        b += "<p class=muted>gaps: buckets below \(Int(rep.coverageThresholdPct)) % metered coverage are left out, never drawn as 0.</p></section>"
        b += "<section><h2>동별 Per dong, \(esc(p.title))</h2><div class=\"scroll\"><table id=\"dongs\"><tr><th>동 dong</th><th class=n>PV kWh</th><th class=n>추정 est. kWh</th><th class=n>소비 kWh</th>"
        b += "<th class=n>RE100 %</th><th class=n>tCO2</th><th class=n>coverage %</th></tr>"
        for r in dongRows {
            b += "<tr><td><a href=\"/dong/\(esc(r.dongCode))?\(esc(p.query))\">\(esc(r.name))</a></td><td class=n>\(fmt(r.generationKWh, 0))</td>"
            b += "<td class=n>\(fmt(r.generationEstimatedKWh, 0))</td><td class=n>\(fmt(r.consumptionKWh, 0))</td><td class=n>\(fmt(r.re100SharePct, 1))</td>"
            b += "<td class=n>\(fmt(r.tco2eAvoided, 2))</td><td class=n>\(fmt(r.consumptionCoveragePct, 0))</td></tr>"
        }
        b += "</table></div><p class=muted>– : below \(Int(rep.coverageThresholdPct)) % coverage or not metered. "
        b += "<a href=\"/completeness?\(esc(p.query))\">데이터 현황 Data completeness</a> · <a href=\"/api/v1/report?period=\(esc(urlq(p.reportPeriod.label)))\">report JSON</a></p></section>"
        b += await shelterSection()
        b += try await scheduleSection(names: Dictionary(dongRows.map { ($0.dongCode, $0.name) }, uniquingKeysWith: { a, _ in a }))
        let spanText = try await storage.readings.rollupSpan().map {
            "data \(KSTDateTime(epochSeconds: $0.first).dateString) – \(KSTDateTime(epochSeconds: $0.last).dateString) KST"
        } ?? "no data yet"
        return page(title: Self.siteTitle(site?.site ?? settings.site, "가상발전소 VPP — 운영 대시보드"),
                    subtitle: "\(p.title) · \(spanText) · hour-beginning stamps, energies in kWh", body: b)
    }

    func seriesChart(_ series: [([Double?], String)], labels: [String], id: String, yMax: Double? = nil,
                     references: [ReferenceLine] = [], height: Int = 220) -> String {
        // A series with no value at all (e.g. no estimated PV) is left out, so it does not shade every bucket as a gap.
        let series = series.filter { $0.0.contains { $0 != nil } }
        guard !labels.isEmpty, !series.isEmpty || !references.isEmpty else { return "<p class=muted>no data in this period</p>" }
        var c = LineChart(width: 1120, height: height, insets: Insets(left: 60, right: 20, top: 10, bottom: 28),
                          shadeGaps: true, id: id, cssClass: "chart", namespace: true)
        c.yMax = yMax
        c.referenceLines = references
        return "<div class=\"chartbox\">" + c.svg(series.map { ChartSeries($0.0, color: $0.1) }, labels: labels) + "</div>"
    }

    // MARK: Map

    func mapSection(site: SiteConfig?, rows: [MetricsRow], measure: MapMeasure, period p: DashboardPeriod) async throws -> String {
        var b = "<section id=\"map-section\"><h2>지도 Map — \(esc(measure.title)), \(esc(p.title))</h2><p class=\"measures\">"
        for m in MapMeasure.allCases {
            b += m == measure ? "<b>\(esc(m.title))</b>" : "<a href=\"/dashboard?\(esc(p.query))&amp;measure=\(m.rawValue)\">\(esc(m.title))</a>"
        }
        b += "</p>"
        guard let site, let map = site.map else {
            return b + "<p class=muted>no map: the site config has no [map] geojson</p></section>"
        }
        let byCode = Dictionary(rows.map { ($0.dongCode, $0) }, uniquingKeysWith: { a, _ in a })
        var soc: [String: (pct: Double, at: Int64)] = [:]
        if measure == .soc { soc = try await socNow(site) }
        let unit: String, digits: Int
        switch measure {
        case .re100, .coverage, .soc: unit = "%"; digits = 1
        case .pv: unit = "kWh"; digits = 0
        case .tco2: unit = "tCO2"; digits = 2
        }
        var areas: [ChoroplethMap.Area] = []
        for a in map.areas {
            guard let d = site.dong(code: a.dongCode) else { continue }
            let r = byCode[a.dongCode]
            let v: Double?
            var note = ""
            switch measure {
            case .re100: v = r?.re100SharePct
            case .pv: v = r?.generationKWh
            case .tco2: v = r?.tco2eAvoided
            case .coverage: v = r?.consumptionCoveragePct
            case .soc:
                v = soc[a.dongCode]?.pct
                note = soc[a.dongCode].map { " (telemetry \(KSTDateTime(epochSeconds: $0.at)) KST)" } ?? (d.batteries.isEmpty ? " (no battery)" : "")
            }
            let title = "\(d.nameKo) \(d.name): " + (v.map { fmtNum($0, digits) + " " + unit } ?? "no data") + note
            areas.append(.init(id: a.dongCode, polygons: a.polygons, value: v, title: title, label: d.nameKo,
                               href: "/dong/\(a.dongCode)?\(p.query)"))
        }
        let chart = ChoroplethMap(width: 640, height: 520)
        let (svg, lo, hi) = chart.svg(areas, label: "\(measure.title) by dong")
        b += "<div class=\"mapwrap\"><div class=\"mapbox\">" + svg + "</div><div class=\"maplegend\"><h3>\(esc(measure.title))</h3>"
        let k = chart.ramp.count
        for i in 0..<k {
            let a = lo + (hi - lo) * Double(i) / Double(k), z = lo + (hi - lo) * Double(i + 1) / Double(k)
            b += "<div><i class=\"sw\" style=\"background:\(chart.ramp[i])\"></i>\(esc(fmtNum(a, digits))) – \(esc(fmtNum(z, digits))) \(esc(unit))</div>"
        }
        b += "<div><i class=\"sw hatch\"></i>자료 없음 no data</div>"
        b += "<p class=muted>\(areas.filter { $0.value != nil }.count) of \(areas.count) dongs with a value. Click a dong for its page; hover for its value.</p>"
        b += "<p class=muted>Equirectangular projection scaled by cos(mean latitude). \(esc(map.attribution))</p></div></div></section>"
        return b
    }

    /// Each dong's newest battery SoC as % of its usable capacity (capacity-weighted over its
    /// batteries with telemetry) and the oldest of their times.
    func socNow(_ site: SiteConfig) async throws -> [String: (pct: Double, at: Int64)] {
        guard let t = try? storage.telemetryStore() else { return [:] }
        let latest = try await t.latestTelemetry(at: storage.clock.now(), notBefore: nil)
        var out: [String: (pct: Double, at: Int64)] = [:]
        for d in site.dongs {
            var wh = 0.0, cap = 0.0, at = Int64.max
            for bat in d.batteries { if let s = latest[bat.id] { wh += Double(s.socWh); cap += bat.capacityKWh * 1000; at = min(at, s.measuredAt) } }
            if cap > 0 { out[d.code] = (wh / cap * 100, at) }
        }
        return out
    }
}
