import Foundation
import VPPStore

/// VEN telemetry reports → battery telemetry samples (issue 13).
///
/// Payload types read, from the specification's enumerations (report-payloads.schema.yaml):
/// - `STORAGE_CHARGE_LEVEL`: SoC as a fraction 0…1 of the capacity, units `PERCENT`
///   (units.schema.yaml: "Percentage, represented as a floating point number between -1.0 and
///   1.0"; the payload's schema bounds its value to [0, 1]). No units means `PERCENT`; any other
///   unit (a `KWH` reading would break the payload's [0, 1] bound) is refused as not convertible.
/// - `DEMAND`: real power drawn over the interval (≥ 0, charging) in `KW`; stored with the setpoint
///   sign convention (< 0 charge). The enumerations define no payload for a storage resource's
///   discharge power, so discharge is not read from reports (the SoC is what dispatch needs).
/// Anything else is ignored. The reading's instant is the end of its interval (start + duration).
public enum ReportTelemetry {
    /// Why a report was refused: the API answers 400 (or 403 for a foreign resource) with this text.
    public struct Refusal: Error, Equatable, Sendable {
        public var forbidden: Bool
        public var detail: String
    }

    /// Samples of `report` for a VEN owning `resources` (battery ids), with `capacityWh` per
    /// battery, at `now` [UTC epoch s]. Throws `Refusal` naming the resource and interval at fault.
    public static func samples(_ report: Report, reportID: String, resources: Set<String>, capacityWh: [String: Int64],
                               now: Int64) throws -> [TelemetrySample] {
        var units: [String: String] = [:]
        for d in report.payloadDescriptors ?? [] { units[d.payloadType] = d.units?.uppercased() }
        var out: [TelemetrySample] = []
        for r in report.resources {
            guard resources.contains(r.resourceName) else {
                throw Refusal(forbidden: true, detail: "resource \(r.resourceName) is not one of this VEN's resources (\(resources.sorted().joined(separator: ", ")))")
            }
            for iv in r.intervals {
                let at = "resource \(r.resourceName) interval \(iv.id)"
                guard let period = iv.intervalPeriod ?? r.intervalPeriod, let startText = period.start else {
                    throw Refusal(forbidden: false, detail: "\(at): no intervalPeriod.start (the reading's time)")
                }
                guard let start = OADRTime.parse(startText) else {
                    throw Refusal(forbidden: false, detail: "\(at): start '\(startText)' is not an RFC 3339 date-time with an offset")
                }
                var durationS: Int64 = 0
                if let d = period.duration {
                    guard let s = OADRTime.seconds(ofDuration: d) else {
                        throw Refusal(forbidden: false, detail: "\(at): duration '\(d)' is not an ISO 8601 duration of weeks/days/hours/minutes/seconds")
                    }
                    durationS = s
                }
                let measuredAt = start + durationS
                guard measuredAt <= now else {
                    throw Refusal(forbidden: false, detail: "\(at): the interval ends at \(OADRTime.format(epochS: measuredAt)), in the future (now \(OADRTime.format(epochS: now)))")
                }
                var socWh: Int64?, powerW: Int64?
                for p in iv.payloads {
                    switch p.type {
                    case "STORAGE_CHARGE_LEVEL":
                        socWh = try soc(p, unit: units[p.type] ?? "PERCENT", capacityWh: capacityWh[r.resourceName], at: at)
                    case "DEMAND":
                        let unit = units[p.type] ?? "KW"
                        guard unit == "KW" else { throw Refusal(forbidden: false, detail: "\(at): DEMAND in \(unit) cannot be converted to W (send KW)") }
                        let kw = try number(p, at: at)
                        guard kw >= 0, kw <= 1e6 else { throw Refusal(forbidden: false, detail: "\(at): DEMAND \(kw) kW is outside 0…1000000 kW") }
                        powerW = -Int64((kw * 1000).rounded())
                    default: continue
                    }
                }
                guard let socWh else {
                    throw Refusal(forbidden: false, detail: "\(at): no STORAGE_CHARGE_LEVEL payload (the state of charge vpp dispatches from)")
                }
                out.append(TelemetrySample(batteryID: r.resourceName, measuredAt: measuredAt, soc: .wh(socWh), powerW: powerW))
            }
        }
        return out
    }

    static func number(_ p: ValuesMap, at: String) throws -> Double {
        guard p.values.count == 1, let v = p.values[0].double, v.isFinite else {
            throw Refusal(forbidden: false, detail: "\(at): \(p.type) needs exactly one number")
        }
        return v
    }

    static func soc(_ p: ValuesMap, unit: String, capacityWh: Int64?, at: String) throws -> Int64 {
        let v = try number(p, at: at)
        switch unit {
        case "PERCENT":
            guard (0...1).contains(v) else {
                throw Refusal(forbidden: false, detail: "\(at): STORAGE_CHARGE_LEVEL \(v) is outside 0…1 (PERCENT is a fraction of the usable capacity)")
            }
            guard let cap = capacityWh else { throw Refusal(forbidden: false, detail: "\(at): the battery's capacity is unknown to vpp") }
            return Int64((v * Double(cap)).rounded())
        default:
            throw Refusal(forbidden: false, detail: "\(at): STORAGE_CHARGE_LEVEL in \(unit) cannot be converted (the enumeration defines it as a PERCENT fraction 0…1 of capacity)")
        }
    }
}
