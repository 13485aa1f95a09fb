import Foundation
import VPPCore
import VPPStore

/// A district-year of SYNTHETIC hourly rollups (a sine-shaped day of PV and load with seeded
/// noise): the load fixture of `vpp serve --seed-synthetic-year` and the server benchmarks.
/// Not data: never used for figures about a real district.
public enum SyntheticRollups {
    /// Rows for each dong in `dongs`, `hours` hours from `from` [UTC epoch s], deterministic for `seed`.
    public static func rows(dongs: [String], from: Int64, hours: Int, seed: UInt64) -> [(dongCode: String, rollup: HourlyRollup)] {
        var rng = SplitMix64(seed: seed)
        func rnd() -> Int64 { Int64(rng.next() % 1000) }
        var out: [(dongCode: String, rollup: HourlyRollup)] = []
        out.reserveCapacity(dongs.count * hours)
        for (di, d) in dongs.enumerated() {
            for h in 0..<hours {
                let t = from + Int64(h) * 3600
                let kstHour = Int(((t + 32400) / 3600) % 24)
                let sun: Double = max(0.0, sin(Double(kstHour - 6) / 12.0 * Double.pi))
                let gen: Int64 = Int64(sun * Double(80_000 + 1000 * di)) + rnd() * 10
                let load: Int64 = Int64(150_000 + 40_000 * sin(Double(kstHour - 14) / 24.0 * 2 * Double.pi)) + rnd() * 50
                let charge: Int64 = kstHour >= 10 && kstHour < 14 ? min(gen / 3, 50_000) : 0
                let discharge: Int64 = kstHour >= 18 && kstHour < 22 ? 45_000 : 0
                let net: Int64 = load - gen + charge - discharge
                out.append((d, HourlyRollup(hourStart: t, generationWh: gen, consumptionWh: load, chargeWh: charge, dischargeWh: discharge,
                                            importWh: max(net, 0), exportWh: max(-net, 0), generationCoveredS: 3600,
                                            consumptionCoveredS: 3600)))
            }
        }
        return out
    }
}
