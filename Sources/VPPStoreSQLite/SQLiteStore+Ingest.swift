import Foundation
import GRDB
import VPPCore
import VPPStore
import VPPAuth

extension SQLiteStore {
    /// The id of the upload that holds this idempotency key (`UploadKey.key`), if any.
    public func uploadID(idempotencyKey key: String) async throws -> Int64? {
        try await read { db in try Int64.fetchOne(db, sql: "SELECT id FROM upload WHERE idempotency_key = ?", arguments: [key]) }
    }

    /// Active assets of the loaded site(s), as ingestion resolves meter ids against them.
    public func assetDirectory() async throws -> AssetDirectory {
        let rows: [(id: String, dong: String, kind: String, paramsJSON: String)] = try await read { db in
            try Row.fetchAll(db, sql: "SELECT id, dong_code, kind, params_json FROM asset WHERE active = 1").map {
                (id: $0["id"], dong: $0["dong_code"], kind: $0["kind"], paramsJSON: $0["params_json"])
            }
        }
        let limits: [String: Double] = try await read { db in
            Dictionary(try Row.fetchAll(db, sql: "SELECT code, import_limit_kw FROM dong").map { ($0["code"], $0["import_limit_kw"]) },
                       uniquingKeysWith: { a, _ in a })
        }
        return AssetDirectory(rows: rows, dongImportLimitKW: limits)
    }

    /// The ingest transaction (`UploadStore.ingest`): the upload row (and its owner), the body's
    /// readings, rejects, review items and rollups through an `IngestWriter`, then the outcome,
    /// all in ONE write transaction. The key is checked again under the write lock, so of two
    /// concurrent identical uploads the second finds the first.
    public func ingest<T: Sendable>(_ u: NewUpload, directory dir: AssetDirectory,
                                    _ body: (any ReadingSink) throws -> (T, UploadOutcome)) async throws -> IngestResult<T> {
        try await writeBulk { db -> IngestResult<T> in
            if let prior = try Int64.fetchOne(db, sql: "SELECT id FROM upload WHERE idempotency_key = ?", arguments: [u.idempotencyKey]) {
                return .duplicate(uploadID: prior)
            }
            try db.execute(sql: """
                INSERT INTO upload (file_name, sha256, source, kind, received_at, status, owner, params, idempotency_key,
                                    original_path, retry_of)
                VALUES (?, ?, ?, ?, ?, 'ingesting', ?, ?, ?, ?, ?)
                """, arguments: [u.fileName, u.sha256, u.source, u.kind.rawValue, u.receivedAt, u.owner, u.params,
                                 u.idempotencyKey, u.originalPath, u.retryOf])
            let uploadID = db.lastInsertedRowID
            if let a = u.attribution {
                try db.execute(sql: "INSERT INTO upload_owner (upload_id, token_id, office, complex) VALUES (?, ?, ?, ?)",
                               arguments: [uploadID, a.tokenID, a.office, a.complex])
            }
            // A big page cache for the bulk transaction (fewer spills of dirty pages to the WAL
            // mid-transaction); bounded, so memory stays flat; restored afterwards.
            try db.execute(sql: "PRAGMA cache_size = -32768")
            defer { try? db.execute(sql: "PRAGMA cache_size = -2000") }
            let w = try IngestWriter(db: db, uploadID: uploadID, dir: dir, kind: u.kind)
            let (value, outcome) = try body(w)
            try db.execute(sql: """
                UPDATE upload SET rows_ok = ?, rows_rejected = ?, rows_changed = ?, status = ?, message = ?,
                  idempotency_key = CASE WHEN ? THEN NULL ELSE idempotency_key END
                WHERE id = ?
                """, arguments: [w.ok, w.rejected, w.changed, outcome.status, outcome.message, outcome.releaseKey, uploadID])
            if let bytes = outcome.originalBytes {
                try db.execute(sql: "INSERT INTO upload_file (upload_id, bytes) VALUES (?, ?)", arguments: [uploadID, bytes])
            }
            try Self.refreshMonthlySums(db)
            return .stored(value)
        }
    }
}
