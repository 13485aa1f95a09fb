import VPPCore
import VPPStore
import VPPCharts
/// The self-contained HTML tracking report: inline CSS and SVG only (no scripts, no web
/// fonts, no external requests). Charts: progress bars to each target, RE100 share by dong,
/// daily generation vs consumption per dong (gaps break the lines), battery SoC over the
/// period; the numbers behind every chart follow it in a table. Korean text is UTF-8 and uses
/// the system's CJK fonts (Noto Sans CJK KR on Debian: `fonts-noto-cjk`).
public struct TrackingHTMLReport: Sendable {
    public let report: TrackingReport
    /// Cooling-shelter status for the resilience section (issue 17); empty: no shelter block.
    public var shelters: [ShelterStatus] = []
    public init(_ report: TrackingReport) { self.report = report }

    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                          "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39"]

    public func render() -> String {
        let r = report
        var h = ""
        h.reserveCapacity(256 * 1024)
        h += """
            <!DOCTYPE html>
            <html lang="ko"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(esc(r.siteNameKo)) 가상발전소 추적 보고서 \(esc(r.period.label))</title>
            <style>
            body{font-family:"Noto Sans CJK KR","Noto Sans KR","Apple SD Gothic Neo","Malgun Gothic",sans-serif;margin:24px;color:#222;max-width:1240px}
            h1{font-size:24px;margin:0 0 6px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ccc;padding-bottom:4px}
            .meta{color:#555;font-size:13px;margin:2px 0} table{border-collapse:collapse;font-size:12px;margin:8px 0}
            th,td{border:1px solid #ddd;padding:3px 6px} td{white-space:nowrap} td.wrap{white-space:normal;min-width:360px} td.n{text-align:right;font-variant-numeric:tabular-nums}
            th{background:#f3f3f3} td.gap{color:#999;font-style:italic;text-align:center} tr.total td{font-weight:bold;background:#fafafa}
            .grid{display:grid;grid-template-columns:1fr 1fr;gap:6px 18px} svg text{font-family:inherit}
            details{margin:6px 0} summary{cursor:pointer;color:#335}
            .legend span{display:inline-block;margin-right:12px;font-size:12px} .sw{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
            </style></head><body>

            """
        h += "<h1>\(esc(r.siteNameKo)) 가상발전소 재생에너지·탄소 추적 보고서</h1>\n"
        h += "<p class=\"meta\">\(esc(r.siteName)) district virtual power plant — tracking report · 기간 period <b>\(esc(r.period.label))</b> (KST, \(r.period.days) days) · 범위 scope <b>\(esc(r.scopeNameKo))</b> · generated \(esc(KSTDateTime(epochSeconds: r.generatedAt).description)) KST</p>\n"
        for f in r.factorsUsed {
            h += "<p class=\"meta\">배출계수 emission factor used: <b>\(esc(f.sentence))</b>; source: \(esc(f.source))</p>\n"
        }
        h += "<p class=\"meta\">데이터 공백 gaps: coverage below \(fmtNum(r.coverageThresholdPct, 0)) % is shown as a gap (hatched / broken line / “—”), never as 0.</p>\n"
        targetsSection(&h)
        re100Section(&h)
        resilienceSection(&h)
        dailySection(&h)
        socSection(&h)
        participantsSection(&h)
        forecastAccuracySection(&h)
        countingSection(&h)
        h += "<h2>정의 Definitions</h2><ul>\n"
        for d in r.definitions { h += "<li>\(esc(d))</li>\n" }
        h += "<li>tCO2 run-rate: \(esc(r.runRate.explanation))</li>\n</ul>\n</body></html>\n"
        return h
    }

    // MARK: Targets

    func targetsSection(_ h: inout String) {
        let r = report
        h += "<h2>목표 대비 진척 Progress to the district’s share of the city targets</h2>\n"
        let rowH = 46, barX = 330.0, barW = 540.0
        var svg = SVG(width: 1180, height: rowH * r.targets.count + 10, id: "chart-targets", label: "progress to targets")
        for (i, t) in r.targets.enumerated() {
            let y = Double(i * rowH + 8)
            let pct = t.progressPct
            svg.text("\(targetLabelKo(t.key)) \(t.label)", x: 0, y: y + 20, size: 14)
            svg.rect(x: barX, y: y + 4, width: barW, height: 24, fill: "#eee", stroke: "#bbb")
            if pct != nil { svg.rect(x: barX, y: y + 4, width: (barW * min(100, max(0, pct ?? 0)) / 100).rounded(.down), height: 24, fill: "#2ca02c") }
            let text = (t.actual.map { fmtGroup($0, t.unit == "households" ? 0 : 1) } ?? "n/a") + " / " + fmtGroup(t.target, t.unit == "households" ? 0 : 1)
                + " \(t.unit) = " + (pct.map { fmtNum($0, 1) + " %" } ?? "n/a")
            svg.text(text, x: barX + barW + 8, y: y + 21, size: 13)
            svg.newline()
        }
        h += svg.finished()
        h += "<table><tr><th>target</th><th>actual</th><th>target (district share)</th><th>unit</th><th>progress %</th><th>basis</th></tr>\n"
        for t in r.targets {
            h += "<tr><td>\(esc(targetLabelKo(t.key))) \(esc(t.label))</td>\(num(t.actual, t.unit == "households" ? 0 : 3))\(num(t.target, t.unit == "households" ? 0 : 1))<td>\(esc(t.unit))</td>\(num(t.progressPct, 2))<td class=\"wrap\">\(esc(t.note))</td></tr>\n"
        }
        h += "</table>\n<p class=\"meta\">tCO2 run-rate method: \(esc(r.runRate.explanation))</p>\n"
        if r.dongs.count > 1 {
            h += "<details><summary>Each dong’s progress to its part of the district share (by households)</summary><table><tr><th>dong</th><th>PV kWp</th><th>PV %</th><th>mini-solar households</th><th>mini-solar %</th><th>tCO2e/yr run-rate</th><th>tCO2 %</th></tr>\n"
            for d in r.dongs {
                let ts = r.dongTargets[d.code] ?? []
                guard ts.count == 3 else { continue }
                h += "<tr><td>\(esc(d.nameKo)) \(d.code)</td>\(num(ts[0].actual, 1))\(num(ts[0].progressPct, 2))\(num(ts[1].actual, 0))\(num(ts[1].progressPct, 2))\(num(ts[2].actual, 3))\(num(ts[2].progressPct, 2))</tr>\n"
            }
            h += "</table></details>\n"
        }
    }

    func targetLabelKo(_ key: String) -> String {
        switch key {
        case "pv_kwp": return "태양광 설비용량"
        case "mini_solar_households": return "미니태양광 가구"
        default: return "온실가스 감축"
        }
    }

    // MARK: RE100

    func re100Section(_ h: inout String) {
        let r = report
        let dongRows = r.summary.filter { $0.level == .dong }
        h += "<h2>동별 RE100 비율 RE100 share by dong (renewable kWh / consumption kWh)</h2>\n"
        let rowH = 24, labelW = 150, barW = 820
        let all = dongRows + r.summary.filter { $0.level == .district }
        let height = all.count * rowH + 30
        var svg = SVG(width: 1180, height: height, id: "chart-re100", label: "RE100 share by dong")
        svg.hatchPattern(id: "hatch")
        svg.newline()
        for p in stride(from: 0, through: 100, by: 25) {
            let x = Double(labelW + barW * p / 100)
            svg.line(x1: x, y1: 0, x2: x, y2: Double(all.count * rowH), stroke: "#ddd")
            svg.text("\(p) %", x: x, y: Double(all.count * rowH + 16), size: 11, anchor: .middle)
            svg.newline()
        }
        for (i, m) in all.enumerated() {
            let y = Double(i * rowH)
            svg.text(m.name, x: Double(labelW - 8), y: y + 16, size: 13, anchor: .end, bold: m.level == .district)
            if let s = m.re100SharePct {
                let w = Double(Int(Double(barW) * min(100, max(0, s)) / 100))
                svg.rect(x: Double(labelW), y: y + 4, width: w, height: 16, fill: m.level == .district ? "#2ca02c" : "#4c9f70")
                svg.text("\(fmtNum(s, 1)) %", x: Double(labelW) + w + 6, y: y + 16, size: 12)
            } else {
                let cov = min(m.generationCoveragePct ?? 0, m.consumptionCoveragePct ?? 0)
                svg.rect(x: Double(labelW), y: y + 4, width: Double(barW), height: 16, fill: "url(#hatch)", stroke: "#ccc")
                svg.text("gap — coverage \(fmtNum(cov, 1)) % (데이터 부족)", x: Double(labelW + 10), y: y + 16, size: 12, fill: "#666")
            }
            svg.newline()
        }
        h += svg.finished()
        h += "<table id=\"table-summary\"><tr><th>dong</th><th>name</th><th>PV gen kWh</th><th>consumption kWh</th><th>direct PV kWh</th><th>PV via storage kWh</th><th>self-consumed PV kWh</th><th>charged kWh</th><th>discharged kWh</th><th>storage loss kWh</th><th>import kWh</th><th>export kWh</th><th>RE100 %</th><th>tCO2e avoided</th><th>factor tCO2eq/MWh</th><th>gen coverage %</th><th>cons coverage %</th></tr>\n"
        for m in all {
            h += "<tr\(m.level == .district ? " class=\"total\"" : "")><td>\(esc(m.level == .district ? "total" : m.dongCode))</td><td>\(esc(m.name))</td>"
            h += num(m.generationKWh, 1) + num(m.consumptionKWh, 1) + num(m.directPVKWh, 1) + num(m.pvViaStorageKWh, 1)
            h += num(m.selfConsumedPVKWh, 1) + num(m.chargedKWh, 1) + num(m.dischargedKWh, 1) + num(m.storageLossKWh, 1)
            h += num(m.importKWh, 1) + num(m.exportKWh, 1) + num(m.re100SharePct, 2) + num(m.tco2eAvoided, 3)
            h += num(m.emissionFactor, 4) + num(m.generationCoveragePct, 1) + num(m.consumptionCoveragePct, 1) + "</tr>\n"
        }
        h += "</table>\n"
    }

    // MARK: Daily generation vs consumption

    func dailySection(_ h: inout String) {
        let r = report
        h += "<h2>일별 발전량 vs 소비량 Daily PV generation vs consumption per dong (kWh)</h2>\n"
        h += "<p class=\"legend\"><span><i class=\"sw\" style=\"background:#f0a020\"></i>PV generation 발전량</span><span><i class=\"sw\" style=\"background:#1f77b4\"></i>consumption 소비량</span><span><i class=\"sw\" style=\"background:#eee;border:1px solid #ccc\"></i>gap 공백 (coverage below threshold)</span></p>\n<div class=\"grid\">\n"
        var byDong: [String: [MetricsRow]] = [:]
        for m in r.daily where m.level == .dong { byDong[m.dongCode, default: []].append(m) }
        for d in r.dongs {
            let rows = byDong[d.code] ?? []
            h += smallMultiple(title: "\(d.nameKo) \(d.name)", rows: rows)
        }
        if r.dongs.count > 1 {
            h += smallMultiple(title: "\(r.scopeNameKo) 합계 total", rows: r.daily.filter { $0.level == .district })
        }
        h += "</div>\n<details><summary>Numbers behind the daily charts (kWh per dong and day)</summary>\n<table id=\"table-daily\"><tr><th>date</th><th>dong</th><th>name</th><th>PV gen kWh</th><th>consumption kWh</th><th>self-consumed kWh</th><th>RE100 %</th><th>tCO2e</th><th>gen coverage %</th><th>cons coverage %</th></tr>\n"
        for m in r.daily {
            h += "<tr><td>\(m.bucket)</td><td>\(m.level == .district ? "total" : m.dongCode)</td><td>\(esc(m.name))</td>"
            h += num(m.generationKWh, 1) + num(m.consumptionKWh, 1) + num(m.selfConsumedPVKWh, 1) + num(m.re100SharePct, 2)
            h += num(m.tco2eAvoided, 4) + num(m.generationCoveragePct, 1) + num(m.consumptionCoveragePct, 1) + "</tr>\n"
        }
        h += "</table></details>\n"
    }

    func smallMultiple(title: String, rows: [MetricsRow]) -> String {
        LineChart(width: 590, height: 150, insets: Insets(left: 52, right: 8, top: 22, bottom: 20),
                  yAxis: .frame(label: { fmtGroup($0, 0) }), xLabels: .ends, style: .report, title: title, shadeGaps: true,
                  cssClass: "daily", label: title)
            .svg([ChartSeries(rows.map(\.generationKWh), color: "#f0a020"), ChartSeries(rows.map(\.consumptionKWh), color: "#1f77b4")],
                 labels: rows.map(\.bucket))
    }

    /// A polyline that breaks at nil values; isolated points become dots.
    func line(_ values: [Double?], color: String, x: (Int) -> Double, y: (Double) -> Double) -> String {
        let p = ChartScale.gappedPath(values, x: x, y: y)
        var s = p.d.isEmpty ? "" : "<path d=\"\(p.d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\"/>"
        for dot in p.dots { s += "<circle cx=\"\(f1(dot.x))\" cy=\"\(f1(dot.y))\" r=\"2\" fill=\"\(color)\"/>" }
        return s + "\n"
    }

    // MARK: SoC

    func socSection(_ h: inout String) {
        let r = report
        let soc = r.soc
        h += "<h2>배터리 충전상태 Battery state of charge (% of capacity, \(soc.resolution == "day" ? "daily mean" : "hourly"))</h2>\n"
        h += "<p class=\"meta\">\(esc(soc.explanation))</p>\n"
        guard !soc.dongs.isEmpty, soc.dongs.contains(where: { !$0.points.isEmpty }) else {
            h += "<p class=\"meta\">No state-of-charge data for the period (gap).</p>\n"
            return
        }
        let w = 1180, hgt = 300, left = 50.0, right = 10.0, top = 10.0, bottom = 24.0
        let pw = Double(w) - left - right, ph = Double(hgt) - top - bottom
        let t0 = Double(r.period.start), t1 = Double(r.period.end)
        func x(_ t: Int64) -> Double { left + pw * (Double(t) - t0) / (t1 - t0) }
        func y(_ v: Double) -> Double { top + ph * (1 - v / 100) }
        var svg = SVG(width: w, height: hgt, id: "chart-soc", label: "battery state of charge")
        let style = ChartStyle.report
        for p in stride(from: 0, through: 100, by: 25) {
            svg.line(x1: left, y1: y(Double(p)), x2: left + pw, y2: y(Double(p)), stroke: style.grid)
            svg.text("\(p) %", x: left - 4, y: y(Double(p)) + 4, size: style.fontSize, anchor: .end)
            svg.newline()
        }
        svg.text(r.period.startKST.dateString, x: left, y: Double(hgt) - 6, size: style.fontSize)
        svg.text(r.period.lastDayKST.dateString, x: left + pw, y: Double(hgt) - 6, size: style.fontSize, anchor: .end)
        svg.newline()
        let step: Int64 = soc.resolution == "day" ? 86_400 : 3600
        for (k, s) in soc.dongs.enumerated() {
            var d = ""
            var prev: Int64? = nil
            for p in s.points {
                let jump = prev.map { p.t - $0 > step } ?? true
                d += (jump ? "M" : "L") + SVG.num(x(p.t)) + "," + SVG.num(y(p.pct))
                prev = p.t
            }
            svg.path(d, stroke: Self.palette[k % Self.palette.count], width: 1.2)
            svg.newline()
        }
        h += svg.finished()
        h += "<p class=\"legend\">"
        for (k, s) in soc.dongs.enumerated() {
            h += "<span><i class=\"sw\" style=\"background:\(Self.palette[k % Self.palette.count])\"></i>\(esc(s.nameKo))</span>"
        }
        h += "</p>\n<details><summary>Numbers behind the SoC chart (daily min / mean / max % per dong)</summary>\n<table id=\"table-soc\"><tr><th>dong</th><th>date</th><th>min %</th><th>mean %</th><th>max %</th></tr>\n"
        for s in soc.dongs {
            var i = 0
            while i < s.points.count {
                let day = KSTDateTime(epochSeconds: s.points[i].t).dateString
                var j = i, mn = Double.infinity, mx = -Double.infinity, sum = 0.0
                while j < s.points.count, KSTDateTime(epochSeconds: s.points[j].t).dateString == day {
                    mn = min(mn, s.points[j].pct); mx = max(mx, s.points[j].pct); sum += s.points[j].pct; j += 1
                }
                h += "<tr><td>\(esc(s.nameKo))</td><td>\(day)</td>\(num(mn, 1))\(num(sum / Double(j - i), 1))\(num(mx, 1))</tr>\n"
                i = j
            }
        }
        h += "</table></details>\n"
    }

    // MARK: Participants

    func participantsSection(_ h: inout String) {
        let r = report
        guard !r.participants.isEmpty else { return }
        h += "<h2>참여 단지 Participants (apartment complexes / meter groups)</h2>\n"
        h += "<table id=\"table-participants\"><tr><th>dong</th><th>participant</th><th>meter</th><th>consumption kWh</th><th>renewable kWh (dong RE100 share)</th><th>RE100 %</th><th>tCO2e</th><th>coverage %</th></tr>\n"
        for m in r.participants {
            h += "<tr><td>\(m.dongCode)</td><td>\(esc(m.name))</td><td>\(esc(m.participantID))</td>"
            h += num(m.consumptionKWh, 1) + num(m.renewableKWh, 1) + num(m.re100SharePct, 2) + num(m.tco2eAvoided, 3)
            h += num(m.consumptionCoveragePct, 1) + "</tr>\n"
        }
        h += "</table>\n"
    }

    // MARK: helpers

    func num(_ v: Double?, _ digits: Int) -> String {
        guard let v else { return "<td class=\"gap\">—</td>" }
        return "<td class=\"n\">\(fmtGroup(v, digits))</td>"
    }
}

/// One decimal, for SVG coordinates.
func f1(_ v: Double) -> String { fmtNum(v, 1) }

/// Fixed decimals with thousands separators (1,234.5).
func fmtGroup(_ v: Double, _ digits: Int) -> String { fmtNum(v, digits, grouped: true) }

