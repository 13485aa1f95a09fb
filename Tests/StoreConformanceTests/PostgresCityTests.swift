import Foundation
import Ingestion
import Testing
import Tracking
import VPPCore
import VPPStore
import VPPStorePostgres
import VPPStoreSQLite
import VPPTestSupport

/// Issue 14: the city on PostgreSQL. Several districts in one PostgreSQL store, the per-month sums
/// the city report reads, and `vpp sync` from a district SQLite store into a PostgreSQL city store
/// (incremental, idempotent, a crash mid-batch loses and duplicates nothing). Each test uses a
/// fresh database on the server of `VPP_TEST_POSTGRES_URL` (see `StoreUnderTest`).
@Suite("City on PostgreSQL", .serialized,
       .enabled(if: Driver.postgresURL != nil,
                "VPP_TEST_POSTGRES_URL is unset: the PostgreSQL city tests are skipped (make test starts a throw-away server with scripts/with-postgres.sh)"))
struct PostgresCityTests {
    static let july = KSTDateTime(year: 2024, month: 7, day: 1).epochSeconds
    static let clock = FixedWallClock(KSTDateTime(year: 2024, month: 8, day: 1))

    /// A small district with its own id, sigungu code, dong codes and asset ids (several fit in one store).
    static func site(_ n: Int, dongs: Int = 2, miniUnits: Int = 100) -> SiteConfig {
        var c = SiteBuilder.tiny(dongs: dongs)
        let sigungu = "9700\(n)"
        c.site = SiteInfo(id: "district-\(n)", name: "District \(n)", nameKo: "구\(n)", sigunguCode: sigungu)
        c.targets = Targets(districtShare: 0.01 * Double(n), districtShareBasis: "test")
        for i in c.dongs.indices {
            c.dongs[i].code = sigungu + String(format: "%05d", i)
            c.dongs[i].pvFleets = c.dongs[i].pvFleets.map { var p = $0; p.id = "d\(n)-\(p.id)"; p.units = miniUnits; return p }
            c.dongs[i].meters = c.dongs[i].meters.map { var m = $0; m.id = "d\(n)-\(m.id)"; return m }
            c.dongs[i].batteries = c.dongs[i].batteries.map { var b = $0; b.id = "d\(n)-\(b.id)"; return b }
        }
        return c
    }

    /// `hours` hourly rollups of every dong from `from`, varied by dong, hour and a seeded generator.
    static func rollups(_ c: SiteConfig, hours: Int, from: Int64 = july, seed: UInt64 = 1) -> [(dongCode: String, rollup: HourlyRollup)] {
        var rng = SplitMix64(seed: seed)
        return c.dongs.enumerated().flatMap { (i, d) in
            (0..<hours).map { h in
                let noise = Int64(rng.next() % 500)
                return (d.code, HourlyRollup(hourStart: from + Int64(h) * 3600, generationWh: Int64(1000 * (i + 1) + h) + noise,
                                             consumptionWh: 5000 + noise, chargeWh: noise / 2, dischargeWh: noise / 3, importWh: 4000 + noise,
                                             exportWh: noise / 5, generationCoveredS: 3600, consumptionCoveredS: 3600))
            }
        }
    }

    /// Every rollup of `codes` over [from, to) as the store returns them.
    static func all(_ s: Storage, _ codes: [String], from: Int64, to: Int64) async throws -> [String: [HourlyRollup]] {
        try await s.readings.hourlyRollups(dongCodes: codes, from: from, to: to)
    }

    /// A district SQLite store (one site) and a fresh PostgreSQL city store.
    struct Fixture {
        let source: SQLiteStore
        let city: StoreUnderTest
        let dir: URL
        let site: SiteConfig
        var target: Storage { city.storage }

        static func make(site: SiteConfig = PostgresCityTests.site(3, dongs: 3)) async throws -> Fixture {
            let dir = try TempDirectory.make()
            let source = try SQLiteStore(path: dir.appendingPathComponent("district.sqlite").path, clock: PostgresCityTests.clock)
            _ = try await source.loadSite(site)
            return Fixture(source: source, city: try await StoreUnderTest.make(.postgresql), dir: dir, site: site)
        }

        func close() async {
            await city.close()
            TempDirectory.remove(dir)
        }

        func run(batchRows: Int = 20_000, failAfterRows: Int? = nil) async throws -> SyncReport {
            try await CitySync.run(source: source.storage, target: target, siteCode: nil, batchRows: batchRows, failAfterRows: failAfterRows)
        }

        func rows(_ stream: String, _ r: SyncReport) -> Int? { r.streams.first { $0.stream == stream }?.rows }

        func count(_ table: String) async throws -> Int { try await target.sites.info().rowCounts[table] ?? -1 }
        /// Row counts of `tables` in the city store (−1: no such table).
        func counts(_ tables: [String]) async throws -> [String: Int] {
            let all = try await target.sites.info().rowCounts
            return Dictionary(uniqueKeysWithValues: tables.map { ($0, all[$0] ?? -1) })
        }

        /// The city's rollups of this district equal the district's, over [from, to).
        func expectEqual(from: Int64, to: Int64, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let codes = site.dongs.map(\.code)
            let want = try await PostgresCityTests.all(source.storage, codes, from: from, to: to)
            let got = try await PostgresCityTests.all(target, codes, from: from, to: to)
            #expect(got == want, sourceLocation: sourceLocation)
        }
    }

    /// Runs `body` with a fixture, closing it also when `body` throws.
    static func withFixture(site: SiteConfig = PostgresCityTests.site(3, dongs: 3), _ body: (Fixture) async throws -> Void) async throws {
        let f = try await Fixture.make(site: site)
        do { try await body(f) } catch {
            await f.close()
            throw error
        }
        await f.close()
    }

    @Test("the city migrations are applied after the core ones, in order")
    func migrationsAppended() async throws {
        try await withStore(.postgresql) { s in
            let applied = try await s.sites.info().migrationsApplied
            #expect(applied.suffix(4) == ["city-v1-sync", "city-v1-rollup-monthly", "city-v2-rollup-writes", "city-v3-run-site"])
            #expect(applied == PostgresMigrations.all.map(\.name))
            #expect(try s.cityStore() is PostgresStore)
            #expect(try s.syncTarget() is PostgresStore)
        }
    }

    @Test("monthly sums follow ingest: a real sample, then a corrected value across the month's end")
    func monthlySumsFollowIngest() async throws {
        try await withStore(.postgresql) { s in
            let config = try Samples.seodaemun
            try await s.sites.loadSite(config)
            let ingestor = Ingestor(storage: s)
            _ = try await ingestor.ingest(file: Samples.amiFeeders, options: IngestOptions(kind: .interval, source: "AMI head-end"))
            let city = try s.cityStore()
            let july = YearMonth(year: 2022, month: 7), august = YearMonth(year: 2022, month: 8)
            func check(_ label: String) async throws {
                for (from, until) in [(july, august), (YearMonth(year: 2022, month: 6), YearMonth(year: 2022, month: 9))] {
                    let monthly = try await city.dongMonthTotals(from: from, until: until)
                    #expect(monthly == (try await s.readings.dongPeriodTotals(from: from.startEpoch, to: until.startEpoch)), "\(label)")
                }
            }
            try await check("after the sample")
            let expected = try Samples.fileTotalsWh(Samples.amiFeeders).values.reduce(0, +)
            #expect(try await city.dongMonthTotals(from: july, until: august).reduce(0) { $0 + $1.consumptionWh } == expected)
            // A corrected value in the sample's last hours and a new hour in August (KST): the ingest
            // sink's INSERT … ON CONFLICT DO UPDATE moves the July sum by the difference and adds August.
            let (path, dir) = try Samples.tempFile("fix.csv", """
                검침일시,계량기번호,사용량(kWh)
                2022-07-31 23:00,YEONHUI-FEEDER,1.0
                2022-07-31 24:00,YEONHUI-FEEDER,2.0
                2022-08-01 01:00,YEONHUI-FEEDER,3.0

                """)
            defer { TempDirectory.remove(dir) }
            let r = try await ingestor.ingest(file: path, options: IngestOptions(kind: .interval, source: "test"))
            #expect(r.rowsOK == 3 && r.rowsChanged >= 1)
            try await check("after the correction")
            let aug = try await city.dongMonthTotals(from: august, until: YearMonth(year: 2022, month: 9))
            #expect(aug.reduce(0) { $0 + $1.hours } >= 1)
        }
    }

    @Test("monthly sums follow every rollup write: insert, replace across a month boundary, sync deletes")
    func monthlySumsFollowEveryWrite() async throws {
        try await Self.withFixture(site: Self.site(5, dongs: 2)) { f in
            // Rollups written straight into the city store (replaceRollups: INSERT … ON CONFLICT DO UPDATE).
            _ = try await f.target.sites.loadSite(f.site)
            let city = try f.target.cityStore()
            let june20 = KSTDateTime(year: 2024, month: 6, day: 20).epochSeconds
            try await f.target.readings.replaceRollups(Self.rollups(f.site, hours: 60 * 24, from: june20, seed: 2))   // 20 June … 18 Aug KST
            try await f.target.readings.replaceRollups(Self.rollups(f.site, hours: 30, from: Self.july - 15 * 3600, seed: 3))   // rewrites across 1 July
            // Deletes, through a sync batch of absent dong-hours (how the city learns of a deleted upload).
            var batch = SyncBatch(stream: .rollups, after: 0, through: 5)
            batch.rollups = (0..<48).map { SyncRollup(dongCode: f.site.dongs[$0 % 2].code, hourStart: Self.july + 86_400 + Int64($0 / 2) * 3600, rollup: nil) }
            #expect(try await f.target.syncTarget().applySyncBatch(source: f.site.site.id, batch, failAfterRows: nil) == 48)
            func check(_ label: String) async throws {
                for (m, n) in [(6, 7), (7, 8), (8, 9), (6, 9), (1, 12)] {
                    let from = YearMonth(year: 2024, month: m), until = YearMonth(year: 2024, month: n)
                    let monthly = try await city.dongMonthTotals(from: from, until: until)
                    let hourly = try await f.target.readings.dongPeriodTotals(from: from.startEpoch, to: until.startEpoch)
                    #expect(monthly == hourly, "\(label): months \(m)..<\(n)")
                    #expect(monthly.count == 2)
                }
            }
            try await check("after writes")
            let julyTotals = try await city.dongMonthTotals(from: YearMonth(year: 2024, month: 7), until: YearMonth(year: 2024, month: 8))
            #expect(julyTotals.map(\.hours) == [744 - 24, 744 - 24])
            // The same monthly sums in SQLite for the same writes (the district store as a reference).
            let ref = try SQLiteStore(path: f.dir.appendingPathComponent("ref.sqlite").path, clock: Self.clock)
            _ = try await ref.loadSite(f.site)
            try await ref.replaceRollups(try await f.target.readings.hourlyRollups(dongCodes: f.site.dongs.map(\.code), from: 0, to: Int64.max / 2)
                .flatMap { code, rows in rows.map { (dongCode: code, rollup: $0) } })
            #expect(try await ref.dongMonthTotals(from: YearMonth(year: 2024, month: 1), until: YearMonth(year: 2025, month: 1))
                    == city.dongMonthTotals(from: YearMonth(year: 2024, month: 1), until: YearMonth(year: 2025, month: 1)))
        }
    }

    @Test("several districts in one PostgreSQL store; the city report equals the one from the same data in SQLite")
    func cityReportEqualsSQLite() async throws {
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let sqlite = try SQLiteStore(path: dir.appendingPathComponent("city.sqlite").path, clock: Self.clock)
        try await withStore(.postgresql) { pgStorage in
            // StoreUnderTest's clock differs: the report stamps generated_at from the store's clock.
            var pg = pgStorage
            pg.clock = Self.clock
            let sites = [Self.site(1, dongs: 2, miniUnits: 100), Self.site(2, dongs: 3, miniUnits: 300), Self.site(4, dongs: 1, miniUnits: 50)]
            for (i, c) in sites.enumerated() {
                // A year for district 1, half of July for the others; data crosses month boundaries.
                let rows = Self.rollups(c, hours: i == 0 ? 8784 : 372 + 24 * i,
                                        from: i == 0 ? KSTDateTime(year: 2024, month: 1, day: 1).epochSeconds : Self.july, seed: UInt64(10 + i))
                for s in [sqlite.storage, pg] {
                    _ = try await s.sites.loadSite(c)
                    try await s.readings.replaceRollups(rows)
                }
            }
            #expect(try await pg.cityStore().loadedSites().map(\.id) == ["district-1", "district-2", "district-4"])
            // The same sites (loaded_at is each driver's own clock: the stores were made with different ones).
            let key = { (s: LoadedSite) in [s.id, s.name, s.nameKo, s.sigunguCode] }
            #expect(try await pg.cityStore().loadedSites().map(key) == sqlite.loadedSites().map(key))
            #expect(try await pg.allSiteConfigs().map(\.site.id) == ["district-1", "district-2", "district-4"])
            // Several sites: commands need --site.
            let e = await #expect(throws: VPPError.self) { try await pg.selectSite(nil) }
            #expect(e?.category == .usage && e?.message.contains("district-2 (97002)") == true)
            #expect(try await pg.selectSite("97004")?.site.id == "district-4")
            for period in ["2024-07", "2024", "2024-06", "2024-07-03..2024-07-20"] {
                let p = try ReportPeriod.parse(period)
                let fromPG = try await CityReportBuilder.build(storage: pg, period: p)
                let fromSQLite = try await CityReportBuilder.build(storage: sqlite.storage, period: p)
                #expect(fromPG == fromSQLite, "period \(period)")
                #expect(try APIJSON.encode(fromPG) == APIJSON.encode(fromSQLite), "period \(period)")
            }
            let year = try await CityReportBuilder.build(storage: pg, period: try ReportPeriod.parse("2024"))
            #expect(year.districts.map(\.id) == ["district-1", "district-2", "district-4"])
            #expect(year.city.dongs == 6)
            #expect(year.districts[0].coveragePct == 100)
        }
    }

    @Test("sync SQLite → PostgreSQL: everything once, a second run sends nothing, new data only the new")
    func syncIncrementally() async throws {
        try await Self.withFixture { f in
            try await f.source.replaceRollups(Self.rollups(f.site, hours: 48))
            _ = try await f.source.insertForecastRun(
                issuedAt: Self.july, kind: "day-ahead", horizonS: 7200, stepS: 3600, model: "t", paramsJSON: "{}",
                values: [ForecastValue(dongCode: f.site.dongs[0].code, quantity: "pv", slotStart: Self.july, durationS: 3600, value: WattHours(1234)),
                         ForecastValue(dongCode: f.site.dongs[0].code, quantity: "pv", slotStart: Self.july + 3600, durationS: 3600, value: WattHours(99))])
            let d1 = try await f.source.startDispatchRun(startedAt: Self.july, objective: "cost", horizonSeconds: 3600, stepSeconds: 3600)
            try await f.source.finishDispatchRun(id: d1, finishedAt: Self.july + 5, status: "ok", objectiveValue: 1, breakdownJSON: "{}", solveMs: 1,
                                                 message: nil, schedule: [ScheduleRow(batteryID: f.site.dongs[0].batteries[0].id, slotStart: Self.july,
                                                                                      durationSeconds: 3600, chargeW: 0, dischargeW: 10, socWh: 50_000)])
            let d2 = try await f.source.startDispatchRun(startedAt: Self.july + 60, objective: "cost", horizonSeconds: 3600, stepSeconds: 3600)

            let first = try await f.run(batchRows: 50)
            #expect(f.rows("rollups", first) == 3 * 48)
            #expect(first.streams.first { $0.stream == "rollups" }?.batches == (3 * 48 + 49) / 50)
            #expect(f.rows("forecasts", first) == 3 && f.rows("dispatch", first) == 2 && f.rows("uploads", first) == 0)
            try await f.expectEqual(from: Self.july, to: Self.july + 48 * 3600)
            #expect(try await f.counts(["city_forecast_run", "city_forecast"]) == ["city_forecast_run": 1, "city_forecast": 2])
            // The unfinished run d2 is held back; d1 went with its schedule.
            #expect(try await f.counts(["city_dispatch_run", "city_schedule"]) == ["city_dispatch_run": 1, "city_schedule": 1])
            #expect(try await f.target.cityStore().loadedSites().map(\.id) == [f.site.site.id])
            #expect(try await f.target.syncTarget().syncWatermark(source: f.site.site.id, stream: .forecasts) == 1)

            let stampBefore = try await f.target.readings.dataStamp()
            let second = try await f.run()
            #expect(second.totalRows == 0)
            #expect(second.streams.allSatisfy { $0.batches == 0 && $0.from == $0.through })

            // New data: two new hours of one dong, one changed hour, a finished d2; only those go.
            let dong = f.site.dongs[1].code
            try await f.source.replaceRollups([
                (dong, HourlyRollup(hourStart: Self.july + 48 * 3600, generationWh: 7, consumptionWh: 8)),
                (dong, HourlyRollup(hourStart: Self.july + 49 * 3600, generationWh: 9, consumptionWh: 10)),
                (dong, HourlyRollup(hourStart: Self.july, generationWh: 99, consumptionWh: 98)),
            ])
            try await f.source.finishDispatchRun(id: d2, finishedAt: Self.july + 70, status: "ok", objectiveValue: 2, breakdownJSON: "{}", solveMs: 1,
                                                 message: nil, schedule: [])
            let third = try await f.run()
            #expect(f.rows("rollups", third) == 3 && f.rows("dispatch", third) == 1 && f.rows("forecasts", third) == 0)
            try await f.expectEqual(from: Self.july, to: Self.july + 50 * 3600)
            #expect(try await f.counts(["city_dispatch_run", "rollup_hourly"]) == ["city_dispatch_run": 2, "rollup_hourly": 3 * 48 + 2])
            // A city server's read caches see the synced rows.
            #expect(try await f.target.readings.dataStamp() != stampBefore)
            // The monthly sums the city report reads moved with the synced rollups.
            let month = YearMonth(year: 2024, month: 7)
            #expect(try await f.target.cityStore().dongMonthTotals(from: month, until: YearMonth(year: 2024, month: 8))
                    == f.source.dongPeriodTotals(from: month.startEpoch, to: month.endEpoch))
        }
    }

    @Test("a crash mid-batch (failAfterRows) commits nothing of that batch; a re-run gives each dong-hour exactly once")
    func crashMidBatch() async throws {
        try await Self.withFixture { f in
            try await f.source.replaceRollups(Self.rollups(f.site, hours: 100))   // 300 dong-hours
            // With the hook in every batch, the first batch fails after 30 rows: nothing is committed.
            let first = await #expect(throws: VPPError.self) { _ = try await f.run(batchRows: 80, failAfterRows: 30) }
            #expect(first?.message.contains("injected failure") == true)
            #expect(try await f.counts(["rollup_hourly", "rollup_monthly"]) == ["rollup_hourly": 0, "rollup_monthly": 0])
            let src = try f.source.storage.syncSource(), dst = try f.target.syncTarget()
            let id = f.site.site.id
            #expect(try await dst.syncWatermark(source: id, stream: .rollups) == 0)
            // Two batches commit, the third fails mid-way: the city keeps exactly the first two.
            for _ in 0..<2 {
                let wm = try await dst.syncWatermark(source: id, stream: .rollups)
                #expect(try await dst.applySyncBatch(source: id, try await src.syncBatch(.rollups, after: wm, limit: 80), failAfterRows: nil) == 80)
            }
            let wm = try await dst.syncWatermark(source: id, stream: .rollups)
            let batch = try await src.syncBatch(.rollups, after: wm, limit: 80)
            let crash = await #expect(throws: VPPError.self) { _ = try await dst.applySyncBatch(source: id, batch, failAfterRows: 30) }
            #expect(crash?.message.contains("injected failure") == true)
            #expect(try await f.count("rollup_hourly") == 160)
            #expect(try await dst.syncWatermark(source: id, stream: .rollups) == wm)
            // A re-run completes it: every dong-hour once, equal to the district's, monthly sums too.
            let rerun = try await f.run(batchRows: 80)
            #expect(f.rows("rollups", rerun) == 140)
            try await f.expectEqual(from: Self.july, to: Self.july + 100 * 3600)
            #expect(try await f.count("rollup_hourly") == 300)
            let month = YearMonth(year: 2024, month: 7)
            let monthly = try await f.target.cityStore().dongMonthTotals(from: month, until: YearMonth(year: 2024, month: 8))
            #expect(monthly.map(\.hours) == [100, 100, 100])
            // A stale batch (its start is not the stored watermark) is refused, not applied twice.
            let stale = await #expect(throws: VPPError.self) { _ = try await dst.applySyncBatch(source: id, batch, failAfterRows: nil) }
            #expect(stale?.category == .temporary && stale?.message.contains("another sync") == true)
            // The hook inside a forecast run's values and a dispatch run's schedule rolls those back too.
            _ = try await f.source.insertForecastRun(issuedAt: Self.july, kind: "day-ahead", horizonS: 7200, stepS: 3600, model: "t", paramsJSON: "{}",
                                                     values: (0..<10).map { ForecastValue(dongCode: f.site.dongs[0].code, quantity: "pv",
                                                                                          slotStart: Self.july + Int64($0) * 3600, durationS: 3600,
                                                                                          value: WattHours(Int64($0))) })
            await #expect(throws: VPPError.self) { _ = try await f.run(failAfterRows: 5) }
            #expect(try await f.counts(["city_forecast_run", "city_forecast"]) == ["city_forecast_run": 0, "city_forecast": 0])
            #expect(f.rows("forecasts", try await f.run()) == 11)
            #expect(try await f.count("city_forecast") == 10)
        }
    }

    @Test("two syncs of the same district and stream at once: one batch commits, the other is refused (75), nothing twice")
    func concurrentSyncsSerialize() async throws {
        try await Self.withFixture { f in
            try await f.source.replaceRollups(Self.rollups(f.site, hours: 200))
            _ = try await f.target.sites.loadSite(f.site)
            let src = try f.source.storage.syncSource(), dst = try f.target.syncTarget()
            let batch = try await src.syncBatch(.rollups, after: 0, limit: 600)
            let id = f.site.site.id
            async let a: Result<Int, Error> = { do { return .success(try await dst.applySyncBatch(source: id, batch, failAfterRows: nil)) } catch { return .failure(error) } }()
            async let b: Result<Int, Error> = { do { return .success(try await dst.applySyncBatch(source: id, batch, failAfterRows: nil)) } catch { return .failure(error) } }()
            let results = [await a, await b]
            let ok = results.compactMap { try? $0.get() }
            let refused = results.compactMap { r -> VPPError? in if case .failure(let e) = r { return e as? VPPError } else { return nil } }
            #expect(ok == [600])
            #expect(refused.count == 1 && refused.first?.category == .temporary)
            #expect(try await dst.syncWatermark(source: id, stream: .rollups) == batch.through)
            #expect(try await f.count("rollup_hourly") == 600)
            try await f.expectEqual(from: Self.july, to: Self.july + 200 * 3600)
        }
    }

    @Test("sync refuses dongs of another district, and a second district lands beside the first")
    func refusalsAndSeveralDistricts() async throws {
        try await Self.withFixture { f in
            _ = try await f.target.sites.loadSite(f.site)
            var batch = SyncBatch(stream: .rollups, after: 0, through: 1)
            batch.rollups = [SyncRollup(dongCode: "1141052000", hourStart: Self.july, rollup: HourlyRollup(hourStart: Self.july))]
            let e = await #expect(throws: VPPError.self) { _ = try await f.target.syncTarget().applySyncBatch(source: f.site.site.id, batch, failAfterRows: nil) }
            #expect(e?.category == .badData && e?.message.contains("1141052000") == true)
            #expect(try await f.target.syncTarget().syncWatermark(source: f.site.site.id, stream: .rollups) == 0)
            try await f.source.replaceRollups(Self.rollups(f.site, hours: 24))
            _ = try await f.run()
            // A second district store syncs into the same city store; each keeps its own watermarks.
            let other = Self.site(6, dongs: 2)
            let second = try SQLiteStore(path: f.dir.appendingPathComponent("district-6.sqlite").path, clock: Self.clock)
            _ = try await second.loadSite(other)
            try await second.replaceRollups(Self.rollups(other, hours: 24, seed: 6))
            let r = try await CitySync.run(source: second.storage, target: f.target, siteCode: nil)
            #expect(r.streams.first { $0.stream == "rollups" }?.rows == 48)
            #expect(try await f.target.cityStore().loadedSites().map(\.id) == ["district-3", "district-6"])
            // District 3's rows may not come from district 6's name.
            var foreign = SyncBatch(stream: .rollups, after: try await f.target.syncTarget().syncWatermark(source: "district-6", stream: .rollups),
                                    through: 10_000)
            foreign.rollups = [SyncRollup(dongCode: f.site.dongs[0].code, hourStart: Self.july, rollup: nil)]
            await #expect(throws: VPPError.self) { _ = try await f.target.syncTarget().applySyncBatch(source: "district-6", foreign, failAfterRows: nil) }
            try await f.expectEqual(from: Self.july, to: Self.july + 24 * 3600)
            #expect(try await f.target.readings.hourlyRollups(dongCodes: other.dongs.map(\.code), from: Self.july, to: Self.july + 86_400)
                    == second.hourlyRollups(dongCodes: other.dongs.map(\.code), from: Self.july, to: Self.july + 86_400))
        }
    }
}
