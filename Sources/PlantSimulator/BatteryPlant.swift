import Foundation
import VPPCore
import VPPStore

/// A battery as a plant (issue 12 item 5): follows power setpoints with the battery's one-way
/// efficiencies and its power and SoC limits, plus seeded noise on the delivered power, and
/// reports what it did as telemetry samples (one per setpoint slot, at the slot's END).
///
/// Model (the same energy balance as the dispatch LP, DispatchModel.swift):
///   SoC(t+Δt) = SoC(t) + η_c · P_ch · Δt − P_dis · Δt / η_d        [kWh, kW, h]
/// with P = setpoint · (1 + ε), ε ~ N(0, (noise_pct / 100)²) drawn by Box–Muller
/// (G. E. P. Box, M. E. Muller, "A note on the generation of random normal deviates",
/// Ann. Math. Statist. 29 (1958) 610–611) from a SplitMix64 stream, then limited to
/// `max_discharge_kw` / `max_charge_kw` and to what keeps SoC within [soc_min_pct, soc_max_pct].
/// Sign as in the setpoint files: P > 0 discharge, P < 0 charge (AC terminal).
public struct BatteryPlant: Sendable {
    /// One setpoint: hold `powerKW` over [slotStart, slotStart + durationS).
    public struct Setpoint: Sendable, Equatable {
        public var slotStart: Int64
        public var durationS: Int
        /// > 0 discharge, < 0 charge [kW].
        public var powerKW: Double
        public init(slotStart: Int64, durationS: Int, powerKW: Double) {
            self.slotStart = slotStart; self.durationS = durationS; self.powerKW = powerKW
        }
    }

    /// The plant's state: stored energy and the cumulative AC counters [Wh].
    public struct State: Sendable, Equatable {
        public var socWh: Double
        public var chargedWh: Double
        public var dischargedWh: Double
        public init(socWh: Double, chargedWh: Double = 0, dischargedWh: Double = 0) {
            self.socWh = socWh; self.chargedWh = chargedWh; self.dischargedWh = dischargedWh
        }
    }

    public var battery: BatteryConfig
    public var state: State
    /// Standard deviation of the relative power error [%] (0 = follows setpoints exactly).
    public var noisePct: Double

    public init(battery: BatteryConfig, state: State, noisePct: Double = 0) {
        self.battery = battery; self.state = state; self.noisePct = noisePct
    }

    var socMinWh: Double { battery.capacityKWh * battery.socMinPct * 10 }
    var socMaxWh: Double { battery.capacityKWh * battery.socMaxPct * 10 }

    /// One standard normal deviate (Box–Muller, cosine branch).
    static func gaussian<R: RandomNumberGenerator>(_ rng: inout R) -> Double {
        let u1 = max(Double.random(in: 0..<1, using: &rng), .leastNonzeroMagnitude)
        let u2 = Double.random(in: 0..<1, using: &rng)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    /// The power the plant delivers for one setpoint [kW] (noise, then limits).
    mutating func delivered<R: RandomNumberGenerator>(_ sp: Setpoint, rng: inout R) -> Double {
        let hours = Double(sp.durationS) / 3600
        var p = sp.powerKW
        if noisePct > 0 && p != 0 { p *= 1 + noisePct / 100 * Self.gaussian(&rng) }
        // Noise never turns a charge into a discharge.
        if sp.powerKW > 0 { p = max(0, p) } else if sp.powerKW < 0 { p = min(0, p) }
        if p > 0 {
            let availableKW = max(0, (state.socWh - socMinWh) / 1000 * battery.dischargeEfficiency / hours)
            p = min(p, battery.maxDischargeKW, availableKW)
        } else if p < 0 {
            let roomKW = max(0, (socMaxWh - state.socWh) / 1000 / battery.chargeEfficiency / hours)
            p = max(p, -battery.maxChargeKW, -roomKW)
        }
        return p
    }

    /// Follows the setpoints in time order within [from, to): returns one sample per slot that
    /// ends at or before `to`, measured at the slot's end. Slots outside the window are skipped;
    /// between slots the plant idles (no self-discharge modelled).
    public mutating func follow<R: RandomNumberGenerator>(_ setpoints: [Setpoint], from: Int64, to: Int64, rng: inout R)
        -> [TelemetrySample] {
        var out: [TelemetrySample] = []
        for sp in setpoints.sorted(by: { $0.slotStart < $1.slotStart })
        where sp.durationS > 0 && sp.slotStart >= from && sp.slotStart + Int64(sp.durationS) <= to {
            let p = delivered(sp, rng: &rng)
            let hours = Double(sp.durationS) / 3600
            if p > 0 {
                state.socWh -= p * 1000 * hours / battery.dischargeEfficiency
                state.dischargedWh += p * 1000 * hours
            } else if p < 0 {
                state.socWh += -p * 1000 * hours * battery.chargeEfficiency
                state.chargedWh += -p * 1000 * hours
            }
            state.socWh = min(max(state.socWh, 0), battery.capacityKWh * 1000)
            out.append(TelemetrySample(batteryID: battery.id, measuredAt: sp.slotStart + Int64(sp.durationS),
                                       soc: .wh(Int64(state.socWh.rounded())), powerW: Int64((p * 1000).rounded()),
                                       chargedWh: Int64(state.chargedWh.rounded()), dischargedWh: Int64(state.dischargedWh.rounded())))
        }
        return out
    }
}
