import Forecast
import VPPCore
import Foundation
import VPPStore

/// The Dangjin PV plants of shared/data/pv-dangjin (EWP, 37.0508 N 126.5103 E, tilt 30°).
public enum Dangjin {
    public struct Plant: Sendable {
        public var column: String
        public var capacityKW: Double
    }
    public static let plants = [Plant(column: "dangjin", capacityKW: 1000),
                                Plant(column: "dangjin_floating", capacityKW: 1000),
                                Plant(column: "dangjin_warehouse", capacityKW: 700)]

    /// First year (2018-03-01 … 2019-03-01 KST) trains, second (2019-03-01 … 2020-03-01) tests.
    public static let trainRange: Range<Int64> =
        KSTDateTime(year: 2018, month: 3, day: 1).epochSeconds..<KSTDateTime(year: 2019, month: 3, day: 1).epochSeconds
    public static let testRange: Range<Int64> =
        KSTDateTime(year: 2019, month: 3, day: 1).epochSeconds..<KSTDateTime(year: 2020, month: 3, day: 1).epochSeconds

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

// MARK: - The backtest through the product path (issue 11 item 3)

extension Dangjin {
    /// A one-dong site holding one plant, as an energy centre would configure it: one ground
    /// array, tilt 30° facing south (site_info.csv), AC limit = DC nameplate, the Dangjin Linke
    /// turbidity table. The dong code is a made-up 10-digit code in Dangjin-si's range (44270).
    public static func siteConfig(_ p: Plant) -> SiteConfig {
        let idx = plants.firstIndex { $0.column == p.column } ?? 0
        let code = "44270990\(String(format: "%02d", idx + 1))"
        let dong = DongConfig(code: code, nameKo: "당진 \(p.column)", name: "Dangjin \(p.column)", latitudeDeg: 37.0507527,
                              longitudeDeg: 126.5102993, households: 0,
                              pvFleets: [PVFleetConfig(id: p.column, kind: .groundMounted, units: 1, unitW: p.capacityKW * 1000,
                                                       tiltDeg: 30, azimuthDeg: 180, dcAcRatio: 1, lossesPct: 14)])
        return SiteConfig(site: SiteInfo(id: "dangjin-\(p.column)", name: "Dangjin \(p.column)", nameKo: "당진 \(p.column)",
                                         sigunguCode: "44270", latitudeDeg: 37.0507527, longitudeDeg: 126.5102993,
                                         linkeTurbidityMonthly: LinkeTurbidity.dangjin.monthly),
                          dongs: [dong])
    }

    public struct ProductBacktest: Sendable {
        public var train: [PVGroupTrainer.Outcome]
        public var weatherImport: WeatherImportReport
        public var runs: Int
        public var hours: [BacktestHour]
        /// The physical-model comparison on the hours that have a previous-day actual (persistence).
        public var scores: [BacktestScore]
        /// What `vpp forecast score --by month --issued-before 18:00` reports on the same store:
        /// the backtest's figures (the runs are issued D-1 17:30 KST).
        public var score: ForecastScoreReport
        public var capacityKW: Double
    }

    /// The backtest's runs are issued D-1 17:30 KST: scored as issued before D-1 18:00.
    public static let backtestIssuedBeforeMinutes = 18 * 60

    /// The backtest as a user would run it, on `storage` (a fresh store): the site is loaded, the
    /// plant's hourly output stored as the dong's PV readings (hourly rollups), the forecast CSV
    /// imported into the weather archive (issue-time ASSUMPTION of `WeatherFileImport`), the
    /// group model trained by `PVGroupTrainer.train` (what `forecast train` runs) on
    /// [trainRange), then one day-ahead `ForecastRunner.run` (what `forecast run` runs) per test
    /// day, issued at D-1 17:30 KST on the weather archived by then, and the stored runs scored
    /// against the stored readings (KPX NMAE, persistence = the same hour the day before).
    public static func productBacktest(directory: String, plant: Plant, storage: Storage,
                                       trainRange: Range<Int64> = Dangjin.trainRange, testRange: Range<Int64> = Dangjin.testRange,
                                       seed: UInt64 = 42) async throws -> ProductBacktest {
        let site = siteConfig(plant)
        guard let dong = site.dongs.first else { throw ForecastError.usage("no dong") }
        _ = try await storage.sites.loadSite(site)
        // 1. The plant's output as the dong's PV readings.
        let energy = try HourlyEnergyTable.load(path: directory + "/energy.csv", convention: .hourEnding)
        guard let col = energy.columns[plant.column] else { throw ForecastError.insufficientData("energy.csv has no column \(plant.column)") }
        var rollups: [(dongCode: String, rollup: HourlyRollup)] = []
        for (i, t) in energy.slotStarts.enumerated() {
            guard let kWh = col[i], kWh.isFinite, kWh >= 0, kWh <= plant.capacityKW * 1.5 else { continue }
            rollups.append((dong.code, HourlyRollup(hourStart: t, generationWh: Int64((kWh * 1000).rounded()), consumptionWh: 0,
                                                     generationCoveredS: 3600, consumptionCoveredS: 0)))
        }
        try await storage.readings.replaceRollups(rollups)
        // 2. The forecast weather into the archive.
        let path = directory + "/dangjin_fcst.csv"
        let grid = KMAGrid.gridPoint(latitudeDeg: dong.latitudeDeg, longitudeDeg: dong.longitudeDeg)
        let parsed = WeatherFileImport.dangjinCSV(bytes: try readFileBytes(path), path: path, grid: grid)
        let imp = try await storage.weather.archiveWeather(source: path, importedAt: storage.clock.now(), hours: parsed.hours,
                                                           rejects: parsed.rejects)
        // 3. Train as `forecast train --until <test start> --window <train span>`.
        let outcomes = try await PVGroupTrainer.train(storage: storage, site: site, until: trainRange.upperBound,
                                                      windowS: trainRange.upperBound - trainRange.lowerBound,
                                                      trainedAt: trainRange.upperBound, seed: seed)
        // 4. One day-ahead run per test day, issued at D-1 17:30 KST.
        var runIDs: [Int64] = []
        var physical: [Int64: Double] = [:]
        var day = testRange.lowerBound
        while day < testRange.upperBound {
            let issuedAt = day - 86_400 + 17 * 3600 + 1800
            let w = try await ArchivedWeather.forDongs(site.dongs, archive: storage.weather, from: day, to: day + 86_400, issuedAt: issuedAt)
            if !w.weather.isEmpty {
                let s = try await ForecastRunner.run(storage: storage, site: site, start: day, slots: 24, length: .hour,
                                                     weather: w.weather, issuedAt: issuedAt)
                runIDs.append(s.runID)
                for p in s.pv { physical[p.slot.start] = p.pvPhysical.kWh }
            }
            day += 86_400
        }
        // 5. Score the stored runs against the stored readings as `forecast score` does (the
        //    figures a user gets), and the uncorrected physical model on the same hours.
        let score = try await ForecastScorer.score(forecasts: try storage.forecastScoring(), readings: storage.readings,
                                                   request: ForecastScoreRequest(from: testRange.lowerBound, to: testRange.upperBound,
                                                                                 dongs: site.dongs,
                                                                                 issuedBeforeMinutes: backtestIssuedBeforeMinutes,
                                                                                 grouping: .month))
        let gen = try await storage.readings.hourlyGeneration(dong: dong.code, from: testRange.lowerBound - 86_400, to: testRange.upperBound)
        var actual: [Int64: Double] = [:]
        for g in gen { actual[g.hourStart] = Double(g.wh) / 1000 }
        var hours: [BacktestHour] = []
        for id in runIDs {
            for v in try await storage.forecasts.forecastValues(runID: id, dong: dong.code, quantity: "pv") {
                guard let a = actual[v.slotStart], let prev = actual[v.slotStart - 86_400] else { continue }
                let f = v.value.kWh, ph = physical[v.slotStart] ?? 0
                hours.append(BacktestHour(slotStart: v.slotStart, actual: a, forecast: f, physical: ph, persistence: prev,
                                          daylight: ph > 0 || a > 0 || f > 0))
            }
        }
        guard !hours.isEmpty else { throw ForecastError.insufficientData("backtest: no test hours with a stored forecast and a reading") }
        return ProductBacktest(train: outcomes, weatherImport: imp, runs: runIDs.count, hours: hours,
                               scores: BacktestScore.monthlyAndOverall(hours: hours, capacityKW: plant.capacityKW),
                               score: score, capacityKW: plant.capacityKW)
    }
}
