import Foundation
import GRDB
import VPPCore
import VPPStore

/// SQL for `ReadingArrivalStore` (issue 16): `reading.upload_id` joined to `upload.received_at`.
extension SQLiteStore: ReadingArrivalStore {
    public func readingArrivals(assetIDs: [String], from: Int64, to: Int64) async throws -> [ReadingArrival] {
        guard !assetIDs.isEmpty, to > from else { return [] }
        return try await read { db in
            let marks = assetIDs.map { _ in "?" }.joined(separator: ", ")
            // KST day of a slot: floor((slot_start + 9 h) / 1 d); its start back in UTC epoch seconds.
            let rows = try Row.fetchAll(db, sql: """
                SELECT r.asset_id, ((r.slot_start + 32400) / 86400) * 86400 - 32400 AS day_start, r.upload_id, u.received_at,
                       SUM(MIN(r.duration_s, ? - r.slot_start)) AS covered, COUNT(*) AS n
                FROM reading r LEFT JOIN upload u ON u.id = r.upload_id
                WHERE r.asset_id IN (\(marks)) AND r.slot_start >= ? AND r.slot_start < ?
                GROUP BY r.asset_id, day_start, r.upload_id
                ORDER BY r.asset_id, day_start, r.upload_id
                """, arguments: StatementArguments([to.databaseValue] + assetIDs.map { $0.databaseValue } + [from.databaseValue, to.databaseValue]))
            return rows.map {
                ReadingArrival(assetID: $0[0], dayStart: $0[1], uploadID: $0[2], receivedAt: $0[3], coveredS: $0[4], rows: $0[5])
            }
        }
    }
}
