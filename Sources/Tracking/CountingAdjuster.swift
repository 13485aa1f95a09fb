import Forecast
import VPPCore
import VPPStore

// Count everything the district has, each kWh once (issue 12, items 1, 2 and 4). Applied to
// the per-dong hourly rollups before the energy accounting:
//
// 1. Meter hierarchy. Ingestion adds every consumption meter of a dong into its rollup, so a
//    feeder and the complex meters under it are summed. For each hour the counted energy of a
//    meter's subtree is
//        subtree(m) = Σ subtree(children)                       if m has no data that hour,
//        subtree(m) = Σ subtree(children) + rest(m)             otherwise, where
//        rest(m)    = 0                                         if children with data for the whole
//                                                               hour cover all of m's premises,
//                   = max(0, E_m − Σ subtree(children))         else (the parent's energy minus its
//                                                               children's = the rest of its coverage).
//    The dong's consumption is corrected by (Σ E of the hierarchy's meters with data) − Σ subtree(roots):
//    each kWh is counted once, at the finest level with data.
// 2. Monthly uploads. A meter's monthly register usage (summed over its household units) for a
//    premises-month is spread over the month's hours with weights w_h: the dong's measured
//    consumption in that hour when it has interval data; else the dong's mean measured
//    consumption for the same day type (working day / weekend-or-holiday) and hour of day in
//    that month; else the configured standard residential profile; else flat (noted). An hour
//    in which any meter covering the premises has interval data keeps the interval data (the
//    monthly share of that hour is not added); the month's difference monthly − interval is
//    reported when interval data cover the whole month.
// 3. Unmetered PV. A PV fleet with no reading in the window is estimated per hour as
//        E_u = E_ref × P_cs,u / P_cs,ref
//    with E_ref the measured output of the metered fleets of the same dong that hour (else of the
//    whole district) and P_cs the clear-sky AC output of the physical chain (Ineichen–Perez clear
//    sky, Hay–Davies plane of array, PVWatts; Sources/Forecast/PVSystem.swift) for each fleet's
//    kWp, tilt and azimuth: the ratio scales by kWp and corrects for orientation. When no
//    metered PV exists anywhere in the district during the window, E_u = the clear-sky output
//    itself (an upper bound; the weather archive is not used on this branch), in the hours for
//    which the store holds any data of the scope.

/// Estimates and corrections of one dong-hour [Wh].
public struct HourCounts: Sendable, Equatable {
    /// Estimated generation of unmetered PV fleets added to the hour.
    public var pvEstimatedWh = 0.0
    /// Consumption estimated from monthly uploads added to the hour.
    public var monthlyEstimatedWh = 0.0
    /// Consumption counted twice by the per-dong rollup (parent and child meters) and removed.
    public var hierarchyRemovedWh = 0.0
    public init() {}
}

/// A premises-month with a monthly upload: how it was counted.
public struct MonthlyUploadCheck: Sendable, Equatable {
    public enum Used: String, Sendable { case monthly, interval, mixed }
    public var dongCode: String
    public var meterID: String
    public var complex: String
    public var period: YearMonth
    public var units: Int
    public var monthlyKWh: Double
    /// Monthly energy added as "estimated from monthly" inside the report window [kWh].
    public var estimatedKWh: Double
    /// The part of it inside the report period [kWh] and the hours it was added to.
    public var estimatedInPeriodKWh: Double = 0
    public var estimatedHoursInPeriod: Int = 0
    /// Hours of the month with interval data for the premises, and the month's hours.
    public var intervalHours: Int
    public var monthHours: Int
    /// Interval energy of the premises over the month [kWh], when one meter covers exactly it.
    public var intervalKWh: Double?
    /// monthly − interval [kWh] when interval data cover the whole month.
    public var differenceKWh: Double?
    public var used: Used
    /// The shape the monthly energy was spread with.
    public var shape: String
}

/// An unmetered PV fleet's estimate over the window.
public struct PVFleetEstimate: Sendable, Equatable {
    public enum Method: String, Sendable {
        case dongMeteredPV = "dong_metered_pv", districtMeteredPV = "district_metered_pv", clearSkyModel = "clear_sky_model"
    }
    public var dongCode: String
    public var fleetID: String
    public var kWp: Double
    /// Estimated energy per method over the window [kWh].
    public var byMethodKWh: [String: Double]
    public var hoursWithoutReference: Int
}

/// What the counting step did, for the report.
public struct CountingSummary: Sendable, Equatable {
    public var monthlyChecks: [MonthlyUploadCheck] = []
    public var pvEstimates: [PVFleetEstimate] = []
    /// Consumption removed as double counted, per dong over the window [kWh].
    public var hierarchyRemovedKWh: [String: Double] = [:]
    public var notes: [String] = []
    public init() {}
}

/// Adjusted rollups and the per-hour estimates behind them.
public struct CountedRollups: Sendable {
    public var rollups: [String: [HourlyRollup]]
    public var hours: [String: [Int64: HourCounts]]
    public var summary: CountingSummary
}

public struct CountingAdjuster: Sendable {
    public let storage: Storage
    public let config: SiteConfig
    /// Air temperature and wind speed the clear-sky ratio assumes (the ratio hardly depends on them).
    /// ASSUMPTION: 20 °C, 1 m/s.
    public var assumedAirTempC = 20.0
    public var assumedWindMS = 1.0

    public init(storage: Storage, config: SiteConfig) { self.storage = storage; self.config = config }

    /// - Parameters:
    ///   - from, to: the hours to adjust [UTC epoch s, half-open] (the report's whole window).
    ///   - reportFrom: start of the report period: "hours without a reference" are counted from it.
    public func adjust(_ dongs: [DongConfig], rollups: [String: [HourlyRollup]], from: Int64, to: Int64,
                       reportFrom: Int64? = nil) async throws -> CountedRollups {
        var grid = RollupGrid(original: rollups)
        var hours: [String: [Int64: HourCounts]] = [:]
        var summary = CountingSummary()
        try await applyHierarchy(dongs, grid: &grid, hours: &hours, summary: &summary, from: from, to: to)
        try await applyMonthly(dongs, grid: &grid, hours: &hours, summary: &summary, from: from, to: to, periodFrom: reportFrom ?? from)
        try await applyUnmeteredPV(dongs, grid: &grid, hours: &hours, summary: &summary, from: from, to: to,
                                   statsFrom: reportFrom ?? from)
        return CountedRollups(rollups: grid.result(), hours: hours, summary: summary)
    }

    // MARK: 1. Meter hierarchy

    private func applyHierarchy(_ dongs: [DongConfig], grid: inout RollupGrid,
                                hours: inout [String: [Int64: HourCounts]], summary: inout CountingSummary,
                                from: Int64, to: Int64) async throws {
        for d in dongs {
            let cons = d.meters.filter { $0.role == .consumption }
            let parents = Set(cons.compactMap(\.parent))
            let inTree = cons.filter { $0.parent != nil || parents.contains($0.id) }
            guard !inTree.isEmpty else { continue }
            let data = try await storage.readings.assetHourly(assetIDs: inTree.map(\.id), from: from, to: to)
            let tree = MeterTree(meters: inTree)
            var allHours = Set<Int64>()
            for m in inTree { allHours.formUnion((data[m.id] ?? [:]).keys) }
            var removedTotal = 0.0
            for h in allHours {
                let removed = tree.doubleCounted(hour: h, data: data)
                guard removed != 0 else { continue }
                var r = grid.get(d.code, h) ?? HourlyRollup(hourStart: h, generationCoveredS: 0, consumptionCoveredS: 0)
                r.consumptionWh -= Int64(removed.rounded())
                grid.set(d.code, h, r)
                hours[d.code, default: [:]][h, default: HourCounts()].hierarchyRemovedWh += removed
                removedTotal += removed
            }
            summary.hierarchyRemovedKWh[d.code] = removedTotal / 1000
        }
    }

    // MARK: 2. Monthly uploads

    private func applyMonthly(_ dongs: [DongConfig], grid: inout RollupGrid,
                              hours: inout [String: [Int64: HourCounts]], summary: inout CountingSummary,
                              from: Int64, to: Int64, periodFrom: Int64) async throws {
        let meters = dongs.flatMap { d in d.meters.filter { $0.role == .consumption }.map { (d, $0) } }
        guard !meters.isEmpty else { return }
        let months = try await storage.readings.registerMonthly(assetIDs: meters.map(\.1.id), from: from, to: to)
        guard !months.isEmpty else { return }
        let holidays = KoreanHolidays()
        // Measured shape per dong, before any monthly estimate is added.
        var measured: [String: [Int64: HourlyRollup]] = [:]
        for code in Set(months.compactMap { rm in meters.first { $0.1.id == rm.assetID }?.0.code }) { measured[code] = grid.hours(code) }
        var intervalCache: [String: [String: [Int64: AssetHour]]] = [:]
        for rm in months {
            guard let (dong, meter) = meters.first(where: { $0.1.id == rm.assetID }) else { continue }
            let premises = meter.coveredPremises
            let covering = dong.meters.filter { $0.role == .consumption && !$0.coveredPremises.isDisjoint(with: premises) }
            if intervalCache[dong.code] == nil {
                let ids = dong.meters.filter { $0.role == .consumption }.map(\.id)
                intervalCache[dong.code] = try await storage.readings.assetHourly(assetIDs: ids, from: min(from, rm.period.startEpoch),
                                                                                   to: max(to, rm.period.endEpoch))
            }
            var data = intervalCache[dong.code] ?? [:]
            if rm.period.startEpoch < from || rm.period.endEpoch > to {
                // The month reaches outside the window: read its interval data in full.
                data = try await storage.readings.assetHourly(assetIDs: covering.map(\.id), from: rm.period.startEpoch, to: rm.period.endEpoch)
            }
            let mStart = rm.period.startEpoch, n = Int((rm.period.endEpoch - mStart) / 3600)
            var covered = [Bool](repeating: false, count: n)
            for m in covering { for (h, a) in data[m.id] ?? [:] where h >= mStart && h < rm.period.endEpoch && a.coveredS > 0 {
                covered[Int((h - mStart) / 3600)] = true
            } }
            let shape = monthShape(dong: dong.code, start: mStart, hours: n, measured: measured[dong.code] ?? [:], holidays: holidays)
            let total = shape.weights.reduce(0, +)
            var estimatedWh = 0.0, inPeriodWh = 0.0, inPeriodHours = 0
            for k in 0..<n where !covered[k] && total > 0 {
                let h = mStart + Int64(k) * 3600
                guard h >= from && h < to else { continue }
                let e = Double(rm.usageWh) * shape.weights[k] / total
                var r = grid.get(dong.code, h) ?? HourlyRollup(hourStart: h, generationCoveredS: 0, consumptionCoveredS: 0)
                r.consumptionWh += Int64(e.rounded())
                r.consumptionCoveredS = 3600
                grid.set(dong.code, h, r)
                hours[dong.code, default: [:]][h, default: HourCounts()].monthlyEstimatedWh += Double(Int64(e.rounded()))
                estimatedWh += Double(Int64(e.rounded()))
                if h >= periodFrom { inPeriodWh += Double(Int64(e.rounded())); inPeriodHours += 1 }
            }
            let nCovered = covered.filter { $0 }.count
            // The premises' own interval energy, counted once across the meters whose coverage
            // lies within the premises (a meter over more premises cannot be compared).
            let exact = covering.filter { $0.coveredPremises.isSubset(of: premises) }
            var intervalWh: Double?
            if exact.contains(where: { $0.coveredPremises == premises }) {
                let tree = MeterTree(meters: exact)
                var sum = 0.0
                for k in 0..<n where covered[k] { sum += tree.counted(hour: mStart + Int64(k) * 3600, data: data) }
                intervalWh = sum
            }
            let full = nCovered == n
            var check = MonthlyUploadCheck(
                dongCode: dong.code, meterID: meter.id, complex: meter.complex, period: rm.period, units: rm.units,
                monthlyKWh: Double(rm.usageWh) / 1000, estimatedKWh: estimatedWh / 1000, intervalHours: nCovered, monthHours: n,
                intervalKWh: intervalWh.flatMap { nCovered > 0 ? $0 / 1000 : nil },
                differenceKWh: full ? intervalWh.map { (Double(rm.usageWh) - $0) / 1000 } : nil,
                used: nCovered == 0 ? .monthly : full ? .interval : .mixed, shape: shape.label)
            check.estimatedInPeriodKWh = inPeriodWh / 1000; check.estimatedHoursInPeriod = inPeriodHours
            summary.monthlyChecks.append(check)
        }
    }

    /// Weights for the hours of one month (see the header).
    func monthShape(dong: String, start: Int64, hours n: Int, measured: [Int64: HourlyRollup],
                    holidays: KoreanHolidays) -> (weights: [Double], label: String) {
        func dayType(_ t: Int64) -> Int { Self.isWorkingDay(epoch: t, holidays: holidays) ? 0 : 1 }
        var sum = [[Double]](repeating: [Double](repeating: 0, count: 24), count: 2)
        var cnt = sum
        var own = [Double?](repeating: nil, count: n)
        for k in 0..<n {
            let h = start + Int64(k) * 3600
            guard let r = measured[h], r.consumptionCoveredS >= 3600 else { continue }
            let v = Double(max(0, r.consumptionWh))
            own[k] = v
            let hod = KSTDateTime(epochSeconds: h).hour, dt = dayType(h)
            sum[dt][hod] += v; cnt[dt][hod] += 1
        }
        let nOwn = own.compactMap { $0 }.count
        if nOwn > 0 {
            let mean = own.compactMap { $0 }.reduce(0, +) / Double(nOwn)
            let w = (0..<n).map { k -> Double in
                if let v = own[k] { return v }
                let h = start + Int64(k) * 3600
                let hod = KSTDateTime(epochSeconds: h).hour, dt = dayType(h)
                return cnt[dt][hod] > 0 ? sum[dt][hod] / cnt[dt][hod] : mean
            }
            return (w, "dong \(dong) measured interval load (\(nOwn) of \(n) hours measured; other hours: mean of the same day type and hour)")
        }
        if let p = config.standardLoadProfile {
            let w = (0..<n).map { k -> Double in
                let h = start + Int64(k) * 3600
                return p.weight(hour: KSTDateTime(epochSeconds: h).hour, workingDay: dayType(h) == 0)
            }
            return (w, "standard residential profile \"\(p.name)\" (derived \(p.derivedOn); \(p.source))")
        }
        return ([Double](repeating: 1, count: n), "flat (no interval load in the dong and no [standard_load_profile] in the site config)")
    }

    /// Whether the KST day containing `epoch` is a working day: not Saturday, Sunday or a
    /// public holiday (`KoreanHolidays`).
    public static func isWorkingDay(epoch: Int64, holidays: KoreanHolidays) -> Bool {
        let k = KSTDateTime(epochSeconds: epoch)
        let wd = Int(((KST.daysFromCivil(year: k.year, month: k.month, day: k.day) % 7) + 11) % 7)  // 0 = Sunday
        return !(wd == 0 || wd == 6 || holidays.isHoliday(year: k.year, month: k.month, day: k.day))
    }

    // MARK: 3. Unmetered PV

    private func applyUnmeteredPV(_ dongs: [DongConfig], grid: inout RollupGrid,
                                  hours: inout [String: [Int64: HourCounts]], summary: inout CountingSummary,
                                  from: Int64, to: Int64, statsFrom: Int64) async throws {
        let allFleets = config.dongs.flatMap { d in d.pvFleets.filter { $0.capacity.kWp > 0 }.map { (d, $0) } }
        guard !allFleets.isEmpty, from < to else { return }
        let data = try await storage.readings.assetHourly(assetIDs: allFleets.map(\.1.id), from: from, to: to)
        let metered = allFleets.filter { !(data[$0.1.id] ?? [:]).isEmpty }
        let meteredIDs = Set(metered.map(\.1.id))
        let scope = Set(dongs.map(\.code))
        let unmetered = allFleets.filter { !meteredIDs.contains($0.1.id) && scope.contains($0.0.code) }
        guard !unmetered.isEmpty else { return }
        let linke = LinkeTurbidity(site: config.site)
        // Each fleet at the site's reference point: within a district the sun's position differs by
        // less than 0.1°, and fleets of one orientation then share one clear-sky computation.
        let site = config.site
        let systems = Dictionary(allFleets.map { d, f in
            var at = d
            at.latitudeDeg = site.latitudeDeg; at.longitudeDeg = site.longitudeDeg
            return (f.id, PVSystem(fleet: f, dong: at, linke: linke))
        }, uniquingKeysWith: { a, _ in a })
        // Clear-sky AC energy of each needed fleet per hour [Wh], computed lazily per hour.
        let needed = Set(unmetered.map(\.1.id)).union(meteredIDs)
        let clearSky = ClearSkyHours(systems: systems.filter { needed.contains($0.key) }, airTempC: assumedAirTempC, windMS: assumedWindMS)
        // Generation metered without per-fleet readings (rollups written directly, or a generation
        // meter not tied to a fleet) also counts as metered PV: the clear-sky fallback is only for a
        // district with no measured generation at all.
        let rollupGeneration = dongs.contains { d in (grid.original[d.code] ?? []).contains { $0.generationCoveredS > 0 } }
        let anyMetered = !metered.isEmpty || rollupGeneration
        if metered.isEmpty && rollupGeneration {
            // Generation is metered only at the dong level (no fleet has readings): no reference.
            summary.notes.append("No PV fleet has readings of its own (generation is metered at the dong level only): the \(unmetered.count) fleets without readings are not estimated.")
            return
        }
        // The clear-sky fallback covers the hours the store has any data for in the scope (an
        // empty store gets no invented year of PV).
        var dataHours = Set<Int64>()
        if !anyMetered {
            summary.notes.append("No metered PV in the district during the window: unmetered PV is estimated with the physical model's clear-sky output (an upper bound; the weather archive is not used on this branch), in the hours with any data in scope.")
            for (_, rows) in grid.result() { for r in rows { dataHours.insert(r.hourStart) } }
        }
        var est: [String: [String: Double]] = [:]   // fleet → method → Wh
        var noRef: [String: Int] = [:]
        var unattributed: [String: Int] = [:]
        let dongsWithMetered = Set(metered.map(\.0.code))
        let fleetsByDong = Dictionary(grouping: metered, by: { $0.0.code }).mapValues { $0.map(\.1.id) }
        let unmeteredDongs = Set(unmetered.map(\.0.code))
        var h = from - ((from % 3600) + 3600) % 3600
        while h < to {
            // A dong whose rollup has generation this hour that no fleet reading explains: its
            // generation is metered at the dong level, so its unmetered fleets are not estimated
            // (they may be behind that meter).
            var skip = Set<String>()
            for code in unmeteredDongs {
                guard let r0 = grid.get(code, h), r0.generationCoveredS > 0 else { continue }
                let explained = (fleetsByDong[code] ?? []).contains { (data[$0]?[h]?.coveredS ?? 0) > 0 }
                if !explained { skip.insert(code); if h >= statsFrom { unattributed[code, default: 0] += 1 } }
            }
            // Reference: measured and clear-sky energy of the metered fleets with data that hour.
            var ref: [String: (e: Double, cs: Double, kwp: Double)] = [:]
            var district = (e: 0.0, cs: 0.0, kwp: 0.0)
            for (d, f) in metered {
                guard let a = data[f.id]?[h], a.coveredS > 0 else { continue }
                let cs = clearSky.wh(f.id, hour: h)
                var r = ref[d.code] ?? (0, 0, 0)
                r.e += Double(a.wh); r.cs += cs; r.kwp += f.capacity.kWp
                ref[d.code] = r
                district.e += Double(a.wh); district.cs += cs; district.kwp += f.capacity.kWp
            }
            for (d, f) in unmetered where !skip.contains(d.code) {
                var e: Double?
                var method: PVFleetEstimate.Method = .clearSkyModel
                if let r = ref[d.code] {
                    e = Self.scale(r, csU: clearSky.wh(f.id, hour: h), kwpU: f.capacity.kWp); method = .dongMeteredPV
                } else if district.kwp > 0 {
                    e = Self.scale(district, csU: clearSky.wh(f.id, hour: h), kwpU: f.capacity.kWp); method = .districtMeteredPV
                } else if !anyMetered && dataHours.contains(h) {
                    e = clearSky.wh(f.id, hour: h)
                }
                guard let e else {
                    if h >= statsFrom { noRef[f.id, default: 0] += 1 }
                    continue
                }
                var r = grid.get(d.code, h) ?? HourlyRollup(hourStart: h, generationCoveredS: 0, consumptionCoveredS: 0)
                r.generationWh += Int64(e.rounded())
                // A dong without metered PV is covered by its estimate; one with metered PV keeps the
                // coverage of its meters (a gap in them stays a gap).
                if !dongsWithMetered.contains(d.code) { r.generationCoveredS = 3600 }
                grid.set(d.code, h, r)
                hours[d.code, default: [:]][h, default: HourCounts()].pvEstimatedWh += Double(Int64(e.rounded()))
                est[f.id, default: [:]][method.rawValue, default: 0] += Double(Int64(e.rounded()))
            }
            h += 3600
        }
        for (code, n) in unattributed.sorted(by: { $0.key < $1.key }) {
            summary.notes.append("Dong \(code): generation in \(n) h of the period is metered without per-fleet readings (rollups or a generation meter), so its unmetered fleets are not estimated in those hours.")
        }
        for (d, f) in unmetered {
            summary.pvEstimates.append(PVFleetEstimate(dongCode: d.code, fleetID: f.id, kWp: f.capacity.kWp,
                                                       byMethodKWh: (est[f.id] ?? [:]).mapValues { $0 / 1000 },
                                                       hoursWithoutReference: noRef[f.id] ?? 0))
        }
    }

    /// E_ref × P_cs,u / P_cs,ref; by kWp alone when the reference's clear-sky output is ~0
    /// (sun below the horizon for the model but the meters still read something).
    static func scale(_ r: (e: Double, cs: Double, kwp: Double), csU: Double, kwpU: Double) -> Double {
        if r.cs > 1e-6 * r.kwp * 1000 { return r.e * csU / r.cs }
        return r.kwp > 0 ? r.e * kwpU / r.kwp : 0
    }
}

/// The rollups of each dong, indexed by hour only for the dongs the counting step touches.
struct RollupGrid {
    let original: [String: [HourlyRollup]]
    private var maps: [String: [Int64: HourlyRollup]] = [:]

    init(original: [String: [HourlyRollup]]) { self.original = original }

    /// The dong's rollups by hour start (built on first use).
    mutating func hours(_ code: String) -> [Int64: HourlyRollup] {
        if let m = maps[code] { return m }
        var m: [Int64: HourlyRollup] = [:]
        m.reserveCapacity(original[code]?.count ?? 0)
        for r in original[code] ?? [] { m[r.hourStart] = r }
        maps[code] = m
        return m
    }

    mutating func get(_ code: String, _ h: Int64) -> HourlyRollup? {
        if maps[code] == nil { _ = hours(code) }
        return maps[code]?[h]
    }

    mutating func set(_ code: String, _ h: Int64, _ r: HourlyRollup) {
        if maps[code] == nil { _ = hours(code) }
        maps[code]?[h] = r
    }

    /// Untouched dongs as read; touched ones in hour order.
    func result() -> [String: [HourlyRollup]] {
        var out = original
        for (code, m) in maps { out[code] = m.values.sorted { $0.hourStart < $1.hourStart } }
        return out
    }
}

/// The consumption meters of one dong that take part in a hierarchy.
struct MeterTree {
    let meters: [MeterConfig]
    let children: [String: [MeterConfig]]
    let roots: [MeterConfig]

    init(meters: [MeterConfig]) {
        self.meters = meters
        let ids = Set(meters.map(\.id))
        var ch: [String: [MeterConfig]] = [:]
        for m in meters { if let p = m.parent, ids.contains(p) { ch[p, default: []].append(m) } }
        children = ch
        roots = meters.filter { $0.parent.map { !ids.contains($0) } ?? true }
    }

    /// (Σ energy of the meters with data) − Σ counted subtree energy of the roots, in one hour [Wh].
    func doubleCounted(hour h: Int64, data: [String: [Int64: AssetHour]]) -> Double {
        var raw = 0.0
        for m in meters { if let a = data[m.id]?[h], a.coveredS > 0 { raw += Double(a.wh) } }
        return raw - counted(hour: h, data: data)
    }

    /// Energy of the hour counted once [Wh]: Σ subtree(roots).
    func counted(hour h: Int64, data: [String: [Int64: AssetHour]]) -> Double {
        roots.reduce(0.0) { $0 + subtree($1, hour: h, data: data) }
    }

    func subtree(_ m: MeterConfig, hour h: Int64, data: [String: [Int64: AssetHour]]) -> Double {
        let kids = children[m.id] ?? []
        let childSum = kids.reduce(0.0) { $0 + subtree($1, hour: h, data: data) }
        guard let a = data[m.id]?[h], a.coveredS > 0 else { return childSum }
        var coveredByComplete = Set<String>()
        for c in kids { if let ca = data[c.id]?[h], ca.coveredS >= 3600 { coveredByComplete.formUnion(c.coveredPremises) } }
        if m.coveredPremises.isSubset(of: coveredByComplete) { return childSum }
        return childSum + max(0, Double(a.wh) - childSum)
    }
}

/// Clear-sky AC energy per fleet and hour from the physical chain, two sub-steps per hour.
/// Fleets of one geometry (place, tilt, azimuth, losses, DC/AC ratio) share one computation per
/// kWp: PVWatts DC and AC are proportional to the nameplate at a fixed DC/AC ratio.
final class ClearSkyHours: @unchecked Sendable {
    private let geometry: [String: (key: Int, kWp: Double)]
    private let unit: [PVSystem]
    private let weather: (Int64) -> WeatherPoint
    private var cache: [Int64: [Double]] = [:]

    init(systems: [String: PVSystem], airTempC: Double, windMS: Double) {
        var keys: [String: Int] = [:], unit: [PVSystem] = [], geometry: [String: (key: Int, kWp: Double)] = [:]
        for (id, s) in systems.sorted(by: { $0.key < $1.key }) {
            let k = "\(s.latitudeDeg)|\(s.longitudeDeg)|\(s.altitudeM)|\(s.tiltDeg)|\(s.azimuthDeg)|\(s.lossesPct)|\(s.acKW / max(s.dcKW, 1e-9))|\(s.gammaPerC)|\(s.albedo)"
            let idx: Int
            if let i = keys[k] { idx = i } else {
                idx = unit.count; keys[k] = idx
                var u = s
                u.acKW = s.dcKW > 0 ? s.acKW / s.dcKW : 1; u.dcKW = 1
                unit.append(u)
            }
            geometry[id] = (idx, s.dcKW)
        }
        self.geometry = geometry; self.unit = unit
        weather = { WeatherPoint(epoch: $0, temperatureC: airTempC, windSpeedMS: windMS, humidityPct: 60, sky: 1) }
    }

    func wh(_ id: String, hour h: Int64) -> Double {
        guard let g = geometry[id] else { return 0 }
        if let c = cache[h] { return c[g.key] * g.kWp }
        let subs: [Double] = [900, 2700]
        let geo = subs.map { SPA.geocentric(epochSeconds: Double(h) + $0) }
        var row = [Double](repeating: 0, count: unit.count)
        for (k, s) in unit.enumerated() {
            var kw = 0.0
            for (i, off) in subs.enumerated() {
                let t = h + Int64(off)
                kw += PhysicalPV.instant(system: s, epoch: t, geocentric: geo[i], weather: weather(t)).clearSkyACKW
            }
            row[k] = kw / Double(subs.count) * 1000
        }
        if cache.count > 48 { cache.removeAll(keepingCapacity: true) }
        cache[h] = row
        return row[g.key] * g.kWp
    }
}

extension TrackingReportBuilder {
    /// Definitions of the counting step, appended to the report's definitions.
    static let countingDefinitions = [
        "Meter hierarchy: each kWh is counted once, at the finest level with data for the hour: a meter's subtree counts its children's subtrees plus, when the meter has data and its complete children do not cover all it covers, max(0, its energy − its children's).",
        "Estimated from monthly: a monthly upload's kWh is spread over the month's hours with the dong's measured interval load shape (else the configured standard residential profile) and added only in hours without interval data for those premises; columns consumption_estimated_from_monthly_kwh / _share_pct.",
        "Estimated PV: a fleet without readings is estimated from the measured output of metered PV in its dong (else the district) × the ratio of the two fleets' clear-sky AC output (kWp and orientation); columns generation_metered_kwh / generation_estimated_kwh.",
        "Renewable resting on estimates = direct PV × (1 − (1 − f_gen)(1 − f_cons)) + PV via storage × (1 − (1 − f_store)(1 − f_cons)), with f the estimated shares of the hour's generation, consumption and stored PV; renewable_estimated_share_pct is the share of the RE100 numerator and of tCO2 that rests on estimates.",
    ]
}
