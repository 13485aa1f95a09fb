import Foundation
import GRDB
import VPPCore
import VPPStore
import VPPAuth

/// Read queries for the HTTP API and dashboard (issue 7). All read-only, on pool readers.
extension SQLiteStore {
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

    /// The newest forecast run, optionally of one kind.
    public func latestForecastRun() async throws -> StoredForecastRun? {
        try await read { db in
            try Row.fetchOne(db, sql: """
                SELECT * FROM forecast_run WHERE id IN (SELECT DISTINCT run_id FROM forecast) ORDER BY issued_at DESC, id DESC LIMIT 1
                """).map {
                StoredForecastRun(id: $0["id"], issuedAt: $0["issued_at"], kind: $0["kind"], horizonS: $0["horizon_s"],
                                stepS: $0["step_s"], model: $0["model"])
            }
        }
    }

    public func forecastPoints(runID: Int64, dong: String?, quantity: String?) async throws -> [ForecastPoint] {
        var sql = "SELECT * FROM forecast WHERE run_id = ?"
        var a: StatementArguments = [runID]
        if let dong { sql += " AND dong_code = ?"; a += [dong] }
        if let quantity { sql += " AND quantity = ?"; a += [quantity] }
        sql += " ORDER BY dong_code, quantity, slot_start"
        let sqlC = sql, argsC = a
        return try await read { db in
            try Row.fetchAll(db, sql: sqlC, arguments: argsC).map {
                ForecastPoint(runID: $0["run_id"], dongCode: $0["dong_code"], quantity: $0["quantity"],
                              slotStart: $0["slot_start"], durationS: $0["duration_s"], valueWh: $0["value_wh"])
            }
        }
    }

    /// The newest dispatch run that wrote a schedule, with its slots.
    public func latestSchedule() async throws -> (run: DispatchRunRecord, slots: [ScheduleSlot])? {
        try await read { db in
            guard let r = try Row.fetchOne(db, sql: """
                SELECT * FROM dispatch_run WHERE id = (SELECT MAX(run_id) FROM schedule)
                """) else { return nil }
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

    /// A cheap fingerprint of everything the read API serves; changes whenever an upload, a
    /// forecast or dispatch run, a site load or a rollup write lands (cache invalidation).
    public func dataStamp() async throws -> String {
        try await read { db in
            let r = try Row.fetchOne(db, sql: """
                SELECT (SELECT MAX(id) FROM upload), (SELECT MAX(id) FROM forecast_run), (SELECT MAX(id) FROM dispatch_run),
                       (SELECT MAX(loaded_at) FROM site), (SELECT MAX(id) FROM config_change), (SELECT COUNT(*) FROM upload WHERE status = 'ingesting'),
                       (SELECT COUNT(*) FROM upload)
                """)!
            // The upload count changes when `vpp uploads delete` removes an upload that is not the newest.
            return (0..<7).map { (r[$0] as Int64?).map(String.init) ?? "-" }.joined(separator: ":")
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
