import Foundation
import VPPCore
import VPPStore

/// Where a dispatch run starts each battery's state of charge (issue 12 item 3), per battery:
/// 1. the newest stored telemetry SoC measured at or before `now` and no older than
///    `maxAgeS` (default 30 min);
/// 2. else the previous successful run's planned SoC for the slot the run starts in, with a
///    warning naming the battery and how old its newest telemetry is (or that it has none);
/// 3. else the config's `initial_soc_pct` (the builder's default), with a warning.
public struct InitialSoC: Sendable, Equatable {
    /// Start SoC of the batteries that have one from telemetry or the previous plan [kWh].
    public var socKWh: [String: Double]
    /// Which source each battery's SoC came from.
    public var sourceByBattery: [String: String]
    /// One line per battery that did not start from fresh telemetry.
    public var warnings: [String]

    /// Telemetry this old or older is stale [s] (site config `[dispatch] telemetry_max_age_min`).
    public static let defaultMaxAgeS: Int64 = 30 * 60

    /// A one-line summary for the run record: counts per source, then the warnings.
    public var summary: String {
        var counts: [String: Int] = [:]
        for s in sourceByBattery.values { counts[s, default: 0] += 1 }
        let parts = counts.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }
        var s = parts.joined(separator: ", ")
        if !warnings.isEmpty { s += "; warnings: " + warnings.joined(separator: "; ") }
        return s
    }

    /// `siteID`: whose dispatch runs may give a planned SoC (nil: any run's).
    public static func resolve(batteryIDs: [String], telemetry: (any TelemetryStore)?, dispatch: any DispatchStore, siteID: String? = nil,
                               now: Int64, slotStart: Int64, maxAgeS: Int64) async throws -> InitialSoC {
        let fresh = try await telemetry?.latestTelemetry(at: now, notBefore: now - maxAgeS) ?? [:]
        let newestAny = fresh.count == batteryIDs.count ? fresh : (try await telemetry?.latestTelemetry(at: now, notBefore: nil) ?? [:])
        let planned = try await dispatch.plannedSoC(at: slotStart, siteID: siteID)
        var out = InitialSoC(socKWh: [:], sourceByBattery: [:], warnings: [])
        let maxAgeMin = maxAgeS / 60
        for id in batteryIDs {
            if let t = fresh[id] {
                out.socKWh[id] = Double(t.socWh) / 1000
                out.sourceByBattery[id] = "telemetry"
                continue
            }
            let why: String
            if let old = newestAny[id] {
                why = "newest telemetry of \(id) is \((now - old.measuredAt) / 60) min old (at \(KSTDateTime(epochSeconds: old.measuredAt)) KST), older than telemetry_max_age_min \(maxAgeMin)"
            } else {
                why = "no telemetry for \(id)"
            }
            if let p = planned[id] {
                out.socKWh[id] = Double(p) / 1000
                out.sourceByBattery[id] = "previous run's planned SoC"
                out.warnings.append("\(why); using the previous run's planned SoC \(fmtNum(Double(p) / 1000)) kWh")
            } else {
                out.sourceByBattery[id] = "config initial SoC"
                out.warnings.append("\(why), and the newest stored plan has no slot ending by \(KSTDateTime(epochSeconds: slotStart)) KST "
                                    + "(none stored, or it starts at this slot); using the config's initial_soc_pct")
            }
        }
        return out
    }
}
