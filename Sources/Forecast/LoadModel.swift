import Foundation
import VPPCore
import VPPStore

/// One observed load slot.
public struct LoadObservation: Sendable, Equatable {
    public var slotStart: Int64
    /// Energy in the slot [kWh].
    public var kWh: Double
    /// Air temperature for the slot [°C], if known.
    public var temperatureC: Double?
    public init(slotStart: Int64, kWh: Double, temperatureC: Double? = nil) {
        self.slotStart = slotStart; self.kWh = kWh; self.temperatureC = temperatureC
    }
}

/// Per-dong load model: a profile per day type (Monday … Saturday, and Sunday/public holiday)
/// and slot of day, fitted by exponentially weighted least squares with a piecewise-linear
/// temperature response around a balance point (cooling and heating degree terms, as in the
/// degree-day regression of ASHRAE Handbook—Fundamentals ch. 19). Korean public holidays,
/// including lunar ones, take the Sunday profile.
public struct LoadProfileModel: Sendable {
    public var length: SlotLength
    public var balancePointC: Double
    /// [dayType][slotOfDay] → (base, cooling slope, heating slope) [kWh, kWh/°C, kWh/°C].
    public var coefficients: [[(Double, Double, Double)]]
    /// Ratio of the last day's metered load to the profile's fit of it, carried into the forecast
    /// so the profile follows the current level (the trend a trailing fit lags behind).
    public var levelFactor: Double = 1
    let holidays: KoreanHolidays

    /// Day type 0…6: Monday…Saturday = 0…5, Sunday or public holiday = 6.
    public static func dayType(epoch: Int64, holidays: KoreanHolidays) -> Int {
        let local = epoch + KST.offsetSeconds
        let days = (local >= 0 ? local : local - 86_399) / 86_400
        // 1970-01-01 was a Thursday → Monday-based index (days + 3) mod 7.
        let dow = Int(((days + 3) % 7 + 7) % 7)
        if dow == 6 || holidays.isHoliday(epoch: epoch) { return 6 }
        return dow
    }

    static func slotOfDay(_ epoch: Int64, _ length: SlotLength) -> Int {
        Int(((epoch + KST.offsetSeconds) % 86_400 + 86_400) % 86_400) / length.seconds
    }

    /// Fits on history (any order). `halfLifeDays` weights recent days more; `ridge` shrinks the
    /// temperature slopes when the temperature range is narrow.
    public static func fit(history: [LoadObservation], length: SlotLength, holidays: KoreanHolidays = KoreanHolidays(),
                           balancePointC: Double = 18, halfLifeDays: Double = 7, ridge: Double = 1.0) throws -> LoadProfileModel {
        guard let last = history.map(\.slotStart).max() else { throw ForecastError.insufficientData("load model: empty history") }
        let spd = length.slotsPerDay
        // Weighted normal equations per (dayType, slot): 3×3.
        var ata = [[Double]](repeating: [Double](repeating: 0, count: 9), count: 7 * spd)
        var atb = [[Double]](repeating: [Double](repeating: 0, count: 3), count: 7 * spd)
        var wsum = [Double](repeating: 0, count: 7 * spd)
        for o in history {
            let dt = dayType(epoch: o.slotStart, holidays: holidays)
            let k = dt * spd + slotOfDay(o.slotStart, length)
            let ageDays = Double(last - o.slotStart) / 86_400
            let w = pow(0.5, ageDays / halfLifeDays)
            let x: [Double]
            if let t = o.temperatureC { x = [1, max(t - balancePointC, 0), max(balancePointC - t, 0)] } else { x = [1, 0, 0] }
            for i in 0..<3 {
                atb[k][i] += w * x[i] * o.kWh
                for j in 0..<3 { ata[k][i * 3 + j] += w * x[i] * x[j] }
            }
            wsum[k] += w
        }
        var coef = [[(Double, Double, Double)]](repeating: [(Double, Double, Double)](repeating: (0, 0, 0), count: spd), count: 7)
        for dt in 0..<7 {
            for s in 0..<spd {
                var k = dt * spd + s
                // A day type never seen (e.g. no holiday in history) borrows Sunday, then Saturday, then weekdays.
                if wsum[k] == 0 {
                    for alt in [6, 5, 2, 1, 3, 0, 4] where wsum[alt * spd + s] > 0 { k = alt * spd + s; break }
                }
                guard wsum[k] > 0 else { continue }
                var a = ata[k]
                a[4] += ridge * wsum[k]; a[8] += ridge * wsum[k]
                if let w = PVCorrectionModel.choleskySolve(a, atb[k], 3) { coef[dt][s] = (w[0], w[1], w[2]) }
                else { coef[dt][s] = (atb[k][0] / wsum[k], 0, 0) }
            }
        }
        var model = LoadProfileModel(length: length, balancePointC: balancePointC, coefficients: coef, holidays: holidays)
        var sa = 0.0, sp = 0.0
        for o in history where o.slotStart > last - 86_400 {
            sa += o.kWh; sp += model.predict(slotStart: o.slotStart, temperatureC: o.temperatureC)
        }
        if sa > 0, sp > 0 { model.levelFactor = min(max(sa / sp, 0.5), 2) }
        return model
    }

    /// Forecast energy for a slot [kWh].
    public func predict(slotStart: Int64, temperatureC: Double? = nil) -> Double {
        let c = coefficients[Self.dayType(epoch: slotStart, holidays: holidays)][Self.slotOfDay(slotStart, length)]
        guard let t = temperatureC else { return max(c.0, 0) * levelFactor }
        return max(c.0 + c.1 * max(t - balancePointC, 0) + c.2 * max(balancePointC - t, 0), 0) * levelFactor
    }
}

/// Load backtest: day-ahead, refitting the profile model each day on a trailing window, against
/// seasonal-naive (same slot one week earlier).
public enum LoadBacktest {
    public struct Result: Sendable, Equatable {
        public var days: Int
        /// Mean absolute percentage error [%] and NMAE relative to mean load [%].
        public var modelMAPE: Double, naiveMAPE: Double
        public var modelNMAE: Double, naiveNMAE: Double
        /// Same, over holidays only.
        public var holidayModelMAPE: Double?, holidayNaiveMAPE: Double?
        public var skill: Double { 1 - modelNMAE / naiveNMAE }
    }

    public static func run(series: [LoadObservation], length: SlotLength, testFrom: Int64, testTo: Int64,
                           trainDays: Int = 56, holidays: KoreanHolidays = KoreanHolidays()) throws -> Result {
        let sorted = series.sorted { $0.slotStart < $1.slotStart }
        var at: [Int64: LoadObservation] = [:]
        for o in sorted { at[o.slotStart] = o }
        var absM = 0.0, absN = 0.0, pctM = 0.0, pctN = 0.0, sumA = 0.0, n = 0, days = 0
        var hM = 0.0, hN = 0.0, hn = 0
        var day = testFrom
        while day < testTo {
            let train = sorted.filter { $0.slotStart >= day - Int64(trainDays) * 86_400 && $0.slotStart < day }
            if train.count >= 7 * length.slotsPerDay {
                let m = try LoadProfileModel.fit(history: train, length: length, holidays: holidays)
                let hol = holidays.isHoliday(epoch: day)
                var any = false
                for s in 0..<length.slotsPerDay {
                    let t = day + Int64(s * length.seconds)
                    guard let a = at[t], let prev = at[t - 7 * 86_400], a.kWh > 0 else { continue }
                    let f = m.predict(slotStart: t, temperatureC: a.temperatureC)
                    absM += abs(f - a.kWh); absN += abs(prev.kWh - a.kWh); sumA += a.kWh
                    pctM += abs(f - a.kWh) / a.kWh; pctN += abs(prev.kWh - a.kWh) / a.kWh; n += 1; any = true
                    if hol { hM += abs(f - a.kWh) / a.kWh; hN += abs(prev.kWh - a.kWh) / a.kWh; hn += 1 }
                }
                if any { days += 1 }
            }
            day += 86_400
        }
        guard n > 0 else { throw ForecastError.insufficientData("load backtest: no test slots with history") }
        return Result(days: days, modelMAPE: pctM / Double(n) * 100, naiveMAPE: pctN / Double(n) * 100,
                      modelNMAE: absM / sumA * 100, naiveNMAE: absN / sumA * 100,
                      holidayModelMAPE: hn > 0 ? hM / Double(hn) * 100 : nil,
                      holidayNaiveMAPE: hn > 0 ? hN / Double(hn) * 100 : nil)
    }
}
