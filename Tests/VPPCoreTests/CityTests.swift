import Foundation
import GRDB
import Testing
@testable import VPPBenchmarks
@testable import Tracking
import VPPConfig
import VPPStoreSQLite
import VPPStore
@testable import VPPCore
import VPPTestSupport

/// Issue 14, part B: several districts in one store, the city roll-up, synthetic districts and
/// district → city sync.
@Suite("City: many districts, city report, sync")
struct CityTests {
    /// A small site with its own id, sigungu code, dong codes and asset ids (so two fit in one store).
    static func site(_ n: Int, dongs: Int = 2, miniUnits: Int = 100) -> SiteConfig {
        var c = SiteBuilder.tiny(dongs: dongs)
        let sigungu = "9800\(n)"
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

    static let july = KSTDateTime(year: 2024, month: 7, day: 1).epochSeconds

    /// `hours` hourly rollups from 2024-07-01 00:00 KST for each dong; generation depends on dong index and hour.
    static func rollups(_ c: SiteConfig, hours: Int, from: Int64 = july, scale: Int64 = 1) -> [(dongCode: String, rollup: HourlyRollup)] {
        c.dongs.enumerated().flatMap { (i, d) in
            (0..<hours).map { h in
                (d.code, HourlyRollup(hourStart: from + Int64(h) * 3600, generationWh: scale * Int64(1000 * (i + 1) + h),
                                      consumptionWh: scale * 5000))
            }
        }
    }

    @Test func oneSiteIsChosenSeveralNeedACode() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let s = store.storage
        #expect(try await s.selectSite(nil) == nil)
        _ = try await s.sites.loadSite(Self.site(1))
        #expect(try await s.selectSite(nil)?.site.id == "district-1")
        _ = try await s.sites.loadSite(Self.site(2))
        let e = await #expect(throws: VPPError.self) { try await s.selectSite(nil) }
        #expect(e?.category == .usage)
        #expect(e?.message.contains("district-1 (98001)") == true && e?.message.contains("district-2 (98002)") == true)
        #expect(try await s.selectSite("district-2")?.site.id == "district-2")
        #expect(try await s.selectSite("98001")?.site.id == "district-1")
        let unknown = await #expect(throws: VPPError.self) { try await s.selectSite("gangnam") }
        #expect(unknown?.message.contains("no site \"gangnam\"") == true)
        #expect(try await store.loadedSites().map(\.id) == ["district-1", "district-2"])
        // The district report of one site covers only its dongs.
        try await store.replaceRollups(Self.rollups(Self.site(1), hours: 24) + Self.rollups(Self.site(2), hours: 24))
        let r = try await TrackingReportBuilder.build(storage: s, period: try ReportPeriod.parse("2024-07-01..2024-07-01"), siteID: "district-2")
        #expect(Set(r.dongs.map(\.code)) == Set(Self.site(2).dongs.map(\.code)))
        await #expect(throws: VPPError.self) { try await TrackingReportBuilder.build(storage: s, period: try ReportPeriod.parse("2024-07")) }
    }

    @Test func cityReportRollsUpEveryDistrictWithShares() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let a = Self.site(1, dongs: 2, miniUnits: 100), b = Self.site(2, dongs: 3, miniUnits: 300)
        _ = try await store.loadSite(a)
        _ = try await store.loadSite(b)
        let rowsA = Self.rollups(a, hours: 744), rowsB = Self.rollups(b, hours: 372, scale: 2)   // b: half of July
        try await store.replaceRollups(rowsA + rowsB)
        let p = try await CityReportBuilder.build(storage: store.storage, period: try ReportPeriod.parse("2024-07"))
        #expect(p.districts.map(\.id) == ["district-1", "district-2"])
        let genA = rowsA.reduce(Int64(0)) { $0 + $1.rollup.generationWh }, genB = rowsB.reduce(Int64(0)) { $0 + $1.rollup.generationWh }
        #expect(p.districts[0].generationWh == genA && p.districts[1].generationWh == genB)
        #expect(p.city.generationWh == genA + genB)
        #expect(p.districts[0].coveragePct == 100 && p.districts[1].coveragePct == 50)
        // tCO2e: Wh → MWh × the 2023 factor (no 2024 entry in the tiny config) of each district.
        let factor = a.emissionFactor(forYear: 2024)!.tco2eqPerMWh
        #expect(abs(p.districts[0].tco2Avoided - Double(genA) / 1e6 * factor) < 1e-3)
        #expect(abs(p.city.tco2PerYear - Double(genA + genB) / 1e6 * factor * (8784.0 / 744.0)) < 1e-2)
        // Shares of the loaded districts sum to 100 %, each from its own installed capacity.
        let pvA = a.dongs.reduce(0) { $0 + $1.pvCapacity.kWp }, pvB = b.dongs.reduce(0) { $0 + $1.pvCapacity.kWp }
        #expect(abs(p.districts[0].share!.pvKWpPct! - pvA / (pvA + pvB) * 100) < 0.01)
        #expect(abs(p.districts.reduce(0) { $0 + $1.share!.generationPct! } - 100) < 0.02)
        #expect(p.city.miniSolarHouseholds == a.dongs.count * 100 + b.dongs.count * 300)
        let mini = p.progress.first { $0.key == "mini_solar_households" }!
        #expect(mini.target == Double(a.targets.cityMiniSolarHouseholds))
        #expect(abs(mini.progressPct! - Double(p.city.miniSolarHouseholds) / Double(a.targets.cityMiniSolarHouseholds) * 100) < 0.01)
        #expect(p.districts[1].plannedSharePct == 2)
        #expect(p.notes.contains { $0.contains("lower bound") })
        // The JSON round-trips through the Codable payload, names snake_case with units.
        let json = try APIJSON.encode(p)
        #expect(json.contains("\"generation_wh\"") && json.contains("\"pv_kwp_pct\"") && json.contains("\"schema\":\"vpp.city-report/1\""))
        #expect(try JSONDecoder().decode(CityReportPayload.self, from: Data(json.utf8)) == p)
    }

    @Test func monthlySumsFollowEveryRollupWrite() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let a = Self.site(5, dongs: 2)
        _ = try await store.loadSite(a)
        // The monthly sums are refreshed when read: check them after every kind of write, so each
        // refresh starts from the previous one's end of the change log.
        func check(_ step: String) async throws {
            for (m, n) in [(6, 7), (7, 8), (8, 9), (6, 9)] {
                let from = YearMonth(year: 2024, month: m), until = YearMonth(year: 2024, month: n)
                let monthly = try await store.dongMonthTotals(from: from, until: until)
                let hourly = try await store.dongPeriodTotals(from: from.startEpoch, to: until.startEpoch)
                #expect(monthly == hourly, "\(step): months \(m)..<\(n)")
                #expect(monthly.allSatisfy { $0.hours > 0 }, "\(step): months \(m)..<\(n)")
            }
        }
        let june20 = KSTDateTime(year: 2024, month: 6, day: 20).epochSeconds
        try await store.replaceRollups(Self.rollups(a, hours: 60 * 24, from: june20))               // 20 June … 18 Aug KST
        try await check("insert")
        try await store.replaceRollups(Self.rollups(a, hours: 30, from: Self.july - 15 * 3600, scale: 3))   // rewrites across the 1 July boundary
        try await check("rewrite")
        try await store.write { db in
            try db.execute(sql: "DELETE FROM rollup_hourly WHERE hour_start >= ? AND hour_start < ?", arguments: [Self.july + 86_400, Self.july + 3 * 86_400])
        }
        try await check("delete")
        // A read with nothing new changes nothing.
        try await check("again")
    }

    @Test func syntheticDistrictsAreSeededLabelledAndDrawnFromTheRealDongs() async throws {
        let real = try SiteConfigParser().parse(fileAt: Paths.seodaemunConfig.path)
        let one = try SyntheticDistricts.generate(from: real, count: 4, seed: 7)
        let again = try SyntheticDistricts.generate(from: real, count: 4, seed: 7)
        let other = try SyntheticDistricts.generate(from: real, count: 4, seed: 8)
        #expect(one.map(\.toml) == again.map(\.toml))
        #expect(one.map(\.toml) != other.map(\.toml))
        let realHH = real.dongs.map(\.households)
        var codes = Set<String>()
        for d in one {
            #expect(d.toml.hasPrefix("# SYNTHETIC district config — NOT a real district."))
            #expect(d.config.site.id.hasPrefix("synthetic-") && d.config.site.sigunguCode.hasPrefix("99"))
            #expect((14...20).contains(d.config.dongs.count))
            for dong in d.config.dongs {
                #expect(codes.insert(dong.code).inserted)
                #expect(dong.code.hasPrefix(d.config.site.sigunguCode))
                // Drawn from a real dong and scaled by 0.85…1.15.
                #expect(realHH.contains { Double(dong.households) >= Double($0) * 0.85 - 1 && Double(dong.households) <= Double($0) * 1.15 + 1 })
            }
            #expect(d.config.targets.citySolarKWp == real.targets.citySolarKWp)
        }
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        for d in one { _ = try await store.loadSite(d.config) }
        #expect(try await store.loadedSites().count == 4)
        #expect(try await store.activeDongCodes() == codes)
    }

    // MARK: sync

    struct SyncFixture {
        let source: SQLiteStore, target: SQLiteStore, dir: URL, site: SiteConfig
        init() async throws {
            dir = try TempDirectory.make()
            let clock = FixedWallClock(KSTDateTime(year: 2024, month: 8, day: 1))
            source = try SQLiteStore(path: dir.appendingPathComponent("district.sqlite").path, clock: clock)
            target = try SQLiteStore(path: dir.appendingPathComponent("city.sqlite").path, clock: clock)
            site = CityTests.site(3, dongs: 3)
            _ = try await source.loadSite(site)
        }

        static let rowsSQL = """
            SELECT dong_code || ' ' || hour_start || ' ' || generation_wh || ' ' || consumption_wh || ' ' || charge_wh || ' ' ||
                   discharge_wh || ' ' || import_wh || ' ' || export_wh || ' ' || generation_covered_s || ' ' || consumption_covered_s
            FROM rollup_hourly ORDER BY dong_code, hour_start
            """
        func targetRollups() throws -> [String] { try target.read { db in try String.fetchAll(db, sql: Self.rowsSQL) } }
        func sourceRollups() throws -> [String] { try source.read { db in try String.fetchAll(db, sql: Self.rowsSQL) } }
        func count(_ table: String, _ store: SQLiteStore? = nil) throws -> Int {
            try (store ?? target).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
        }
    }

    @Test func syncCopiesIncrementallyAndSendsNothingTwice() async throws {
        let f = try await SyncFixture()
        defer { TempDirectory.remove(f.dir) }
        try await f.source.replaceRollups(Self.rollups(f.site, hours: 48))
        let run = try await f.source.insertForecastRun(issuedAt: Self.july, kind: "day-ahead", horizonS: 7200, stepS: 3600, model: "t", paramsJSON: "{}",
                                                       values: [ForecastValue(dongCode: f.site.dongs[0].code, quantity: "pv", slotStart: Self.july,
                                                                              durationS: 3600, value: WattHours(1234))])
        let d1 = try await f.source.startDispatchRun(startedAt: Self.july, objective: "cost", horizonSeconds: 3600, stepSeconds: 3600)
        try await f.source.finishDispatchRun(id: d1, finishedAt: Self.july + 5, status: "ok", objectiveValue: 1, breakdownJSON: "{}", solveMs: 1,
                                             message: nil, schedule: [ScheduleRow(batteryID: f.site.dongs[0].batteries[0].id, slotStart: Self.july,
                                                                                  durationSeconds: 3600, chargeW: 0, dischargeW: 10, socWh: 50_000)])
        let d2 = try await f.source.startDispatchRun(startedAt: Self.july + 60, objective: "cost", horizonSeconds: 3600, stepSeconds: 3600)

        let first = try await CitySync.run(source: f.source.storage, target: f.target.storage, siteCode: nil, batchRows: 50)
        let rollupRows = 3 * 48
        #expect(first.streams.first { $0.stream == "rollups" }?.rows == rollupRows)
        #expect(first.streams.first { $0.stream == "rollups" }!.batches == (rollupRows + 49) / 50)
        #expect(try f.targetRollups() == f.sourceRollups())
        #expect(try f.count("city_forecast_run") == 1 && f.count("city_forecast") == 1)
        // The unfinished run d2 is held back; d1 went with its schedule.
        #expect(try f.count("city_dispatch_run") == 1 && f.count("city_schedule") == 1)
        #expect(try await f.target.loadedSites().map(\.id) == [f.site.site.id])

        let second = try await CitySync.run(source: f.source.storage, target: f.target.storage, siteCode: nil)
        #expect(second.totalRows == 0)

        // New data: two new hours of one dong, one changed hour, a finished d2; only those go.
        let dong = f.site.dongs[1].code
        try await f.source.replaceRollups([
            (dong, HourlyRollup(hourStart: Self.july + 48 * 3600, generationWh: 7, consumptionWh: 8)),
            (dong, HourlyRollup(hourStart: Self.july + 49 * 3600, generationWh: 9, consumptionWh: 10)),
            (dong, HourlyRollup(hourStart: Self.july, generationWh: 99, consumptionWh: 98)),
        ])
        try await f.source.finishDispatchRun(id: d2, finishedAt: Self.july + 70, status: "ok", objectiveValue: 2, breakdownJSON: "{}", solveMs: 1,
                                             message: nil, schedule: [])
        let stampBefore = try await f.target.dataStamp()
        let third = try await CitySync.run(source: f.source.storage, target: f.target.storage, siteCode: nil)
        #expect(try await f.target.dataStamp() != stampBefore)   // read caches of a city server see synced rollups
        #expect(third.streams.first { $0.stream == "rollups" }?.rows == 3)
        #expect(third.streams.first { $0.stream == "dispatch" }?.rows == 1)
        #expect(third.streams.first { $0.stream == "forecasts" }?.rows == 0)
        #expect(try f.targetRollups() == f.sourceRollups())
        #expect(try f.count("city_dispatch_run") == 2)
        _ = run
    }

    @Test func aCrashMidBatchLosesNothingAndDuplicatesNothing() async throws {
        let f = try await SyncFixture()
        defer { TempDirectory.remove(f.dir) }
        try await f.source.replaceRollups(Self.rollups(f.site, hours: 100))   // 300 dong-hours
        // With the hook in every batch, the first batch fails after 30 rows: nothing is committed.
        let first = await #expect(throws: VPPError.self) {
            _ = try await CitySync.run(source: f.source.storage, target: f.target.storage, siteCode: nil, batchRows: 80, failAfterRows: 30)
        }
        #expect(first?.message.contains("injected failure") == true)
        #expect(try f.count("rollup_hourly") == 0)
        #expect(try await f.target.syncWatermark(source: f.site.site.id, stream: .rollups) == 0)
        let g = f
        let src = try g.source.storage.syncSource(), dst = try g.target.storage.syncTarget()
        // Two batches commit, the third fails mid-way: the target keeps exactly the first two.
        for _ in 0..<2 {
            let wm = try await dst.syncWatermark(source: g.site.site.id, stream: .rollups)
            _ = try await dst.applySyncBatch(source: g.site.site.id, try await src.syncBatch(.rollups, after: wm, limit: 80), failAfterRows: nil)
        }
        let wm = try await dst.syncWatermark(source: g.site.site.id, stream: .rollups)
        let batch = try await src.syncBatch(.rollups, after: wm, limit: 80)
        let crash = await #expect(throws: VPPError.self) {
            _ = try await dst.applySyncBatch(source: g.site.site.id, batch, failAfterRows: 30)
        }
        #expect(crash?.message.contains("injected failure") == true)
        #expect(try g.count("rollup_hourly", g.target) == 160)
        #expect(try await dst.syncWatermark(source: g.site.site.id, stream: .rollups) == wm)
        // A re-run completes it: every dong-hour once, equal to the district's.
        let rerun = try await CitySync.run(source: g.source.storage, target: g.target.storage, siteCode: nil, batchRows: 80)
        #expect(rerun.streams.first { $0.stream == "rollups" }?.rows == 140)
        #expect(try g.targetRollups() == g.sourceRollups())
        let dupes = try await g.target.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (SELECT dong_code, hour_start FROM rollup_hourly GROUP BY 1, 2 HAVING COUNT(*) > 1)") ?? -1
        }
        #expect(dupes == 0)
        // A stale batch (its start is not the stored watermark) is refused, not applied twice.
        let stale = await #expect(throws: VPPError.self) { _ = try await dst.applySyncBatch(source: g.site.site.id, batch, failAfterRows: nil) }
        #expect(stale?.category == .temporary)
    }

    @Test func syncRefusesDongsOfAnotherDistrictAndMultiSiteSources() async throws {
        let f = try await SyncFixture()
        defer { TempDirectory.remove(f.dir) }
        _ = try await f.target.loadSite(f.site)
        var batch = SyncBatch(stream: .rollups, after: 0, through: 1)
        batch.rollups = [SyncRollup(dongCode: "1141052000", hourStart: Self.july, rollup: HourlyRollup(hourStart: Self.july))]
        let e = await #expect(throws: VPPError.self) { _ = try await f.target.applySyncBatch(source: f.site.site.id, batch, failAfterRows: nil) }
        #expect(e?.category == .badData && e?.message.contains("1141052000") == true)
        _ = try await f.source.loadSite(Self.site(4))
        let multi = await #expect(throws: VPPError.self) {
            _ = try await CitySync.run(source: f.source.storage, target: f.target.storage, siteCode: nil)
        }
        #expect(multi?.category == .usage && multi?.message.contains("2 sites") == true)
    }
}
