import Foundation
import VPPCore
import VPPStore

/// Turns recorded forecast files into archive hours (`ArchivedWeatherHour`) per KMA grid cell and
/// issue time, row by row: a bad row is rejected with its line and reason and the good rows land.
///
/// Issue time of the Dangjin layout (ASSUMPTION): `dangjin_fcst.csv` carries valid times only.
/// Each valid time of KST day D is taken as issued by the KMA 동네예보 of D-1 17:00 KST (the last
/// issue before the day that covers all of D), so a day-ahead run issued at D-1 ≥ 17:00 sees it
/// and one issued earlier does not. `weather import --issued` overrides it with one base time.
public enum WeatherFileImport {
    public struct Parsed: Sendable, Equatable {
        public var hours: [ArchivedWeatherHour]
        public var rejects: [WeatherRejectedRow]
    }

    /// How a Dangjin-layout file's rows get their issue time.
    public enum IssueRule: Sendable, Equatable {
        /// D-1 at `hourKST`:00 KST for a valid time on KST day D (default 17).
        case previousDay(hourKST: Int)
        /// One base time for the whole file [UTC epoch s].
        case fixed(Int64)

        public static let dangjinDefault = IssueRule.previousDay(hourKST: 17)

        public func baseTime(valid: Int64) -> Int64 {
            switch self {
            case .fixed(let b): return b
            case .previousDay(let h):
                let dayStart = valid - ((valid + KST.offsetSeconds) % 86_400 + 86_400) % 86_400
                return dayStart - 86_400 + Int64(h) * 3600
            }
        }
    }

    /// Longest step between consecutive valid times before it counts as a gap [s].
    public static let maxStepSeconds: Int64 = 3 * 3600

    /// Physical ranges of the KMA short-range variables (a value outside rejects the row).
    static let ranges: [String: (ClosedRange<Double>, String)] = [
        "TMP": (-60...60, "°C"), "REH": (0...100, "%"), "WSD": (0...100, "m/s"), "SKY": (0...4, "(KMA sky code)"),
        "PTY": (0...7, "(KMA precipitation code)"), "POP": (0...100, "%"),
    ]
    /// Categories a getVilageFcst reply carries that the PV and load models do not use (kept out of
    /// the archive, not rejected): wind components and direction, wave height, precipitation and
    /// snow amounts, daily min/max temperature.
    static let unusedKMACategories: Set<String> = ["UUU", "VVV", "VEC", "WAV", "PCP", "SNO", "TMN", "TMX"]

    /// The Dangjin layout (`Forecast_time,Temperature,Humidity,WindSpeed,WindDirection,Cloud[,PTY,POP]`,
    /// valid time KST) for grid cell `grid`.
    public static func dangjinCSV(bytes: [UInt8], path: String, grid: KMAGridPoint, issue: IssueRule = .dangjinDefault) -> Parsed {
        var idx: [String: Int] = [:]
        var hours: [ArchivedWeatherHour] = []
        var rejects: [WeatherRejectedRow] = []
        var seen: [Int64: Int] = [:]   // valid time → line that archived it
        var lastValid: Int64? = nil
        CSVRecords.forEach(bytes) { line, f in
            let raw = String(decoding: f.bytes, as: UTF8.self)
            func reject(_ reason: String) { rejects.append(WeatherRejectedRow(line: line, raw: raw, reason: "\(path):\(line): \(reason)")) }
            if idx.isEmpty {
                for i in 0..<f.count { idx[f.string(i).trimmingCharacters(in: .whitespaces).lowercased()] = i }
                let missing = ["forecast_time", "temperature", "humidity", "windspeed", "cloud"].filter { idx[$0] == nil }
                if !missing.isEmpty { reject("header lacks \(missing.joined(separator: ", "))"); idx = [:] }
                return
            }
            /// The column's value (nil when absent or empty) or the reason it is unusable.
            func value(_ col: String, _ cat: String) -> (Double?, String?) {
                guard let c = idx[col], c < f.count, !f.string(c).trimmingCharacters(in: .whitespaces).isEmpty else { return (nil, nil) }
                guard let v = csvDouble(f[c]), v.isFinite else { return (nil, "\(col) is not a number") }
                guard let ru = ranges[cat] else { return (nil, "\(col): no range for \(cat)") }
                let (r, unit) = ru
                guard r.contains(v) else { return (nil, "\(col) \(v) is outside \(r.lowerBound)…\(r.upperBound) \(unit)") }
                return (v, nil)
            }
            guard let tc = idx["forecast_time"], tc < f.count, let t = KSTDateTime.parse(utf8: f[tc]) else { reject("bad time stamp"); return }
            var vals: [String: Double] = [:]
            for (col, cat) in [("temperature", "TMP"), ("humidity", "REH"), ("windspeed", "WSD"), ("cloud", "SKY"), ("pty", "PTY"), ("pop", "POP")] {
                let (v, problem) = value(col, cat)
                if let problem { reject(problem); return }
                if let v { vals[cat] = v }
            }
            for need in ["TMP", "REH", "WSD", "SKY"] where vals[need] == nil { reject("\(need) missing"); return }
            let valid = t.epochSeconds
            if let first = seen[valid] { reject("duplicated valid time \(t.iso8601) (first on line \(first))"); return }
            if let last = lastValid, valid - last > maxStepSeconds {
                rejects.append(WeatherRejectedRow(line: line, raw: raw, reason: "\(path):\(line): gap: no forecast from "
                    + "\(KSTDateTime(epochSeconds: last).iso8601) to \(t.iso8601) KST (row itself archived)"))
            }
            seen[valid] = line
            lastValid = max(lastValid ?? valid, valid)
            guard let tmp = vals["TMP"], let reh = vals["REH"], let wsd = vals["WSD"], let sky = vals["SKY"] else { return }
            hours.append(ArchivedWeatherHour(nx: grid.nx, ny: grid.ny, baseTime: issue.baseTime(valid: valid), validTime: valid,
                                             temperatureC: tmp, humidityPct: reh, windSpeedMS: wsd, sky: sky, precipitationType: Int((vals["PTY"] ?? 0).rounded()),
                                             precipitationProbabilityPct: vals["POP"]))
        }
        return Parsed(hours: hours, rejects: rejects)
    }

    /// A KMA getVilageFcst JSON reply (as KMA sends it, e.g. dumped from the weather cache):
    /// items grouped by (cell, base, valid time). Unknown categories, out-of-range values,
    /// conflicting duplicates and hours without TMP or SKY are rejected (item number as line).
    public static func kmaJSON(data: Data, path: String) throws -> Parsed {
        let page = try KMAReplyParser.parse(data)
        return kmaItems(page.items, path: path)
    }

    public static func kmaItems(_ items: [KMAForecastItem], path: String) -> Parsed {
        struct Key: Hashable { var nx: Int, ny: Int, base: Int64, valid: Int64 }
        var groups: [Key: [String: (Double, Int)]] = [:]
        var order: [Key] = []
        var rejects: [WeatherRejectedRow] = []
        for (i, it) in items.enumerated() {
            let line = i + 1
            let raw = "\(it.category) base=\(it.baseDate)\(it.baseTime) fcst=\(it.fcstDate)\(it.fcstTime) nx=\(it.nx) ny=\(it.ny) value=\(it.fcstValue)"
            func reject(_ reason: String) { rejects.append(WeatherRejectedRow(line: line, raw: raw, reason: "\(path): item \(line): \(reason)")) }
            if unusedKMACategories.contains(it.category) { continue }
            guard let rangeUnit = ranges[it.category] else { reject("unknown category \(it.category)"); continue }
            let (range, unit) = rangeUnit
            guard let base = KSTDateTime.parse(it.baseDate + it.baseTime), let valid = KSTDateTime.parse(it.fcstDate + it.fcstTime) else {
                reject("bad base or forecast date/time"); continue
            }
            guard (1...149).contains(it.nx), (1...253).contains(it.ny) else { reject("grid cell outside the KMA grid"); continue }
            guard let v = Double(it.fcstValue.trimmingCharacters(in: .whitespaces)), v.isFinite else { reject("value is not a number"); continue }
            guard range.contains(v) else { reject("\(it.category) \(v) is outside \(range.lowerBound)…\(range.upperBound) \(unit)"); continue }
            let k = Key(nx: it.nx, ny: it.ny, base: base.epochSeconds, valid: valid.epochSeconds)
            if groups[k] == nil { groups[k] = [:]; order.append(k) }
            if let prior = groups[k]?[it.category] {
                let (old, firstLine) = prior
                if old != v { reject("duplicated base time: \(it.category) already given as \(old) (item \(firstLine))") }
                continue
            }
            groups[k]?[it.category] = (v, line)
        }
        var hours: [ArchivedWeatherHour] = []
        for k in order {
            guard let g = groups[k] else { continue }
            guard let tmp = g["TMP"]?.0, let sky = g["SKY"]?.0 else {
                let line = g.values.map(\.1).min() ?? 0
                rejects.append(WeatherRejectedRow(line: line, raw: "nx=\(k.nx) ny=\(k.ny) valid=\(KSTDateTime(epochSeconds: k.valid).iso8601)",
                                                  reason: "\(path): item \(line): hour lacks \(g["TMP"] == nil ? "TMP" : "SKY")"))
                continue
            }
            // KMA gives WSD and REH for every hour; the documented defaults below only fill a reply that omits them.
            hours.append(ArchivedWeatherHour(nx: k.nx, ny: k.ny, baseTime: k.base, validTime: k.valid, temperatureC: tmp,
                                             humidityPct: g["REH"]?.0 ?? 60, windSpeedMS: g["WSD"]?.0 ?? 2, sky: sky,
                                             precipitationType: Int((g["PTY"]?.0 ?? 0).rounded()),
                                             precipitationProbabilityPct: g["POP"]?.0))
        }
        return Parsed(hours: hours, rejects: rejects)
    }
}

/// Weather series rebuilt from the archive "as issued".
public enum ArchivedWeather {
    /// For each valid time, the newest issue at or before `cutoff(validTime)` (hours with no such
    /// issue are left out). `hours` must be ordered by valid time then base time.
    public static func series(_ hours: [ArchivedWeatherHour], cutoff: (Int64) -> Int64) -> WeatherSeries {
        var pts: [WeatherPoint] = []
        var i = 0
        while i < hours.count {
            let v = hours[i].validTime
            let c = cutoff(v)
            var best: ArchivedWeatherHour? = nil
            while i < hours.count && hours[i].validTime == v {
                if hours[i].baseTime <= c { best = hours[i] }
                i += 1
            }
            if let b = best {
                pts.append(WeatherPoint(epoch: v, temperatureC: b.temperatureC, windSpeedMS: b.windSpeedMS, humidityPct: b.humidityPct,
                                        sky: b.sky, precipitationType: b.precipitationType,
                                        precipitationProbabilityPct: b.precipitationProbabilityPct))
            }
        }
        return WeatherSeries(points: pts)
    }

    /// Day-ahead cutoff: weather for a valid time on KST day D must have been issued by D-1 at
    /// `issueSecondsKST` after midnight (default 17:30, after KMA's 17:00 issue).
    public static func dayAheadCutoff(issueSecondsKST: Int64 = 17 * 3600 + 1800) -> @Sendable (Int64) -> Int64 {
        { v in
            let dayStart = v - ((v + KST.offsetSeconds) % 86_400 + 86_400) % 86_400
            return dayStart - 86_400 + issueSecondsKST
        }
    }

    /// Each dong's weather for [from, to) as issued at or before `issuedAt` (its grid cell's
    /// newest issue per valid time); `missing` lists the cells with no weather covering the span.
    public static func forDongs(_ dongs: [DongConfig], archive: any WeatherForecastArchive, from: Int64, to: Int64,
                                issuedAt: Int64) async throws -> (weather: [String: WeatherSeries], missing: [KMAGridPoint]) {
        var byCell: [KMAGridPoint: WeatherSeries] = [:]
        var out: [String: WeatherSeries] = [:]
        var missing: [KMAGridPoint] = []
        // Context features look 3 h either side; fetch a margin.
        for d in dongs {
            let g = KMAGrid.gridPoint(latitudeDeg: d.latitudeDeg, longitudeDeg: d.longitudeDeg)
            if byCell[g] == nil {
                let rows = try await archive.archivedWeather(nx: g.nx, ny: g.ny, validFrom: from - 12 * 3600, validTo: to + 12 * 3600,
                                                             issuedBefore: issuedAt)
                let s = series(rows, cutoff: { _ in issuedAt })
                byCell[g] = s
                if s.at(from) == nil && s.at(to - 1) == nil && s.points.filter({ $0.epoch >= from && $0.epoch < to }).isEmpty {
                    missing.append(g)
                }
            }
            if let s = byCell[g], !missing.contains(g) { out[d.code] = s }
        }
        return (out, missing)
    }
}
