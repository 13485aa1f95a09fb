import VPPCore
import VPPStore
/// The self-contained HTML tracking report: inline CSS and SVG only (no scripts, no web
/// fonts, no external requests). Charts: progress bars to each target, RE100 share by dong,
/// daily generation vs consumption per dong (gaps break the lines), battery SoC over the
/// period; the numbers behind every chart follow it in a table. Korean text is UTF-8 and uses
/// the system's CJK fonts (Noto Sans CJK KR on Debian: `fonts-noto-cjk`).
public struct TrackingHTMLReport: Sendable {
    public let report: TrackingReport
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
        dailySection(&h)
        socSection(&h)
        participantsSection(&h)
        h += "<h2>정의 Definitions</h2><ul>\n"
        for d in r.definitions { h += "<li>\(esc(d))</li>\n" }
        h += "<li>tCO2 run-rate: \(esc(r.runRate.explanation))</li>\n</ul>\n</body></html>\n"
        return h
    }

    // MARK: Targets

    func targetsSection(_ h: inout String) {
        let r = report
        h += "<h2>목표 대비 진척 Progress to the district’s share of the city targets</h2>\n"
        let w = 1180, rowH = 46
        h += "<svg id=\"chart-targets\" width=\"\(w)\" height=\"\(rowH * r.targets.count + 10)\" viewBox=\"0 0 \(w) \(rowH * r.targets.count + 10)\" role=\"img\" aria-label=\"progress to targets\">\n"
        let barX = 330, barW = 540
        for (i, t) in r.targets.enumerated() {
            let y = i * rowH + 8
            let pct = t.progressPct
            let fillW = Int(Double(barW) * min(100, max(0, pct ?? 0)) / 100)
            h += "<text x=\"0\" y=\"\(y + 20)\" font-size=\"14\">\(esc(targetLabelKo(t.key))) \(esc(t.label))</text>\n"
            h += "<rect x=\"\(barX)\" y=\"\(y + 4)\" width=\"\(barW)\" height=\"24\" fill=\"#eee\" stroke=\"#bbb\"/>\n"
            if pct != nil { h += "<rect x=\"\(barX)\" y=\"\(y + 4)\" width=\"\(fillW)\" height=\"24\" fill=\"#2ca02c\"/>\n" }
            let text = (t.actual.map { fmtGroup($0, t.unit == "households" ? 0 : 1) } ?? "n/a") + " / " + fmtGroup(t.target, t.unit == "households" ? 0 : 1)
                + " \(t.unit) = " + (pct.map { fmtNum($0, 1) + " %" } ?? "n/a")
            h += "<text x=\"\(barX + barW + 8)\" y=\"\(y + 21)\" font-size=\"13\">\(esc(text))</text>\n"
        }
        h += "</svg>\n<table><tr><th>target</th><th>actual</th><th>target (district share)</th><th>unit</th><th>progress %</th><th>basis</th></tr>\n"
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
        h += "<svg id=\"chart-re100\" width=\"1180\" height=\"\(height)\" viewBox=\"0 0 1180 \(height)\" role=\"img\" aria-label=\"RE100 share by dong\">\n"
        h += "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#f4f4f4\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#bbb\" stroke-width=\"2\"/></pattern></defs>\n"
        for p in stride(from: 0, through: 100, by: 25) {
            let x = labelW + barW * p / 100
            h += "<line x1=\"\(x)\" y1=\"0\" x2=\"\(x)\" y2=\"\(all.count * rowH)\" stroke=\"#ddd\"/><text x=\"\(x)\" y=\"\(all.count * rowH + 16)\" font-size=\"11\" text-anchor=\"middle\">\(p) %</text>\n"
        }
        for (i, m) in all.enumerated() {
            let y = i * rowH
            let bold = m.level == .district ? " font-weight=\"bold\"" : ""
            h += "<text x=\"\(labelW - 8)\" y=\"\(y + 16)\" font-size=\"13\" text-anchor=\"end\"\(bold)>\(esc(m.name))</text>\n"
            if let s = m.re100SharePct {
                let w = Int(Double(barW) * min(100, max(0, s)) / 100)
                h += "<rect x=\"\(labelW)\" y=\"\(y + 4)\" width=\"\(w)\" height=\"16\" fill=\"\(m.level == .district ? "#2ca02c" : "#4c9f70")\"/>"
                h += "<text x=\"\(labelW + w + 6)\" y=\"\(y + 16)\" font-size=\"12\">\(fmtNum(s, 1)) %</text>\n"
            } else {
                let cov = min(m.generationCoveragePct ?? 0, m.consumptionCoveragePct ?? 0)
                h += "<rect x=\"\(labelW)\" y=\"\(y + 4)\" width=\"\(barW)\" height=\"16\" fill=\"url(#hatch)\" stroke=\"#ccc\"/>"
                h += "<text x=\"\(labelW + 10)\" y=\"\(y + 16)\" font-size=\"12\" fill=\"#666\">gap — coverage \(fmtNum(cov, 1)) % (데이터 부족)</text>\n"
            }
        }
        h += "</svg>\n"
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
        let w = 590, hgt = 150, left = 52, right = 8, top = 22, bottom = 20
        let pw = w - left - right, ph = hgt - top - bottom
        let n = max(1, rows.count)
        var maxV = 0.0
        for m in rows { maxV = max(maxV, m.generationKWh ?? 0, m.consumptionKWh ?? 0) }
        if maxV <= 0 { maxV = 1 }
        func x(_ i: Int) -> Double { Double(left) + (n == 1 ? Double(pw) / 2 : Double(pw) * Double(i) / Double(n - 1)) }
        func y(_ v: Double) -> Double { Double(top) + Double(ph) * (1 - v / maxV) }
        var s = "<svg class=\"daily\" width=\"\(w)\" height=\"\(hgt)\" viewBox=\"0 0 \(w) \(hgt)\" role=\"img\" aria-label=\"\(esc(title))\">\n"
        s += "<text x=\"\(left)\" y=\"14\" font-size=\"13\" font-weight=\"bold\">\(esc(title))</text>\n"
        // Gap days shaded.
        let dx = n > 1 ? Double(pw) / Double(n - 1) : Double(pw)
        for (i, m) in rows.enumerated() where m.generationKWh == nil || m.consumptionKWh == nil {
            s += "<rect x=\"\(f1(x(i) - dx / 2))\" y=\"\(top)\" width=\"\(f1(dx))\" height=\"\(ph)\" fill=\"#eee\"/>"
        }
        s += "<line x1=\"\(left)\" y1=\"\(top + ph)\" x2=\"\(left + pw)\" y2=\"\(top + ph)\" stroke=\"#999\"/>"
        s += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + ph)\" stroke=\"#999\"/>\n"
        s += "<text x=\"\(left - 4)\" y=\"\(top + 4)\" font-size=\"10\" text-anchor=\"end\">\(fmtGroup(maxV, 0))</text>"
        s += "<text x=\"\(left - 4)\" y=\"\(top + ph)\" font-size=\"10\" text-anchor=\"end\">0</text>\n"
        if let first = rows.first, let last = rows.last {
            s += "<text x=\"\(left)\" y=\"\(hgt - 4)\" font-size=\"10\">\(first.bucket)</text>"
            s += "<text x=\"\(left + pw)\" y=\"\(hgt - 4)\" font-size=\"10\" text-anchor=\"end\">\(last.bucket)</text>\n"
        }
        s += line(rows.map(\.generationKWh), color: "#f0a020", x: x, y: y)
        s += line(rows.map(\.consumptionKWh), color: "#1f77b4", x: x, y: y)
        return s + "</svg>\n"
    }

    /// A polyline that breaks at nil values; isolated points become dots.
    func line(_ values: [Double?], color: String, x: (Int) -> Double, y: (Double) -> Double) -> String {
        var d = "", dots = ""
        var i = 0
        while i < values.count {
            guard values[i] != nil else { i += 1; continue }
            var j = i
            while j < values.count, values[j] != nil { j += 1 }
            if j - i == 1 {
                dots += "<circle cx=\"\(f1(x(i)))\" cy=\"\(f1(y(values[i]!)))\" r=\"2\" fill=\"\(color)\"/>"
            } else {
                for k in i..<j { d += (k == i ? "M" : "L") + f1(x(k)) + "," + f1(y(values[k]!)) }
            }
            i = j
        }
        var s = d.isEmpty ? "" : "<path d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\"/>"
        s += dots
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
        let w = 1180, hgt = 300, left = 50, right = 10, top = 10, bottom = 24
        let pw = w - left - right, ph = hgt - top - bottom
        let t0 = Double(r.period.start), t1 = Double(r.period.end)
        func x(_ t: Int64) -> Double { Double(left) + Double(pw) * (Double(t) - t0) / (t1 - t0) }
        func y(_ v: Double) -> Double { Double(top) + Double(ph) * (1 - v / 100) }
        h += "<svg id=\"chart-soc\" width=\"\(w)\" height=\"\(hgt)\" viewBox=\"0 0 \(w) \(hgt)\" role=\"img\" aria-label=\"battery state of charge\">\n"
        for p in stride(from: 0, through: 100, by: 25) {
            h += "<line x1=\"\(left)\" y1=\"\(f1(y(Double(p))))\" x2=\"\(left + pw)\" y2=\"\(f1(y(Double(p))))\" stroke=\"#e5e5e5\"/><text x=\"\(left - 4)\" y=\"\(f1(y(Double(p)) + 4))\" font-size=\"10\" text-anchor=\"end\">\(p) %</text>\n"
        }
        h += "<text x=\"\(left)\" y=\"\(hgt - 6)\" font-size=\"10\">\(r.period.startKST.dateString)</text><text x=\"\(left + pw)\" y=\"\(hgt - 6)\" font-size=\"10\" text-anchor=\"end\">\(r.period.lastDayKST.dateString)</text>\n"
        let step: Int64 = soc.resolution == "day" ? 86_400 : 3600
        for (k, s) in soc.dongs.enumerated() {
            var d = ""
            var prev: Int64? = nil
            for p in s.points {
                let jump = prev.map { p.t - $0 > step } ?? true
                d += (jump ? "M" : "L") + f1(x(p.t)) + "," + f1(y(p.pct))
                prev = p.t
            }
            h += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(Self.palette[k % Self.palette.count])\" stroke-width=\"1.2\"/>\n"
        }
        h += "</svg>\n<p class=\"legend\">"
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

