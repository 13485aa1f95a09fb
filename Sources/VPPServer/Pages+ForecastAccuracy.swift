import Forecast
import Foundation
import VPPCore
import VPPStore

/// The dashboard's forecast-accuracy card row (issue 11): the last 30 KST days of ingested data,
/// stored runs as issued by D-1 10:00, district PV NMAE (KPX) and load NMAE, and per dong PV NMAE.
/// The full section (tables and forecast-vs-actual charts) is in the embedded tracking report.
extension Pages {
    func forecastAccuracySection() async -> String {
        var b = "<section><h2>예측 정확도 Forecast accuracy (runs as issued by D-1 10:00 KST, last 30 days of data)</h2>"
        guard let span = try? await storage.readings.rollupSpan(), let site = try? await storage.sites.loadedSiteConfig(siteID: settings.site?.id),
              let scoring = storage.scoring else {
            return b + "<p class=muted>no actuals or no site loaded yet: nothing to score</p></section>"
        }
        let last = KSTDateTime(epochSeconds: span.last)
        let to = KSTDateTime(year: last.year, month: last.month, day: last.day).epochSeconds + 86_400
        let from = max(to - 30 * 86_400, { let f = KSTDateTime(epochSeconds: span.first); return KSTDateTime(year: f.year, month: f.month, day: f.day).epochSeconds }())
        guard let r = try? await ForecastScorer.score(forecasts: scoring, readings: storage.readings,
                                                      request: ForecastScoreRequest(from: from, to: to, dongs: site.dongs)) else {
            return b + "<p class=muted>forecast scores not available</p></section>"
        }
        if r.runs.isEmpty {
            return b + "<p class=muted>no stored forecast run issued by the deadline covers \(esc(r.from))..\(esc(r.to)) (vpp forecast run)</p></section>"
        }
        func pct(_ s: ForecastScore?) -> String { s.map { $0.nmaePct.map { String(format: "%.2f %%", $0) } ?? $0.status.rawValue } ?? "–" }
        b += "<div class=\"cards\">"
        b += card("PV NMAE (KPX) district", pct(r.districtPV))
        b += card("부하 Load NMAE district", pct(r.districtLoad))
        b += card("PV days ≤ 6 %", r.districtPV?.shareDaysWithin6Pct.map { String(format: "%.0f %%", $0) } ?? "–")
        b += card("scored days", "\(r.runs.count) of \(r.runs.count + r.daysWithoutRun.count)")
        b += "</div>"
        b += "<table id=\"forecast-accuracy\"><tr><th>코드 code</th><th>동 dong</th><th class=n>PV NMAE %</th><th class=n>skill</th><th class=n>scored h</th><th class=n>load NMAE %</th><th class=n>load MAPE %</th></tr>"
        let loads = Dictionary(r.load.map { ($0.dong, $0) }, uniquingKeysWith: { a, _ in a })
        for s in r.pv {
            let l = loads[s.dong]
            let name = s.dong == ForecastScorer.districtLabel ? "구 전체" : r.dongNames[s.dong] ?? ""
            b += "<tr><td>\(esc(s.dong))</td><td>\(esc(name))</td><td class=n>\(esc(pct(s)))</td>"
            b += "<td class=n>\(s.skillVsPersistence.map { String(format: "%.3f", $0) } ?? "–")</td><td class=n>\(s.scoredHours)</td>"
            b += "<td class=n>\(esc(pct(l)))</td><td class=n>\(l?.mapePct.map { String(format: "%.2f", $0) } ?? "–")</td></tr>"
        }
        return b + "</table></section>"
    }
}
