import Foundation
import VPPCore
import VPPStore

/// Parses a decimal number of a forecast-input CSV field (sign, digits, point, exponent),
/// surrounding blanks and quotes ignored; nil for empty, "NaN" or junk.
package func csvDouble(_ p: UnsafeBufferPointer<UInt8>) -> Double? {
    var lo = 0, hi = p.count
    while lo < hi, p[lo] == 32 || p[lo] == 34 { lo += 1 }
    while hi > lo, p[hi - 1] == 32 || p[hi - 1] == 34 { hi -= 1 }
    if lo == hi { return nil }
    var neg = false
    var i = lo
    if p[i] == 45 { neg = true; i += 1 } else if p[i] == 43 { i += 1 }
    var mant = 0.0, scale = 1.0, sawDigit = false, afterPoint = false
    while i < hi {
        let b = p[i]
        if b >= 48 && b <= 57 {
            sawDigit = true
            if afterPoint { scale /= 10; mant += Double(b - 48) * scale } else { mant = mant * 10 + Double(b - 48) }
        } else if b == 46 && !afterPoint { afterPoint = true }
        else if b == 101 || b == 69 {
            guard sawDigit else { return nil }
            let e = String(decoding: UnsafeBufferPointer(rebasing: p[(i + 1)..<hi]), as: UTF8.self)
            guard let ev = Int(e) else { return nil }
            return (neg ? -mant : mant) * pow(10, Double(ev))
        } else { return nil }
        i += 1
    }
    return sawDigit ? (neg ? -mant : mant) : nil
}

package func readFileBytes(_ path: String) throws -> [UInt8] {
    guard let d = FileManager.default.contents(atPath: path) else {
        throw ForecastError.noInput(path: path, reason: "missing or unreadable")
    }
    return [UInt8](d)
}

/// Weather forecast CSV in the layout of the DACON/EWP Dangjin forecast file (`dangjin_fcst.csv`):
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
        try CSVRecords.forEach(bytes) { line, f in
            if line == 1 {
                for i in 0..<f.count { idx[f.string(i).trimmingCharacters(in: .whitespaces).lowercased()] = i }
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
                guard c < f.count, let v = csvDouble(f[c]) else {
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
            func present(_ name: String) -> Bool { idx[name].map { $0 < f.count && csvDouble(f[$0]) != nil } ?? false }
            if present("pty") { p.precipitationType = Int(try col("pty", 0...7, "(KMA precipitation code)").rounded()) }
            if present("pop") { p.precipitationProbabilityPct = try col("pop", 0...100, "%") }
            points.append(p)
        }
        return WeatherSeries(points: points)
    }
}
