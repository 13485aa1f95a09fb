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

/// The Dangjin PV plants of shared/data/pv-dangjin (EWP, 37.0508 N 126.5103 E, tilt 30°).
public enum Dangjin {
    public struct Plant: Sendable {
        public var column: String
        public var capacityKW: Double
    }
    public static let plants = [Plant(column: "dangjin", capacityKW: 1000),
                                Plant(column: "dangjin_floating", capacityKW: 1000),
                                Plant(column: "dangjin_warehouse", capacityKW: 700)]

    /// South-facing, tilt 30° (site_info.csv), site near sea level; AC limit = DC nameplate.
    public static func system(_ p: Plant) -> PVSystem {
        PVSystem(id: p.column, latitudeDeg: 37.0507527, longitudeDeg: 126.5102993, altitudeM: 10, tiltDeg: 30,
                 azimuthDeg: 180, dcKW: p.capacityKW, acKW: p.capacityKW, lossesPct: 14, linke: .dangjin)
    }

    /// First year (2018-03-01 … 2019-03-01 KST) trains, second (2019-03-01 … 2020-03-01) tests.
    public static let trainRange: Range<Int64> =
        KSTDateTime(year: 2018, month: 3, day: 1).epochSeconds..<KSTDateTime(year: 2019, month: 3, day: 1).epochSeconds
    public static let testRange: Range<Int64> =
        KSTDateTime(year: 2019, month: 3, day: 1).epochSeconds..<KSTDateTime(year: 2020, month: 3, day: 1).epochSeconds

    public static func backtest(directory: String, plant: Plant, seed: UInt64 = 42) throws -> PVBacktest.Result {
        let weather = try WeatherCSV.load(path: directory + "/dangjin_fcst.csv")
        let energy = try HourlyEnergyTable.load(path: directory + "/energy.csv", convention: .hourEnding)
        return try backtest(weather: weather, energy: energy, plant: plant, seed: seed)
    }

    public static func backtest(weather: WeatherSeries, energy: HourlyEnergyTable, plant: Plant,
                                trainRange: Range<Int64> = Dangjin.trainRange, testRange: Range<Int64> = Dangjin.testRange,
                                seed: UInt64 = 42) throws -> PVBacktest.Result {
        guard let col = energy.columns[plant.column] else {
            throw ForecastError.insufficientData("energy.csv has no column \(plant.column)")
        }
        return try PVBacktest.run(system: system(plant), capacityKW: plant.capacityKW, slotStarts: energy.slotStarts,
                                  energyKWh: col, weather: weather, trainRange: trainRange, testRange: testRange, seed: seed)
    }

    public static func plant(named name: String) throws -> Plant {
        guard let p = plants.first(where: { $0.column == name }) else {
            throw ForecastError.usage("unknown plant \(name); known: \(plants.map(\.column).joined(separator: ", "))")
        }
        return p
    }
}
