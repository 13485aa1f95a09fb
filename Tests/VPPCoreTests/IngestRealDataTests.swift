import Foundation
import GRDB
import Testing
@testable import VPPBenchmarks
@testable import VPPAuth
@testable import Tracking
@testable import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPStore
@testable import VPPCore

/// The real exports in ../shared/data ingest cleanly with a mapping file or flags.
@Suite("Ingest real data")
struct IngestRealDataTests {
    @Test("Dangjin energy.csv (wide, hour-ending, kWh by mapping) lands every cell")
    func dangjinEnergy() async throws {
        try #require(IngestEnv.sharedExists("pv-dangjin/energy.csv"), "shared/data absent")
        let env = try await IngestEnv()
        let mapping = try IngestMapping.load(path: IngestEnv.fixtures + "/dangjin-energy.map.toml")
        let r = try await env.ingest(IngestEnv.shared + "/pv-dangjin/energy.csv", .pv, mapping: mapping, source: "EWP Dangjin")
        // 17,543 hourly rows × 2 mapped plants, no NaN before 2020-03 (pv-dangjin/SOURCE.txt).
        #expect(r.rowsOK == 2 * 17_543)
        #expect(r.rowsRejected == 0)
        #expect(r.warnings.contains { $0.contains("columns not ingested: dangjin_warehouse, ulsan") })
        // "2018-3-1 12:00,607,...,550" is hour-ending: the slot 11:00–12:00 KST.
        #expect(try env.wh("cheonyeon-rooftop", KSTDateTime(year: 2018, month: 3, day: 1, hour: 11)) == 607_000)
        #expect(try env.wh("bugahyeon-rooftop", KSTDateTime(year: 2018, month: 3, day: 1, hour: 12)) == 727_000)
        // First stamp "2018-3-1 1:00" → slot 00:00.
        #expect(try env.wh("cheonyeon-rooftop", KSTDateTime(year: 2018, month: 3, day: 1, hour: 0)) == 0)
        // Totals equal the file's column sums (computed independently with Python's csv module).
        #expect(try env.sum("cheonyeon-rooftop") == 2_180_747_000)
        #expect(try env.sum("bugahyeon-rooftop") == 2_454_924_000)
        #expect(try env.expectRollupsMatchReadings() > 17_000)
        let month = try await env.store.rollupTotals(dong: "1141052000", month: YearMonth(year: 2018, month: 3))
        #expect(month.hours == 744)
        #expect(month.generationCoveredS == 744 * 3600)
    }

    @Test("GIST PV by building (long, cum_diff_kwh, unmapped arrays skipped and counted)")
    func gistPV() async throws {
        try #require(IngestEnv.sharedExists("gist-campus/pv_hourly_by_building.csv"), "shared/data absent")
        let env = try await IngestEnv()
        let mapping = try IngestMapping.load(path: IngestEnv.fixtures + "/gist-pv.map.toml")
        let r = try await env.ingest(IngestEnv.shared + "/gist-campus/pv_hourly_by_building.csv", .pv, mapping: mapping, source: "GIST")
        // Soccer field: 1,488 hours; the first has no cum_diff (no previous register) → 1 reject.
        #expect(r.rowsOK == 1_487)
        #expect(r.rowsRejected == 1)
        #expect(r.rejects.first?.reason.contains("empty value") == true)
        #expect(r.rejects.first?.column == 8)
        #expect(r.rowsSkipped == 14 * 1_488)
        #expect(r.rowsOK + r.rowsRejected + r.rowsSkipped == 22_320)
        // 2022-07-01 13:00 cum_diff 103.7 kWh, hour-ending → slot 12:00–13:00.
        #expect(try env.wh("soccer-pv-meter", KSTDateTime(year: 2022, month: 7, day: 1, hour: 12)) == 103_700)
        #expect(try env.sum("soccer-pv-meter") == 23_121_000)
        try env.expectRollupsMatchReadings()
    }

    @Test("GIST feeders: cumulative MWh registers with a per-row unit column and a real rollover")
    func gistFeederRegisters() async throws {
        try #require(IngestEnv.sharedExists("gist-campus/load_hourly_by_feeder.csv"), "shared/data absent")
        let env = try await IngestEnv()
        var m = IngestMapping()
        m.meterColumn = "feeder_ko"; m.registerColumn = "active_energy_register"; m.unitColumn = "energy_register_unit"
        m.timeColumn = "timestamp_kst"; m.slot = .hour; m.unmappedMeters = .skip
        let r = try await env.ingest(IngestEnv.shared + "/gist-campus/load_hourly_by_feeder.csv", mapping: m, source: "GIST")
        // Three mapped feeders × 1,488 hourly reads: first read of each is the baseline.
        #expect(r.registerBaselines == 3)
        #expect(r.rowsOK == 3 * 1_487)
        #expect(r.rowsRejected == 0)
        #expect(r.rowsSkipped == 83_328 - 3 * 1_488)
        // 기혼자아파트E동 register rolls over at 1000 MWh once (−999.8 MWh diff) → 0.2 MWh, flagged.
        #expect(r.rowsFlagged == 1)
        let rolled: [Int64] = try await env.store.read { db in
            try Int64.fetchAll(db, sql: "SELECT energy_wh FROM reading WHERE asset_id = 'married-apt-e' AND quality & 1 = 1")
        }
        #expect(rolled == [200_000])
        // Register 766.3 → 766.4 MWh between 00:00 and 01:00 KST → 100 kWh in slot 00:00.
        #expect(try env.wh("faculty-apt", KSTDateTime(year: 2022, month: 7, day: 1, hour: 0)) == 100_000)
        #expect(try env.quality("faculty-apt", KSTDateTime(year: 2022, month: 7, day: 1, hour: 0)) == ReadingQuality.fromRegister)
        try env.expectRollupsMatchReadings()
    }

    @Test("CP949 site_info.csv is detected and decoded; as an interval file it fails whole with one error")
    func cp949SiteInfo() async throws {
        try #require(IngestEnv.sharedExists("pv-dangjin/site_info.csv"), "shared/data absent")
        let path = IngestEnv.shared + "/pv-dangjin/site_info.csv"
        let bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        #expect(TextDecoding.detect(bytes).encoding == .cp949)
        #expect(String(data: Data(bytes), encoding: .utf8) == nil)
        let text = try TextDecoding.decode(bytes, as: .cp949)
        #expect(text.contains("당진수상태양광"))
        #expect(text.contains("울산광역시 남구 용잠로 623"))
        let env = try await IngestEnv()
        await #expect {
            _ = try await env.ingest(path, .pv)
        } throws: { e in
            guard let e = e as? IngestError, case .layout(let why) = e.reason else { return false }
            return why.contains("no header with a time column") && e.category == .badData
        }
        #expect(try env.count("upload") == 0)
        #expect(try env.count("rejected_row") == 0)
    }

    @Test("XpERP manual example rows (no header) with the billing month from the command line")
    func xperpExample() async throws {
        try #require(IngestEnv.sharedExists("apartment-exports/xperp_electric_upload_example_noheader.csv"), "shared/data absent")
        let env = try await IngestEnv()
        var m = IngestMapping()
        m.month = YearMonth(year: 2025, month: 8)
        let r = try await env.ingest(IngestEnv.shared + "/apartment-exports/xperp_electric_upload_example_noheader.csv", .monthly,
                               mapping: m, source: "천연동 공동주택 관리사무소")
        #expect(r.rowsOK == 2)
        #expect(r.rowsRejected == 0)
        let rows: [[String?]] = try await env.store.read { db in
            try Row.fetchAll(db, sql: "SELECT unit, usage_wh, asset_id, period, flag, previous_register, current_register FROM register_reading ORDER BY unit")
                .map { r in (0..<7).map { i in (r[i] as DatabaseValue).isNull ? nil : String(describing: r[i] as DatabaseValue) } }
        }
        #expect(rows.map { $0[0] } == ["\"301-101\"", "\"301-102\""])
        #expect(rows.map { $0[1] } == ["191000", "102000"])
        #expect(rows.map { $0[2] } == ["\"cheonyeon-apt\"", "\"cheonyeon-apt\""])
        #expect(rows.map { $0[3] } == ["\"2025-08\"", "\"2025-08\""])
        #expect(rows.map { $0[4] } == [nil, nil])
        #expect(rows.map { $0[5] } == ["295.0", "652.0"])
        #expect(rows.map { $0[6] } == ["486.0", "754.0"])
    }
}
