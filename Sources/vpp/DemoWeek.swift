import Dispatcher
import Forecast
import Foundation
import Ingestion
import PlantSimulator
import Tracking
import VPPAuth
import VPPCore
import VPPStore
import VPPStoreSQLite

/// A store clock the demo moves through simulated time (ingest stamps, telemetry "future" checks).
final class SteppingClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var t: Int64
    init(_ t: Int64) { self.t = t }
    func now() -> Int64 { lock.lock(); defer { lock.unlock() }; return t }
    func set(_ v: Int64) { lock.lock(); t = v; lock.unlock() }
}

/// `vpp demo --week DIR`: a week of operations for all 14 dongs on the exports that
/// `samples/make_week.py` derives from ../shared/data (issue 12, item 6). Each simulated day D:
/// 09:00 retrain on the data through D-1 and issue the day-ahead forecast for D+1; every hour a
/// scheduled dispatch run, the plant simulator following it for the hour and its telemetry
/// ingested; after midnight D's AMI and PV exports (and on the 1st the office's monthly upload for
/// the previous month), then D's forecast scored as issued. The week ends with the report.
enum DemoWeek {
    static let firstDay = KSTDateTime(year: 2022, month: 8, day: 1)
    static let days = 7
    static let dispatchHorizon = Horizon(hours: 24)
    static let forecastHorizon = Horizon(hours: 48)

    static func run(dbPath: String, config: SiteConfig, week: String, outDir: String) async throws {
        let wallStart = Date()
        let start = firstDay.epochSeconds
        let clock = SteppingClock(start - 86_400 + 9 * 3600)
        let store = try SQLiteStore(path: dbPath, clock: clock).storage
        let load = try await store.sites.loadSite(config)
        print("== 1. site: \(config.site.nameKo) (\(config.site.name)), \(config.dongs.count) dongs, loaded into \(dbPath): \(load.changes.count) records")
        print("   exports: \(week) — DERIVED from ../shared/data by samples/make_week.py (see \(week)/SOURCE.txt), not measured in Seodaemun")

        // History: July's AMI and PV, the weather archive.
        let ingestor = Ingestor(storage: store)
        let pvMap = try IngestMapping.load(path: week + "/pv.map.toml")
        for (file, kind, source, map) in [("history/ami-2022-07.csv", IngestKind.interval, "AMI head-end", IngestMapping()),
                                          ("history/pv-2022-07.csv", .pv, "rooftop PV monitoring", pvMap)] {
            let r = try await ingestor.ingest(file: week + "/" + file, options: IngestOptions(kind: kind, source: source, mapping: map))
            print("   " + r.summary)
        }
        let weatherPath = week + "/weather/kma-standin-2022.csv"
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: weatherPath)))
        var weatherRows = 0
        for g in Set(config.dongs.map { KMAGrid.gridPoint(latitudeDeg: $0.latitudeDeg, longitudeDeg: $0.longitudeDeg) })
            .sorted(by: { ($0.nx, $0.ny) < ($1.nx, $1.ny) }) {
            // Each valid day taken as forecast by KMA's 05:00 issue of the day before (an ASSUMPTION
            // of the stand-in: the file has no issue times; KMA's 05:00 단기예보 reaches D+2).
            let parsed = WeatherFileImport.dangjinCSV(bytes: bytes, path: weatherPath, grid: g, issue: .previousDay(hourKST: 5))
            let r = try await store.weather.archiveWeather(source: weatherPath, importedAt: clock.now(), hours: parsed.hours, rejects: parsed.rejects)
            weatherRows += r.added
        }
        print("   weather archive: \(weatherRows) cell-hours from \(weatherPath) (the real KMA forecast for Dangjin, 2019, re-dated: a stand-in), each valid day issued D-1 05:00 KST")

        let builder = SiteProblemBuilder(site: config)
        var options = DispatchRunner.Options(outbox: outDir + "/outbox", lockPath: outDir + "/dispatch.lock")
        options.step = .quarterHour
        options.slots = dispatchHorizon.slots(Step(.quarterHour))
        let nominal = HorizonInputs.Nominal(meanHouseholdKW: builder.meanHouseholdKW, participation: builder.participation)
        let runner = DispatchRunner(builder: builder, storage: store, options: options) { s, st, n in
            let i = try await HorizonInputs.build(storage: store, site: config, start: s, step: st, slots: n, now: clock.now(), nominal: nominal)
            return DispatchSeries(series: i.series, sources: i.summary)
        }
        let simulator = PlantSimulator(site: config, options: .init(source: .storedSchedule, noisePct: 2, seed: 12))

        print("\n== 2. a week of operations, \(firstDay.dateString)..\(KSTDateTime(epochSeconds: start + Int64(days - 1) * 86_400).dateString) KST")
        // Before the week: train on July and issue the forecast for the first day (D-1 09:00).
        _ = try await trainAndForecast(store: store, config: config, clock: clock, day: start - 86_400)
        for d in 0..<days {
            let day = start + Int64(d) * 86_400
            let dayT0 = Date()
            let trained = try await trainAndForecast(store: store, config: config, clock: clock, day: day)
            var solveMs = 0.0, telemetry = 0, dispatchSources = ""
            for h in 0..<24 {
                let t = day + Int64(h) * 3600
                clock.set(t)
                let r = try await runner.run(now: t)
                solveMs += (r.plan.buildSeconds + r.plan.solveSeconds) * 1000
                if h == 0 { dispatchSources = r.inputSources }
                clock.set(t + 3600)
                let samples = try await simulator.simulate(storage: store, from: t, to: t + 3600)
                let csv = TelemetryCSV.csv(samples)
                let a = try await store.uploads.appendTelemetry(samples, source: "simulator", directory: try await store.sites.assetDirectory(),
                                                                receivedAt: t + 3600, sha256: sha256Hex(Data(csv.utf8)))
                telemetry += a.accepted
            }
            // After midnight: the day's exports.
            clock.set(day + 86_400 + 1800)
            let date = KSTDateTime(epochSeconds: day).dateString
            var rows = 0
            for (file, kind, source, map) in [("day/ami-\(date).csv", IngestKind.interval, "AMI head-end", IngestMapping()),
                                              ("day/pv-\(date).csv", .pv, "rooftop PV monitoring", pvMap)] {
                rows += try await ingestor.ingest(file: week + "/" + file, options: IngestOptions(kind: kind, source: source, mapping: map)).rowsOK
            }
            if KSTDateTime(epochSeconds: day).day == 1 {
                var erp = IngestMapping()
                erp.meter = "yeonhui-apt"
                erp.month = YearMonth(year: 2022, month: 7)
                let o = IngestOptions(kind: .monthly, source: "연희동 관리사무소 (XpERP)", mapping: erp)
                let r = try await ingestor.ingest(file: week + "/monthly/yeonhui-apt-xperp-2022-07.xlsx", options: o)
                print("   \(date): the office's monthly upload for 2022-07: \(r.summary)")
            }
            // D's forecast, as issued by D-1 10:00, against D's meters.
            let score = try await ForecastScorer.score(forecasts: try store.forecastScoring(), readings: store.readings,
                                                       request: ForecastScoreRequest(from: day, to: day + 86_400, dongs: config.dongs))
            func district(_ r: ForecastScore?) -> String {
                guard let r else { return "–" }
                return r.nmaePct.map { String(format: "%.2f %%", $0) } ?? r.status.rawValue
            }
            print("   day \(d + 1)/\(days) \(date): \(rows) meter rows ingested, 24 dispatch runs (build+solve \(fmt(solveMs / 24, 1)) ms mean), "
                  + "\(telemetry) telemetry samples, \(trained) PV groups retrained; forecast for \(date): PV NMAE \(district(score.districtPV)), load NMAE \(district(score.districtLoad)) (district); "
                  + "\(fmt(Date().timeIntervalSince(dayT0), 1)) s")
            if d == 0 { print("     first run's load/PV sources: \(dispatchSources)") }
        }

        // The week in the report.
        clock.set(start + Int64(days) * 86_400 + 3600)
        let period = try ReportPeriod.parse("\(firstDay.dateString)..\(KSTDateTime(epochSeconds: start + Int64(days - 1) * 86_400).dateString)")
        let html = outDir + "/report.html"
        print("\n== 3. report for \(period.label) KST")
        try await ReportCommand.produce(storage: store, period: period, dong: nil, format: .html, by: .period, out: html)
        print("HTML report written to \(html)")
        try await ReportCommand.produce(storage: store, period: period, dong: nil, format: .table, by: .period, out: nil)
        print("\n== demo week done in \(fmt(Date().timeIntervalSince(wallStart), 1)) s")
    }

    /// At D-1 09:00: retrain on the data through D-1 (PV groups with ≥ 30 days), then the day-ahead
    /// forecast for D (48 h) on the weather archived as issued by then. Returns the groups trained.
    static func trainAndForecast(store: Storage, config: SiteConfig, clock: SteppingClock, day: Int64) async throws -> Int {
        let issued = day - 86_400 + 9 * 3600
        clock.set(issued)
        let outcomes = try await PVGroupTrainer.train(storage: store, site: config, until: day - 86_400, windowS: 365 * 86_400, trainedAt: issued)
        let step = Step(.quarterHour)
        let end = day + Int64(forecastHorizon.hours * 3600)
        let (weather, _) = try await ArchivedWeather.forDongs(config.dongs, archive: store.weather, from: day, to: end, issuedAt: issued)
        _ = try await ForecastRunner.run(storage: store, site: config, start: day, slots: forecastHorizon.slots(step), length: step.length,
                                         weather: weather, issuedAt: issued)
        return outcomes.filter { if case .trained = $0 { return true } else { return false } }.count
    }
}
