import VPPCore
import VPPStore

extension TrackingHTMLReport {
    /// 자립율 next to RE100 per dong and district, both definitions, and the cooling shelters' status (issue 17).
    func resilienceSection(_ h: inout String) {
        h += "<h2>자립율과 RE100 Self-sufficiency (자립율) and RE100 share</h2>\n<table id=\"table-self-sufficiency\"><tr>"
        let cells = SelfSufficiencyKPI.tableCells(report)
        for c in cells.headers { h += "<th>\(esc(c))</th>" }
        h += "</tr>\n"
        for row in cells.rows {
            h += row.first == "total" ? "<tr class=\"total\">" : "<tr>"
            for (i, c) in row.enumerated() { h += c == "gap" ? "<td class=\"gap\">—</td>" : (i >= 2 ? "<td class=\"n\">\(esc(c))</td>" : "<td>\(esc(c))</td>") }
            h += "</tr>\n"
        }
        h += "</table>\n<ul>\n"
        for d in SelfSufficiencyKPI.definitions { h += "<li>\(esc(d))</li>\n" }
        h += "</ul>\n"
        guard !shelters.isEmpty else { return }
        h += "<h2>무더위쉼터 Cooling shelters</h2>\n<table id=\"table-shelters\"><tr><th>shelter</th><th>name</th><th>load kW</th><th>alert</th><th>required h</th><th>backup now h</th><th>min over plan h</th><th>slots short</th></tr>\n"
        for s in shelters {
            let short = s.shortfalls.first.map { "\(s.shortfalls.count) from \(KSTDateTime(epochSeconds: $0.slotStart)) (\($0.reason))" } ?? "0"
            h += "<tr><td>\(esc(s.shelterID))</td><td>\(esc(s.name))</td><td class=\"n\">\(fmtNum(s.criticalLoadKW, 1))</td><td>\(esc(s.alertLevel.nameKo))</td>"
            h += "<td class=\"n\">\(fmtNum(s.requiredHoursNow, 1))</td><td class=\"n\">\(s.backupHoursNow.map { fmtNum($0, 1) } ?? "—")</td>"
            h += "<td class=\"n\">\(s.backupHoursMinOverPlan.map { fmtNum($0, 1) } ?? "—")</td><td>\(esc(short))</td></tr>\n"
        }
        h += "</table>\n"
    }
}
