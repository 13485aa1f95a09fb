import Foundation
import Logging
import PostgresNIO
import VPPCore

/// The PostgreSQL schema as named, append-only migrations, with the semantics of the SQLite
/// driver's (`VPPMigrations`, design.md §3): a `schema_migrations` table records each applied
/// name; migrations run in order, each in its own transaction, under a transaction-scoped
/// advisory lock so two processes opening a new database at once apply each exactly once.
///
/// Never edit a migration that has shipped: add a new one at the end of `all`.
/// Conventions (as in SQLite): times are UTC epoch seconds (BIGINT), energies integer Wh
/// (BIGINT), powers W (DOUBLE PRECISION), dong codes the 10-digit administrative code.
/// Differences, by design (issue 14): assets have an integer surrogate key (`asset.key`) that
/// `reading` and `reading_change` use instead of the text id; `reading` is declaratively
/// partitioned by KST month on `slot_start`, its partitions created on demand by the ingest
/// transaction (`PostgresPartitions`).
public enum PostgresMigrations {
    /// The advisory-lock key of schema changes (an arbitrary constant: "vpp" "mig").
    static let lockKey: Int64 = 0x7670_7000_6D69_67

    public static let all: [(name: String, sql: String)] = [
        ("core-v1-schema", """
            CREATE TABLE site (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                name_ko TEXT NOT NULL,
                sigungu_code TEXT NOT NULL,
                config_json TEXT NOT NULL,
                config_sha256 TEXT NOT NULL,
                loaded_at BIGINT NOT NULL
            );
            CREATE TABLE dong (
                code TEXT PRIMARY KEY,
                site_id TEXT NOT NULL REFERENCES site(id),
                name_ko TEXT NOT NULL,
                name TEXT NOT NULL,
                latitude_deg DOUBLE PRECISION NOT NULL,
                longitude_deg DOUBLE PRECISION NOT NULL,
                households BIGINT NOT NULL CHECK (households >= 0),
                population BIGINT NOT NULL,
                area_km2 DOUBLE PRECISION NOT NULL,
                import_limit_kw DOUBLE PRECISION NOT NULL,
                export_limit_kw DOUBLE PRECISION NOT NULL,
                active BOOLEAN NOT NULL DEFAULT TRUE
            );
            CREATE TABLE asset (
                key INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                site_id TEXT NOT NULL REFERENCES site(id),
                dong_code TEXT NOT NULL REFERENCES dong(code),
                kind TEXT NOT NULL CHECK (kind IN ('pv_fleet', 'meter', 'battery')),
                params_json TEXT NOT NULL,
                active BOOLEAN NOT NULL DEFAULT TRUE
            );
            CREATE INDEX asset_dong ON asset(dong_code);
            CREATE TABLE config_change (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                site_id TEXT NOT NULL,
                changed_at BIGINT NOT NULL,
                entity TEXT NOT NULL,
                entity_id TEXT NOT NULL,
                change TEXT NOT NULL CHECK (change IN ('added', 'updated', 'removed')),
                detail TEXT NOT NULL
            );
            CREATE TABLE upload (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                file_name TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                source TEXT NOT NULL,
                kind TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                rows_ok BIGINT NOT NULL DEFAULT 0,
                rows_rejected BIGINT NOT NULL DEFAULT 0,
                rows_changed BIGINT NOT NULL DEFAULT 0,
                status TEXT NOT NULL,
                message TEXT,
                owner TEXT NOT NULL,
                params TEXT NOT NULL,
                idempotency_key TEXT UNIQUE,
                original_path TEXT,
                retry_of BIGINT REFERENCES upload(id) ON DELETE SET NULL
            );
            CREATE INDEX upload_sha256 ON upload(sha256);
            CREATE TABLE upload_file (
                upload_id BIGINT PRIMARY KEY REFERENCES upload(id) ON DELETE CASCADE,
                bytes BYTEA NOT NULL
            );
            -- No foreign key on asset_key (as in SQLite: ingestion resolves every row to a known
            -- asset before it writes). Partitioned by KST month of slot_start; partitions are
            -- created on demand by the ingest transaction.
            CREATE TABLE reading (
                asset_key INTEGER NOT NULL,
                slot_start BIGINT NOT NULL,
                duration_s INTEGER NOT NULL CHECK (duration_s > 0),
                energy_wh BIGINT NOT NULL,
                quality SMALLINT NOT NULL DEFAULT 0,
                upload_id BIGINT,
                PRIMARY KEY (asset_key, slot_start, duration_s)
            ) PARTITION BY RANGE (slot_start);
            CREATE TABLE reading_change (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                upload_id BIGINT NOT NULL REFERENCES upload(id),
                asset_key INTEGER NOT NULL,
                slot_start BIGINT NOT NULL,
                duration_s INTEGER NOT NULL,
                old_wh BIGINT NOT NULL,
                new_wh BIGINT NOT NULL,
                old_upload_id BIGINT,
                old_quality SMALLINT
            );
            CREATE INDEX reading_change_upload ON reading_change(upload_id);
            CREATE INDEX reading_change_old_upload ON reading_change(old_upload_id);
            CREATE TABLE register_reading (
                asset_id TEXT NOT NULL,
                unit TEXT NOT NULL,
                period TEXT NOT NULL,
                previous_register DOUBLE PRECISION,
                current_register DOUBLE PRECISION NOT NULL,
                usage_wh BIGINT NOT NULL,
                flag TEXT,
                upload_id BIGINT NOT NULL REFERENCES upload(id),
                billing_json TEXT,
                PRIMARY KEY (asset_id, unit, period)
            );
            CREATE INDEX register_reading_upload ON register_reading(upload_id);
            CREATE TABLE rejected_row (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                upload_id BIGINT NOT NULL REFERENCES upload(id),
                line BIGINT NOT NULL,
                "column" BIGINT,
                raw TEXT NOT NULL,
                reason TEXT NOT NULL
            );
            CREATE INDEX rejected_row_upload ON rejected_row(upload_id, line);
            CREATE TABLE review_item (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                upload_id BIGINT NOT NULL REFERENCES upload(id),
                line BIGINT NOT NULL,
                "column" BIGINT,
                raw TEXT NOT NULL,
                reason TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('register_wrap', 'household_label', 'unit_switch')),
                asset_id TEXT NOT NULL,
                unit TEXT,
                period TEXT,
                previous_register DOUBLE PRECISION,
                current_register DOUBLE PRECISION,
                candidate_usage_wh BIGINT,
                state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'accepted', 'rejected')),
                resolved_at BIGINT,
                resolved_by TEXT,
                note TEXT
            );
            CREATE INDEX review_item_upload ON review_item(upload_id);
            CREATE INDEX review_item_state ON review_item(state);
            CREATE TABLE rollup_hourly (
                dong_code TEXT NOT NULL,
                hour_start BIGINT NOT NULL,
                generation_wh BIGINT NOT NULL DEFAULT 0,
                consumption_wh BIGINT NOT NULL DEFAULT 0,
                charge_wh BIGINT NOT NULL DEFAULT 0,
                discharge_wh BIGINT NOT NULL DEFAULT 0,
                import_wh BIGINT NOT NULL DEFAULT 0,
                export_wh BIGINT NOT NULL DEFAULT 0,
                generation_covered_s BIGINT NOT NULL DEFAULT 0,
                consumption_covered_s BIGINT NOT NULL DEFAULT 0,
                PRIMARY KEY (dong_code, hour_start)
            );
            CREATE INDEX rollup_hourly_hour ON rollup_hourly(hour_start);
            CREATE TABLE forecast_run (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                issued_at BIGINT NOT NULL,
                kind TEXT NOT NULL,
                horizon_s BIGINT NOT NULL,
                step_s BIGINT NOT NULL,
                model TEXT NOT NULL,
                params_json TEXT NOT NULL DEFAULT '{}'
            );
            CREATE TABLE forecast (
                run_id BIGINT NOT NULL REFERENCES forecast_run(id),
                dong_code TEXT NOT NULL,
                quantity TEXT NOT NULL CHECK (quantity IN ('pv', 'load')),
                slot_start BIGINT NOT NULL,
                duration_s BIGINT NOT NULL,
                value_wh BIGINT NOT NULL,
                PRIMARY KEY (run_id, dong_code, quantity, slot_start)
            );
            CREATE TABLE forecast_model (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                name TEXT NOT NULL,
                trained_at BIGINT NOT NULL,
                train_from BIGINT NOT NULL,
                train_to BIGINT NOT NULL,
                params_json TEXT NOT NULL
            );
            CREATE TABLE weather_cache (
                key TEXT PRIMARY KEY,
                fetched_at BIGINT NOT NULL,
                body BYTEA NOT NULL
            );
            CREATE TABLE weather_forecast (
                nx BIGINT NOT NULL,
                ny BIGINT NOT NULL,
                valid_time BIGINT NOT NULL,
                base_time BIGINT NOT NULL,
                tmp_c DOUBLE PRECISION NOT NULL,
                reh_pct DOUBLE PRECISION NOT NULL,
                wsd_ms DOUBLE PRECISION NOT NULL,
                sky DOUBLE PRECISION NOT NULL,
                pty BIGINT NOT NULL,
                pop_pct DOUBLE PRECISION,
                import_id BIGINT NOT NULL,
                PRIMARY KEY (nx, ny, valid_time, base_time)
            );
            CREATE TABLE weather_import (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                source TEXT NOT NULL,
                imported_at BIGINT NOT NULL,
                rows_added BIGINT NOT NULL,
                rows_unchanged BIGINT NOT NULL,
                rows_rejected BIGINT NOT NULL
            );
            CREATE TABLE weather_reject (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                import_id BIGINT NOT NULL REFERENCES weather_import(id) ON DELETE CASCADE,
                line BIGINT NOT NULL,
                raw TEXT NOT NULL,
                reason TEXT NOT NULL
            );
            CREATE INDEX weather_reject_import ON weather_reject(import_id);
            CREATE TABLE dispatch_run (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                started_at BIGINT NOT NULL,
                finished_at BIGINT,
                status TEXT NOT NULL,
                objective TEXT NOT NULL,
                objective_value DOUBLE PRECISION,
                breakdown_json TEXT NOT NULL DEFAULT '{}',
                horizon_s BIGINT NOT NULL,
                step_s BIGINT NOT NULL,
                solve_ms DOUBLE PRECISION,
                message TEXT
            );
            CREATE TABLE schedule (
                run_id BIGINT NOT NULL REFERENCES dispatch_run(id),
                battery_id TEXT NOT NULL,
                slot_start BIGINT NOT NULL,
                duration_s BIGINT NOT NULL,
                charge_w DOUBLE PRECISION NOT NULL,
                discharge_w DOUBLE PRECISION NOT NULL,
                soc_wh BIGINT NOT NULL,
                PRIMARY KEY (run_id, battery_id, slot_start)
            );
            CREATE INDEX schedule_battery_slot ON schedule(battery_id, slot_start);
            """),
        // API tokens (salted HMAC-SHA256 only), the audit trail, which token made which upload;
        // roles as in SQLite after its migrations telemetry-v1-battery-tokens and openadr-v1.
        ("auth-v1-tokens-audit", """
            CREATE TABLE api_token (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                key_id TEXT NOT NULL UNIQUE,
                salt BYTEA NOT NULL,
                secret_hmac BYTEA NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('office', 'operator', 'battery', 'ven')),
                office TEXT,
                complexes_json TEXT NOT NULL DEFAULT '[]',
                created_at BIGINT NOT NULL,
                revoked_at BIGINT,
                CHECK (role NOT IN ('office', 'ven') OR office IS NOT NULL)
            );
            CREATE TABLE audit_log (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                at BIGINT NOT NULL,
                actor TEXT NOT NULL,
                token_id BIGINT,
                action TEXT NOT NULL,
                target TEXT,
                outcome TEXT NOT NULL,
                detail TEXT NOT NULL DEFAULT ''
            );
            CREATE INDEX audit_log_at ON audit_log(at);
            CREATE TABLE upload_owner (
                upload_id BIGINT PRIMARY KEY REFERENCES upload(id),
                token_id BIGINT NOT NULL REFERENCES api_token(id),
                office TEXT,
                complex TEXT
            );
            CREATE INDEX upload_owner_token ON upload_owner(token_id);
            """),
        // Append new migrations below this line, never above.
        // ---- pgmore block (issue 14: the optional concerns on PostgreSQL) -------------------------
        // Battery telemetry as SQLite after telemetry-v1 and openadr-v2-reports-as-telemetry: one row
        // per battery and reported instant [UTC epoch s]; SoC [Wh], AC power [W] (> 0 discharge,
        // < 0 charge; NULL when a VEN report carried none), optional cumulative counters [Wh]. A
        // re-sent instant replaces the row; deleting the upload removes its rows (cascade).
        ("pg-telemetry-v1", """
            CREATE TABLE battery_telemetry (
                battery_id TEXT NOT NULL,
                measured_at BIGINT NOT NULL,
                soc_wh BIGINT NOT NULL CHECK (soc_wh >= 0),
                power_w BIGINT,
                charged_wh BIGINT,
                discharged_wh BIGINT,
                upload_id BIGINT NOT NULL REFERENCES upload(id) ON DELETE CASCADE,
                PRIMARY KEY (battery_id, measured_at)
            );
            CREATE INDEX battery_telemetry_upload ON battery_telemetry(upload_id);
            CREATE INDEX battery_telemetry_time ON battery_telemetry(measured_at);
            """),
        // Heat-wave alerts, raw KMA replies and shelter outcomes, as SQLite's resilience-v1-alerts.
        ("pg-alerts-v1", """
            CREATE TABLE weather_alert (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                area TEXT NOT NULL,
                kind TEXT NOT NULL,
                level TEXT NOT NULL CHECK (level IN ('none', 'advisory', 'warning')),
                from_epoch BIGINT NOT NULL,
                to_epoch BIGINT NOT NULL CHECK (to_epoch > from_epoch),
                source TEXT NOT NULL,
                issued_at BIGINT,
                imported_at BIGINT NOT NULL,
                UNIQUE (area, kind, level, from_epoch, to_epoch)
            );
            CREATE INDEX weather_alert_window ON weather_alert(from_epoch, to_epoch);
            CREATE TABLE alert_reply (
                key TEXT PRIMARY KEY,
                fetched_at BIGINT NOT NULL,
                body BYTEA NOT NULL
            );
            CREATE TABLE shelter_outcome (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                run_id BIGINT REFERENCES dispatch_run(id),
                recorded_at BIGINT NOT NULL,
                fallback BOOLEAN NOT NULL,
                note TEXT NOT NULL
            );
            CREATE TABLE shelter_shortfall (
                outcome_id BIGINT NOT NULL REFERENCES shelter_outcome(id) ON DELETE CASCADE,
                shelter_id TEXT NOT NULL,
                slot_start BIGINT NOT NULL,
                required_wh BIGINT NOT NULL CHECK (required_wh >= 0),
                planned_wh BIGINT NOT NULL,
                reason TEXT NOT NULL,
                PRIMARY KEY (outcome_id, shelter_id, slot_start)
            );
            """),
        // OpenADR 3 VTN objects as SQLite's openadr-v1 (without the report-sample side table, which
        // openadr-v2 folded into battery_telemetry). `seq` keeps insertion order (SQLite's rowid).
        ("pg-openadr-v1", """
            CREATE TABLE openadr_object (
                id TEXT PRIMARY KEY,
                seq BIGINT GENERATED ALWAYS AS IDENTITY,
                kind TEXT NOT NULL CHECK (kind IN ('PROGRAM', 'EVENT', 'REPORT', 'SUBSCRIPTION', 'VEN', 'RESOURCE')),
                program_id TEXT,
                ven_id TEXT,
                client_id TEXT,
                name TEXT,
                body_json TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                modified_at BIGINT NOT NULL,
                modification_number BIGINT NOT NULL DEFAULT 0,
                source_key TEXT UNIQUE,
                UNIQUE (kind, name)
            );
            CREATE INDEX openadr_object_kind ON openadr_object(kind, created_at, seq);
            CREATE INDEX openadr_object_program ON openadr_object(program_id);
            CREATE INDEX openadr_object_ven ON openadr_object(ven_id);
            CREATE TABLE openadr_target (
                object_id TEXT NOT NULL REFERENCES openadr_object(id) ON DELETE CASCADE,
                target TEXT NOT NULL,
                PRIMARY KEY (target, object_id)
            );
            CREATE INDEX openadr_target_object ON openadr_target(object_id);
            """),
        // `vpp uploads delete` finds an upload's readings by upload_id: without an index that is a
        // scan of every partition. BRIN, not btree (Benchmarks/pg-index.md): rows lie in upload order,
        // so a BRIN finds one upload's rows in 30 ms instead of 100 ms and costs ingest almost nothing,
        // where a btree (0.7 ms) made `psql \copy` of 1M rows take 5.8 s instead of about 3 s and
        // vpp's ingest as much slower. Deleting an upload is rare; ingest is the hot path.
        ("pg-upload-delete-v1", """
            CREATE INDEX reading_upload ON reading USING brin (upload_id);
            """),
        // ---- end of pgmore block --------------------------------------------------------------------
        // City (issue 14): the target tables of `vpp sync` and the per-KST-month rollup sums (see PostgresStore+City.swift).
        ("city-v1-sync", PostgresCityMigrations.sync),
        ("city-v1-rollup-monthly", PostgresCityMigrations.rollupMonthly),
        ("city-v2-rollup-writes", PostgresCityMigrations.rollupWrites),
        // Several districts in one store: forecast and dispatch runs name their site (NULL: a run
        // made before, kept as it was unless the store holds one site, which it then belongs to).
        ("city-v3-run-site", """
            ALTER TABLE forecast_run ADD COLUMN site_id TEXT;
            ALTER TABLE dispatch_run ADD COLUMN site_id TEXT;
            UPDATE forecast_run SET site_id = (SELECT MIN(id) FROM site) WHERE (SELECT COUNT(*) FROM site) = 1;
            UPDATE dispatch_run SET site_id = (SELECT MIN(id) FROM site) WHERE (SELECT COUNT(*) FROM site) = 1;
            CREATE INDEX forecast_run_site ON forecast_run(site_id, issued_at);
            CREATE INDEX dispatch_run_site ON dispatch_run(site_id, id);
            """),
    ]

    /// The statements of a migration's text (each ends with `;` at the end of a line; `--` comment lines dropped).
    static func statements(_ sql: String) -> [String] {
        let lines = sql.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }
        return lines.joined(separator: "\n").components(separatedBy: ";\n")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .map { $0.hasSuffix(";") ? String($0.dropLast()) : $0 }
            .filter { !$0.isEmpty }
    }

    /// Applies every migration not yet recorded, in order, each in its own transaction.
    package static func migrate(_ conn: PostgresConnection, logger: Logger) async throws {
        try await conn.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)
            """, logger: logger)
        for m in all {
            try await conn.query("BEGIN", logger: logger)
            do {
                try await conn.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
                var done = false
                for try await _ in try await conn.query("SELECT 1 FROM schema_migrations WHERE name = \(m.name)", logger: logger) {
                    done = true
                }
                if !done {
                    // One statement at a time (the extended protocol takes one per query).
                    for statement in statements(m.sql) {
                        try await conn.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    let now = Int64(Date().timeIntervalSince1970)
                    try await conn.query("INSERT INTO schema_migrations (name, applied_at) VALUES (\(m.name), \(now))", logger: logger)
                }
                try await conn.query("COMMIT", logger: logger)
            } catch {
                _ = try? await conn.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }
}
