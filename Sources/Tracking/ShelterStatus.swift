import VPPCore
import VPPStore

/// Per cooling shelter (issue 17): backup hours available now and over the newest plan, the heat
/// alert in force, and the slots the newest run could not hold (with the reason), for the report
/// and the dashboard.
public struct ShelterStatus: Sendable, Equatable {
    public var shelterID: String
    public var name: String
    public var dongCode: String
    public var criticalLoadKW: Double
    /// Alert level in force now for the district, and its window [UTC epoch s].
    public var alertLevel: AlertLevel
    public var alertFrom: Int64?
    public var alertTo: Int64?
    public var requiredHoursNow: Double
    /// Backup hours in the backing batteries now (planned SoC of the current slot) [h]; nil without a plan.
    public var backupHoursNow: Double?
    /// Lowest backup hours over the rest of the newest plan [h].
    public var backupHoursMinOverPlan: Double?
    /// Slots of the newest run that could not hold the requirement.
    public var shortfalls: [ShelterShortfall]
    public var fallback: Bool

    public var line: String {
        let now = backupHoursNow.map { fmtNum($0, 1) + " h" } ?? "n/a (no plan)"
        let plan = backupHoursMinOverPlan.map { fmtNum($0, 1) + " h" } ?? "n/a"
        var s = "shelter \(shelterID) (\(name)), \(fmtNum(criticalLoadKW, 1)) kW: alert \(alertLevel.rawValue)"
        if let a = alertFrom, let b = alertTo { s += " (\(alertLevel.nameKo) \(KSTDateTime(epochSeconds: a))–\(KSTDateTime(epochSeconds: b)) KST)" }
        s += "; backup now \(now), required \(fmtNum(requiredHoursNow, 1)) h; min over the plan \(plan)"
        if let f = shortfalls.first {
            s += "; \(shortfalls.count) slots short from \(KSTDateTime(epochSeconds: f.slotStart)) KST (\(f.reason): \(fmtNum(Double(f.plannedWh) / 1000, 1)) of \(fmtNum(Double(f.requiredWh) / 1000, 1)) kWh)"
        }
        return s
    }

    /// Status of every shelter of `site` at `now`, from the newest schedule, the stored alerts and
    /// the newest recorded shelter outcome.
    public static func build(site: SiteConfig, now: Int64, dispatch: any DispatchStore, alerts: any AlertStore) async throws -> [ShelterStatus] {
        let shelters = site.dongs.flatMap { d in d.shelters.map { (d, $0) } }
        guard !shelters.isEmpty else { return [] }
        let schedule = try await dispatch.latestSchedule(siteID: site.site.id)
        let inForce = try await alerts.alerts(from: now - 86_400, to: now + 86_400)
        let outcome = try await alerts.latestShelterOutcome()
        return shelters.map { d, s in
            let lead = Int64((s.leadTimeH * 3600).rounded())
            let a = inForce.filter { $0.isHeat && site.site.alertCovers(area: $0.area) && now >= $0.fromEpoch - lead && now <= $0.toEpoch }
                .max { $0.level < $1.level }
            let bats = d.batteries(backing: s)
            // Backup hours at the end of each planned slot (slot start → h), and the slots' end instants.
            var hoursBySlot: [Int64: Double] = [:], ends: [Int64: Int64] = [:]
            for slot in schedule?.slots ?? [] {
                guard let b = bats.first(where: { $0.id == slot.batteryID }) else { continue }
                let usable = max(0, Double(slot.socWh) / 1000 - b.capacityKWh * b.socMinPct / 100) * b.dischargeEfficiency
                hoursBySlot[slot.slotStart, default: 0] += usable / s.criticalLoadKW
                ends[slot.slotStart] = slot.slotStart + Int64(slot.durationS)
            }
            // Only a plan that covers `now` says anything about now and after.
            let ahead = hoursBySlot.filter { (ends[$0.key] ?? $0.key) >= now }
            // SoC is end-of-slot: now is the end of the last slot ended by now (or the running slot's, at the plan's start).
            let covers = hoursBySlot.keys.contains { $0 <= now && now < (ends[$0] ?? $0) }
            let ended = hoursBySlot.filter { (ends[$0.key] ?? $0.key) <= now }.max { $0.key < $1.key }?.value
            let running = hoursBySlot.first { $0.key <= now && now < (ends[$0.key] ?? $0.key) }?.value
            let current = covers ? (ended ?? running) : nil
            let short = outcome?.shortfalls.filter { $0.shelterID == s.id } ?? []
            return ShelterStatus(shelterID: s.id, name: s.name, dongCode: d.code, criticalLoadKW: s.criticalLoadKW, alertLevel: a?.level ?? AlertLevel.none,
                                 alertFrom: a?.fromEpoch, alertTo: a?.toEpoch, requiredHoursNow: s.hours(at: a?.level ?? AlertLevel.none),
                                 backupHoursNow: current, backupHoursMinOverPlan: ahead.values.min(),
                                 shortfalls: short, fallback: outcome?.fallback ?? false)
        }
    }
}
