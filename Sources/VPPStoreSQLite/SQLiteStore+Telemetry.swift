import Foundation
import GRDB
import VPPCore
import VPPStore

extension SQLiteStore: TelemetryStore {
    /// Newest sample of each battery with `notBefore <= measured_at <= epoch`.
    public func latestTelemetry(at epoch: Int64, notBefore: Int64?) async throws -> [String: TelemetryPoint] {
        try await read { db in
            // SQLite: with MAX(), bare columns come from the row holding the maximum.
            let rows = try Row.fetchAll(db, sql: """
                SELECT battery_id, MAX(measured_at) AS measured_at, soc_wh, power_w, charged_wh, discharged_wh, upload_id
                FROM battery_telemetry WHERE measured_at <= ? AND measured_at >= ?
                GROUP BY battery_id
                """, arguments: [epoch, notBefore ?? Int64.min])
            var out: [String: TelemetryPoint] = [:]
            for r in rows { let p = Self.point(r); out[p.batteryID] = p }
            return out
        }
    }

    public func telemetrySeries(batteryIDs: [String], from: Int64, to: Int64) async throws -> [TelemetryPoint] {
        try await read { db in
            var sql = """
                SELECT battery_id, measured_at, soc_wh, power_w, charged_wh, discharged_wh, upload_id
                FROM battery_telemetry WHERE measured_at >= ? AND measured_at < ?
                """
            var args: [DatabaseValueConvertible] = [from, to]
            if !batteryIDs.isEmpty {
                sql += " AND battery_id IN (\(batteryIDs.map { _ in "?" }.joined(separator: ", ")))"
                args += batteryIDs.map { $0 as DatabaseValueConvertible }
            }
            sql += " ORDER BY battery_id, measured_at"
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(Self.point)
        }
    }

    /// The newest plan's slot for each (battery, slot start) in [from, to), by battery then time.
    public func plannedSlots(batteryIDs: [String], from: Int64, to: Int64) async throws -> [ScheduleSlot] {
        guard !batteryIDs.isEmpty else { return [] }
        return try await read { db in
            let marks = batteryIDs.map { _ in "?" }.joined(separator: ", ")
            // SQLite: with MAX(), bare columns come from the row holding the maximum.
            return try Row.fetchAll(db, sql: """
                SELECT battery_id, slot_start, duration_s, charge_w, discharge_w, soc_wh, MAX(run_id) FROM schedule
                WHERE battery_id IN (\(marks)) AND slot_start >= ? AND slot_start < ?
                GROUP BY battery_id, slot_start ORDER BY battery_id, slot_start
                """, arguments: StatementArguments(batteryIDs.map { $0.databaseValue } + [from.databaseValue, to.databaseValue])).map {
                ScheduleSlot(batteryID: $0["battery_id"], slotStart: $0["slot_start"], durationS: $0["duration_s"],
                             chargeW: $0["charge_w"], dischargeW: $0["discharge_w"], socWh: $0["soc_wh"])
            }
        }
    }

    private static func point(_ r: Row) -> TelemetryPoint {
        TelemetryPoint(batteryID: r["battery_id"], measuredAt: r["measured_at"], socWh: r["soc_wh"], powerW: r["power_w"],
                       chargedWh: r["charged_wh"], dischargedWh: r["discharged_wh"], uploadID: r["upload_id"])
    }
}
