import VPPConfig
import VPPStoreSQLite
import Tracking
import Ingestion
import Forecast
import Dispatcher
import VPPAuth
import Foundation
import VPPCore
import VPPStore

/// Figures `vpp bench forecast` prints: the Dangjin day-ahead backtest for three plants, the GIST
/// physical-model check, the KPX-demand load backtest and the timing of a 48-hour district forecast.
public enum ForecastBenchmarks {
    /// - Parameters:
    ///   - dataDirectory: shared/data
    ///   - siteConfigPath: a site config with the 14 dongs (for the timing run)
    public static func run(dataDirectory: String, siteConfigPath: String? = nil) async throws -> [String] {
        var out: [String] = []
        func f(_ x: Double, _ d: Int = 2) -> String { String(format: "%.\(d)f", x) }
        let dj = dataDirectory + "/pv-dangjin"
        var trained: PVCorrectionModel? = nil
        out.append("Dangjin day-ahead PV backtest through the product path (train 2018-03..2019-02, test 2019-03..2020-02; "
                   + "KMA forecast CSV archived as issued D-1 17:00; runs issued D-1 17:30; energy.csv hour-ending KST)")
        for plant in Dangjin.plants {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vpp-bench-dangjin-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = try SQLiteStore(path: dir.appendingPathComponent("b.sqlite").path)
            let t0 = Date()
            let r = try await Dangjin.productBacktest(directory: dj, plant: plant, storage: store.storage)
            let dt = Date().timeIntervalSince(t0)
            out.append("[\(plant.column) \(Int(plant.capacityKW)) kW] \(r.runs) runs, \(f(dt, 1)) s")
            for o in r.train {
                out.append("  train " + o.line)
                if trained == nil, case .trained(_, let m) = o { trained = m.correction }
            }
            for s in r.scores { out.append("  " + s.line) }
        }
        let gist = dataDirectory + "/gist-campus"
        if FileManager.default.fileExists(atPath: gist + "/pv_weather_station_hourly.csv") {
            out.append("GIST physical model with measured POA + module temperature (capacity fitted on 2022-07-01..07-31, scored 08-01..08-31)")
            for a in try GISTValidation.run(directory: gist) {
                out.append("  \(a.array): est. DC \(f(a.estimatedDCKW, 1)) kW, hours \(a.testHours), MAE \(f(a.maeKWh)) kWh, RMSE \(f(a.rmseKWh)) kWh, NMAE \(f(a.nmaePct))%, r \(f(a.correlation, 3))")
            }
        }
        let kpx = dataDirectory + "/kpx-demand-smp-2021/kpx_demand_smp_hourly_2021.csv"
        if FileManager.default.fileExists(atPath: kpx) {
            let series = try KPXDemand.load(path: kpx)
            let r = try LoadBacktest.run(series: series, length: .hour,
                                         testFrom: KSTDateTime(year: 2021, month: 3, day: 1).epochSeconds,
                                         testTo: KSTDateTime(year: 2021, month: 9, day: 1).epochSeconds)
            out.append("Load model day-ahead on KPX national demand 2021-03..08 (56-day trailing fit, no temperature in data): "
                       + "MAPE \(f(r.modelMAPE))% vs seasonal-naive \(f(r.naiveMAPE))%, NMAE \(f(r.modelNMAE))% vs \(f(r.naiveNMAE))%, skill \(f(r.skill, 3)); "
                       + "holidays MAPE \(f(r.holidayModelMAPE ?? .nan))% vs \(f(r.holidayNaiveMAPE ?? .nan))%, days \(r.days)")
        }
        if let cfg = siteConfigPath {
            let site = try SiteConfigParser().parse(fileAt: cfg)
            let start = KSTDateTime(year: 2026, month: 6, day: 1).epochSeconds
            let w = syntheticWeather(from: start - 4 * 3600, hours: 56)
            let fleets = site.dongs.reduce(0) { $0 + $1.pvFleets.count }
            for (label, model) in [("physical", nil), ("physical + learned correction", trained)] as [(String, PVCorrectionModel?)] {
                let fc = DistrictPVForecaster(dongs: site.dongs, linke: LinkeTurbidity(site: site.site), correction: model)
                _ = fc.forecast(from: start, slots: 8, length: .quarterHour) { _ in w }   // warm-up
                var best = Double.infinity, rows = 0
                for _ in 0..<5 {
                    let t0 = Date()
                    let r = fc.forecast(from: start, slots: 192, length: .quarterHour) { _ in w }
                    best = min(best, Date().timeIntervalSince(t0)); rows = r.count
                }
                out.append("District forecast 48 h × 15 min, \(site.dongs.count) dongs, \(fleets) fleets, \(label): \(rows) dong-slots in \(f(best * 1000, 1)) ms (best of 5)")
            }
        }
        return out
    }

    /// A plausible KMA-like hourly series (clear mornings, cloud in the afternoon) for timing.
    static func syntheticWeather(from start: Int64, hours: Int) -> WeatherSeries {
        WeatherSeries(points: (0...hours).map { h in
            WeatherPoint(epoch: start + Int64(h) * 3600, temperatureC: 22 + 6 * sin(Double(h) / 24 * 2 * .pi),
                         windSpeedMS: 2.5, humidityPct: 60, sky: h % 24 < 12 ? 1 : 3)
        })
    }
}

/// KPX national hourly demand (shared/data/kpx-demand-smp-2021): `interval_start_kst` is
/// HOUR-BEGINNING (converted from KPX's hour-ending columns by the data's curator).
public enum KPXDemand {
    public static func load(path: String) throws -> [LoadObservation] {
        var out: [LoadObservation] = []
        try CSVRecords.forEach(readFileBytes(path)) { line, f in
            guard line > 1 else { return }
            guard f.count >= 4, let t = KSTDateTime.parse(utf8: f[0]), let mw = csvDouble(f[3]) else {
                throw ForecastError.badData(path: path, line: line, column: 1, reason: "bad row")
            }
            out.append(LoadObservation(slotStart: StampConvention.hourBeginning.slotStart(stampEpoch: t.epochSeconds, length: .hour),
                                       kWh: mw * 1000))
        }
        return out
    }
}
