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

    /// Sums of `rollup_monthly` (migration "city-v1-rollup-monthly", kept by triggers).
    public func dongMonthTotals(from: YearMonth, until: YearMonth) async throws -> [DongPeriodTotals] {
        let lo = String(format: "%04d-%02d", from.year, from.month), hi = String(format: "%04d-%02d", until.year, until.month)
        return try await read { db in
            try Row.fetchAll(db, sql: """
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
}
