import Foundation
import Testing
import VPPStore
@testable import Ingestion
@testable import VPPCore
@testable import VPPStoreSQLite
import VPPTestSupport

/// Seoul has about 425 dongs in one city store: the hourly rollups of every dong must stay its
/// own (issue 10: the old rollup key `hour << 8 | dongIndex` mixed dongs beyond 256).
@Suite("Ingest: 430 dongs in one store")
struct IngestManyDongsTests {
    @Test("every one of 430 dongs gets exactly its own meter's energy in the hourly rollups")
    func rollupsOf430Dongs() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let config = SiteBuilder.tiny(dongs: 430)
        try await store.loadSite(config)
        // Two hours of readings for all 430 meters; meter i reads (i + 1) kWh, then (i + 1) × 2 kWh.
        var text = "검침일시,계량기번호,사용량(kWh)\n"
        for (h, factor) in [(0, 1), (1, 2)] {
            for i in 0..<430 { text += "2024-07-01 0\(h):00,meter-\(i),\((i + 1) * factor)\n" }
        }
        let path = dir.appendingPathComponent("city.csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var mapping = IngestMapping(); mapping.convention = .hourBeginning
        let r = try await Ingestor(storage: store.storage).ingest(file: path, options: IngestOptions(kind: .interval, source: "AMI", mapping: mapping))
        #expect(r.rowsOK == 860)
        #expect(r.rowsRejected == 0)
        let from = KSTDateTime(year: 2024, month: 7, day: 1).epochSeconds
        let rollups = try await store.hourlyRollups(dongCodes: config.dongs.map(\.code), from: from, to: from + 2 * 3600)
        #expect(rollups.count == 430)
        for (i, d) in config.dongs.enumerated() {
            let hours = rollups[d.code] ?? []
            #expect(hours.map(\.consumptionWh) == [Int64(i + 1) * 1000, Int64(i + 1) * 2000], "dong \(i) \(d.code)")
            #expect(hours.map(\.consumptionCoveredS) == [3600, 3600], "dong \(i)")
        }
    }
}
