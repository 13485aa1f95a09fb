import VPPConfig
import VPPStoreSQLite
import Tracking
import Ingestion
import Forecast
import Dispatcher
import Foundation
import VPPCore

/// Recorded profiles used when no forecast is stored (and by the benchmarks):
/// - PV: EWP Dangjin plant (1,000 kW nameplate), hourly metered energy, HOUR-ENDING stamps
///   ('2018-3-1 1:00' = 00:00–01:00), `shared/data/pv-dangjin/energy.csv` column `dangjin`;
///   normalised to kW per kWp.
/// - Load: GIST campus apartment feeders (e.g. 교원아파트 faculty apartments), hourly active
///   power readings at hh:00 (treated as the hour-beginning average), Jul–Aug 2022,
///   `shared/data/gist-campus/load_hourly_by_feeder.csv`; normalised to mean 1.
public struct RecordedProfiles: Sendable {
    /// kW per kWp by hour-beginning UTC epoch.
    public var pvPerKWp: [Int64: Double]
    /// Load shape (mean 1) by hour-beginning UTC epoch.
    public var loadShape: [Int64: Double]

    public static let dangjinCapacityKW = 1000.0

    public static func load(dataDir: String, feeder: String = "교원아파트") throws -> RecordedProfiles {
        RecordedProfiles(pvPerKWp: try loadDangjin(dataDir + "/pv-dangjin/energy.csv"),
                         loadShape: try loadFeeder(dataDir + "/gist-campus/load_hourly_by_feeder.csv", feeder: feeder))
    }

    static func readBytes(_ path: String) throws -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: path), String(data: d, encoding: .utf8) != nil else {
            throw DispatchError.io("cannot read \(path)")
        }
        return [UInt8](d)
    }

    /// Dangjin column `dangjin` (kWh per hour, hour-ending) per kWp, by hour-beginning epoch.
    static func loadDangjin(_ path: String) throws -> [Int64: Double] {
        let table = try HourlyEnergyTable.load(path: path, convention: .hourEnding)
        var out: [Int64: Double] = [:]
        for (k, v) in (table.columns["dangjin"] ?? []).enumerated() {
            if let v, v.isFinite { out[table.slotStarts[k]] = v / dangjinCapacityKW }
        }
        guard !out.isEmpty else { throw DispatchError.io("\(path): no PV rows read") }
        return out
    }

    /// The feeder's hourly power normalised to mean 1, by stamp epoch (positive readings only).
    static func loadFeeder(_ path: String, feeder: String) throws -> [Int64: Double] {
        var raw: [Int64: Double] = [:]
        for r in try GISTFeeder.hourlyKW(path: path, feeder: feeder) where r.kW > 0 { raw[r.epoch] = r.kW }
        guard !raw.isEmpty else { throw DispatchError.io("\(path): feeder \(feeder) not found") }
        let mean = raw.values.reduce(0, +) / Double(raw.count)
        return raw.mapValues { $0 / mean }
    }

    /// PV per kWp for the hour containing `epoch`, using the same month/day/hour of any year
    /// present (the Dangjin data covers 2018-03..2020-02), else 0.
    public func pv(at epoch: Int64, year: Int? = nil) -> Double {
        let t = KSTDateTime(epochSeconds: epoch)
        for y in [year ?? t.year, 2019, 2018, 2020] {
            let e = KSTDateTime(year: y, month: t.month, day: min(t.day, KST.daysInMonth(year: y, month: t.month)), hour: t.hour).epochSeconds
            if let v = pvPerKWp[e] { return v }
        }
        return 0
    }

    /// Load shape for the hour containing `epoch`: same hour and weekday position of the
    /// Jul–Aug 2022 feeder record (days wrapped over the 62 recorded days).
    public func load(at epoch: Int64) -> Double {
        let t = KSTDateTime(epochSeconds: epoch)
        let first = KSTDateTime(year: 2022, month: 7, day: 1).epochSeconds
        let days = Int64((KSTDateTime(year: t.year, month: t.month, day: t.day).epochSeconds - KSTDateTime(year: 2022, month: 7, day: 1).epochSeconds) / 86_400)
        let wrapped = ((days % 62) + 62) % 62
        return loadShape[first + wrapped * 86_400 + Int64(t.hour * 3600)] ?? 1
    }
}

extension SiteProblemBuilder {
    /// Per-dong load and PV series [kW] from the recorded profiles.
    public func recordedSeries(_ prof: RecordedProfiles, start: Int64, step: SlotLength, slots: Int, pvYear: Int? = nil)
        -> [(load: [Double], pv: [Double])] {
        site.dongs.map { d in
            let base = Double(d.households) * participation * meanHouseholdKW
            let kwp = d.pvCapacity.kWp
            var load: [Double] = [], pv: [Double] = []
            for t in 0..<slots {
                let e = start + Int64(t * step.seconds)
                load.append(base * prof.load(at: e)); pv.append(kwp * prof.pv(at: e, year: pvYear))
            }
            return (load, pv)
        }
    }

    /// Hourly SMP [KRW/kWh] by hour-beginning epoch from `kpx_demand_smp_hourly_2021.csv`
    /// (`interval_start_kst` is hour-beginning).
    public static func loadSMP(_ path: String) throws -> [Int64: Double] {
        var out: [Int64: Double] = [:]
        var header = true
        try CSVRecords.forEach(RecordedProfiles.readBytes(path)) { _, f in
            if header { header = false; return }
            guard f.count >= 5, let s = KSTDateTime.parse(utf8: f[0]), let v = Double(f.string(4)) else { return }
            out[s.epochSeconds] = v
        }
        return out
    }
}
