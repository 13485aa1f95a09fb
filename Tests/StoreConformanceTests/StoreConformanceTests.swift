import Foundation
import GRDB
import Testing
import Ingestion
import Logging
import PostgresNIO
import VPPAuth
import VPPConfig
import VPPCore
import VPPStore
import VPPStorePostgres
import VPPStoreSQLite
import VPPTestSupport

/// The store conformance suite (issue 14): ONE set of store tests, run against every driver
/// through `Storage` only. SQLite always runs; PostgreSQL runs when `VPP_TEST_POSTGRES_URL`
/// names a server (`scripts/with-postgres.sh` starts a throw-away one), each test in a fresh
/// database created with a random name and dropped afterwards.
enum Driver: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgresql
    var testDescription: String { rawValue }

    /// The PostgreSQL server of the suite, or nil (then the PostgreSQL cases do not run).
    static var postgresURL: PostgresURL? {
        guard let text = ProcessInfo.processInfo.environment["VPP_TEST_POSTGRES_URL"], !text.isEmpty else { return nil }
        return try? PostgresURL(parsing: text)
    }

    /// The drivers the parameterized tests run on.
    static var available: [Driver] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgresql] }
}

/// A fresh, empty store of one driver; `close()` removes it.
struct StoreUnderTest {
    let storage: Storage
    let close: @Sendable () async -> Void

    static let clock = FixedWallClock(KSTDateTime(year: 2026, month: 11, day: 22, hour: 9))

    /// `pgBatchRows`: the PostgreSQL ingest's COPY batch size (smaller than the default to test
    /// files of several batches); `pgRollupCap`: the dong-hours it holds before spilling them.
    static func make(_ driver: Driver, pgBatchRows: Int = PostgresStore.defaultIngestBatchRows,
                     pgRollupCap: Int = PostgresStore.defaultIngestRollupCap) async throws -> StoreUnderTest {
        switch driver {
        case .sqlite:
            let dir = try TempDirectory.make()
            let store = try SQLiteStore(path: dir.appendingPathComponent("conformance.sqlite").path, clock: clock)
            return StoreUnderTest(storage: store.storage, close: { TempDirectory.remove(dir) })
        case .postgresql:
            guard let server = Driver.postgresURL else { throw VPPError(.usage, "VPP_TEST_POSTGRES_URL is unset") }
            let name = "vpp_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            try await PostgresStore.createDatabase(name, on: server)
            let store = PostgresStore(url: server.with(database: name), clock: clock, ingestBatchRows: pgBatchRows, ingestRollupCap: pgRollupCap)
            return StoreUnderTest(storage: store.storage, close: {
                await store.close()
                try? await PostgresStore.dropDatabase(name, on: server)
            })
        }
    }
}

/// Runs `body` on a fresh store of `driver` and removes the store afterwards, also when it throws.
func withStore(_ driver: Driver, pgBatchRows: Int = PostgresStore.defaultIngestBatchRows,
               pgRollupCap: Int = PostgresStore.defaultIngestRollupCap, _ body: (Storage) async throws -> Void) async throws {
    let s = try await StoreUnderTest.make(driver, pgBatchRows: pgBatchRows, pgRollupCap: pgRollupCap)
    do { try await body(s.storage) } catch {
        await s.close()
        throw error
    }
    await s.close()
}

enum Samples {
    static var seodaemun: SiteConfig { get throws { try SiteConfigParser().parse(fileAt: Paths.seodaemunConfig.path) } }
    static var amiFeeders: String { Paths.packageRoot.appendingPathComponent("samples/ami-feeders-2022-07.csv").path }

    /// Per meter id (as in the file), the sum of the kWh column in Wh, read here independently of vpp's reader.
    static func fileTotalsWh(_ path: String) throws -> [String: Int64] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var out: [String: Int64] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",")
            guard f.count == 3, let kwh = Decimal(string: String(f[2])) else { continue }
            out[String(f[1]), default: 0] += NSDecimalNumber(decimal: kwh * 1000).int64Value
        }
        return out
    }

    static func tempFile(_ name: String, _ text: String) throws -> (path: String, dir: URL) {
        let dir = try TempDirectory.make()
        let p = dir.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return (p, dir)
    }
}

@Suite("Store conformance (SQLite and PostgreSQL)", .serialized)
struct StoreConformanceTests {
    /// `Driver.postgresURL` reads the variable leniently (a `.enabled(if:)` condition cannot
    /// throw): a set but malformed value must fail here instead of skipping every PostgreSQL case.
    @Test("VPP_TEST_POSTGRES_URL, when set, is a PostgreSQL URL")
    func postgresURLParses() throws {
        guard let text = ProcessInfo.processInfo.environment["VPP_TEST_POSTGRES_URL"], !text.isEmpty else { return }
        #expect(throws: Never.self, "VPP_TEST_POSTGRES_URL=\(text)") { _ = try PostgresURL(parsing: text) }
    }

    @Test("PostgreSQL server for the conformance cases",
          .enabled(if: Driver.postgresURL != nil,
                   "VPP_TEST_POSTGRES_URL is unset: the PostgreSQL cases are skipped (make test starts a throw-away server with scripts/with-postgres.sh)"))
    func postgresServerReachable() async throws {
        try await withStore(.postgresql) { s in
            let info = try await s.sites.info()
            #expect(info.migrationsApplied == PostgresMigrations.all.map(\.name))
            #expect(info.rowCounts["reading"] == 0)
        }
    }

    @Test("site load is idempotent and recorded", arguments: Driver.available)
    func siteLoad(driver: Driver) async throws {
        try await withStore(driver) { s in
            let config = try Samples.seodaemun
            let first = try await s.sites.loadSite(config)
            let assets = config.dongs.reduce(0) { $0 + $1.pvFleets.count + $1.meters.count + $1.batteries.count }
            #expect(first.changes.count == 1 + config.dongs.count + assets)
            let second = try await s.sites.loadSite(config)
            #expect(second.unchanged)
            let summary = try await s.sites.siteSummary()
            #expect(summary.count == config.dongs.count)
            #expect(summary.reduce(0) { $0 + $1.households } == config.dongs.reduce(0) { $0 + $1.households })
            #expect(try await s.sites.activeDongCodes() == Set(config.dongs.map(\.code)))
            #expect(try await s.sites.assetDirectory().assets.count == assets)
            #expect(try await s.sites.loadedSiteConfig()?.site.id == config.site.id)
            // A changed dong and a removed meter: updated and retired, each recorded.
            var changed = config
            changed.dongs[0].households += 7
            let removed = changed.dongs[1].meters.removeLast()
            let third = try await s.sites.loadSite(changed)
            let what = third.changes.map { "\($0.change) \($0.entity) \($0.id)" }.sorted()
            #expect(what == ["removed asset \(removed.id)", "updated dong \(config.dongs[0].code)"].sorted())
            #expect(try await s.sites.assetDirectory().assets.count == assets - 1)
            #expect(try await s.sites.configChanges(limit: 2).count == 2)
            // The config read back is the changed one (the driver's decoded-config cache follows the fingerprint).
            #expect(try await s.sites.loadedSiteConfig()?.dongs[0].households == config.dongs[0].households + 7)
            #expect(try await s.sites.loadedSiteConfig(siteID: config.site.id) == changed)
        }
    }

    @Test("a site naming another site's dong code or asset id is refused (65, both named) and nothing of it is kept",
          arguments: Driver.available)
    func siteKeysAreStoreWide(driver: Driver) async throws {
        try await withStore(driver) { s in
            let config = try Samples.seodaemun
            _ = try await s.sites.loadSite(config)
            let before = try await s.sites.info().rowCounts
            var other = config
            other.site = SiteInfo(id: "other-gu", name: "Other", nameKo: "다른구", sigunguCode: "99999")
            func refused(_ c: SiteConfig) async throws -> SiteLoadConflict? {
                do { _ = try await s.sites.loadSite(c); return nil } catch let e as SiteLoadConflict { return e }
            }
            // The same dong codes.
            let dong = try #require(try await refused(other))
            #expect(dong == SiteLoadConflict(entity: "dong", id: config.dongs.map(\.code).min() ?? "", otherSite: "seodaemun", site: "other-gu"))
            #expect(dong.category == .badData)
            #expect(dong.description.contains("dong \(dong.id) belongs to site seodaemun"))
            // Dong codes of its own, the same asset ids.
            for i in other.dongs.indices { other.dongs[i].code = "99" + other.dongs[i].code.dropFirst(2) }
            let assetIDs = config.dongs.flatMap { $0.pvFleets.map(\.id) + $0.meters.map(\.id) + $0.batteries.map(\.id) }
            let asset = try #require(try await refused(other))
            #expect(asset.entity == "asset" && asset.id == assetIDs.min() && asset.otherSite == "seodaemun")
            #expect(try await s.sites.info().rowCounts == before)
            // Its own asset ids too: it loads beside the first.
            for i in other.dongs.indices {
                other.dongs[i].pvFleets = other.dongs[i].pvFleets.map { var p = $0; p.id = "o-" + p.id; return p }
                other.dongs[i].meters = other.dongs[i].meters.map { var m = $0; m.id = "o-" + m.id; return m }
                other.dongs[i].batteries = other.dongs[i].batteries.map { var b = $0; b.id = "o-" + b.id; return b }
            }
            _ = try await s.sites.loadSite(other)
            #expect(try await s.sites.info().rowCounts["site"] == 2)
            // Two sites: no "last loaded" default — the caller must name one.
            do {
                let any = try await s.sites.loadedSiteConfig()
                Issue.record("a store of two sites gave \(any?.site.id ?? "nil") without being asked for one")
            } catch let e as VPPError {
                #expect(e.category == .usage && e.message.contains("2 sites are loaded") && e.message.contains("other-gu, seodaemun"), "\(e)")
            }
            #expect(try await s.sites.loadedSiteConfig(siteID: "other-gu")?.site.id == "other-gu")
            await #expect(throws: VPPError.self) { _ = try await s.sites.siteSummary() }
        }
    }

    @Test("a real sample ingests once; a re-upload is a duplicate; rollups equal the readings", arguments: Driver.available)
    func ingestSample(driver: Driver) async throws {
        try await withStore(driver) { s in
            try await s.sites.loadSite(try Samples.seodaemun)
            let expected = try Samples.fileTotalsWh(Samples.amiFeeders)
            let ingestor = Ingestor(storage: s)
            let r = try await ingestor.ingest(file: Samples.amiFeeders, options: IngestOptions(kind: .interval, source: "AMI head-end"))
            #expect(!r.duplicate)
            #expect(r.rowsOK == 3 * 744)
            #expect(r.rowsRejected == 0)
            let (lo, hi) = (try #require(r.firstSlot), try #require(r.lastSlot))
            let totals = try await s.readings.meterTotals(assetIDs: ["yeonhui-feeder"], from: lo, to: hi + 3600)
            #expect(totals["yeonhui-feeder"]?.energyWh == expected["YEONHUI-FEEDER"])
            #expect(totals["yeonhui-feeder"]?.coveredS == Int64(744 * 3600))
            // The rollups of the dongs hold exactly the readings' sum (consumption meters).
            let month = YearMonth(year: 2022, month: 7)
            let all = try await s.readings.dongPeriodTotals(from: month.startEpoch, to: month.endEpoch)
            #expect(all.reduce(0) { $0 + $1.consumptionWh } == expected.values.reduce(0, +))
            // The same bytes again: a duplicate, nothing new stored.
            let again = try await ingestor.ingest(file: Samples.amiFeeders, options: IngestOptions(kind: .interval, source: "AMI head-end"))
            #expect(again.duplicate)
            #expect(again.uploadID == r.uploadID)
            #expect(try await s.uploads.uploads().count == 1)
            let after = try await s.readings.dongPeriodTotals(from: month.startEpoch, to: month.endEpoch)
            #expect(after == all)
            let upload = try await s.uploads.upload(id: r.uploadID)
            #expect(upload?.rowsOK == 3 * 744)
            #expect(upload?.status == "ok")
        }
    }

    @Test("rejected rows are kept with line, column and reason", arguments: Driver.available)
    func rejectsKept(driver: Driver) async throws {
        try await withStore(driver) { s in
            try await s.sites.loadSite(try Samples.seodaemun)
            let (path, dir) = try Samples.tempFile("feeder.csv", """
                검침일시,계량기번호,사용량(kWh)
                2022-07-01 01:00,YEONHUI-FEEDER,296.4
                2022-07-01 02:00,YEONHUI-FEEDER,abc
                2022-07-01 03:00,YEONHUI-FEEDER,236.6
                2022-07-01 03:00,YEONHUI-FEEDER,240.0
                2022-07-01 04:00,NO-SUCH-METER,1.0
                2022-07-01 05:00,YEONHUI-FEEDER,200.0

                """)
            defer { TempDirectory.remove(dir) }
            let r = try await Ingestor(storage: s).ingest(file: path, options: IngestOptions(kind: .interval, source: "test"))
            #expect(r.rowsOK == 3)
            #expect(r.rowsRejected == 3)
            let rows = try await s.uploads.rejectedRows(uploadID: r.uploadID)
            #expect(rows.map(\.line) == [3, 5, 6])
            #expect(rows[0].raw.contains("abc"))
            #expect(rows[0].column == 3)
            #expect(rows[1].reason.contains("repeated time stamp"))
            #expect(rows[2].reason.lowercased().contains("no-such-meter") || rows[2].reason.lowercased().contains("meter"))
            let totals = try await s.readings.meterTotals(assetIDs: ["yeonhui-feeder"], from: 0, to: Int64.max / 2)
            #expect(totals["yeonhui-feeder"]?.energyWh == Int64(296_400 + 236_600 + 200_000))
        }
    }

    @Test("a failure mid-file leaves nothing; a retry succeeds", arguments: Driver.available)
    func crashMidFile(driver: Driver) async throws {
        try await withStore(driver) { s in
            try await s.sites.loadSite(try Samples.seodaemun)
            let ingestor = Ingestor(storage: s)
            await #expect(throws: IngestError.self) {
                _ = try await ingestor.ingest(file: Samples.amiFeeders,
                                              options: IngestOptions(kind: .interval, source: "AMI head-end", failAfterRows: 1000))
            }
            #expect(try await s.uploads.uploads().isEmpty)
            #expect(try await s.readings.rollupSpan() == nil)
            #expect(try await s.readings.meterTotals(assetIDs: ["yeonhui-feeder", "sinchon-feeder"], from: 0, to: Int64.max / 2).isEmpty)
            let r = try await ingestor.ingest(file: Samples.amiFeeders, options: IngestOptions(kind: .interval, source: "AMI head-end"))
            #expect(!r.duplicate)
            #expect(r.rowsOK == 3 * 744)
        }
    }

    @Test("a corrected value replaces the stored one, is counted and moves the rollup by the difference", arguments: Driver.available)
    func correctedValues(driver: Driver) async throws {
        try await withStore(driver) { s in
            let config = try Samples.seodaemun
            try await s.sites.loadSite(config)
            let header = "검침일시,계량기번호,사용량(kWh)\n"
            let rows = (1...6).map { "2022-07-02 0\($0):00,YEONHUI-FEEDER,\(100 + $0).0" }
            let (a, dirA) = try Samples.tempFile("a.csv", header + rows.joined(separator: "\n") + "\n")
            defer { TempDirectory.remove(dirA) }
            var fixed = rows
            fixed[2] = "2022-07-02 03:00,YEONHUI-FEEDER,150.0"
            let (b, dirB) = try Samples.tempFile("b.csv", header + fixed.joined(separator: "\n") + "\n")
            defer { TempDirectory.remove(dirB) }
            let ingestor = Ingestor(storage: s)
            let first = try await ingestor.ingest(file: a, options: IngestOptions(kind: .interval, source: "test"))
            guard let dong = config.dongs.first(where: { $0.meters.contains { $0.id == "yeonhui-feeder" } })?.code else {
                Issue.record("no dong holds yeonhui-feeder"); return
            }
            let (lo, hi) = (try #require(first.firstSlot), try #require(first.lastSlot) + 3600)
            let before = try await s.readings.rollupTotals(dong: dong, from: lo, to: hi)
            let second = try await ingestor.ingest(file: b, options: IngestOptions(kind: .interval, source: "test"))
            #expect(second.rowsOK == 6)
            #expect(second.rowsChanged == 1)
            #expect(try await s.uploads.upload(id: second.uploadID)?.rowsChanged == 1)
            let after = try await s.readings.rollupTotals(dong: dong, from: lo, to: hi)
            #expect(after.consumptionWh - before.consumptionWh == 150_000 - 103_000)
            #expect(after.consumptionCoveredS == before.consumptionCoveredS)
            #expect(after.hours == before.hours)
        }
    }

    @Test("rollups written and read back", arguments: Driver.available)
    func rollups(driver: Driver) async throws {
        try await withStore(driver) { s in
            let config = try Samples.seodaemun
            try await s.sites.loadSite(config)
            let d = config.dongs[0].code
            let t0 = KSTDateTime(year: 2025, month: 1, day: 1).epochSeconds
            let rows = (0..<48).map { h in
                (dongCode: d, rollup: HourlyRollup(hourStart: t0 + Int64(h) * 3600, generationWh: Int64(h) * 10, consumptionWh: 1000))
            }
            try await s.readings.replaceRollups(rows)
            // A second dong with hours before, inside and after the first's (span and daily sums
            // run over every dong).
            let d2 = config.dongs[1].code
            try await s.readings.replaceRollups([t0 - 86_400, t0 + 5 * 3600, t0 + 72 * 3600].map {
                (dongCode: d2, rollup: HourlyRollup(hourStart: $0, generationWh: 0, consumptionWh: 500))
            })
            let tot = try await s.readings.rollupTotals(dong: d, from: t0, to: t0 + 48 * 3600)
            #expect(tot.hours == 48)
            #expect(tot.generationWh == (0..<48).reduce(0) { $0 + Int64($1) * 10 })
            #expect(tot.consumptionWh == 48_000)
            let series = try await s.readings.rollupSeries(dong: d, quantity: .generation, from: t0, to: t0 + 3 * 3600)
            #expect(series.wh == [0, 10, 20])
            let daily = try await s.readings.districtDaily(from: t0, to: t0 + 48 * 3600)
            #expect(daily.map(\.consumptionWh) == [24_500, 24_000])
            #expect(daily.map(\.dayStart) == [t0, t0 + 86_400])
            let span = try await s.readings.rollupSpan()
            #expect(span?.first == t0 - 86_400)
            #expect(span?.last == t0 + 72 * 3600)
            #expect(try await s.readings.hourlyRollups(dongCodes: [d], from: t0, to: t0 + 48 * 3600)[d]?.count == 48)
            #expect(try await s.readings.hourlyConsumption(dong: d, from: t0, to: t0 + 2 * 3600).map(\.wh) == [1000, 1000])
        }
    }

    @Test("forecast runs, values and models", arguments: Driver.available)
    func forecasts(driver: Driver) async throws {
        try await withStore(driver) { s in
            let t0 = KSTDateTime(year: 2025, month: 7, day: 1).epochSeconds
            var values: [ForecastValue] = []
            for i in 0..<4 {
                let quantity = i % 2 == 0 ? "pv" : "load"
                let slot: Int64 = t0 + Int64(i / 2) * 3600
                values.append(ForecastValue(dongCode: "1141000000", quantity: quantity, slotStart: slot, durationS: 3600,
                                            value: WattHours(Int64(1000 + i))))
            }
            let older = try await s.forecasts.insertForecastRun(issuedAt: t0 - 86_400, kind: "day-ahead", horizonS: 86_400, stepS: 3600,
                                                                 model: "m1", paramsJSON: "{}", values: values)
            let newer = try await s.forecasts.insertForecastRun(issuedAt: t0 - 3600, kind: "day-ahead", horizonS: 86_400, stepS: 3600,
                                                                 model: "m2", paramsJSON: "{\"a\":1}", values: values)
            #expect(try await s.forecasts.newestForecastRun()?.id == newer)
            #expect(try await s.forecasts.forecastRun(id: older)?.model == "m1")
            #expect(try await s.forecasts.forecastValues(runID: newer, dong: nil, quantity: "pv").map(\.value.wh) == [1000, 1002])
            let runs = try await s.forecasts.forecastRuns(issuedFrom: t0 - 2 * 86_400, issuedThrough: t0 - 7200, overlappingFrom: t0,
                                                          to: t0 + 86_400, limit: 10)
            #expect(runs.map(\.id) == [older])
            #expect(try await s.forecasts.forecastPoints(runID: older, dong: "1141000000", quantity: nil).count == 4)
            let m = try await s.forecasts.saveForecastModel(name: "pv", trainedAt: t0, trainFrom: t0 - 100, trainTo: t0, paramsJSON: "{}")
            #expect(try await s.forecasts.latestForecastModel(name: "pv")?.id == m)
            #expect(try await s.forecasts.latestForecastModel(name: "load") == nil)
            try await s.weather.putWeather(key: "k", fetchedAt: t0, body: Data([1, 2, 3]))
            try await s.weather.putWeather(key: "k", fetchedAt: t0 + 1, body: Data([4]))
            #expect(try await s.weather.weatherBody(key: "k") == Data([4]))
        }
    }

    @Test("dispatch runs and their schedules", arguments: Driver.available)
    func dispatchRuns(driver: Driver) async throws {
        try await withStore(driver) { s in
            let config = try Samples.seodaemun
            try await s.sites.loadSite(config)
            let battery = try #require(config.dongs.first { !$0.batteries.isEmpty }?.batteries.first?.id)
            let t0 = KSTDateTime(year: 2025, month: 7, day: 1).epochSeconds
            func schedule(_ soc: Int64) -> [ScheduleRow] {
                (0..<4).map { ScheduleRow(batteryID: battery, slotStart: t0 + Int64($0) * 900, durationSeconds: 900, chargeW: 0,
                                          dischargeW: 1000, socWh: soc - Int64($0) * 250) }
            }
            let r1 = try await s.dispatch.startDispatchRun(startedAt: t0, objective: "cost", horizonSeconds: 3600, stepSeconds: 900)
            try await s.dispatch.finishDispatchRun(id: r1, finishedAt: t0 + 5, status: "ok", objectiveValue: 1.5, breakdownJSON: "{}",
                                                   solveMs: 3, message: nil, schedule: schedule(10_000))
            let r2 = try await s.dispatch.startDispatchRun(startedAt: t0 + 900, objective: "cost", horizonSeconds: 3600, stepSeconds: 900)
            try await s.dispatch.finishDispatchRun(id: r2, finishedAt: t0 + 905, status: "failed", objectiveValue: nil, breakdownJSON: "{}",
                                                   solveMs: nil, message: "infeasible", schedule: [])
            let runs = try await s.dispatch.dispatchRuns()
            #expect(runs.map(\.id) == [r2, r1])
            #expect(runs.first?.message == "infeasible")
            #expect(try await s.dispatch.plannedSoC(at: t0 + 1800) == [battery: 9_750])
            let planned = try await s.dispatch.plannedSoC(batteryIDs: [battery], from: t0, to: t0 + 3600)
            #expect(planned.map(\.socWh) == [10_000, 9_750, 9_500, 9_250])
            let latest = try await s.dispatch.latestSchedule()
            #expect(latest?.run.id == r1)
            #expect(latest?.slots.count == 4)
            #expect(latest?.slots.first?.dongCode == config.dongs.first { $0.batteries.contains { $0.id == battery } }?.code)
        }
    }

    @Test("forecast and dispatch runs belong to their site: a district's reads never see another's newer run", arguments: Driver.available)
    func runsPerSite(driver: Driver) async throws {
        try await withStore(driver) { s in
            let config = try Samples.seodaemun
            try await s.sites.loadSite(config)
            let battery = try #require(config.dongs.first { !$0.batteries.isEmpty }?.batteries.first?.id)
            let dong = config.dongs[0].code
            let t0 = KSTDateTime(year: 2025, month: 7, day: 1).epochSeconds
            // Seodaemun's runs first, then a newer run of another district (its own battery and dong).
            func values(_ code: String, _ wh: Int64) -> [ForecastValue] {
                (0..<4).map { ForecastValue(dongCode: code, quantity: "load", slotStart: t0 + Int64($0) * 3600, durationS: 3600, value: WattHours(wh)) }
            }
            let fA = try await s.forecasts.insertForecastRun(siteID: "seodaemun", issuedAt: t0 - 7200, kind: "day-ahead", horizonS: 14_400,
                                                             stepS: 3600, model: "m", paramsJSON: "{}", values: values(dong, 1000))
            let fB = try await s.forecasts.insertForecastRun(siteID: "other-gu", issuedAt: t0 - 3600, kind: "day-ahead", horizonS: 14_400,
                                                             stepS: 3600, model: "m", paramsJSON: "{}", values: values("9900000000", 2000))
            #expect(try await s.forecasts.latestForecastRun(siteID: "seodaemun")?.id == fA)
            #expect(try await s.forecasts.latestForecastRun(siteID: "other-gu")?.id == fB)
            #expect(try await s.forecasts.latestForecastRun()?.id == fB)
            #expect(try await s.forecasts.forecastRuns(issuedFrom: t0 - 86_400, issuedThrough: t0, overlappingFrom: t0, to: t0 + 14_400,
                                                       limit: 8, siteID: "seodaemun").map(\.id) == [fA])
            #expect(try await s.forecasts.forecastRuns(issuedFrom: t0 - 86_400, issuedThrough: t0, overlappingFrom: t0, to: t0 + 14_400,
                                                       limit: 8).map(\.id) == [fB, fA])
            // A run of no site (made before runs named one) counts for every site.
            let f0 = try await s.forecasts.insertForecastRun(issuedAt: t0 - 1800, kind: "day-ahead", horizonS: 14_400, stepS: 3600,
                                                             model: "m", paramsJSON: "{}", values: values(dong, 1500))
            #expect(try await s.forecasts.latestForecastRun(siteID: "seodaemun")?.id == f0)
            #expect(try await s.forecasts.forecastRuns(issuedFrom: t0 - 86_400, issuedThrough: t0, overlappingFrom: t0, to: t0 + 14_400,
                                                       limit: 8, siteID: "other-gu").map(\.id) == [f0, fB])

            func schedule(_ id: String, _ soc: Int64) -> [ScheduleRow] {
                (0..<4).map { ScheduleRow(batteryID: id, slotStart: t0 + Int64($0) * 900, durationSeconds: 900, chargeW: 0,
                                          dischargeW: 1000, socWh: soc - Int64($0) * 250) }
            }
            let dA = try await s.dispatch.startDispatchRun(siteID: "seodaemun", startedAt: t0, objective: "cost", horizonSeconds: 3600, stepSeconds: 900)
            try await s.dispatch.finishDispatchRun(id: dA, finishedAt: t0 + 5, status: "ok", objectiveValue: 1, breakdownJSON: "{}",
                                                   solveMs: 3, message: nil, schedule: schedule(battery, 10_000))
            let dB = try await s.dispatch.startDispatchRun(siteID: "other-gu", startedAt: t0 + 60, objective: "cost", horizonSeconds: 3600, stepSeconds: 900)
            try await s.dispatch.finishDispatchRun(id: dB, finishedAt: t0 + 65, status: "ok", objectiveValue: 2, breakdownJSON: "{}",
                                                   solveMs: 3, message: nil, schedule: schedule("other-ess", 50_000))
            #expect(try await s.dispatch.latestSchedule(siteID: "seodaemun")?.run.id == dA)
            #expect(try await s.dispatch.latestSchedule(siteID: "other-gu")?.slots.map(\.batteryID) == Array(repeating: "other-ess", count: 4))
            #expect(try await s.dispatch.latestSchedule()?.run.id == dB)
            #expect(try await s.dispatch.plannedSoC(at: t0 + 1800, siteID: "seodaemun") == [battery: 9_750])
            #expect(try await s.dispatch.plannedSoC(at: t0 + 1800) == ["other-ess": 49_750])
            #expect(try await s.dispatch.dispatchRuns(limit: 10, siteID: "seodaemun").map(\.id) == [dA])
            #expect(try await s.dispatch.dispatchRuns(limit: 10, siteID: nil).map(\.id) == [dB, dA])
        }
    }

    /// Migration "city-v3-run-site" on a store made before it: the store is built at today's
    /// schema, then put back to the state before that migration (its columns, indexes and record
    /// dropped, as an older vpp left them), and migrated again by the driver's own runner.
    @Test("upgrade of a store made before runs named their site: with one site its runs become that site's, with two they stay shared",
          arguments: Driver.available)
    func runSiteMigrationBackfill(driver: Driver) async throws {
        let t0 = KSTDateTime(year: 2025, month: 7, day: 1).epochSeconds
        for siteCount in [1, 2] {
            let configs = [PostgresCityTests.site(1), PostgresCityTests.site(2)].prefix(siteCount)
            try await withDowngradedRunSite(driver, setUp: { s in
                for c in configs { try await s.sites.loadSite(c) }
                let v = [ForecastValue(dongCode: configs[0].dongs[0].code, quantity: "load", slotStart: t0, durationS: 3600, value: WattHours(500))]
                _ = try await s.forecasts.insertForecastRun(siteID: nil, issuedAt: t0 - 3600, kind: "day-ahead", horizonS: 3600, stepS: 3600,
                                                            model: "m", paramsJSON: "{}", values: v)
                let d = try await s.dispatch.startDispatchRun(siteID: nil, startedAt: t0, objective: "cost", horizonSeconds: 3600, stepSeconds: 900)
                try await s.dispatch.finishDispatchRun(id: d, finishedAt: t0 + 5, status: "ok", objectiveValue: 1, breakdownJSON: "{}",
                                                       solveMs: 1, message: nil, schedule: [])
            }, check: { s, siteIDs in
                let label = "\(driver), \(siteCount) site(s)"
                let want: [String?] = siteCount == 1 ? [configs[0].site.id] : [nil]
                #expect(siteIDs.forecast == want, "\(label)")
                #expect(siteIDs.dispatch == want, "\(label)")
                // Through the store: a run of one site is not another's; a shared run is every site's.
                let other = try await s.forecasts.latestForecastRun(siteID: "district-9")
                #expect((other == nil) == (siteCount == 1), "\(label)")
                #expect(try await s.forecasts.latestForecastRun(siteID: configs[0].site.id) != nil, "\(label)")
                #expect(try await s.dispatch.dispatchRuns(limit: 5, siteID: "district-9").count == (siteCount == 1 ? 0 : 1), "\(label)")
                #expect(try await s.dispatch.dispatchRuns(limit: 5, siteID: configs[0].site.id).count == 1, "\(label)")
            })
        }
    }

    @Test("tokens: created once, authenticated, revoked, audited", arguments: Driver.available)
    func tokens(driver: Driver) async throws {
        try await withStore(driver) { s in
            let (info, text) = try await s.auth.createToken(role: .operator, office: nil, complexes: [], actor: "test")
            let p = try await s.auth.authenticate(token: text)
            #expect(p.tokenID == info.id)
            #expect(p.role == .operator)
            await #expect(throws: AuthError.self) { _ = try await s.auth.authenticate(token: text + "x") }
            _ = try await s.auth.revokeToken(keyID: info.keyID, actor: "test")
            await #expect(throws: AuthError.self) { _ = try await s.auth.authenticate(token: text) }
            #expect(try await s.auth.tokens().first?.revokedAt != nil)
            let log = try await s.auth.auditLog(limit: 10)
            #expect(log.map(\.action) == ["token.revoke", "token.create"])
            // An office token names a known meter.
            await #expect(throws: AuthError.self) {
                _ = try await s.auth.createToken(role: .office, office: "o", complexes: ["no-such-meter"], actor: "test")
            }
        }
    }
}

extension StoreConformanceTests {
    @Test("two ingests of different files at once both succeed", arguments: Driver.available)
    func concurrentIngests(driver: Driver) async throws {
        try await withStore(driver) { s in
            try await s.sites.loadSite(try Samples.seodaemun)
            let header = "검침일시,계량기번호,사용량(kWh)\n"
            func rows(_ meter: String) -> String {
                header + (1...23).map { String(format: "2022-07-03 %02d:00,\(meter),%d.0", $0, 100 + $0) }.joined(separator: "\n") + "\n"
            }
            let (a, dirA) = try Samples.tempFile("a.csv", rows("YEONHUI-FEEDER"))
            defer { TempDirectory.remove(dirA) }
            let (b, dirB) = try Samples.tempFile("b.csv", rows("SINCHON-FEEDER"))
            defer { TempDirectory.remove(dirB) }
            async let ra = Ingestor(storage: s).ingest(file: a, options: IngestOptions(kind: .interval, source: "a"))
            async let rb = Ingestor(storage: s).ingest(file: b, options: IngestOptions(kind: .interval, source: "b"))
            let (x, y) = try await (ra, rb)
            #expect(x.rowsOK == 23 && y.rowsOK == 23)
            #expect(Set([x.uploadID, y.uploadID]).count == 2)
            let t = try await s.readings.meterTotals(assetIDs: ["yeonhui-feeder", "sinchon-feeder"], from: 0, to: Int64.max / 2)
            let want = Int64((1...23).reduce(0) { $0 + (100 + $1) * 1000 })
            #expect(t["yeonhui-feeder"]?.energyWh == want)
            #expect(t["sinchon-feeder"]?.energyWh == want)
        }
    }

    @Test("both drivers implement every optional concern; a storage without one gives a typed error", arguments: Driver.available)
    func optionalConcerns(driver: Driver) async throws {
        try await withStore(driver) { s in
            // Every concern is present on both drivers (their semantics: OptionalConcernsConformanceTests).
            #expect(s.telemetry != nil && s.alerts != nil && s.openADRObjects != nil && s.scoring != nil)
            #expect(throws: Never.self) { _ = try s.telemetryStore(); _ = try s.alertStore(); _ = try s.openADR(); _ = try s.forecastScoring() }
            // A storage that lacks one names the store in a typed error, never a cast.
            var without = s
            without.telemetry = nil; without.scoring = nil
            #expect(throws: VPPError.self) { _ = try without.telemetryStore() }
            do {
                _ = try without.forecastScoring()
                Issue.record("a storage without forecast scoring returned one")
            } catch let e as VPPError {
                #expect(e.category == .unavailable)
                #expect(e.description.contains("not supported by the store at \(s.location)"))
            }
            switch driver {
            case .sqlite:
                #expect(s.tryExclusiveLock == nil)
            case .postgresql:
                // A named lock: one holder at a time.
                let lock = try #require(s.tryExclusiveLock)
                let first = try await lock("dispatch", nil)
                #expect(first != nil)
                #expect(try await lock("dispatch", nil) == nil)
                await first?.release()
                let again = try await lock("dispatch", nil)
                #expect(again != nil)
                await again?.release()
                // Per-site names under one shared guard: two districts at once, one run per district;
                // the guard's exclusive holder (an older vpp's store-wide "dispatch") and they exclude each other.
                let a = try #require(try await lock("dispatch district-1", "dispatch"))
                let b = try #require(try await lock("dispatch district-2", "dispatch"))
                #expect(try await lock("dispatch district-1", "dispatch") == nil)
                #expect(try await lock("dispatch", nil) == nil)
                await a.release()
                #expect(try await lock("dispatch", nil) == nil)
                await b.release()
                let old = try #require(try await lock("dispatch", nil))
                #expect(try await lock("dispatch district-1", "dispatch") == nil)
                await old.release()
                // A refused name leaves nothing held: with the name still held (without a guard), the
                // guard's exclusive holder gets in right after the refusal. (The refusal also unlocks
                // its guard before closing its session; a closing session's backend exits so fast
                // here that this test passes without that unlock too.)
                let c = try #require(try await lock("dispatch district-1", nil))
                #expect(try await lock("dispatch district-1", "dispatch") == nil)
                let old2 = try #require(try await lock("dispatch", nil))
                await old2.release()
                await c.release()
            }
        }
    }
}

/// Faults of the PostgreSQL driver: what the CLI's exit status is made of.
@Suite("PostgreSQL faults", .enabled(if: Driver.postgresURL != nil,
                                     "VPP_TEST_POSTGRES_URL is unset: PostgreSQL fault tests are skipped"))
struct PostgresFaultTests {
    @Test("a missing database is unavailable (69), naming host and database, never the password")
    func missingDatabase() async throws {
        let server = try #require(Driver.postgresURL)
        var url = server.with(database: "vpp_no_such_database_here")
        url.password = "s3cret-pw"
        let store = PostgresStore(url: url)
        do {
            _ = try await store.storage.sites.info()
            Issue.record("expected an error")
        } catch let e as VPPError {
            #expect(e.category == .unavailable)
            #expect(e.description.contains("vpp_no_such_database_here"))
            #expect(e.description.contains(url.host))
            #expect(!e.description.contains("s3cret-pw"))
        }
    }

    /// `scripts/with-postgres.sh` makes one role give its password (scram-sha-256; every other
    /// role is trusted) and names it in VPP_TEST_POSTGRES_PASSWORD_ROLE.
    static var passwordRole: String? { ProcessInfo.processInfo.environment["VPP_TEST_POSTGRES_PASSWORD_ROLE"].flatMap { $0.isEmpty ? nil : $0 } }

    @Test("a wrong password is unavailable (69), naming host and database, never the password; the right one connects",
          .enabled(if: passwordRole != nil, "VPP_TEST_POSTGRES_PASSWORD_ROLE is unset (scripts/with-postgres.sh sets it)"))
    func wrongPassword() async throws {
        let server = try #require(Driver.postgresURL), role = try #require(Self.passwordRole)
        // The role, with a password (as the trusted superuser of the test server).
        var logger = Logger(label: "test.role")
        logger.logLevel = .critical
        let conn = try await PostgresConnection.connect(
            configuration: .init(host: server.host, port: server.port, username: server.user, password: server.password,
                                 database: server.database, tls: .disable), id: 1, logger: logger)
        do {
            try await conn.query(PostgresQuery(unsafeSQL: """
                DO $$ BEGIN
                  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(role)') THEN CREATE ROLE \(role) LOGIN; END IF;
                END $$;
                """), logger: logger)
            try await conn.query(PostgresQuery(unsafeSQL: "ALTER ROLE \(role) PASSWORD 'r1ght-pw'"), logger: logger)
        } catch {
            try? await conn.close()
            throw error
        }
        try await conn.close()

        let wrong = PostgresStore(url: PostgresURL(user: role, password: "wr0ng-pw", host: server.host, port: server.port, database: server.database))
        do {
            _ = try await wrong.storage.sites.info()
            Issue.record("a wrong password connected")
        } catch let e as VPPError {
            #expect(e.category == .unavailable, "\(e)")
            #expect(e.description.contains(server.host) && e.description.contains(server.database), "\(e)")
            #expect(!e.description.contains("wr0ng-pw") && !e.description.contains("r1ght-pw"))
        }
        await wrong.close()
        // The right password connects (so the refusal above was the password's).
        let right = try await PostgresConnection.connect(
            configuration: .init(host: server.host, port: server.port, username: role, password: "r1ght-pw",
                                 database: server.database, tls: .disable), id: 2, logger: logger)
        try await right.close()
    }

    @Test("a connection dropped mid-ingest rolls the file back (temporary, 75); a retry succeeds")
    func droppedMidIngest() async throws {
        let server = try #require(Driver.postgresURL)
        let name = "vpp_test_drop_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await PostgresStore.createDatabase(name, on: server)
        let store = PostgresStore(url: server.with(database: name), clock: StoreUnderTest.clock)
        do {
            try await store.loadSite(try Samples.seodaemun)
            // Progress is reported on the ingest thread after the file is read, before the rows are
            // written: the server ends the ingest's session there.
            let drop: @Sendable (Int64, Int64) -> Void = { _, _ in
                let done = DispatchSemaphore(value: 0)
                Task { try? await PostgresStore.terminateSessions(of: name, on: server); done.signal() }
                done.wait()
                // The client sees the server close the socket shortly after.
                usleep(300_000)
            }
            do {
                _ = try await Ingestor(storage: store.storage).ingest(
                    file: Samples.amiFeeders, options: IngestOptions(kind: .interval, source: "AMI head-end", progress: drop))
                Issue.record("expected the dropped connection to fail the ingest")
            } catch let e as VPPError {
                #expect(e.category == .temporary)
            }
            #expect(try await store.uploads(limit: 10).isEmpty)
            #expect(try await store.rollupSpan() == nil)
            let r = try await Ingestor(storage: store.storage).ingest(
                file: Samples.amiFeeders, options: IngestOptions(kind: .interval, source: "AMI head-end"))
            #expect(r.rowsOK == 3 * 744)
        } catch {
            await store.close()
            try? await PostgresStore.dropDatabase(name, on: server)
            throw error
        }
        await store.close()
        try await PostgresStore.dropDatabase(name, on: server)
    }

    @Test("a refused connection is temporary (75)")
    func refused() async throws {
        // Port 9 (discard) on loopback: nothing listens in the test environment.
        let store = PostgresStore(url: PostgresURL(user: "vpp", password: nil, host: "127.0.0.1", port: 9, database: "vpp"))
        do {
            _ = try await store.storage.sites.info()
            Issue.record("expected an error")
        } catch let e as VPPError {
            #expect(e.category == .temporary)
            #expect(e.description.contains("127.0.0.1:9"))
        }
    }
}

@Suite("PostgreSQL URL")
struct PostgresURLTests {
    @Test("URL parsing keeps the password out of the location")
    func urlRedaction() throws {
        let u = try PostgresURL(parsing: "postgresql://alice:pw%40x@db.example:6543/city", environment: [:])
        #expect(u.user == "alice")
        #expect(u.password == "pw@x")
        #expect(u.port == 6543)
        #expect(u.database == "city")
        #expect(u.redacted == "postgresql://alice@db.example:6543/city")
        #expect(throws: VPPError.self) { try PostgresURL(parsing: "postgresql://host-only", environment: [:]) }
    }
}

extension StoreConformanceTests {
    @Test("files of one dong's two meters add to its rollups and monthly sums: one after the other (stored dong-hours) and at once",
          arguments: Driver.available)
    func sharedDongHours(driver: Driver) async throws {
        try await withStore(driver) { s in
            try await s.sites.loadSite(try Samples.seodaemun)
            let header = "검침일시,계량기번호,사용량(kWh)\n"
            func rows(_ meter: String, day: Int) -> String {
                header + (1...23).map { String(format: "2022-07-%02d %02d:00,\(meter),%d.0", day, $0, 100 + $0) }.joined(separator: "\n") + "\n"
            }
            var dirs: [URL] = []
            defer { dirs.forEach(TempDirectory.remove) }
            func file(_ name: String, _ text: String) throws -> String {
                let (f, d) = try Samples.tempFile(name, text)
                dirs.append(d)
                return f
            }
            // Day 3 one after the other: every dong-hour of the second file is stored already.
            for (i, meter) in ["SINCHON-APT", "SINCHON-FEEDER"].enumerated() {
                let r = try await Ingestor(storage: s).ingest(file: try file("d3-\(i).csv", rows(meter, day: 3)),
                                                              options: IngestOptions(kind: .interval, source: "d3-\(i)"))
                #expect(r.rowsOK == 23 && r.rowsRejected == 0)
            }
            // Day 4 at once: both files find the dong-hours new; one waits for the other's rollups.
            let a = try file("d4-a.csv", rows("SINCHON-APT", day: 4)), b = try file("d4-b.csv", rows("SINCHON-FEEDER", day: 4))
            async let ra = Ingestor(storage: s).ingest(file: a, options: IngestOptions(kind: .interval, source: "d4-a"))
            async let rb = Ingestor(storage: s).ingest(file: b, options: IngestOptions(kind: .interval, source: "d4-b"))
            let (x, y) = try await (ra, rb)
            #expect(x.rowsOK == 23 && y.rowsOK == 23)

            let dong = "1141058500"
            let hours = try await s.readings.hourlyRollups(dongCodes: [dong], from: 0, to: Int64.max / 2)[dong] ?? []
            let perMeterHour = (1...23).map { Int64(100 + $0) * 1000 }
            #expect(hours.count == 46)
            let got: Set<Int64> = Set(hours.map(\.consumptionWh))
            let want: Set<Int64> = Set(perMeterHour.map { 2 * $0 })
            #expect(got == want)
            let total: Int64 = hours.map(\.consumptionWh).reduce(0, +)
            let perDay: Int64 = perMeterHour.reduce(0, +)
            #expect(total == 4 * perDay)
            let month = try await s.cityStore().dongMonthTotals(from: YearMonth(year: 2022, month: 7), until: YearMonth(year: 2022, month: 8))
            let m = try #require(month.first { $0.dongCode == dong })
            #expect(m.hours == 46)
            #expect(m.consumptionWh == 4 * perDay)
        }
    }
}

/// A fresh store of `driver` filled by `setUp`, then put back to the schema before migration
/// "city-v3-run-site" (columns, indexes and the migration's record dropped) and migrated again
/// by the driver's own runner; `check` gets the store and the runs' `site_id` values as stored
/// (forecast runs, dispatch runs; by id).
func withDowngradedRunSite(_ driver: Driver, setUp: (Storage) async throws -> Void,
                           check: (Storage, (forecast: [String?], dispatch: [String?])) async throws -> Void) async throws {
    let undo = [
        "DROP INDEX forecast_run_site", "DROP INDEX dispatch_run_site",
        "ALTER TABLE forecast_run DROP COLUMN site_id", "ALTER TABLE dispatch_run DROP COLUMN site_id",
    ]
    switch driver {
    case .sqlite:
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let path = dir.appendingPathComponent("old.sqlite").path
        do {
            let old = try SQLiteStore(path: path, clock: StoreUnderTest.clock)
            try await setUp(old.storage)
            try await old.write { db in
                for u in undo { try db.execute(sql: u) }
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'city-v3-run-site'")
            }
        }
        let upgraded = try SQLiteStore(path: path, clock: StoreUnderTest.clock)  // opening migrates
        let ids = try await upgraded.write { db in
            (forecast: try String?.fetchAll(db, sql: "SELECT site_id FROM forecast_run ORDER BY id"),
             dispatch: try String?.fetchAll(db, sql: "SELECT site_id FROM dispatch_run ORDER BY id"))
        }
        try await check(upgraded.storage, ids)
    case .postgresql:
        try await withStore(.postgresql) { s in
            try await setUp(s)
            let (conn, logger) = try await rawPostgresConnection(to: s, label: "test.migrate")
            do {
                for u in undo { try await conn.query(PostgresQuery(unsafeSQL: u), logger: logger) }
                try await conn.query("DELETE FROM schema_migrations WHERE name = 'city-v3-run-site'", logger: logger)
                try await PostgresMigrations.migrate(conn, logger: logger)
                func siteIDs(_ table: String) async throws -> [String?] {
                    var out: [String?] = []
                    for try await row in try await conn.query(PostgresQuery(unsafeSQL: "SELECT site_id FROM \(table) ORDER BY id"), logger: logger) {
                        out.append(try row.decode(String?.self))
                    }
                    return out
                }
                let ids = (forecast: try await siteIDs("forecast_run"), dispatch: try await siteIDs("dispatch_run"))
                #expect(try await s.sites.info().migrationsApplied == PostgresMigrations.all.map(\.name))
                try await check(s, ids)
            } catch {
                try? await conn.close()
                throw error
            }
            try await conn.close()
        }
    }
}

/// A PostgreSQL connection of its own to the database of the store under test (the suite's
/// server), to change or read the server's state behind the store's back; its logger is quiet.
func rawPostgresConnection(to s: Storage, label: String) async throws -> (PostgresConnection, Logger) {
    let server = try #require(Driver.postgresURL), db = try PostgresURL(parsing: s.location).database
    var logger = Logger(label: label)
    logger.logLevel = .critical
    let conn = try await PostgresConnection.connect(
        configuration: .init(host: server.host, port: server.port, username: server.user, password: server.password, database: db, tls: .disable),
        id: 1, logger: logger)
    return (conn, logger)
}
