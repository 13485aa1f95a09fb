import Foundation
import GRDB
import VPPCore
import VPPStore
import VPPAuth

extension SQLiteStore {
    /// The latest-planned state of charge of each battery: for every (battery, slot) in
    /// [from, to) the `soc_wh` of the dispatch run with the highest id that planned that slot.
    public func plannedSoC(batteryIDs: [String], from: Int64, to: Int64) async throws
        -> [(batteryID: String, slotStart: Int64, socWh: Int64)]
    {
        guard !batteryIDs.isEmpty else { return [] }
        return try await read { db in
            let marks = batteryIDs.map { _ in "?" }.joined(separator: ", ")
            // SQLite: with MAX(), bare columns come from the row holding the maximum.
            let rows = try Row.fetchAll(db, sql: """
                SELECT battery_id, slot_start, soc_wh, MAX(run_id) FROM schedule
                WHERE battery_id IN (\(marks)) AND slot_start >= ? AND slot_start < ?
                GROUP BY battery_id, slot_start ORDER BY battery_id, slot_start
                """, arguments: StatementArguments(batteryIDs.map { $0.databaseValue } + [from.databaseValue, to.databaseValue]))
            return rows.map { (batteryID: $0[0] as String, slotStart: $0[1] as Int64, socWh: $0[2] as Int64) }
        }
    }

    /// The newest dispatch run (of `siteID` when given) that wrote a schedule, with its slots.
    public func latestSchedule(siteID: String?) async throws -> (run: DispatchRunRecord, slots: [ScheduleSlot])? {
        try await read { db in
            guard let r = try Row.fetchOne(db, sql: """
                SELECT * FROM dispatch_run r WHERE (?1 IS NULL OR r.site_id = ?1 OR r.site_id IS NULL)
                  AND EXISTS (SELECT 1 FROM schedule s WHERE s.run_id = r.id) ORDER BY r.id DESC LIMIT 1
                """, arguments: [siteID]) else { return nil }
            let run = DispatchRunRecord(id: r["id"], startedAt: r["started_at"], finishedAt: r["finished_at"], status: r["status"],
                                      objective: r["objective"], objectiveValue: r["objective_value"], horizonS: r["horizon_s"],
                                      stepS: r["step_s"], solveMs: r["solve_ms"], message: r["message"])
            let slots = try Row.fetchAll(db, sql: """
                SELECT s.*, a.dong_code FROM schedule s LEFT JOIN asset a ON a.id = s.battery_id
                WHERE s.run_id = ? ORDER BY s.battery_id, s.slot_start
                """, arguments: [run.id]).map {
                ScheduleSlot(batteryID: $0["battery_id"], dongCode: $0["dong_code"], slotStart: $0["slot_start"],
                             durationS: $0["duration_s"], chargeW: $0["charge_w"], dischargeW: $0["discharge_w"], socWh: $0["soc_wh"])
            }
            return (run, slots)
        }
    }

    /// Records the start of a dispatch run (status `running`); returns its id.
    public func startDispatchRun(siteID: String?, startedAt: Int64, objective: String, horizonSeconds: Int, stepSeconds: Int) async throws -> Int64 {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO dispatch_run (site_id, started_at, status, objective, horizon_s, step_s) VALUES (?, ?, 'running', ?, ?, ?)
                """, arguments: [siteID, startedAt, objective, horizonSeconds, stepSeconds])
            return db.lastInsertedRowID
        }
    }

    /// Finishes a run: status (`ok` / `failed`), objective, breakdown, solve time, message and,
    /// for a successful run, its schedule — in one transaction.
    public func finishDispatchRun(id: Int64, finishedAt: Int64, status: String, objectiveValue: Double?, breakdownJSON: String,
                                  solveMs: Double?, message: String?, schedule: [ScheduleRow]) async throws {
        try await write { db in
            try db.execute(sql: """
                UPDATE dispatch_run SET finished_at = ?, status = ?, objective_value = ?, breakdown_json = ?, solve_ms = ?, message = ?
                WHERE id = ?
                """, arguments: [finishedAt, status, objectiveValue, breakdownJSON, solveMs, message, id])
            let st = try db.makeStatement(sql: """
                INSERT INTO schedule (run_id, battery_id, slot_start, duration_s, charge_w, discharge_w, soc_wh) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for r in schedule {
                try st.execute(arguments: [id, r.batteryID, r.slotStart, r.durationSeconds, r.chargeW, r.dischargeW, r.socWh])
            }
        }
    }

    /// Most recent runs first (of `siteID` when given).
    public func dispatchRuns(limit: Int, siteID: String?) async throws -> [DispatchRunRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, started_at, finished_at, status, objective, objective_value, breakdown_json, horizon_s, step_s, solve_ms, message
                FROM dispatch_run WHERE (? IS NULL OR site_id = ? OR site_id IS NULL) ORDER BY id DESC LIMIT ?
                """, arguments: [siteID, siteID, max(0, limit)]).map { r in
                DispatchRunRecord(id: r["id"], startedAt: r["started_at"], finishedAt: r["finished_at"], status: r["status"],
                                  objective: r["objective"], objectiveValue: r["objective_value"], breakdownJSON: r["breakdown_json"],
                                  horizonS: r["horizon_s"], stepS: r["step_s"], solveMs: r["solve_ms"], message: r["message"])
            }
        }
    }

    /// Planned SoC [Wh] per battery at the end of the slot containing `epoch` (or the latest
    /// earlier slot) from the most recent successful run — the SoC fallback when no telemetry is given.
    public func plannedSoC(at epoch: Int64, siteID: String?) async throws -> [String: Int64] {
        try await read { db in
            guard let run = try Int64.fetchOne(db, sql: """
                SELECT id FROM dispatch_run WHERE status = 'ok' AND (?1 IS NULL OR site_id = ?1 OR site_id IS NULL) ORDER BY id DESC LIMIT 1
                """, arguments: [siteID]) else { return [:] }
            var out: [String: Int64] = [:]
            for r in try Row.fetchAll(db, sql: """
                SELECT battery_id, soc_wh FROM schedule s WHERE run_id = ? AND slot_start = (
                    SELECT MAX(slot_start) FROM schedule WHERE run_id = s.run_id AND battery_id = s.battery_id AND slot_start < ?)
                """, arguments: [run, epoch]) {
                out[r["battery_id"]] = r["soc_wh"]
            }
            return out
        }
    }
}
