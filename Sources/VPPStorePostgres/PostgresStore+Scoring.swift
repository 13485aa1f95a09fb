import Foundation
import PostgresNIO
import VPPCore
import VPPStore

/// Reads for scoring stored forecasts as issued (issue 11) on PostgreSQL, as the SQLite driver
/// (SQLiteStore+Scoring.swift): runs with the span of their values, and one run's values over a window.
extension PostgresStore: ForecastScoringStore {
    public func forecastRunSpans(issuedFrom: Int64, issuedTo: Int64) async throws -> [ForecastRunSpan] {
        try await rows("""
            SELECT r.id, r.issued_at, r.kind, r.horizon_s, r.step_s, r.model,
                   MIN(f.slot_start) AS first_slot, MAX(f.slot_start + f.duration_s) AS end_slot
            FROM forecast_run r JOIN forecast f ON f.run_id = r.id
            WHERE r.issued_at >= \(issuedFrom) AND r.issued_at <= \(issuedTo)
            GROUP BY r.id ORDER BY r.issued_at, r.id
            """).map {
            ForecastRunSpan(run: StoredForecastRun(id: try $0.v("id"), issuedAt: try $0.v("issued_at"), kind: try $0.v("kind"),
                                                   horizonS: try $0.v("horizon_s"), stepS: try $0.v("step_s"), model: try $0.v("model")),
                            firstSlot: try $0.v("first_slot"), endSlot: try $0.v("end_slot"))
        }
    }

    public func forecastValues(runID: Int64, from: Int64, to: Int64, dong: String?, quantity: String?) async throws -> [ForecastValue] {
        try await rows("""
            SELECT dong_code, quantity, slot_start, duration_s, value_wh FROM forecast
            WHERE run_id = \(runID) AND slot_start >= \(from) AND slot_start < \(to)
              AND (\(dong)::TEXT IS NULL OR dong_code = \(dong)) AND (\(quantity)::TEXT IS NULL OR quantity = \(quantity))
            ORDER BY dong_code, quantity, slot_start
            """).map {
            ForecastValue(dongCode: try $0.v("dong_code"), quantity: try $0.v("quantity"), slotStart: try $0.v("slot_start"),
                          durationS: Int(try $0.v("duration_s", Int64.self)), value: WattHours(try $0.v("value_wh", Int64.self)))
        }
    }
}
