import Forecast
import VPPCharts
import VPPCore

/// The HTML report's forecast-accuracy section: the whole-period scores per dong and district,
/// then per dong the hourly PV forecast (as issued) against the metered actual.
extension TrackingHTMLReport {
    func forecastAccuracySection(_ h: inout String) {
        guard let fa = report.forecastAccuracy else { return }
        let s = fa.periodScores
        h += "<h2>예측 정확도 Forecast accuracy (runs as issued by \(esc(s.deadline)))</h2>\n"
        for l in s.summaryLines { h += "<p class=\"meta\">\(esc(l))</p>\n" }
        for (title, cells) in [("PV — KPX NMAE [%], MAE/RMSE/bias [kWh/h]", s.pvCells), ("Load — NMAE, MAPE [%], MAE/RMSE/bias [kWh/h]", s.loadCells)] {
            h += "<p class=\"meta\"><b>\(esc(title))</b></p>\n<table id=\"forecast-accuracy-\(title.hasPrefix("PV") ? "pv" : "load")\"><tr>"
            for c in cells.headers.dropFirst() { h += "<th>\(esc(c))</th>" }
            h += "</tr>\n"
            for r in cells.rows {
                h += r[1] == ForecastScorer.districtLabel ? "<tr class=\"total\">" : "<tr>"
                for (i, c) in r.enumerated().dropFirst() {
                    let missing = c == "–" || ScoreStatus(rawValue: c) != nil
                    h += missing ? "<td class=\"gap\">\(esc(c))</td>" : (cells.numeric.contains(i) ? "<td class=\"n\">\(esc(c))</td>" : "<td>\(esc(c))</td>")
                }
                h += "</tr>\n"
            }
            h += "</table>\n"
        }
        guard !fa.charts.isEmpty else { return }
        h += "<p class=\"legend\"><span><i class=\"sw\" style=\"background:#d62728\"></i>forecast as issued 예측</span>"
            + "<span><i class=\"sw\" style=\"background:#f0a020\"></i>actual 실측</span> PV per hour [kWh]; grey = no actual</p>\n"
        h += "<div class=\"grid\">\n"
        let labels = fa.hourStarts.map { KSTDateTime(epochSeconds: $0).dateString }
        for c in fa.charts {
            let title = "\(c.nameKo) \(c.code) PV forecast vs actual"
            h += LineChart(width: 590, height: 150, insets: Insets(left: 52, right: 8, top: 22, bottom: 20),
                           yAxis: .frame(label: { fmtGroup($0, 0) }), xLabels: .ends, style: .report, title: title, shadeGaps: true,
                           cssClass: "forecast-vs-actual", label: title)
                .svg([ChartSeries(c.actualKWh, color: "#f0a020"), ChartSeries(c.forecastKWh, color: "#d62728")], labels: labels)
            h += "\n"
        }
        h += "</div>\n"
    }
}
