import VPPBenchmarks
import VPPServer
import Dispatcher
import Forecast
import Tracking
import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPAuth
import ArgumentParser
import Foundation
import VPPCore
import VPPStore

/// The main job end to end on the embedded SQLite store: load the district, ingest sample
/// exports, forecast the next day, run the dispatcher on it, and report.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Run the main job on a fresh demo database: site → ingest → forecast → dispatch → report.")
    @Option(help: "Database file for the demo (recreated).") var db: String = "out/demo.sqlite"
    @Option(help: "Site config.") var site: String = "site-configs/seodaemun.toml"
    @Option(help: "Folder with the sample exports ingested by step 2.") var samples: String = "samples"
    @Option(help: "A week of operations for all dongs on the exports samples/make_week.py wrote to this folder (what `make demo` runs).")
    var week: String?

    func run() async throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        let config = try SiteConfigParser().parse(fileAt: site)
        if let week {
            let dir = (db as NSString).deletingLastPathComponent
            try await DemoWeek.run(dbPath: db, config: config, week: week, outDir: dir.isEmpty ? "." : dir)
            return
        }
        let store = try SQLiteStore(path: db).storage
        let report = try await store.sites.loadSite(config)
        print("== 1. site: \(config.site.nameKo) (\(config.site.name)) loaded into \(db): \(report.changes.count) records")
        let rows = try await store.sites.siteSummary()
        print(renderTable(
            headers: ["code", "dong", "households", "pv_kwp", "battery_kwh"],
            rows: rows.map { [$0.code, $0.nameKo, String($0.households), fmt($0.pvKWp), fmt($0.batteryKWh, 0)] },
            numeric: [2, 3, 4]))

        // ---- 2. ingest (issue 3) — sample exports under samples/; code in IngestCommands.swift ----
        try await DemoIngestStep.run(storage: store, samples: samples)
        // ---- end of step 2 (ingest) ----

        // ---- 3. forecast and 4. dispatch — code in DemoForecastDispatchSteps.swift ----
        try await DemoForecastDispatchSteps.run(storage: store, samples: samples, outDir: { let d = (db as NSString).deletingLastPathComponent; return d.isEmpty ? "." : d }())
        // ---- end of steps 3–4 ----

        // ---- score (issue 11): day-ahead runs for the last ingested week, scored as issued — DemoScoreStep.swift ----
        try await DemoScoreStep.run(storage: store, samples: samples)
        // ---- end of score step ----

        // ---- final step: tracking report (issue 6) — out/report.html + table; code in ReportCommand.swift ----
        try await DemoReportStep.run(storage: store)
        // ---- end of final step (report) ----
    }
}
