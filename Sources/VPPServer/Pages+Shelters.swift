import Tracking
import VPPCore
import VPPStore

extension Pages {
    /// A small block per cooling shelter (issue 17): alert in force, backup hours now and the lowest
    /// over the newest plan against the requirement, and any slot the newest run could not hold.
    /// Empty when the site has no shelters. The alert store is the driver's (the SQLite driver
    /// implements `AlertStore` next to `DispatchStore`; `Storage` does not group it yet).
    func shelterSection() async -> String {
        guard let alerts = storage.alerts,
              let site = try? await storage.sites.loadedSiteConfig(siteID: settings.site?.id),
              let status = try? await ShelterStatus.build(site: site, now: storage.clock.now(), dispatch: storage.dispatch, alerts: alerts),
              !status.isEmpty else { return "" }
        var b = "<section id=\"shelters\"><h2>무더위쉼터 Cooling shelters — backup hours</h2><table><tr><th>shelter</th><th>alert</th>"
        b += "<th class=n>load kW</th><th class=n>required h</th><th class=n>now h</th><th class=n>min over plan h</th><th>plan</th></tr>"
        for s in status {
            let ok = s.shortfalls.isEmpty && (s.backupHoursNow ?? 0) + 1e-9 >= s.requiredHoursNow
            let note = s.shortfalls.first.map { "\(s.shortfalls.count) slots short from \(KSTDateTime(epochSeconds: $0.slotStart)) (\($0.reason))" }
                ?? (s.backupHoursNow == nil ? "no plan" : (ok ? "ok" : "below requirement"))
            b += "<tr\(ok ? "" : " class=bad")><td>\(esc(s.name))</td><td>\(esc(s.alertLevel.nameKo))</td><td class=n>\(fmtNum(s.criticalLoadKW, 1))</td>"
            b += "<td class=n>\(fmtNum(s.requiredHoursNow, 1))</td><td class=n>\(s.backupHoursNow.map { fmtNum($0, 1) } ?? "–")</td>"
            b += "<td class=n>\(s.backupHoursMinOverPlan.map { fmtNum($0, 1) } ?? "–")</td><td>\(esc(note))</td></tr>"
        }
        return b + "</table></section>"
    }
}
