import VPPAuth
import VPPCore
import VPPStore
/// Finds a unit switch that shows only in the size of the numbers: a sustained step of about
/// 1000× in a series' daily energy against its own recent level (a KPX demand export that moves
/// from kW to MW mid-file stores values 1000× too small, each one plausible on its own).
///
/// Readings are summed per asset and KST day while the file streams (one comparison per reading,
/// a dictionary touch only when the day changes). `finish()` compares each day with the median
/// of the seven days before it; a step counts when the day and the next one are both at least
/// `minRatio` away from that median in the same direction (sustained, not one odd day), and the
/// median of the days from the step on confirms it. Days without any energy (outages, nights of a
/// PV series that only reports daylight) are left out rather than read as a step to zero.
struct LevelStepDetector {
    struct Step: Equatable {
        var asset: Int
        /// First slot and file line of the day the level changed.
        var slotStart: Int64
        var line: Int
        /// Median daily energy before and from the step [Wh per day, scaled to full days].
        var before: Int64
        var after: Int64
        var ratio: Double
    }

    private struct Day {
        var sumWh: Int64 = 0
        var readings: Int = 0
        var firstLine: Int = .max
        var firstSlot: Int64 = .max
    }

    /// A step this large either way (~1000× with room for a day's natural variation).
    static let minRatio = 200.0
    /// Days kept per asset (about 11 years of daily totals); later days are not examined.
    static let maxDaysPerAsset = 4096

    private let slotsPerDay: Int
    private var currentDay: [Int64]
    private var current: [Day]
    private var days: [[Int64: Day]]

    init(assets: Int, slotSeconds: Int) {
        slotsPerDay = max(1, 86_400 / max(1, slotSeconds))
        currentDay = Array(repeating: .min, count: assets)
        current = Array(repeating: Day(), count: assets)
        days = Array(repeating: [:], count: assets)
    }

    @inline(__always)
    mutating func observe(asset a: Int, wh: Int64, slotStart: Int64, line: Int) {
        let day = (slotStart + KST.offsetSeconds).floorDiv(86_400)
        if day != currentDay[a] {
            flush(a)
            currentDay[a] = day
            current[a] = days[a][day] ?? Day()
        }
        let (sum, overflow) = current[a].sumWh.addingReportingOverflow(wh)
        current[a].sumWh = overflow ? .max : sum
        current[a].readings += 1
        if line < current[a].firstLine { current[a].firstLine = line }
        if slotStart < current[a].firstSlot { current[a].firstSlot = slotStart }
    }

    private mutating func flush(_ a: Int) {
        guard currentDay[a] != .min else { return }
        if days[a][currentDay[a]] != nil || days[a].count < Self.maxDaysPerAsset { days[a][currentDay[a]] = current[a] }
    }

    /// The first sustained step of each asset, in asset order.
    mutating func finish() -> [Step] {
        for a in days.indices { flush(a); currentDay[a] = .min }
        var out: [Step] = []
        for a in days.indices where days[a].count >= 5 {
            let ordered = days[a].sorted { $0.key < $1.key }.map(\.value).filter { $0.sumWh > 0 }
            // Scale partial days to full days so a half-covered day is not read as a step.
            let level = ordered.map { Double($0.sumWh) * Double(slotsPerDay) / Double(max(1, $0.readings)) }
            guard level.count >= 5 else { continue }
            for i in 3..<(level.count - 1) {
                let before = median(Array(level[max(0, i - 7)..<i]))
                guard before > 0 else { continue }
                let r0 = level[i] / before, r1 = level[i + 1] / before
                let up = r0 >= Self.minRatio && r1 >= Self.minRatio
                let down = r0 <= 1 / Self.minRatio && r1 <= 1 / Self.minRatio
                guard up || down else { continue }
                let after = median(Array(level[i..<min(level.count, i + 7)]))
                let ratio = after / before
                guard ratio >= Self.minRatio || ratio <= 1 / Self.minRatio else { continue }
                out.append(Step(asset: a, slotStart: ordered[i].firstSlot, line: ordered[i].firstLine,
                                before: WattHours(checked: before)?.wh ?? .max, after: WattHours(checked: after)?.wh ?? .max,
                                ratio: ratio))
                break
            }
        }
        return out
    }

    private func median(_ v: [Double]) -> Double {
        guard !v.isEmpty else { return 0 }
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
