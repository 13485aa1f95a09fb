import Foundation
import GRDB
import VPPCore
import VPPStore

/// Reads for scoring stored forecasts as issued (issue 11): runs with the span of their values,
/// and one run's values over a window.
extension SQLiteStore: ForecastScoringStore {
    public func forecastRunSpans(issuedFrom: Int64, issuedTo: Int64) async throws -> [ForecastRunSpan] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.id, r.issued_at, r.kind, r.horizon_s, r.step_s, r.model,
                       MIN(f.slot_start) AS first_slot, MAX(f.slot_start + f.duration_s) AS end_slot
                FROM forecast_run r JOIN forecast f ON f.run_id = r.id
                WHERE r.issued_at >= ? AND r.issued_at <= ?
                GROUP BY r.id ORDER BY r.issued_at, r.id
                """, arguments: [issuedFrom, issuedTo]).map {
                ForecastRunSpan(run: StoredForecastRun(id: $0["id"], issuedAt: $0["issued_at"], kind: $0["kind"], horizonS: $0["horizon_s"],
                                                       stepS: $0["step_s"], model: $0["model"]),
                                firstSlot: $0["first_slot"], endSlot: $0["end_slot"])
            }
        }
    }

    public func forecastValues(runID: Int64, from: Int64, to: Int64, dong: String?, quantity: String?) async throws -> [ForecastValue] {
        try await read { db in
            let stmt = try db.cachedStatement(sql: """
                SELECT dong_code, quantity, slot_start, duration_s, value_wh FROM forecast
                WHERE run_id = ? AND slot_start >= ? AND slot_start < ?
                  AND (? IS NULL OR dong_code = ?) AND (? IS NULL OR quantity = ?)
                ORDER BY dong_code, quantity, slot_start
                """)
            return try Row.fetchAll(stmt, arguments: [runID, from, to, dong, dong, quantity, quantity]).map {
                ForecastValue(dongCode: $0[0], quantity: $0[1], slotStart: $0[2], durationS: $0[3], value: WattHours($0[4]))
            }
        }
    }
}
