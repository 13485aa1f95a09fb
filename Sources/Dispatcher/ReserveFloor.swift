import VPPCore

/// Energy one holder (e.g. a cooling shelter) needs a battery to keep stored during a window
/// [kWh on top of the battery's own SoC minimum]. SoC in the LP is end-of-slot, so a floor
/// binds every slot whose END instant lies in [from, to] (UTC epoch s, both inclusive): the
/// energy is there from `from` (e.g. the alert start minus its lead time) through `to`.
public struct ReserveFloor: Sendable, Equatable, Codable {
    public var batteryID: String
    public var from: Int64, to: Int64
    public var kWh: Double
    /// Who needs it, e.g. the shelter id.
    public var holder: String
    public init(batteryID: String, from: Int64, to: Int64, kWh: Double, holder: String) {
        self.batteryID = batteryID; self.from = from; self.to = to; self.kWh = kWh; self.holder = holder
    }
    /// Whether the floor binds the slot [start, start + step).
    @inlinable public func binds(slotStart: Int64, step: SlotLength) -> Bool {
        let end = slotStart + Int64(step.seconds)
        return end >= from && end <= to
    }
}

extension DispatchProblem {
    /// Held energy per battery and slot from `floors` (floors of different holders in the same
    /// slot add up) [kWh], scaled by `scale` (1 = as required). Batteries without floors are absent.
    public func heldKWh(_ floors: [ReserveFloor], scale: Double = 1) -> [String: [Double]] {
        var out: [String: [Double]] = [:]
        for f in floors {
            var a = out[f.batteryID] ?? [Double](repeating: 0, count: slotCount)
            for t in 0..<slotCount where f.binds(slotStart: startEpoch + Int64(t * step.seconds), step: step) { a[t] += f.kWh * scale }
            out[f.batteryID] = a
        }
        return out
    }

    /// Raises each battery's per-slot reserve to at least its SoC minimum plus the energy its
    /// floors hold in that slot. Not capped at SoC max: a requirement the battery cannot hold
    /// makes the LP infeasible with a `reserve_floor` cause instead of being dropped silently.
    public mutating func applyReserveFloors(_ floors: [ReserveFloor], scale: Double = 1) {
        guard !floors.isEmpty else { return }
        let held = heldKWh(floors, scale: scale)
        for k in dongs.indices {
            for j in dongs[k].batteries.indices {
                var b = dongs[k].batteries[j]
                guard let h = held[b.id] else { continue }
                b.reserveKWh = (0..<slotCount).map { t in h[t] > 0 ? max(b.reserve(t), b.socMinKWh + h[t]) : b.reserve(t) }
                dongs[k].batteries[j] = b
            }
        }
    }
}
