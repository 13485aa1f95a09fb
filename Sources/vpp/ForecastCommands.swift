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
        subcommands: [
            Run.self, Show.self, Train.self, Score.self, Backtest.self,
        ])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forecast PV and load for every dong and slot and store the run.",
            discussion: "Weather comes from KMA 단기예보 (service key in VPP_KMA_KEY) unless --weather-csv is given.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "First KST day of the forecast, YYYY-MM-DD (default: tomorrow).") var date: String?
        @OptionGroup var span: HorizonOptions
        @Option(help: "Site config TOML (default: the site loaded in the store).") var config: String?
        @OptionGroup var siteOption: SiteOption
        @Option(help: "Weather forecast CSV (Forecast_time,Temperature,Humidity,WindSpeed,WindDirection,Cloud[,PTY,POP]) instead of KMA.")
        var weatherCsv: String?
        @Option(help: "KMA service base URL (for testing against a local server).") var kmaUrl: String?

        func run() async throws {
            let store = try global.openStore()
            let site = try await loadSite(storage: store, config: config, site: siteOption.code)
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
            // Every weather source lands in the archive first; the run reads it back as issued by now.
            let cells = Set(site.dongs.map { KMAGrid.gridPoint(latitudeDeg: $0.latitudeDeg, longitudeDeg: $0.longitudeDeg) })
            if let path = weatherCsv {
                // A CSV given to `forecast run` is taken as issued now, for every dong's grid cell.
                let bytes = try readFile(path)
                for g in cells.sorted(by: { ($0.nx, $0.ny) < ($1.nx, $1.ny) }) {
                    let parsed = WeatherFileImport.dangjinCSV(bytes: bytes, path: path, grid: g, issue: .fixed(now))
                    let r = try await store.weather.archiveWeather(source: path, importedAt: now, hours: parsed.hours, rejects: parsed.rejects)
                    printImport(r, cell: g)
                }
            } else {
                var cfg = try KMAClient.Configuration.fromEnvironment()
                if let u = kmaUrl { cfg.baseURL = u }
                let client = KMAClient(configuration: cfg, cache: StoreKMACache(archive: store.weather))
                let base = KMAClient.latestBase(now: now)
                for g in cells.sorted(by: { ($0.nx, $0.ny) < ($1.nx, $1.ny) }) {
                    let items = try await client.villageForecast(baseDate: base.date, baseTime: base.time, grid: g, now: now)
                    let parsed = WeatherFileImport.kmaItems(items, path: "KMA \(base.date) \(base.time) \(g)")
                    let r = try await store.weather.archiveWeather(source: "kma \(base.date)\(base.time)", importedAt: now,
                                                                   hours: parsed.hours, rejects: parsed.rejects)
                    printImport(r, cell: g)
                }
            }
            let end = start + Int64(hours * 3600)
            let (weather, missing) = try await ArchivedWeather.forDongs(site.dongs, archive: store.weather, from: start, to: end, issuedAt: now)
            if !missing.isEmpty {
                let names = site.dongs.filter { missing.contains(KMAGrid.gridPoint(latitudeDeg: $0.latitudeDeg, longitudeDeg: $0.longitudeDeg)) }
                    .map(\.code)
                FileHandle.standardError.write(Data(("vpp: no archived weather issued by \(KSTDateTime(epochSeconds: now)) KST covers "
                    + "\(KSTDateTime(epochSeconds: start).dateString) for grid cells \(missing.map(\.description).joined(separator: ", ")) "
                    + "(dongs \(names.joined(separator: ", "))); their PV is not forecast\n").utf8))
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
        @OptionGroup var siteOption: SiteOption

        func run() async throws {
            let store = try global.openStore()
            // Without --run: the newest run with values of the district (--site when several are loaded).
            let newest = { try await store.forecasts.latestForecastRun(siteID: try await store.selectSite(siteOption.code)?.site.id) }
            guard let r = try await (run == nil ? newest() : store.forecasts.forecastRun(id: run)) else {
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

    struct Train: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit each metered PV group's calibration and learned correction from the store.",
            discussion: """
                For every dong with PV fleets and metered generation in [until − window, until): time offset and scale \
                fitted on clear days (grid search), a linear degradation/soiling trend, then the KPX-weighted ridge \
                correction, on the weather archived for the dong's grid cell as issued day-ahead (D-1 17:30 KST). \
                Fewer than 30 days of data: refused, the physical model is used. Outage days are left out and counted.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "End of the training window, exclusive, KST day YYYY-MM-DD (default: today).") var until: String?
        @Option(help: "Training window in days, e.g. 365d (1–1100 days).") var window: String = "365d"
        @Option(help: "Site config TOML (default: the site loaded in the store).") var config: String?
        @OptionGroup var siteOption: SiteOption

        func validate() throws { _ = try windowDays() }

        func windowDays() throws -> Int64 {
            let t = window.hasSuffix("d") ? String(window.dropLast()) : window
            guard let d = Int64(t), (1...1100).contains(d) else { throw ValidationError("--window must be whole days, 1d…1100d, e.g. 365d") }
            return d
        }

        func run() async throws {
            let store = try global.openStore()
            let site = try await loadSite(storage: store, config: config, site: siteOption.code)
            let now = store.clock.now()
            let end: Int64
            if let until {
                guard let d = KSTDateTime.parse(until) else { throw ValidationError("--until must be YYYY-MM-DD") }
                end = KSTDateTime(year: d.year, month: d.month, day: d.day).epochSeconds
            } else {
                let t = KSTDateTime(epochSeconds: now)
                end = KSTDateTime(year: t.year, month: t.month, day: t.day).epochSeconds
            }
            let t0 = Date()
            let outcomes = try await PVGroupTrainer.train(storage: store, site: site, until: end, windowS: try windowDays() * 86_400,
                                                          trainedAt: now)
            guard !outcomes.isEmpty else { throw VPPError(.noInput, "no dong of \(site.site.id) has PV fleets; nothing to train") }
            print("forecast train: window \(KSTDateTime(epochSeconds: end - (try windowDays()) * 86_400).dateString)..\(KSTDateTime(epochSeconds: end).dateString) KST, "
                  + "\(outcomes.count) PV groups, \(String(format: "%.2f", Date().timeIntervalSince(t0))) s")
            for o in outcomes { print("  " + o.line) }
        }
    }

    struct Backtest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Day-ahead PV backtest on the Dangjin data through the product path: KPX NMAE, MAE, RMSE, skill, per month and overall.",
            discussion: """
                Loads a one-dong site for the plant into a fresh store (--db, default a temporary file), stores the plant's \
                output as its PV readings, imports dangjin_fcst.csv into the weather archive (issued D-1 17:00 KST, an \
                ASSUMPTION), trains as `forecast train` does on [train-from, train-to), issues one `forecast run` per test day \
                at D-1 17:30 KST and scores the stored runs with `forecast score --by month --issued-before 18:00` (printed as \
                that command prints them), then compares the uncorrected physical model and persistence on the same hours.
                """)
        @Option(help: "SQLite database file for the backtest (default: a temporary file, removed afterwards).") var db: String?
        @Option(help: "First KST day scored, YYYY-MM-DD.") var from: String = "2019-03-01"
        @Option(help: "KST day after the last one scored, YYYY-MM-DD.") var to: String = "2020-03-01"
        @Option(help: "Training start (default: one year before --from).") var trainFrom: String?
        @Option(help: "Training end, exclusive (default: --from).") var trainTo: String?
        @Option(help: "Folder with dangjin_fcst.csv and energy.csv.") var data: String = "../shared/data/pv-dangjin"
        @Option(help: "Plant column: dangjin, dangjin_floating or dangjin_warehouse.") var plant: String = "dangjin"
        @Option(help: "Seed for the cross-validation folds.") var seed: UInt64 = 42

        func run() async throws {
            func day(_ s: String, _ name: String) throws -> Int64 {
                guard let d = KSTDateTime.parse(s) else { throw ValidationError("--\(name) must be YYYY-MM-DD") }
                return KSTDateTime(year: d.year, month: d.month, day: d.day).epochSeconds
            }
            let f = try day(from, "from"), t = try day(to, "to")
            let fd = KSTDateTime(epochSeconds: f)
            let tf = try trainFrom.map { try day($0, "train-from") } ?? KSTDateTime(year: fd.year - 1, month: fd.month, day: fd.day).epochSeconds
            let tt = try trainTo.map { try day($0, "train-to") } ?? f
            guard f < t, tf < tt, tt <= f else { throw ValidationError("empty training or test range, or training ends after the test starts") }
            let p = try Dangjin.plant(named: plant)
            var tempDir: URL? = nil
            let path: String
            if let db { path = db } else {
                let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vpp-backtest-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                tempDir = dir
                path = dir.appendingPathComponent("backtest.sqlite").path
            }
            defer { if let tempDir { try? FileManager.default.removeItem(at: tempDir) } }
            let store = try StoreOpener.open(path)
            let r = try await Dangjin.productBacktest(directory: data, plant: p, storage: store, trainRange: tf..<tt, testRange: f..<t, seed: seed)
            print("\(plant) (\(Int(p.capacityKW)) kW), product path: weather archived \(r.weatherImport.added) hours "
                  + "(\(r.weatherImport.rejected.count) rejected rows), trained \(KSTDateTime(epochSeconds: tf).dateString)..\(KSTDateTime(epochSeconds: tt).dateString), "
                  + "\(r.runs) day-ahead runs issued D-1 17:30 KST, scored \(from)..\(to); NMAE = KPX hourly |F−A|/capacity over hours with A ≥ 10 %")
            for o in r.train { print("  train " + o.line) }
            print("\nforecast score --from \(from) --to \(to) --by month --issued-before 18:00 (the product's scoring):")
            var pvOnly = r.score
            pvOnly.load = []   // a plant, no load
            print(ForecastCommand.Score.render(pvOnly, format: .table))
            print("\nagainst the uncorrected physical model and persistence (hours with a previous-day actual):")
            for s in r.scores { print(s.line) }
        }
    }
}

private func readFile(_ path: String) throws -> [UInt8] {
    guard let d = FileManager.default.contents(atPath: path) else { throw VPPError(.noInput, "\(path): missing or unreadable") }
    return [UInt8](d)
}

func printImport(_ r: WeatherImportReport, cell: KMAGridPoint) {
    print("weather \(r.source) cell \(cell): \(r.added) hours archived, \(r.unchanged) already archived, \(r.rejected.count) rows rejected")
    for x in r.rejected.prefix(10) { print("  rejected: \(x.reason)") }
    if r.rejected.count > 10 { print("  … \(r.rejected.count - 10) more (vpp weather show --rejects)") }
}

private func loadSite(storage store: Storage, config: String?, site: String?) async throws -> SiteConfig {
    if let config { return try SiteConfigParser().parse(fileAt: config) }
    guard let s = try await store.selectSite(site) else {
        throw VPPError(.noInput, "no site loaded in \(store.location); pass --config or run `vpp site load site-configs/seodaemun.toml`")
    }
    return s
}
