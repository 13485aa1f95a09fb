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
import ZIPFoundation
@testable import VPPCore

// Issue 15: no file traps, exhausts memory or lands silently wrong data. Values in generated
// files are real where a value matters: GIST 교원아파트 active_power_kw 2022-07-01 (as in
// IngestEdgeCaseTests), KPX national demand 2021 (kpx-demand-smp-2021/raw/energy_cp949.csv).
private let header = "검침일시,계량기번호,사용량(kWh)\n"
private var endingHourly: IngestMapping { var m = IngestMapping(); m.convention = .hourEnding; return m }

@Suite("Ingest hardening: numbers that cannot trap")
struct IngestNumberBoundsTests {
    @Test("values beyond Int64 after unit conversion, or infinite, are rejected rows", arguments: [
        "99999999999999999999", "1e300", "1.8e308", "9223372036854775807", "1e20",
    ])
    func hugeIntervalValues(value: String) async throws {
        let env = try await IngestEnv()
        let text = header + "2022-07-01 01:00,교원아파트,71.7\n2022-07-01 02:00,교원아파트,\(value)\n"
        let r = try await env.ingest(try env.file("huge.csv", text), mapping: endingHourly)
        #expect(r.rowsOK == 1)
        #expect(r.rowsRejected == 1)
        let reject = try await #require(try env.store.rejectedRows(uploadID: r.uploadID).first)
        #expect(reject.line == 3)
        #expect(reject.column == 3)
        #expect(reject.reason.contains("out of range") || reject.reason.contains("implausible") || reject.reason.contains("not a number"))
    }

    @Test("a huge register or power value is rejected, not trapped")
    func hugeRegisterAndPower() async throws {
        let env = try await IngestEnv()
        var m = endingHourly; m.registerColumn = "누적(kWh)"
        let reg = "검침일시,계량기번호,누적(kWh)\n2022-07-01 01:00,교원아파트,100\n2022-07-01 02:00,교원아파트,1e300\n"
        let r = try await env.ingest(try env.file("reg.csv", reg), mapping: m)
        #expect(r.rowsOK == 0)
        #expect(r.rowsRejected == 1)
        var p = endingHourly; p.unit = .mw
        let power = "검침일시,계량기번호,value\n2022-07-01 01:00,교원아파트,99999999999999999999\n2022-07-01 02:00,교원아파트,0.0717\n"
        let r2 = try await env.ingest(try env.file("power.csv", power), mapping: p)
        #expect(r2.rowsOK == 1)
        #expect(r2.rowsRejected == 1)
    }

    @Test("monthly E = 99999999999999999999 is a rejected row naming line and column")
    func hugeMonthlyUsage() async throws {
        let env = try await IngestEnv()
        var m = IngestMapping(); m.month = YearMonth(year: 2025, month: 8)
        let text = "301,101,295,486,191\n301,102,652,754,99999999999999999999\n301,103,1,2,1e300\n"
        let r = try await env.ingest(try env.file("xperp.csv", text), .monthly, mapping: m, source: "천연동 공동주택 관리사무소")
        #expect(r.rowsOK == 1)
        #expect(r.rowsRejected == 2)
        let rejects = try await env.store.rejectedRows(uploadID: r.uploadID)
        #expect(rejects.map(\.line) == [2, 3])
        #expect(rejects.allSatisfy { $0.column == 5 })
    }

    @Test("time fields of 19+ digits are 'not a time stamp', not a trap")
    func longTimeFields() async throws {
        #expect(KSTDateTime.parse("99999999999999999999") == nil)
        #expect(KSTDateTime.parse("2022-07-01 99999999999999999999:00") == nil)
        #expect(KSTDateTime.parse("2022-07-01T01:00+99999999999999999999") == nil)
        #expect(KSTDateTime.parse("20220701010000") == KSTDateTime(year: 2022, month: 7, day: 1, hour: 1))
        let env = try await IngestEnv()
        let text = header + "2022-07-01 01:00,교원아파트,71.7\n9999999999999999999999,교원아파트,61.8\n2022-07-01 0300000000000000000000:00,교원아파트,57.8\n"
        let r = try await env.ingest(try env.file("t.csv", text), mapping: endingHourly)
        #expect(r.rowsOK == 1)
        #expect(r.rowsRejected == 2)
        await #expect(try env.store.rejectedRows(uploadID: r.uploadID).allSatisfy { $0.reason.contains("not a time stamp") && $0.column == 1 })
    }

    @Test("cell references beyond XFD and row numbers beyond 1,048,576 fail the workbook with a reason")
    func cellReferences() async throws {
        #expect(columnIndex(ofCellRef: "ZZZZZZZZZZZZZZ1") == nil)
        #expect(columnIndex(ofCellRef: "XFD1") == 16_383)
        #expect(columnIndex(ofCellRef: "AB12") == 27)
        #expect(rowNumber("99999999999999999999") == nil)
        #expect(rowNumber("1048577") == nil)
        let env = try await IngestEnv()
        for (name, sheet) in [
            ("col.xlsx", #"<row r="1"><c r="ZZZZZZZZZZZZZZ1"><v>1</v></c></row>"#),
            ("row.xlsx", #"<row r="9223372036854775807"><c r="A1"><v>1</v></c></row>"#),
        ] {
            let path = try writeWorkbook(dir: env.dir, name: name, sheetData: sheet)
            await #expect { _ = try await env.ingest(path, .monthly, mapping: monthAug, source: "천연동 공동주택 관리사무소") } throws: { e in
                guard let e = e as? IngestError, case .workbook(let why) = e.reason else { return false }
                return (why.contains("outside") || why.contains("more than")) && e.category == .badData
            }
        }
        #expect(try env.count("upload") == 0)
    }
}

private var monthAug: IngestMapping { var m = IngestMapping(); m.month = YearMonth(year: 2025, month: 8); return m }

/// Writes an .xlsx with the given `<sheetData>` content and shared-strings part (both raw XML).
private func writeWorkbook(dir: String, name: String, sheetData: String, sharedStrings: Data? = nil) throws -> String {
    let path = dir + "/" + name
    try XLSXWriter.write(rows: [[.text("x")]], to: path)
    // Replace the sheet (and shared strings) in the written workbook.
    let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .update)
    for entryName in ["xl/worksheets/sheet1.xml"] + (sharedStrings == nil ? [] : ["xl/sharedStrings.xml"]) {
        if let e = archive[entryName] { try archive.remove(e) }
    }
    let sheet = Data((#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#
        + sheetData + "</sheetData></worksheet>").utf8)
    try archive.addEntry(with: "xl/worksheets/sheet1.xml", type: .file, uncompressedSize: Int64(sheet.count),
                         compressionMethod: .deflate) { pos, size in sheet.subdata(in: Int(pos)..<Int(pos) + size) }
    if let sst = sharedStrings {
        try archive.addEntry(with: "xl/sharedStrings.xml", type: .file, uncompressedSize: Int64(sst.count),
                             compressionMethod: .deflate) { pos, size in sst.subdata(in: Int(pos)..<Int(pos) + size) }
    }
    return path
}

@Suite("Ingest hardening: bounded workbooks")
struct IngestWorkbookBoundsTests {
    @Test("a sharedStrings.xml that expands past the part limit fails fast, naming the limit")
    func expandingSharedStrings() async throws {
        let env = try await IngestEnv()
        // 8 MiB of one repeated string compresses to a few KiB.
        var sst = #"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>"#
        sst += String(repeating: "A", count: 8 << 20) + "</t></si></sst>"
        let path = try writeWorkbook(dir: env.dir, name: "bomb.xlsx", sheetData: #"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
                                     sharedStrings: Data(sst.utf8))
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber).intValue
        #expect(size < 100_000)
        var options = IngestOptions(kind: .monthly, source: "천연동 공동주택 관리사무소", mapping: monthAug)
        options.workbookLimits = XLSXReader.Limits(maxPartBytes: 1 << 20)
        await #expect { _ = try await Ingestor(storage: env.store.storage).ingest(file: path, options: options) } throws: { e in
            guard let e = e as? IngestError, case .workbook(let why) = e.reason else { return false }
            return why.contains("xl/sharedStrings.xml expands to more than 1 MiB") && why.contains("--xlsx-max-mib")
        }
        // The same workbook under the default 64 MiB limit is read (and then rejected row by row).
        let r = try await Ingestor(storage: env.store.storage).ingest(file: path, options: IngestOptions(kind: .monthly, source: "천연동 공동주택 관리사무소", mapping: monthAug))
        #expect(r.rowsOK == 0)
    }

    @Test("a part whose zip header understates its size is still cut off at the limit")
    func lyingSizeHeader() async throws {
        let env = try await IngestEnv()
        var sst = #"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>"#
        sst += String(repeating: "B", count: 4 << 20) + "</t></si></sst>"
        let path = try writeWorkbook(dir: env.dir, name: "liar.xlsx", sheetData: #"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
                                     sharedStrings: Data(sst.utf8))
        // Patch the uncompressed-size fields of the sharedStrings entry (local header and central
        // directory) to claim 1 KiB.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let name = Array("xl/sharedStrings.xml".utf8)
        var patched = 0
        for i in 0..<(bytes.count - 46) where bytes[i] == 0x50 && bytes[i + 1] == 0x4B {
            let local = bytes[i + 2] == 3 && bytes[i + 3] == 4, central = bytes[i + 2] == 1 && bytes[i + 3] == 2
            guard local || central else { continue }
            let nameAt = i + (local ? 30 : 46), sizeAt = i + (local ? 22 : 24)
            guard nameAt + name.count <= bytes.count, Array(bytes[nameAt..<nameAt + name.count]) == name else { continue }
            bytes[sizeAt] = 0; bytes[sizeAt + 1] = 4; bytes[sizeAt + 2] = 0; bytes[sizeAt + 3] = 0
            patched += 1
        }
        #expect(patched == 2)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var options = IngestOptions(kind: .monthly, source: "천연동 공동주택 관리사무소", mapping: monthAug)
        options.workbookLimits = XLSXReader.Limits(maxPartBytes: 1 << 20)
        await #expect { _ = try await Ingestor(storage: env.store.storage).ingest(file: path, options: options) } throws: { e in
            guard let e = e as? IngestError, case .workbook = e.reason else { return false }
            return e.category == .badData
        }
        #expect(try env.count("upload") == 0)
    }

    @Test("too many shared strings or cells stop the read with the configured bound in the error")
    func stringAndCellCounts() async throws {
        let env = try await IngestEnv()
        var sst = #"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#
        for i in 0..<5_000 { sst += "<si><t>\(i)</t></si>" }
        sst += "</sst>"
        let path = try writeWorkbook(dir: env.dir, name: "strings.xlsx", sheetData: #"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
                                     sharedStrings: Data(sst.utf8))
        var options = IngestOptions(kind: .monthly, source: "천연동 공동주택 관리사무소", mapping: monthAug)
        options.workbookLimits = XLSXReader.Limits(maxCells: 1_000, maxSharedStrings: 1_000)
        await #expect { _ = try await Ingestor(storage: env.store.storage).ingest(file: path, options: options) } throws: { e in
            guard let e = e as? IngestError, case .workbook(let why) = e.reason else { return false }
            return why.contains("more than 1000 shared strings")
        }
        // One cell in column XFD on each of 100 rows pads 16,383 empty cells per row.
        let rows = (1...100).map { #"<row r="\#($0)"><c r="XFD\#($0)"><v>1</v></c></row>"# }.joined()
        let wide = try writeWorkbook(dir: env.dir, name: "wide.xlsx", sheetData: rows)
        options.workbookLimits = XLSXReader.Limits(maxCells: 100_000)
        await #expect { _ = try await Ingestor(storage: env.store.storage).ingest(file: wide, options: options) } throws: { e in
            guard let e = e as? IngestError, case .workbook(let why) = e.reason else { return false }
            return why.contains("more than 100000 cells") && why.contains("--xlsx-max-cells")
        }
    }
}

@Suite("Ingest hardening: silent wrong data")
struct IngestPlausibilityTests {
    @Test("620 MWh in one hour on a feeder is rejected, naming the meter's limit")
    func feederBeyondConnection() async throws {
        let env = try await IngestEnv()
        let text = header + "2022-07-01 01:00,교원아파트,71.7\n2022-07-01 02:00,교원아파트,620000\n"
        let r = try await env.ingest(try env.file("feeder.csv", text), mapping: endingHourly)
        #expect(r.rowsOK == 1)
        #expect(r.rowsRejected == 1)
        let reason = try await #require(try env.store.rejectedRows(uploadID: r.uploadID).first?.reason)
        // faculty-apt has no max_kw: bounded by 천연동's import_limit_kw 5000 + its 1000 kWp PV × 1.25.
        #expect(reason.contains("implausible: 620000 kWh in one 1 h slot"))
        #expect(reason.contains("faculty-apt can produce or draw at most 6250 kWh"))
        #expect(reason.contains("import_limit_kw 5000"))
    }

    @Test("384.9 MWh in one hour on a 1 MWp rooftop is rejected, naming the nameplate")
    func pvBeyondNameplate() async throws {
        let env = try await IngestEnv()
        let text = "일시,발전소,발전량(kWh)\n2022-07-01 12:00,cheonyeon-rooftop,607\n2022-07-01 13:00,cheonyeon-rooftop,384900\n"
        var m = endingHourly; m.slot = .hour
        let r = try await env.ingest(try env.file("pv.csv", text), .pv, mapping: m)
        #expect(r.rowsOK == 1)
        let reason = try await #require(try env.store.rejectedRows(uploadID: r.uploadID).first?.reason)
        #expect(reason.contains("cheonyeon-rooftop can produce or draw at most 1250 kWh (1000 kWp nameplate × 1.25)"))
    }

    @Test("a meter's own max_kw bounds it; a monthly household above the meter's month is rejected")
    func meterMaxKW() async throws {
        let env = try await IngestEnv()
        // kpx-national: max_kw 100,000,000 → 1e8 kWh per hour; 2e8 kWh is over it.
        let text = "검침일시,계량기번호,사용량(kWh)\n2021-01-01 01:00,kpx-national,64942000\n2021-01-01 02:00,kpx-national,200000000\n"
        let r = try await env.ingest(try env.file("kpx.csv", text), mapping: endingHourly)
        #expect(r.rowsOK == 1)
        await #expect(try env.store.rejectedRows(uploadID: r.uploadID).first?.reason.contains("max_kw 100000000 of the meter") == true)
        // cheonyeon-apt over August (744 h × 6,250 kW = 4,650,000 kWh): one household with 5 GWh is not real.
        let monthly = "301,101,295,486,191\n301,102,1,5000001,5000000\n"
        let r2 = try await env.ingest(try env.file("m.csv", monthly), .monthly, mapping: monthAug, source: "천연동 공동주택 관리사무소")
        #expect(r2.rowsOK == 1)
        await #expect(try env.store.rejectedRows(uploadID: r2.uploadID).first?.reason.contains("at most 4650000 kWh in the month") == true)
    }

    @Test("--meter on a file with several value columns requires a choice")
    func severalValueColumns() async throws {
        let env = try await IngestEnv()
        let text = "time,wind_kwh,pv_kwh\n2022-07-01 01:00,10,0\n2022-07-01 02:00,12,0\n"
        var m = endingHourly; m.meter = "cheonyeon-rooftop"
        await #expect { _ = try await env.ingest(try env.file("multi.csv", text), .pv, mapping: m) } throws: { e in
            guard let e = e as? IngestError, case .layout(let why) = e.reason else { return false }
            return why.contains("several value columns (wind_kwh, pv_kwh)") && why.contains("--value-column")
        }
        m.valueColumn = "pv_kwh"
        let r = try await env.ingest(try env.file("multi2.csv", text), .pv, mapping: m)
        #expect(r.rowsOK == 2)
        #expect(try env.sum("cheonyeon-rooftop") == 0)
    }

    @Test("a mapping target that is not an asset fails at load, naming the key")
    func mappingTargetTypo() async throws {
        let env = try await IngestEnv()
        let text = header + "2022-07-01 01:00,교원아파트,71.7\n"
        var m = endingHourly; m.meters = ["교원아파트": "faculty-ap"]
        await #expect { _ = try await env.ingest(try env.file("typo.csv", text), mapping: m) } throws: { e in
            guard let e = e as? IngestError, case .mapping(let why) = e.reason else { return false }
            return why.contains("[meters] \"교원아파트\" = \"faculty-ap\": not an asset") && why.contains("faculty-apt") && e.category == .usage
        }
        #expect(try env.count("upload") == 0)
    }
}

@Suite("Ingest hardening: KPX date × hour layout and unit switches (real KPX file)")
struct IngestKPXLayoutTests {
    static let raw = IngestEnv.shared + "/kpx-demand-smp-2021/raw/energy_cp949.csv"

    @Test("날짜,1시…24시 is read as 24 hour-ending readings per day")
    func dateByHour() async throws {
        try #require(IngestEnv.sharedExists("kpx-demand-smp-2021/raw/energy_cp949.csv"), "shared/data absent")
        let env = try await IngestEnv()
        var m = IngestMapping(); m.meter = "kpx-national"; m.unit = .mw
        let r = try await env.ingest(Self.raw, mapping: m, source: "KPX")
        // 243 days × 24 h (kpx-demand-smp-2021/SOURCE.txt: no gaps).
        #expect(r.rowsOK == 243 * 24)
        #expect(r.rowsRejected == 0)
        #expect(r.status == "ok")
        #expect(r.warnings.contains { $0.contains("date × hour table: 24 hour columns read as hour-ending") })
        // 2021-01-01 1시 = 64,942 MW over 00:00–01:00; 24시 = 63,055 MW over 23:00–24:00.
        #expect(try env.wh("kpx-national", KSTDateTime(year: 2021, month: 1, day: 1, hour: 0)) == 64_942_000_000)
        #expect(try env.wh("kpx-national", KSTDateTime(year: 2021, month: 1, day: 1, hour: 23)) == 63_055_000_000)
        // The long file made from the same raw file has the same total.
        let long = try String(contentsOfFile: IngestEnv.shared + "/kpx-demand-smp-2021/kpx_demand_smp_hourly_2021.csv", encoding: .utf8)
        let total = long.split(separator: "\n").dropFirst().reduce(Int64(0)) { $0 + (Int64($1.split(separator: ",")[3]) ?? 0) }
        #expect(try env.sum("kpx-national") == total * 1_000_000)
        try env.expectRollupsMatchReadings()
    }

    @Test("--value-column 1시 on a date × hour table is an error, not 23 hours dropped")
    func valueColumnOnHourTable() async throws {
        try #require(IngestEnv.sharedExists("kpx-demand-smp-2021/raw/energy_cp949.csv"), "shared/data absent")
        let env = try await IngestEnv()
        var m = IngestMapping(); m.meter = "kpx-national"; m.unit = .mw; m.valueColumn = "1시"
        await #expect { _ = try await env.ingest(Self.raw, mapping: m, source: "KPX") } throws: { e in
            guard let e = e as? IngestError, case .layout(let why) = e.reason else { return false }
            return why.contains("date × hour table") && why.contains("1시")
        }
        #expect(try env.count("reading") == 0)
    }

    /// The raw KPX file with every value from `from` on divided by 1000 (a kW → MW switch in the
    /// export, read with the unit the file started with): each value is still plausible.
    private func switched(env: IngestEnv, from: String) throws -> String {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.raw))
        let text = try TextDecoding.decode([UInt8](bytes), as: .cp949)
        var out: [String] = []
        var after = false
        for (i, line) in text.replacingOccurrences(of: "\r", with: "").split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if i > 0, f.first == from { after = true }
            if i == 0 || !after || f.count < 2 { out.append(String(line)); continue }
            out.append(([f[0]] + f.dropFirst().map { v in Double(v).map { String(format: "%.3f", $0 / 1000) } ?? v }).joined(separator: ","))
        }
        return try env.file("kpx-switched.csv", out.joined(separator: "\n"))
    }

    @Test("a sustained 1000× step flags the upload for review, naming meter, line and date")
    func unitSwitchByMagnitude() async throws {
        try #require(IngestEnv.sharedExists("kpx-demand-smp-2021/raw/energy_cp949.csv"), "shared/data absent")
        let env = try await IngestEnv()
        var m = IngestMapping(); m.meter = "kpx-national"; m.unit = .kw
        let r = try await env.ingest(try switched(env: env, from: "2021-03-01"), mapping: m, source: "KPX")
        #expect(r.rowsOK == 243 * 24)
        #expect(r.status == "review")
        // Line 1 is the header, so 2021-03-01 (day 60) is line 61.
        let warning = try #require(r.warnings.first { $0.contains("suspected unit switch") })
        #expect(warning.contains("kpx-national from line 61 (2021-03-01)"))
        #expect(warning.contains("smaller"))
        let stored: String? = try await env.store.read { db in try String.fetchOne(db, sql: "SELECT status FROM upload WHERE id = ?", arguments: [r.uploadID]) }
        #expect(stored == "review")
    }

    @Test("the real file without a switch, and real PV with cloudy days, are not flagged")
    func noFalseAlarm() async throws {
        try #require(IngestEnv.sharedExists("kpx-demand-smp-2021/raw/energy_cp949.csv"), "shared/data absent")
        let env = try await IngestEnv()
        var m = IngestMapping(); m.meter = "kpx-national"; m.unit = .mw
        let r = try await env.ingest(Self.raw, mapping: m, source: "KPX")
        #expect(!r.warnings.contains { $0.contains("suspected unit switch") })
        try #require(IngestEnv.sharedExists("pv-dangjin/energy.csv"), "shared/data absent")
        let mapping = try IngestMapping.load(path: IngestEnv.fixtures + "/dangjin-energy.map.toml")
        let pv = try await env.ingest(IngestEnv.shared + "/pv-dangjin/energy.csv", .pv, mapping: mapping, source: "EWP Dangjin")
        #expect(pv.status == "ok")
        #expect(!pv.warnings.contains { $0.contains("suspected unit switch") })
    }

    @Test("the step detector on synthetic series: steps either way, not one odd day")
    func detectorUnits() {
        // One value per day, repeated for each of its 24 hours [Wh].
        func run(_ hourly: [Int64]) -> [LevelStepDetector.Step] {
            var d = LevelStepDetector(assets: 1, slotSeconds: 3600)
            for (day, wh) in hourly.enumerated() {
                for h in 0..<24 { d.observe(asset: 0, wh: wh, slotStart: Int64(day) * 86_400 + Int64(h) * 3600 - KST.offsetSeconds, line: day * 24 + h + 2) }
            }
            return d.finish()
        }
        let level: [Int64] = [100_000, 110_000, 90_000, 100_000, 120_000, 100_000, 90_000, 100_000]
        #expect(run(level + level).isEmpty)
        #expect(run(level + [100, 100_000] + level).isEmpty) // one odd day is not a switch
        let down = run(level + level.map { $0 / 1000 })
        #expect(down.count == 1)
        #expect(down.first?.line == 8 * 24 + 2)
        #expect(run(level + level.map { $0 * 1000 }).first?.ratio ?? 0 > 500)
    }
}

@Suite("Ingest hardening: XpERP rows kept for review")
struct IngestReviewTests {
    @Test("a 호 like 1O2 is stored and kept for review; a register that went down with no E is kept for review, not counted")
    func reviewItems() async throws {
        #expect(MonthlyERPReader.typoDigits("1O2") == "102")
        #expect(MonthlyERPReader.typoDigits("l02") == nil) // a letter first is a unit name, not a typo
        #expect(MonthlyERPReader.typoDigits("10l1") == "1011")
        #expect(MonthlyERPReader.typoDigits("102") == nil)
        #expect(MonthlyERPReader.typoDigits("B102") == nil)
        let env = try await IngestEnv()
        let text = "301,101,295,486,191\n301,1O2,652,754,102\n301,103,9990,12,\n"
        let r = try await env.ingest(try env.file("xperp-2025-08.csv", text), .monthly, source: "천연동 공동주택 관리사무소")
        #expect(r.rowsOK == 2)
        #expect(r.rowsRejected == 0)
        #expect(r.rowsForReview == 2)
        #expect(r.status == "review")
        let items = try await env.store.reviewItems(uploadID: r.uploadID)
        #expect(items.map(\.item.kind) == [.householdLabel, .registerWrap])
        #expect(items.map(\.line) == [2, 3])
        #expect(items.allSatisfy { $0.state == "open" })
        // 9990 → 12 wraps at 10,000: 22 kWh if an operator accepts it; nothing counted until then.
        #expect(items[1].item.candidateUsageWh == 22_000)
        func units() async throws -> [String] {
            try await env.store.read { db in try String.fetchAll(db, sql: "SELECT unit FROM register_reading ORDER BY unit") }
        }
        await #expect(try units() == ["301-101", "301-1O2"])
        let flag: String? = try await env.store.read { db in try String.fetchOne(db, sql: "SELECT flag FROM register_reading WHERE unit = '301-1O2'") }
        #expect(flag?.hasPrefix("review: 호 \"1O2\" looks like a typo of 102") == true)

        // The operator rejects the typo'd row and accepts the wrap: the upload leaves review.
        try await env.store.resolveReview(id: items[0].id, decision: .reject, by: "test operator")
        await #expect(try env.store.upload(id: r.uploadID)?.status == "review")
        try await env.store.resolveReview(id: items[1].id, decision: .accept, by: "test operator", note: "rollover checked on site")
        await #expect(try units() == ["301-101", "301-103"])
        let usage: Int64? = try await env.store.read { db in try Int64.fetchOne(db, sql: "SELECT usage_wh FROM register_reading WHERE unit = '301-103'") }
        #expect(usage == 22_000)
        await #expect(try env.store.upload(id: r.uploadID)?.status == "ok")
        await #expect(try env.store.reviewItems(uploadID: r.uploadID).isEmpty)
        await #expect(try env.store.reviewItems(uploadID: r.uploadID, all: true).map(\.state) == ["rejected", "accepted"])
        await #expect { try await env.store.resolveReview(id: items[1].id, decision: .reject, by: "x") } throws: {
            ($0 as? VPPError)?.category == .usage
        }
    }
}
