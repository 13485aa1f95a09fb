import Foundation
import PostgresNIO
import VPPCore
import VPPStore

/// Forecast runs, values and models (`ForecastStore`), the weather reply cache and forecast-weather
/// archive (`WeatherArchive`): the SQLite driver's statements in PostgreSQL.
extension PostgresStore: ForecastStore, WeatherArchive {
    private static func run(_ r: PostgresRandomAccessRow) throws -> StoredForecastRun {
        StoredForecastRun(id: try r.v("id"), issuedAt: try r.v("issued_at"), kind: try r.v("kind"), horizonS: try r.v("horizon_s"),
                          stepS: try r.v("step_s"), model: try r.v("model"), paramsJSON: try r.v("params_json"))
    }

    @discardableResult
    public func insertForecastRun(siteID: String?, issuedAt: Int64, kind: String, horizonS: Int64, stepS: Int64, model: String,
                                  paramsJSON: String, values: [ForecastValue]) async throws -> Int64 {
        try await transaction("forecast write failed") { conn in
            let id: Int64 = try await all(conn, """
                INSERT INTO forecast_run (site_id, issued_at, kind, horizon_s, step_s, model, params_json)
                VALUES (\(siteID), \(issuedAt), \(kind), \(horizonS), \(stepS), \(model), \(paramsJSON)) RETURNING id
                """)[0].v("id")
            if !values.isEmpty {
                try await exec(conn, """
                    INSERT INTO forecast (run_id, dong_code, quantity, slot_start, duration_s, value_wh)
                    SELECT \(id), * FROM unnest(\(values.map(\.dongCode))::TEXT[], \(values.map(\.quantity))::TEXT[],
                        \(values.map(\.slotStart))::BIGINT[], \(values.map { Int64($0.durationS) })::BIGINT[],
                        \(values.map(\.value.wh))::BIGINT[])
                    """)
            }
            return id
        }
    }

    public func forecastRun(id: Int64?) async throws -> StoredForecastRun? {
        if let id { return try await rows("SELECT * FROM forecast_run WHERE id = \(id)").first.map(Self.run) }
        return try await rows("SELECT * FROM forecast_run ORDER BY issued_at DESC, id DESC LIMIT 1").first.map(Self.run)
    }

    public func forecastRuns(issuedFrom: Int64, issuedThrough: Int64, overlappingFrom: Int64, to: Int64, limit: Int,
                             siteID: String?) async throws -> [StoredForecastRun]
    {
        try await rows("""
            SELECT * FROM forecast_run r
            WHERE r.issued_at BETWEEN \(issuedFrom) AND \(issuedThrough) AND (\(siteID)::TEXT IS NULL OR r.site_id = \(siteID) OR r.site_id IS NULL)
              AND EXISTS (SELECT 1 FROM forecast f WHERE f.run_id = r.id AND f.slot_start >= \(overlappingFrom) AND f.slot_start < \(to))
            ORDER BY r.issued_at DESC, r.id DESC LIMIT \(Int64(max(0, limit)))
            """).map(Self.run)
    }

    public func forecastValues(runID: Int64, dong: String?, quantity: String?) async throws -> [ForecastValue] {
        try await rows("""
            SELECT dong_code, quantity, slot_start, duration_s, value_wh FROM forecast
            WHERE run_id = \(runID) AND (\(dong)::TEXT IS NULL OR dong_code = \(dong)) AND (\(quantity)::TEXT IS NULL OR quantity = \(quantity))
            ORDER BY dong_code, quantity, slot_start
            """).map {
            ForecastValue(dongCode: try $0.v("dong_code"), quantity: try $0.v("quantity"), slotStart: try $0.v("slot_start"),
                          durationS: Int(try $0.v("duration_s", Int64.self)), value: WattHours(try $0.v("value_wh", Int64.self)))
        }
    }

    public func forecastPoints(runID: Int64, dong: String?, quantity: String?) async throws -> [ForecastPoint] {
        try await forecastValues(runID: runID, dong: dong, quantity: quantity).map {
            ForecastPoint(runID: runID, dongCode: $0.dongCode, quantity: $0.quantity, slotStart: $0.slotStart, durationS: $0.durationS,
                          valueWh: $0.value.wh)
        }
    }

    @discardableResult
    public func saveForecastModel(name: String, trainedAt: Int64, trainFrom: Int64, trainTo: Int64, paramsJSON: String) async throws -> Int64 {
        try await rows("""
            INSERT INTO forecast_model (name, trained_at, train_from, train_to, params_json)
            VALUES (\(name), \(trainedAt), \(trainFrom), \(trainTo), \(paramsJSON)) RETURNING id
            """, "forecast model write failed")[0].v("id")
    }

    public func latestForecastModel(name: String) async throws -> StoredForecastModel? {
        try await rows("SELECT * FROM forecast_model WHERE name = \(name) ORDER BY trained_at DESC, id DESC LIMIT 1").first.map {
            StoredForecastModel(id: try $0.v("id"), name: try $0.v("name"), trainedAt: try $0.v("trained_at"),
                                trainFrom: try $0.v("train_from"), trainTo: try $0.v("train_to"), paramsJSON: try $0.v("params_json"))
        }
    }

    public func latestForecastRun(siteID: String?) async throws -> StoredForecastRun? {
        try await rows("""
            SELECT * FROM forecast_run r WHERE EXISTS (SELECT 1 FROM forecast f WHERE f.run_id = r.id)
              AND (\(siteID)::TEXT IS NULL OR r.site_id = \(siteID) OR r.site_id IS NULL)
            ORDER BY issued_at DESC, id DESC LIMIT 1
            """).first.map(Self.run)
    }

    // MARK: Weather

    public func weatherBody(key: String) async throws -> Data? {
        try await rows("SELECT body FROM weather_cache WHERE key = \(key)").first.map { try $0.v("body", Data.self) }
    }

    public func putWeather(key: String, fetchedAt: Int64, body: Data) async throws {
        _ = try await rows("""
            INSERT INTO weather_cache (key, fetched_at, body) VALUES (\(key), \(fetchedAt), \(body))
            ON CONFLICT (key) DO UPDATE SET fetched_at = excluded.fetched_at, body = excluded.body
            """, "weather cache write failed")
    }

    public func archiveWeather(source: String, importedAt: Int64, hours: [ArchivedWeatherHour],
                               rejects: [WeatherRejectedRow]) async throws -> WeatherImportReport {
        try await transaction("weather archive write failed, nothing imported") { conn in
            let importID: Int64 = try await all(conn, """
                INSERT INTO weather_import (source, imported_at, rows_added, rows_unchanged, rows_rejected)
                VALUES (\(source), \(importedAt), 0, 0, 0) RETURNING id
                """)[0].v("id")
            var added = 0, unchanged = 0
            var rejected = rejects
            for h in hours {
                let ins = try await all(conn, """
                    INSERT INTO weather_forecast (nx, ny, valid_time, base_time, tmp_c, reh_pct, wsd_ms, sky, pty, pop_pct, import_id)
                    VALUES (\(Int64(h.nx)), \(Int64(h.ny)), \(h.validTime), \(h.baseTime), \(h.temperatureC), \(h.humidityPct),
                            \(h.windSpeedMS), \(h.sky), \(Int64(h.precipitationType)), \(h.precipitationProbabilityPct), \(importID))
                    ON CONFLICT DO NOTHING RETURNING 1 AS one
                    """)
                if !ins.isEmpty { added += 1; continue }
                let same = try await all(conn, """
                    SELECT tmp_c, reh_pct, wsd_ms, sky, pty, pop_pct FROM weather_forecast
                    WHERE nx = \(Int64(h.nx)) AND ny = \(Int64(h.ny)) AND valid_time = \(h.validTime) AND base_time = \(h.baseTime)
                    """).first.map { r -> Bool in
                    try r.v("tmp_c", Double.self) == h.temperatureC && r.v("reh_pct", Double.self) == h.humidityPct
                        && r.v("wsd_ms", Double.self) == h.windSpeedMS && r.v("sky", Double.self) == h.sky
                        && r.v("pty", Int64.self) == Int64(h.precipitationType) && r.v("pop_pct", Double?.self) == h.precipitationProbabilityPct
                } ?? false
                if same { unchanged += 1; continue }
                rejected.append(WeatherRejectedRow(
                    line: 0, raw: "nx=\(h.nx) ny=\(h.ny) base=\(KSTDateTime(epochSeconds: h.baseTime).iso8601) valid=\(KSTDateTime(epochSeconds: h.validTime).iso8601)",
                    reason: "duplicated base time: this cell, base time and valid time are already archived with different values"))
            }
            if !rejected.isEmpty {
                try await exec(conn, """
                    INSERT INTO weather_reject (import_id, line, raw, reason)
                    SELECT \(importID), t.line, t.raw, t.reason
                    FROM unnest(\(rejected.map { Int64($0.line) })::BIGINT[], \(rejected.map(\.raw))::TEXT[],
                                \(rejected.map(\.reason))::TEXT[]) WITH ORDINALITY AS t(line, raw, reason, o) ORDER BY t.o
                    """)
            }
            try await exec(conn, """
                UPDATE weather_import SET rows_added = \(Int64(added)), rows_unchanged = \(Int64(unchanged)),
                  rows_rejected = \(Int64(rejected.count)) WHERE id = \(importID)
                """)
            return WeatherImportReport(importID: importID, source: source, added: added, unchanged: unchanged, rejected: rejected)
        }
    }

    public func archivedWeather(nx: Int, ny: Int, validFrom: Int64, validTo: Int64, issuedBefore: Int64) async throws -> [ArchivedWeatherHour] {
        try await rows("""
            SELECT valid_time, base_time, tmp_c, reh_pct, wsd_ms, sky, pty, pop_pct FROM weather_forecast
            WHERE nx = \(Int64(nx)) AND ny = \(Int64(ny)) AND valid_time >= \(validFrom) AND valid_time < \(validTo)
              AND base_time <= \(issuedBefore)
            ORDER BY valid_time, base_time
            """).map { r in
            ArchivedWeatherHour(nx: nx, ny: ny, baseTime: try r.v("base_time"), validTime: try r.v("valid_time"),
                                temperatureC: try r.v("tmp_c"), humidityPct: try r.v("reh_pct"), windSpeedMS: try r.v("wsd_ms"),
                                sky: try r.v("sky"), precipitationType: Int(try r.v("pty", Int64.self)),
                                precipitationProbabilityPct: try r.v("pop_pct"))
        }
    }

    public func weatherArchiveCells() async throws -> [WeatherArchiveCell] {
        try await rows("""
            SELECT nx, ny, COUNT(DISTINCT base_time) AS i, COUNT(*) AS h, MIN(base_time) AS fb, MAX(base_time) AS lb,
                   MIN(valid_time) AS fv, MAX(valid_time) AS lv
            FROM weather_forecast GROUP BY nx, ny ORDER BY nx, ny
            """).map {
            WeatherArchiveCell(nx: Int(try $0.v("nx", Int64.self)), ny: Int(try $0.v("ny", Int64.self)), issues: Int(try $0.v("i", Int64.self)),
                               hours: Int(try $0.v("h", Int64.self)), firstBase: try $0.v("fb"), lastBase: try $0.v("lb"),
                               firstValid: try $0.v("fv"), lastValid: try $0.v("lv"))
        }
    }

    public func weatherImportRejects(importID: Int64?, limit: Int) async throws -> [WeatherRejectedRow] {
        let id: Int64?
        if let importID { id = importID } else { id = try await rows("SELECT MAX(id) AS m FROM weather_import")[0].v("m", Int64?.self) }
        guard let id else { return [] }
        return try await rows("""
            SELECT line, raw, reason FROM weather_reject WHERE import_id = \(id) ORDER BY id LIMIT \(Int64(limit))
            """).map { WeatherRejectedRow(line: Int(try $0.v("line", Int64.self)), raw: try $0.v("raw"), reason: try $0.v("reason")) }
    }
}
