import Foundation
import Testing
@testable import VPPBenchmarks
@testable import VPPAuth
@testable import Tracking
@testable import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPStore
@testable import VPPCore

/// A temporary store with the ingestion test site loaded, plus helpers to write input files
/// and check the store.
struct IngestEnv {
    let dir: String
    let store: SQLiteStore

    static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static var fixtures: String { root + "/Tests/VPPCoreTests/Fixtures" }
    static var shared: String { root + "/../shared/data" }
    static func sharedExists(_ rel: String) -> Bool { FileManager.default.fileExists(atPath: shared + "/" + rel) }

    /// A temporary store with `site` loaded (default: the ingestion test site).
    init(site: String = Self.fixtures + "/ingest-site.toml") async throws {
        dir = NSTemporaryDirectory() + "vpp-ingest-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try SQLiteStore(path: dir + "/store.sqlite", clock: FixedWallClock(KSTDateTime(year: 2026, month: 11, day: 22, hour: 9)))
        try await store.loadSite(try SiteConfigParser().parse(fileAt: site))
    }

    func file(_ name: String, _ text: String) throws -> String {
        try file(name, bytes: Array(text.utf8))
    }

    func file(_ name: String, bytes: [UInt8]) throws -> String {
        let p = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    func ingest(_ path: String, _ kind: IngestKind = .interval, mapping: IngestMapping = IngestMapping(),
                source: String = "test office", failAfterRows: Int? = nil) async throws -> IngestReport {
        try await Ingestor(storage: store.storage).ingest(file: path, options: IngestOptions(kind: kind, source: source, mapping: mapping, failAfterRows: failAfterRows))
    }

    func count(_ table: String) throws -> Int {
        try store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }

    /// Stored energy of one slot [Wh].
    func wh(_ asset: String, _ start: KSTDateTime, duration: Int = 3600) throws -> Int64? {
        try store.read { db in
            try Int64.fetchOne(db, sql: "SELECT energy_wh FROM reading WHERE asset_id = ? AND slot_start = ? AND duration_s = ?",
                               arguments: [asset, start.epochSeconds, duration])
        }
    }

    func quality(_ asset: String, _ start: KSTDateTime, duration: Int = 3600) throws -> Int? {
        try store.read { db in
            try Int.fetchOne(db, sql: "SELECT quality FROM reading WHERE asset_id = ? AND slot_start = ? AND duration_s = ?",
                             arguments: [asset, start.epochSeconds, duration])
        }
    }

    func sum(_ asset: String) throws -> Int64 {
        try store.read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(energy_wh), 0) FROM reading WHERE asset_id = ?", arguments: [asset]) ?? 0 }
    }

    /// Every (dong, hour) rollup equals the sum of the accepted readings of that dong and hour,
    /// generation and consumption separately, energies and covered seconds. Returns hours compared.
    @discardableResult
    func expectRollupsMatchReadings(sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        typealias Key = String
        let (fromReadings, fromRollups): ([Key: [Int64]], [Key: [Int64]]) = try store.read { db in
            var a: [Key: [Int64]] = [:]
            for r in try Row.fetchAll(db, sql: """
                SELECT s.dong_code AS dong, r.slot_start - (r.slot_start % 3600) AS hour,
                  SUM(CASE WHEN s.kind = 'pv_fleet' OR json_extract(s.params_json, '$.role') = 'generation' THEN r.energy_wh ELSE 0 END) AS g,
                  SUM(CASE WHEN s.kind = 'meter' AND json_extract(s.params_json, '$.role') = 'consumption' THEN r.energy_wh ELSE 0 END) AS c,
                  SUM(CASE WHEN s.kind = 'pv_fleet' OR json_extract(s.params_json, '$.role') = 'generation' THEN r.duration_s ELSE 0 END) AS gs,
                  SUM(CASE WHEN s.kind = 'meter' AND json_extract(s.params_json, '$.role') = 'consumption' THEN r.duration_s ELSE 0 END) AS cs
                FROM reading r JOIN asset s ON s.id = r.asset_id GROUP BY 1, 2
                """) {
                a["\(r["dong"] as String)@\(r["hour"] as Int64)"] = [r["g"], r["c"], r["gs"], r["cs"]]
            }
            var b: [Key: [Int64]] = [:]
            for r in try Row.fetchAll(db, sql: """
                SELECT dong_code, hour_start, generation_wh, consumption_wh, generation_covered_s, consumption_covered_s FROM rollup_hourly
                """) {
                let v: [Int64] = [r["generation_wh"], r["consumption_wh"], r["generation_covered_s"], r["consumption_covered_s"]]
                if v != [0, 0, 0, 0] { b["\(r["dong_code"] as String)@\(r["hour_start"] as Int64)"] = v }
            }
            return (a.filter { $0.value != [0, 0, 0, 0] }, b)
        }
        #expect(fromReadings == fromRollups, sourceLocation: sourceLocation)
        return fromReadings.count
    }
}

import GRDB
