import ArgumentParser
import Foundation
import Ingestion
import VPPBenchmarks
import VPPConfig
import VPPCore
import VPPStore
import VPPStorePostgres

/// `vpp bench pg-ingest` (issue 14): ingests N generated interval rows (the ingest benchmark's
/// generator with a repeating 4-value kW pattern) into a throw-away database on
/// the given PostgreSQL server through the full ingest path (parse, validate, COPY, rollups,
/// one transaction), then, in the same run, `psql \copy` of the same rows into the same table
/// (emptied first), and prints rows/s and the ratio. `--row-by-row N` also times N rows through
/// the row-by-row path (one SELECT and INSERT per row) to compare with the bulk path.
struct BenchPGIngest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pg-ingest", abstract: "PostgreSQL ingest rows/s vs psql \\copy of the same rows (use a release build).")
    @Option(help: "A PostgreSQL server: postgresql://user@host:port/database (a throw-away database is created on it and dropped).")
    var db: String
    @Option(help: "Site config TOML.") var config: String = "site-configs/seodaemun.toml"
    @Option(help: "Interval rows to ingest.") var rows: Int = 1_000_000
    @Option(name: .customLong("row-by-row"), help: "Also time this many rows through the row-by-row path (0: skip).") var rowByRow: Int = 20_000
    @Option(help: "psql client.") var psql: String = "psql"

    func validate() throws {
        guard (1_000...50_000_000).contains(rows) else { throw ValidationError("--rows must be 1000…50000000") }
        guard (0...1_000_000).contains(rowByRow) else { throw ValidationError("--row-by-row must be 0…1000000") }
    }

    func run() async throws {
        let server = try PostgresURL(parsing: db)
        let site = try SiteConfigParser().parse(fileAt: config)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vpp-bench-pg-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("rows.csv").path
        let meters = site.dongs.flatMap { $0.meters.compactMap { $0.aliases.first ?? $0.id } }
        try IngestBenchmark.generate(path: csv, rows: rows, meters: meters, kW: [4.0, 3.5, 5.25, 2.75])
        print("pg-ingest bench: \(rows) rows, \(meters.count) meters × 15-min slots (synthetic: a repeating 4-value kW pattern), server \(server.redacted)")

        let name = "vpp_bench_\(getpid())"
        try await PostgresStore.createDatabase(name, on: server)
        let target = server.with(database: name)
        do {
            let store = PostgresStore(url: target, clock: FixedWallClock(0))
            try await store.loadSite(site)
            var mapping = IngestMapping()
            mapping.convention = .hourBeginning
            let t0 = DispatchTime.now().uptimeNanoseconds
            let report = try await Ingestor(storage: store.storage).ingest(
                file: csv, options: IngestOptions(kind: .interval, source: "bench", mapping: mapping))
            let secs = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            let ours = Double(report.rowsOK) / secs
            print(String(format: "  vpp ingest (COPY path): %d ok, %d rejected in %.3f s → %.0f rows/s (sha256, parse, validate, COPY, rollups, commit)",
                         report.rowsOK, report.rowsRejected, secs, ours))

            // The same rows as COPY text, then psql \copy into the same (emptied) table.
            let copyFile = dir.appendingPathComponent("rows.copy").path
            try runPsql(target, "\\copy (SELECT asset_key, slot_start, duration_s, energy_wh, quality, upload_id FROM reading) TO '\(copyFile)'")
            try runPsql(target, "TRUNCATE reading")
            let p0 = DispatchTime.now().uptimeNanoseconds
            try runPsql(target, "\\copy reading (asset_key, slot_start, duration_s, energy_wh, quality, upload_id) FROM '\(copyFile)'")
            let psecs = Double(DispatchTime.now().uptimeNanoseconds - p0) / 1e9
            let theirs = Double(report.rowsOK) / psecs
            print(String(format: "  psql \\copy (same rows, same table, psql process start included): %.3f s → %.0f rows/s", psecs, theirs))
            print(String(format: "  ratio vpp / psql: %.2f", ours / theirs))

            if rowByRow > 0 {
                try runPsql(target, "TRUNCATE reading, rollup_hourly")
                let small = dir.appendingPathComponent("small.csv").path
                try IngestBenchmark.generate(path: small, rows: rowByRow, meters: meters, kW: [4.0, 3.5, 5.25, 2.75])
                // Row-by-row: the same reader through the sink's per-row path.
                let rowStore = PostgresStore(url: target, clock: FixedWallClock(0), ingestRowByRow: true)
                let r0 = DispatchTime.now().uptimeNanoseconds
                let rb = try await Ingestor(storage: rowStore.storage).ingest(
                    file: small, options: IngestOptions(kind: .interval, source: "bench-row", mapping: mapping))
                let rsecs = Double(DispatchTime.now().uptimeNanoseconds - r0) / 1e9
                print(String(format: "  row-by-row path: %d rows in %.3f s → %.0f rows/s (bulk/row-by-row: %.1f×)",
                             rb.rowsOK, rsecs, Double(rb.rowsOK) / rsecs, ours / (Double(rb.rowsOK) / rsecs)))
            }
            await store.close()
        } catch {
            try? await PostgresStore.dropDatabase(name, on: server)
            throw error
        }
        try await PostgresStore.dropDatabase(name, on: server)
    }

    private func runPsql(_ url: PostgresURL, _ command: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", url.host, "-p", String(url.port), "-U", url.user, "-d", url.database,
                       "-c", command]
        var env = ProcessInfo.processInfo.environment
        if let pw = url.password { env["PGPASSWORD"] = pw }
        p.environment = env
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw VPPError(.internal, "psql failed (status \(p.terminationStatus)) running: \(command)") }
    }
}
