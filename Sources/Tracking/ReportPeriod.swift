/// The period a tracking report covers: a KST month (`2024-07`), a KST calendar year (`2024`)
/// or an inclusive range of KST dates (`2024-07-01..2024-07-31`).
///
/// Bounds are stored as UTC epoch seconds of KST midnights, half-open `[start, end)`; a range's
/// end date is inclusive in the text and becomes the next KST midnight here.
public struct ReportPeriod: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable { case month, year, range }

    public var kind: Kind
    /// The text as the user wrote it, normalised (`2024-07`, `2024`, `2024-07-01..2024-07-31`).
    public var label: String
    /// First instant [UTC epoch s] (a KST midnight).
    public var start: Int64
    /// First instant after the period [UTC epoch s] (a KST midnight).
    public var end: Int64

    public init(kind: Kind, label: String, start: Int64, end: Int64) {
        self.kind = kind; self.label = label; self.start = start; self.end = end
    }

    public static func month(_ ym: YearMonth) -> ReportPeriod {
        ReportPeriod(kind: .month, label: ym.description, start: ym.startEpoch, end: ym.endEpoch)
    }

    public static func year(_ y: Int) -> ReportPeriod {
        ReportPeriod(kind: .year, label: String(y), start: KSTDateTime(year: y, month: 1, day: 1).epochSeconds,
                     end: KSTDateTime(year: y + 1, month: 1, day: 1).epochSeconds)
    }

    /// Parses `YYYY-MM`, `YYYY` or `YYYY-MM-DD..YYYY-MM-DD` (inclusive end date), all KST.
    /// Throws a usage error naming the text and the accepted forms.
    public static func parse(_ text: String) throws -> ReportPeriod {
        let t = text.trimmingCharacters(in: .whitespaces)
        func bad(_ why: String) -> VPPError {
            VPPError(.usage, "--period \"\(text)\": \(why); use 2024-07 (month), 2024 (year) or 2024-07-01..2024-07-31 (dates, KST, end inclusive)")
        }
        let bytes = Array(t.utf8)
        if let dots = t.range(of: "..") {
            let a = String(t[t.startIndex..<dots.lowerBound]), b = String(t[dots.upperBound...])
            guard let d0 = parseDate(a) else { throw bad("\"\(a)\" is not a date YYYY-MM-DD") }
            guard let d1 = parseDate(b) else { throw bad("\"\(b)\" is not a date YYYY-MM-DD") }
            let s = d0.epochSeconds, e = d1.epochSeconds + 86_400
            guard e > s else { throw bad("the end date is before the start date") }
            guard e - s <= 3 * 366 * 86_400 else { throw bad("ranges longer than 3 years are not supported") }
            return ReportPeriod(kind: .range, label: "\(d0.dateString)..\(d1.dateString)", start: s, end: e)
        }
        if bytes.count == 4, bytes.allSatisfy({ $0 >= 48 && $0 <= 57 }), let y = Int(t) {
            guard (1900...2200).contains(y) else { throw bad("year out of range") }
            return .year(y)
        }
        if bytes.count == 7, bytes[4] == UInt8(ascii: "-"), let ym = YearMonth(t) { return .month(ym) }
        throw bad("not a month, year or date range")
    }

    /// `YYYY-MM-DD` only (no time part).
    static func parseDate(_ s: String) -> KSTDateTime? {
        let b = Array(s.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
        guard let t = KSTDateTime.parse(utf8: b), t.hour == 0, t.minute == 0 else { return nil }
        return t
    }

    /// Whole KST days in the period.
    public var days: Int { Int((end - start) / 86_400) }
    public var seconds: Int64 { end - start }
    public var startKST: KSTDateTime { KSTDateTime(epochSeconds: start) }
    /// The last day of the period (inclusive), KST.
    public var lastDayKST: KSTDateTime { KSTDateTime(epochSeconds: end - 86_400) }
    public var description: String { label }
}

import Foundation
import VPPCore
import VPPStore
