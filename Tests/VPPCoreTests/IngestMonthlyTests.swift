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

// Monthly XpERP uploads. The household numbers are the two real example rows of the XpERP
// manual p.26 (shared/data/apartment-exports): 301동 101호 295 → 486 = 191 kWh, 102호 652 → 754 = 102 kWh.
// The other rows re-use those register values to build each edge case.
private typealias C = XLSXWriter.Cell

private struct RegisterRow: Equatable {
    var unit: String, usageWh: Int64, flag: String?, previous: Double?, current: Double, billing: String?
}

private func registers(_ env: IngestEnv) throws -> [RegisterRow] {
    let raw: [[String?]] = try env.store.read { db in
        try Row.fetchAll(db, sql: """
            SELECT unit, usage_wh, flag, previous_register, current_register, billing_json FROM register_reading ORDER BY unit
            """).map { r in
            [r["unit"], String(r["usage_wh"] as Int64), r["flag"], (r["previous_register"] as Double?).map { String($0) },
             String(r["current_register"] as Double), r["billing_json"]]
        }
    }
    return raw.map { RegisterRow(unit: $0[0]!, usageWh: Int64($0[1]!)!, flag: $0[2], previous: $0[3].flatMap(Double.init),
                                 current: Double($0[4]!)!, billing: $0[5]) }
}

@Suite("Ingest monthly XpERP")
struct IngestMonthlyTests {
    @Test("XLSX upload: good rows land, rollover / replacement flagged not corrected, bad rows rejected")
    func xlsxUpload() async throws {
        let env = try await IngestEnv()
        let path = env.dir + "/천연동_전기검침_2025-08.xlsx"
        try XLSXWriter.write(rows: [
            [.text("동"), .text("호"), .text("전월지침"), .text("당월지침"), .text("사용량")],          // 1 title row
            [.number(301), .number(101), .number(295), .number(486), .number(191), .number(31_220)], // 2 ok + billing F
            [.number(301), .number(102), .number(652), .number(754), .number(102)],                   // 3 ok
            [.number(301), .number(103), .number(9_950), .number(41), .number(91)],                   // 4 rollover at 10,000
            [.number(301), .number(104), .number(652), .number(40), .number(142)],                    // 5 decrease: replaced?
            [.number(301), .number(105), .number(295), .number(486), .number(200)],                   // 6 E ≠ D − C
            [.number(301), .number(106), .empty, .number(754), .number(102)],                         // 7 only 당월지침
            [.number(301), .number(107), .number(295), .number(486), .empty],                         // 8 E derived
            [.number(301), .number(101), .number(295), .number(486), .number(191)],                   // 9 duplicate
            [.number(301), .number(108), .number(295), .text("486kWh"), .number(191)],                // 10 not a number
            [.number(301), .number(109), .number(295), .number(486), .number(-191)],                  // 11 negative
            [.number(301), .number(110), .number(295)],                                               // 12 too few columns
            [.text("합계"), .empty, .empty, .empty, .number(1_028)],                                  // 13 total row
        ], sheetName: "전기검침", to: path)
        // Billing month from the file name; office resolved through the meter's complex name.
        let r = try await env.ingest(path, .monthly, source: "천연동 공동주택 관리사무소")
        #expect(r.rowsOK == 7)
        #expect(r.rowsRejected == 6)
        #expect(r.rowsFlagged == 3)
        #expect(r.firstSlot == YearMonth(year: 2025, month: 8).startEpoch)
        let rows = try registers(env)
        #expect(rows.map(\.unit) == ["301-101", "301-102", "301-103", "301-104", "301-105", "301-106", "301-107"])
        #expect(rows.map(\.usageWh) == [191_000, 102_000, 91_000, 142_000, 200_000, 102_000, 191_000])
        #expect(rows[0].flag == nil && rows[1].flag == nil && rows[5].flag == nil)
        #expect(rows[0].billing == #"{"F":"31220"}"#)
        #expect(rows[2].flag?.hasPrefix("rollover") == true)
        #expect(rows[3].flag?.hasPrefix("register_decrease") == true)
        #expect(rows[4].flag?.hasPrefix("usage_mismatch") == true)
        #expect(rows[5].previous == nil)
        #expect(rows[6].flag == "usage_derived")
        let rejects = try await env.store.rejectedRows(uploadID: r.uploadID)
        #expect(rejects.map(\.line) == [1, 9, 10, 11, 12, 13])
        #expect(rejects[0].reason.contains("no header"))
        #expect(rejects[1].reason.contains("duplicate household 동-호 301-101 (first on line 2)"))
        #expect(rejects[2].column == 4 && rejects[2].reason.contains("not a number"))
        #expect(rejects[3].column == 5 && rejects[3].reason.contains("negative"))
        #expect(rejects[4].reason.contains("wrong column count"))
        #expect(rejects[5].reason.contains("total/subtotal"))
        #expect(rejects[1].raw == "301,101,295,486,191")
        // Monthly registers carry no hourly information: no rollups, no interval readings.
        #expect(try env.count("rollup_hourly") == 0)
        #expect(try env.count("reading") == 0)

        // A corrected upload of the same month: upsert, change counted.
        let path2 = env.dir + "/천연동_전기검침_202508_수정.xlsx"
        try XLSXWriter.write(rows: [[.number(301), .number(102), .number(652), .number(755), .number(103)]], to: path2)
        let r2 = try await env.ingest(path2, .monthly, source: "천연동 공동주택 관리사무소")
        #expect(r2.rowsOK == 1 && r2.rowsChanged == 1)
        #expect(try registers(env).first { $0.unit == "301-102" }?.usageWh == 103_000)
    }

    @Test("truncated and 0-byte .xlsx fail whole with one clear error and change nothing")
    func brokenWorkbooks() async throws {
        let env = try await IngestEnv()
        let good = env.dir + "/ok-2025-08.xlsx"
        try XLSXWriter.write(rows: [[.number(301), .number(101), .number(295), .number(486), .number(191)]], to: good)
        let bytes = [UInt8](FileManager.default.contents(atPath: good)!)
        let cut = try env.file("cut-2025-08.xlsx", bytes: Array(bytes.prefix(bytes.count / 2)))
        let empty = try env.file("empty-2025-08.xlsx", bytes: [])
        for p in [cut, empty] {
            await #expect {
                _ = try await env.ingest(p, .monthly, source: "cheonyeon-apt")
            } throws: { e in
                guard let e = e as? IngestError, case .workbook = e.reason else { return false }
                return e.category == .badData && e.description.contains("nothing ingested")
            }
        }
        #expect(try env.count("upload") == 0)
        #expect(try env.count("register_reading") == 0)
        // The intact workbook still works.
        #expect(try await env.ingest(good, .monthly, source: "cheonyeon-apt").rowsOK == 1)
    }

    @Test("CSV upload, billing month rules, unknown office")
    func csvAndErrors() async throws {
        let env = try await IngestEnv()
        let csv = try env.file("xperp.csv", "301,101,295,486,191\n301,102,652,754,102\n")
        await #expect { _ = try await env.ingest(csv, .monthly, source: "cheonyeon-apt") } throws: {
            guard let e = $0 as? IngestError, case .usage(let why) = e.reason else { return false }
            return why.contains("billing month unknown") && e.category == .usage
        }
        var m = IngestMapping()
        m.month = YearMonth(year: 2025, month: 8)
        await #expect { _ = try await env.ingest(csv, .monthly, mapping: m, source: "어딘가 관리사무소") } throws: {
            guard let e = $0 as? IngestError, case .unknownAsset(let why) = e.reason else { return false }
            return why.contains("어딘가 관리사무소")
        }
        let r = try await env.ingest(csv, .monthly, mapping: m, source: "CHEONYEON-APT")
        #expect(r.rowsOK == 2 && r.rowsRejected == 0)
        #expect(MonthlyERPReader.month(fromFileName: "/x/2024년 5월 전기.xlsx") == YearMonth(year: 2024, month: 5))
        #expect(MonthlyERPReader.month(fromFileName: "elec_202508.csv") == YearMonth(year: 2025, month: 8))
        #expect(MonthlyERPReader.month(fromFileName: "upload.xlsx") == nil)
    }

    @Test("the demo sample workbook (written by Python's zipfile, no shared strings) reads back")
    func sampleWorkbook() throws {
        let path = IngestEnv.root + "/samples/yeonhui-apt-xperp-2025-08.xlsx"
        try #require(FileManager.default.fileExists(atPath: path), "samples/ absent")
        let sheet = try XLSXReader(path: path).read()
        #expect(sheet.name == "전기검침")
        #expect(sheet.rows.map(\.cells) == [["301", "101", "295", "486", "191"], ["301", "102", "652", "754", "102"]])
        #expect(columnIndex(ofCellRef: "AB12") == 27)
        #expect(excelSerialToEpoch(45_505.5) == KSTDateTime(year: 2024, month: 8, day: 1, hour: 12).epochSeconds)
    }
}
