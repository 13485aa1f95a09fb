import Foundation
import Testing
import VPPBenchmarks
import VPPConfig
import VPPCore
import VPPStore
import VPPStoreSQLite
import VPPTestSupport

/// Issue 14, part B through the built `vpp` and the server: --site with several districts, the
/// city report, `vpp sync`, `GET /api/v1/city`.
@Suite("City CLI and API")
struct CityCLITests {
    /// Two SYNTHETIC district configs (drawn from Seodaemun) written to `dir`.
    static func writeDistricts(_ dir: URL, count: Int = 2) throws -> [SyntheticDistricts.District] {
        let real = try SiteConfigParser().parse(fileAt: Paths.seodaemunConfig.path)
        let districts = try SyntheticDistricts.generate(from: real, count: count, seed: 3)
        for d in districts { try Data(d.toml.utf8).write(to: dir.appendingPathComponent(d.fileName)) }
        return districts
    }

    static let july = KSTDateTime(year: 2024, month: 7, day: 1).epochSeconds

    @Test func severalSitesNeedSiteAndTheCityReportCoversThemAll() async throws {
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let db = dir.appendingPathComponent("city.sqlite").path
        let districts = try Self.writeDistricts(dir)
        let cli = CLITests()
        for d in districts { #expect(try await cli.run(["site", "load", "--db", db, dir.appendingPathComponent(d.fileName).path]).status == 0) }
        let store = try SQLiteStore(path: db)
        for (i, d) in districts.enumerated() {
            try await store.replaceRollups(SyntheticRollups.rows(dongs: d.config.dongs.map(\.code), from: Self.july, hours: 744, seed: UInt64(i)))
        }
        // Without --site: refused, naming the loaded sites.
        let refused = try await cli.run(["report", "--db", db, "--period", "2024-07"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("pass --site CODE") && refused.stderr.contains("synthetic-01 (99001)")
                && refused.stderr.contains("synthetic-02 (99002)"))
        #expect(try await cli.run(["site", "show", "--db", db]).status == 64)
        // With --site (id or sigungu code): that district only.
        let show = try await cli.run(["site", "show", "--db", db, "--site", "99002", "--format", "json"])
        #expect(show.status == 0)
        let shown = try JSONDecoder().decode([DongSummary].self, from: Data(show.stdout.utf8))
        #expect(shown.map(\.code) == districts[1].config.dongs.map(\.code).sorted())
        let report = try await cli.run(["report", "--db", db, "--period", "2024-07", "--site", "synthetic-01", "--format", "json"])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains(districts[0].config.dongs[0].code) && !report.stdout.contains(districts[1].config.dongs[0].code))
        // The city report: both districts, JSON decodes to the API payload.
        let city = try await cli.run(["report", "--db", db, "--scope", "city", "--period", "2024-07", "--format", "json"])
        #expect(city.status == 0, "\(city.stderr)")
        let payload = try JSONDecoder().decode(CityReportPayload.self, from: Data(city.stdout.utf8))
        #expect(payload.districts.map(\.id) == ["synthetic-01", "synthetic-02"])
        #expect(payload.city.dongs == districts.reduce(0) { $0 + $1.config.dongs.count })
        #expect(payload.city.coveragePct == 100)
        let table = try await cli.run(["report", "--db", db, "--scope", "city", "--period", "2024-07"])
        #expect(table.status == 0 && table.stdout.contains("city report 2024-07") && table.stdout.contains("synthetic-02"))
        #expect(try await cli.run(["report", "--db", db, "--scope", "city", "--period", "2024", "--format", "csv"]).status == 64)
    }

    @Test func syncTwiceSendsNothingTheSecondTime() async throws {
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let district = dir.appendingPathComponent("district.sqlite").path, city = dir.appendingPathComponent("city.sqlite").path
        let d = try Self.writeDistricts(dir, count: 1)[0]
        let cli = CLITests()
        #expect(try await cli.run(["site", "load", "--db", district, dir.appendingPathComponent(d.fileName).path]).status == 0)
        let rows = SyntheticRollups.rows(dongs: d.config.dongs.map(\.code), from: Self.july, hours: 48, seed: 1)
        try await SQLiteStore(path: district).replaceRollups(rows)
        let first = try await cli.run(["sync", "--db", district, "--to", city, "--format", "json"])
        #expect(first.status == 0, "\(first.stderr)")
        let report = try JSONDecoder().decode(SyncReport.self, from: Data(first.stdout.utf8))
        #expect(report.streams.first { $0.stream == "rollups" }?.rows == rows.count)
        let second = try await cli.run(["sync", "--db", district, "--to", city])
        #expect(second.status == 0 && second.stdout.contains(": 0 rows"))
        #expect(try await SQLiteStore(path: city).dongPeriodTotals(from: Self.july, to: Self.july + 48 * 3600)
            .reduce(Int64(0)) { $0 + $1.generationWh } == rows.reduce(Int64(0)) { $0 + $1.rollup.generationWh })
        #expect(try await cli.run(["sync", "--db", district, "--to", district]).status == 64)
        // An upload goes as a summary; deleting it in the district removes its rollups in the city too.
        let csv = dir.appendingPathComponent("interval.csv")
        try Data("검침일시,사용량(kWh)\n2024-03-01 00:00,1.5\n2024-03-01 01:00,2.5\n2024-03-01 02:00,x\n".utf8).write(to: csv)
        let meter = d.config.dongs[0].meters[0].id
        #expect(try await cli.run(["ingest", "--db", district, csv.path, "--kind", "interval", "--source", "office", "--meter", meter,
                             "--convention", "hour-beginning"]).status == 0)
        let march = KSTDateTime(year: 2024, month: 3, day: 1).epochSeconds
        let withUpload = try JSONDecoder().decode(SyncReport.self, from: Data(try await cli.run(["sync", "--db", district, "--to", city, "--format", "json"]).stdout.utf8))
        #expect(withUpload.streams.first { $0.stream == "uploads" }?.rows == 1)
        #expect(withUpload.streams.first { $0.stream == "rollups" }?.rows == 2)
        #expect(try await SQLiteStore(path: city).rollupTotals(dong: d.config.dongs[0].code, from: march, to: march + 3 * 3600).consumptionWh == 4000)
        #expect(try await cli.run(["uploads", "delete", "1", "--db", district, "--yes"]).status == 0)
        #expect(try await cli.run(["sync", "--db", district, "--to", city]).status == 0)
        #expect(try await SQLiteStore(path: city).rollupTotals(dong: d.config.dongs[0].code, from: march, to: march + 3 * 3600).consumptionWh == 0)
    }

    /// A PostgreSQL server that refuses the connection: exit 75 (try again), naming host and port,
    /// never the password (nothing listens on port 9 of the test machine).
    @Test func refusedPostgresConnectionExits75() async throws {
        let r = try await CLITests().run(["db", "info", "--db", "postgresql://vpp:s3cret-pw@127.0.0.1:9/vpp"])
        #expect(r.status == 75, "\(r.stderr)")
        #expect(r.stderr.contains("127.0.0.1:9") && !r.stderr.contains("s3cret"), "\(r.stderr)")
    }

    /// `--to` naming the district store itself is refused (64) with the store's location, never
    /// the password a PostgreSQL URL carries (nothing listens on port 1: the check comes first).
    @Test func syncToItselfNamesTheStoreWithoutThePassword() async throws {
        let url = "postgresql://vpp:s3cret-pw@127.0.0.1:1/city"
        let r = try await CLITests().run(["sync", "--db", url, "--to", url])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("--to names the district store itself (postgresql://vpp@127.0.0.1:1/city)"), "\(r.stderr)")
        #expect(!r.stderr.contains("s3cret") && !r.stdout.contains("s3cret"))
    }

    /// Issue 14: kill -9 of `vpp sync` at random points, ten times; then a run to the end. The city
    /// store holds every district-hour exactly once, equal to the district's.
    @Test func killMinus9MidSyncLosesAndDuplicatesNothing() async throws {
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let district = dir.appendingPathComponent("district.sqlite").path
        let d = try Self.writeDistricts(dir, count: 1)[0]
        let source = try SQLiteStore(path: district)
        _ = try await source.loadSite(d.config)
        let from = KSTDateTime(year: 2024, month: 1, day: 1).epochSeconds
        try await source.replaceRollups(SyntheticRollups.rows(dongs: d.config.dongs.map(\.code), from: from, hours: 8784, seed: 5))
        var rng = SplitMix64(seed: 14)
        var window: UInt64 = 650, city = "", killed = SyncKills.Round()
        for attempt in 0..<6 {
            // A fresh city store per round (SyncKills).
            city = dir.appendingPathComponent("city-\(attempt).sqlite").path
            killed = try await SyncKills.round(["sync", "--db", district, "--to", city, "--batch-rows", "2000"], times: 10, window: window, rng: &rng)
            if killed.killedMidway >= 1 { break }
            window = max(40, window / 2)
        }
        let killedMidway = killed.killedMidway
        #expect(killedMidway >= 1, "no kill landed while vpp sync was running (delays \(killed.delays) ms)")
        let last = try await CLITests().run(["sync", "--db", district, "--to", city])
        #expect(last.status == 0, "\(last.stderr)")
        let codes = d.config.dongs.map(\.code), to = from + 8784 * 3600
        let want = try await source.hourlyRollups(dongCodes: codes, from: from, to: to)
        let got = try await SQLiteStore(path: city).hourlyRollups(dongCodes: codes, from: from, to: to)
        #expect(got.values.reduce(0) { $0 + $1.count } == codes.count * 8784)
        #expect(got == want)
        #expect(try await CLITests().run(["sync", "--db", district, "--to", city]).stdout.contains(": 0 rows"))
    }

    @Test func cityRouteServesThePayload() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let real = try SiteConfigParser().parse(fileAt: Paths.seodaemunConfig.path)
        try await s.store.replaceRollups(SyntheticRollups.rows(dongs: real.dongs.map(\.code), from: Self.july, hours: 24, seed: 2))
        #expect(try await s.get("/api/v1/city?period=2024-07", token: s.officeToken).status == 403)
        #expect(try await s.get("/api/v1/city?period=July", token: s.operatorToken).status == 400)
        let ok = try await s.get("/api/v1/city?period=2024-07", token: s.operatorToken)
        #expect(ok.status == 200)
        let payload = try JSONDecoder().decode(CityReportPayload.self, from: Data(ok.body))
        #expect(payload.districts.map(\.id) == ["seodaemun"] && payload.period == "2024-07")
        #expect(payload.targets.solarKWp == real.targets.citySolarKWp && payload.targets.tco2PerYear == real.targets.cityTCO2PerYear)
    }
}
