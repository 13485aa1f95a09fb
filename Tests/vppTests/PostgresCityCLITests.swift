import Foundation
import Testing
import VPPBenchmarks
import VPPConfig
import VPPCore
import VPPStore
import VPPStorePostgres
import VPPStoreSQLite
import VPPTestSupport

/// Issue 14 through the built `vpp`: `vpp sync --to postgresql://…` from district SQLite stores
/// into a PostgreSQL city store, kill -9 mid-sync, and `vpp report --scope city` on PostgreSQL.
/// Each test uses a fresh database on the server of `VPP_TEST_POSTGRES_URL`
/// (`scripts/with-postgres.sh` starts a throw-away one), dropped afterwards.
/// The PostgreSQL server of these tests, or nil (then they are skipped).
enum CityTestServer {
    static var url: PostgresURL? {
        guard let text = ProcessInfo.processInfo.environment["VPP_TEST_POSTGRES_URL"], !text.isEmpty else { return nil }
        return try? PostgresURL(parsing: text)
    }
}

@Suite("City CLI on PostgreSQL", .serialized,
       .enabled(if: CityTestServer.url != nil,
                "VPP_TEST_POSTGRES_URL is unset: the PostgreSQL city CLI tests are skipped (make test starts a throw-away server with scripts/with-postgres.sh)"))
struct PostgresCityCLITests {
    /// A fresh database: its URL for `--db`/`--to` (with the password when the server's URL has
    /// one) and the store for reading it back; dropped after `body`, also when it throws.
    static func withDatabase(_ body: (String, PostgresStore) async throws -> Void) async throws {
        let server = try #require(CityTestServer.url)
        let name = "vpp_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await PostgresStore.createDatabase(name, on: server)
        let url = server.with(database: name)
        let store = PostgresStore(url: url)
        let password = url.password.map { ":" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? ""
        let text = "postgresql://\(url.user)\(password)@\(url.host):\(url.port)/\(url.database)"
        do { try await body(text, store) } catch {
            await store.close()
            try? await PostgresStore.dropDatabase(name, on: server)
            throw error
        }
        await store.close()
        try? await PostgresStore.dropDatabase(name, on: server)
    }

    /// Issue 14: kill -9 of `vpp sync --to postgresql://…` at 10 seeded random points, then a run
    /// to the end: the city holds every district-hour exactly once, equal to the district's.
    @Test func killMinus9MidSyncIntoPostgresLosesAndDuplicatesNothing() async throws {
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let district = dir.appendingPathComponent("district.sqlite").path
        let d = try CityCLITests.writeDistricts(dir, count: 1)[0]
        let source = try SQLiteStore(path: district)
        _ = try await source.loadSite(d.config)
        let from = KSTDateTime(year: 2024, month: 1, day: 1).epochSeconds
        try await source.replaceRollups(SyntheticRollups.rows(dongs: d.config.dongs.map(\.code), from: from, hours: 8784, seed: 5))
        var rng = SplitMix64(seed: 14)
        var window: UInt64 = 1600, verified = false
        for attempt in 0..<6 where !verified {
          // A fresh city database per round (SyncKills); the last round is checked whatever it gave.
          try await Self.withDatabase { city, store in
            let killed = try await SyncKills.round(["sync", "--db", district, "--to", city, "--batch-rows", "2000"], times: 10,
                                                   window: window, rng: &rng) {
                try await store.syncWatermark(source: d.config.site.id, stream: .rollups)
            }
            // A round whose kills all missed the runs at work (or came before any commit) is run again, sooner.
            if (killed.killedMidway == 0 || killed.killedAfterCommits == 0) && attempt < 5 {
                window = max(100, window / 2)
                return
            }
            verified = true
            let killedMidway = killed.killedMidway, killedAfterCommits = killed.killedAfterCommits, delays = killed.delays
            #expect(killedMidway >= 1, "no kill landed while vpp sync was running (delays \(delays) ms)")
            #expect(killedAfterCommits >= 1, "no kill left committed batches behind (delays \(delays) ms)")
            // The kills left something behind (else the test proves nothing about a partial sync).
            let partial = try await store.syncWatermark(source: d.config.site.id, stream: .rollups)
            let last = try await CLITests().run(["sync", "--db", district, "--to", city, "--format", "json"])
            #expect(last.status == 0, "\(last.stderr)")
            let report = try JSONDecoder().decode(SyncReport.self, from: Data(last.stdout.utf8))
            let rollups = try #require(report.streams.first { $0.stream == "rollups" })
            #expect(rollups.from == partial)
            let codes = d.config.dongs.map(\.code), to = from + 8784 * 3600
            let want = try await source.hourlyRollups(dongCodes: codes, from: from, to: to)
            let got = try await store.hourlyRollups(dongCodes: codes, from: from, to: to)
            #expect(got.values.reduce(0) { $0 + $1.count } == codes.count * 8784)
            #expect(got == want)
            let counts = try await store.info().rowCounts
            #expect(counts["rollup_hourly"] == codes.count * 8784)
            // The monthly sums the city report reads: each dong-hour counted once.
            let months = try await store.dongMonthTotals(from: YearMonth(year: 2024, month: 1), until: YearMonth(year: 2025, month: 1))
            #expect(months == (try await source.dongPeriodTotals(from: from, to: to)))
            #expect(months.allSatisfy { $0.hours == 8784 })
            #expect(try await CLITests().run(["sync", "--db", district, "--to", city]).stdout.contains(": 0 rows"))
          }
        }
    }

    /// Issue 14's faults through the binary: a missing database exits 69 naming host and
    /// database (never the password); two `vpp ingest` processes with different files of one
    /// district at once both succeed, and every row of both is stored once.
    @Test func exitStatusesAndTwoIngestProcessesAtOnce() async throws {
        let server = try #require(CityTestServer.url)
        let cli = CLITests()
        let missing = "postgresql://\(server.user):s3cret-pw@\(server.host):\(server.port)/vpp_no_such_db_here"
        let m = try await cli.run(["db", "info", "--db", missing])
        #expect(m.status == 69, "\(m.stderr)")
        #expect(m.stderr.contains("vpp_no_such_db_here") && m.stderr.contains(server.host) && !m.stderr.contains("s3cret"), "\(m.stderr)")

        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        try await Self.withDatabase { db, store in
            #expect(try await cli.run(["site", "load", "--db", db, Paths.seodaemunConfig.path]).status == 0)
            // Two meters of Seodaemun, a quarter-hour file each (20,000 rows, so the two overlap in time).
            let base = KSTDateTime(year: 2024, month: 1, day: 1).epochSeconds
            var files: [String] = []
            for (k, meter) in ["YEONHUI-FEEDER", "SINCHON-FEEDER"].enumerated() {
                var text = "timestamp,meter_id,kWh\n"
                for i in 0..<20_000 {
                    let t = KSTDateTime(epochSeconds: base + Int64(i) * 900)
                    text += String(format: "%04d-%02d-%02d %02d:%02d,%@,%d.%03d\n", t.year, t.month, t.day, t.hour, t.minute, meter, 1 + k, i % 1000)
                }
                let path = dir.appendingPathComponent("meter-\(k).csv")
                try Data(text.utf8).write(to: path)
                files.append(path.path)
            }
            func ingest(_ f: String) async throws -> CLITests.Result {
                try await cli.run(["ingest", "--db", db, f, "--kind", "interval", "--source", "head-end", "--convention", "hour-beginning"])
            }
            async let a = ingest(files[0])
            async let b = ingest(files[1])
            let (ra, rb) = try await (a, b)
            #expect(ra.status == 0 && rb.status == 0, "\(ra.stderr) \(rb.stderr)")
            let totals = try await store.meterTotals(assetIDs: ["yeonhui-feeder", "sinchon-feeder"], from: base, to: base + 20_000 * 900)
            let want = { (k: Int64) in (0..<Int64(20_000)).reduce(Int64(0)) { $0 + (1 + k) * 1000 + $1 % 1000 } }
            #expect(totals["yeonhui-feeder"]?.energyWh == want(0))
            #expect(totals["sinchon-feeder"]?.energyWh == want(1))
            #expect(try await store.uploads(limit: 10).count == 2)
        }
    }

    /// Two districts pushed by `vpp sync` into a PostgreSQL city and into a SQLite city: `vpp report
    /// --scope city` gives the same report from both.
    @Test func cityReportOnPostgresEqualsSQLite() async throws {
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let districts = try CityCLITests.writeDistricts(dir, count: 2)
        let sqliteCity = dir.appendingPathComponent("city.sqlite").path
        let cli = CLITests()
        try await Self.withDatabase { pgCity, store in
            for (i, d) in districts.enumerated() {
                let path = dir.appendingPathComponent("district-\(i).sqlite").path
                let s = try SQLiteStore(path: path)
                _ = try await s.loadSite(d.config)
                // District 1: July and August; district 2: half of July.
                try await s.replaceRollups(SyntheticRollups.rows(dongs: d.config.dongs.map(\.code), from: CityCLITests.july,
                                                                 hours: i == 0 ? 1488 : 372, seed: UInt64(20 + i)))
                for target in [pgCity, sqliteCity] {
                    let r = try await cli.run(["sync", "--db", path, "--to", target])
                    #expect(r.status == 0, "\(r.stderr)")
                }
            }
            #expect(try await store.loadedSites().map(\.id) == ["synthetic-01", "synthetic-02"])
            // Several districts: a district command needs --site on PostgreSQL too.
            let refused = try await cli.run(["report", "--db", pgCity, "--period", "2024-07"])
            #expect(refused.status == 64 && refused.stderr.contains("pass --site CODE"))
            for period in ["2024-07", "2024-08", "2024"] {
                let pg = try await cli.run(["report", "--db", pgCity, "--scope", "city", "--period", period, "--format", "json"])
                let lite = try await cli.run(["report", "--db", sqliteCity, "--scope", "city", "--period", period, "--format", "json"])
                #expect(pg.status == 0 && lite.status == 0, "\(pg.stderr) \(lite.stderr)")
                var a = try JSONDecoder().decode(CityReportPayload.self, from: Data(pg.stdout.utf8))
                let b = try JSONDecoder().decode(CityReportPayload.self, from: Data(lite.stdout.utf8))
                a.generatedAt = b.generatedAt   // the wall clock of each run
                #expect(a == b, "period \(period)")
                #expect(a.districts.map(\.id) == ["synthetic-01", "synthetic-02"])
            }
            let table = try await cli.run(["report", "--db", pgCity, "--scope", "city", "--period", "2024-07"])
            #expect(table.status == 0 && table.stdout.contains("city report 2024-07") && table.stdout.contains("synthetic-02"))
        }
    }
}
