import GRDB

/// The store's schema as named, append-only migrations (design.md §3).
///
/// Never edit a migration that has shipped: add a new one at the end of `migrator`.
/// Conventions: times are UTC epoch seconds (INTEGER), energies integer Wh, powers W (REAL),
/// dong codes the 10-digit administrative code. `reading` and `rollup_hourly` are WITHOUT ROWID
/// tables keyed by what makes a row unique, so a re-upload is an upsert, not a duplicate.
/// `reading.asset_id` deliberately has no foreign key: ingestion maps every row to a known
/// asset before it writes, and a per-row FK probe would halve bulk-insert throughput.
public enum VPPMigrations {
    public static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("core-v1-schema") { db in
            try db.execute(sql: """
                CREATE TABLE site (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    name_ko TEXT NOT NULL,
                    sigungu_code TEXT NOT NULL,
                    config_json TEXT NOT NULL,
                    config_sha256 TEXT NOT NULL,
                    loaded_at INTEGER NOT NULL
                );
                CREATE TABLE dong (
                    code TEXT PRIMARY KEY NOT NULL,
                    site_id TEXT NOT NULL REFERENCES site(id),
                    name_ko TEXT NOT NULL,
                    name TEXT NOT NULL,
                    latitude_deg REAL NOT NULL,
                    longitude_deg REAL NOT NULL,
                    households INTEGER NOT NULL CHECK (households >= 0),
                    population INTEGER NOT NULL,
                    area_km2 REAL NOT NULL,
                    import_limit_kw REAL NOT NULL,
                    export_limit_kw REAL NOT NULL,
                    active INTEGER NOT NULL DEFAULT 1
                );
                CREATE TABLE asset (
                    id TEXT PRIMARY KEY NOT NULL,
                    site_id TEXT NOT NULL REFERENCES site(id),
                    dong_code TEXT NOT NULL REFERENCES dong(code),
                    kind TEXT NOT NULL CHECK (kind IN ('pv_fleet', 'meter', 'battery')),
                    params_json TEXT NOT NULL,
                    active INTEGER NOT NULL DEFAULT 1
                );
                CREATE INDEX asset_dong ON asset(dong_code);
                CREATE TABLE config_change (
                    id INTEGER PRIMARY KEY,
                    site_id TEXT NOT NULL,
                    changed_at INTEGER NOT NULL,
                    entity TEXT NOT NULL,
                    entity_id TEXT NOT NULL,
                    change TEXT NOT NULL CHECK (change IN ('added', 'updated', 'removed')),
                    detail TEXT NOT NULL
                );
                CREATE TABLE upload (
                    id INTEGER PRIMARY KEY,
                    file_name TEXT NOT NULL,
                    sha256 TEXT NOT NULL UNIQUE,
                    source TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    rows_ok INTEGER NOT NULL DEFAULT 0,
                    rows_rejected INTEGER NOT NULL DEFAULT 0,
                    rows_changed INTEGER NOT NULL DEFAULT 0,
                    status TEXT NOT NULL,
                    message TEXT
                );
                CREATE TABLE reading (
                    asset_id TEXT NOT NULL,
                    slot_start INTEGER NOT NULL,
                    duration_s INTEGER NOT NULL CHECK (duration_s > 0),
                    energy_wh INTEGER NOT NULL,
                    quality INTEGER NOT NULL DEFAULT 0,
                    upload_id INTEGER,
                    PRIMARY KEY (asset_id, slot_start, duration_s)
                ) WITHOUT ROWID;
                CREATE TABLE reading_change (
                    id INTEGER PRIMARY KEY,
                    upload_id INTEGER NOT NULL REFERENCES upload(id),
                    asset_id TEXT NOT NULL,
                    slot_start INTEGER NOT NULL,
                    duration_s INTEGER NOT NULL,
                    old_wh INTEGER NOT NULL,
                    new_wh INTEGER NOT NULL
                );
                CREATE TABLE register_reading (
                    asset_id TEXT NOT NULL,
                    unit TEXT NOT NULL,
                    period TEXT NOT NULL,
                    previous_register REAL,
                    current_register REAL NOT NULL,
                    usage_wh INTEGER NOT NULL,
                    flag TEXT,
                    upload_id INTEGER NOT NULL REFERENCES upload(id),
                    PRIMARY KEY (asset_id, unit, period)
                );
                CREATE TABLE rejected_row (
                    id INTEGER PRIMARY KEY,
                    upload_id INTEGER NOT NULL REFERENCES upload(id),
                    line INTEGER NOT NULL,
                    "column" INTEGER,
                    raw TEXT NOT NULL,
                    reason TEXT NOT NULL
                );
                CREATE INDEX rejected_row_upload ON rejected_row(upload_id, line);
                CREATE TABLE rollup_hourly (
                    dong_code TEXT NOT NULL,
                    hour_start INTEGER NOT NULL,
                    generation_wh INTEGER NOT NULL DEFAULT 0,
                    consumption_wh INTEGER NOT NULL DEFAULT 0,
                    charge_wh INTEGER NOT NULL DEFAULT 0,
                    discharge_wh INTEGER NOT NULL DEFAULT 0,
                    import_wh INTEGER NOT NULL DEFAULT 0,
                    export_wh INTEGER NOT NULL DEFAULT 0,
                    generation_covered_s INTEGER NOT NULL DEFAULT 0,
                    consumption_covered_s INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (dong_code, hour_start)
                ) WITHOUT ROWID;
                CREATE TABLE forecast_run (
                    id INTEGER PRIMARY KEY,
                    issued_at INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    horizon_s INTEGER NOT NULL,
                    step_s INTEGER NOT NULL,
                    model TEXT NOT NULL,
                    params_json TEXT NOT NULL DEFAULT '{}'
                );
                CREATE TABLE forecast (
                    run_id INTEGER NOT NULL REFERENCES forecast_run(id),
                    dong_code TEXT NOT NULL,
                    quantity TEXT NOT NULL CHECK (quantity IN ('pv', 'load')),
                    slot_start INTEGER NOT NULL,
                    duration_s INTEGER NOT NULL,
                    value_wh INTEGER NOT NULL,
                    PRIMARY KEY (run_id, dong_code, quantity, slot_start)
                ) WITHOUT ROWID;
                CREATE TABLE forecast_model (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    trained_at INTEGER NOT NULL,
                    train_from INTEGER NOT NULL,
                    train_to INTEGER NOT NULL,
                    params_json TEXT NOT NULL
                );
                CREATE TABLE weather_cache (
                    key TEXT PRIMARY KEY NOT NULL,
                    fetched_at INTEGER NOT NULL,
                    body BLOB NOT NULL
                );
                CREATE TABLE dispatch_run (
                    id INTEGER PRIMARY KEY,
                    started_at INTEGER NOT NULL,
                    finished_at INTEGER,
                    status TEXT NOT NULL,
                    objective TEXT NOT NULL,
                    objective_value REAL,
                    breakdown_json TEXT NOT NULL DEFAULT '{}',
                    horizon_s INTEGER NOT NULL,
                    step_s INTEGER NOT NULL,
                    solve_ms REAL,
                    message TEXT
                );
                CREATE TABLE schedule (
                    run_id INTEGER NOT NULL REFERENCES dispatch_run(id),
                    battery_id TEXT NOT NULL,
                    slot_start INTEGER NOT NULL,
                    duration_s INTEGER NOT NULL,
                    charge_w REAL NOT NULL,
                    discharge_w REAL NOT NULL,
                    soc_wh INTEGER NOT NULL,
                    PRIMARY KEY (run_id, battery_id, slot_start)
                ) WITHOUT ROWID;
                """)
        }
        // Append new migrations below this line, never above.
        // Ingestion (issue 3): XpERP billing columns F–Z kept as read; change log looked up by upload.
        m.registerMigration("ingest-v1-billing-columns") { db in
            try db.execute(sql: """
                ALTER TABLE register_reading ADD COLUMN billing_json TEXT;
                CREATE INDEX reading_change_upload ON reading_change(upload_id);
                """)
        }
        // Server (issue 7): API bearer tokens (salted HMAC-SHA256 only, never the token), the audit
        // trail of every upload and token action, and which token made which upload.
        m.registerMigration("auth-v1-tokens-audit") { db in
            try db.execute(sql: """
                CREATE TABLE api_token (
                    id INTEGER PRIMARY KEY,
                    key_id TEXT NOT NULL UNIQUE,
                    salt BLOB NOT NULL,
                    secret_hmac BLOB NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('office', 'operator')),
                    office TEXT,
                    complexes_json TEXT NOT NULL DEFAULT '[]',
                    created_at INTEGER NOT NULL,
                    revoked_at INTEGER,
                    CHECK (role = 'operator' OR office IS NOT NULL)
                );
                CREATE TABLE audit_log (
                    id INTEGER PRIMARY KEY,
                    at INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    token_id INTEGER,
                    action TEXT NOT NULL,
                    target TEXT,
                    outcome TEXT NOT NULL,
                    detail TEXT NOT NULL DEFAULT ''
                );
                CREATE INDEX audit_log_at ON audit_log(at);
                CREATE TABLE upload_owner (
                    upload_id INTEGER PRIMARY KEY NOT NULL REFERENCES upload(id),
                    token_id INTEGER NOT NULL REFERENCES api_token(id),
                    office TEXT,
                    complex TEXT
                );
                CREATE INDEX upload_owner_token ON upload_owner(token_id);
                """)
        }
        // Hardening (issue 15): upload idempotency keyed per owner on (bytes, kind, interpretation
        // parameters, target) instead of bytes alone. `upload.sha256` loses its UNIQUE constraint,
        // which SQLite can only drop by rebuilding the table (foreign keys are off during a migration
        // and checked before it commits). `idempotency_key` is NULL for an upload that accepted no
        // row, so it never blocks a retry; uploads from before this migration get NULL too (their
        // parameters are unknown; ingesting their bytes again is an upsert). `upload_file` keeps the
        // original bytes of uploads that need a retry (bounded per file); `reading_change` learns
        // which upload and quality a change replaced, so `vpp uploads delete` can restore them.
        // No index on reading(upload_id): it would slow every bulk ingest for the sake of a rare
        // operator delete, which scans instead.
        m.registerMigration("hardening-v1-upload-key") { db in
            try db.execute(sql: """
                CREATE TABLE upload_new (
                    id INTEGER PRIMARY KEY,
                    file_name TEXT NOT NULL,
                    sha256 TEXT NOT NULL,
                    source TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    rows_ok INTEGER NOT NULL DEFAULT 0,
                    rows_rejected INTEGER NOT NULL DEFAULT 0,
                    rows_changed INTEGER NOT NULL DEFAULT 0,
                    status TEXT NOT NULL,
                    message TEXT,
                    owner TEXT NOT NULL,
                    params TEXT NOT NULL,
                    idempotency_key TEXT,
                    original_path TEXT,
                    retry_of INTEGER REFERENCES upload(id) ON DELETE SET NULL
                );
                INSERT INTO upload_new (id, file_name, sha256, source, kind, received_at, rows_ok, rows_rejected, rows_changed,
                                        status, message, owner, params, idempotency_key)
                  SELECT id, file_name, sha256, source, kind, received_at, rows_ok, rows_rejected, rows_changed,
                         status, message, source, 'unknown (before hardening-v1-upload-key)', NULL FROM upload;
                DROP TABLE upload;
                ALTER TABLE upload_new RENAME TO upload;
                CREATE UNIQUE INDEX upload_idempotency_key ON upload(idempotency_key);
                CREATE INDEX upload_sha256 ON upload(sha256);
                CREATE TABLE upload_file (
                    upload_id INTEGER PRIMARY KEY NOT NULL REFERENCES upload(id) ON DELETE CASCADE,
                    bytes BLOB NOT NULL
                );
                ALTER TABLE reading_change ADD COLUMN old_upload_id INTEGER;
                ALTER TABLE reading_change ADD COLUMN old_quality INTEGER;
                CREATE INDEX register_reading_upload ON register_reading(upload_id);
                CREATE INDEX reading_change_old_upload ON reading_change(old_upload_id);
                """)
        }
        // Hardening (issue 15): rows an operator must look at before they count (a register that
        // went down with no usage given, a 호 that looks like a typo, a ~1000× step in a series). `open` until resolved;
        // `candidate_usage_wh` is what accepting the row would store.
        m.registerMigration("hardening-v1-review") { db in
            try db.execute(sql: """
                CREATE TABLE review_item (
                    id INTEGER PRIMARY KEY,
                    upload_id INTEGER NOT NULL REFERENCES upload(id),
                    line INTEGER NOT NULL,
                    "column" INTEGER,
                    raw TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('register_wrap', 'household_label', 'unit_switch')),
                    asset_id TEXT NOT NULL,
                    unit TEXT,
                    period TEXT,
                    previous_register REAL,
                    current_register REAL,
                    candidate_usage_wh INTEGER,
                    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'accepted', 'rejected')),
                    resolved_at INTEGER,
                    resolved_by TEXT,
                    note TEXT
                );
                CREATE INDEX review_item_upload ON review_item(upload_id);
                CREATE INDEX review_item_state ON review_item(state);
                """)
        }
        // Battery telemetry (issue 12): one row per battery and reported instant [UTC epoch s];
        // SoC [Wh], AC power [W] (> 0 discharge, < 0 charge), optional cumulative counters [Wh].
        // A re-sent instant replaces the row (the upload that wrote it last is kept); deleting
        // the upload removes its rows.
        m.registerMigration("telemetry-v1") { db in
            try db.execute(sql: """
                CREATE TABLE battery_telemetry (
                    battery_id TEXT NOT NULL,
                    measured_at INTEGER NOT NULL,
                    soc_wh INTEGER NOT NULL CHECK (soc_wh >= 0),
                    power_w INTEGER NOT NULL,
                    charged_wh INTEGER,
                    discharged_wh INTEGER,
                    upload_id INTEGER NOT NULL REFERENCES upload(id) ON DELETE CASCADE,
                    PRIMARY KEY (battery_id, measured_at)
                ) WITHOUT ROWID;
                CREATE INDEX battery_telemetry_upload ON battery_telemetry(upload_id);
                """)
        }
        // Battery tokens (issue 12): role `battery`, scoped to battery asset ids (kept in
        // `complexes_json`). SQLite cannot change a CHECK in place: the table is rebuilt (foreign
        // keys are off during a migration and checked before it commits; ids are kept).
        m.registerMigration("telemetry-v1-battery-tokens") { db in
            try db.execute(sql: """
                CREATE TABLE api_token_new (
                    id INTEGER PRIMARY KEY,
                    key_id TEXT NOT NULL UNIQUE,
                    salt BLOB NOT NULL,
                    secret_hmac BLOB NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('office', 'operator', 'battery')),
                    office TEXT,
                    complexes_json TEXT NOT NULL DEFAULT '[]',
                    created_at INTEGER NOT NULL,
                    revoked_at INTEGER,
                    CHECK (role <> 'office' OR office IS NOT NULL)
                );
                INSERT INTO api_token_new (id, key_id, salt, secret_hmac, role, office, complexes_json, created_at, revoked_at)
                  SELECT id, key_id, salt, secret_hmac, role, office, complexes_json, created_at, revoked_at FROM api_token;
                DROP TABLE api_token;
                ALTER TABLE api_token_new RENAME TO api_token;
                """)
        }
        // Heat-wave resilience (issue 17): KMA special reports (기상특보) by area and window, the raw
        // KMA replies as received, and what each dispatch run did about the shelters' reserve
        // (fallback to the best achievable reserve, slots short, required and planned energy in Wh).
        m.registerMigration("resilience-v1-alerts") { db in
            try db.execute(sql: """
                CREATE TABLE weather_alert (
                    id INTEGER PRIMARY KEY,
                    area TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    level TEXT NOT NULL CHECK (level IN ('none', 'advisory', 'warning')),
                    from_epoch INTEGER NOT NULL,
                    to_epoch INTEGER NOT NULL CHECK (to_epoch > from_epoch),
                    source TEXT NOT NULL,
                    issued_at INTEGER,
                    imported_at INTEGER NOT NULL,
                    UNIQUE (area, kind, level, from_epoch, to_epoch)
                );
                CREATE INDEX weather_alert_window ON weather_alert(from_epoch, to_epoch);
                CREATE TABLE alert_reply (
                    key TEXT PRIMARY KEY NOT NULL,
                    fetched_at INTEGER NOT NULL,
                    body BLOB NOT NULL
                );
                CREATE TABLE shelter_outcome (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER REFERENCES dispatch_run(id),
                    recorded_at INTEGER NOT NULL,
                    fallback INTEGER NOT NULL,
                    note TEXT NOT NULL
                );
                CREATE TABLE shelter_shortfall (
                    outcome_id INTEGER NOT NULL REFERENCES shelter_outcome(id) ON DELETE CASCADE,
                    shelter_id TEXT NOT NULL,
                    slot_start INTEGER NOT NULL,
                    required_wh INTEGER NOT NULL CHECK (required_wh >= 0),
                    planned_wh INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    PRIMARY KEY (outcome_id, shelter_id, slot_start)
                );
                """)
        }
        // Forecast v2 (issue 11): forecast weather per KMA grid cell and issue (base) time, so a past
        // forecast can be recomputed and models trained on what was forecast at the time. Times are
        // UTC epoch s; values in the KMA units named in the columns. One row per (cell, valid, base):
        // a re-import is idempotent. Each import and the rows it rejected (with reasons) are kept.
        m.registerMigration("forecast-v2-weather-archive") { db in
            try db.execute(sql: """
                CREATE TABLE weather_forecast (
                    nx INTEGER NOT NULL,
                    ny INTEGER NOT NULL,
                    valid_time INTEGER NOT NULL,
                    base_time INTEGER NOT NULL,
                    tmp_c REAL NOT NULL,
                    reh_pct REAL NOT NULL,
                    wsd_ms REAL NOT NULL,
                    sky REAL NOT NULL,
                    pty INTEGER NOT NULL,
                    pop_pct REAL,
                    import_id INTEGER NOT NULL,
                    PRIMARY KEY (nx, ny, valid_time, base_time)
                ) WITHOUT ROWID;
                CREATE TABLE weather_import (
                    id INTEGER PRIMARY KEY,
                    source TEXT NOT NULL,
                    imported_at INTEGER NOT NULL,
                    rows_added INTEGER NOT NULL,
                    rows_unchanged INTEGER NOT NULL,
                    rows_rejected INTEGER NOT NULL
                );
                CREATE TABLE weather_reject (
                    import_id INTEGER NOT NULL REFERENCES weather_import(id) ON DELETE CASCADE,
                    line INTEGER NOT NULL,
                    raw TEXT NOT NULL,
                    reason TEXT NOT NULL
                );
                CREATE INDEX weather_reject_import ON weather_reject(import_id);
                """)
        }
        // OpenADR 3 VTN (issue 13): every object's API JSON with the columns the API filters on;
        // targets in their own table (indexed lookups for a VEN's events); VEN report samples until
        // the battery telemetry store takes them. `api_token` is rebuilt for the `ven` role (VEN
        // name in `office`, its resource = battery ids in `complexes_json`); the CHECK also admits
        // issue 12's `battery` role so either migration order leaves both roles valid.
        m.registerMigration("openadr-v1") { db in
            try db.execute(sql: """
                CREATE TABLE openadr_object (
                    id TEXT PRIMARY KEY NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('PROGRAM', 'EVENT', 'REPORT', 'SUBSCRIPTION', 'VEN', 'RESOURCE')),
                    program_id TEXT,
                    ven_id TEXT,
                    client_id TEXT,
                    name TEXT,
                    body_json TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    modified_at INTEGER NOT NULL,
                    modification_number INTEGER NOT NULL DEFAULT 0,
                    source_key TEXT UNIQUE,
                    UNIQUE (kind, name)
                );
                CREATE INDEX openadr_object_kind ON openadr_object(kind, created_at, id);
                CREATE INDEX openadr_object_program ON openadr_object(program_id);
                CREATE INDEX openadr_object_ven ON openadr_object(ven_id);
                CREATE TABLE openadr_target (
                    object_id TEXT NOT NULL REFERENCES openadr_object(id) ON DELETE CASCADE,
                    target TEXT NOT NULL,
                    PRIMARY KEY (target, object_id)
                ) WITHOUT ROWID;
                CREATE INDEX openadr_target_object ON openadr_target(object_id);
                CREATE TABLE openadr_report_sample (
                    battery_id TEXT NOT NULL,
                    measured_at INTEGER NOT NULL,
                    soc_wh INTEGER NOT NULL CHECK (soc_wh >= 0),
                    power_w INTEGER,
                    report_id TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    PRIMARY KEY (battery_id, measured_at)
                ) WITHOUT ROWID;
                CREATE TABLE api_token_new (
                    id INTEGER PRIMARY KEY,
                    key_id TEXT NOT NULL UNIQUE,
                    salt BLOB NOT NULL,
                    secret_hmac BLOB NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('office', 'operator', 'battery', 'ven')),
                    office TEXT,
                    complexes_json TEXT NOT NULL DEFAULT '[]',
                    created_at INTEGER NOT NULL,
                    revoked_at INTEGER,
                    CHECK (role NOT IN ('office', 'ven') OR office IS NOT NULL)
                );
                INSERT INTO api_token_new (id, key_id, salt, secret_hmac, role, office, complexes_json, created_at, revoked_at)
                  SELECT id, key_id, salt, secret_hmac, role, office, complexes_json, created_at, revoked_at FROM api_token;
                DROP TABLE api_token;
                ALTER TABLE api_token_new RENAME TO api_token;
                """)
        }
        // VEN reports become battery telemetry through the ingest path (issue 13): a report may
        // carry the state of charge without power, so `battery_telemetry.power_w` becomes nullable
        // (table rebuilt; SQLite cannot drop NOT NULL in place). Samples kept in
        // `openadr_report_sample` move into `battery_telemetry` under one upload record
        // (source `openadr`, kind telemetry), a stored instant winning over a VEN sample; the
        // side table is dropped.
        m.registerMigration("openadr-v2-reports-as-telemetry") { db in
            try db.execute(sql: """
                CREATE TABLE battery_telemetry_new (
                    battery_id TEXT NOT NULL,
                    measured_at INTEGER NOT NULL,
                    soc_wh INTEGER NOT NULL CHECK (soc_wh >= 0),
                    power_w INTEGER,
                    charged_wh INTEGER,
                    discharged_wh INTEGER,
                    upload_id INTEGER NOT NULL REFERENCES upload(id) ON DELETE CASCADE,
                    PRIMARY KEY (battery_id, measured_at)
                ) WITHOUT ROWID;
                INSERT INTO battery_telemetry_new SELECT battery_id, measured_at, soc_wh, power_w, charged_wh, discharged_wh, upload_id
                  FROM battery_telemetry;
                DROP TABLE battery_telemetry;
                ALTER TABLE battery_telemetry_new RENAME TO battery_telemetry;
                CREATE INDEX battery_telemetry_upload ON battery_telemetry(upload_id);
                INSERT INTO upload (file_name, sha256, source, kind, received_at, rows_ok, status, owner, params)
                  SELECT 'OpenADR report samples (moved by openadr-v2-reports-as-telemetry)', 'openadr-v2-migration', 'openadr',
                         'telemetry', MAX(received_at), COUNT(*), 'ok', 'openadr', 'telemetry-samples'
                  FROM openadr_report_sample HAVING COUNT(*) > 0;
                INSERT OR IGNORE INTO battery_telemetry (battery_id, measured_at, soc_wh, power_w, upload_id)
                  SELECT battery_id, measured_at, soc_wh, power_w,
                         (SELECT MAX(id) FROM upload WHERE sha256 = 'openadr-v2-migration') FROM openadr_report_sample;
                DROP TABLE openadr_report_sample;
                """)
        }
        // The newest plan per (battery, slot) — tracking's plan vs actual, the report's planned SoC,
        // the plant simulator's start state — is read by battery and slot range; the primary key
        // leads with run_id, so those reads scanned the whole schedule (every run's slots). In the
        // demo week (168 runs × 14 batteries × 96 slots) the hourly simulator's 14 such reads made
        // each simulated day slower than the one before.
        m.registerMigration("dispatch-v2-schedule-by-battery") { db in
            try db.execute(sql: "CREATE INDEX schedule_battery_slot ON schedule(battery_id, slot_start, run_id)")
        }
        // City (issue 14): many districts in one store, and `vpp sync` from a district to the city.
        // `sync_rollup_log` records every dong-hour whose rollup was written or removed (triggers,
        // so every writer — ingest, upload delete, sample data, sync itself — is covered); it is
        // seeded with the rollups already stored, so the first sync sends them all. The city side
        // keeps one watermark per source site and stream, and the district records it receives
        // keyed by (site, source id): ids of different districts collide. `seq` is a plain rowid (no
        // AUTOINCREMENT: a third of the trigger's cost); it only grows because log rows are never deleted.
        m.registerMigration("city-v1-sync") { db in
            try db.execute(sql: """
                CREATE TABLE sync_rollup_log (
                    seq INTEGER PRIMARY KEY,
                    dong_code TEXT NOT NULL,
                    hour_start INTEGER NOT NULL
                );
                INSERT INTO sync_rollup_log (dong_code, hour_start)
                  SELECT dong_code, hour_start FROM rollup_hourly ORDER BY dong_code, hour_start;
                CREATE TRIGGER sync_rollup_insert AFTER INSERT ON rollup_hourly BEGIN
                  INSERT INTO sync_rollup_log (dong_code, hour_start) VALUES (NEW.dong_code, NEW.hour_start);
                END;
                CREATE TRIGGER sync_rollup_update AFTER UPDATE ON rollup_hourly BEGIN
                  INSERT INTO sync_rollup_log (dong_code, hour_start) VALUES (NEW.dong_code, NEW.hour_start);
                END;
                CREATE TRIGGER sync_rollup_delete AFTER DELETE ON rollup_hourly BEGIN
                  INSERT INTO sync_rollup_log (dong_code, hour_start) VALUES (OLD.dong_code, OLD.hour_start);
                END;
                CREATE TABLE sync_watermark (
                    source_site TEXT NOT NULL,
                    stream TEXT NOT NULL CHECK (stream IN ('rollups', 'uploads', 'forecasts', 'dispatch')),
                    value INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    PRIMARY KEY (source_site, stream)
                ) WITHOUT ROWID;
                CREATE TABLE city_upload (
                    site_id TEXT NOT NULL,
                    upload_id INTEGER NOT NULL,
                    file_name TEXT NOT NULL,
                    sha256 TEXT NOT NULL,
                    source TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    rows_ok INTEGER NOT NULL,
                    rows_rejected INTEGER NOT NULL,
                    rows_changed INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    message TEXT,
                    PRIMARY KEY (site_id, upload_id)
                ) WITHOUT ROWID;
                CREATE TABLE city_forecast_run (
                    site_id TEXT NOT NULL,
                    run_id INTEGER NOT NULL,
                    issued_at INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    horizon_s INTEGER NOT NULL,
                    step_s INTEGER NOT NULL,
                    model TEXT NOT NULL,
                    params_json TEXT NOT NULL,
                    PRIMARY KEY (site_id, run_id)
                ) WITHOUT ROWID;
                CREATE TABLE city_forecast (
                    site_id TEXT NOT NULL,
                    run_id INTEGER NOT NULL,
                    dong_code TEXT NOT NULL,
                    quantity TEXT NOT NULL,
                    slot_start INTEGER NOT NULL,
                    duration_s INTEGER NOT NULL,
                    value_wh INTEGER NOT NULL,
                    PRIMARY KEY (site_id, run_id, dong_code, quantity, slot_start)
                ) WITHOUT ROWID;
                CREATE TABLE city_dispatch_run (
                    site_id TEXT NOT NULL,
                    run_id INTEGER NOT NULL,
                    started_at INTEGER NOT NULL,
                    finished_at INTEGER,
                    status TEXT NOT NULL,
                    objective TEXT NOT NULL,
                    objective_value REAL,
                    breakdown_json TEXT NOT NULL,
                    horizon_s INTEGER NOT NULL,
                    step_s INTEGER NOT NULL,
                    solve_ms REAL,
                    message TEXT,
                    PRIMARY KEY (site_id, run_id)
                ) WITHOUT ROWID;
                CREATE TABLE city_schedule (
                    site_id TEXT NOT NULL,
                    run_id INTEGER NOT NULL,
                    battery_id TEXT NOT NULL,
                    slot_start INTEGER NOT NULL,
                    duration_s INTEGER NOT NULL,
                    charge_w REAL NOT NULL,
                    discharge_w REAL NOT NULL,
                    soc_wh INTEGER NOT NULL,
                    PRIMARY KEY (site_id, run_id, battery_id, slot_start)
                ) WITHOUT ROWID;
                """)
        }
        // City (issue 14): every dong's totals per KST month, kept by triggers in the same transaction
        // as the hourly rollups they sum (any writer), so a city-year report reads ~12 rows per dong
        // instead of ~8,760. `hours` counts the dong's hourly rollup rows in the month. Seeded from
        // the rollups already stored.
        m.registerMigration("city-v1-rollup-monthly") { db in
            let kstMonth = { (row: String) in "strftime('%Y-%m', \(row).hour_start + 32400, 'unixepoch')" }
            let sums = ["generation_wh", "consumption_wh", "charge_wh", "discharge_wh", "import_wh", "export_wh"]
            let columns = sums.joined(separator: ", ")
            let add = """
                INSERT INTO rollup_monthly (dong_code, month, hours, \(columns))
                  VALUES (NEW.dong_code, \(kstMonth("NEW")), 1, \(sums.map { "NEW." + $0 }.joined(separator: ", ")))
                  ON CONFLICT (dong_code, month) DO UPDATE SET hours = hours + 1,
                    \(sums.map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ",\n    "));
                """
            let subtract = """
                UPDATE rollup_monthly SET hours = hours - 1,
                    \(sums.map { "\($0) = \($0) - OLD.\($0)" }.joined(separator: ",\n    "))
                  WHERE dong_code = OLD.dong_code AND month = \(kstMonth("OLD"));
                """
            try db.execute(sql: """
                CREATE TABLE rollup_monthly (
                    dong_code TEXT NOT NULL,
                    month TEXT NOT NULL,
                    hours INTEGER NOT NULL,
                    \(sums.map { $0 + " INTEGER NOT NULL" }.joined(separator: ",\n    ")),
                    PRIMARY KEY (dong_code, month)
                ) WITHOUT ROWID;
                INSERT INTO rollup_monthly (dong_code, month, hours, \(columns))
                  SELECT dong_code, \(kstMonth("rollup_hourly")), COUNT(*), \(sums.map { "SUM(\($0))" }.joined(separator: ", "))
                  FROM rollup_hourly GROUP BY 1, 2;
                CREATE TRIGGER rollup_monthly_insert AFTER INSERT ON rollup_hourly BEGIN
                \(add)
                END;
                CREATE TRIGGER rollup_monthly_update AFTER UPDATE ON rollup_hourly BEGIN
                \(subtract)
                \(add)
                END;
                CREATE TRIGGER rollup_monthly_delete AFTER DELETE ON rollup_hourly BEGIN
                \(subtract)
                END;
                """)
        }
        // The per-month sums stop being kept by triggers on every rollup write (three more statements
        // per dong-hour upsert slowed interval ingest by about a third): they are refreshed when read,
        // from the rollup change log (`sync_rollup_log`, which every rollup write already feeds),
        // recomputing only the dong-months changed since the last refresh. The sums are exact at
        // this point (the triggers kept them), so the refresh starts at the log's current end.
        m.registerMigration("city-v2-rollup-monthly-on-read") { db in
            try db.execute(sql: """
                DROP TRIGGER rollup_monthly_insert;
                DROP TRIGGER rollup_monthly_update;
                DROP TRIGGER rollup_monthly_delete;
                CREATE TABLE rollup_monthly_refresh (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    log_seq INTEGER NOT NULL
                );
                INSERT INTO rollup_monthly_refresh (id, log_seq) SELECT 1, COALESCE(MAX(seq), 0) FROM sync_rollup_log;
                """)
        }
        // Dashboard (issue 16): every setpoint file `vpp dispatch run` writes to the outbox, one row per
        // run and battery, so the battery page can show file-outbox delivery next to OpenADR events.
        m.registerMigration("dash-v1-setpoint-delivery") { db in
            try db.execute(sql: """
                CREATE TABLE setpoint_delivery (
                    run_id INTEGER NOT NULL REFERENCES dispatch_run(id),
                    battery_id TEXT NOT NULL,
                    path TEXT NOT NULL,
                    written_at INTEGER NOT NULL,
                    slots INTEGER NOT NULL CHECK (slots >= 0),
                    first_slot_start INTEGER NOT NULL,
                    last_slot_end INTEGER NOT NULL,
                    PRIMARY KEY (run_id, battery_id)
                ) WITHOUT ROWID;
                CREATE INDEX setpoint_delivery_battery ON setpoint_delivery(battery_id, written_at);
                """)
        }
        // Several districts in one store: forecast and dispatch runs name their site (NULL: a run
        // made before, kept as it was unless the store holds one site, which it then belongs to).
        m.registerMigration("city-v3-run-site") { db in
            try db.execute(sql: """
                ALTER TABLE forecast_run ADD COLUMN site_id TEXT;
                ALTER TABLE dispatch_run ADD COLUMN site_id TEXT;
                UPDATE forecast_run SET site_id = (SELECT MIN(id) FROM site) WHERE (SELECT COUNT(*) FROM site) = 1;
                UPDATE dispatch_run SET site_id = (SELECT MIN(id) FROM site) WHERE (SELECT COUNT(*) FROM site) = 1;
                CREATE INDEX forecast_run_site ON forecast_run(site_id, issued_at);
                CREATE INDEX dispatch_run_site ON dispatch_run(site_id, id);
                """)
        }
        return m
    }
}
