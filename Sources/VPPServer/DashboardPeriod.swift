import Foundation
import Tracking
import VPPCore

/// The period a dashboard page shows (issue 16): a KST day, week (Monday to Sunday), month or
/// year, kept in the URL as `?scope=day|week|month|year&period=…` (`YYYY-MM-DD` for a day or the
/// Monday of a week, `YYYY-MM`, `YYYY`) so links can be shared. `date=YYYY-MM-DD` (the date
/// picker) selects the period of that scope containing the date. Charts aggregate to the period:
/// hours for a day, days for a week or month, months for a year.
struct DashboardPeriod: Sendable, Equatable {
    enum Scope: String, Sendable, CaseIterable {
        case day, week, month, year
        var nameKo: String {
            switch self { case .day: "일 day"; case .week: "주 week"; case .month: "월 month"; case .year: "연 year" }
        }
    }

    var scope: Scope
    /// First instant [UTC epoch s] (KST midnight) and the end (exclusive).
    var start: Int64
    var end: Int64

    /// The URL value of `period`.
    var label: String {
        let k = KSTDateTime(epochSeconds: start)
        switch scope {
        case .day, .week: return k.dateString
        case .month: return String(format: "%04d-%02d", k.year, k.month)
        case .year: return String(k.year)
        }
    }

    /// Human text: `2024-07-01 (월)`, `2024-07-01 – 2024-07-07`, `2024-07`, `2024` (KST).
    var title: String {
        switch scope {
        case .week: return "\(KSTDateTime(epochSeconds: start).dateString) – \(KSTDateTime(epochSeconds: end - 86_400).dateString) KST"
        default: return label + " KST"
        }
    }

    /// The tracking report's period for the same days.
    var reportPeriod: ReportPeriod {
        let k = KSTDateTime(epochSeconds: start)
        switch scope {
        case .year: return .year(k.year)
        case .month: return .month(YearMonth(year: k.year, month: k.month))
        case .day, .week:
            let label = "\(k.dateString)..\(KSTDateTime(epochSeconds: end - 86_400).dateString)"
            return ReportPeriod(kind: .range, label: label, start: start, end: end)
        }
    }

    var query: String { "scope=\(scope.rawValue)&period=\(label)" }

    /// The period of `scope` containing `epoch`.
    static func containing(_ epoch: Int64, scope: Scope) -> DashboardPeriod {
        let k = KSTDateTime(epochSeconds: epoch)
        let day = KSTDateTime(year: k.year, month: k.month, day: k.day).epochSeconds
        switch scope {
        case .day: return DashboardPeriod(scope: .day, start: day, end: day + 86_400)
        case .week:
            let monday = day - Int64(weekdayMon0(day)) * 86_400
            return DashboardPeriod(scope: .week, start: monday, end: monday + 7 * 86_400)
        case .month:
            let ym = YearMonth(year: k.year, month: k.month)
            return DashboardPeriod(scope: .month, start: ym.startEpoch, end: ym.endEpoch)
        case .year:
            return DashboardPeriod(scope: .year, start: KSTDateTime(year: k.year, month: 1, day: 1).epochSeconds,
                                   end: KSTDateTime(year: k.year + 1, month: 1, day: 1).epochSeconds)
        }
    }

    /// Day of the week of a KST midnight, Monday = 0 (1970-01-01 was a Thursday).
    static func weekdayMon0(_ kstMidnight: Int64) -> Int {
        let days = (kstMidnight + Int64(KST.offsetSeconds)).floorDiv(86_400)
        return Int(((days + 3) % 7 + 7) % 7)
    }

    var previous: DashboardPeriod { Self.containing(start - 1, scope: scope) }
    var next: DashboardPeriod { Self.containing(end, scope: scope) }

    /// Reads `scope`, `period` and `date` from a query; without them, `fallbackScope` at `latest`
    /// (the newest data hour). A malformed value is a 400 naming the parameter and the forms.
    static func parse(_ q: [String: String], latest: Int64, fallbackScope: Scope = .month) throws -> DashboardPeriod {
        var scope = fallbackScope
        if let s = q["scope"], !s.isEmpty {
            guard let v = Scope(rawValue: s) else {
                throw APIError.badRequest("scope must be day, week, month or year", code: "bad_scope", parameter: "scope")
            }
            scope = v
        }
        if let d = q["date"], !d.isEmpty {
            guard let p = APIPeriod.parse(d), d.count == 10, (RequestTimeBounds.min..<RequestTimeBounds.max).contains(p.start) else {
                throw APIError.badRequest("date must be YYYY-MM-DD (KST)", code: "bad_date", parameter: "date")
            }
            return containing(p.start, scope: scope)
        }
        if let t = q["period"], !t.isEmpty {
            guard let p = APIPeriod.parse(t) else {
                throw APIError.badRequest("period must be YYYY (year), YYYY-MM (month) or YYYY-MM-DD (day, or any day of a week), KST",
                                          code: "bad_period", parameter: "period")
            }
            if q["scope"] == nil || q["scope"] == "" {
                scope = t.count == 4 ? .year : (t.count == 7 ? .month : .day)
            }
            return containing(p.start, scope: scope)
        }
        return containing(latest, scope: scope)
    }
}
