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

/// `vpp report` — tracking report (RE100, tCO2 avoided, progress to targets) per dong and
/// district for a month, a year or a date range (KST). Wiring only; the work is in
/// VPPCore/Tracking.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Renewable energy, RE100 share, tCO2 avoided and progress to targets, per dong and district.",
        discussion: """
            Periods are KST: --period 2024-07 (month), 2024 (year), 2024-07-01..2024-07-31 (dates, end inclusive).
            Values whose data cover less than --min-coverage-pct of their bucket are gaps (null in JSON,
            empty in CSV, "gap" in tables, breaks in HTML charts), never 0. Every report names the
            emission factor it used.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json, html }
    enum By: String, ExpressibleByArgument, CaseIterable { case period, day, month, year }
    enum Scope: String, ExpressibleByArgument, CaseIterable { case district, city }

    @OptionGroup var global: GlobalOptions
    @Option(help: "Period (KST): YYYY-MM, YYYY or YYYY-MM-DD..YYYY-MM-DD (end inclusive).") var period: String
    @Option(help: "Limit to one dong (10-digit administrative code).") var dong: String?
    @Option(help: "Output format: table, csv, json or html.") var format: Format = .table
    @Option(help: "Rows per: period (totals), day, month or year (table, csv, json).") var by: By = .period
    @Option(help: "Write to this file instead of stdout (html defaults to out/report.html).") var out: String?
    @Option(help: "Minimum data coverage for a value to be shown [%].") var minCoveragePct: Double = 90
    @OptionGroup var siteOption: SiteOption
    @Option(help: "district (one site, --site when several are loaded) or city (every loaded district against the city targets; table or json).")
    var scope: Scope = .district

    func validate() throws {
        guard (0...100).contains(minCoveragePct) else { throw ValidationError("--min-coverage-pct must be within 0–100") }
        do { _ = try ReportPeriod.parse(period) } catch let e as VPPError { throw ValidationError(e.message) }
        if scope == .city {
            guard format == .table || format == .json else { throw ValidationError("--scope city prints table or json") }
            guard dong == nil, siteOption.code == nil else { throw ValidationError("--scope city covers every loaded district; drop --dong/--site") }
            guard by == .period else { throw ValidationError("--scope city reports the whole period (--by period)") }
        }
    }

    func run() async throws {
        let store = try global.openStore()
        if scope == .city {
            let payload = try await CityReportBuilder.build(storage: store, period: try ReportPeriod.parse(period))
            let text = format == .json ? try APIJSON.encodePretty(payload) + "\n" : CityReportText.render(payload)
            if let out {
                do { try Data(text.utf8).write(to: URL(fileURLWithPath: out)) } catch {
                    throw VPPError(.noInput, "cannot write \(out): \(error.localizedDescription)")
                }
                FileHandle.standardError.write(Data("report written to \(out)\n".utf8))
            } else { print(text, terminator: "") }
            return
        }
        let written = try await Self.produce(storage: store, period: try ReportPeriod.parse(period), dong: dong, format: format, by: by,
                                       out: out, minCoveragePct: minCoveragePct, siteID: siteOption.code)
        if let written { FileHandle.standardError.write(Data("report written to \(written)\n".utf8)) }
    }

    /// Builds and writes one report; returns the file written, if any. Shared with `vpp demo`.
    @discardableResult
    static func produce(storage store: Storage, period: ReportPeriod, dong: String?, format: Format, by: By, out: String?,
                        minCoveragePct: Double = 90, alerts: (any AlertStore)? = nil, siteID: String? = nil) async throws -> String? {
        let report = try await TrackingReportBuilder.build(
            storage: store, period: period, options: TrackingOptions(coverageThresholdPct: minCoveragePct, dongCode: dong), siteID: siteID)
        var shelters: [ShelterStatus] = []
        // Stored alerts when the driver keeps them (`Storage.alerts`), else none.
        if let alerts = alerts ?? store.alerts, let site = try await store.selectSite(siteID) {
            shelters = try await ShelterStatus.build(site: site, now: store.clock.now(), dispatch: store.dispatch, alerts: alerts)
        }
        let renderer = TrackingReportRenderer(report)
        let granularity = ReportGranularity(rawValue: by.rawValue) ?? .period
        var text: String
        var target = out
        switch format {
        case .csv: text = renderer.csv(by: granularity)
        case .json: text = renderer.json(by: granularity)
        case .html:
            var html = TrackingHTMLReport(report)
            html.shelters = shelters
            text = html.render()
            if target == nil { target = "out/report.html" }
        case .table:
            let cells = renderer.tableCells(by: granularity)
            let kpi = SelfSufficiencyKPI.tableCells(report)
            text = renderTable(headers: cells.headers, rows: cells.rows, numeric: cells.numeric) + "\n\n"
                + renderer.notes().joined(separator: "\n") + "\n"
                + (renderer.batteryTable().map { "\nbatteries: plan vs actual\n" + renderTable(headers: $0.headers, rows: $0.rows,
                                                                                              numeric: Set(2..<13)) + "\n" } ?? "")
                + "\n" + renderTable(headers: kpi.headers, rows: kpi.rows, numeric: [2, 3, 4, 5]) + "\n"
                + SelfSufficiencyKPI.definitions.joined(separator: "\n") + "\n"
                + shelters.map(\.line).map { $0 + "\n" }.joined()
            if let fa = report.forecastAccuracy { text += "\n" + ForecastCommand.Score.render(fa.periodScores, format: .table) + "\n" }
        }
        guard let target else { print(text, terminator: ""); return nil }
        let dir = (target as NSString).deletingLastPathComponent
        do {
            if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            try Data(text.utf8).write(to: URL(fileURLWithPath: target))
        } catch {
            throw VPPError(.noInput, "cannot write \(target): \(error.localizedDescription)")
        }
        return target
    }
}

/// `vpp bench report` — district-year report timing (registered in BenchCommand).
struct BenchReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Time a district-year tracking report (14 dongs, hourly rollups, one year).")
    @Option(help: "Site config.") var site: String = "site-configs/seodaemun.toml"
    @Option(help: "Shared real-data folder (pv-dangjin, gist-campus).") var dataDir: String = "../shared/data"
    @Option(help: "Scratch directory.") var dir: String = NSTemporaryDirectory()
    @Option(help: "Keep the filled database at this path (for the screenshot check).") var keepDb: String?
    @Option(help: "Year to fill (KST).") var year: Int = 2024
    @Option(help: "Timed runs.") var iterations: Int = 7
    func run() async throws {
        for line in try await ReportBenchmark.run(siteConfigPath: site, dataDirectory: dataDir, directory: dir, keepDB: keepDb,
                                            year: year, iterations: iterations) { print(line) }
    }
}

/// The last step of `vpp demo`: the tracking report for the month of the newest rollup in the
/// demo database, written as HTML and printed as a table.
enum DemoReportStep {
    static func run(storage store: Storage, html: String = "out/report.html") async throws {
        guard let span = try await store.readings.rollupSpan() else {
            print("== report: no hourly rollups in the demo database, so there is nothing to report yet")
            return
        }
        let last = KSTDateTime(epochSeconds: span.last)
        let period = ReportPeriod.month(YearMonth(year: last.year, month: last.month))
        print("== report: tracking report for \(period.label) (KST, month of the newest data)")
        try await ReportCommand.produce(storage: store, period: period, dong: nil, format: .html, by: .period, out: html)
        print("HTML report written to \(html)")
        try await ReportCommand.produce(storage: store, period: period, dong: nil, format: .table, by: .period, out: nil)
    }
}
