import Foundation
import VPPCore
import VPPStore

/// Load and PV of every dong for a dispatch horizon, from the store only (issue 11, item 5).
///
/// Each (dong, quantity, slot) value is taken from the first source that has it:
/// 1. **Stored forecast**: the newest run issued at or before `now` with a value for the slot
///    (or only the run given with `forecastRunID`). A forecast slot longer than the dispatch step
///    (hourly forecast, 15-min dispatch) gives its average power to every step inside it.
/// 2. **The dong's own readings** (hourly rollups before `now`, fully metered hours only):
///    - load: mean of the same hour on days of the same type (working day / Saturday /
///      Sunday or public holiday) over the 4 weeks before the horizon start;
///    - PV: the most recent earlier day's output at the same hour (the newest day whose hour is
///      metered and lies before `now`, at most 7 days back), scaled by the ratio of the dong's
///      clear-sky PV output at the slot to that at the reference hour. Where the reference hour's
///      clear-sky output is below 5 % of the dong's clear-sky peak (dawn, dusk), the reference
///      day's clear-sky index (metered / clear-sky energy over the day) times the slot's clear-sky
///      output is used instead, so a ratio of two tiny numbers never scales noise.
/// 3. **Nominal figures from the config**: load = households × participation × mean household
///    load (the dispatch builder's estimates); PV = the clear-sky output of the configured fleets
///    (tilt, azimuth, kWp, losses), an upper bound.
/// Every dong's load and PV say which sources filled how many slots.
public struct HorizonInputs: Sendable {
    public struct Dong: Sendable, Equatable {
        public var code: String
        /// Mean power per dispatch step [kW].
        public var loadKW: [Double]
        public var pvKW: [Double]
        public var loadSource: SourceMix
        public var pvSource: SourceMix
    }

    /// How many slots each source filled for one dong's quantity.
    public struct SourceMix: Sendable, Equatable, CustomStringConvertible {
        public var forecastRuns: [Int64: Int] = [:]
        public var readings = 0
        public var nominal = 0
        public init() {}
        public var description: String {
            var parts = forecastRuns.sorted { $0.key > $1.key }.map { "forecast run \($0.key): \($0.value)" }
            if readings > 0 { parts.append("own readings: \(readings)") }
            if nominal > 0 { parts.append("nominal (config): \(nominal)") }
            return parts.isEmpty ? "none" : parts.joined(separator: ", ")
        }
        /// The label of the source that filled the most slots.
        public var main: String {
            let best = forecastRuns.max { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) }
            let f = best?.value ?? 0
            if f >= readings && f >= nominal, let id = best?.key { return "forecast run \(id)" }
            return readings >= nominal ? "own readings" : "nominal"
        }
    }

    public var dongs: [Dong]

    /// Per-dong series in config order, as the dispatch builder takes them.
    public var series: [(load: [Double], pv: [Double])] { dongs.map { ($0.loadKW, $0.pvKW) } }

    /// One line per dong naming its sources: "114101: load forecast run 7: 192; pv own readings: 192".
    public var sourceLines: [String] {
        dongs.map { "\($0.code): load \($0.loadSource); pv \($0.pvSource)" }
    }

    /// The sources in one line, dongs with the same mix grouped:
    /// "14 dongs: load forecast run 7: 192; pv own readings: 192".
    public var summary: String {
        var groups: [(key: String, codes: [String])] = []
        for d in dongs {
            let k = "load \(d.loadSource); pv \(d.pvSource)"
            if let i = groups.firstIndex(where: { $0.key == k }) { groups[i].codes.append(d.code) } else { groups.append((k, [d.code])) }
        }
        return groups.map { g in
            (g.codes.count == 1 ? g.codes[0] : g.codes.count == dongs.count ? "all \(g.codes.count) dongs" : "\(g.codes.count) dongs (\(g.codes.joined(separator: ",")))")
                + ": " + g.key
        }.joined(separator: " | ")
    }

    /// Assumptions of the nominal fallback (SiteProblemBuilder's ESTIMATEs).
    public struct Nominal: Sendable {
        /// Mean household electric load [kW].
        public var meanHouseholdKW: Double
        /// Share of the dong's households behind the VPP's meters [0–1].
        public var participation: Double
        public init(meanHouseholdKW: Double, participation: Double) {
            self.meanHouseholdKW = meanHouseholdKW; self.participation = participation
        }
    }

    static let historyDays = 28
    static let pvLookbackDays = 7
    /// Below this share of the dong's clear-sky peak, the hourly clear-sky ratio is not used.
    static let ratioFloorShare = 0.05

    public static func build(storage: Storage, site: SiteConfig, start: Int64, step: SlotLength, slots: Int, now: Int64,
                             forecastRunID: Int64? = nil, nominal: Nominal) async throws -> HorizonInputs {
        guard slots > 0 else { return HorizonInputs(dongs: []) }
        let len = Int64(step.seconds)
        let end = start + Int64(slots) * len
        let runs = try await candidateRuns(storage.forecasts, siteID: site.site.id, start: start, end: end, now: now, only: forecastRunID)
        // Hourly rollups of every dong before `now` (4 weeks for load, PV look-back inside it).
        let histFrom = start - Int64(historyDays) * 86_400
        let histTo = min(now, end)
        let codes = site.dongs.map(\.code)
        let hist = histTo > histFrom ? try await storage.readings.hourlyRollups(dongCodes: codes, from: histFrom, to: histTo) : [:]
        let linke = LinkeTurbidity(site: site.site)
        let holidays = KoreanHolidays()
        var out: [Dong] = []
        for d in site.dongs {
            var load = [Double?](repeating: nil, count: slots), pv = load
            var lm = SourceMix(), pm = SourceMix()
            for run in runs {
                let values = try await storage.forecasts.forecastValues(runID: run.id, dong: d.code, quantity: nil)
                fill(&load, &lm, values.filter { $0.quantity == "load" }, runID: run.id, start: start, len: len)
                fill(&pv, &pm, values.filter { $0.quantity == "pv" }, runID: run.id, start: start, len: len)
            }
            let rows = hist[d.code] ?? []
            let clear = ClearSkyDong(dong: d, linke: linke)
            if load.contains(where: { $0 == nil }) {
                let profile = loadProfile(rows, before: min(now, start), holidays: holidays)
                for t in 0..<slots where load[t] == nil {
                    let e = start + Int64(t) * len
                    if let kw = profile[dayType(e, holidays)]?[KSTDateTime(epochSeconds: e).hour] { load[t] = kw; lm.readings += 1 }
                }
            }
            if pv.contains(where: { $0 == nil }) {
                let metered = Dictionary(rows.filter { $0.generationCoveredS >= 3600 }.map { ($0.hourStart, Double($0.generationWh) / 1000) },
                                         uniquingKeysWith: { a, _ in a })
                for t in 0..<slots where pv[t] == nil {
                    let e = start + Int64(t) * len
                    if let kw = pvFromHistory(at: e, step: len, metered: metered, now: now, clear: clear) { pv[t] = kw; pm.readings += 1 }
                }
            }
            let nominalLoad = Double(d.households) * nominal.participation * nominal.meanHouseholdKW
            for t in 0..<slots {
                if load[t] == nil { load[t] = nominalLoad; lm.nominal += 1 }
                if pv[t] == nil { pv[t] = clear.kW(from: start + Int64(t) * len, seconds: len); pm.nominal += 1 }
            }
            out.append(Dong(code: d.code, loadKW: load.map { max(0, $0 ?? 0) }, pvKW: pv.map { max(0, $0 ?? 0) },
                            loadSource: lm, pvSource: pm))
        }
        return HorizonInputs(dongs: out)
    }

    /// The runs to read, newest first: the one asked for, or the site's runs issued at or before
    /// `now` (and at most 14 days, the longest horizon, before the start) with a value in the horizon.
    static func candidateRuns(_ f: any ForecastStore, siteID: String, start: Int64, end: Int64, now: Int64, only: Int64?) async throws -> [StoredForecastRun] {
        if let id = only {
            guard let r = try await f.forecastRun(id: id) else {
                throw ForecastError.insufficientData("no forecast run \(id) in the store")
            }
            return [r]
        }
        return try await f.forecastRuns(issuedFrom: start - 14 * 86_400 - 86_400, issuedThrough: now,
                                        overlappingFrom: start - 86_400, to: end, limit: 8, siteID: siteID)
    }

    /// Fills the empty slots covered by `values` (slot start → average kW over its duration).
    static func fill(_ out: inout [Double?], _ mix: inout SourceMix, _ values: [ForecastValue], runID: Int64, start: Int64, len: Int64) {
        guard !values.isEmpty else { return }
        for v in values where v.durationS > 0 {
            let kw = Double(v.value.wh) / 1000 / (Double(v.durationS) / 3600)
            let vEnd = v.slotStart + Int64(v.durationS)
            // Dispatch steps whose start lies in [slotStart, vEnd).
            var t = max(0, Int((v.slotStart - start + len - 1) / len))
            if v.slotStart < start { t = 0 }
            while t < out.count {
                let e = start + Int64(t) * len
                if e >= vEnd { break }
                if e >= v.slotStart, out[t] == nil { out[t] = kw; mix.forecastRuns[runID, default: 0] += 1 }
                t += 1
            }
        }
    }

    enum DayType: Int, Hashable { case working, saturday, sundayOrHoliday }

    static func dayType(_ epoch: Int64, _ holidays: KoreanHolidays) -> DayType {
        if holidays.isHoliday(epoch: epoch) { return .sundayOrHoliday }
        let days = (epoch + KST.offsetSeconds).floorDiv(86_400)
        // 1970-01-01 was a Thursday: (days + 4) mod 7 gives 0 = Sunday … 6 = Saturday.
        let wd = Int(((days + 4) % 7 + 7) % 7)
        return wd == 0 ? .sundayOrHoliday : wd == 6 ? .saturday : .working
    }

    /// Mean metered consumption [kW] by day type and KST hour over the hours before `before`.
    static func loadProfile(_ rows: [HourlyRollup], before: Int64, holidays: KoreanHolidays) -> [DayType: [Int: Double]] {
        var sum: [DayType: [Int: (Double, Int)]] = [:]
        for r in rows where r.consumptionCoveredS >= 3600 && r.hourStart + 3600 <= before {
            let h = KSTDateTime(epochSeconds: r.hourStart).hour
            let dt = dayType(r.hourStart, holidays)
            let (s, n) = sum[dt]?[h] ?? (0, 0)
            sum[dt, default: [:]][h] = (s + Double(r.consumptionWh) / 1000, n + 1)
        }
        return sum.mapValues { $0.mapValues { $0.0 / Double($0.1) } }
    }

    /// PV [kW] at the step starting at `e` from the newest earlier metered day (see the type's notes).
    static func pvFromHistory(at e: Int64, step: Int64, metered: [Int64: Double], now: Int64, clear: ClearSkyDong) -> Double? {
        let hour = e - floorMod(e, 3600)
        for k in 1...pvLookbackDays {
            let ref = hour - Int64(k) * 86_400
            guard ref + 3600 <= now, let kwRef = metered[ref] else { continue }
            let csSlot = clear.kW(from: e, seconds: step)
            let csRef = clear.kW(from: ref, seconds: 3600)
            if csSlot <= 0 { return 0 }
            if csRef >= ratioFloorShare * clear.peakKW { return kwRef * csSlot / csRef }
            // Dawn or dusk: the reference day's clear-sky index.
            let dayStart = ref - floorMod(ref + KST.offsetSeconds, 86_400)
            var m = 0.0, c = 0.0
            for h in 0..<24 {
                let s = dayStart + Int64(h) * 3600
                guard let v = metered[s] else { continue }
                m += v; c += clear.kW(from: s, seconds: 3600)
            }
            return c > 0 ? csSlot * min(m / c, 1.2) : nil
        }
        return nil
    }

    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a.floorMod(b) }
}

/// The clear-sky AC output [kW] of a dong's configured PV fleets (physical chain with clear-sky
/// irradiance), memoised per (start, seconds).
final class ClearSkyDong: @unchecked Sendable {
    let systems: [PVSystem]
    let peakKW: Double
    private var memo: [Int64: Double] = [:]

    init(dong: DongConfig, linke: LinkeTurbidity) {
        systems = dong.pvFleets.map { PVSystem(fleet: $0, dong: dong, linke: linke) }
        peakKW = systems.reduce(0) { $0 + $1.acKW }
    }

    func kW(from start: Int64, seconds: Int64) -> Double {
        guard !systems.isEmpty, seconds > 0 else { return 0 }
        let key = start &* 8 &+ Int64(seconds / 900)
        if let v = memo[key] { return v }
        // Weather enters the clear-sky chain only through the cell temperature: 25 °C, 1 m/s.
        let w = WeatherSeries(points: [WeatherPoint(epoch: start - 3600, temperatureC: 25, windSpeedMS: 1, humidityPct: 50, sky: 1),
                                       WeatherPoint(epoch: start + seconds + 3600, temperatureC: 25, windSpeedMS: 1, humidityPct: 50, sky: 1)])
        let length = SlotLength(rawValue: Int(seconds)) ?? .hour
        var kw = 0.0
        for s in systems {
            kw += PhysicalPV.slots(system: s, from: start, count: 1, length: length, weather: w, subSteps: 2).first?.clearSkyACKW ?? 0
        }
        memo[key] = kw
        return kw
    }
}
