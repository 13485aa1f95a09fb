import Foundation
import GRDB
import VPPCore
import VPPStore

extension SQLiteStore: CityStore {
    /// Every loaded site (the `site` table), by id.
    public func loadedSites() async throws -> [LoadedSite] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, name_ko, sigungu_code, loaded_at FROM site ORDER BY id").map {
                LoadedSite(id: $0["id"], name: $0["name"], nameKo: $0["name_ko"], sigunguCode: $0["sigungu_code"], loadedAt: $0["loaded_at"])
            }
        }
    }

    public func allLoadedSiteConfigs() async throws -> [SiteConfig] {
        let rows: [[String]] = try await read { db in
            try Row.fetchAll(db, sql: "SELECT id, config_sha256 FROM site ORDER BY id").map { [$0["id"], $0["config_sha256"]] }
        }
        var out: [SiteConfig] = []
        for row in rows where row.count == 2 {
            if let c = try await cachedSiteConfig(id: row[0], sha256: row[1]) { out.append(c) }
        }
        return out
    }

    /// Sums of `rollup_monthly` (migration "city-v1-rollup-monthly"), first brought up to date
    /// with every rollup write since the last read (migration "city-v2-rollup-monthly-on-read").
    public func dongMonthTotals(from: YearMonth, until: YearMonth) async throws -> [DongPeriodTotals] {
        let lo = String(format: "%04d-%02d", from.year, from.month), hi = String(format: "%04d-%02d", until.year, until.month)
        return try await write { db in
            try Self.refreshMonthlySums(db)
            return try Row.fetchAll(db, sql: """
                SELECT d.code AS code, COALESCE(SUM(m.hours), 0) AS n,
                       COALESCE(SUM(m.generation_wh), 0) AS g, COALESCE(SUM(m.consumption_wh), 0) AS c,
                       COALESCE(SUM(m.charge_wh), 0) AS ch, COALESCE(SUM(m.discharge_wh), 0) AS dis,
                       COALESCE(SUM(m.import_wh), 0) AS im, COALESCE(SUM(m.export_wh), 0) AS ex
                FROM dong d LEFT JOIN rollup_monthly m ON m.dong_code = d.code AND m.month >= ? AND m.month < ?
                WHERE d.active = 1 GROUP BY d.code ORDER BY d.code
                """, arguments: [lo, hi]).map {
                DongPeriodTotals(dongCode: $0["code"], hours: $0["n"], generationWh: $0["g"], consumptionWh: $0["c"],
                                 chargeWh: $0["ch"], dischargeWh: $0["dis"], importWh: $0["im"], exportWh: $0["ex"])
            }
        }
    }

    private struct StaleMonth: Hashable { var dong: String, month: YearMonth }

    /// Recomputes the per-month sums of every dong-month whose hourly rollups changed since the
    /// last refresh (the change log's entries after `rollup_monthly_refresh.log_seq`), inside the
    /// caller's write transaction. The bulk writers (ingest, sync, `replaceRollups`, upload delete)
    /// call it before they commit, so a report after them reads the sums at once; a read refreshes
    /// what any other writer left.
    static func refreshMonthlySums(_ db: Database) throws {
        let done = try Int64.fetchOne(db, sql: "SELECT log_seq FROM rollup_monthly_refresh WHERE id = 1") ?? 0
        guard let end = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM sync_rollup_log"), end > done else { return }
        let sums = ["generation_wh", "consumption_wh", "charge_wh", "discharge_wh", "import_wh", "export_wh"]
        // Distinct KST days first (integer arithmetic per log row), then their months.
        var stale = Set<StaleMonth>()
        for row in try Row.fetchAll(db, sql: """
            SELECT DISTINCT dong_code, (hour_start + 32400) / 86400 AS day FROM sync_rollup_log WHERE seq > ? AND seq <= ?
            """, arguments: [done, end]) {
            let day: Int64 = row["day"]
            let d = KSTDateTime(epochSeconds: day * 86400)
            stale.insert(StaleMonth(dong: row["dong_code"], month: YearMonth(year: d.year, month: d.month)))
        }
        let delete = try db.cachedStatement(sql: "DELETE FROM rollup_monthly WHERE dong_code = ? AND month = ?")
        let insert = try db.cachedStatement(sql: """
            INSERT INTO rollup_monthly (dong_code, month, hours, \(sums.joined(separator: ", ")))
              SELECT dong_code, ?, COUNT(*), \(sums.map { "SUM(\($0))" }.joined(separator: ", "))
              FROM rollup_hourly WHERE dong_code = ? AND hour_start >= ? AND hour_start < ?
              GROUP BY dong_code
            """)
        for s in stale {
            let month = String(format: "%04d-%02d", s.month.year, s.month.month)
            try delete.execute(arguments: [s.dong, month])
            try insert.execute(arguments: [month, s.dong, s.month.startEpoch, s.month.endEpoch])
        }
        try db.execute(sql: "UPDATE rollup_monthly_refresh SET log_seq = ? WHERE id = 1", arguments: [end])
    }
}
