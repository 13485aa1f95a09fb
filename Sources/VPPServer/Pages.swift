import Tracking
import Ingestion
import VPPAuth
import Foundation
import VPPCore
import VPPStore
import VPPCharts

/// Server-rendered pages: the operator dashboard (inline SVG, no scripts) and the plain upload
/// form for apartment offices. Everything is escaped; the CSP forbids scripts outright.
struct Pages: Sendable {
    let storage: Storage
    let settings: ServerSettings
    let readAPI: ReadAPI

    struct Message: Sendable { var ok: Bool; var text: String }

    static let style = """
        body{font-family:'Noto Sans CJK KR','Noto Sans KR',sans-serif;margin:0;background:#f5f6f8;color:#1d2430}
        header{background:#17324d;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
        header p{margin:4px 0 0;font-size:13px;color:#c9d6e3}main{padding:16px 24px;max-width:1180px}
        section{background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:12px 16px;margin:0 0 16px}
        h2{font-size:16px;margin:0 0 8px}table{border-collapse:collapse;font-size:13px;width:100%}
        th,td{padding:4px 8px;border-bottom:1px solid #e6e9ee;text-align:left}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
        .cards{display:flex;gap:12px;flex-wrap:wrap}.card{flex:1;min-width:160px;background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:10px 14px}
        .card b{display:block;font-size:22px}.card span{font-size:12px;color:#5b6675}.muted{color:#6b7685;font-size:12px}
        .legend span{display:inline-block;margin-right:14px;font-size:12px}.sw{display:inline-block;width:10px;height:10px;margin-right:4px}
        form label{display:block;margin:10px 0 4px;font-weight:600;font-size:14px}input,select{font-size:14px;padding:6px;width:100%;max-width:460px;box-sizing:border-box}
        button{display:block;margin-top:14px;font-size:15px;padding:8px 18px;background:#17324d;color:#fff;border:0;border-radius:4px}
        .ok{background:#e5f4ea;border-color:#9fd3ae}.bad{background:#fbe9e9;border-color:#e3a5a5}nav a{color:#fff;margin-right:14px;font-size:13px}
        """

    /// A page title led by the loaded site's Korean name ("서대문구 가상발전소 …"); without a
    /// loaded site, just the rest.
    static func siteTitle(_ site: SiteInfo?, _ rest: String) -> String {
        guard let name = site?.nameKo, !name.isEmpty else { return rest }
        return name + " " + rest
    }

    func page(title: String, subtitle: String, body: String) -> String {
        """
        <!doctype html><html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(title))</title><style>\(Self.style)</style></head><body>
        <header><h1>\(esc(title))</h1><p>\(esc(subtitle))</p><nav><a href="/dashboard">대시보드 Dashboard</a><a href="/upload">업로드 Upload</a><a href="/api/v1/openapi.json">API</a></nav></header>
        <main>\(body)</main></body></html>
        """
    }

    // MARK: Dashboard

    func dashboard(periodText: String?) async throws -> String {
        let span = try await storage.readings.rollupSpan()
        let period: APIPeriod
        if let t = periodText, !t.isEmpty {
            guard let p = APIPeriod.parse(t) else { throw APIError.badRequest("period: use YYYY, YYYY-MM or YYYY-MM-DD", code: "bad_period") }
            period = p
        } else if let span {
            period = APIPeriod.year(containing: span.last)
        } else {
            period = APIPeriod.year(containing: storage.clock.now())
        }
        let dongs = try await storage.sites.siteSummary()
        let names = Dictionary(dongs.map { ($0.code, $0.nameKo) }, uniquingKeysWith: { a, _ in a })
        let totals = try await storage.readings.dongPeriodTotals(from: period.start, to: period.end)
        let daily = try await storage.readings.districtDaily(from: period.start, to: period.end)
        let gen = totals.reduce(0) { $0 + $1.generationWh }, cons = totals.reduce(0) { $0 + $1.consumptionWh }
        let uploads = (try? await storage.uploads.uploads(limit: 8)) ?? []
        var b = ""
        b += "<div class=\"cards\">"
        b += card("발전 PV generation", kwh(gen) + " kWh")
        b += card("소비 Consumption", kwh(cons) + " kWh")
        b += card("PV 비율 PV share", cons > 0 ? String(format: "%.1f %%", Double(gen) / Double(cons) * 100) : "–")
        b += card("동 Dongs", "\(dongs.count)")
        b += "</div>"
        b += try await scheduleSection(names: names)
        b += await shelterSection()
        b += try await forecastSection()
        b += await forecastAccuracySection()
        b += "<section><h2>일별 발전·소비 Daily generation and consumption (district, kWh, KST days)</h2>"
        b += legend([("#e8a317", "발전 generation"), ("#2f6db5", "소비 consumption")])
        b += lineChart(series: [(daily.map { Double($0.generationWh) / 1000 }, "#e8a317"), (daily.map { Double($0.consumptionWh) / 1000 }, "#2f6db5")],
                       labels: daily.map { KSTDateTime(epochSeconds: $0.dayStart).dateString }, width: 1120, height: 240)
        b += "</section>"
        b += "<section><h2>동별 발전·소비 Per dong, \(esc(period.label)) (kWh)</h2>"
        b += legend([("#e8a317", "발전 generation"), ("#2f6db5", "소비 consumption")])
        b += barChart(groups: totals.map { (names[$0.dongCode] ?? $0.dongCode, [Double($0.generationWh) / 1000, Double($0.consumptionWh) / 1000]) },
                      colors: ["#e8a317", "#2f6db5"], width: 1120, height: 260)
        b += "<table><tr><th>코드 code</th><th>동 dong</th><th class=n>발전 kWh</th><th class=n>소비 kWh</th><th class=n>충전 kWh</th><th class=n>방전 kWh</th><th class=n>PV %</th><th class=n>hours</th></tr>"
        for t in totals {
            let share = t.consumptionWh > 0 ? String(format: "%.1f", Double(t.generationWh) / Double(t.consumptionWh) * 100) : "–"
            b += "<tr><td>\(esc(t.dongCode))</td><td>\(esc(names[t.dongCode] ?? ""))</td><td class=n>\(kwh(t.generationWh))</td><td class=n>\(kwh(t.consumptionWh))</td>"
            b += "<td class=n>\(kwh(t.chargeWh))</td><td class=n>\(kwh(t.dischargeWh))</td><td class=n>\(share)</td><td class=n>\(t.hours)</td></tr>"
        }
        b += "</table></section>"
        b += "<section><h2>최근 업로드 Recent uploads</h2><table><tr><th class=n>id</th><th>file</th><th>source</th><th>kind</th><th>received (KST)</th><th class=n>ok</th><th class=n>rejected</th><th>status</th></tr>"
        for u in uploads {
            b += "<tr><td class=n>\(u.id)</td><td>\(esc(u.fileName))</td><td>\(esc(u.source))</td><td>\(esc(u.kind))</td><td>\(KSTDateTime(epochSeconds: u.receivedAt))</td>"
            b += "<td class=n>\(u.rowsOK)</td><td class=n>\(u.rowsRejected)</td><td>\(esc(u.status))</td></tr>"
        }
        if uploads.isEmpty { b += "<tr><td colspan=8 class=muted>no uploads yet</td></tr>" }
        b += "</table></section>"
        b += await trackingSection(periodText: periodText, fallback: period)
        let spanText = span.map { "data \(KSTDateTime(epochSeconds: $0.first).dateString) – \(KSTDateTime(epochSeconds: $0.last).dateString) KST" } ?? "no data yet"
        let site = (try? await storage.sites.loadedSiteConfig(siteID: settings.site?.id))?.site ?? settings.site
        return page(title: Self.siteTitle(site, "가상발전소 VPP — 운영 대시보드"), subtitle: "period \(period.label) · \(spanText) · hour-beginning stamps, energies in kWh",
                    body: b)
    }

    /// The tracking report's sections (targets, RE100 by dong, daily per dong, SoC) embedded as
    /// they render in `vpp report --format html`, with its stylesheet scoped to `.trk`.
    func trackingSection(periodText: String?, fallback: APIPeriod) async -> String {
        let period: ReportPeriod
        if let t = periodText, !t.isEmpty, let p = try? ReportPeriod.parse(t) { period = p }
        else if fallback.label.count == 4, let y = Int(fallback.label) { period = .year(y) }
        else if let p = try? ReportPeriod.parse(fallback.label) { period = p }
        else { return "" }
        guard let html = try? await readAPI.reportHTML(period: period),
              let b0 = html.range(of: "<body>"), let b1 = html.range(of: "</body>", options: .backwards) else {
            return "<section><h2>추적 보고서 Tracking report</h2><p class=muted>not available for this period</p></section>"
        }
        var css = ""
        if let s0 = html.range(of: "<style>"), let s1 = html.range(of: "</style>") { css = Self.scopeCSS(String(html[s0.upperBound..<s1.lowerBound]), scope: ".trk") }
        return "<style>\(css)</style><section class=\"trk\">" + String(html[b0.upperBound..<b1.lowerBound]) + "</section>"
    }

    /// Prefixes every selector of a flat stylesheet with `scope` (`body` becomes the scope itself).
    static func scopeCSS(_ css: String, scope: String) -> String {
        var out = ""
        for rule in css.split(separator: "}") {
            guard let brace = rule.firstIndex(of: "{") else { continue }
            let selectors = rule[..<brace].split(separator: ",").map { sel -> String in
                let t = sel.trimmingCharacters(in: .whitespacesAndNewlines)
                return t == "body" ? scope : scope + " " + t
            }
            out += selectors.joined(separator: ",") + String(rule[brace...]) + "}\n"
        }
        return out
    }

    func forecastSection() async throws -> String {
        var b = "<section><h2>최신 예보 Latest forecast (district, kWh per slot)</h2>"
        guard let run = try await storage.forecasts.latestForecastRun() else { return b + "<p class=muted>no forecast run yet (vpp forecast)</p></section>" }
        let pts = try await storage.forecasts.forecastPoints(runID: run.id, dong: nil, quantity: nil)
        var pv: [Int64: Double] = [:], load: [Int64: Double] = [:]
        for p in pts { if p.quantity == "pv" { pv[p.slotStart, default: 0] += Double(p.valueWh) / 1000 } else { load[p.slotStart, default: 0] += Double(p.valueWh) / 1000 } }
        let slots = Set(pv.keys).union(load.keys).sorted()
        b += "<p class=muted>run \(run.id), issued \(KSTDateTime(epochSeconds: run.issuedAt)) KST, model \(esc(run.model))</p>"
        b += legend([("#e8a317", "PV"), ("#2f6db5", "부하 load")])
        b += lineChart(series: [(slots.map { pv[$0] ?? 0 }, "#e8a317"), (slots.map { load[$0] ?? 0 }, "#2f6db5")],
                       labels: slots.map { KSTDateTime(epochSeconds: $0).description }, width: 1120, height: 200)
        return b + "</section>"
    }

    func scheduleSection(names: [String: String]) async throws -> String {
        var b = "<section><h2>최신 배터리 계획 Latest dispatch plan (all batteries, kW; SoC kWh)</h2>"
        guard let s = try await storage.dispatch.latestSchedule() else { return b + "<p class=muted>no dispatch run yet (vpp dispatch run)</p></section>" }
        var net: [Int64: Double] = [:], soc: [Int64: Double] = [:]
        for x in s.slots {
            net[x.slotStart, default: 0] += (x.dischargeW - x.chargeW) / 1000
            soc[x.slotStart, default: 0] += Double(x.socWh) / 1000
        }
        let slots = net.keys.sorted()
        b += "<p class=muted>run \(s.run.id) (\(esc(s.run.status))), started \(KSTDateTime(epochSeconds: s.run.startedAt)) KST, objective \(esc(s.run.objective))"
        if let v = s.run.objectiveValue { b += String(format: " = %.0f", v) }
        b += ", \(Set(s.slots.map(\.batteryID)).count) batteries</p>"
        b += legend([("#2e9d5b", "방전 discharge (+) / 충전 charge (−) kW"), ("#7a4fb5", "SoC kWh")])
        b += signedBars(slots.map { net[$0] ?? 0 }, line: slots.map { soc[$0] ?? 0 },
                        labels: slots.map { KSTDateTime(epochSeconds: $0).description }, width: 1120, height: 220)
        return b + "</section>"
    }

    func card(_ label: String, _ value: String) -> String { "<div class=\"card\"><span>\(esc(label))</span><b>\(esc(value))</b></div>" }

    func legend(_ items: [(String, String)]) -> String {
        "<div class=\"legend\">" + items.map { "<span><i class=\"sw\" style=\"background:\($0.0)\"></i>\(esc($0.1))</span>" }.joined() + "</div>"
    }

    func kwh(_ wh: Int64) -> String {
        let v = Int64((Double(wh) / 1000).rounded())
        var s = String(abs(v)), out = ""
        while s.count > 3 { out = "," + s.suffix(3) + out; s = String(s.dropLast(3)) }
        return (v < 0 ? "-" : "") + s + out
    }

    // MARK: SVG charts (VPPCharts)

    func lineChart(series: [([Double], String)], labels: [String], width: Int, height: Int) -> String {
        guard !labels.isEmpty else { return "<p class=muted>no data in this period</p>" }
        return LineChart(width: width, height: height, insets: Insets(left: 60, right: 44, top: 10, bottom: 28), namespace: true)
            .svg(series.map { ChartSeries($0.0, color: $0.1) }, labels: labels)
    }

    func barChart(groups: [(String, [Double])], colors: [String], width: Int, height: Int) -> String {
        guard !groups.isEmpty else { return "<p class=muted>no dongs loaded</p>" }
        return BarChart(width: width, height: height, colors: colors).svg(groups: groups.map { (label: $0.0, values: $0.1) })
    }

    func signedBars(_ values: [Double], line: [Double], labels: [String], width: Int, height: Int) -> String {
        guard !values.isEmpty else { return "<p class=muted>empty plan</p>" }
        return SignedBarChart(width: width, height: height).svg(bars: values, line: line, labels: labels)
    }

    // MARK: Upload form

    func uploadForm(message: Message?) -> String {
        var b = ""
        if let m = message { b += "<section class=\"\(m.ok ? "ok" : "bad")\"><b>\(m.ok ? "완료" : "오류 Error"):</b> \(esc(m.text))</section>" }
        b += """
            <section><h2>ERP 내보내기 파일 업로드 Upload your ERP export</h2>
            <p class=muted>관리사무소 토큰으로 월별 검침(XpERP, 머리글 없음: 동, 호, 전월지침, 당월지침, 사용량) 또는 시간별(AMI) CSV/XLSX 파일을 올리면, 받아들인 행과 거부된 행(줄 번호와 이유)을 바로 보여줍니다.
            Files up to \(settings.maxBodyBytes / (1024 * 1024)) MiB; UTF-8 or CP949 (EUC-KR) text, or .xlsx.</p>
            <form method="post" action="/upload" enctype="multipart/form-data">
            <label for="token">토큰 Token</label><input id="token" name="token" type="password" autocomplete="off" required placeholder="vpp_…">
            <label for="kind">종류 Kind</label><select id="kind" name="kind"><option value="monthly">월별 검침 monthly (XpERP)</option><option value="interval">시간별 interval (AMI)</option><option value="pv">태양광 PV</option></select>
            <label for="month">청구월 Billing month (월별)</label><input id="month" name="month" type="text" inputmode="numeric" pattern="[0-9]{4}-[0-9]{2}" placeholder="YYYY-MM, 예: 2025-08">
            <label for="complex">단지 Complex (meter id)</label><input id="complex" name="complex" type="text" placeholder="예: cheonyeon-apt">
            <label for="file">파일 File</label><input id="file" name="file" type="file" required accept=".csv,.txt,.xlsx">
            <button type="submit">업로드 Upload</button></form></section>
            """
        return page(title: Self.siteTitle(settings.site, "가상발전소 — 관리사무소 업로드"),
                    subtitle: (settings.site.map { "\($0.name) VPP" } ?? "VPP") + " · apartment office upload", body: b)
    }

    func uploadResult(_ result: UploadResult) -> String {
        let r = result.report
        var b = ""
        if !result.visible {
            b += "<section class=\"ok\">이 파일은 이미 올라와 있습니다 (다른 계정). Already uploaded; nothing changed.</section>"
        } else if r.duplicate {
            b += "<section class=\"ok\">이 파일은 이미 업로드 \(r.uploadID)번으로 처리되었습니다. Already ingested as upload \(r.uploadID); nothing changed.</section>"
        } else {
            b += "<section class=\"\(r.rowsRejected == 0 ? "ok" : "bad")\"><h2>업로드 \(r.uploadID): \(esc(r.file))</h2>"
            b += "<div class=\"cards\">" + card("받아들인 행 accepted", "\(r.rowsOK)") + card("거부된 행 rejected", "\(r.rowsRejected)")
                + card("변경 changed", "\(r.rowsChanged)") + card("상태 status", r.status) + "</div></section>"
            if !r.rejects.isEmpty {
                b += "<section><h2>거부된 행 Rejected rows (first \(min(r.rejects.count, settings.rejectsInline)))</h2><table><tr><th class=n>줄 line</th><th class=n>열 col</th><th>이유 reason</th><th>내용 raw</th></tr>"
                for x in r.rejects.prefix(settings.rejectsInline) {
                    b += "<tr><td class=n>\(x.line)</td><td class=n>\(x.column.map(String.init) ?? "")</td><td>\(esc(x.reason))</td><td><code>\(esc(String(x.raw.prefix(120))))</code></td></tr>"
                }
                b += "</table></section>"
            }
            for w in r.warnings { b += "<p class=muted>\(esc(w))</p>" }
        }
        b += "<p><a href=\"/upload\">다른 파일 올리기 Upload another file</a></p>"
        return page(title: Self.siteTitle(settings.site, "가상발전소 — 업로드 결과"), subtitle: "upload result", body: b)
    }

    func login(error: String?) -> String {
        var b = ""
        if let error { b += "<section class=\"bad\">\(esc(error))</section>" }
        b += """
            <section><h2>운영자 로그인 Operator sign-in</h2><form method="post" action="/login">
            <label for="token">운영자 토큰 Operator token</label><input id="token" name="token" type="password" autocomplete="off" required>
            <button type="submit">로그인 Sign in</button></form></section>
            """
        return page(title: Self.siteTitle(settings.site, "가상발전소 — 로그인"), subtitle: "the dashboard needs an operator token", body: b)
    }
}
