import VPPBenchmarks
import VPPServer
import Dispatcher
import Tracking
import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPAuth
import ArgumentParser
import Forecast
import Foundation
import VPPCore
import VPPStore

/// `vpp forecast …` — PV and load forecasts (issue 4). Wiring only; the models live in Forecast.
struct ForecastCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast", abstract: "Day-ahead PV and load forecasts per dong.",
        subcommands: [Run.self, Show.self, Backtest.self,
                      Score.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forecast PV and load for every dong and slot and store the run.",
            discussion: "Weather comes from KMA 단기예보 (service key in VPP_KMA_KEY) unless --weather-csv is given.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "First KST day of the forecast, YYYY-MM-DD (default: tomorrow).") var date: String?
        @OptionGroup var span: HorizonOptions
        @Option(help: "Site config TOML (default: the site loaded in the store).") var config: String?
        @Option(help: "Weather forecast CSV (Forecast_time,Temperature,Humidity,WindSpeed,WindDirection,Cloud[,PTY,POP]) instead of KMA.")
        var weatherCsv: String?
        @Option(help: "KMA service base URL (for testing against a local server).") var kmaUrl: String?

        func run() async throws {
            let store = try global.openStore()
            let site = try await loadSite(storage: store, config: config)
            let length = span.slotLength
            let hours = span.horizon.hours
            let now = store.clock.now()
            let start: Int64
            if let date {
                guard let d = KSTDateTime.parse(date) else { throw ValidationError("--date must be YYYY-MM-DD") }
                start = KSTDateTime(year: d.year, month: d.month, day: d.day).epochSeconds
            } else {
                let t = KSTDateTime(epochSeconds: now + 86_400)
                start = KSTDateTime(year: t.year, month: t.month, day: t.day).epochSeconds
            }
            var weather: [String: WeatherSeries] = [:]
            if let path = weatherCsv {
                let w = try WeatherCSV.load(path: path)
                for d in site.dongs { weather[d.code] = w }
            } else {
                var cfg = try KMAClient.Configuration.fromEnvironment()
                if let u = kmaUrl { cfg.baseURL = u }
                let client = KMAClient(configuration: cfg, cache: StoreKMACache(archive: store.weather))
                weather = try await ForecastWeather.fromKMA(client: client, dongs: site.dongs, now: now)
            }
            let summary = try await ForecastRunner.run(storage: store, site: site, start: start, slots: hours * 3600 / length.seconds,
                                                 length: length, weather: weather, issuedAt: now)
            for l in summary.lines { print(l) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a stored forecast run (default: the newest).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Run id.") var run: Int64?
        @Option(help: "Only this dong code.") var dong: String?
        @Option(help: "Only pv or load.") var quantity: String?
        @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table

        func run() async throws {
            let store = try global.openStore()
            guard let r = try await store.forecasts.forecastRun(id: run) else {
                throw VPPError(.noInput, run.map { "no forecast run \($0)" } ?? "no forecast runs in \(store.location); run `vpp forecast run` first")
            }
            let values = try await store.forecasts.forecastValues(runID: r.id, dong: dong, quantity: quantity)
            let headers = ["dong", "quantity", "slot_start_kst", "duration_s", "value_wh"]
            let rows = values.map { [$0.dongCode, $0.quantity, KSTDateTime(epochSeconds: $0.slotStart).iso8601, "\($0.durationS)", "\($0.value.wh)"] }
            switch format {
            case .table:
                print("run \(r.id) issued \(KSTDateTime(epochSeconds: r.issuedAt)) KST, \(r.kind), horizon \(r.horizonS / 3600) h, step \(r.stepS) s, model \(r.model)")
                print(renderTable(headers: headers, rows: rows, numeric: [3, 4]))
            case .csv: print(renderCSV(headers: headers, rows: rows))
            case .json:
                // The same payload as GET /api/v1/forecasts.
                print(try renderJSON(ForecastsPayload(run: r, points: values.map {
                    ForecastPointPayload(dong: $0.dongCode, quantity: $0.quantity, slotStart: $0.slotStart, durationS: $0.durationS, valueWh: $0.value.wh)
                })))
            }
        }
    }

    struct Backtest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Day-ahead PV backtest on the Dangjin data: KPX NMAE, MAE, RMSE, skill, per month and overall.",
            discussion: "Trains the learned correction on [train-from, train-to) (default: the year before --from) and scores [from, to).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "First KST day scored, YYYY-MM-DD.") var from: String = "2019-03-01"
        @Option(help: "KST day after the last one scored, YYYY-MM-DD.") var to: String = "2020-03-01"
        @Option(help: "Training start (default: one year before --from).") var trainFrom: String?
        @Option(help: "Training end, exclusive (default: --from).") var trainTo: String?
        @Option(help: "Folder with dangjin_fcst.csv and energy.csv.") var data: String = "../shared/data/pv-dangjin"
        @Option(help: "Plant column: dangjin, dangjin_floating or dangjin_warehouse.") var plant: String = "dangjin"
        @Option(help: "Seed for the cross-validation folds.") var seed: UInt64 = 42
        @Flag(help: "Store the trained correction in the store (forecast_model) for `forecast run`.") var saveModel = false

        func run() async throws {
            func day(_ s: String, _ name: String) throws -> Int64 {
                guard let d = KSTDateTime.parse(s) else { throw ValidationError("--\(name) must be YYYY-MM-DD") }
                return KSTDateTime(year: d.year, month: d.month, day: d.day).epochSeconds
            }
            let f = try day(from, "from"), t = try day(to, "to")
            let fd = KSTDateTime(epochSeconds: f)
            let tf = try trainFrom.map { try day($0, "train-from") } ?? KSTDateTime(year: fd.year - 1, month: fd.month, day: fd.day).epochSeconds
            let tt = try trainTo.map { try day($0, "train-to") } ?? f
            guard f < t, tf < tt else { throw ValidationError("empty training or test range") }
            let p = try Dangjin.plant(named: plant)
            let weather = try WeatherCSV.load(path: data + "/dangjin_fcst.csv")
            let energy = try HourlyEnergyTable.load(path: data + "/energy.csv", convention: .hourEnding)
            let r = try Dangjin.backtest(weather: weather, energy: energy, plant: p, trainRange: tf..<tt, testRange: f..<t, seed: seed)
            print("\(plant) (\(Int(p.capacityKW)) kW): trained \(KSTDateTime(epochSeconds: tf).dateString)..\(KSTDateTime(epochSeconds: tt).dateString) "
                  + "(\(r.model.trainRows) rows, λ=\(r.model.lambda)), scored \(from)..\(to); NMAE = KPX hourly |F−A|/capacity over hours with A ≥ 10 %")
            for s in r.scores { print(s.line) }
            if saveModel {
                let store = try global.openStore()
                let json = String(decoding: try r.model.jsonData(), as: UTF8.self)
                let id = try await store.forecasts.saveForecastModel(name: ForecastRunner.correctionModelName, trainedAt: store.clock.now(),
                                                     trainFrom: tf, trainTo: tt, paramsJSON: json)
                print("saved correction model #\(id)")
            }
        }
    }
}

private func loadSite(storage store: Storage, config: String?) async throws -> SiteConfig {
    if let config { return try SiteConfigParser().parse(fileAt: config) }
    guard let s = try await store.sites.loadedSiteConfig() else {
        throw VPPError(.noInput, "no site loaded in \(store.location); pass --config or run `vpp site load site-configs/seodaemun.toml`")
    }
    return s
}
