import Foundation
/// Civil time in Korea Standard Time (Asia/Seoul, UTC+09:00) and UTC epoch seconds.
///
/// Korea has observed no daylight saving time since 1988, so Asia/Seoul is a fixed +9 h
/// offset for every date vpp handles; we still name the zone everywhere rather than assume it.
/// The civil-date arithmetic is Howard Hinnant's `days_from_civil` / `civil_from_days`
/// (http://howardhinnant.github.io/date_algorithms.html), implemented here from its description,
/// so no Foundation formatter runs in hot paths.
public enum KST {
    /// UTC offset of Asia/Seoul [s].
    public static let offsetSeconds: Int64 = 9 * 3600
    public static let zoneIdentifier = "Asia/Seoul"

    /// Days since 1970-01-01 for a proleptic Gregorian date.
    @inlinable public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Proleptic Gregorian date for days since 1970-01-01.
    @inlinable public static func civilFromDays(_ z0: Int64) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    @inlinable public static func isLeapYear(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    @inlinable public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// A wall-clock time in Asia/Seoul, to the second. `hour` may be 24 only on input (hour-ending
/// stamps such as "2024-01-31 24:00"); `epochSeconds` normalises it to the next day's 00:00.
public struct KSTDateTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year; self.month = month; self.day = day
        self.hour = hour; self.minute = minute; self.second = second
    }

    /// The KST wall-clock time of a UTC instant.
    public init(epochSeconds: Int64) {
        let local = epochSeconds + KST.offsetSeconds
        var days = local / 86_400
        var rem = local % 86_400
        if rem < 0 { rem += 86_400; days -= 1 }
        let (y, m, d) = KST.civilFromDays(days)
        self.init(year: y, month: m, day: d, hour: Int(rem / 3600), minute: Int(rem % 3600 / 60), second: Int(rem % 60))
    }

    /// Whether the fields name a real KST time (hour 24 allowed only at :00:00).
    public var isValid: Bool {
        guard month >= 1, month <= 12, day >= 1, day <= KST.daysInMonth(year: year, month: month) else { return false }
        guard minute >= 0, minute < 60, second >= 0, second < 60, hour >= 0 else { return false }
        return hour < 24 || (hour == 24 && minute == 0 && second == 0)
    }

    /// UTC epoch seconds of this KST wall-clock time.
    @inlinable public var epochSeconds: Int64 {
        KST.daysFromCivil(year: year, month: month, day: day) * 86_400
            + Int64(hour * 3600 + minute * 60 + second) - KST.offsetSeconds
    }

    public static func < (a: KSTDateTime, b: KSTDateTime) -> Bool { a.epochSeconds < b.epochSeconds }

    /// ISO 8601 with the zone offset, e.g. `2024-07-01T13:00:00+09:00`.
    public var iso8601: String {
        "\(pad(year, 4))-\(pad(month))-\(pad(day))T\(pad(hour)):\(pad(minute)):\(pad(second))+09:00"
    }
    /// `2024-07-01 13:00` (KST implied by the type).
    public var description: String { "\(pad(year, 4))-\(pad(month))-\(pad(day)) \(pad(hour)):\(pad(minute))" }
    public var dateString: String { "\(pad(year, 4))-\(pad(month))-\(pad(day))" }

    /// Parses `YYYY-MM-DD`, `YYYY-M-D H:MM`, `YYYY-MM-DD HH:MM[:SS]`, `YYYY/MM/DD ...`,
    /// `YYYY.MM.DD ...`, `YYYYMMDDHHMM` and an ISO `T` separator, straight from UTF-8 bytes.
    /// A trailing `+09:00`/`Z` offset is honoured (converted to KST wall time). Returns nil
    /// if the text is not such a stamp or names no real time.
    public static func parse<C: Collection>(utf8 bytes: C) -> KSTDateTime? where C.Element == UInt8 {
        var nums: [Int] = []
        nums.reserveCapacity(6)
        var cur = 0, digits = 0, sawDigit = false
        var offsetSign = 0, offsetNums: [Int] = [], inOffset = false, zulu = false
        var allDigitsRun = 0
        for b in bytes {
            if b >= 48 && b <= 57 {
                // No stamp field is longer than 14 digits (YYYYMMDDHHMMSS); more cannot be a
                // time and would overflow.
                if digits >= 14 { return nil }
                cur = cur * 10 + Int(b - 48); digits += 1; sawDigit = true
                continue
            }
            if sawDigit {
                if inOffset { offsetNums.append(cur) } else { nums.append(cur); if nums.count == 1 { allDigitsRun = digits } }
                cur = 0; digits = 0; sawDigit = false
            }
            switch b {
            case UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: " "), UInt8(ascii: "T"):
                // A '-' after the time part starts a negative offset.
                if b == UInt8(ascii: "-") && nums.count >= 5 && !inOffset { inOffset = true; offsetSign = -1 }
                continue
            case UInt8(ascii: "+"): inOffset = true; offsetSign = 1
            case UInt8(ascii: "Z"): zulu = true
            case 9, 13, 34: continue // tab, CR, quote
            default: return nil
            }
        }
        if sawDigit {
            if inOffset { offsetNums.append(cur) } else { nums.append(cur); if nums.count == 1 { allDigitsRun = digits } }
        }
        guard offsetNums.count <= 2, offsetNums.allSatisfy({ $0 <= 2400 }) else { return nil }
        if nums.count == 1 && (allDigitsRun == 12 || allDigitsRun == 14 || allDigitsRun == 8) {
            // Compact YYYYMMDD[HHMM[SS]]
            let v = nums[0]
            switch allDigitsRun {
            case 8: nums = [v / 10000, v / 100 % 100, v % 100]
            case 12: nums = [v / 100_000_000, v / 1_000_000 % 100, v / 10000 % 100, v / 100 % 100, v % 100]
            default: nums = [v / 10_000_000_000, v / 100_000_000 % 100, v / 1_000_000 % 100, v / 10000 % 100, v / 100 % 100, v % 100]
            }
        }
        guard nums.count >= 3, nums.count <= 6, nums[0] >= 1900, nums[0] <= 2200 else { return nil }
        var t = KSTDateTime(year: nums[0], month: nums[1], day: nums[2],
                            hour: nums.count > 3 ? nums[3] : 0, minute: nums.count > 4 ? nums[4] : 0,
                            second: nums.count > 5 ? nums[5] : 0)
        guard t.isValid else { return nil }
        if zulu || offsetSign != 0 {
            var off = 0
            if offsetSign != 0 {
                if offsetNums.count == 1 { off = offsetNums[0] >= 100 ? (offsetNums[0] / 100) * 3600 + (offsetNums[0] % 100) * 60 : offsetNums[0] * 3600 }
                else if offsetNums.count >= 2 { off = offsetNums[0] * 3600 + offsetNums[1] * 60 }
                off *= offsetSign
            }
            // Wall time in the given offset → UTC → KST.
            let utc = t.epochSeconds + KST.offsetSeconds - Int64(off)
            t = KSTDateTime(epochSeconds: utc)
        }
        return t
    }

    public static func parse(_ s: String) -> KSTDateTime? { parse(utf8: Array(s.utf8)) }
}

public func pad(_ v: Int, _ width: Int = 2) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
