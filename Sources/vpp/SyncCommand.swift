import ArgumentParser
import Foundation
import VPPCore
import VPPStore

/// `vpp sync --to DB` — a district store pushes to the city store (issue 14): hourly rollups,
/// upload summary, forecast runs and dispatch runs, incrementally (a watermark per district and
/// stream kept in the city store) and idempotently (re-running sends nothing new). Each batch
/// and its watermark commit in one city transaction: an interrupted sync loses and duplicates
/// nothing; run it again to finish.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Push this district store's rollups, uploads, forecasts and dispatch runs to a city store.",
        discussion: """
            --db is the district store (one site); --to the city store, opened like --db. The district's site
            config is loaded into the city store first (idempotent).
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The city store (a path, or whatever --db accepts).") var to: String
    @OptionGroup var siteOption: SiteOption
    @Option(help: "Rows per city transaction.") var batchRows: Int = 20_000
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func validate() throws {
        guard (1...10_000_000).contains(batchRows) else { throw ValidationError("--batch-rows must be 1…10000000") }
        guard format != .csv else { throw ValidationError("--format: table or json") }
    }

    func run() async throws {
        let source = try global.openStore()
        // The target goes through the same opener as --db, so any driver --db accepts works here.
        let target = try GlobalOptions.parse(["--db", to]).openStore()
        guard source.location != target.location else { throw VPPError(.usage, "--to names the district store itself (\(target.location))") }
        let started = DispatchTime.now().uptimeNanoseconds
        let report = try await CitySync.run(source: source, target: target, siteCode: siteOption.code, batchRows: batchRows)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        if format == .json { print(try APIJSON.encodePretty(report)); return }
        print("sync \(report.site) → \(report.target): \(report.totalRows) rows in \(fmt(seconds, 3)) s")
        print(renderTable(headers: ["stream", "batches", "rows", "watermark_from", "watermark_through"], rows: report.streams.map {
            [$0.stream, String($0.batches), String($0.rows), String($0.from), String($0.through)]
        }, numeric: [1, 2, 3, 4]))
    }
}
