import Foundation
import VPPCore
import VPPStore

// Issue 11 item 2: learning from the district's own PV. A "PV group" is a dong whose PV output is
// metered (rollup generation). Training (`PVGroupTrainer`) and serving (`PVGroupForecaster`) run
// the SAME chain (`PVGroupChain`) with the same inputs: the site's Linke turbidity, the site
// altitude constant below, the same sub-steps and the same weather features (SKY, PTY, POP, TMP,
// REH, WSD). Calibration (time offset, scale, linear trend) first, then the KPX-weighted ridge
// correction (Correction.swift) on the calibrated physical forecast.

/// The PV fleets of one dong as one group.
public struct PVGroup: Sendable, Equatable {
    /// The dong code (the group's id).
    public var id: String
    public var systems: [PVSystem]
    /// DC nameplate and inverter AC limit, summed over the fleets [kW].
    public var capacityKW: Double
    public var acLimitKW: Double
    /// Capacity-weighted tilt and azimuth [°] (for choosing whose calibration an unmetered group borrows).
    public var tiltDeg: Double
    public var azimuthDeg: Double

    /// Site altitude used by both training and serving [m] (ASSUMPTION: the site config has no
    /// altitude key; Seoul's built-up area lies mostly 20–60 m above sea level).
    public static let defaultAltitudeM = 40.0

    public init(dong: DongConfig, altitudeM: Double = PVGroup.defaultAltitudeM, linke: LinkeTurbidity) {
        id = dong.code
        systems = dong.pvFleets.map { PVSystem(fleet: $0, dong: dong, altitudeM: altitudeM, linke: linke) }
        capacityKW = systems.reduce(0) { $0 + $1.dcKW }
        acLimitKW = systems.reduce(0) { $0 + $1.acKW }
        let w = max(capacityKW, 1e-9)
        tiltDeg = systems.reduce(0) { $0 + $1.tiltDeg * $1.dcKW } / w
        azimuthDeg = systems.reduce(0) { $0 + $1.azimuthDeg * $1.dcKW } / w
    }
}

/// Solar positions shared by every group and offset that asks for the same instant.
public struct GeocentricCache: Sendable {
    var map: [Int64: SPA.Geocentric] = [:]
    public init() {}
    public mutating func at(_ t: Int64) -> SPA.Geocentric {
        if let g = map[t] { return g }
        let g = SPA.geocentric(epochSeconds: Double(t))
        map[t] = g
        return g
    }
}

/// The physical chain of a group for one slot: each fleet's chain (PhysicalPV.instant) at
/// `subSteps` sub-interval midpoints, summed over fleets. The sun is taken at t − offset (an
/// effective time offset fitted on clear days); the weather at t.
public enum PVGroupChain {
    public static let defaultSubSteps = 3

    public static func slot(group: PVGroup, start t0: Int64, seconds: Int, offsetS: Int64, subSteps: Int,
                            weather: WeatherSeries, sun: inout GeocentricCache, clearSkyOnly: Bool = false) -> PhysicalPV.SlotResult? {
        let len = Int64(seconds)
        let mid = t0 + len / 2
        guard let first = group.systems.first else { return nil }
        let wMidOrNil = weather.at(mid)
        let elev = SPA.topocentric(sun.at(mid - offsetS), observer: first.observer).elevationDeg
        // Night: the sun below −1° at the slot's start, middle and end (it cannot rise and set
        // inside one slot) gives zero output without running the chain. The output does not
        // depend on the weather then, so a night slot past the last forecast point (the last hour
        // of a day-ahead file issued for 00–23 h) takes the nearest point for its context.
        if elev < -1, SPA.topocentric(sun.at(t0 - offsetS), observer: first.observer).elevationDeg < -1,
           SPA.topocentric(sun.at(t0 + len - offsetS), observer: first.observer).elevationDeg < -1 {
            guard let w = wMidOrNil ?? weather.at(t0) ?? weather.at(t0 + len) else { return nil }
            return PhysicalPV.SlotResult(slotStart: t0, seconds: seconds, acKW: 0, clearSkyACKW: 0, poa: 0, clearSkyPOA: 0, ghi: 0,
                                         clearSkyGHI: 0, midElevationDeg: elev, weather: w)
        }
        guard let wMid = wMidOrNil else { return nil }
        let n = Int64(max(subSteps, 1))
        var ac = 0.0, cs = 0.0, poa = 0.0, csPOA = 0.0, ghi = 0.0, csGHI = 0.0
        for j in 0..<n {
            let t = t0 + (2 * j + 1) * len / (2 * n)
            let w = weather.at(t) ?? wMid
            let g = sun.at(t - offsetS)
            var shared: PhysicalPV.Sky? = nil
            for s in group.systems {
                // Fleets of a dong share its place, hence its sky.
                let sky: PhysicalPV.Sky
                if let sh = shared, s.latitudeDeg == first.latitudeDeg, s.longitudeDeg == first.longitudeDeg,
                   s.altitudeM == first.altitudeM, s.linke == first.linke {
                    sky = sh
                } else {
                    sky = PhysicalPV.sky(system: s, epoch: t - offsetS, geocentric: g)
                    if shared == nil { shared = sky }
                }
                let r = PhysicalPV.instant(system: s, sky: sky, weather: w, clearSkyOnly: clearSkyOnly)
                ac += r.acKW; cs += r.clearSkyACKW; poa += r.poa; csPOA += r.clearSkyPOA; ghi += r.ghi; csGHI += r.clearSky.ghi
            }
        }
        let k = Double(n), m = Double(group.systems.count)
        return PhysicalPV.SlotResult(slotStart: t0, seconds: seconds, acKW: ac / k, clearSkyACKW: cs / k, poa: poa / k / m,
                                     clearSkyPOA: csPOA / k / m, ghi: ghi / k / m, clearSkyGHI: csGHI / k / m,
                                     midElevationDeg: elev, weather: wMid)
    }
}

/// Calibration of a group's physical forecast against its meter.
public struct PVGroupCalibration: Sendable, Equatable, Codable {
    /// Effective time offset [min]: measured output at t matches the model at t − offset.
    public var offsetMinutes: Int
    /// Scale on the physical output [1].
    public var scale: Double
    /// Linear degradation/soiling trend [fraction per 365 days] around `trendReferenceDay`.
    public var trendPerYear: Double
    /// KST day number (days since 1970-01-01 KST) where the trend factor is 1.
    public var trendReferenceDay: Int64

    public static let identity = PVGroupCalibration(offsetMinutes: 0, scale: 1, trendPerYear: 0, trendReferenceDay: 0)

    /// Scale × trend at an instant, kept within [0.2, 2].
    public func factor(at epoch: Int64) -> Double {
        let day = (epoch + KST.offsetSeconds) / 86_400
        let f = scale * (1 + trendPerYear * Double(day - trendReferenceDay) / 365)
        return min(max(f, 0.2), 2)
    }
}

/// A trained group model as stored in forecast_model (name `pv-group/<dong code>`).
public struct PVGroupModel: Sendable, Equatable, Codable {
    public var version = 1
    public var group: String
    public var capacityKW: Double
    public var tiltDeg: Double
    public var azimuthDeg: Double
    public var calibration: PVGroupCalibration
    /// The KPX-weighted ridge correction on the calibrated forecast; nil when too few rows.
    public var correction: PVCorrectionModel?
    /// Training window [UTC epoch s, half-open] and what it held.
    public var trainFrom: Int64
    public var trainTo: Int64
    public var daysWithData: Int
    public var clearDays: Int
    public var outageDaysExcluded: Int
    public var subSteps: Int

    public static func storeName(group: String) -> String { "pv-group/\(group)" }

    public func jsonString() throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: try e.encode(self), as: UTF8.self)
    }

    public static func decode(_ json: String) throws -> PVGroupModel {
        do { return try JSONDecoder().decode(PVGroupModel.self, from: Data(json.utf8)) }
        catch { throw ForecastError.badData(path: "forecast_model", line: 1, column: 1, reason: "bad PV group model JSON: \(error)") }
    }

    /// Calibrated (and, with a correction, corrected) mean AC power of `group` for one chain
    /// result at the model's offset [kW], and the calibrated result (context filled).
    public func apply(_ raw: PhysicalPV.SlotResult, group: PVGroup, weather: WeatherSeries) -> (kW: Double, calibrated: PhysicalPV.SlotResult) {
        var r = raw
        let f = calibration.factor(at: r.slotStart)
        r.acKW = min(r.acKW * f, group.acLimitKW)
        r.clearSkyACKW = min(r.clearSkyACKW * f, group.acLimitKW)
        guard let c = correction else { return (r.acKW, r) }
        r.addContext(weather)
        return (c.predictKW(r, acLimitKW: group.acLimitKW, capacityKW: group.capacityKW), r)
    }
}

/// Fits a group model from measured hourly output and the weather as forecast at the time.
public enum PVGroupTrainer {
    /// Fewest KST days with measured output a group needs.
    public static let minimumDays = 30
    /// Steepest decline the linear trend may take [fraction per 365 days].
    public static let trendLimitPerYear = 0.03

    /// - Parameters:
    ///   - actual: measured energy per hour [hour-beginning UTC epoch s, Wh] inside [from, to)
    ///   - weather: the forecast weather each hour would have had day-ahead
    public static func fit(group: PVGroup, actual: [(hourStart: Int64, wh: Int64)], weather: WeatherSeries,
                           from: Int64, to: Int64, subSteps: Int = PVGroupChain.defaultSubSteps, seed: UInt64 = 42,
                           sun: inout GeocentricCache) throws -> PVGroupModel {
        func kstDay(_ t: Int64) -> Int64 { (t + KST.offsetSeconds) / 86_400 }
        let measured = actual.filter { $0.hourStart >= from && $0.hourStart < to }
        let days = Set(measured.map { kstDay($0.hourStart) })
        guard days.count >= minimumDays else {
            throw ForecastError.insufficientData("PV group \(group.id): \(days.count) days of measured output in the window, "
                + "fewer than \(minimumDays); training refused, the physical model is used")
        }
        guard group.capacityKW > 0 else { throw ForecastError.insufficientData("PV group \(group.id): no PV capacity in the config") }
        // 1. Physical chain at offset 0 for every measured hour (clear-day and outage detection).
        var hours: [Int64] = [], act: [Double] = []
        for m in measured { hours.append(m.hourStart); act.append(Double(m.wh) / 1000) }
        let phys0: [PhysicalPV.SlotResult?] = hours.map {
            PVGroupChain.slot(group: group, start: $0, seconds: 3600, offsetS: 0, subSteps: subSteps, weather: weather, sun: &sun,
                              clearSkyOnly: true)
        }
        // 2. Per KST day: measured and clear-sky energy, completeness, shape correlation.
        struct Day { var a = 0.0, cs = 0.0, daylight = 0, idx: [Int] = [] }
        var byDay: [Int64: Day] = [:]
        for (i, t) in hours.enumerated() {
            guard let r = phys0[i] else { continue }
            var d = byDay[kstDay(t)] ?? Day()
            d.a += act[i]; d.cs += r.clearSkyACKW
            if r.clearSkyACKW > 0 { d.daylight += 1; d.idx.append(i) }
            byDay[kstDay(t)] = d
        }
        // Outage days: (almost) no output although the clear-sky model expects some.
        let outage = Set(byDay.filter { $0.value.cs > 0 && $0.value.a < 0.05 * $0.value.cs }.map(\.key))
        // Clear days: daylight complete (≥ 8 h), hourly shape close to clear sky (Pearson r ≥ 0.97),
        // and a measured/clear-sky energy ratio in the top 15 % of such days.
        var candidates: [(day: Int64, ratio: Double)] = []
        for (k, d) in byDay where !outage.contains(k) && d.daylight >= 8 && d.cs > 0 {
            let a = d.idx.map { act[$0] }, c = d.idx.map { phys0[$0]?.clearSkyACKW ?? 0 }
            if pearson(a, c) >= 0.97 { candidates.append((k, d.a / d.cs)) }
        }
        candidates.sort { $0.ratio > $1.ratio }
        let nClear = min(max(Int((Double(candidates.count) * 0.15).rounded(.up)), min(5, candidates.count)), 40)
        let clear = Array(candidates.prefix(nClear))
        // 3. Time offset by grid search (15-min steps over ±60 min, then 5-min steps ±10 min around
        //    the best), each offset with its least-squares scale; criterion: squared error on the
        //    clear days' daylight hours.
        let clearIdx = clear.flatMap { byDay[$0.day]?.idx ?? [] }
        func sse(_ offMin: Int) -> (sse: Double, scale: Double, m: [Double]) {
            var m: [Double] = []
            m.reserveCapacity(clearIdx.count)
            for i in clearIdx {
                m.append(PVGroupChain.slot(group: group, start: hours[i], seconds: 3600, offsetS: Int64(offMin * 60), subSteps: subSteps,
                                           weather: weather, sun: &sun, clearSkyOnly: true)?.clearSkyACKW ?? 0)
            }
            var am = 0.0, mm = 0.0
            for (k, i) in clearIdx.enumerated() { am += act[i] * m[k]; mm += m[k] * m[k] }
            let s = mm > 0 ? am / mm : 1
            var e = 0.0
            for (k, i) in clearIdx.enumerated() { let d = act[i] - s * m[k]; e += d * d }
            return (e, s, m)
        }
        var calibration = PVGroupCalibration.identity
        if clear.count >= 3 {
            var best = (off: 0, fit: sse(0))
            for off in stride(from: -60, through: 60, by: 15) where off != 0 {
                let f = sse(off)
                if f.sse < best.fit.sse { best = (off, f) }
            }
            let coarse = best.off
            for off in [coarse - 10, coarse - 5, coarse + 5, coarse + 10] {
                let f = sse(off)
                if f.sse < best.fit.sse { best = (off, f) }
            }
            // 4. Linear trend of the clear days' measured/calibrated ratio against the day (least squares).
            var xs: [Double] = [], ys: [Double] = []
            var pos = 0
            for c in clear {
                let idx = byDay[c.day]?.idx ?? []
                var a = 0.0, m = 0.0
                for i in idx { a += act[i]; m += best.fit.scale * best.fit.m[pos]; pos += 1 }
                if m > 0 { xs.append(Double(c.day)); ys.append(a / m) }
            }
            var trend = 0.0, ref = Int64(xs.isEmpty ? 0 : (xs.reduce(0, +) / Double(xs.count)).rounded())
            if xs.count >= 10, let lo = xs.min(), let hi = xs.max(), hi - lo >= 60 {
                let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
                var sxy = 0.0, sxx = 0.0
                for (x, y) in zip(xs, ys) { sxy += (x - mx) * (y - my); sxx += (x - mx) * (x - mx) }
                // Per year, relative to the mean ratio, limited to the plausible range of degradation
                // plus soiling, −3 … 0 %/year (ASSUMPTION; crystalline modules lose ~0.5–1 %/year: Jordan &
                // Kurtz, "Photovoltaic degradation rates — an analytical review", Prog. Photovolt. 21:12–29,
                // 2013). A rising ratio (cleaning, or seasonal model bias inside a one-year window) is not
                // extrapolated: on the Dangjin plants an unlimited fit gave −12 and +20 %/year and a worse
                // test year.
                trend = sxx > 0 ? min(max(sxy / sxx * 365 / max(my, 1e-9), -trendLimitPerYear), 0) : 0
                ref = Int64(mx.rounded())
            }
            calibration = PVGroupCalibration(offsetMinutes: best.off, scale: min(max(best.fit.scale, 0.2), 2),
                                             trendPerYear: trend, trendReferenceDay: ref)
        }
        // 5. Calibrated chain for every hour; the correction learns on days that are not outages.
        let phys: [PhysicalPV.SlotResult?] = hours.map {
            PVGroupChain.slot(group: group, start: $0, seconds: 3600, offsetS: Int64(calibration.offsetMinutes * 60),
                              subSteps: subSteps, weather: weather, sun: &sun)
        }
        var model = PVGroupModel(group: group.id, capacityKW: group.capacityKW, tiltDeg: group.tiltDeg, azimuthDeg: group.azimuthDeg,
                                 calibration: calibration, correction: nil, trainFrom: from, trainTo: to, daysWithData: days.count,
                                 clearDays: clear.count, outageDaysExcluded: outage.count, subSteps: subSteps)
        var rows: [(PhysicalPV.SlotResult, Double)] = []
        rows.reserveCapacity(hours.count)
        for (i, t) in hours.enumerated() where !outage.contains(kstDay(t)) {
            guard let r = phys[i] else { continue }
            var c = model.apply(r, group: group, weather: weather).calibrated
            c.addContext(weather)
            rows.append((c, act[i]))
        }
        model.correction = try? PVCorrectionModel.fit(systemID: group.id, capacityKW: group.capacityKW, rows: rows,
                                                      trainFrom: from, trainTo: to, seed: seed)
        return model
    }

    static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        guard a.count >= 3 else { return 0 }
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
        return saa > 0 && sbb > 0 ? sab / (saa * sbb).squareRoot() : 0
    }

    /// One group's outcome of `train`.
    public enum Outcome: Sendable {
        case trained(modelID: Int64, model: PVGroupModel)
        case refused(group: String, reason: String)
        case unmetered(group: String)

        public var line: String {
            func f(_ x: Double, _ d: Int) -> String { String(format: "%.\(d)f", x) }
            switch self {
            case .trained(let id, let m):
                let c = m.calibration
                return "\(m.group): model #\(id): offset \(c.offsetMinutes) min, scale \(f(c.scale, 3)), trend \(f(c.trendPerYear * 100, 1)) %/year, "
                    + (m.correction.map { "ridge λ=\($0.lambda) on \($0.trainRows) rows" } ?? "no ridge correction (too few rows)")
                    + "; \(m.daysWithData) days with data, \(m.clearDays) clear days, \(m.outageDaysExcluded) outage days excluded"
            case .refused(_, let reason): return reason
            case .unmetered(let g): return "\(g): no measured PV output in the window; uses a metered group's calibration at run time"
            }
        }
    }

    /// `forecast train`: fits and stores a model for every dong of `site` with PV fleets and
    /// metered generation in [until − window, until), on the weather archived for its grid cell
    /// as issued day-ahead (`cutoff`).
    ///
    /// Three phases: the store reads (measured output, archived weather per grid cell), the fits,
    /// the model writes. The fits are independent CPU work: the first group fills the solar-position
    /// cache (every group asks for the same instants), then the others run in parallel, each on a
    /// copy of it. A fit depends only on its own inputs, so the models do not depend on the order
    /// or the number of cores; the outcomes keep the site's dong order.
    public static func train(storage: Storage, site: SiteConfig, until: Int64, windowS: Int64, trainedAt: Int64,
                             cutoff: @Sendable (Int64) -> Int64 = ArchivedWeather.dayAheadCutoff(),
                             subSteps: Int = PVGroupChain.defaultSubSteps, seed: UInt64 = 42) async throws -> [Outcome] {
        let from = until - windowS
        let linke = LinkeTurbidity(site: site.site)
        struct Job: Sendable {
            var index: Int
            var group: PVGroup
            var actual: [(hourStart: Int64, wh: Int64)]
            var weather: WeatherSeries
        }
        enum Fit: Sendable { case model(PVGroupModel), refused(String) }
        // 1. Reads.
        var slots: [Outcome?] = []
        var jobs: [Job] = []
        var weatherByCell: [KMAGridPoint: WeatherSeries] = [:]
        for d in site.dongs where !d.pvFleets.isEmpty {
            slots.append(nil)
            let actual = try await storage.readings.hourlyGeneration(dong: d.code, from: from, to: until)
            guard !actual.isEmpty else { slots[slots.count - 1] = .unmetered(group: d.code); continue }
            let g = KMAGrid.gridPoint(latitudeDeg: d.latitudeDeg, longitudeDeg: d.longitudeDeg)
            if weatherByCell[g] == nil {
                let rows = try await storage.weather.archivedWeather(nx: g.nx, ny: g.ny, validFrom: from - 86_400, validTo: until + 86_400,
                                                                     issuedBefore: until)
                weatherByCell[g] = ArchivedWeather.series(rows, cutoff: cutoff)
            }
            let w = weatherByCell[g] ?? WeatherSeries(points: [])
            guard !w.isEmpty else {
                slots[slots.count - 1] = .refused(group: d.code, reason: "\(d.code): no archived forecast weather for grid cell \(g) in the window; "
                                                  + "import it with `vpp weather import`; training refused, the physical model is used")
                continue
            }
            jobs.append(Job(index: slots.count - 1, group: PVGroup(dong: d, linke: linke), actual: actual, weather: w))
        }
        // 2. Fits: the first warms the shared solar-position cache, the rest run in parallel.
        @Sendable func run(_ j: Job, _ sun: inout GeocentricCache) throws -> Fit {
            do {
                return .model(try fit(group: j.group, actual: j.actual, weather: j.weather, from: from, to: until, subSteps: subSteps,
                                      seed: seed, sun: &sun))
            } catch let e as ForecastError {
                guard case .insufficientData(let msg) = e else { throw e }
                return .refused(msg)
            }
        }
        var fits: [Int: Fit] = [:]
        var warm = GeocentricCache()
        if let first = jobs.first { fits[first.index] = try run(first, &warm) }
        let sun = warm
        try await withThrowingTaskGroup(of: (Int, Fit).self) { tasks in
            for j in jobs.dropFirst() {
                tasks.addTask { var own = sun; return (j.index, try run(j, &own)) }
            }
            for try await (i, f) in tasks { fits[i] = f }
        }
        // 3. Writes, in the site's dong order.
        for j in jobs {
            switch fits[j.index] {
            case .model(let m)?:
                let id = try await storage.forecasts.saveForecastModel(name: PVGroupModel.storeName(group: j.group.id), trainedAt: trainedAt,
                                                                       trainFrom: from, trainTo: until, paramsJSON: try m.jsonString())
                slots[j.index] = .trained(modelID: id, model: m)
            case .refused(let msg)?:
                slots[j.index] = .refused(group: j.group.id, reason: msg)
            case nil:
                throw VPPError(.internal, "PV group \(j.group.id): the fit returned no result")
            }
        }
        return slots.compactMap { $0 }
    }
}

/// Serving: the group models chosen for each dong of a run, and the forecast they make.
public enum PVGroupForecaster {
    /// Which model a dong's PV forecast used.
    public struct Choice: Sendable, Equatable, Codable {
        /// own | borrowed | legacy-global | physical
        public var source: String
        public var modelID: Int64?
        /// The group whose model was borrowed.
        public var fromGroup: String?
        public var label: String
    }

    /// Picks each dong's model: its own newest group model; else the most similar metered group
    /// (same dong first, else the district: smallest capacity-weighted tilt + azimuth difference)
    /// and says so; else the legacy global correction (`pv-correction`) if one is stored; else the
    /// physical model, labelled as such.
    public static func choose(site: SiteConfig, forecasts: any ForecastStore) async throws -> [String: (PVGroupModel?, Choice)] {
        var own: [String: (Int64, PVGroupModel)] = [:]
        for d in site.dongs where !d.pvFleets.isEmpty {
            if let m = try await forecasts.latestForecastModel(name: PVGroupModel.storeName(group: d.code)) {
                own[d.code] = (m.id, try PVGroupModel.decode(m.paramsJSON))
            }
        }
        var legacy: (Int64, PVCorrectionModel)? = nil
        if own.isEmpty, let m = try await forecasts.latestForecastModel(name: ForecastRunner.correctionModelName) {
            legacy = (m.id, try PVCorrectionModel.decode(Data(m.paramsJSON.utf8)))
        }
        let linke = LinkeTurbidity(site: site.site)
        var out: [String: (PVGroupModel?, Choice)] = [:]
        for d in site.dongs where !d.pvFleets.isEmpty {
            if let o = own[d.code] {
                let (id, m) = o
                out[d.code] = (m, Choice(source: "own", modelID: id, fromGroup: nil, label: "own model #\(id)"))
            } else if !own.isEmpty {
                let g = PVGroup(dong: d, linke: linke)
                func distance(_ m: PVGroupModel) -> Double {
                    var daz = abs(m.azimuthDeg - g.azimuthDeg).truncatingRemainder(dividingBy: 360)
                    if daz > 180 { daz = 360 - daz }
                    return abs(m.tiltDeg - g.tiltDeg) + daz
                }
                guard let best = own.min(by: { (distance($0.value.1), $0.key) < (distance($1.value.1), $1.key) }) else { continue }
                var m = best.value.1
                m.group = d.code; m.capacityKW = g.capacityKW
                out[d.code] = (m, Choice(source: "borrowed", modelID: best.value.0, fromGroup: best.key,
                                         label: "no measured output: borrows \(best.key)'s model #\(best.value.0) (most similar metered group in the district)"))
            } else if let lg = legacy {
                let (id, c) = lg
                let m = PVGroupModel(group: d.code, capacityKW: 0, tiltDeg: 0, azimuthDeg: 0, calibration: .identity, correction: c,
                                     trainFrom: c.trainFrom, trainTo: c.trainTo, daysWithData: 0, clearDays: 0, outageDaysExcluded: 0,
                                     subSteps: PVGroupChain.defaultSubSteps)
                out[d.code] = (m, Choice(source: "legacy-global", modelID: id, fromGroup: nil, label: "global learned correction #\(id) (no group models trained)"))
            } else {
                out[d.code] = (nil, Choice(source: "physical", modelID: nil, fromGroup: nil, label: "physical model (no trained model)"))
            }
        }
        return out
    }

    /// PV per dong and slot with each dong's chosen model (nil: physical chain only).
    public static func forecast(site: SiteConfig, models: [String: PVGroupModel?], from start: Int64, slots count: Int,
                                length: SlotLength, weather: [String: WeatherSeries],
                                subSteps: Int = PVGroupChain.defaultSubSteps) -> [DongSlotForecast] {
        let linke = LinkeTurbidity(site: site.site)
        var sun = GeocentricCache()
        var out: [DongSlotForecast] = []
        for d in site.dongs where !d.pvFleets.isEmpty {
            guard let w = weather[d.code] else { continue }
            let g = PVGroup(dong: d, linke: linke)
            let model = models[d.code] ?? nil
            let off = Int64((model?.calibration.offsetMinutes ?? 0) * 60)
            for k in 0..<count {
                let t0 = start + Int64(k * length.seconds)
                guard let r = PVGroupChain.slot(group: g, start: t0, seconds: length.seconds, offsetS: off, subSteps: subSteps,
                                                weather: w, sun: &sun) else { continue }
                let phys = off == 0 ? r.acKW
                    : (PVGroupChain.slot(group: g, start: t0, seconds: length.seconds, offsetS: 0, subSteps: subSteps, weather: w, sun: &sun)?.acKW ?? r.acKW)
                let kW = model.map { $0.apply(r, group: g, weather: w).kW } ?? r.acKW
                out.append(DongSlotForecast(dongCode: d.code, slot: Slot(start: t0, length: length),
                                            pv: Watts(kW: kW).energy(over: length.seconds),
                                            pvPhysical: Watts(kW: phys).energy(over: length.seconds)))
            }
        }
        return out
    }
}
