import Foundation
import VPPCore
import VPPStore
import GRDB

/// Driver insert throughput (`vpp bench store`): readings written in one transaction through a cached prepared
/// statement, the path ingestion uses. Prints rows/s; run on a release build.
public enum StoreBenchmark {
    public static func run(rows: Int, directory: String) throws -> [String] {
        let path = (directory as NSString).appendingPathComponent("vpp-bench-\(getpid()).sqlite")
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let store = try SQLiteStore(path: path, clock: FixedWallClock(0))
        let assets = 100
        let perAsset = max(1, rows / assets)
        let base = KSTDateTime(year: 2024, month: 1, day: 1).epochSeconds
        let t0 = DispatchTime.now().uptimeNanoseconds
        try store.write { db in
            let stmt = try db.cachedStatement(sql: """
                INSERT INTO reading (asset_id, slot_start, duration_s, energy_wh, quality, upload_id)
                VALUES (?, ?, 900, ?, 0, NULL)
                ON CONFLICT (asset_id, slot_start, duration_s) DO UPDATE SET energy_wh = excluded.energy_wh
                """)
            for a in 0..<assets {
                let id = "bench-asset-\(a)"
                for i in 0..<perAsset {
                    try stmt.execute(arguments: [id, base + Int64(i) * 900, Int64((i * 7919 + a) % 5000)])
                }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        let n = assets * perAsset
        let count = try store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reading") ?? 0 }
        return [
            "store insert: \(n) readings (\(assets) assets × \(perAsset) 15-min slots) in one transaction, upsert statement",
            String(format: "  %.3f s  →  %.0f rows/s  (rows in table: %d)", seconds, Double(n) / seconds, count),
        ]
    }
}
