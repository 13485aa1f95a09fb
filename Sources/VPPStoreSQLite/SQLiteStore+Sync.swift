import Foundation
import GRDB
import VPPCore
import VPPStore

// `vpp sync` on SQLite (issue 14): the district side reads changes after a watermark in one read
// transaction (a consistent snapshot); the city side applies a batch and its new watermark in
// one write transaction. Schema: migration "city-v1-sync".

extension SQLiteStore: SyncSource {
    public func syncBatch(_ stream: SyncStream, after watermark: Int64, limit: Int) async throws -> SyncBatch {
        let limit = max(1, limit)
        return try await read { db in
            var batch = SyncBatch(stream: stream, after: watermark, through: watermark)
            switch stream {
            case .rollups:
                let rows = try Row.fetchAll(db, sql: """
                    SELECT l.seq, l.dong_code, l.hour_start, r.hour_start IS NOT NULL AS present,
                           r.generation_wh, r.consumption_wh, r.charge_wh, r.discharge_wh, r.import_wh, r.export_wh,
                           r.generation_covered_s, r.consumption_covered_s
                    FROM sync_rollup_log l
                    LEFT JOIN rollup_hourly r ON r.dong_code = l.dong_code AND r.hour_start = l.hour_start
                    WHERE l.seq > ? ORDER BY l.seq LIMIT ?
                    """, arguments: [watermark, limit])
                var seen = Set<String>()
                // Newest entry first: a dong-hour logged twice is sent once, with its current value.
                for r in rows.reversed() {
                    let dong: String = r["dong_code"], hour: Int64 = r["hour_start"]
                    guard seen.insert(dong + "|" + String(hour)).inserted else { continue }
                    let present: Bool = r["present"]
                    batch.rollups.append(SyncRollup(dongCode: dong, hourStart: hour, rollup: present ? HourlyRollup(
                        hourStart: hour, generationWh: r["generation_wh"], consumptionWh: r["consumption_wh"], chargeWh: r["charge_wh"],
                        dischargeWh: r["discharge_wh"], importWh: r["import_wh"], exportWh: r["export_wh"],
                        generationCoveredS: r["generation_covered_s"], consumptionCoveredS: r["consumption_covered_s"]) : nil))
                }
                batch.rollups.reverse()
                batch.through = rows.last?["seq"] ?? watermark
            case .uploads:
                let rows = try Row.fetchAll(db, sql: """
                    SELECT id, file_name, sha256, source, kind, received_at, rows_ok, rows_rejected, rows_changed, status, message
                    FROM upload WHERE id > ? ORDER BY id LIMIT ?
                    """, arguments: [watermark, limit])
                batch.uploads = rows.map {
                    SyncUpload(id: $0["id"], fileName: $0["file_name"], sha256: $0["sha256"], source: $0["source"], kind: $0["kind"],
                               receivedAt: $0["received_at"], rowsOK: $0["rows_ok"], rowsRejected: $0["rows_rejected"],
                               rowsChanged: $0["rows_changed"], status: $0["status"], message: $0["message"])
                }
                batch.through = batch.uploads.last?.id ?? watermark
            case .forecasts:
                var rows = 0
                for run in try Row.fetchAll(db, sql: "SELECT * FROM forecast_run WHERE id > ? ORDER BY id", arguments: [watermark]) {
                    if rows >= limit { break }
                    let id: Int64 = run["id"]
                    let values = try Row.fetchAll(db, sql: """
                        SELECT dong_code, quantity, slot_start, duration_s, value_wh FROM forecast WHERE run_id = ?
                        ORDER BY dong_code, quantity, slot_start
                        """, arguments: [id]).map {
                        ForecastValue(dongCode: $0[0], quantity: $0[1], slotStart: $0[2], durationS: $0[3], value: WattHours($0[4]))
                    }
                    batch.forecastRuns.append(SyncForecastRun(id: id, issuedAt: run["issued_at"], kind: run["kind"], horizonS: run["horizon_s"],
                                                              stepS: run["step_s"], model: run["model"], paramsJSON: run["params_json"],
                                                              values: values))
                    rows += 1 + values.count
                    batch.through = id
                }
            case .dispatch:
                // A run still in progress holds the watermark below it, so it is sent once finished.
                let open = try Int64.fetchOne(db, sql: "SELECT MIN(id) FROM dispatch_run WHERE finished_at IS NULL AND id > ?",
                                              arguments: [watermark])
                var rows = 0
                for run in try Row.fetchAll(db, sql: "SELECT * FROM dispatch_run WHERE id > ? AND id < ? ORDER BY id",
                                            arguments: [watermark, open ?? Int64.max]) {
                    if rows >= limit { break }
                    let id: Int64 = run["id"]
                    let schedule = try Row.fetchAll(db, sql: """
                        SELECT battery_id, slot_start, duration_s, charge_w, discharge_w, soc_wh FROM schedule WHERE run_id = ?
                        ORDER BY battery_id, slot_start
                        """, arguments: [id]).map {
                        ScheduleRow(batteryID: $0[0], slotStart: $0[1], durationSeconds: $0[2], chargeW: $0[3], dischargeW: $0[4], socWh: $0[5])
                    }
                    batch.dispatchRuns.append(SyncDispatchRun(
                        id: id, startedAt: run["started_at"], finishedAt: run["finished_at"], status: run["status"], objective: run["objective"],
                        objectiveValue: run["objective_value"], breakdownJSON: run["breakdown_json"], horizonS: run["horizon_s"],
                        stepS: run["step_s"], solveMs: run["solve_ms"], message: run["message"], schedule: schedule))
                    rows += 1 + schedule.count
                    batch.through = id
                }
            }
            return batch
        }
    }
}

extension SQLiteStore: SyncTarget {
    public func syncWatermark(source: String, stream: SyncStream) async throws -> Int64 {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT value FROM sync_watermark WHERE source_site = ? AND stream = ?",
                               arguments: [source, stream.rawValue]) ?? 0
        }
    }

    public func applySyncBatch(source: String, _ batch: SyncBatch, failAfterRows: Int?) async throws -> Int {
        let now = clock.now()
        return try await write { db in
            let stored = try Int64.fetchOne(db, sql: "SELECT value FROM sync_watermark WHERE source_site = ? AND stream = ?",
                                            arguments: [source, batch.stream.rawValue]) ?? 0
            guard stored == batch.after else {
                throw VPPError(.temporary, "sync of \(source) \(batch.stream.rawValue): the city's watermark is \(stored), "
                               + "the batch starts after \(batch.after) (another sync ran at the same time); run vpp sync again")
            }
            var written = 0
            func wrote() throws {
                written += 1
                if let f = failAfterRows, written >= f {
                    throw VPPError(.internal, "sync: injected failure after \(f) rows (test hook)")
                }
            }
            switch batch.stream {
            case .rollups:
                let own = Set(try String.fetchAll(db, sql: "SELECT code FROM dong WHERE site_id = ?", arguments: [source]))
                let upsert = try db.cachedStatement(sql: """
                    INSERT INTO rollup_hourly (dong_code, hour_start, generation_wh, consumption_wh, charge_wh, discharge_wh, import_wh,
                                               export_wh, generation_covered_s, consumption_covered_s)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (dong_code, hour_start) DO UPDATE SET
                      generation_wh = excluded.generation_wh, consumption_wh = excluded.consumption_wh, charge_wh = excluded.charge_wh,
                      discharge_wh = excluded.discharge_wh, import_wh = excluded.import_wh, export_wh = excluded.export_wh,
                      generation_covered_s = excluded.generation_covered_s, consumption_covered_s = excluded.consumption_covered_s
                    """)
                let delete = try db.cachedStatement(sql: "DELETE FROM rollup_hourly WHERE dong_code = ? AND hour_start = ?")
                for r in batch.rollups {
                    guard own.contains(r.dongCode) else {
                        throw VPPError(.badData, "sync from \(source): dong \(r.dongCode) is not a dong of site \(source) in the city store")
                    }
                    if let x = r.rollup {
                        try upsert.execute(arguments: [r.dongCode, r.hourStart, x.generationWh, x.consumptionWh, x.chargeWh, x.dischargeWh,
                                                       x.importWh, x.exportWh, x.generationCoveredS, x.consumptionCoveredS])
                    } else {
                        try delete.execute(arguments: [r.dongCode, r.hourStart])
                    }
                    try wrote()
                }
            case .uploads:
                let stmt = try db.cachedStatement(sql: """
                    INSERT OR REPLACE INTO city_upload (site_id, upload_id, file_name, sha256, source, kind, received_at, rows_ok,
                                                        rows_rejected, rows_changed, status, message)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for u in batch.uploads {
                    try stmt.execute(arguments: [source, u.id, u.fileName, u.sha256, u.source, u.kind, u.receivedAt, u.rowsOK, u.rowsRejected,
                                                 u.rowsChanged, u.status, u.message])
                    try wrote()
                }
            case .forecasts:
                let value = try db.cachedStatement(sql: """
                    INSERT INTO city_forecast (site_id, run_id, dong_code, quantity, slot_start, duration_s, value_wh) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
                for run in batch.forecastRuns {
                    try db.execute(sql: "DELETE FROM city_forecast WHERE site_id = ? AND run_id = ?", arguments: [source, run.id])
                    try db.execute(sql: """
                        INSERT OR REPLACE INTO city_forecast_run (site_id, run_id, issued_at, kind, horizon_s, step_s, model, params_json)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [source, run.id, run.issuedAt, run.kind, run.horizonS, run.stepS, run.model, run.paramsJSON])
                    try wrote()
                    for v in run.values {
                        try value.execute(arguments: [source, run.id, v.dongCode, v.quantity, v.slotStart, v.durationS, v.value.wh])
                        try wrote()
                    }
                }
            case .dispatch:
                let slot = try db.cachedStatement(sql: """
                    INSERT INTO city_schedule (site_id, run_id, battery_id, slot_start, duration_s, charge_w, discharge_w, soc_wh)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for run in batch.dispatchRuns {
                    try db.execute(sql: "DELETE FROM city_schedule WHERE site_id = ? AND run_id = ?", arguments: [source, run.id])
                    try db.execute(sql: """
                        INSERT OR REPLACE INTO city_dispatch_run (site_id, run_id, started_at, finished_at, status, objective, objective_value,
                                                                  breakdown_json, horizon_s, step_s, solve_ms, message)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [source, run.id, run.startedAt, run.finishedAt, run.status, run.objective, run.objectiveValue,
                                         run.breakdownJSON, run.horizonS, run.stepS, run.solveMs, run.message])
                    try wrote()
                    for s in run.schedule {
                        try slot.execute(arguments: [source, run.id, s.batteryID, s.slotStart, s.durationSeconds, s.chargeW, s.dischargeW, s.socWh])
                        try wrote()
                    }
                }
            }
            try db.execute(sql: """
                INSERT INTO sync_watermark (source_site, stream, value, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (source_site, stream) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """, arguments: [source, batch.stream.rawValue, batch.through, now])
            if batch.stream == .rollups { try Self.refreshMonthlySums(db) }
            return written
        }
    }
}
