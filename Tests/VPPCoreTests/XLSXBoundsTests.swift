import Foundation
import Testing
import VPPStoreSQLite
import VPPStore
import VPPCore
@testable import Ingestion

/// A workbook from the seeded fuzz run whose sheet's LOCAL header claims 2,952,790,232 compressed
/// bytes in a 1,621-byte file: ZIPFoundation would read empty chunks towards that size for ever.
/// The reader checks every part's bounds first and refuses the workbook with the reason.
@Suite("Workbook zip bounds")
struct XLSXBoundsTests {
    @Test func partRunningPastTheEndIsRefusedNotReadForever() async throws {
        let env = try await IngestEnv()
        defer { try? FileManager.default.removeItem(atPath: env.dir) }
        let src = IngestEnv.fixtures + "/zip-local-size-past-eof.xlsx"
        var map = IngestMapping()
        map.meter = "cheonyeon-apt"
        map.month = YearMonth(year: 2025, month: 8)
        do {
            _ = try await env.ingest(src, .monthly, mapping: map)
            Issue.record("a workbook whose part runs past the end of the file was ingested")
        } catch let e as IngestError {
            #expect("\(e)".contains("xl/worksheets/sheet1.xml claims 2952790232 compressed bytes past the end of the 1621-byte file"), "\(e)")
        }
        #expect(try env.count("register_reading") == 0)
    }
}
