import Foundation
import GRDB
import VPPCore
import VPPStore

/// The forecast-weather archive (`WeatherForecastArchive`, migration forecast-v2-weather-archive)
/// and the generation history the PV training reads (`GenerationHistory`).
extension SQLiteStore {
    public func archiveWeather(source: String, importedAt: Int64, hours: [ArchivedWeatherHour],
                               rejects: [WeatherRejectedRow]) async throws -> WeatherImportReport {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO weather_import (source, imported_at, rows_added, rows_unchanged, rows_rejected) VALUES (?, ?, 0, 0, 0)
                """, arguments: [source, importedAt])
            let importID = db.lastInsertedRowID
            let insert = try db.makeStatement(sql: """
                INSERT OR IGNORE INTO weather_forecast (nx, ny, valid_time, base_time, tmp_c, reh_pct, wsd_ms, sky, pty, pop_pct, import_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let existing = try db.makeStatement(sql: """
                SELECT tmp_c, reh_pct, wsd_ms, sky, pty, pop_pct FROM weather_forecast
                WHERE nx = ? AND ny = ? AND valid_time = ? AND base_time = ?
                """)
            var added = 0, unchanged = 0
            var rejected = rejects
            for h in hours {
                try insert.execute(arguments: [h.nx, h.ny, h.validTime, h.baseTime, h.temperatureC, h.humidityPct, h.windSpeedMS,
                                               h.sky, h.precipitationType, h.precipitationProbabilityPct, importID])
                if db.changesCount > 0 { added += 1; continue }
                let same = try Row.fetchOne(existing, arguments: [h.nx, h.ny, h.validTime, h.baseTime]).map { r -> Bool in
                    let pop: Double? = r[5]
                    return (r[0] as Double) == h.temperatureC && (r[1] as Double) == h.humidityPct && (r[2] as Double) == h.windSpeedMS
                        && (r[3] as Double) == h.sky && (r[4] as Int) == h.precipitationType && pop == h.precipitationProbabilityPct
                } ?? false
                if same { unchanged += 1; continue }
                rejected.append(WeatherRejectedRow(
                    line: 0, raw: "nx=\(h.nx) ny=\(h.ny) base=\(KSTDateTime(epochSeconds: h.baseTime).iso8601) valid=\(KSTDateTime(epochSeconds: h.validTime).iso8601)",
                    reason: "duplicated base time: this cell, base time and valid time are already archived with different values"))
            }
            let rej = try db.makeStatement(sql: "INSERT INTO weather_reject (import_id, line, raw, reason) VALUES (?, ?, ?, ?)")
            for r in rejected { try rej.execute(arguments: [importID, r.line, r.raw, r.reason]) }
            try db.execute(sql: "UPDATE weather_import SET rows_added = ?, rows_unchanged = ?, rows_rejected = ? WHERE id = ?",
                           arguments: [added, unchanged, rejected.count, importID])
            return WeatherImportReport(importID: importID, source: source, added: added, unchanged: unchanged, rejected: rejected)
        }
    }

    public func archivedWeather(nx: Int, ny: Int, validFrom: Int64, validTo: Int64, issuedBefore: Int64) async throws -> [ArchivedWeatherHour] {
        try await read { db in
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT valid_time, base_time, tmp_c, reh_pct, wsd_ms, sky, pty, pop_pct FROM weather_forecast
                WHERE nx = ? AND ny = ? AND valid_time >= ? AND valid_time < ? AND base_time <= ?
                ORDER BY valid_time, base_time
                """, arguments: [nx, ny, validFrom, validTo, issuedBefore])
            var out: [ArchivedWeatherHour] = []
            while let r = try cursor.next() {
                out.append(ArchivedWeatherHour(nx: nx, ny: ny, baseTime: r[1], validTime: r[0], temperatureC: r[2], humidityPct: r[3],
                                               windSpeedMS: r[4], sky: r[5], precipitationType: r[6], precipitationProbabilityPct: r[7]))
            }
            return out
        }
    }

    public func weatherArchiveCells() async throws -> [WeatherArchiveCell] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT nx, ny, COUNT(DISTINCT base_time), COUNT(*), MIN(base_time), MAX(base_time), MIN(valid_time), MAX(valid_time)
                FROM weather_forecast GROUP BY nx, ny ORDER BY nx, ny
                """).map {
                WeatherArchiveCell(nx: $0[0], ny: $0[1], issues: $0[2], hours: $0[3], firstBase: $0[4], lastBase: $0[5],
                                   firstValid: $0[6], lastValid: $0[7])
            }
        }
    }

    public func weatherImportRejects(importID: Int64?, limit: Int) async throws -> [WeatherRejectedRow] {
        try await read { db in
            let id = try importID ?? Int64.fetchOne(db, sql: "SELECT MAX(id) FROM weather_import")
            guard let id else { return [] }
            return try Row.fetchAll(db, sql: "SELECT line, raw, reason FROM weather_reject WHERE import_id = ? ORDER BY rowid LIMIT ?",
                                    arguments: [id, limit]).map { WeatherRejectedRow(line: $0[0], raw: $0[1], reason: $0[2]) }
        }
    }

    public func hourlyGeneration(dong: String, from: Int64, to: Int64) async throws -> [(hourStart: Int64, wh: Int64)] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT hour_start, generation_wh FROM rollup_hourly
                WHERE dong_code = ? AND hour_start >= ? AND hour_start < ? AND generation_covered_s > 0
                ORDER BY hour_start
                """, arguments: [dong, from, to]).map { (hourStart: $0[0], wh: $0[1]) }
        }
    }
}
