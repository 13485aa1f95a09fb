import Foundation
import GRDB
import VPPCore
import VPPStore
import VPPAuth

/// Writes and reads of the forecast tables (issue 4): forecast_run/forecast, forecast_model,
/// weather_cache.
extension SQLiteStore {
    /// The newest forecast run with values, of `siteID` when given.
    public func latestForecastRun(siteID: String?) async throws -> StoredForecastRun? {
        try await read { db in
            try Row.fetchOne(db, sql: """
                SELECT * FROM forecast_run WHERE id IN (SELECT DISTINCT run_id FROM forecast) AND (?1 IS NULL OR site_id = ?1 OR site_id IS NULL)
                ORDER BY issued_at DESC, id DESC LIMIT 1
                """, arguments: [siteID]).map {
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

    /// Stores one forecast run and its values in one transaction; returns the run id.
    @discardableResult
    public func insertForecastRun(siteID: String?, issuedAt: Int64, kind: String, horizonS: Int64, stepS: Int64, model: String,
                                  paramsJSON: String, values: [ForecastValue]) async throws -> Int64 {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO forecast_run (site_id, issued_at, kind, horizon_s, step_s, model, params_json) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [siteID, issuedAt, kind, horizonS, stepS, model, paramsJSON])
            let runID = db.lastInsertedRowID
            let stmt = try db.makeStatement(sql: """
                INSERT INTO forecast (run_id, dong_code, quantity, slot_start, duration_s, value_wh) VALUES (?, ?, ?, ?, ?, ?)
                """)
            for v in values {
                try stmt.execute(arguments: [runID, v.dongCode, v.quantity, v.slotStart, v.durationS, v.value.wh])
            }
            return runID
        }
    }

    public func forecastRuns(issuedFrom: Int64, issuedThrough: Int64, overlappingFrom: Int64, to: Int64,
                             limit: Int, siteID: String?) async throws -> [StoredForecastRun] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM forecast_run r
                WHERE r.issued_at BETWEEN ? AND ? AND (? IS NULL OR r.site_id = ? OR r.site_id IS NULL)
                  AND EXISTS (SELECT 1 FROM forecast f WHERE f.run_id = r.id AND f.slot_start >= ? AND f.slot_start < ?)
                ORDER BY r.issued_at DESC, r.id DESC LIMIT ?
                """, arguments: [issuedFrom, issuedThrough, siteID, siteID, overlappingFrom, to, max(0, limit)]).map {
                StoredForecastRun(id: $0["id"], issuedAt: $0["issued_at"], kind: $0["kind"], horizonS: $0["horizon_s"],
                                  stepS: $0["step_s"], model: $0["model"], paramsJSON: $0["params_json"])
            }
        }
    }

    /// A run by id, or the newest run when `id` is nil.
    public func forecastRun(id: Int64? = nil) async throws -> StoredForecastRun? {
        try await read { db in
            let row = try id.map { try Row.fetchOne(db, sql: "SELECT * FROM forecast_run WHERE id = ?", arguments: [$0]) }
                ?? Row.fetchOne(db, sql: "SELECT * FROM forecast_run ORDER BY issued_at DESC, id DESC LIMIT 1")
            return row.map {
                StoredForecastRun(id: $0["id"], issuedAt: $0["issued_at"], kind: $0["kind"], horizonS: $0["horizon_s"],
                                  stepS: $0["step_s"], model: $0["model"], paramsJSON: $0["params_json"])
            }
        }
    }

    /// Values of a run, optionally for one dong and/or quantity, ordered by dong, quantity, slot.
    public func forecastValues(runID: Int64, dong: String? = nil, quantity: String? = nil) async throws -> [ForecastValue] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT dong_code, quantity, slot_start, duration_s, value_wh FROM forecast
                WHERE run_id = ? AND (? IS NULL OR dong_code = ?) AND (? IS NULL OR quantity = ?)
                ORDER BY dong_code, quantity, slot_start
                """, arguments: [runID, dong, dong, quantity, quantity]).map {
                ForecastValue(dongCode: $0[0], quantity: $0[1], slotStart: $0[2], durationS: $0[3], value: WattHours($0[4]))
            }
        }
    }

    /// Saves a trained model; returns its id.
    @discardableResult
    public func saveForecastModel(name: String, trainedAt: Int64, trainFrom: Int64, trainTo: Int64, paramsJSON: String) async throws -> Int64 {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO forecast_model (name, trained_at, train_from, train_to, params_json) VALUES (?, ?, ?, ?, ?)
                """, arguments: [name, trainedAt, trainFrom, trainTo, paramsJSON])
            return db.lastInsertedRowID
        }
    }

    /// The newest model of a name.
    public func latestForecastModel(name: String) async throws -> StoredForecastModel? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM forecast_model WHERE name = ? ORDER BY trained_at DESC, id DESC LIMIT 1",
                             arguments: [name]).map {
                StoredForecastModel(id: $0["id"], name: $0["name"], trainedAt: $0["trained_at"], trainFrom: $0["train_from"],
                                    trainTo: $0["train_to"], paramsJSON: $0["params_json"])
            }
        }
    }

    /// Hourly metered consumption of a dong over [from, to) from rollup_hourly (hour-beginning
    /// UTC epoch s, Wh), the training input of the load model. Hours with no consumption
    /// coverage are left out.
    public func hourlyConsumption(dong: String, from: Int64, to: Int64) async throws -> [(hourStart: Int64, wh: Int64)] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT hour_start, consumption_wh FROM rollup_hourly
                WHERE dong_code = ? AND hour_start >= ? AND hour_start < ? AND consumption_covered_s > 0
                ORDER BY hour_start
                """, arguments: [dong, from, to]).map { (hourStart: $0[0], wh: $0[1]) }
        }
    }

    /// A cached weather reply body, if any.
    public func weatherBody(key: String) async throws -> Data? {
        try await read { db in try Data.fetchOne(db, sql: "SELECT body FROM weather_cache WHERE key = ?", arguments: [key]) }
    }

    /// Stores (or replaces) a weather reply body.
    public func putWeather(key: String, fetchedAt: Int64, body: Data) async throws {
        try await write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO weather_cache (key, fetched_at, body) VALUES (?, ?, ?)",
                           arguments: [key, fetchedAt, body])
        }
    }
}
