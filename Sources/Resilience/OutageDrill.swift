import VPPCore
import VPPStore

/// The outage drill (issue 17): the dong is islanded from `from` for `hours`; each shelter's
/// critical load is served from its batteries (and from PV where the inverter can run islanded,
/// given as a per-slot series), and the drill says how long the shelter stayed powered versus
/// the hours its alert level requires.
///
/// Per slot of length Δt: PV serves the load first; a surplus charges the batteries (up to their
/// charge power and SoC max; the rest is curtailed); a deficit is discharged from the batteries in
/// proportion to what each can deliver, min(P_d, (SoC − SoC min)·η_d/Δt). The first slot whose
/// deficit the batteries cannot cover ends the powered time (within the slot, pro rata); the
/// batteries' own SoC minimum is kept (the BMS cut-off). Shelters sharing a battery are each
/// simulated as its only user (ASSUMPTION; flagged in the result).
public enum OutageDrill {
    public struct Row: Sendable, Equatable {
        public var slotStart: Int64
        public var loadKW: Double
        public var pvKW: Double
        public var dischargeKW: Double
        public var chargeKW: Double
        /// Stored energy of the backing batteries at the end of the slot [kWh].
        public var socKWh: Double
        public var served: Bool
    }

    public struct ShelterResult: Sendable, Equatable {
        public var shelterID: String
        public var name: String
        public var criticalLoadKW: Double
        public var level: AlertLevel
        public var requiredHours: Double
        /// Hours the shelter stayed powered from the start of the outage (≤ the drill's hours).
        public var poweredHours: Double
        public var drillHours: Double
        /// Energy left above the SoC minimum at the end, as hours of the critical load with no PV [h].
        public var remainingHoursAtEnd: Double
        public var initialSocKWh: Double
        public var sharedBattery: Bool
        public var rows: [Row]
        public var met: Bool { poweredHours + 1e-9 >= min(requiredHours, drillHours) && (poweredHours + remainingHoursAtEnd + 1e-9 >= requiredHours) }
    }

    /// Runs the drill for every shelter of `dong`. `initialSoCKWh` by battery id (missing: the
    /// config's initial SoC); `pvKW` per slot available to the shelter islanded (empty: none).
    public static func run(site: SiteConfig, dong code: String, from: Int64, hours: Double, step: SlotLength = .quarterHour,
                           level: AlertLevel, initialSoCKWh: [String: Double] = [:], pvKW: [Double] = []) throws -> [ShelterResult] {
        guard let dong = site.dong(code: code) else { throw ResilienceError.unknownDong(code) }
        guard hours > 0, hours <= 168 else { throw ResilienceError.usage("drill hours must be in (0, 168], got \(hours)") }
        guard !dong.shelters.isEmpty else { throw ResilienceError.usage("dong \(code) (\(dong.nameKo)) has no [[dong.shelter]] in the site config") }
        let dt = step.hours
        let n = Int((hours / dt).rounded(.up))
        let counts = Dictionary(dong.shelters.flatMap(\.batteryIDs).map { ($0, 1) }, uniquingKeysWith: +)
        return dong.shelters.map { s -> ShelterResult in
            let bats = dong.batteries(backing: s)
            var soc = bats.map { b in min(b.capacityKWh * b.socMaxPct / 100, max(0, initialSoCKWh[b.id] ?? b.capacityKWh * b.initialSocPct / 100)) }
            let minK = bats.map { $0.capacityKWh * $0.socMinPct / 100 }, maxK = bats.map { $0.capacityKWh * $0.socMaxPct / 100 }
            let soc0 = soc.reduce(0, +)
            var rows: [Row] = []
            var powered = 0.0, failed = false
            for t in 0..<n {
                let pv = t < pvKW.count ? max(0, pvKW[t]) : 0
                let net = s.criticalLoadKW - pv
                var dis = 0.0, chg = 0.0, served = true
                if net <= 0 {
                    var surplus = -net
                    for j in bats.indices {
                        let room = max(0, maxK[j] - soc[j]) / (bats[j].chargeEfficiency * dt)
                        let c = min(surplus, bats[j].maxChargeKW, room)
                        soc[j] += c * bats[j].chargeEfficiency * dt; surplus -= c; chg += c
                    }
                } else {
                    let avail = bats.indices.map { j in min(bats[j].maxDischargeKW, max(0, soc[j] - minK[j]) * bats[j].dischargeEfficiency / dt) }
                    let total = avail.reduce(0, +)
                    let give = min(net, total)
                    for j in bats.indices where total > 0 {
                        let x = give * avail[j] / total
                        soc[j] -= x * dt / bats[j].dischargeEfficiency; dis += x
                    }
                    if total + 1e-9 < net {
                        served = false
                        if !failed { powered += dt * (total / net); failed = true }
                    }
                }
                if served && !failed { powered += dt }
                rows.append(Row(slotStart: from + Int64(t * step.seconds), loadKW: s.criticalLoadKW, pvKW: pv, dischargeKW: dis, chargeKW: chg,
                                socKWh: soc.reduce(0, +), served: served))
            }
            let remaining = bats.indices.reduce(0.0) { $0 + max(0, soc[$1] - minK[$1]) * bats[$1].dischargeEfficiency } / s.criticalLoadKW
            return ShelterResult(shelterID: s.id, name: s.name, criticalLoadKW: s.criticalLoadKW, level: level, requiredHours: s.hours(at: level),
                                 poweredHours: min(powered, hours), drillHours: hours, remainingHoursAtEnd: failed ? 0 : remaining,
                                 initialSocKWh: soc0, sharedBattery: s.batteryIDs.contains { (counts[$0] ?? 0) > 1 }, rows: rows)
        }
    }
}
