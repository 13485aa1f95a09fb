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
    /// Tracking reports built for pages, per data stamp and period.
    let memo = ReportMemo()
    /// The session of the request being answered (its sign-out form needs the CSRF token).
    var viewer: Session? = nil

    /// This page set for one request's session.
    func viewing(_ s: Session?) -> Pages { var p = self; p.viewer = s; return p }

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
        .ok{background:#e5f4ea;border-color:#9fd3ae}.bad{background:#fbe9e9;border-color:#e3a5a5}nav.top a{color:#fff;margin-right:14px;font-size:13px}
        nav.top{display:flex;flex-wrap:wrap;align-items:center;gap:4px 0;margin-top:6px}nav.top form{display:inline;margin-left:auto}
        nav.top form button{display:inline;margin:0;padding:4px 10px;font-size:13px;background:#2d5378}nav.top .who{font-size:12px;color:#c9d6e3;margin-right:10px}
        .card small{display:block;font-size:11px;color:#6b7685;margin-top:2px}
        nav.period{display:flex;flex-wrap:wrap;align-items:center;gap:8px 14px;margin:0 0 14px;font-size:14px}nav.period .tabs a,nav.period .tabs b{margin-right:8px}
        nav.period .tabs b{background:#17324d;color:#fff;padding:3px 8px;border-radius:4px}nav.period form{display:flex;gap:6px;align-items:center}
        nav.period input[type=date]{width:auto}nav.period button{margin:0;padding:5px 12px;font-size:14px}a{color:#1f5c99}
        .measures a,.measures b{margin-right:12px;font-size:13px}.measures b{background:#e3ecf5;padding:2px 6px;border-radius:4px}
        .mapwrap{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}.mapbox svg{max-width:100%;height:auto}.maplegend{font-size:13px;min-width:200px;max-width:360px}
        .maplegend h3{font-size:14px;margin:0 0 6px}.maplegend div{margin:2px 0}.sw.hatch{background:repeating-linear-gradient(45deg,#f4f4f4 0 3px,#bbb 3px 5px)}
        svg .area:hover{stroke:#17324d;stroke-width:3}main svg{max-width:100%;height:auto}.scroll,section{overflow-x:auto}
        .crumbs{font-size:13px;margin:0 0 8px}table.grid td{padding:2px 4px;font-size:12px;text-align:center}
        .full{background:#cdebd6}.part{background:#fbe7b5}.miss{background:#f3c1c1}.pending{background:#eceff3}.monthly{background:#dce6f5}td.late{box-shadow:inset 0 0 0 2px #7a4fb5}td.late a{color:#3d1f66;text-decoration:none;font-weight:600}.sw.late{box-shadow:inset 0 0 0 2px #7a4fb5;background:#fff}tr.warn td{background:#fff7e6}
        td:first-child,th{white-space:nowrap}
        table.city td,table.city th{white-space:nowrap;padding:4px 6px}.bar{display:inline-block;width:60px;height:10px;background:#eceff3;vertical-align:middle;margin-right:4px}.bar i{display:block;height:10px}tr.total td{border-top:2px solid #17324d}
        @media (max-width:600px){main{padding:10px}header{padding:10px 12px}.card{min-width:130px}.card b{font-size:18px}
        .chartbox{overflow-x:auto}.chartbox svg{max-width:none;height:auto}section{padding:10px}}
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
        <header><h1>\(esc(title))</h1><p>\(esc(subtitle))</p>\(navBar())</header>
        <main>\(body)</main></body></html>
        """
    }

    func forecastSection() async throws -> String {
        var b = "<section><h2>최신 예보 Latest forecast (district, kWh per slot)</h2>"
        guard let run = try await storage.forecasts.latestForecastRun(siteID: settings.site?.id) else { return b + "<p class=muted>no forecast run yet (vpp forecast)</p></section>" }
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
        guard let s = try await storage.dispatch.latestSchedule(siteID: settings.site?.id) else { return b + "<p class=muted>no dispatch run yet (vpp dispatch run)</p></section>" }
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
        b += "<div class=\"chartbox\">" + signedBars(slots.map { net[$0] ?? 0 }, line: slots.map { soc[$0] ?? 0 },
                        labels: slots.map { KSTDateTime(epochSeconds: $0).description }, width: 1120, height: 220) + "</div>"
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
            \(credentialField())
            <label for="kind">종류 Kind</label><select id="kind" name="kind"><option value="monthly">월별 검침 monthly (XpERP)</option><option value="interval">시간별 interval (AMI)</option><option value="pv">태양광 PV</option></select>
            <label for="month">청구월 Billing month (월별)</label><input id="month" name="month" type="text" inputmode="numeric" pattern="[0-9]{4}-[0-9]{2}" placeholder="YYYY-MM, 예: 2025-08">
            <label for="complex">단지 Complex (meter id)</label><input id="complex" name="complex" type="text" placeholder="예: cheonyeon-apt">
            <label for="file">파일 File</label><input id="file" name="file" type="file" required accept=".csv,.txt,.xlsx">
            <button type="submit">업로드 Upload</button></form></section>
            """
        return page(title: Self.siteTitle(settings.site, "가상발전소 — 관리사무소 업로드"),
                    subtitle: (settings.site.map { "\($0.name) VPP" } ?? "VPP") + " · apartment office upload", body: b)
    }

    /// The form's first field: the session's CSRF token when signed in, else the API token (the
    /// server reads and checks it before the file either way).
    func credentialField() -> String {
        if let s = viewer, let p = s.principal {
            return "<input type=\"hidden\" name=\"csrf\" value=\"\(esc(s.csrf))\"><p class=muted>signed in as \(esc(p.office ?? p.role.rawValue)); complexes: \(esc(p.complexes.isEmpty ? "any" : p.complexes.joined(separator: ", ")))</p>"
        }
        return "<label for=\"token\">토큰 Token</label><input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" required placeholder=\"vpp_…\"> <span class=muted>or <a href=\"/login?next=%2Fupload\">sign in</a></span>"
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

    func login(error: String?, csrf: String, next: String) -> String {
        var b = ""
        if let error { b += "<section class=\"bad\" id=\"login-error\">\(esc(error))</section>" }
        b += """
            <section><h2>로그인 Sign in</h2><form method="post" action="/login">
            <input type="hidden" name="csrf" value="\(esc(csrf))"><input type="hidden" name="next" value="\(esc(next))">
            <label for="token">토큰 Token (운영자 operator 또는 관리사무소 office)</label><input id="token" name="token" type="password" autocomplete="off" required>
            <button type="submit" id="signin">로그인 Sign in</button></form>
            <p class=muted>The token is checked once; the browser then keeps only a random session id (HttpOnly cookie), never the token.
            Sessions end after \(settings.sessions.idleTimeoutS / 60) min without use and \(settings.sessions.absoluteTimeoutS / 3600) h after sign-in.</p></section>
            """
        return page(title: Self.siteTitle(settings.site, "가상발전소 — 로그인"), subtitle: "sign in with an operator or office token", body: b)
    }

    /// The header's links for who is signed in, and the sign-out form (POST with the CSRF token).
    func navBar() -> String {
        var b = "<nav class=\"top\">"
        let p = viewer?.principal
        if p == nil || p?.role == .operator {
            b += "<a href=\"/dashboard\">대시보드 Dashboard</a><a href=\"/city\" id=\"city-link\">도시 City</a><a href=\"/completeness\">데이터 현황 Completeness</a>"
        }
        b += "<a href=\"/upload\">업로드 Upload</a>"
        if p != nil { b += "<a href=\"/uploads\">업로드 목록 Uploads</a>" }
        if p == nil || p?.role == .operator { b += "<a href=\"/api/v1/openapi.json\">API</a>" }
        if let s = viewer, let p {
            b += "<form method=\"post\" action=\"/logout\"><span class=\"who\">\(esc(p.role == .operator ? "운영자 operator" : (p.office ?? "office"))) · \(esc(p.keyID))</span>"
            b += "<input type=\"hidden\" name=\"csrf\" value=\"\(esc(s.csrf))\"><button type=\"submit\" id=\"signout\">로그아웃 Sign out</button></form>"
        } else {
            b += "<a href=\"/login\" id=\"signin-link\">로그인 Sign in</a>"
        }
        return b + "</nav>"
    }

    /// A short page with a message (errors, refusals) and an optional link.
    func message(title: String, text: String, link: (String, String)? = nil, status: Int) -> String {
        var b = "<section class=\"bad\"><h2>\(status) \(esc(title))</h2><p>\(esc(text))</p>"
        if let link { b += "<p><a href=\"\(esc(link.0))\">\(esc(link.1))</a></p>" }
        return page(title: Self.siteTitle(settings.site, "가상발전소 — \(title)"), subtitle: "HTTP \(status)", body: b + "</section>")
    }

    /// 403 for a signed-in user who may not see an operator page.
    func forbidden(principal p: Principal) -> String {
        var b = "<section class=\"bad\" id=\"forbidden\"><h2>403 권한 없음 Not allowed</h2><p>This page is for energy-centre operators. "
        b += "You are signed in as \(esc(p.office ?? p.role.rawValue)); you may upload files and see your own uploads.</p>"
        b += "<p><a href=\"/upload\">업로드 Upload a file</a> · <a href=\"/uploads\">내 업로드 My uploads</a></p></section>"
        return page(title: Self.siteTitle(settings.site, "가상발전소 — 권한 없음"), subtitle: "HTTP 403", body: b)
    }
}
