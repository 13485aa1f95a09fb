import Foundation
/// Metering and scheduling intervals.
///
/// A `Slot` is identified by its start instant (UTC epoch seconds) and its length. Stamps in
/// source files are either *hour-beginning* (the stamp is the start of the interval, as KPX's
/// `interval_start_kst`) or *hour-ending* (the stamp is the end, as Dangjin's "2018-03-01 1:00"
/// = 00:00–01:00 and KPX's "24시"). `StampConvention` converts both ways explicitly.

/// Length of an interval [s].
public enum SlotLength: Int, Sendable, Codable, CaseIterable, Hashable {
    case quarterHour = 900
    case hour = 3600

    public var seconds: Int { rawValue }
    public var hours: Double { Double(rawValue) / 3600 }
    public var slotsPerDay: Int { 86_400 / rawValue }

    /// Parses `15m`, `15min`, `900s`, `1h`, `60m`.
    public init?(text: String) {
        switch text.lowercased() {
        case "15m", "15min", "900s", "900", "pt15m": self = .quarterHour
        case "1h", "60m", "60min", "3600s", "3600", "h", "pt1h": self = .hour
        default: return nil
        }
    }
}

/// Whether a file's time stamps label the beginning or the end of each interval.
public enum StampConvention: String, Sendable, Codable, CaseIterable {
    case hourBeginning = "hour-beginning"
    case hourEnding = "hour-ending"

    /// Start of the interval a stamp labels [UTC epoch s].
    @inlinable public func slotStart(stampEpoch: Int64, length: SlotLength) -> Int64 {
        self == .hourBeginning ? stampEpoch : stampEpoch - Int64(length.seconds)
    }
    /// The stamp this convention writes for an interval starting at `start`.
    @inlinable public func stamp(slotStart start: Int64, length: SlotLength) -> Int64 {
        self == .hourBeginning ? start : start + Int64(length.seconds)
    }
}

/// One interval: start [UTC epoch s] and length.
public struct Slot: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var start: Int64
    public var length: SlotLength

    public init(start: Int64, length: SlotLength) { self.start = start; self.length = length }

    /// The slot of `length` containing the instant `epoch` (slots are aligned to KST midnight;
    /// with a whole-hour offset that is also UTC-aligned for 15 min and 1 h).
    public init(containing epoch: Int64, length: SlotLength) {
        let l = Int64(length.seconds)
        var s = epoch - epoch % l
        if epoch % l < 0 { s -= l }
        self.init(start: s, length: length)
    }

    /// The slot a file stamp labels under `convention`.
    public init(stamp: KSTDateTime, convention: StampConvention, length: SlotLength) {
        self.init(start: convention.slotStart(stampEpoch: stamp.epochSeconds, length: length), length: length)
    }

    public var end: Int64 { start + Int64(length.seconds) }
    public var next: Slot { Slot(start: end, length: length) }
    public var startKST: KSTDateTime { KSTDateTime(epochSeconds: start) }
    public var endKST: KSTDateTime { KSTDateTime(epochSeconds: end) }

    /// The hour slot this slot falls in.
    public var hour: Slot { Slot(containing: start, length: .hour) }

    /// Slots of `length` covering [from, to).
    public static func range(from: Int64, to: Int64, length: SlotLength) -> [Slot] {
        var out: [Slot] = []
        var s = Slot(containing: from, length: length)
        while s.start < to { out.append(s); s = s.next }
        return out
    }

    public static func < (a: Slot, b: Slot) -> Bool { a.start < b.start || (a.start == b.start && a.length.seconds < b.length.seconds) }
    public var description: String { "\(startKST)+\(length == .hour ? "1h" : "15m") KST" }
}

/// A calendar month in KST, e.g. a billing month.
public struct YearMonth: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var year: Int, month: Int
    public init(year: Int, month: Int) { self.year = year; self.month = month }
    /// Parses `2024-07`, `202407`, `2024.07`, `2024/7`.
    public init?(_ text: String) {
        let digits = text.split(whereSeparator: { $0 == "-" || $0 == "." || $0 == "/" })
        if digits.count == 2, let y = Int(digits[0]), let m = Int(digits[1]) { year = y; month = m }
        else if text.count == 6, let v = Int(text) { year = v / 100; month = v % 100 }
        else { return nil }
        guard (1900...2200).contains(year), (1...12).contains(month) else { return nil }
    }
    /// First instant of the month in KST [UTC epoch s].
    public var startEpoch: Int64 { KSTDateTime(year: year, month: month, day: 1).epochSeconds }
    public var next: YearMonth { month == 12 ? YearMonth(year: year + 1, month: 1) : YearMonth(year: year, month: month + 1) }
    public var endEpoch: Int64 { next.startEpoch }
    public var days: Int { KST.daysInMonth(year: year, month: month) }
    public static func < (a: YearMonth, b: YearMonth) -> Bool { (a.year, a.month) < (b.year, b.month) }
    public var description: String { "\(pad(year, 4))-\(pad(month))" }
}
