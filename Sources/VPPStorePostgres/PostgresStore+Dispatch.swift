import Foundation
import Logging
import PostgresNIO
import VPPCore
import VPPStore

/// Dispatch runs and their schedules (`DispatchStore`), as the SQLite driver.
extension PostgresStore: DispatchStore {
    private static func runRecord(_ r: PostgresRandomAccessRow) throws -> DispatchRunRecord {
        DispatchRunRecord(id: try r.v("id"), startedAt: try r.v("started_at"), finishedAt: try r.v("finished_at"), status: try r.v("status"),
                          objective: try r.v("objective"), objectiveValue: try r.v("objective_value"),
                          breakdownJSON: try r.v("breakdown_json"), horizonS: try r.v("horizon_s"), stepS: try r.v("step_s"),
                          solveMs: try r.v("solve_ms"), message: try r.v("message"))
    }

    public func startDispatchRun(siteID: String?, startedAt: Int64, objective: String, horizonSeconds: Int, stepSeconds: Int) async throws -> Int64 {
        try await rows("""
            INSERT INTO dispatch_run (site_id, started_at, status, objective, horizon_s, step_s)
            VALUES (\(siteID), \(startedAt), 'running', \(objective), \(Int64(horizonSeconds)), \(Int64(stepSeconds))) RETURNING id
            """, "dispatch run write failed")[0].v("id")
    }

    public func finishDispatchRun(id: Int64, finishedAt: Int64, status: String, objectiveValue: Double?, breakdownJSON: String,
                                  solveMs: Double?, message: String?, schedule: [ScheduleRow]) async throws {
        try await transaction("dispatch run write failed") { conn in
            try await exec(conn, """
                UPDATE dispatch_run SET finished_at = \(finishedAt), status = \(status), objective_value = \(objectiveValue),
                  breakdown_json = \(breakdownJSON), solve_ms = \(solveMs), message = \(message)
                WHERE id = \(id)
                """)
            guard !schedule.isEmpty else { return }
            try await exec(conn, """
                INSERT INTO schedule (run_id, battery_id, slot_start, duration_s, charge_w, discharge_w, soc_wh)
                SELECT \(id), * FROM unnest(\(schedule.map(\.batteryID))::TEXT[], \(schedule.map(\.slotStart))::BIGINT[],
                    \(schedule.map { Int64($0.durationSeconds) })::BIGINT[], \(schedule.map(\.chargeW))::DOUBLE PRECISION[],
                    \(schedule.map(\.dischargeW))::DOUBLE PRECISION[], \(schedule.map(\.socWh))::BIGINT[])
                """)
        }
    }

    public func dispatchRuns(limit: Int, siteID: String?) async throws -> [DispatchRunRecord] {
        try await rows("""
            SELECT * FROM dispatch_run WHERE \(siteID)::TEXT IS NULL OR site_id = \(siteID) OR site_id IS NULL ORDER BY id DESC LIMIT \(Int64(max(0, limit)))
            """).map(Self.runRecord)
    }

    public func plannedSoC(at epoch: Int64, siteID: String?) async throws -> [String: Int64] {
        guard let run = try await rows("""
            SELECT id FROM dispatch_run WHERE status = 'ok' AND (\(siteID)::TEXT IS NULL OR site_id = \(siteID) OR site_id IS NULL) ORDER BY id DESC LIMIT 1
            """).first else { return [:] }
        let runID: Int64 = try run.v("id")
        var out: [String: Int64] = [:]
        for r in try await rows("""
            SELECT battery_id, soc_wh FROM schedule s WHERE run_id = \(runID) AND slot_start = (
                SELECT MAX(slot_start) FROM schedule WHERE run_id = s.run_id AND battery_id = s.battery_id AND slot_start < \(epoch))
            """) {
            out[try r.v("battery_id")] = try r.v("soc_wh")
        }
        return out
    }

    public func plannedSoC(batteryIDs: [String], from: Int64, to: Int64) async throws -> [(batteryID: String, slotStart: Int64, socWh: Int64)] {
        guard !batteryIDs.isEmpty else { return [] }
        // The row of the highest run id per (battery, slot) (SQLite's bare columns with MAX()).
        return try await rows("""
            SELECT DISTINCT ON (battery_id, slot_start) battery_id, slot_start, soc_wh FROM schedule
            WHERE battery_id = ANY(\(batteryIDs)) AND slot_start >= \(from) AND slot_start < \(to)
            ORDER BY battery_id, slot_start, run_id DESC
            """).map { (batteryID: try $0.v("battery_id"), slotStart: try $0.v("slot_start"), socWh: try $0.v("soc_wh")) }
    }

    public func latestSchedule(siteID: String?) async throws -> (run: DispatchRunRecord, slots: [ScheduleSlot])? {
        guard let r = try await rows("""
            SELECT * FROM dispatch_run r WHERE (\(siteID)::TEXT IS NULL OR r.site_id = \(siteID) OR r.site_id IS NULL)
              AND EXISTS (SELECT 1 FROM schedule s WHERE s.run_id = r.id) ORDER BY r.id DESC LIMIT 1
            """).first else { return nil }
        let run = try Self.runRecord(r)
        let slots = try await rows("""
            SELECT s.*, a.dong_code FROM schedule s LEFT JOIN asset a ON a.id = s.battery_id
            WHERE s.run_id = \(run.id) ORDER BY s.battery_id, s.slot_start
            """).map {
            ScheduleSlot(batteryID: try $0.v("battery_id"), dongCode: try $0.v("dong_code"), slotStart: try $0.v("slot_start"),
                         durationS: Int(try $0.v("duration_s", Int64.self)), chargeW: try $0.v("charge_w"),
                         dischargeW: try $0.v("discharge_w"), socWh: try $0.v("soc_wh"))
        }
        return (run, slots)
    }

    // MARK: Cross-process locks

    /// The advisory-lock key space of named locks (the second key is the name's hash).
    static let namedLockSpace: Int32 = 0x7670_6C6B

    /// Tries the named lock without waiting: a session-level `pg_try_advisory_lock` on a
    /// dedicated connection, held until `release()` (or until the process ends and the server
    /// drops the session). `sharedGuard`, when given, is first taken in shared mode on the same
    /// session (`pg_try_advisory_lock_shared`). `vpp dispatch run` takes "dispatch <site id>"
    /// (one planner per district) under the guard "dispatch", the store-wide lock an earlier vpp
    /// took exclusively: during a rolling upgrade an old and a new planner never overlap.
    public func tryAdvisoryLock(_ name: String, sharedGuard: String? = nil) async throws -> (any HeldLock)? {
        do {
            let conn = try await PostgresConnection.connect(configuration: url.configuration, id: 0, logger: logger)
            var got = true
            do {
                if let g = sharedGuard {
                    for try await ok in try await conn.query("SELECT pg_try_advisory_lock_shared(\(Self.namedLockSpace), hashtext(\(g)))",
                                                             logger: logger).decode(Bool.self) { got = ok }
                }
                if got {
                    for try await ok in try await conn.query("SELECT pg_try_advisory_lock(\(Self.namedLockSpace), hashtext(\(name)))",
                                                             logger: logger).decode(Bool.self) { got = ok }
                    // The name is held elsewhere: give the guard back at once (a closed session's
                    // locks go only when its backend has exited).
                    if !got, let g = sharedGuard {
                        for try await _ in try await conn.query("SELECT pg_advisory_unlock_shared(\(Self.namedLockSpace), hashtext(\(g)))",
                                                                logger: logger).decode(Bool.self) {}
                    }
                } else {
                    got = false
                }
            } catch {
                try? await conn.close()
                throw error
            }
            if !got { try? await conn.close(); return nil }
            return PostgresAdvisoryLock(connection: conn, name: name, sharedGuard: sharedGuard, logger: logger)
        } catch {
            throw PostgresErrors.map(error, url: url, context: "lock \(name)")
        }
    }
}

/// A held session advisory lock. `release()` unlocks it explicitly, then ends the session: the
/// server drops a closed session's locks only once its backend has exited, so a close alone would
/// leave the lock held for a moment after `release()` returned.
final class PostgresAdvisoryLock: HeldLock {
    let connection: PostgresConnection
    let name: String
    let sharedGuard: String?
    let logger: Logger
    init(connection: PostgresConnection, name: String, sharedGuard: String?, logger: Logger) {
        self.connection = connection; self.name = name; self.sharedGuard = sharedGuard; self.logger = logger
    }

    func release() async {
        do {
            let space = PostgresStore.namedLockSpace
            if let g = sharedGuard {
                // One statement for both (two columns, each evaluated), so the guard is not left
                // held when the name's unlock fails.
                let rows = try await connection.query("""
                    SELECT pg_advisory_unlock(\(space), hashtext(\(name))) AS n, pg_advisory_unlock_shared(\(space), hashtext(\(g))) AS g
                    """, logger: logger)
                for try await _ in rows.decode((Bool, Bool).self) {}
            } else {
                let rows = try await connection.query("SELECT pg_advisory_unlock(\(space), hashtext(\(name)))", logger: logger)
                for try await _ in rows.decode(Bool.self) {}
            }
        } catch {
            // Closing the session below releases it all the same, a moment later.
        }
        try? await connection.close()
    }
}
