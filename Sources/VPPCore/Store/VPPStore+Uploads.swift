import Foundation
import GRDB

/// One row of `vpp uploads list`.
public struct UploadSummary: Sendable, Codable, Equatable {
    public var id: Int64
    public var fileName: String
    public var sha256: String
    public var source: String
    public var kind: String
    /// UTC epoch seconds.
    public var receivedAt: Int64
    public var rowsOK: Int
    public var rowsRejected: Int
    public var rowsChanged: Int
    public var status: String
    public var message: String?
}

/// Hourly rollup totals of one dong over a period.
public struct RollupTotals: Sendable, Codable, Equatable {
    public var dongCode: String
    public var hours: Int
    public var generationWh: Int64
    public var consumptionWh: Int64
    public var generationCoveredS: Int64
    public var consumptionCoveredS: Int64
}

extension VPPStore {
    private static func summary(_ r: Row) -> UploadSummary {
        UploadSummary(id: r["id"], fileName: r["file_name"], sha256: r["sha256"], source: r["source"], kind: r["kind"],
                      receivedAt: r["received_at"], rowsOK: r["rows_ok"], rowsRejected: r["rows_rejected"],
                      rowsChanged: r["rows_changed"], status: r["status"], message: r["message"])
    }

    /// Uploads, newest first.
    public func uploads(limit: Int = 100) throws -> [UploadSummary] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM upload ORDER BY id DESC LIMIT ?", arguments: [limit]).map(Self.summary)
        }
    }

    public func upload(id: Int64) throws -> UploadSummary? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM upload WHERE id = ?", arguments: [id]).map(Self.summary) }
    }

    /// Rejected rows of an upload in file order.
    public func rejectedRows(uploadID: Int64, limit: Int = 1000) throws -> [RejectedRow] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT line, "column", raw, reason FROM rejected_row WHERE upload_id = ? ORDER BY line, id LIMIT ?
                """, arguments: [uploadID, limit]).map {
                RejectedRow(line: $0["line"], column: $0["column"], raw: $0["raw"], reason: $0["reason"])
            }
        }
    }

    /// Rollup totals for one dong over [from, to) (UTC epoch s, hour-aligned).
    public func rollupTotals(dong: String, from: Int64, to: Int64) throws -> RollupTotals {
        try read { db in
            let r = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) AS n, COALESCE(SUM(generation_wh), 0) AS g, COALESCE(SUM(consumption_wh), 0) AS c,
                       COALESCE(SUM(generation_covered_s), 0) AS gs, COALESCE(SUM(consumption_covered_s), 0) AS cs
                FROM rollup_hourly WHERE dong_code = ? AND hour_start >= ? AND hour_start < ?
                """, arguments: [dong, from, to])!
            return RollupTotals(dongCode: dong, hours: r["n"], generationWh: r["g"], consumptionWh: r["c"],
                                generationCoveredS: r["gs"], consumptionCoveredS: r["cs"])
        }
    }

    /// Rollup totals for one dong over a KST calendar month.
    public func rollupTotals(dong: String, month: YearMonth) throws -> RollupTotals {
        try rollupTotals(dong: dong, from: month.startEpoch, to: month.endEpoch)
    }
}
