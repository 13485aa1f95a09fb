import Foundation
import PostgresNIO
import VPPCore
import VPPStore

/// Several districts in one PostgreSQL store (issue 14, part 3): the loaded sites and the
/// per-KST-month sums a city-year report reads instead of every dong-hour. Same semantics as
/// `SQLiteStore+City.swift`; schema: migration "city-v1-rollup-monthly" (`PostgresCityMigrations`).
extension PostgresStore: CityStore {
    /// Every loaded site (the `site` table), by id in byte order (as SQLite's default collation).
    public func loadedSites() async throws -> [LoadedSite] {
        try await rows("""
            SELECT id, name, name_ko, sigungu_code, loaded_at FROM site ORDER BY id COLLATE "C"
            """).map {
            LoadedSite(id: try $0.v("id"), name: try $0.v("name"), nameKo: try $0.v("name_ko"), sigunguCode: try $0.v("sigungu_code"),
                       loadedAt: try $0.v("loaded_at"))
        }
    }

    public func allLoadedSiteConfigs() async throws -> [SiteConfig] {
        var out: [SiteConfig] = []
        for r in try await rows("SELECT id, config_sha256 FROM site ORDER BY id") {
            if let c = try await cachedSiteConfig(id: try r.v("id"), sha256: try r.v("config_sha256")) { out.append(c) }
        }
        return out
    }

    /// Sums of `rollup_monthly` (kept by statement-level triggers on `rollup_hourly`) over the KST
    /// months [from, until), for every active dong.
    public func dongMonthTotals(from: YearMonth, until: YearMonth) async throws -> [DongPeriodTotals] {
        let lo = from.description, hi = until.description
        return try await rows("""
            SELECT d.code AS code, COALESCE(SUM(m.hours), 0)::BIGINT AS n,
                   COALESCE(SUM(m.generation_wh), 0)::BIGINT AS g, COALESCE(SUM(m.consumption_wh), 0)::BIGINT AS c,
                   COALESCE(SUM(m.charge_wh), 0)::BIGINT AS ch, COALESCE(SUM(m.discharge_wh), 0)::BIGINT AS dis,
                   COALESCE(SUM(m.import_wh), 0)::BIGINT AS im, COALESCE(SUM(m.export_wh), 0)::BIGINT AS ex
            FROM dong d LEFT JOIN rollup_monthly m ON m.dong_code = d.code AND m.month >= \(lo) AND m.month < \(hi)
            WHERE d.active GROUP BY d.code ORDER BY d.code COLLATE "C"
            """).map {
            DongPeriodTotals(dongCode: try $0.v("code"), hours: Int(try $0.v("n", Int64.self)), generationWh: try $0.v("g"),
                             consumptionWh: try $0.v("c"), chargeWh: try $0.v("ch"), dischargeWh: try $0.v("dis"),
                             importWh: try $0.v("im"), exportWh: try $0.v("ex"))
        }
    }
}

/// The city migrations of the PostgreSQL driver (issue 14), appended to `PostgresMigrations.all`
/// with the semantics of SQLite's "city-v1-sync" (the TARGET side: a city store receives syncs;
/// the district side's change log stays SQLite's, since a PostgreSQL store is not a sync source)
/// and "city-v1-rollup-monthly".
///
/// The monthly sums are kept by STATEMENT-level triggers with transition tables (PostgreSQL ≥ 10,
/// CREATE TRIGGER … REFERENCING NEW TABLE / OLD TABLE): one grouped upsert per statement that
/// writes `rollup_hourly`, in the same transaction, whatever the writer (ingest, replaceRollups,
/// sync). Measured (PostgreSQL 15, psql, 250k dong-hours written as ingest writes them: three
/// INSERT … ON CONFLICT statements of new hours, then one re-adding all of them; medians of 3 on a
/// loaded 2-core machine): new hours 4.03 s without sums, 4.20 s with these statement triggers,
/// 5.51 s with a data-modifying CTE in the ingest statement itself (INSERT … RETURNING (xmax = 0)
/// joined back to the input), ~27–30 s with row-level triggers; re-added hours 5.75 s, 6.80 s,
/// 7.64 s and ~90 s. Statement triggers cost ingest least, and need no change to the ingest sink.
///
/// The migration runner splits a migration at a `;` that ends a line, so the PL/pgSQL bodies
/// below keep their inner `;` mid-line.
enum PostgresCityMigrations {
    static let sums = ["generation_wh", "consumption_wh", "charge_wh", "discharge_wh", "import_wh", "export_wh"]

    /// The KST month ("YYYY-MM") of an hour_start [UTC epoch s]: KST is UTC+9 without DST.
    static func kstMonth(_ column: String) -> String {
        "to_char(to_timestamp(\(column) + 32400) AT TIME ZONE 'UTC', 'YYYY-MM')"
    }

    /// Target tables of `vpp sync` (SQLite: migration "city-v1-sync").
    static let sync = """
        CREATE TABLE sync_watermark (
            source_site TEXT NOT NULL,
            stream TEXT NOT NULL CHECK (stream IN ('rollups', 'uploads', 'forecasts', 'dispatch')),
            value BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (source_site, stream)
        );
        CREATE TABLE city_upload (
            site_id TEXT NOT NULL,
            upload_id BIGINT NOT NULL,
            file_name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            source TEXT NOT NULL,
            kind TEXT NOT NULL,
            received_at BIGINT NOT NULL,
            rows_ok BIGINT NOT NULL,
            rows_rejected BIGINT NOT NULL,
            rows_changed BIGINT NOT NULL,
            status TEXT NOT NULL,
            message TEXT,
            PRIMARY KEY (site_id, upload_id)
        );
        CREATE TABLE city_forecast_run (
            site_id TEXT NOT NULL,
            run_id BIGINT NOT NULL,
            issued_at BIGINT NOT NULL,
            kind TEXT NOT NULL,
            horizon_s BIGINT NOT NULL,
            step_s BIGINT NOT NULL,
            model TEXT NOT NULL,
            params_json TEXT NOT NULL,
            PRIMARY KEY (site_id, run_id)
        );
        CREATE TABLE city_forecast (
            site_id TEXT NOT NULL,
            run_id BIGINT NOT NULL,
            dong_code TEXT NOT NULL,
            quantity TEXT NOT NULL,
            slot_start BIGINT NOT NULL,
            duration_s BIGINT NOT NULL,
            value_wh BIGINT NOT NULL,
            PRIMARY KEY (site_id, run_id, dong_code, quantity, slot_start)
        );
        CREATE TABLE city_dispatch_run (
            site_id TEXT NOT NULL,
            run_id BIGINT NOT NULL,
            started_at BIGINT NOT NULL,
            finished_at BIGINT,
            status TEXT NOT NULL,
            objective TEXT NOT NULL,
            objective_value DOUBLE PRECISION,
            breakdown_json TEXT NOT NULL,
            horizon_s BIGINT NOT NULL,
            step_s BIGINT NOT NULL,
            solve_ms DOUBLE PRECISION,
            message TEXT,
            PRIMARY KEY (site_id, run_id)
        );
        CREATE TABLE city_schedule (
            site_id TEXT NOT NULL,
            run_id BIGINT NOT NULL,
            battery_id TEXT NOT NULL,
            slot_start BIGINT NOT NULL,
            duration_s BIGINT NOT NULL,
            charge_w DOUBLE PRECISION NOT NULL,
            discharge_w DOUBLE PRECISION NOT NULL,
            soc_wh BIGINT NOT NULL,
            PRIMARY KEY (site_id, run_id, battery_id, slot_start)
        );
        """

    /// One grouped upsert of signed deltas into `rollup_monthly`; `rows` selects
    /// (dong_code, hour_start, h, <sums>) with h = +1 / −1 and the sums signed likewise.
    static func upsert(_ rows: String) -> String {
        let columns = sums.joined(separator: ", ")
        return "INSERT INTO rollup_monthly (dong_code, month, hours, \(columns)) "
            + "SELECT dong_code, \(kstMonth("hour_start")), SUM(h)::BIGINT, \(sums.map { "SUM(\($0))::BIGINT" }.joined(separator: ", ")) "
            + "FROM (\(rows)) x GROUP BY 1, 2 "
            + "ON CONFLICT (dong_code, month) DO UPDATE SET hours = rollup_monthly.hours + excluded.hours, "
            + sums.map { "\($0) = rollup_monthly.\($0) + excluded.\($0)" }.joined(separator: ", ")
    }

    /// The same upsert grouped by KST day first (integer arithmetic), so the month text is
    /// formatted once per dong-day instead of once per row, and in (dong, month) order, so two
    /// writers lock the monthly rows in one order (migration "city-v2-rollup-writes").
    /// `rows` as for `upsert`. Measured in psql (COPY of 128k dong-hours into a fresh copy of
    /// `rollup_hourly`, minimum of 6 on a noisy 2-core machine): no trigger 516 ms, the per-row
    /// `to_char` trigger 695 ms, this one 501 ms.
    static func upsertByDay(_ rows: String) -> String {
        let columns = sums.joined(separator: ", ")
        let day = "(hour_start + 32400) - (((hour_start + 32400) % 86400) + 86400) % 86400"
        return "INSERT INTO rollup_monthly (dong_code, month, hours, \(columns)) "
            + "SELECT dong_code, to_char(to_timestamp(day) AT TIME ZONE 'UTC', 'YYYY-MM'), SUM(h)::BIGINT, "
            + sums.map { "SUM(\($0))::BIGINT" }.joined(separator: ", ") + " "
            + "FROM (SELECT dong_code, \(day) AS day, SUM(h) AS h, \(sums.map { "SUM(\($0)) AS \($0)" }.joined(separator: ", ")) "
            + "FROM (\(rows)) r GROUP BY 1, 2) x GROUP BY 1, 2 ORDER BY 1, 2 "
            + "ON CONFLICT (dong_code, month) DO UPDATE SET hours = rollup_monthly.hours + excluded.hours, "
            + sums.map { "\($0) = rollup_monthly.\($0) + excluded.\($0)" }.joined(separator: ", ")
    }

    /// Migration "city-v2-rollup-writes": cheaper writes of `rollup_hourly`.
    /// - The trigger functions of "city-v1-rollup-monthly" replaced by their day-first form (same
    ///   sums), each with `work_mem` 64 MB so that its grouping of a big statement's transition
    ///   rows stays in memory (4 MB spilled a 128k-row merge to disk: 386 → 214 ms in psql).
    /// - `fillfactor` 50: a merge adds to every dong-hour it touches, and with full pages each
    ///   update wrote a new tuple on another page plus an entry in both indexes. With room on the
    ///   page the update is HOT (no index entries). Measured in psql, 128k dong-hours updated by one
    ///   `UPDATE … FROM`: 2.74 s at fillfactor 100, 0.69 s at 50. The table takes up to twice the
    ///   space (a city-year, 425 dongs × 8,760 h, is about 0.4 GB at 100). Pages already written
    ///   keep their fill until rewritten (VACUUM FULL, off-line).
    static var rollupWrites: String {
        """
        \(function("rollup_monthly_on_insert", upsertByDay(added("new_rows")), replace: true, workMem: "64MB"))
        \(function("rollup_monthly_on_update", upsertByDay(added("new_rows") + " UNION ALL " + removed("old_rows")), replace: true, workMem: "64MB"))
        \(function("rollup_monthly_on_delete", upsertByDay(removed("old_rows")), replace: true, workMem: "64MB"))
        ALTER TABLE rollup_hourly SET (fillfactor = 50);
        """
    }

    static func added(_ table: String) -> String { "SELECT dong_code, hour_start, 1 AS h, \(sums.joined(separator: ", ")) FROM \(table)" }
    static func removed(_ table: String) -> String {
        "SELECT dong_code, hour_start, -1 AS h, \(sums.map { "-\($0) AS \($0)" }.joined(separator: ", ")) FROM \(table)"
    }

    /// A PL/pgSQL trigger function running `statement` once (its inner `;` mid-line, see above).
    static func function(_ name: String, _ statement: String, replace: Bool = false, workMem: String? = nil) -> String {
        """
        CREATE \(replace ? "OR REPLACE " : "")FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql \(workMem.map { "SET work_mem = '\($0)' " } ?? "")AS $$
        BEGIN \(statement); RETURN NULL; END
        $$;
        """
    }

    /// Per-KST-month sums of `rollup_hourly` (SQLite: migration "city-v1-rollup-monthly"): `hours`
    /// counts the dong's hourly rollup rows in the month. Seeded from the rollups already stored.
    static var rollupMonthly: String {
        let columns = sums.joined(separator: ", ")
        return """
            CREATE TABLE rollup_monthly (
                dong_code TEXT NOT NULL,
                month TEXT NOT NULL,
                hours BIGINT NOT NULL,
                \(sums.map { $0 + " BIGINT NOT NULL" }.joined(separator: ",\n    ")),
                PRIMARY KEY (dong_code, month)
            );
            INSERT INTO rollup_monthly (dong_code, month, hours, \(columns))
              SELECT dong_code, \(kstMonth("hour_start")), COUNT(*), \(sums.map { "SUM(\($0))::BIGINT" }.joined(separator: ", "))
              FROM rollup_hourly GROUP BY 1, 2;
            \(function("rollup_monthly_on_insert", upsert(added("new_rows"))))
            \(function("rollup_monthly_on_update", upsert(added("new_rows") + " UNION ALL " + removed("old_rows"))))
            \(function("rollup_monthly_on_delete", upsert(removed("old_rows"))))
            \(function("rollup_monthly_on_truncate", "DELETE FROM rollup_monthly"))
            CREATE TRIGGER rollup_monthly_insert AFTER INSERT ON rollup_hourly REFERENCING NEW TABLE AS new_rows
              FOR EACH STATEMENT EXECUTE FUNCTION rollup_monthly_on_insert();
            CREATE TRIGGER rollup_monthly_update AFTER UPDATE ON rollup_hourly REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
              FOR EACH STATEMENT EXECUTE FUNCTION rollup_monthly_on_update();
            CREATE TRIGGER rollup_monthly_delete AFTER DELETE ON rollup_hourly REFERENCING OLD TABLE AS old_rows
              FOR EACH STATEMENT EXECUTE FUNCTION rollup_monthly_on_delete();
            CREATE TRIGGER rollup_monthly_truncate AFTER TRUNCATE ON rollup_hourly
              FOR EACH STATEMENT EXECUTE FUNCTION rollup_monthly_on_truncate();
            """
    }
}
