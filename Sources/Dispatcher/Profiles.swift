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

    static func read(_ path: String) throws -> String {
        guard let d = FileManager.default.contents(atPath: path), let s = String(data: d, encoding: .utf8) else {
            throw DispatchError.io("cannot read \(path)")
        }
        return s
    }

    static func loadDangjin(_ path: String) throws -> [Int64: Double] {
        var out: [Int64: Double] = [:]
        var lineNo = 0
        for line in try read(path).split(separator: "\n", omittingEmptySubsequences: true) {
            lineNo += 1
            if lineNo == 1 { continue }
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count >= 4, let stamp = KSTDateTime.parse(utf8: Array(f[0].utf8)) else { continue }
            guard let v = Double(f[3].trimmingCharacters(in: .whitespacesAndNewlines)), v.isFinite, v >= 0 else { continue }
            let start = StampConvention.hourEnding.slotStart(stampEpoch: stamp.epochSeconds, length: .hour)
            out[start] = v / dangjinCapacityKW
        }
        guard !out.isEmpty else { throw DispatchError.io("\(path): no PV rows read") }
        return out
    }

    static func loadFeeder(_ path: String, feeder: String) throws -> [Int64: Double] {
        var raw: [Int64: Double] = [:]
        for line in try read(path).split(separator: "\n") where line.contains(feeder) {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count >= 6, f[4] == Substring(feeder), let stamp = KSTDateTime.parse(utf8: Array(f[0].utf8)),
                  let kw = Double(f[5]), kw > 0 else { continue }
            raw[stamp.epochSeconds] = kw
        }
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

/// Builds a `DispatchProblem` for a site config over a horizon, from recorded profiles or
/// given per-dong series.
public struct SiteProblemBuilder: Sendable {
    public var site: SiteConfig
    /// Mean household electric load [kW] (≈ 300 kWh/month Seoul apartment; ESTIMATE).
    public var meanHouseholdKW = 0.42
    /// Share of the dong's households whose load is behind the dong VPP's meters [0–1] (ESTIMATE).
    public var participation = 0.05
    /// Demand charge [KRW/kW per month] (KEPCO 일반용(을) 고압A 선택II basic charge ≈ 8,320; ESTIMATE),
    /// prorated to the horizon.
    public var demandChargeKRWPerKWMonth = 8320.0
    /// Optional hourly export price series [KRW/kWh] by hour-beginning epoch (e.g. SMP).
    public var exportSeries: [Int64: Double]? = nil
    public var weights = ObjectiveWeights()
    /// Raised resilience reserve in time windows (e.g. heat-wave alerts: cooling-shelter backup),
    /// applied to every battery: [from, to) UTC epoch s and the reserve [% of capacity].
    public var reserveWindows: [ReserveWindow] = []
    /// Optional limit on the sum of all dongs' import (shared transformer) [kW].
    public var sharedImportLimitKW: Double? = nil

    public struct ReserveWindow: Sendable, Equatable {
        public var from: Int64, to: Int64, pct: Double
        public init(from: Int64, to: Int64, pct: Double) { self.from = from; self.to = to; self.pct = pct }
        /// Parses `2026-07-06T12:00/2026-07-06T20:00=60` (KST).
        public init(text: String) throws {
            let eq = text.split(separator: "=", maxSplits: 1)
            let ft = eq.first.map { $0.split(separator: "/", maxSplits: 1) } ?? []
            guard eq.count == 2, ft.count == 2, let a = KSTDateTime.parse(String(ft[0])), let b = KSTDateTime.parse(String(ft[1])),
                  let pct = Double(eq[1]), pct >= 0, pct <= 100, a < b else {
                throw DispatchError.invalidInput("reserve window '\(text)': expected FROM/TO=PCT, e.g. 2026-07-06T12:00/2026-07-06T20:00=60")
            }
            self.init(from: a.epochSeconds, to: b.epochSeconds, pct: pct)
        }
    }

    public init(site: SiteConfig) { self.site = site }

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

    /// The problem for `series` (one entry per dong, in config order) and initial SoCs by battery id.
    public func problem(start: Int64, step: SlotLength, slots: Int, series: [(load: [Double], pv: [Double])],
                        initialSoCKWh: [String: Double] = [:]) throws -> DispatchProblem {
        guard series.count == site.dongs.count else { throw DispatchError.invalidInput("series for \(series.count) dongs, site has \(site.dongs.count)") }
        var prices: [Double] = [], periods: [LoadPeriod] = [], export: [Double] = [], ef: [Double] = []
        for t in 0..<slots {
            let e = start + Int64(t * step.seconds)
            guard let rate = site.tariff(at: e)?.rate(at: e) else {
                throw DispatchError.invalidInput("no tariff period for \(KSTDateTime(epochSeconds: e)) KST in the site config")
            }
            prices.append(rate.rateKRWPerKWh); periods.append(rate.period)
            let hour = Slot(containing: e, length: .hour).start
            export.append(exportPrice(hour: hour))
            ef.append(site.emissionFactor(forYear: KSTDateTime(epochSeconds: e).year)?.tco2eqPerMWh ?? 0)
        }
        let dongs = zip(site.dongs, series).map { d, s in
            DongInput(code: d.code, loadKW: s.load, pvKW: s.pv, importLimitKW: d.importLimitKW, exportLimitKW: d.exportLimitKW,
                      batteries: d.batteries.map { BatteryInput(config: $0, initialSocKWh: initialSoCKWh[$0.id]) })
        }
        let days = Double(slots * step.seconds) / 86_400
        var dongs2 = dongs
        if !reserveWindows.isEmpty {
            for k in dongs2.indices {
                for j in dongs2[k].batteries.indices {
                    var bt = dongs2[k].batteries[j]
                    bt.reserveKWh = (0..<slots).map { t in
                        let e = start + Int64(t * step.seconds)
                        let raised = reserveWindows.filter { e >= $0.from && e < $0.to }.map { $0.pct / 100 * bt.capacityKWh }.max() ?? 0
                        return min(bt.socMaxKWh, max(bt.constantReserveKWh, raised))
                    }
                    dongs2[k].batteries[j] = bt
                }
            }
        }
        return DispatchProblem(startEpoch: start, step: step, slotCount: slots, dongs: dongs2, importPriceKRWPerKWh: prices,
                               exportPriceKRWPerKWh: export, emissionKgPerKWh: ef, loadPeriods: periods,
                               demandChargeKRWPerKW: demandChargeKRWPerKWMonth * days / 30,
                               sharedImportLimitKW: sharedImportLimitKW, weights: weights)
    }

    /// Export value for an hour: the series' value at that hour, else at the same month, day and
    /// hour of the series' year (the stored SMP covers 2021-01..08), else the flat config price.
    public func exportPrice(hour: Int64) -> Double {
        guard let s = exportSeries else { return site.export.flatKRWPerKWh }
        if let v = s[hour] { return v }
        let t = KSTDateTime(epochSeconds: hour)
        let alt = KSTDateTime(year: 2021, month: t.month, day: min(t.day, KST.daysInMonth(year: 2021, month: t.month)), hour: t.hour).epochSeconds
        return s[alt] ?? site.export.flatKRWPerKWh
    }

    /// Hourly SMP [KRW/kWh] by hour-beginning epoch from `kpx_demand_smp_hourly_2021.csv`
    /// (`interval_start_kst` is hour-beginning).
    public static func loadSMP(_ path: String) throws -> [Int64: Double] {
        var out: [Int64: Double] = [:]
        for (i, line) in try RecordedProfiles.read(path).split(separator: "\n").enumerated() where i > 0 {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count >= 5, let s = KSTDateTime.parse(utf8: Array(f[0].utf8)),
                  let v = Double(f[4].trimmingCharacters(in: .whitespacesAndNewlines)) else { continue }
            out[s.epochSeconds] = v
        }
        return out
    }
}
