import Foundation
import PostgresNIO
import VPPCore
import VPPStore

/// Weather alerts, raw KMA replies and shelter outcomes (`AlertStore`, issue 17) on PostgreSQL,
/// as the SQLite driver (SQLiteStore+Alerts.swift).
extension PostgresStore: AlertStore {
    /// Adds alerts in one transaction; one already stored (same area, kind, level and window) is skipped.
    public func putAlerts(_ alerts: [WeatherAlert], importedAt: Int64) async throws -> (inserted: Int, duplicates: Int) {
        try await transaction("alert import failed, nothing stored") { conn in
            var inserted = 0
            for a in alerts {
                let added = try await all(conn, """
                    INSERT INTO weather_alert (area, kind, level, from_epoch, to_epoch, source, issued_at, imported_at)
                    VALUES (\(a.area), \(a.kind), \(a.level.rawValue), \(a.fromEpoch), \(a.toEpoch), \(a.source), \(a.issuedAt), \(importedAt))
                    ON CONFLICT (area, kind, level, from_epoch, to_epoch) DO NOTHING
                    RETURNING 1 AS one
                    """)
                inserted += added.count
            }
            return (inserted, alerts.count - inserted)
        }
    }

    public func alerts(from: Int64, to: Int64) async throws -> [WeatherAlert] {
        try await rows("""
            SELECT area, kind, level, from_epoch, to_epoch, source, issued_at FROM weather_alert
            WHERE from_epoch < \(to) AND to_epoch > \(from) ORDER BY from_epoch, area, kind, level
            """).map { r in
            WeatherAlert(area: try r.v("area"), kind: try r.v("kind"), level: AlertLevel(rawValue: try r.v("level")) ?? .none,
                         fromEpoch: try r.v("from_epoch"), toEpoch: try r.v("to_epoch"), source: try r.v("source"),
                         issuedAt: try r.v("issued_at"))
        }
    }

    public func alertReply(key: String) async throws -> Data? {
        try await rows("SELECT body FROM alert_reply WHERE key = \(key)").first.map { try $0.v("body", Data.self) }
    }

    public func putAlertReply(key: String, fetchedAt: Int64, body: Data) async throws {
        try await withConnection("alert reply write failed") { conn in
            try await exec(conn, """
                INSERT INTO alert_reply (key, fetched_at, body) VALUES (\(key), \(fetchedAt), \(body))
                ON CONFLICT (key) DO UPDATE SET fetched_at = excluded.fetched_at, body = excluded.body
                """)
        }
    }

    @discardableResult
    public func recordShelterOutcome(_ o: ShelterOutcome) async throws -> Int64 {
        try await transaction("shelter outcome write failed") { conn in
            let id: Int64 = try await all(conn, """
                INSERT INTO shelter_outcome (run_id, recorded_at, fallback, note) VALUES (\(o.runID), \(o.recordedAt), \(o.fallback), \(o.note))
                RETURNING id
                """)[0].v("id")
            for s in o.shortfalls {
                // INSERT OR REPLACE in SQLite: the last shortfall of a (shelter, slot) stands.
                try await exec(conn, """
                    INSERT INTO shelter_shortfall (outcome_id, shelter_id, slot_start, required_wh, planned_wh, reason)
                    VALUES (\(id), \(s.shelterID), \(s.slotStart), \(s.requiredWh), \(s.plannedWh), \(s.reason))
                    ON CONFLICT (outcome_id, shelter_id, slot_start) DO UPDATE SET required_wh = excluded.required_wh,
                      planned_wh = excluded.planned_wh, reason = excluded.reason
                    """)
            }
            return id
        }
    }

    public func latestShelterOutcome() async throws -> ShelterOutcome? {
        try await withConnection("database read failed") { conn in
            guard let r = try await all(conn, "SELECT * FROM shelter_outcome ORDER BY id DESC LIMIT 1").first else { return nil }
            let id: Int64 = try r.v("id")
            let shortfalls = try await all(conn, """
                SELECT * FROM shelter_shortfall WHERE outcome_id = \(id) ORDER BY shelter_id, slot_start
                """).map {
                ShelterShortfall(shelterID: try $0.v("shelter_id"), slotStart: try $0.v("slot_start"), requiredWh: try $0.v("required_wh"),
                                 plannedWh: try $0.v("planned_wh"), reason: try $0.v("reason"))
            }
            return ShelterOutcome(runID: try r.v("run_id"), recordedAt: try r.v("recorded_at"), fallback: try r.v("fallback"),
                                  note: try r.v("note"), shortfalls: shortfalls)
        }
    }
}
