import Foundation
import GRDB
import GRDBSQLite
import VPPCore
import VPPStore
import VPPAuth

/// Readings and their hourly rollups (`ReadingStore`): series, totals and spans for the API, the
/// dashboard and the tracking reports; rollup writes for sample data.
extension SQLiteStore {
    /// Hourly rollups of each dong in `dongCodes` with `hour_start` in [from, to) [UTC epoch s],
    /// in hour order, keyed by dong code. Hours with no row are absent (they are gaps).
    public func hourlyRollups(dongCodes: [String], from: Int64, to: Int64) async throws -> [String: [HourlyRollup]] {
        try await read { db in
            var out: [String: [HourlyRollup]] = [:]
            let stmt = try db.cachedStatement(sql: """
                SELECT hour_start, generation_wh, consumption_wh, charge_wh, discharge_wh, import_wh, export_wh,
                       generation_covered_s, consumption_covered_s
                FROM rollup_hourly WHERE dong_code = ? AND hour_start >= ? AND hour_start < ?
                ORDER BY hour_start
                """)
            // Stepped with sqlite3 directly (all nine columns are NOT NULL integers): every cold
            // dashboard period reads a district-year, ~123 k rows, and GRDB's per-column Row
            // decoding was most of that read (issue 16, perf profile).
            let raw = stmt.sqliteStatement
            defer { sqlite3_reset(raw); sqlite3_clear_bindings(raw) }
            for code in dongCodes {
                var rows: [HourlyRollup] = []
                rows.reserveCapacity(Int(max(0, min(to - from, 400 * 86_400) / 3600)))
                try code.withCString { cCode in
                    sqlite3_reset(raw)
                    sqlite3_bind_text(raw, 1, cCode, -1, nil)
                    sqlite3_bind_int64(raw, 2, from)
                    sqlite3_bind_int64(raw, 3, to)
                    while true {
                        let rc = sqlite3_step(raw)
                        if rc == SQLITE_DONE { break }
                        guard rc == SQLITE_ROW else {
                            throw VPPError.database(resultCode: rc, message: String(cString: sqlite3_errmsg(sqlite3_db_handle(raw))),
                                                    "database read of hourly rollups failed")
                        }
                        rows.append(HourlyRollup(
                            hourStart: sqlite3_column_int64(raw, 0), generationWh: sqlite3_column_int64(raw, 1),
                            consumptionWh: sqlite3_column_int64(raw, 2), chargeWh: sqlite3_column_int64(raw, 3),
                            dischargeWh: sqlite3_column_int64(raw, 4), importWh: sqlite3_column_int64(raw, 5),
                            exportWh: sqlite3_column_int64(raw, 6), generationCoveredS: sqlite3_column_int64(raw, 7),
                            consumptionCoveredS: sqlite3_column_int64(raw, 8)))
                    }
                    // The bound C string lives only in this closure.
                    sqlite3_reset(raw)
                    sqlite3_clear_bindings(raw)
                }
                out[code] = rows
            }
            return out
        }
    }

    /// Energy and metered seconds of each meter asset over [from, to) from `reading`
    /// (participants: apartment complexes / meter groups). Meters with no reading are absent.
    public func meterTotals(assetIDs: [String], from: Int64, to: Int64) async throws
        -> [String: (energyWh: Int64, coveredS: Int64)]
    {
        guard !assetIDs.isEmpty else { return [:] }
        return try await read { db in
            let marks = assetIDs.map { _ in "?" }.joined(separator: ", ")
            let rows = try Row.fetchAll(db, sql: """
                SELECT asset_id, SUM(energy_wh), SUM(MIN(duration_s, ? - slot_start)) FROM reading
                WHERE asset_id IN (\(marks)) AND slot_start >= ? AND slot_start < ?
                GROUP BY asset_id
                """, arguments: StatementArguments([to.databaseValue] + assetIDs.map { $0.databaseValue } + [from.databaseValue, to.databaseValue]))
            var out: [String: (energyWh: Int64, coveredS: Int64)] = [:]
            for r in rows { out[r[0]] = (energyWh: r[1], coveredS: r[2]) }
            return out
        }
    }

    /// Writes hourly rollups (upsert), for tests, benchmarks and the sample data set; ingestion
    /// maintains the table in production.
    public func replaceRollups(_ rows: [(dongCode: String, rollup: HourlyRollup)]) async throws {
        try await write { db in
            let stmt = try db.cachedStatement(sql: """
                INSERT INTO rollup_hourly (dong_code, hour_start, generation_wh, consumption_wh, charge_wh, discharge_wh,
                    import_wh, export_wh, generation_covered_s, consumption_covered_s)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (dong_code, hour_start) DO UPDATE SET generation_wh = excluded.generation_wh,
                    consumption_wh = excluded.consumption_wh, charge_wh = excluded.charge_wh,
                    discharge_wh = excluded.discharge_wh, import_wh = excluded.import_wh, export_wh = excluded.export_wh,
                    generation_covered_s = excluded.generation_covered_s, consumption_covered_s = excluded.consumption_covered_s
                """)
            for (code, r) in rows {
                try stmt.execute(arguments: [code, r.hourStart, r.generationWh, r.consumptionWh, r.chargeWh, r.dischargeWh,
                                             r.importWh, r.exportWh, r.generationCoveredS, r.consumptionCoveredS])
            }
            try Self.refreshMonthlySums(db)
        }
    }

    /// Hourly values of one quantity for a dong over [from, to) (UTC epoch s, hour-beginning
    /// stamps), as parallel arrays.
    public func rollupSeries(dong: String, quantity: RollupQuantity, from: Int64, to: Int64) async throws
        -> (hourStart: [Int64], wh: [Int64])
    {
        let sql = "SELECT hour_start, \(quantity.column) FROM rollup_hourly WHERE dong_code = ? AND hour_start >= ? AND hour_start < ? ORDER BY hour_start"
        return try await read { db in
            var t: [Int64] = [], v: [Int64] = []
            let cursor = try Row.fetchCursor(db, sql: sql, arguments: [dong, from, to])
            while let r = try cursor.next() { t.append(r[0]); v.append(r[1]) }
            return (t, v)
        }
    }

    /// Whether a dong code exists.
    public func dongExists(_ code: String) async throws -> Bool {
        try await read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM dong WHERE code = ?)", arguments: [code]) ?? false }
    }

    /// Rollup totals per dong over [from, to).
    public func dongPeriodTotals(from: Int64, to: Int64) async throws -> [DongPeriodTotals] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.code AS code, COUNT(r.hour_start) AS n,
                       COALESCE(SUM(r.generation_wh), 0) AS g, COALESCE(SUM(r.consumption_wh), 0) AS c,
                       COALESCE(SUM(r.charge_wh), 0) AS ch, COALESCE(SUM(r.discharge_wh), 0) AS dis,
                       COALESCE(SUM(r.import_wh), 0) AS im, COALESCE(SUM(r.export_wh), 0) AS ex
                FROM dong d LEFT JOIN rollup_hourly r ON r.dong_code = d.code AND r.hour_start >= ? AND r.hour_start < ?
                WHERE d.active = 1 GROUP BY d.code ORDER BY d.code
                """, arguments: [from, to]).map {
                DongPeriodTotals(dongCode: $0["code"], hours: $0["n"], generationWh: $0["g"], consumptionWh: $0["c"],
                                 chargeWh: $0["ch"], dischargeWh: $0["dis"], importWh: $0["im"], exportWh: $0["ex"])
            }
        }
    }

    /// District-wide daily totals of generation and consumption over [from, to), bucketed by KST day
    /// (day start as UTC epoch s).
    public func districtDaily(from: Int64, to: Int64) async throws -> [(dayStart: Int64, generationWh: Int64, consumptionWh: Int64)] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT ((hour_start + 32400) / 86400) * 86400 - 32400 AS day,
                       SUM(generation_wh) AS g, SUM(consumption_wh) AS c
                FROM rollup_hourly WHERE hour_start >= ? AND hour_start < ? GROUP BY day ORDER BY day
                """, arguments: [from, to]).map { (dayStart: $0["day"], generationWh: $0["g"], consumptionWh: $0["c"]) }
        }
    }

    /// The span of stored rollups (first and last hour start), if any.
    public func rollupSpan() async throws -> (first: Int64, last: Int64)? {
        try await read { db in
            guard let r = try Row.fetchOne(db, sql: "SELECT MIN(hour_start) AS a, MAX(hour_start) AS b FROM rollup_hourly"),
                  let a: Int64 = r["a"], let b: Int64 = r["b"] else { return nil }
            return (a, b)
        }
    }

    /// A cheap fingerprint of everything the read API serves; changes whenever an upload, a
    /// forecast or dispatch run, a site load or a rollup write lands (cache invalidation).
    public func dataStamp() async throws -> String {
        try await read { db in
            let r = try Row.fetchOne(db, sql: """
                SELECT (SELECT MAX(id) FROM upload), (SELECT MAX(id) FROM forecast_run), (SELECT MAX(id) FROM dispatch_run),
                       (SELECT MAX(loaded_at) FROM site), (SELECT MAX(id) FROM config_change), (SELECT COUNT(*) FROM upload WHERE status = 'ingesting'),
                       (SELECT COUNT(*) FROM upload), (SELECT MAX(seq) FROM sync_rollup_log)
                """)!
            // The upload count changes when `vpp uploads delete` removes an upload that is not the newest;
            // the rollup change log's sequence with any rollup write (a `vpp sync` into a city store too).
            return (0..<8).map { (r[$0] as Int64?).map(String.init) ?? "-" }.joined(separator: ":")
        }
    }
}

extension RollupQuantity {
    /// The `rollup_hourly` column of this quantity.
    fileprivate var column: String {
        switch self {
        case .generation: return "generation_wh"
        case .consumption: return "consumption_wh"
        case .charge: return "charge_wh"
        case .discharge: return "discharge_wh"
        case .import: return "import_wh"
        case .export: return "export_wh"
        }
    }
}
