import Foundation
import Testing
import Ingestion
import Logging
import PostgresNIO
import VPPCore
import VPPStore
import VPPStorePostgres
import VPPTestSupport

/// Files that take several of the PostgreSQL driver's COPY batches (50,000 rows here, set for the
/// test; each stored in the background while the next batch is parsed), checked on both drivers: a failure
/// while a batch is in flight leaves nothing, and a corrected re-upload whose batches straddle
/// stored rows counts each change once and moves the rollups by the difference. The PostgreSQL
/// ingest also spills its dong-hours every 2,000 here, so the spill table's paths are covered.
@Suite("bulk ingest across batches")
struct BulkIngestTests {
    static let meters = ["YEONHUI-FEEDER", "SINCHON-FEEDER", "CHEONYEON-FEEDER"]
    static let batchRows = 50_000
    /// The PostgreSQL ingest holds 2,000 dong-hours, then spills them (30,000 per file here: the
    /// spill table and its merge are exercised by every test of this suite).
    static let rollupCap = 2_000
    static let slotsPerMeter = 40_000  // 120,000 rows: three batches, each meter straddling a batch end

    /// Quarter-hour rows meter by meter (as a head-end exports them) from 2024-01-01 00:00 KST,
    /// hour-beginning; `wh(meter, slot)` gives each value. Returns the file and, per meter, the Wh sum.
    static func file(_ name: String, wh: (Int, Int) -> Int) throws -> (path: String, dir: URL, totals: [Int64]) {
        var text = "timestamp,meter_id,kWh\n"
        text.reserveCapacity(meters.count * slotsPerMeter * 40)
        var totals = [Int64](repeating: 0, count: meters.count)
        let base = KSTDateTime(year: 2024, month: 1, day: 1).epochSeconds
        for (m, meter) in meters.enumerated() {
            for i in 0..<slotsPerMeter {
                let t = KSTDateTime(epochSeconds: base + Int64(i) * 900)
                let v = wh(m, i)
                totals[m] += Int64(v)
                text += String(format: "%04d-%02d-%02d %02d:%02d,%@,%d.%03d\n", t.year, t.month, t.day, t.hour, t.minute, meter, v / 1000, v % 1000)
            }
        }
        let (path, dir) = try Samples.tempFile(name, text)
        return (path, dir, totals)
    }

    static func options(_ failAfterRows: Int? = nil) -> IngestOptions {
        var mapping = IngestMapping()
        mapping.convention = .hourBeginning
        return IngestOptions(kind: .interval, source: "head-end", mapping: mapping, failAfterRows: failAfterRows)
    }

    static let ids = ["yeonhui-feeder", "sinchon-feeder", "cheonyeon-feeder"]

    @Test("a failure while a batch is being stored leaves nothing; a retry stores every row once", arguments: Driver.available)
    func failureWithBatchInFlight(driver: Driver) async throws {
        try await withStore(driver, pgBatchRows: Self.batchRows, pgRollupCap: Self.rollupCap) { s in
            _ = try await s.sites.loadSite(try Samples.seodaemun)
            let f = try Self.file("big.csv") { m, i in 20_000 + (i * 37 + m * 11) % 9_000 }
            defer { TempDirectory.remove(f.dir) }
            let ingestor = Ingestor(storage: s)
            // 70,000 rows in (PostgreSQL, 50,000-row batches ramping up from 6,250): batches up to row 43,750 have been handed to the server, the next is being read.
            await #expect(throws: IngestError.self) {
                _ = try await ingestor.ingest(file: f.path, options: Self.options(70_000))
            }
            #expect(try await s.uploads.uploads().isEmpty)
            #expect(try await s.readings.rollupSpan() == nil)
            #expect(try await s.readings.meterTotals(assetIDs: Self.ids, from: 0, to: Int64.max / 2).isEmpty)

            let r = try await ingestor.ingest(file: f.path, options: Self.options())
            #expect(r.rowsOK == Self.meters.count * Self.slotsPerMeter)
            #expect(r.rowsRejected == 0)
            let stored = try await s.readings.meterTotals(assetIDs: Self.ids, from: 0, to: Int64.max / 2)
            for (m, id) in Self.ids.enumerated() {
                #expect(stored[id]?.energyWh == f.totals[m], "\(id)")
                #expect(stored[id]?.coveredS == Int64(Self.slotsPerMeter) * 900, "\(id)")
            }
            let (lo, hi) = (try #require(r.firstSlot), try #require(r.lastSlot) + 900)
            let dongs = try await s.readings.dongPeriodTotals(from: lo - 3600, to: hi + 3600)
            #expect(dongs.reduce(0) { $0 + $1.consumptionWh } == f.totals.reduce(0, +))
        }
    }

    @Test("a corrected re-upload across batches counts each change once and moves the rollups by the difference",
          arguments: Driver.available)
    func correctedAcrossBatches(driver: Driver) async throws {
        try await withStore(driver, pgBatchRows: Self.batchRows, pgRollupCap: Self.rollupCap) { s in
            _ = try await s.sites.loadSite(try Samples.seodaemun)
            let value = { (m: Int, i: Int) in 20_000 + (i * 37 + m * 11) % 9_000 }
            let a = try Self.file("a.csv", wh: value)
            defer { TempDirectory.remove(a.dir) }
            // Every 997th slot of every meter changed by +1,234 Wh (some land in each batch and at batch ends).
            let changedSlots = (0..<Self.slotsPerMeter).filter { $0 % 997 == 0 }.count
            let b = try Self.file("b.csv") { m, i in value(m, i) + (i % 997 == 0 ? 1_234 : 0) }
            defer { TempDirectory.remove(b.dir) }
            let ingestor = Ingestor(storage: s)
            let first = try await ingestor.ingest(file: a.path, options: Self.options())
            let (lo, hi) = (try #require(first.firstSlot) - 3600, try #require(first.lastSlot) + 3600)
            let before = try await s.readings.dongPeriodTotals(from: lo, to: hi)
            let second = try await ingestor.ingest(file: b.path, options: Self.options())
            #expect(!second.duplicate)
            #expect(second.rowsOK == Self.meters.count * Self.slotsPerMeter)
            #expect(second.rowsChanged == Self.meters.count * changedSlots)
            // Every changed value is logged once (reading_change), on both drivers.
            #expect(try await s.sites.info().rowCounts["reading_change"] == Self.meters.count * changedSlots)
            let after = try await s.readings.dongPeriodTotals(from: lo, to: hi)
            #expect(after.reduce(0) { $0 + $1.consumptionWh } - before.reduce(0) { $0 + $1.consumptionWh }
                    == Int64(Self.meters.count * changedSlots * 1_234))
            // Coverage is unchanged: a replaced reading is not counted twice.
            #expect(after.map(\.hours) == before.map(\.hours))
            let stored = try await s.readings.meterTotals(assetIDs: Self.ids, from: 0, to: Int64.max / 2)
            for (m, id) in Self.ids.enumerated() {
                #expect(stored[id]?.energyWh == b.totals[m], "\(id)")
                #expect(stored[id]?.coveredS == Int64(Self.slotsPerMeter) * 900, "\(id)")
            }
            // The monthly sums (statement triggers on PostgreSQL) agree with the hourly rollups.
            let jan = KSTDateTime(year: 2024, month: 1, day: 1).epochSeconds, mar25 = KSTDateTime(year: 2025, month: 3, day: 1).epochSeconds
            let months = try await s.cityStore().dongMonthTotals(from: YearMonth(year: 2024, month: 1), until: YearMonth(year: 2025, month: 3))
            let hourly = try await s.readings.dongPeriodTotals(from: jan, to: mar25)
            #expect(months.filter { $0.hours > 0 } == hourly.filter { $0.hours > 0 })
            #expect(months.reduce(0) { $0 + $1.consumptionWh } == b.totals.reduce(0, +))
        }
    }

    @Test("PostgreSQL: rows across a KST month's end land in their own month partitions, in one batch and in several",
          .enabled(if: Driver.postgresURL != nil, "VPP_TEST_POSTGRES_URL is unset"),
          arguments: [50_000, 4])
    func monthPartitions(batchRows: Int) async throws {
        try await withStore(.postgresql, pgBatchRows: batchRows) { s in
            _ = try await s.sites.loadSite(try Samples.seodaemun)
            let pg = try #require(try s.cityStore() as? PostgresStore)
            // Meter by meter (so the batch's months alternate January, February, January, …), hourly,
            // hour-beginning, from 2024-01-31 20:00 to 2024-02-01 04:00 KST: 4 January and 5 February
            // hours per meter. In UTC all of them are in January, so a UTC month would be caught.
            var text = "timestamp,meter_id,kWh\n"
            for meter in Self.meters {
                for h in 20..<24 { text += "2024-01-31 \(h):00,\(meter),1.5\n" }
                for h in 0..<5 { text += "2024-02-01 0\(h):00,\(meter),2.5\n" }
            }
            let (path, dir) = try Samples.tempFile("month-end.csv", text)
            defer { TempDirectory.remove(dir) }
            let r = try await Ingestor(storage: s).ingest(file: path, options: Self.options())
            #expect(r.rowsOK == Self.meters.count * 9 && r.rowsRejected == 0)
            #expect(try await pg.readingRowsByPartition() == ["reading_y2024m01": Self.meters.count * 4, "reading_y2024m02": Self.meters.count * 5])
            let jan = try await s.readings.meterTotals(assetIDs: Self.ids, from: KSTDateTime(year: 2024, month: 1, day: 1).epochSeconds,
                                                       to: KSTDateTime(year: 2024, month: 2, day: 1).epochSeconds)
            for id in Self.ids { #expect(jan[id]?.energyWh == 6_000, "\(id)") }
        }
    }

    @Test("PostgreSQL: a month table that is not a partition of reading (detached by hand) stops the ingest with its name; attached again, the retry lands",
          .enabled(if: Driver.postgresURL != nil, "VPP_TEST_POSTGRES_URL is unset"))
    func detachedPartition() async throws {
        try await withStore(.postgresql) { s in
            _ = try await s.sites.loadSite(try Samples.seodaemun)
            let ingestor = Ingestor(storage: s)
            func file(_ name: String, day: Int, kwh: String) throws -> (path: String, dir: URL) {
                try Samples.tempFile(name, "timestamp,meter_id,kWh\n" + (0..<4).map { "2024-02-0\(day) 0\($0):00,YEONHUI-FEEDER,\(kwh)\n" }.joined())
            }
            let a = try file("a.csv", day: 1, kwh: "1.0")
            defer { TempDirectory.remove(a.dir) }
            _ = try await ingestor.ingest(file: a.path, options: Self.options())

            // Behind the store's back: detach February's partition (its 4 rows go with it).
            let (conn, logger) = try await rawPostgresConnection(to: s, label: "test.detach")
            let feb = YearMonth(year: 2024, month: 2)
            do {
                try await conn.query("ALTER TABLE reading DETACH PARTITION reading_y2024m02", logger: logger)

                let b = try file("b.csv", day: 2, kwh: "2.0")
                defer { TempDirectory.remove(b.dir) }
                do {
                    _ = try await ingestor.ingest(file: b.path, options: Self.options())
                    Issue.record("the ingest into a detached month succeeded")
                } catch let e as VPPError {
                    #expect(e.category == .unavailable)
                    #expect("\(e)".contains("reading_y2024m02 exists but is not a partition of reading"), "\(e)")
                }
                #expect(try await s.uploads.uploads().count == 1)
                #expect(try await s.readings.meterTotals(assetIDs: ["yeonhui-feeder"], from: feb.startEpoch, to: feb.endEpoch).isEmpty)

                try await conn.query(PostgresQuery(unsafeSQL:
                    "ALTER TABLE reading ATTACH PARTITION reading_y2024m02 FOR VALUES FROM (\(feb.startEpoch)) TO (\(feb.endEpoch))"), logger: logger)
                let r = try await ingestor.ingest(file: b.path, options: Self.options())
                #expect(r.rowsOK == 4)
                let stored = try await s.readings.meterTotals(assetIDs: ["yeonhui-feeder"], from: feb.startEpoch, to: feb.endEpoch)
                let wantWh: Int64 = 4 * 1_000 + 4 * 2_000  // the first file's 4 hours and the retried file's 4
                #expect(stored["yeonhui-feeder"]?.energyWh == wantWh)
            } catch {
                try? await conn.close()
                throw error
            }
            try await conn.close()
        }
    }
}
