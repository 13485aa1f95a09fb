import Foundation
import GRDB
import VPPCore
import VPPStore
import VPPAuth

extension SQLiteStore {
    private static func summary(_ r: Row) -> UploadSummary {
        UploadSummary(id: r["id"], fileName: r["file_name"], sha256: r["sha256"], source: r["source"], kind: r["kind"],
                      receivedAt: r["received_at"], rowsOK: r["rows_ok"], rowsRejected: r["rows_rejected"],
                      rowsChanged: r["rows_changed"], status: r["status"], message: r["message"])
    }

    /// Uploads, newest first.
    public func uploads(limit: Int = 100) async throws -> [UploadSummary] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM upload ORDER BY id DESC LIMIT ?", arguments: [limit]).map(Self.summary)
        }
    }

    public func upload(id: Int64) async throws -> UploadSummary? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM upload WHERE id = ?", arguments: [id]).map(Self.summary) }
    }

    /// Rejected rows of an upload in file order.
    public func rejectedRows(uploadID: Int64, limit: Int = 1000) async throws -> [RejectedRow] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT line, "column", raw, reason FROM rejected_row WHERE upload_id = ? ORDER BY line, id LIMIT ?
                """, arguments: [uploadID, limit]).map {
                RejectedRow(line: $0["line"], column: $0["column"], raw: $0["raw"], reason: $0["reason"])
            }
        }
    }

    /// Rollup totals for one dong over [from, to) (UTC epoch s, hour-aligned).
    public func rollupTotals(dong: String, from: Int64, to: Int64) async throws -> RollupTotals {
        try await read { db in
            let r = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) AS n, COALESCE(SUM(generation_wh), 0) AS g, COALESCE(SUM(consumption_wh), 0) AS c,
                       COALESCE(SUM(generation_covered_s), 0) AS gs, COALESCE(SUM(consumption_covered_s), 0) AS cs
                FROM rollup_hourly WHERE dong_code = ? AND hour_start >= ? AND hour_start < ?
                """, arguments: [dong, from, to])!
            return RollupTotals(dongCode: dong, hours: r["n"], generationWh: r["g"], consumptionWh: r["c"],
                                generationCoveredS: r["gs"], consumptionCoveredS: r["cs"])
        }
    }
}

extension SQLiteStore {
    public func retrySource(uploadID id: Int64) async throws -> UploadRetrySource? {
        try await read { db in
            guard let r = try Row.fetchOne(db, sql: """
                SELECT u.file_name, u.sha256, u.kind, u.source, u.owner, u.params, u.original_path, f.bytes,
                       o.token_id, o.office, o.complex
                FROM upload u LEFT JOIN upload_file f ON f.upload_id = u.id LEFT JOIN upload_owner o ON o.upload_id = u.id
                WHERE u.id = ?
                """, arguments: [id]) else { return nil }
            let token: Int64? = r["token_id"]
            return UploadRetrySource(uploadID: id, fileName: r["file_name"], sha256: r["sha256"], kind: r["kind"], source: r["source"],
                                     owner: r["owner"], params: r["params"], originalPath: r["original_path"], bytes: r["bytes"],
                                     attribution: token.map { UploadAttribution(tokenID: $0, office: r["office"], complex: r["complex"]) })
        }
    }
}
