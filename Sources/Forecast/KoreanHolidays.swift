import VPPCore
import VPPStore

/// Korean public holidays (관공서의 공휴일에 관한 규정, Presidential Decree) as a dated table,
/// 2018–2027. Lunar holidays — 설날 (three days around lunar 1/1), 부처님오신날 (lunar 4/8) and
/// 추석 (three days around lunar 8/15) — cannot be computed from the Gregorian calendar alone, so
/// they are listed with the dates the Korea Astronomy and Space Science Institute's 월력요항
/// gives. Substitute holidays (대체공휴일: 설날/추석 since 2014, 어린이날 since 2014, national days
/// since 2021, 부처님오신날/성탄절 since 2023), election days and one-off temporary holidays
/// (임시공휴일) are included. Dates outside the table's years fall back to the fixed-date
/// holidays only; `covers(year:)` says whether a year is fully tabulated.
public struct KoreanHolidays: Sendable {
    public struct Holiday: Sendable, Equatable {
        public var year: Int, month: Int, day: Int
        public var name: String
    }

    public static let firstYear = 2018, lastYear = 2027

    /// Fixed-date holidays (solar calendar).
    static let fixed: [(Int, Int, String)] = [
        (1, 1, "신정"), (3, 1, "삼일절"), (5, 5, "어린이날"), (6, 6, "현충일"), (8, 15, "광복절"),
        (10, 3, "개천절"), (10, 9, "한글날"), (12, 25, "성탄절"),
    ]

    /// Lunar-calendar, substitute, election and temporary holidays by year.
    static let dated: [(Int, Int, Int, String)] = [
        // 2018
        (2018, 2, 15, "설날 연휴"), (2018, 2, 16, "설날"), (2018, 2, 17, "설날 연휴"), (2018, 5, 7, "대체공휴일(어린이날)"),
        (2018, 5, 22, "부처님오신날"), (2018, 6, 13, "지방선거"), (2018, 9, 23, "추석 연휴"), (2018, 9, 24, "추석"),
        (2018, 9, 25, "추석 연휴"), (2018, 9, 26, "대체공휴일(추석)"),
        // 2019
        (2019, 2, 4, "설날 연휴"), (2019, 2, 5, "설날"), (2019, 2, 6, "설날 연휴"), (2019, 5, 6, "대체공휴일(어린이날)"),
        (2019, 5, 12, "부처님오신날"), (2019, 9, 12, "추석 연휴"), (2019, 9, 13, "추석"), (2019, 9, 14, "추석 연휴"),
        // 2020
        (2020, 1, 24, "설날 연휴"), (2020, 1, 25, "설날"), (2020, 1, 26, "설날 연휴"), (2020, 1, 27, "대체공휴일(설날)"),
        (2020, 4, 15, "국회의원선거"), (2020, 4, 30, "부처님오신날"), (2020, 8, 17, "임시공휴일"),
        (2020, 9, 30, "추석 연휴"), (2020, 10, 1, "추석"), (2020, 10, 2, "추석 연휴"),
        // 2021
        (2021, 2, 11, "설날 연휴"), (2021, 2, 12, "설날"), (2021, 2, 13, "설날 연휴"), (2021, 5, 19, "부처님오신날"),
        (2021, 8, 16, "대체공휴일(광복절)"), (2021, 9, 20, "추석 연휴"), (2021, 9, 21, "추석"), (2021, 9, 22, "추석 연휴"),
        (2021, 10, 4, "대체공휴일(개천절)"), (2021, 10, 11, "대체공휴일(한글날)"),
        // 2022
        (2022, 1, 31, "설날 연휴"), (2022, 2, 1, "설날"), (2022, 2, 2, "설날 연휴"), (2022, 3, 9, "대통령선거"),
        (2022, 5, 8, "부처님오신날"), (2022, 6, 1, "지방선거"), (2022, 9, 9, "추석 연휴"), (2022, 9, 10, "추석"),
        (2022, 9, 11, "추석 연휴"), (2022, 9, 12, "대체공휴일(추석)"), (2022, 10, 10, "대체공휴일(한글날)"),
        // 2023
        (2023, 1, 21, "설날 연휴"), (2023, 1, 22, "설날"), (2023, 1, 23, "설날 연휴"), (2023, 1, 24, "대체공휴일(설날)"),
        (2023, 5, 27, "부처님오신날"), (2023, 5, 29, "대체공휴일(부처님오신날)"), (2023, 9, 28, "추석 연휴"),
        (2023, 9, 29, "추석"), (2023, 9, 30, "추석 연휴"), (2023, 10, 2, "임시공휴일"),
        // 2024
        (2024, 2, 9, "설날 연휴"), (2024, 2, 10, "설날"), (2024, 2, 11, "설날 연휴"), (2024, 2, 12, "대체공휴일(설날)"),
        (2024, 4, 10, "국회의원선거"), (2024, 5, 6, "대체공휴일(어린이날)"), (2024, 5, 15, "부처님오신날"),
        (2024, 9, 16, "추석 연휴"), (2024, 9, 17, "추석"), (2024, 9, 18, "추석 연휴"), (2024, 10, 1, "임시공휴일(국군의 날)"),
        // 2025
        (2025, 1, 27, "임시공휴일"), (2025, 1, 28, "설날 연휴"), (2025, 1, 29, "설날"), (2025, 1, 30, "설날 연휴"),
        (2025, 3, 3, "대체공휴일(삼일절)"), (2025, 5, 5, "부처님오신날"), (2025, 5, 6, "대체공휴일"),
        (2025, 6, 3, "대통령선거"), (2025, 10, 5, "추석 연휴"), (2025, 10, 6, "추석"), (2025, 10, 7, "추석 연휴"),
        (2025, 10, 8, "대체공휴일(추석)"),
        // 2026
        (2026, 2, 16, "설날 연휴"), (2026, 2, 17, "설날"), (2026, 2, 18, "설날 연휴"), (2026, 3, 2, "대체공휴일(삼일절)"),
        (2026, 5, 24, "부처님오신날"), (2026, 5, 25, "대체공휴일(부처님오신날)"), (2026, 6, 3, "지방선거"),
        (2026, 8, 17, "대체공휴일(광복절)"), (2026, 9, 24, "추석 연휴"), (2026, 9, 25, "추석"), (2026, 9, 26, "추석 연휴"),
        (2026, 10, 5, "대체공휴일(개천절)"),
        // 2027
        (2027, 2, 6, "설날 연휴"), (2027, 2, 7, "설날"), (2027, 2, 8, "설날 연휴"), (2027, 2, 9, "대체공휴일(설날)"),
        (2027, 5, 13, "부처님오신날"), (2027, 8, 16, "대체공휴일(광복절)"), (2027, 9, 14, "추석 연휴"),
        (2027, 9, 15, "추석"), (2027, 9, 16, "추석 연휴"), (2027, 10, 4, "대체공휴일(개천절)"),
        (2027, 10, 11, "대체공휴일(한글날)"), (2027, 12, 27, "대체공휴일(성탄절)"),
    ]

    private let days: Set<Int64>
    public init() {
        var s = Set<Int64>()
        for y in Self.firstYear...Self.lastYear {
            for (m, d, _) in Self.fixed { s.insert(KST.daysFromCivil(year: y, month: m, day: d)) }
        }
        for (y, m, d, _) in Self.dated { s.insert(KST.daysFromCivil(year: y, month: m, day: d)) }
        days = s
    }

    public func covers(year: Int) -> Bool { year >= Self.firstYear && year <= Self.lastYear }

    /// Whether a KST civil date is a public holiday (Sundays are not listed as holidays here).
    public func isHoliday(year: Int, month: Int, day: Int) -> Bool {
        if days.contains(KST.daysFromCivil(year: year, month: month, day: day)) { return true }
        if !covers(year: year) { return Self.fixed.contains { $0.0 == month && $0.1 == day } }
        return false
    }

    /// Whether the KST day containing `epoch` is a holiday.
    public func isHoliday(epoch: Int64) -> Bool {
        let t = KSTDateTime(epochSeconds: epoch)
        return isHoliday(year: t.year, month: t.month, day: t.day)
    }

    /// Holidays of one year with names.
    public func holidays(in year: Int) -> [Holiday] {
        var out = Self.fixed.map { Holiday(year: year, month: $0.0, day: $0.1, name: $0.2) }
        out += Self.dated.filter { $0.0 == year }.map { Holiday(year: $0.0, month: $0.1, day: $0.2, name: $0.3) }
        return out.sorted { ($0.month, $0.day) < ($1.month, $1.day) }
    }
}
