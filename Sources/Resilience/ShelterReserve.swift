import VPPCore
import VPPStore
import Dispatcher

/// A shelter's requirement over a horizon: per slot (end instant, since SoC is end-of-slot) the
/// alert level in force (an alert counts from its start minus the shelter's lead time to its
/// end), the backup hours that level requires, and the energy each backing battery must keep
/// above its own SoC minimum.
public struct ShelterRequirement: Sendable, Equatable {
    public var shelter: ShelterConfig
    public var dongCode: String
    public var level: [AlertLevel]
    public var hours: [Double]
    /// The alert behind the level of each slot (nil for `none`).
    public var alert: [WeatherAlert?]
    /// Battery id → stored energy to hold above SoC min per slot [kWh].
    public var heldKWh: [String: [Double]]

    /// Total energy the backing batteries must hold above their minimum in slot `t` [kWh].
    public func totalHeldKWh(_ t: Int) -> Double { heldKWh.values.reduce(0) { $0 + $1[t] } }
}

/// Reserve from backup hours (issue 17). In every slot whose end lies in an alert window or its
/// lead time, each backing battery keeps `share × load × hours / η_d` above its own SoC minimum:
/// the energy the shelter needs to run islanded for the required hours from that instant,
/// shared across its batteries in proportion to their usable energy (capacity × (SoC max − SoC
/// min)), each divided by its own discharge efficiency. Outside alerts the `none` hours apply.
public enum ShelterReserve {
    /// The level of heat alerts covering the district in force at instant `t` for `shelter`
    /// (counting its lead time), with the alert; `none` when there is none.
    public static func level(at t: Int64, shelter: ShelterConfig, alerts: [WeatherAlert], site: SiteInfo) -> (AlertLevel, WeatherAlert?) {
        let lead = Int64((shelter.leadTimeH * 3600).rounded())
        var best: (AlertLevel, WeatherAlert?) = (.none, nil)
        for a in alerts where a.isHeat && site.alertCovers(area: a.area) && t >= a.fromEpoch - lead && t <= a.toEpoch {
            if a.level > best.0 { best = (a.level, a) }
        }
        return best
    }

    public static func requirements(site: SiteConfig, alerts: [WeatherAlert], start: Int64, step: SlotLength, slots: Int) -> [ShelterRequirement] {
        var out: [ShelterRequirement] = []
        for d in site.dongs {
            for s in d.shelters {
                let bats = d.batteries(backing: s)
                let usable = bats.map { $0.capacityKWh * max(0, $0.socMaxPct - $0.socMinPct) / 100 }
                let totalUsable = usable.reduce(0, +)
                var r = ShelterRequirement(shelter: s, dongCode: d.code, level: [], hours: [], alert: [], heldKWh: [:])
                var held = bats.map { _ in [Double]() }
                for t in 0..<slots {
                    let end = start + Int64((t + 1) * step.seconds)
                    let (lv, a) = level(at: end, shelter: s, alerts: alerts, site: site.site)
                    let h = s.hours(at: lv)
                    r.level.append(lv); r.hours.append(h); r.alert.append(a)
                    let energy = s.loadEnergyKWh(hours: h)
                    for (j, b) in bats.enumerated() {
                        let share = totalUsable > 0 ? usable[j] / totalUsable : 1 / Double(bats.count)
                        held[j].append(energy * share / b.dischargeEfficiency)
                    }
                }
                for (j, b) in bats.enumerated() { r.heldKWh[b.id] = held[j] }
                out.append(r)
            }
        }
        return out
    }

    /// The requirements as reserve floors for the dispatcher: one floor per run of equal held
    /// energy per battery (zero runs omitted), bounds on slot end instants.
    public static func floors(_ reqs: [ShelterRequirement], start: Int64, step: SlotLength) -> [ReserveFloor] {
        var out: [ReserveFloor] = []
        for r in reqs {
            for (id, held) in r.heldKWh.sorted(by: { $0.key < $1.key }) {
                var t = 0
                while t < held.count {
                    var u = t
                    while u + 1 < held.count && held[u + 1] == held[t] { u += 1 }
                    if held[t] > 0 {
                        out.append(ReserveFloor(batteryID: id, from: start + Int64((t + 1) * step.seconds),
                                                to: start + Int64((u + 1) * step.seconds), kWh: held[t], holder: r.shelter.id))
                    }
                    t = u + 1
                }
            }
        }
        return out
    }
}
