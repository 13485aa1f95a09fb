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
    @Option(help: "Rounds of vpp, psql and driver-only COPY, interleaved; medians are printed.") var rounds: Int = 3
    @Option(help: "Also time two files of this many rows each sharing every dong-hour (0: skip).") var shared: Int = 0
    @Option(name: .customLong("batch-rows"), help: "Rows per COPY batch of the ingest (default: the store's).") var batchRows: Int?

    func validate() throws {
        guard (1_000...50_000_000).contains(rows) else { throw ValidationError("--rows must be 1000…50000000") }
        if let b = batchRows { guard (1_000...50_000_000).contains(b) else { throw ValidationError("--batch-rows must be 1000…50000000") } }
        guard (1...20).contains(rounds) else { throw ValidationError("--rounds must be 1…20") }
        guard (0...50_000_000).contains(shared) else { throw ValidationError("--shared must be 0…50000000") }
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

        var mapping = IngestMapping()
        mapping.convention = .hourBeginning
        let copyFile = dir.appendingPathComponent("rows.copy").path
        var ours: [Double] = [], theirs: [Double] = [], raw: [Double] = []
        // CPU time of the server's processes can be read where it runs on this machine.
        let local = ["127.0.0.1", "localhost", "::1"].contains(server.host) || server.host.hasPrefix("/")
        // Rounds interleave the three so that the machine's changing load hits each alike.
        for round in 1...rounds {
            let name = "vpp_bench_\(getpid())_\(round)"
            let make = { (url: PostgresURL) in
                batchRows.map { PostgresStore(url: url, clock: FixedWallClock(0), ingestBatchRows: $0) } ?? PostgresStore(url: url, clock: FixedWallClock(0))
            }
            try await withBenchStore(name, on: server, site: site, make) { store, target in
                let c0 = CPUSample(server: local)
                let t0 = DispatchTime.now().uptimeNanoseconds
                let report = try await Ingestor(storage: store.storage).ingest(
                    file: csv, options: IngestOptions(kind: .interval, source: "bench", mapping: mapping))
                let secs = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                let cpu = CPUSample(server: local).since(c0)
                guard report.rowsOK == rows else { throw VPPError(.internal, "bench ingest stored \(report.rowsOK) of \(rows) rows") }
                ours.append(secs)
                print(String(format: "  round %d  vpp ingest (COPY path): %d ok, %d rejected, %d dong-hours in %.3f s → %.0f rows/s (sha256, parse, validate, COPY, rollups, commit)%@",
                             round, report.rowsOK, report.rowsRejected, report.rollupHours, secs, Double(rows) / secs, cpu.text(client: cpu.own)))

                // The same rows as COPY text, then psql \copy into the same (emptied) table.
                if round == 1 {
                    try runPsql(target, "\\copy (SELECT asset_key, slot_start, duration_s, energy_wh, quality, upload_id FROM reading) TO '\(copyFile)'")
                }
                try runPsql(target, "TRUNCATE reading")
                let pc0 = CPUSample(server: local)
                let p0 = DispatchTime.now().uptimeNanoseconds
                try runPsql(target, "\\copy reading (asset_key, slot_start, duration_s, energy_wh, quality, upload_id) FROM '\(copyFile)'")
                let psecs = Double(DispatchTime.now().uptimeNanoseconds - p0) / 1e9
                // The backend's time is in the postmaster's children's once it has been reaped.
                usleep(200_000)
                let pcpu = CPUSample(server: local).since(pc0)
                theirs.append(psecs)
                print(String(format: "  round %d  psql \\copy (same rows, same table, psql process start included): %.3f s → %.0f rows/s%@",
                             round, psecs, Double(rows) / psecs, pcpu.text(client: pcpu.children)))
                // The driver alone: the same COPY text through postgres-nio, no parsing or rollups.
                try runPsql(target, "TRUNCATE reading")
                let dc0 = CPUSample(server: local)
                let d0 = DispatchTime.now().uptimeNanoseconds
                try await store.benchRawCopy(file: copyFile)
                let dsecs = Double(DispatchTime.now().uptimeNanoseconds - d0) / 1e9
                let dcpu = CPUSample(server: local).since(dc0)
                raw.append(dsecs)
                print(String(format: "  round %d  postgres-nio COPY of the same text (the driver alone: no parsing, checks or rollups): %.3f s → %.0f rows/s%@",
                             round, dsecs, Double(rows) / dsecs, dcpu.text(client: dcpu.own)))
                print(String(format: "  round %d  ratio vpp / psql: %.2f", round, psecs / secs))

                if round == rounds && rowByRow > 0 {
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
                                 rb.rowsOK, rsecs, Double(rb.rowsOK) / rsecs, (Double(rows) / secs) / (Double(rb.rowsOK) / rsecs)))
                    await rowStore.close()
                }
            }
        }
        let mo = median(ours), mp = median(theirs), mr = median(raw)
        print(String(format: "  median of %d rounds: vpp %.3f s → %.0f rows/s; psql \\copy %.3f s → %.0f rows/s; postgres-nio COPY %.3f s → %.0f rows/s",
                     rounds, mo, Double(rows) / mo, mp, Double(rows) / mp, mr, Double(rows) / mr))
        // Each round's pair ran back to back, so its ratio shares the machine's state of the moment.
        let paired = zip(ours, theirs).map { $1 / $0 }
        print(String(format: "  ratio vpp / psql: median of the rounds' ratios %.2f (per round: %@); ratio of the medians %.2f",
                     median(paired), paired.map { String(format: "%.2f", $0) }.joined(separator: " "), mp / mo))
        if shared > 0 { try await sharedDongHours(server: server, site: site, meters: meters, mapping: mapping, dir: dir) }
    }

    /// CPU seconds so far: this process, its waited-for children (psql), and the local server's
    /// processes (nil when the server is not on this machine).
    private struct CPUSample {
        var own: Double, children: Double, server: Double?
        init(server local: Bool) {
            own = IngestBenchmark.cpuSeconds(); children = ProcessCPU.childrenSeconds()
            server = local ? ProcessCPU.seconds(ofProcessesNamed: "postgres") : nil
        }
        private init(own: Double, children: Double, server: Double?) { self.own = own; self.children = children; self.server = server }
        func since(_ a: CPUSample) -> CPUSample {
            CPUSample(own: own - a.own, children: children - a.children, server: server.flatMap { s in a.server.map { s - $0 } })
        }
        /// "; CPU: client x s, server y s" (the server's part only when it is local).
        func text(client: Double) -> String {
            String(format: "; CPU: client %.2f s", client) + (server.map { String(format: ", server %.2f s", $0) } ?? "")
        }
    }

    private func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Two files of `shared` rows each over the same period, one meter of every dong in each (even
    /// and odd meters): the second file's readings are new but every one of its dong-hours is
    /// already stored, so its rollups take the merge path (COPY into a temporary table, one
    /// additive UPDATE … FROM, then an INSERT of the rest) — the usual case once several offices
    /// of a dong upload.
    private func sharedDongHours(server: PostgresURL, site: SiteConfig, meters: [String], mapping: IngestMapping, dir: URL) async throws {
        let a = dir.appendingPathComponent("even.csv").path, b = dir.appendingPathComponent("odd.csv").path
        try IngestBenchmark.generate(path: a, rows: shared, meters: meters.enumerated().filter { $0.offset % 2 == 0 }.map(\.element), kW: [4.0, 3.5, 5.25, 2.75])
        try IngestBenchmark.generate(path: b, rows: shared, meters: meters.enumerated().filter { $0.offset % 2 == 1 }.map(\.element), kW: [4.0, 3.5, 5.25, 2.75])
        try await withBenchStore("vpp_bench_\(getpid())_shared", on: server, site: site, { PostgresStore(url: $0, clock: FixedWallClock(0)) }) { store, _ in
            for (label, file) in [("first file (even meters; its dong-hours are new)", a), ("second file (odd meters; every dong-hour already stored)", b)] {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let r = try await Ingestor(storage: store.storage).ingest(
                    file: file, options: IngestOptions(kind: .interval, source: "bench", mapping: mapping))
                let secs = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                print(String(format: "  %@: %d rows, %d dong-hours in %.3f s → %.0f rows/s", label, r.rowsOK, r.rollupHours, secs, Double(r.rowsOK) / secs))
            }
        }
    }

    /// A throw-away database `name` on `server` with a store (`make`) loaded with `site`: `body`
    /// runs, then the store is closed and the database dropped, also when `body` throws.
    private func withBenchStore(_ name: String, on server: PostgresURL, site: SiteConfig, _ make: (PostgresURL) -> PostgresStore,
                                _ body: (PostgresStore, PostgresURL) async throws -> Void) async throws {
        try await PostgresStore.createDatabase(name, on: server)
        let target = server.with(database: name)
        let store = make(target)
        do {
            try await store.loadSite(site)
            try await body(store, target)
        } catch {
            await store.close()
            try? await PostgresStore.dropDatabase(name, on: server)
            throw error
        }
        await store.close()
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
