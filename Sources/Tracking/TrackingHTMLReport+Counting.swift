import VPPCore

// The HTML report's section on what is metered and what is estimated (issue 12).
extension TrackingHTMLReport {
    func countingSection(_ h: inout String) {
        let r = report, c = r.counting
        let rows = r.summary
        h += "<h2>계측 vs 추정 Metered vs estimated (unmetered PV, estimated from monthly)</h2>\n"
        h += "<table id=\"table-estimates\"><tr><th>dong</th><th>name</th><th>PV metered kWh</th><th>PV estimated kWh</th><th>consumption kWh</th><th>estimated from monthly kWh</th><th>estimated from monthly %</th><th>renewable kWh</th><th>renewable resting on estimates %</th><th>tCO2e avoided</th><th>of which estimated tCO2e</th></tr>\n"
        for m in rows {
            h += "<tr\(m.level == .district ? " class=\"total\"" : "")><td>\(esc(m.level == .district ? "total" : m.dongCode))</td><td>\(esc(m.name))</td>"
            h += num(m.generationMeteredKWh, 1) + num(m.generationEstimatedKWh, 1) + num(m.consumptionKWh, 1)
            h += num(m.consumptionFromMonthlyKWh, 1) + num(m.consumptionFromMonthlySharePct, 2) + num(m.renewableKWh, 1)
            h += num(m.renewableEstimatedSharePct, 2) + num(m.tco2eAvoided, 3) + num(m.tco2eAvoidedEstimated, 3) + "</tr>\n"
        }
        h += "</table>\n"
        if !c.monthlyChecks.isEmpty {
            h += "<table id=\"table-monthly-uploads\"><tr><th>dong</th><th>complex</th><th>meter</th><th>month</th><th>units</th><th>monthly kWh</th><th>counted as</th><th>estimated from monthly kWh (in window)</th><th>interval h / month h</th><th>interval kWh</th><th>monthly − interval kWh</th><th>shape</th></tr>\n"
            for m in c.monthlyChecks {
                h += "<tr><td>\(esc(m.dongCode))</td><td>\(esc(m.complex))</td><td>\(esc(m.meterID))</td><td>\(esc(m.period.description))</td>"
                h += num(Double(m.units), 0) + num(m.monthlyKWh, 1) + "<td>\(esc(m.used == .monthly ? "estimated from monthly" : m.used == .interval ? "interval" : "interval + estimated from monthly"))</td>"
                h += num(m.estimatedKWh, 1) + "<td class=\"n\">\(m.intervalHours) / \(m.monthHours)</td>" + num(m.intervalKWh, 1) + num(m.differenceKWh, 1)
                h += "<td class=\"wrap\">\(esc(m.shape))</td></tr>\n"
            }
            h += "</table>\n"
        }
        if !c.pvEstimates.isEmpty {
            h += "<table id=\"table-pv-estimates\"><tr><th>dong</th><th>fleet</th><th>kWp</th><th>estimated kWh (method)</th><th>hours without reference</th></tr>\n"
            for p in c.pvEstimates {
                let parts = p.byMethodKWh.keys.sorted().map { "\(fmtGroup(p.byMethodKWh[$0] ?? 0, 1)) (\($0))" }.joined(separator: ", ")
                h += "<tr><td>\(esc(p.dongCode))</td><td>\(esc(p.fleetID))</td>" + num(p.kWp, 1)
                h += "<td>\(esc(parts.isEmpty ? "0" : parts))</td>" + num(Double(p.hoursWithoutReference), 0) + "</tr>\n"
            }
            h += "</table>\n"
        }
        for n in c.notes { h += "<p class=\"meta\">\(esc(n))</p>\n" }
    }
}
