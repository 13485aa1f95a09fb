import Foundation
import GRDB
import VPPCore
import VPPStore
import VPPAuth

extension SQLiteStore {
    private static func reviewItem(_ r: Row) -> StoredReviewItem {
        let period: String? = r["period"]
        let item = ReviewItem(kind: ReviewItem.Kind(rawValue: r["kind"]) ?? .registerWrap, reason: r["reason"], assetID: r["asset_id"],
                              unit: r["unit"], period: period.flatMap(YearMonth.init), previousRegister: r["previous_register"],
                              currentRegister: r["current_register"], candidateUsageWh: r["candidate_usage_wh"])
        return StoredReviewItem(id: r["id"], uploadID: r["upload_id"], line: r["line"], column: r["column"], raw: r["raw"], item: item,
                                state: r["state"], resolvedAt: r["resolved_at"], resolvedBy: r["resolved_by"], note: r["note"])
    }

    /// Review items, oldest first: of one upload, or all; only open ones unless `all`.
    public func reviewItems(uploadID: Int64? = nil, all: Bool = false, limit: Int = 1000) async throws -> [StoredReviewItem] {
        try await read { db in
            var sql = "SELECT * FROM review_item WHERE 1 = 1"
            var args: [DatabaseValueConvertible?] = []
            if let uploadID { sql += " AND upload_id = ?"; args.append(uploadID) }
            if !all { sql += " AND state = 'open'" }
            sql += " ORDER BY id LIMIT ?"; args.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(Self.reviewItem)
        }
    }

    /// Resolves one open review item in one transaction: the register row it stands for is
    /// stored or removed as decided, and the upload leaves `review` when nothing is open.
    @discardableResult
    public func resolveReview(id: Int64, decision: ReviewDecision, by actor: String, note: String? = nil) async throws -> StoredReviewItem {
        let now = clock.now()
        return try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM review_item WHERE id = ?", arguments: [id]) else {
                throw VPPError(.noInput, "no review item \(id) (vpp uploads review)")
            }
            var stored = Self.reviewItem(row)
            guard stored.state == "open" else {
                throw VPPError(.usage, "review item \(id) was already \(stored.state) by \(stored.resolvedBy ?? "?")")
            }
            let it = stored.item
            switch (it.kind, decision) {
            case (.registerWrap, .accept):
                guard let usage = it.candidateUsageWh, let unit = it.unit, let period = it.period, let d = it.currentRegister else {
                    throw VPPError(.badData, "review item \(id) has no usage to store")
                }
                try db.execute(sql: """
                    INSERT INTO register_reading (asset_id, unit, period, previous_register, current_register, usage_wh, flag, upload_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (asset_id, unit, period) DO UPDATE SET previous_register = excluded.previous_register,
                      current_register = excluded.current_register, usage_wh = excluded.usage_wh, flag = excluded.flag,
                      upload_id = excluded.upload_id
                    """, arguments: [it.assetID, unit, period.description, it.previousRegister, d, usage,
                                     "rollover: accepted on review \(id) by \(actor)", stored.uploadID])
                try db.execute(sql: "UPDATE upload SET rows_ok = rows_ok + 1 WHERE id = ?", arguments: [stored.uploadID])
            case (.householdLabel, .reject):
                try db.execute(sql: "DELETE FROM register_reading WHERE asset_id = ? AND unit = ? AND period = ? AND upload_id = ?",
                               arguments: [it.assetID, it.unit, it.period?.description, stored.uploadID])
                if db.changesCount > 0 {
                    try db.execute(sql: "UPDATE upload SET rows_ok = rows_ok - 1 WHERE id = ?", arguments: [stored.uploadID])
                }
            case (.householdLabel, .accept):
                try db.execute(sql: "UPDATE register_reading SET flag = ? WHERE asset_id = ? AND unit = ? AND period = ? AND upload_id = ?",
                               arguments: ["label accepted on review \(id) by \(actor)", it.assetID, it.unit, it.period?.description,
                                           stored.uploadID])
            case (.registerWrap, .reject), (.unitSwitch, _):
                break
            }
            let state = decision == .accept ? "accepted" : "rejected"
            try db.execute(sql: "UPDATE review_item SET state = ?, resolved_at = ?, resolved_by = ?, note = ? WHERE id = ?",
                           arguments: [state, now, actor, note, id])
            let open = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM review_item WHERE upload_id = ? AND state = 'open'",
                                        arguments: [stored.uploadID]) ?? 0
            if open == 0 {
                try db.execute(sql: """
                    UPDATE upload SET status = CASE WHEN rows_rejected = 0 THEN 'ok' WHEN rows_ok > 0 THEN 'partial' ELSE 'rejected' END
                    WHERE id = ? AND status = 'review'
                    """, arguments: [stored.uploadID])
            }
            stored.state = state; stored.resolvedAt = now; stored.resolvedBy = actor; stored.note = note
            return stored
        }
    }
}
