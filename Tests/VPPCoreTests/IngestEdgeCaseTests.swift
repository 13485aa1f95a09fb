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

// Values in generated files are real: GIST 교원아파트 (faculty apartments) active_power_kw at
// 2022-07-01 00:00–07:00 KST (shared/data/gist-campus/load_hourly_by_feeder.csv), used as kWh per hour.
private let header = "검침일시,계량기번호,사용량(kWh)\n"
private let good = """
    2022-07-01 01:00,교원아파트,71.7
    2022-07-01 02:00,교원아파트,61.8
    2022-07-01 03:00,교원아파트,57.8
    2022-07-01 04:00,교원아파트,54.7

    """
private func t(_ h: Int, day: Int = 1) -> KSTDateTime { KSTDateTime(year: 2022, month: 7, day: day, hour: h) }
private var endingHourly: IngestMapping { var m = IngestMapping(); m.convention = .hourEnding; return m }

@Suite("Ingest edge cases")
struct IngestEdgeCaseTests {
    @Test("empty file and header-only file fail whole and change nothing")
    func emptyAndHeaderOnly() async throws {
        let env = try await IngestEnv()
        await #expect { _ = try await env.ingest(try env.file("empty.csv", "")) } throws: {
            ($0 as? IngestError)?.reason == .empty
        }
        await #expect { _ = try await env.ingest(try env.file("header.csv", header)) } throws: {
            ($0 as? IngestError)?.reason == .noDataRows
        }
        await #expect { _ = try await env.ingest(try env.file("blank.csv", "\n\n  \n")) } throws: {
            ($0 as? IngestError)?.reason == .noDataRows
        }
        #expect(try env.count("upload") == 0)
        #expect(try env.count("reading") == 0)
    }

    @Test("good rows land; bad rows are stored with line, column, raw text and reason")
    func rejectsWithReasons() async throws {
        let env = try await IngestEnv()
        let text = header + """
            2022-07-01 01:00,교원아파트,71.7
            2022-07-01 02:00,교원아파트,61.8,extra
            2022-07-01 03:00,교원아파트,abc
            2022-07-01 04:00,교원아파트,-54.7
            2022-07-01 05:00,없는계량기,49.2
            2022-13-01 06:00,교원아파트,50.4
            2022-07-01 07:00,교원아파트,
            2022-07-01 07:00,교원아파트,60.8
            2022-07-01 07:00,교원아파트,60.8
            2022-07-01 07:00,교원아파트,69.0

            """
        let r = try await env.ingest(try env.file("mixed.csv", text), mapping: endingHourly)
        #expect(r.rowsOK == 2)
        #expect(r.rowsRejected == 8)
        #expect(r.status == "partial")
        let rejects = try await env.store.rejectedRows(uploadID: r.uploadID)
        #expect(rejects.map(\.line) == [3, 4, 5, 6, 7, 8, 10, 11])
        #expect(rejects.map(\.column) == [nil, 3, 3, 2, 1, 3, 3, 3])
        #expect(rejects[0].reason.contains("wrong column count: 4, header has 3"))
        #expect(rejects[0].raw == "2022-07-01 02:00,교원아파트,61.8,extra")
        #expect(rejects[1].reason.contains("not a number"))
        #expect(rejects[2].reason.contains("negative energy"))
        #expect(rejects[3].reason.contains("unknown meter \"없는계량기\""))
        #expect(rejects[3].reason.contains("aliases"))
        #expect(rejects[4].reason.contains("not a time stamp"))
        #expect(rejects[5].reason.contains("empty value"))
        #expect(rejects[6].reason.contains("duplicate row"))
        #expect(rejects[7].reason.contains("repeated time stamp"))
        #expect(rejects[7].reason.contains("60800 Wh"))
        // The first value for the repeated hour stands.
        #expect(try env.wh("faculty-apt", t(6)) == 60_800)
        #expect(try env.wh("faculty-apt", t(0)) == 71_700)
        try env.expectRollupsMatchReadings()
    }

    @Test("same file twice is a no-op; overlapping data is upserted with the change recorded")
    func idempotencyAndUpsert() async throws {
        let env = try await IngestEnv()
        let a = try env.file("a.csv", header + good)
        let r1 = try await env.ingest(a, mapping: endingHourly)
        #expect(r1.rowsOK == 4 && !r1.duplicate)
        let r2 = try await env.ingest(a, mapping: endingHourly)
        #expect(r2.duplicate)
        #expect(r2.uploadID == r1.uploadID)
        #expect(try env.count("upload") == 1)
        #expect(try env.count("reading") == 4)
        // A corrected re-export: hour 03–04 changed, 04–05 new, the rest identical.
        let b = try env.file("b.csv", header + good.replacingOccurrences(of: "54.7", with: "55.7") + "2022-07-01 05:00,교원아파트,49.2\n")
        let r3 = try await env.ingest(b, mapping: endingHourly)
        #expect(r3.rowsOK == 5)
        #expect(r3.rowsChanged == 1)
        #expect(try env.count("reading") == 5)
        #expect(try env.wh("faculty-apt", t(3)) == 55_700)
        let changes: [[Int64]] = try await env.store.read { db in
            try Row.fetchAll(db, sql: "SELECT old_wh, new_wh, upload_id FROM reading_change").map { [$0[0], $0[1], $0[2]] }
        }
        #expect(changes == [[54_700, 55_700, r3.uploadID]])
        let total = try await env.store.rollupTotals(dong: "1141052000", from: t(0).epochSeconds, to: t(5).epochSeconds)
        #expect(total.consumptionWh == 71_700 + 61_800 + 57_800 + 55_700 + 49_200)
        #expect(total.consumptionCoveredS == 5 * 3600)
        try env.expectRollupsMatchReadings()
    }

    @Test("a forced failure mid-file leaves the store unchanged")
    func atomicity() async throws {
        let env = try await IngestEnv()
        let before = try ["upload", "reading", "rejected_row", "rollup_hourly", "reading_change"].map { try env.count($0) }
        let p = try env.file("a.csv", header + good + "2022-07-01 05:00,교원아파트,oops\n")
        await #expect { _ = try await env.ingest(p, mapping: endingHourly, failAfterRows: 3) } throws: {
            if case .injectedFailure = ($0 as? IngestError)?.reason { return true } else { return false }
        }
        let after = try ["upload", "reading", "rejected_row", "rollup_hourly", "reading_change"].map { try env.count($0) }
        #expect(before == after)
        // The same file then ingests normally (nothing half-recorded under its sha256).
        let r = try await env.ingest(p, mapping: endingHourly)
        #expect(r.rowsOK == 4 && r.rowsRejected == 1 && !r.duplicate)
    }

    @Test("CP949, UTF-8 and UTF-8 with BOM give the same readings")
    func encodings() async throws {
        let cp949 = [UInt8](FileManager.default.contents(atPath: IngestEnv.fixtures + "/ami-cp949.csv")!)
        #expect(TextDecoding.detect(cp949).encoding == .cp949)
        let utf8 = Array((header + good).utf8)
        #expect(TextDecoding.detect(utf8) == .init(encoding: .utf8, bomLength: 0))
        #expect(TextDecoding.detect([0xEF, 0xBB, 0xBF] + utf8) == .init(encoding: .utf8, bomLength: 3))
        var sums: [Int64] = []
        for (name, bytes) in [("cp949.csv", cp949), ("utf8.csv", utf8), ("bom.csv", [0xEF, 0xBB, 0xBF] + utf8)] {
            let env = try await IngestEnv()
            let r = try await env.ingest(try env.file(name, bytes: bytes), mapping: endingHourly)
            #expect(r.rowsOK == 4, "\(name)")
            #expect(r.rowsRejected == 0, "\(name)")
            #expect(try env.wh("faculty-apt", t(0)) == 71_700, "\(name)")
            sums.append(try env.sum("faculty-apt"))
        }
        #expect(sums == [246_000, 246_000, 246_000])
        // Forcing the wrong encoding does not crash: the meter id no longer matches and rows are rejected.
        let env = try await IngestEnv()
        var m = endingHourly
        m.encoding = .utf8
        m.timeColumn = "1"; m.meterColumn = "2"; m.valueColumn = "3"
        let r = try await env.ingest(try env.file("forced.csv", bytes: cp949), mapping: m)
        #expect(r.rowsOK == 0 && r.rowsRejected == 4)
    }

    @Test("unit switch mid-file (repeated header and per-row unit column) is converted and flagged")
    func unitSwitch() async throws {
        let env = try await IngestEnv()
        let text = "timestamp,meter_id,kWh\n2022-07-01 01:00,FACULTY-APT,71.7\n2022-07-01 02:00,FACULTY-APT,61.8\n"
            + "timestamp,meter_id,Wh\n2022-07-01 03:00,FACULTY-APT,57800\n2022-07-01 04:00,FACULTY-APT,54700\n"
        let r = try await env.ingest(try env.file("switch.csv", text), mapping: endingHourly)
        #expect(r.rowsOK == 4)
        #expect(r.rowsRejected == 1) // the repeated header line, stored with its reason
        #expect(r.rejects.first?.reason.contains("unit switch: kWh → kWh") == false)
        #expect(r.rejects.first?.reason.contains("kWh → Wh") == true)
        #expect(r.warnings.contains { $0.contains("unit switch") })
        #expect(try env.wh("faculty-apt", t(2)) == 57_800)
        #expect(try env.quality("faculty-apt", t(2))! & ReadingQuality.unitSwitched != 0)
        #expect(try env.quality("faculty-apt", t(0)) == 0)
        #expect(r.rowsFlagged == 2)

        let env2 = try await IngestEnv()
        let text2 = "time,meter,value,unit\n2022-07-01 01:00,FACULTY-APT,0.0717,MWh\n2022-07-01 02:00,FACULTY-APT,61.8,kWh\n2022-07-01 03:00,FACULTY-APT,57.8,parsecs\n"
        let r2 = try await env2.ingest(try env2.file("unitcol.csv", text2), mapping: endingHourly)
        #expect(r2.rowsOK == 2)
        #expect(r2.rowsRejected == 1)
        #expect(r2.rejects.first?.reason.contains("unknown unit") == true)
        #expect(try env2.wh("faculty-apt", t(0)) == 71_700)
        #expect(try env2.wh("faculty-apt", t(1)) == 61_800)
        #expect(try env2.quality("faculty-apt", t(1))! & ReadingQuality.unitSwitched != 0)
    }

    @Test("cumulative register: baseline, rollover flagged, reset rejected with a new baseline")
    func registers() async throws {
        let env = try await IngestEnv()
        // Registers in kWh: real GIST faculty-apartment-shaped steps; 99,990 → 30 is a wrap at 100,000.
        let text = """
            일시,계량기번호,지침(kWh)
            2022-07-01 00:00,교원아파트,99900
            2022-07-01 01:00,교원아파트,99962
            2022-07-01 02:00,교원아파트,99990
            2022-07-01 03:00,교원아파트,30
            2022-07-01 04:00,교원아파트,85
            2022-07-01 05:00,교원아파트,12
            2022-07-01 06:00,교원아파트,62
            2022-07-01 08:00,교원아파트,190

            """
        let r = try await env.ingest(try env.file("reg.csv", text))
        #expect(r.registerBaselines == 1)
        #expect(r.rowsOK == 5)
        #expect(r.rowsRejected == 2)
        #expect(r.rowsFlagged == 1)
        #expect(try env.wh("faculty-apt", t(0)) == 62_000)
        #expect(try env.wh("faculty-apt", t(1)) == 28_000)
        #expect(try env.wh("faculty-apt", t(2)) == 40_000) // 100,000 − 99,990 + 30
        #expect(try env.quality("faculty-apt", t(2))! & ReadingQuality.rollover != 0)
        #expect(try env.wh("faculty-apt", t(3)) == 55_000)
        #expect(try env.wh("faculty-apt", t(4)) == nil) // reset 85 → 12: unknown
        #expect(try env.wh("faculty-apt", t(5)) == 50_000) // 12 → 62 after the new baseline
        #expect(r.rejects.map(\.line) == [7, 9])
        #expect(r.rejects[0].reason.contains("register reset: 85 → 12"))
        #expect(r.rejects[1].reason.contains("register gap"))
        try env.expectRollupsMatchReadings()
    }

    @Test("15-minute data, hour-beginning, Wh, DST-like repeated hour rejected, wide file by asset headers")
    func quarterHourWide() async throws {
        let env = try await IngestEnv()
        // Wide file whose headers are asset aliases; 15-min Wh values = real hourly kWh / 4.
        let text = """
            timestamp,FACULTY-APT (Wh),대학기숙사A동 (Wh)
            2022-07-01 00:00,17925,35000
            2022-07-01 00:15,17925,35000
            2022-07-01 00:30,15450,
            2022-07-01 00:30,15450,34000
            2022-07-01 00:45,14450,34000
            2022-07-01 00:50,14450,34000

            """
        var m = IngestMapping()
        m.convention = .hourBeginning
        let r = try await env.ingest(try env.file("wide.csv", text), mapping: m)
        #expect(r.rowsOK == 8)
        #expect(try env.wh("faculty-apt", KSTDateTime(year: 2022, month: 7, day: 1, hour: 0, minute: 30), duration: 900) == 15_450)
        #expect(try env.wh("dorm-a", KSTDateTime(year: 2022, month: 7, day: 1, hour: 0, minute: 30), duration: 900) == 34_000)
        let reasons = r.rejects.map(\.reason)
        #expect(reasons.contains { $0.contains("empty value") })
        #expect(reasons.contains { $0.contains("duplicate row") })
        #expect(reasons.filter { $0.contains("boundary") }.count == 2)
        let cheonyeon = try await env.store.rollupTotals(dong: "1141052000", from: t(0).epochSeconds, to: t(1).epochSeconds)
        #expect(cheonyeon.consumptionWh == 17_925 * 2 + 15_450 + 14_450)
        #expect(cheonyeon.consumptionCoveredS == 4 * 900)
        try env.expectRollupsMatchReadings()
    }

    @Test("hour-ending detected from 24:00 stamps; layout problems fail whole with one clear error")
    func detectionAndLayoutErrors() async throws {
        let env = try await IngestEnv()
        let text = header + "2022-07-01 23:00,교원아파트,69.0\n2022-07-01 24:00,교원아파트,66.1\n"
        let r = try await env.ingest(try env.file("h24.csv", text))
        #expect(r.rowsOK == 2)
        #expect(try env.wh("faculty-apt", t(23)) == 66_100) // 24:00 ends the 23:00 slot
        #expect(try env.wh("faculty-apt", t(22)) == 69_000)
        #expect(!r.warnings.contains { $0.contains("convention") })
        // No unit anywhere: refused, not guessed.
        await #expect { _ = try await env.ingest(try env.file("nounit.csv", "일시,계량기번호,사용량\n2022-07-01 01:00,교원아파트,1\n")) } throws: {
            guard let e = $0 as? IngestError, case .layout(let why) = e.reason else { return false }
            return why.contains("unit of column \"사용량\" unknown")
        }
        // A wide file whose columns name no asset.
        await #expect { _ = try await env.ingest(try env.file("nowide.csv", "time,foo,bar\n2022-07-01 01:00,1,2\n")) } throws: {
            guard let e = $0 as? IngestError, case .layout(let why) = e.reason else { return false }
            return why.contains("no column header names a site asset")
        }
        #expect(try env.count("upload") == 1)
    }

    @Test("quoted fields with commas and doubled quotes")
    func quoting() async throws {
        let env = try await IngestEnv()
        var m = endingHourly
        m.meters = ["교원아파트, 본관 \"A\"": "faculty-apt"]
        let text = header + "\"2022-07-01 01:00\",\"교원아파트, 본관 \"\"A\"\"\",\"1,071.7\"\n"
        let r = try await env.ingest(try env.file("q.csv", text), mapping: m)
        #expect(r.rowsOK == 1)
        #expect(try env.wh("faculty-apt", t(0)) == 1_071_700)
    }

    @Test("interval data in an .xlsx with Excel serial dates; sheet chosen by name")
    func intervalXLSX() async throws {
        let env = try await IngestEnv()
        let path = env.dir + "/ami.xlsx"
        // 44743 = 2022-07-01 (Excel 1900 date system); + h/24 for the hour.
        try XLSXWriter.write(rows: [
            [.text("timestamp"), .text("meter_id"), .text("kWh")],
            [.number(44_743 + 1.0 / 24), .text("FACULTY-APT"), .number(71.7)],
            [.number(44_743 + 2.0 / 24), .text("FACULTY-APT"), .number(61.8)],
            [.text("2022-07-01 03:00"), .text("FACULTY-APT"), .number(57.8)],
        ], sheetName: "AMI 7월", to: path)
        var m = endingHourly
        m.sheet = "AMI 7월"
        let r = try await env.ingest(path, mapping: m)
        #expect(r.rowsOK == 3 && r.rowsRejected == 0)
        #expect(try env.wh("faculty-apt", t(0)) == 71_700)
        #expect(try env.wh("faculty-apt", t(1)) == 61_800)
        #expect(try env.wh("faculty-apt", t(2)) == 57_800)
        m.sheet = "없는 시트"
        let env2 = try await IngestEnv()
        await #expect { _ = try await env2.ingest(path, mapping: m) } throws: {
            guard let e = $0 as? IngestError, case .workbook(let why) = e.reason else { return false }
            return why.contains("no sheet \"없는 시트\" (sheets: AMI 7월)")
        }
    }

    @Test("mapping files: keys parsed, unknown keys refused")
    func mappingFiles() throws {
        let m = try IngestMapping.parse(text: """
            encoding = "euc-kr"
            convention = "hour-ending"
            slot = "15m"
            unit = "MWh"
            max_kwh_per_slot = 300
            unmapped_meters = "skip"
            [meters]
            "LG library" = "yeonhui-rooftop"
            """)
        #expect(m.encoding == .cp949 && m.convention == .hourEnding && m.slot == .quarterHour && m.unit == .mwh)
        #expect(m.maxKWhPerSlot == 300 && m.unmappedMeters == .skip && m.meters == ["LG library": "yeonhui-rooftop"])
        #expect { _ = try IngestMapping.parse(text: "unit_kwh = 1") } throws: {
            guard let e = $0 as? IngestError, case .mapping(let why) = e.reason else { return false }
            return why.contains("unknown key \"unit_kwh\"")
        }
        var flags = IngestMapping()
        flags.unit = .kwh
        #expect(m.overridden(by: flags).unit == .kwh)
        #expect(m.overridden(by: flags).slot == .quarterHour)
    }
}
