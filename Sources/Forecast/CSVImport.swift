import Foundation
import VPPCore
import VPPStore

/// Minimal CSV field access on UTF-8 bytes (no quoting needed by the files we import).
package struct CSVLines {
    let bytes: [UInt8]
    package init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Calls `body(lineNumber, fields)` for each non-empty line; fields are byte ranges.
    package func forEach(_ body: (Int, [ArraySlice<UInt8>]) throws -> Void) rethrows {
        var line = 1, start = 0
        var fields: [ArraySlice<UInt8>] = []
        fields.reserveCapacity(16)
        var i = 0
        let n = bytes.count
        while start < n {
            var end = start
            while end < n && bytes[end] != 10 { end += 1 }
            var lineEnd = end
            if lineEnd > start && bytes[lineEnd - 1] == 13 { lineEnd -= 1 }
            if lineEnd > start {
                fields.removeAll(keepingCapacity: true)
                var f = start
                i = start
                while i < lineEnd {
                    if bytes[i] == 44 { fields.append(bytes[f..<i]); f = i + 1 }
                    i += 1
                }
                fields.append(bytes[f..<lineEnd])
                try body(line, fields)
            }
            line += 1
            start = end + 1
        }
    }

    package static func string(_ s: ArraySlice<UInt8>) -> String { String(decoding: s, as: UTF8.self) }

    /// Parses a decimal number (sign, digits, point, exponent); nil for empty, "NaN" or junk.
    package static func double(_ s: ArraySlice<UInt8>) -> Double? {
        var t = s
        while let f = t.first, f == 32 || f == 34 { t = t.dropFirst() }
        while let l = t.last, l == 32 || l == 34 { t = t.dropLast() }
        if t.isEmpty { return nil }
        var neg = false
        var i = t.startIndex
        if t[i] == 45 { neg = true; i += 1 } else if t[i] == 43 { i += 1 }
        var mant = 0.0, scale = 1.0, sawDigit = false, afterPoint = false
        while i < t.endIndex {
            let b = t[i]
            if b >= 48 && b <= 57 {
                sawDigit = true
                if afterPoint { scale /= 10; mant += Double(b - 48) * scale } else { mant = mant * 10 + Double(b - 48) }
            } else if b == 46 && !afterPoint { afterPoint = true }
            else if b == 101 || b == 69 {
                guard sawDigit else { return nil }
                let e = String(decoding: t[(i + 1)...], as: UTF8.self)
                guard let ev = Int(e) else { return nil }
                return (neg ? -mant : mant) * pow(10, Double(ev))
            } else { return nil }
            i += 1
        }
        return sawDigit ? (neg ? -mant : mant) : nil
    }
}

package func readFileBytes(_ path: String) throws -> [UInt8] {
    guard let d = FileManager.default.contents(atPath: path) else {
        throw ForecastError.noInput(path: path, reason: "missing or unreadable")
    }
    return [UInt8](d)
}

/// Weather forecast CSV in the layout of the Dangjin file (shared/data/pv-dangjin/dangjin_fcst.csv):
/// `Forecast_time,Temperature,Humidity,WindSpeed,WindDirection,Cloud` — valid time in KST
/// (an instant, not an interval), °C, %, m/s, °, KMA sky code 1–4 (interpolated, fractional).
/// Optional columns by name: `PTY`, `POP`.
public enum WeatherCSV {
    public static func load(path: String) throws -> WeatherSeries {
        try parse(bytes: readFileBytes(path), path: path)
    }

    public static func parse(bytes: [UInt8], path: String = "<memory>") throws -> WeatherSeries {
        var idx: [String: Int] = [:]
        var points: [WeatherPoint] = []
        try CSVLines(bytes).forEach { line, f in
            if line == 1 {
                for (i, name) in f.enumerated() { idx[CSVLines.string(name).trimmingCharacters(in: .whitespaces).lowercased()] = i }
                for need in ["forecast_time", "temperature", "humidity", "windspeed", "cloud"] where idx[need] == nil {
                    throw ForecastError.badData(path: path, line: 1, column: 1, reason: "missing column \(need)")
                }
                return
            }
            /// A number in the column's physical range (KMA short-range forecast variables).
            func col(_ name: String, _ range: ClosedRange<Double>, _ unit: String) throws -> Double {
                guard let c = idx[name] else {
                    throw ForecastError.badData(path: path, line: line, column: 1, reason: "no header line with \(name) before the data")
                }
                guard c < f.count, let v = CSVLines.double(f[c]) else {
                    throw ForecastError.badData(path: path, line: line, column: c + 1, reason: "\(name) is not a number")
                }
                guard range.contains(v) else {
                    throw ForecastError.badData(path: path, line: line, column: c + 1,
                                                reason: "\(name) \(v) is outside \(range.lowerBound)…\(range.upperBound) \(unit)")
                }
                return v
            }
            guard let tc = idx["forecast_time"] else {
                throw ForecastError.badData(path: path, line: line, column: 1, reason: "no header line with forecast_time before the data")
            }
            guard tc < f.count, let t = KSTDateTime.parse(utf8: f[tc]) else {
                throw ForecastError.badData(path: path, line: line, column: tc + 1, reason: "bad time stamp")
            }
            var p = WeatherPoint(epoch: t.epochSeconds, temperatureC: try col("temperature", -60...60, "°C"),
                                 windSpeedMS: try col("windspeed", 0...100, "m/s"), humidityPct: try col("humidity", 0...100, "%"),
                                 sky: try col("cloud", 0...4, "(KMA sky code)"))
            func present(_ name: String) -> Bool { idx[name].map { $0 < f.count && CSVLines.double(f[$0]) != nil } ?? false }
            if present("pty") { p.precipitationType = Int(try col("pty", 0...7, "(KMA precipitation code)").rounded()) }
            if present("pop") { p.precipitationProbabilityPct = try col("pop", 0...100, "%") }
            points.append(p)
        }
        return WeatherSeries(points: points)
    }
}

/// Hourly metered PV energy, e.g. shared/data/pv-dangjin/energy.csv: `time` then one column per
/// plant in kWh per hour; stamps HOUR-ENDING KST ("2018-3-1 1:00" = 00:00–01:00). Empty or NaN
/// cells are missing values.
public struct HourlyEnergyTable: Sendable {
    /// Slot starts [UTC epoch s], hour-beginning after conversion.
    public var slotStarts: [Int64]
    /// Column name → kWh per slot (nil = missing).
    public var columns: [String: [Double?]]

    public static func load(path: String, convention: StampConvention = .hourEnding) throws -> HourlyEnergyTable {
        try parse(bytes: readFileBytes(path), path: path, convention: convention)
    }

    public static func parse(bytes: [UInt8], path: String = "<memory>", convention: StampConvention) throws -> HourlyEnergyTable {
        var names: [String] = []
        var starts: [Int64] = []
        var cols: [[Double?]] = []
        try CSVLines(bytes).forEach { line, f in
            if line == 1 {
                names = f.dropFirst().map { CSVLines.string($0).trimmingCharacters(in: .whitespaces) }
                cols = Array(repeating: [], count: names.count)
                return
            }
            guard let t = KSTDateTime.parse(utf8: f[0]) else {
                throw ForecastError.badData(path: path, line: line, column: 1, reason: "bad time stamp")
            }
            starts.append(convention.slotStart(stampEpoch: t.epochSeconds, length: .hour))
            for c in 0..<names.count {
                let v = c + 1 < f.count ? CSVLines.double(f[c + 1]) : nil
                if let v, v < 0 {
                    throw ForecastError.badData(path: path, line: line, column: c + 2, reason: "negative energy")
                }
                cols[c].append(v)
            }
        }
        var dict: [String: [Double?]] = [:]
        for (i, n) in names.enumerated() { dict[n] = cols[i] }
        return HourlyEnergyTable(slotStarts: starts, columns: dict)
    }
}
