import VPPCore

// Shared by the SQLite and PostgreSQL ingest sinks, so both drivers check telemetry alike.

/// The checks of `TelemetrySink` (documented there), as a pure function of the sample, the
/// battery's config and what is stored: returns the SoC [Wh] to store or the reject reason.
public enum TelemetryCheck {
    /// `config`: the battery's config (nil: no active battery of that id); `lastInFile`: the
    /// instant of this battery's previous sample in the same upload.
    public static func check(_ s: TelemetrySample, config: BatteryConfig?, lastInFile: Int64?, receivedAt: Int64)
        -> Result<Int64, TelemetryReject> {
        guard let config else { return .failure(.init("unknown battery \(s.batteryID): no active battery asset of that id in the loaded site")) }
        let when = KSTDateTime(epochSeconds: s.measuredAt)
        if s.measuredAt > receivedAt {
            return .failure(.init("time \(when) KST is in the future (received at \(KSTDateTime(epochSeconds: receivedAt)) KST)"))
        }
        let cap = config.capacityKWh
        let socWh: Int64
        switch s.soc {
        case .pct(let p):
            guard p.isFinite, p >= 0, p <= 100 else {
                return .failure(.init("soc_pct \(p) outside [0, 100] % of \(s.batteryID)"))
            }
            socWh = Int64((p / 100 * cap * 1000).rounded())
        case .wh(let wh):
            guard wh >= 0, Double(wh) <= cap * 1000 else {
                return .failure(.init("soc_kwh \(Double(wh) / 1000) outside [0, \(cap)] (capacity_kwh of \(s.batteryID))"))
            }
            socWh = wh
        }
        if let w = s.powerW {
            let kw = Double(w) / 1000
            if kw > config.maxDischargeKW {
                return .failure(.init("power_kw \(kw) discharge beyond max_discharge_kw \(config.maxDischargeKW) of \(s.batteryID)"))
            }
            if -kw > config.maxChargeKW {
                return .failure(.init("power_kw \(kw) charge beyond max_charge_kw \(config.maxChargeKW) of \(s.batteryID)"))
            }
        }
        if let last = lastInFile {
            if s.measuredAt == last {
                return .failure(.init("duplicate time: \(s.batteryID) at \(when) KST already given earlier in this upload"))
            }
            if s.measuredAt < last {
                return .failure(.init("out of order: \(s.batteryID) at \(when) KST goes backwards in this upload (previous row \(KSTDateTime(epochSeconds: last)) KST)"))
            }
        }
        return .success(socWh)
    }
}

public struct TelemetryReject: Error, Sendable {
    public var reason: String
    public init(_ r: String) { reason = r }
}

