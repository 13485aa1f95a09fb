import Foundation
import GRDB
import VPPCore
import VPPStore

extension SQLiteStore: AlertStore {
    public func putAlerts(_ alerts: [WeatherAlert], importedAt: Int64) async throws -> (inserted: Int, duplicates: Int) {
        try await write { db in
            var inserted = 0
            let stmt = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO weather_alert (area, kind, level, from_epoch, to_epoch, source, issued_at, imported_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for a in alerts {
                try stmt.execute(arguments: [a.area, a.kind, a.level.rawValue, a.fromEpoch, a.toEpoch, a.source, a.issuedAt, importedAt])
                inserted += db.changesCount
            }
            return (inserted, alerts.count - inserted)
        }
    }

    public func alerts(from: Int64, to: Int64) async throws -> [WeatherAlert] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT area, kind, level, from_epoch, to_epoch, source, issued_at FROM weather_alert
                WHERE from_epoch < ? AND to_epoch > ? ORDER BY from_epoch, area, kind, level
                """, arguments: [to, from]).map { r in
                WeatherAlert(area: r["area"], kind: r["kind"], level: AlertLevel(rawValue: r["level"]) ?? .none,
                             fromEpoch: r["from_epoch"], toEpoch: r["to_epoch"], source: r["source"], issuedAt: r["issued_at"])
            }
        }
    }

    public func alertReply(key: String) async throws -> Data? {
        try await read { db in try Data.fetchOne(db, sql: "SELECT body FROM alert_reply WHERE key = ?", arguments: [key]) }
    }

    public func putAlertReply(key: String, fetchedAt: Int64, body: Data) async throws {
        try await write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO alert_reply (key, fetched_at, body) VALUES (?, ?, ?)", arguments: [key, fetchedAt, body])
        }
    }

    @discardableResult
    public func recordShelterOutcome(_ o: ShelterOutcome) async throws -> Int64 {
        try await write { db in
            try db.execute(sql: "INSERT INTO shelter_outcome (run_id, recorded_at, fallback, note) VALUES (?, ?, ?, ?)",
                           arguments: [o.runID, o.recordedAt, o.fallback, o.note])
            let id = db.lastInsertedRowID
            let stmt = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO shelter_shortfall (outcome_id, shelter_id, slot_start, required_wh, planned_wh, reason)
                VALUES (?, ?, ?, ?, ?, ?)
                """)
            for s in o.shortfalls {
                try stmt.execute(arguments: [id, s.shelterID, s.slotStart, s.requiredWh, s.plannedWh, s.reason])
            }
            return id
        }
    }

    public func latestShelterOutcome() async throws -> ShelterOutcome? {
        try await read { db in
            guard let r = try Row.fetchOne(db, sql: "SELECT * FROM shelter_outcome ORDER BY id DESC LIMIT 1") else { return nil }
            let id: Int64 = r["id"]
            let shortfalls = try Row.fetchAll(db, sql: """
                SELECT * FROM shelter_shortfall WHERE outcome_id = ? ORDER BY shelter_id, slot_start
                """, arguments: [id]).map {
                ShelterShortfall(shelterID: $0["shelter_id"], slotStart: $0["slot_start"], requiredWh: $0["required_wh"],
                                 plannedWh: $0["planned_wh"], reason: $0["reason"])
            }
            return ShelterOutcome(runID: r["run_id"], recordedAt: r["recorded_at"], fallback: r["fallback"], note: r["note"],
                                  shortfalls: shortfalls)
        }
    }
}
