import Foundation
import GRDB
import VPPCore
import VPPStore

/// SQL for `SetpointDeliveryStore` (issue 16). Schema: migration "dash-v1-setpoint-delivery".
extension SQLiteStore: SetpointDeliveryStore {
    public func recordSetpointDeliveries(_ deliveries: [SetpointDelivery]) async throws {
        guard !deliveries.isEmpty else { return }
        try await write { db in
            let stmt = try db.cachedStatement(sql: """
                INSERT INTO setpoint_delivery (run_id, battery_id, path, written_at, slots, first_slot_start, last_slot_end)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_id, battery_id) DO UPDATE SET path = excluded.path, written_at = excluded.written_at,
                    slots = excluded.slots, first_slot_start = excluded.first_slot_start, last_slot_end = excluded.last_slot_end
                """)
            for d in deliveries {
                try stmt.execute(arguments: [d.runID, d.batteryID, d.path, d.writtenAt, d.slots, d.firstSlotStart, d.lastSlotEnd])
            }
        }
    }

    public func setpointDeliveries(batteryID: String, from: Int64, to: Int64, limit: Int) async throws -> [SetpointDelivery] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT run_id, battery_id, path, written_at, slots, first_slot_start, last_slot_end FROM setpoint_delivery
                WHERE battery_id = ? AND first_slot_start < ? AND last_slot_end > ? ORDER BY written_at DESC, run_id DESC LIMIT ?
                """, arguments: [batteryID, to, from, max(0, limit)]).map(Self.delivery)
        }
    }

    public func latestSetpointDelivery(batteryID: String) async throws -> SetpointDelivery? {
        try await read { db in
            try Row.fetchOne(db, sql: """
                SELECT run_id, battery_id, path, written_at, slots, first_slot_start, last_slot_end FROM setpoint_delivery
                WHERE battery_id = ? ORDER BY written_at DESC, run_id DESC LIMIT 1
                """, arguments: [batteryID]).map(Self.delivery)
        }
    }

    private static func delivery(_ r: Row) -> SetpointDelivery {
        SetpointDelivery(runID: r[0], batteryID: r[1], path: r[2], writtenAt: r[3], slots: r[4], firstSlotStart: r[5], lastSlotEnd: r[6])
    }
}
