import ArgumentParser
import VPPCore

/// How far ahead `forecast run` and `dispatch plan|run` look: whole hours, written `48h` or `2d`.
/// Parsed once here; the limits (`Horizon.limits`) are the same for both command groups and are
/// checked in `HorizonOptions.validate()`.
struct Horizon: ExpressibleByArgument, Equatable, CustomStringConvertible {
    /// 1 h to 14 days, for forecasts and dispatch alike.
    static let limits: ClosedRange<Int> = 1...(14 * 24)
    static let limitsText = "1 h to 14 days"

    var hours: Int
    /// As written on the command line (for messages).
    var text: String
    var seconds: Int { hours * 3600 }
    init(hours: Int) { self.hours = hours; text = "\(hours)h" }

    /// `48h`, `2d` (any whole number with h or d); the range is checked by `validate()`.
    init?(argument: String) {
        let t = argument.lowercased()
        guard let unit = t.last, unit == "h" || unit == "d", let n = Int(t.dropLast()) else { return nil }
        let (h, overflow) = n.multipliedReportingOverflow(by: unit == "d" ? 24 : 1)
        guard !overflow else { return nil }
        hours = h; text = argument
    }

    var description: String { text }
    static func == (a: Horizon, b: Horizon) -> Bool { a.hours == b.hours }
    var defaultValueDescription: String { description }

    /// Slots of `step` in this horizon.
    func slots(_ step: Step) -> Int { seconds / step.length.seconds }

    func validate() throws {
        guard Self.limits.contains(hours) else {
            throw ValidationError("--horizon \(text): must be from \(Self.limitsText) (e.g. 48h or 2d)")
        }
    }
}

/// The slot length of a forecast or plan: `15m` or `1h`.
struct Step: ExpressibleByArgument, Equatable, CustomStringConvertible {
    var length: SlotLength
    init(_ length: SlotLength) { self.length = length }
    init?(argument: String) {
        guard let l = SlotLength(text: argument) else { return nil }
        length = l
    }
    var description: String { length == .hour ? "1h" : "15m" }
    var defaultValueDescription: String { description }
    static var allValueStrings: [String] { ["15m", "1h"] }
}

/// `--horizon` and `--step`, shared by `forecast run` and `dispatch plan|run`.
struct HorizonOptions: ParsableArguments {
    @Option(help: "Horizon in whole hours or days, e.g. 48h or 2d; \(Horizon.limitsText) (forecast and dispatch alike).")
    var horizon: Horizon = Horizon(hours: 48)
    @Option(help: "Slot length: 15m or 1h.") var step: Step = Step(.quarterHour)

    func validate() throws { try horizon.validate() }

    var slotLength: SlotLength { step.length }
    var slots: Int { horizon.slots(step) }
}
