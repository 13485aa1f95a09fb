import Foundation
import GRDB
import VPPCore
import VPPStore
import VPPAuth

extension SQLiteStore {
    /// Records the start of a dispatch run (status `running`); returns its id.
    public func startDispatchRun(startedAt: Int64, objective: String, horizonSeconds: Int, stepSeconds: Int) async throws -> Int64 {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO dispatch_run (started_at, status, objective, horizon_s, step_s) VALUES (?, 'running', ?, ?, ?)
                """, arguments: [startedAt, objective, horizonSeconds, stepSeconds])
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

    /// Most recent runs first.
    public func dispatchRuns(limit: Int = 50) async throws -> [DispatchRunRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, started_at, finished_at, status, objective, objective_value, breakdown_json, horizon_s, step_s, solve_ms, message
                FROM dispatch_run ORDER BY id DESC LIMIT ?
                """, arguments: [limit]).map { r in
                DispatchRunRecord(id: r["id"], startedAt: r["started_at"], finishedAt: r["finished_at"], status: r["status"],
                                  objective: r["objective"], objectiveValue: r["objective_value"], breakdownJSON: r["breakdown_json"],
                                  horizonS: r["horizon_s"], stepS: r["step_s"], solveMs: r["solve_ms"], message: r["message"])
            }
        }
    }

    /// Planned SoC [Wh] per battery at the end of the slot containing `epoch` (or the latest
    /// earlier slot) from the most recent successful run — the SoC fallback when no telemetry is given.
    public func plannedSoC(at epoch: Int64) async throws -> [String: Int64] {
        try await read { db in
            guard let run = try Int64.fetchOne(db, sql: "SELECT id FROM dispatch_run WHERE status = 'ok' ORDER BY id DESC LIMIT 1") else { return [:] }
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
