import Foundation

/// RFC 3339 date-times and ISO 8601 durations as OpenADR writes them (`dateTime`, `duration`).
/// Hand-written parsers: Foundation's ISO 8601 formatter is slow on Linux (style.md) and these
/// are on the request path of every report.
public enum OADRTime {
    /// `2026-07-06T03:00:00Z` for a UTC epoch [s].
    public static func format(epochS: Int64) -> String {
        let days = epochS >= 0 ? epochS / 86_400 : (epochS - 86_399) / 86_400
        let secs = epochS - days * 86_400
        let (y, m, d) = civil(fromDays: days)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, Int(secs / 3600), Int(secs % 3600 / 60), Int(secs % 60))
    }

    /// A UTC epoch [s] from `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`; nil when it is not one.
    /// A date-time without an offset is refused (it would be ambiguous between UTC and KST).
    public static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count >= 20 else { return nil }
        func num(_ from: Int, _ n: Int) -> Int? {
            guard from + n <= b.count else { return nil }
            var v = 0
            for i in from..<(from + n) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard let y = num(0, 4), b[4] == 45, let mo = num(5, 2), b[7] == 45, let d = num(8, 2),
              b[10] == 84 || b[10] == 116 || b[10] == 32, let h = num(11, 2), b[13] == 58, let mi = num(14, 2), b[16] == 58,
              let s = num(17, 2) else { return nil }
        guard (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61 else { return nil }
        var i = 19
        if i < b.count, b[i] == 46 { i += 1; while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 } }
        guard i < b.count else { return nil }
        var offsetS = 0
        if b[i] == 90 || b[i] == 122 { guard i + 1 == b.count else { return nil } }
        else if b[i] == 43 || b[i] == 45 {
            guard i + 6 == b.count, let oh = num(i + 1, 2), b[i + 3] == 58, let om = num(i + 4, 2), oh < 24, om < 60 else { return nil }
            offsetS = (oh * 3600 + om * 60) * (b[i] == 45 ? -1 : 1)
        } else { return nil }
        let days = daysFromCivil(y, mo, d)
        return days * 86_400 + Int64(h * 3600 + mi * 60 + min(s, 59)) - Int64(offsetS)
    }

    /// `PT15M`, `PT1H`, `P1D` for a duration [s].
    public static func duration(seconds: Int64) -> String {
        if seconds == 0 { return "PT0S" }
        if seconds % 86_400 == 0 { return "P\(seconds / 86_400)D" }
        var out = "PT"
        let h = seconds / 3600, m = seconds % 3600 / 60, s = seconds % 60
        if h > 0 { out += "\(h)H" }
        if m > 0 { out += "\(m)M" }
        if s > 0 { out += "\(s)S" }
        return out
    }

    /// Seconds of an ISO 8601 duration with weeks, days, hours, minutes and seconds
    /// (`P1W`, `P1DT2H`, `PT15M`, `PT0.5S` rounds down). Years and months have no fixed length:
    /// refused (nil), as are negative durations and anything beyond 400 days.
    public static func seconds(ofDuration text: String) -> Int64? {
        var b = Substring(text)
        guard b.first == "P" else { return nil }
        b = b.dropFirst()
        var total: Double = 0, inTime = false, number = "", any = false
        for ch in b {
            if ch == "T" { guard !inTime, number.isEmpty else { return nil }; inTime = true; continue }
            if ch.isNumber || ch == "." { number.append(ch); continue }
            guard let v = Double(number), v.isFinite, v >= 0, v <= 1e7 else { return nil }
            number = ""
            any = true
            switch (ch, inTime) {
            case ("W", false): total += v * 604_800
            case ("D", false): total += v * 86_400
            case ("H", true): total += v * 3600
            case ("M", true): total += v * 60
            case ("S", true): total += v
            default: return nil
            }
        }
        guard any, number.isEmpty, total <= 400 * 86_400 else { return nil }
        return Int64(total)
    }

    // Howard Hinnant's civil-from-days / days-from-civil (proleptic Gregorian), public domain:
    // https://howardhinnant.github.io/date_algorithms.html
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int64 {
        let y = Int64(m <= 2 ? y0 - 1 : y0)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((m + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(yoe + era * 400 + (m <= 2 ? 1 : 0)), Int(m), Int(d))
    }
}
