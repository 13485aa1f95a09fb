import Foundation
import VPPCore
import VPPStore

/// Day-ahead PV backtest: physical chain + learned correction, trained on one window and scored
/// on another against KPX NMAE, persistence (same hour the day before) and the uncorrected
/// physical model.
public enum PVBacktest {
    public struct Result: Sendable {
        public var model: PVCorrectionModel
        public var hours: [BacktestHour]
        public var scores: [BacktestScore]
        public var overall: BacktestScore? { scores.last(where: { $0.label == "overall" }) }
    }

    /// - Parameters:
    ///   - slotStarts/energyKWh: hourly measured energy (hour-beginning slot starts), nil = missing
    ///   - trainRange/testRange: half-open UTC epoch ranges
    public static func run(system: PVSystem, capacityKW cap: Double, slotStarts: [Int64], energyKWh: [Double?],
                           weather: WeatherSeries, trainRange: Range<Int64>, testRange: Range<Int64>,
                           seed: UInt64 = 42) throws -> Result {
        guard slotStarts.count == energyKWh.count, !slotStarts.isEmpty else {
            throw ForecastError.insufficientData("backtest: no measured hours")
        }
        var actualAt: [Int64: Double] = [:]
        for (i, s) in slotStarts.enumerated() { if let v = energyKWh[i] { actualAt[s] = v } }
        // Physical forecast for every hour with weather.
        var phys: [Int64: PhysicalPV.SlotResult] = [:]
        for s in slotStarts where trainRange.contains(s) || testRange.contains(s) {
            if let r = PhysicalPV.slots(system: system, from: s, count: 1, length: .hour, weather: weather).first {
                phys[s] = r
            }
        }
        // Training rows, leaving out whole days that look like outages (no output although the
        // clear-sky model expects some), since a weather model cannot learn them.
        var dayActual: [Int64: Double] = [:], dayClear: [Int64: Double] = [:]
        for (s, r) in phys where trainRange.contains(s) {
            let d = (s + KST.offsetSeconds) / 86_400
            dayActual[d, default: 0] += actualAt[s] ?? 0
            dayClear[d, default: 0] += r.clearSkyACKW
        }
        var rows: [(PhysicalPV.SlotResult, Double)] = []
        for s in slotStarts where trainRange.contains(s) {
            guard let r = phys[s], let a = actualAt[s] else { continue }
            let d = (s + KST.offsetSeconds) / 86_400
            if (dayActual[d] ?? 0) < 0.05 * (dayClear[d] ?? 0) { continue }
            rows.append((r, a))
        }
        let model = try PVCorrectionModel.fit(systemID: system.id, capacityKW: cap, rows: rows,
                                              trainFrom: trainRange.lowerBound, trainTo: trainRange.upperBound, seed: seed)
        var hours: [BacktestHour] = []
        for s in slotStarts where testRange.contains(s) {
            guard let r = phys[s], let a = actualAt[s], let prev = actualAt[s - 86_400] else { continue }
            hours.append(BacktestHour(slotStart: s, actual: a, forecast: model.predictKW(r, acLimitKW: system.acKW),
                                      physical: r.acKW, persistence: prev, daylight: r.clearSkyACKW > 0 || a > 0))
        }
        guard !hours.isEmpty else { throw ForecastError.insufficientData("backtest: no test hours with weather and data") }
        return Result(model: model, hours: hours, scores: BacktestScore.monthlyAndOverall(hours: hours, capacityKW: cap))
    }
}
