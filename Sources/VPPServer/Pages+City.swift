import Foundation
import Tracking
import VPPCore
import VPPStore

extension Pages {
    // MARK: City view (issue 14, part 3)

    /// `/city`: every district loaded in the store against the city targets, from the same
    /// payload as `GET /api/v1/city` (`CityReportBuilder`): cards for the city's progress, one row
    /// per district with its share of each city target and of the loaded districts' totals, its
    /// coverage, and year/month navigation (`?scope=year|month&period=…`; default: the year of
    /// the newest rollup).
    func cityPage(query q: [String: String]) async throws -> String {
        var q = q
        if (q["scope"] ?? "").isEmpty, (q["period"] ?? "").isEmpty { q["scope"] = "year" }
        let p = try await period(q)
        guard p.scope == .year || p.scope == .month else {
            throw APIError.badRequest("the city view shows a year or a month: scope must be year or month", code: "bad_scope", parameter: "scope")
        }
        let payload = try await CityReportBuilder.build(storage: storage, period: p.reportPeriod)
        return cityHTML(payload, period: p)
    }

    /// The city page for a built payload (separate so tests can compare it with the JSON).
    func cityHTML(_ c: CityReportPayload, period p: DashboardPeriod) -> String {
        var b = cityNav(p)
        let t = c.targets
        b += "<div class=\"cards\">"
        for g in c.progress {
            let label: String
            switch g.key {
            case "pv_kwp": label = "태양광 설비 Installed PV"
            case "mini_solar_households": label = "미니태양광 Mini-solar households"
            default: label = "감축 tCO2e avoided per year (run-rate)"
            }
            b += card(label, fmt(g.progressPct, 2, "%"),
                      coverage: "\(fmtNum(g.actual, 0, grouped: true)) of \(fmtNum(g.target, 0, grouped: true)) \(g.unit) (city target)")
        }
        b += card("데이터 Coverage", fmt(c.city.coveragePct, 1, "%"),
                  coverage: "dong-hours with a rollup; \(c.districts.count) district\(c.districts.count == 1 ? "" : "s"), \(c.city.dongs) dongs loaded")
        b += "</div>"
        b += "<section><h2>구별 목표 기여 Each district's share of the city targets, \(esc(p.title))</h2>"
        b += "<p class=muted>City targets (site config [targets] of \(esc(t.fromSite))): \(fmtNum(t.solarKWp / 1e6, 0)) GW solar, "
        b += "\(fmtNum(Double(t.miniSolarHouseholds), 0, grouped: true)) mini-solar households, \(fmtNum(t.tco2PerYear, 0, grouped: true)) tCO2e/yr. "
        b += "% of target = the district's value / the city target; % of loaded = its part of the loaded districts' total.</p>"
        b += "<div class=\"scroll\"><table id=\"districts\" class=\"city\"><tr><th>구 district</th><th class=n>dongs</th><th class=n>PV kWp</th>"
        b += "<th>% of \(fmtNum(t.solarKWp / 1e6, 0)) GW</th><th class=n>mini-solar hh</th><th class=n>% of \(fmtNum(Double(t.miniSolarHouseholds) / 1e6, 0)) M</th>"
        b += "<th class=n>tCO2e/yr</th><th>% of \(fmtNum(t.tco2PerYear / 1000, 0)) kt</th><th class=n>PV kWh</th><th class=n>load kWh</th><th class=n>coverage %</th>"
        b += "<th class=n title=\"the district\u{2019}s part of the loaded districts\u{2019} installed PV\">% of loaded kWp</th></tr>"
        let maxPV = max(c.districts.map { pctOf($0.pvKWp, t.solarKWp) ?? 0 }.max() ?? 0, 1e-9)
        let maxCO2 = max(c.districts.map { pctOf($0.tco2PerYear, t.tco2PerYear) ?? 0 }.max() ?? 0, 1e-9)
        for d in c.districts {
            let miniPct = pctOf(Double(d.miniSolarHouseholds), Double(t.miniSolarHouseholds))
            b += "<tr><td title=\"\(esc(d.name)) \(esc(d.sigunguCode))\">\(esc(d.nameKo))</td><td class=n>\(d.dongs)</td>"
            b += "<td class=n>\(fmtNum(d.pvKWp, 0, grouped: true))</td><td>\(bar(pctOf(d.pvKWp, t.solarKWp), max: maxPV, color: "#e8a317", digits: 3))</td>"
            b += "<td class=n>\(fmtNum(Double(d.miniSolarHouseholds), 0, grouped: true))</td><td class=n>\(fmt(miniPct, 3))</td>"
            b += "<td class=n>\(fmtNum(d.tco2PerYear, 1, grouped: true))</td><td>\(bar(pctOf(d.tco2PerYear, t.tco2PerYear), max: maxCO2, color: "#2e9d5b", digits: 3))</td>"
            b += "<td class=n>\(kwh(d.generationWh))</td><td class=n>\(kwh(d.consumptionWh))</td>"
            b += "<td class=n>\(fmtNum(d.coveragePct, 1))</td><td class=n>\(fmt(d.share?.pvKWpPct, 2))</td></tr>"
        }
        let x = c.city
        b += "<tr class=\"total\"><td><b>\(esc(x.nameKo))</b></td><td class=n>\(x.dongs)</td><td class=n>\(fmtNum(x.pvKWp, 0, grouped: true))</td>"
        b += "<td>\(fmt(pctOf(x.pvKWp, t.solarKWp), 3))</td><td class=n>\(fmtNum(Double(x.miniSolarHouseholds), 0, grouped: true))</td>"
        b += "<td class=n>\(fmt(pctOf(Double(x.miniSolarHouseholds), Double(t.miniSolarHouseholds)), 3))</td><td class=n>\(fmtNum(x.tco2PerYear, 1, grouped: true))</td>"
        b += "<td>\(fmt(pctOf(x.tco2PerYear, t.tco2PerYear), 3))</td><td class=n>\(kwh(x.generationWh))</td><td class=n>\(kwh(x.consumptionWh))</td>"
        b += "<td class=n>\(fmtNum(x.coveragePct, 1))</td><td class=n>100</td></tr>"
        if c.districts.isEmpty { b += "<tr><td colspan=12 class=muted>no district loaded</td></tr>" }
        b += "</table></div></section>"
        b += "<section><h2>주 Notes</h2><ul class=\"muted\">" + c.notes.map { "<li>\(esc($0))</li>" }.joined() + "</ul>"
        b += "<p class=muted><a href=\"/api/v1/city?period=\(esc(urlq(c.period)))\">city JSON (same payload)</a> · "
        b += "<a href=\"/dashboard?\(esc(p.query))\">대시보드 district dashboard</a></p></section>"
        return page(title: "가상발전소 VPP — 도시 현황 City view (loaded districts)",
                    subtitle: "\(p.title) · \(c.hours) h · \(c.districts.count) district\(c.districts.count == 1 ? "" : "s") · energies in kWh, hour-beginning rollups", body: b)
    }

    /// Year/month tabs, previous/next, a date picker and the latest period, for `/city`.
    func cityNav(_ p: DashboardPeriod) -> String {
        var b = "<nav class=\"period\" aria-label=\"period\"><span class=\"tabs\">"
        for s in [DashboardPeriod.Scope.month, .year] {
            let q = DashboardPeriod.containing(p.start, scope: s).query
            b += s == p.scope ? "<b>\(esc(s.nameKo))</b>" : "<a href=\"/city?\(esc(q))\">\(esc(s.nameKo))</a>"
        }
        b += "</span><a id=\"prev\" href=\"/city?\(esc(p.previous.query))\">◀ 이전 prev</a>"
        b += "<strong id=\"period-title\">\(esc(p.title))</strong>"
        b += "<a id=\"next\" href=\"/city?\(esc(p.next.query))\">다음 next ▶</a>"
        b += "<form method=\"get\" action=\"/city\" class=\"picker\"><input type=\"hidden\" name=\"scope\" value=\"\(p.scope.rawValue)\">"
        b += "<input type=\"date\" name=\"date\" id=\"date\" value=\"\(KSTDateTime(epochSeconds: p.start).dateString)\" aria-label=\"date (KST)\">"
        b += "<button type=\"submit\">이동 Go</button></form>"
        b += "<a href=\"/city?scope=\(p.scope.rawValue)\">최근 latest</a></nav>"
        return b
    }

    func pctOf(_ a: Double, _ target: Double) -> Double? { target > 0 ? a / target * 100 : nil }

    /// A percentage as text with a bar scaled to `max` (inline CSS, no script).
    func bar(_ v: Double?, max: Double, color: String, digits: Int) -> String {
        guard let v else { return "–" }
        let w = Int((min(1, Swift.max(0, v / max)) * 100).rounded())
        return "<span class=\"bar\"><i style=\"width:\(w)%;background:\(color)\"></i></span>\u{00A0}\(esc(fmtNum(v, digits)))"
    }
}
