import Forecast
import VPPCore
import Foundation

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

/// Hourly metered PV energy, e.g. shared/data/pv-dangjin/energy.csv: `time` then one column per
/// plant in kWh per hour; stamps HOUR-ENDING KST ("2018-3-1 1:00" = 00:00–01:00). Empty or NaN
/// cells are missing values.
public struct HourlyEnergyTable: Sendable {
    /// Slot starts [UTC epoch s], hour-beginning after conversion.
    public var slotStarts: [Int64]
    /// Column name → kWh per slot (nil = missing).
    public var columns: [String: [Double?]]

    public static func load(path: String, convention: StampConvention = .hourEnding) throws -> HourlyEnergyTable {
        try parse(bytes: readFileBytes(path), path: path, convention: convention)
    }

    public static func parse(bytes: [UInt8], path: String = "<memory>", convention: StampConvention) throws -> HourlyEnergyTable {
        var names: [String] = []
        var starts: [Int64] = []
        var cols: [[Double?]] = []
        try CSVRecords.forEach(bytes) { line, f in
            if line == 1 {
                names = (1..<max(f.count, 1)).map { f.string($0).trimmingCharacters(in: .whitespaces) }
                cols = Array(repeating: [], count: names.count)
                return
            }
            guard let t = KSTDateTime.parse(utf8: f[0]) else {
                throw ForecastError.badData(path: path, line: line, column: 1, reason: "bad time stamp")
            }
            starts.append(convention.slotStart(stampEpoch: t.epochSeconds, length: .hour))
            for c in 0..<names.count {
                let v = c + 1 < f.count ? csvDouble(f[c + 1]) : nil
                if let v, v < 0 {
                    throw ForecastError.badData(path: path, line: line, column: c + 2, reason: "negative energy")
                }
                cols[c].append(v)
            }
        }
        var dict: [String: [Double?]] = [:]
        for (i, n) in names.enumerated() { dict[n] = cols[i] }
        return HourlyEnergyTable(slotStarts: starts, columns: dict)
    }
}

/// One GIST campus feeder's hourly active power (shared/data/gist-campus/load_hourly_by_feeder.csv:
/// `timestamp_kst` column 1, `feeder_ko` column 5, `active_power_kw` column 6), in file order.
public enum GISTFeeder {
    public static func hourlyKW(path: String, feeder: String) throws -> [(epoch: Int64, kW: Double)] {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw VPPError(.noInput, "\(path): cannot read (the shared data folder is needed; pass --data-dir)")
        }
        var out: [(epoch: Int64, kW: Double)] = []
        try CSVRecords.forEach([UInt8](d)) { line, f in
            guard line > 1, f.count >= 6, f.string(4) == feeder, let stamp = KSTDateTime.parse(utf8: f[0]),
                  let kw = csvDouble(f[5]) else { return }
            out.append((stamp.epochSeconds, kw))
        }
        guard !out.isEmpty else { throw VPPError(.badData, "\(path): feeder \(feeder) not found") }
        return out
    }
}
