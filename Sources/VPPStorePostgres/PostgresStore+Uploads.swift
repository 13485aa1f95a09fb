import Foundation
import PostgresNIO
import VPPCore
import VPPStore

/// Uploads, rejected rows, review items and the ingest transaction (`UploadStore`), as the
/// SQLite driver.
extension PostgresStore: UploadStore {
    /// The advisory-lock key space of idempotency keys (the second key is the key's hash).
    static let uploadKeyLock: Int32 = 0x7670_7575

    public func uploadID(idempotencyKey key: String) async throws -> Int64? {
        try await rows("SELECT id FROM upload WHERE idempotency_key = \(key)").first.map { try $0.v("id") }
    }

    private static func summary(_ r: PostgresRandomAccessRow) throws -> UploadSummary {
        UploadSummary(id: try r.v("id"), fileName: try r.v("file_name"), sha256: try r.v("sha256"), source: try r.v("source"),
                      kind: try r.v("kind"), receivedAt: try r.v("received_at"), rowsOK: Int(try r.v("rows_ok", Int64.self)),
                      rowsRejected: Int(try r.v("rows_rejected", Int64.self)), rowsChanged: Int(try r.v("rows_changed", Int64.self)),
                      status: try r.v("status"), message: try r.v("message"))
    }

    public func uploads(limit: Int) async throws -> [UploadSummary] {
        try await rows("SELECT * FROM upload ORDER BY id DESC LIMIT \(Int64(limit))").map(Self.summary)
    }

    public func upload(id: Int64) async throws -> UploadSummary? {
        try await rows("SELECT * FROM upload WHERE id = \(id)").first.map(Self.summary)
    }

    public func rejectedRows(uploadID: Int64, limit: Int) async throws -> [RejectedRow] {
        try await rows("""
            SELECT line, "column", raw, reason FROM rejected_row WHERE upload_id = \(uploadID) ORDER BY line, id LIMIT \(Int64(limit))
            """).map {
            RejectedRow(line: Int(try $0.v("line", Int64.self)), column: try $0.v("column", Int64?.self).map(Int.init),
                        raw: try $0.v("raw"), reason: try $0.v("reason"))
        }
    }

    private static func reviewItem(_ r: PostgresRandomAccessRow) throws -> StoredReviewItem {
        let period: String? = try r.v("period")
        let item = ReviewItem(kind: ReviewItem.Kind(rawValue: try r.v("kind")) ?? .registerWrap, reason: try r.v("reason"),
                              assetID: try r.v("asset_id"), unit: try r.v("unit"), period: period.flatMap(YearMonth.init),
                              previousRegister: try r.v("previous_register"), currentRegister: try r.v("current_register"),
                              candidateUsageWh: try r.v("candidate_usage_wh"))
        return StoredReviewItem(id: try r.v("id"), uploadID: try r.v("upload_id"), line: Int(try r.v("line", Int64.self)),
                                column: try r.v("column", Int64?.self).map(Int.init), raw: try r.v("raw"), item: item,
                                state: try r.v("state"), resolvedAt: try r.v("resolved_at"), resolvedBy: try r.v("resolved_by"),
                                note: try r.v("note"))
    }

    public func reviewItems(uploadID: Int64?, all: Bool, limit: Int) async throws -> [StoredReviewItem] {
        try await rows("""
            SELECT * FROM review_item WHERE (\(uploadID)::BIGINT IS NULL OR upload_id = \(uploadID)) AND (\(all) OR state = 'open')
            ORDER BY id LIMIT \(Int64(limit))
            """).map(Self.reviewItem)
    }

    @discardableResult
    public func resolveReview(id: Int64, decision: ReviewDecision, by actor: String, note: String?) async throws -> StoredReviewItem {
        let now = clock.now()
        return try await transaction("review write failed") { conn in
            guard let row = try await all(conn, "SELECT * FROM review_item WHERE id = \(id) FOR UPDATE").first else {
                throw VPPError(.noInput, "no review item \(id) (vpp uploads review)")
            }
            var stored = try Self.reviewItem(row)
            guard stored.state == "open" else {
                throw VPPError(.usage, "review item \(id) was already \(stored.state) by \(stored.resolvedBy ?? "?")")
            }
            let it = stored.item, up = stored.uploadID
            switch (it.kind, decision) {
            case (.registerWrap, .accept):
                guard let usage = it.candidateUsageWh, let unit = it.unit, let period = it.period, let d = it.currentRegister else {
                    throw VPPError(.badData, "review item \(id) has no usage to store")
                }
                let flag = "rollover: accepted on review \(id) by \(actor)"
                try await exec(conn, """
                    INSERT INTO register_reading (asset_id, unit, period, previous_register, current_register, usage_wh, flag, upload_id)
                    VALUES (\(it.assetID), \(unit), \(period.description), \(it.previousRegister), \(d), \(usage), \(flag), \(up))
                    ON CONFLICT (asset_id, unit, period) DO UPDATE SET previous_register = excluded.previous_register,
                      current_register = excluded.current_register, usage_wh = excluded.usage_wh, flag = excluded.flag,
                      upload_id = excluded.upload_id
                    """)
                try await exec(conn, "UPDATE upload SET rows_ok = rows_ok + 1 WHERE id = \(up)")
            case (.householdLabel, .reject):
                let gone = try await all(conn, """
                    DELETE FROM register_reading WHERE asset_id = \(it.assetID) AND unit = \(it.unit) AND period = \(it.period?.description)
                      AND upload_id = \(up) RETURNING 1 AS one
                    """)
                if !gone.isEmpty { try await exec(conn, "UPDATE upload SET rows_ok = rows_ok - 1 WHERE id = \(up)") }
            case (.householdLabel, .accept):
                let flag = "label accepted on review \(id) by \(actor)"
                try await exec(conn, """
                    UPDATE register_reading SET flag = \(flag)
                    WHERE asset_id = \(it.assetID) AND unit = \(it.unit) AND period = \(it.period?.description) AND upload_id = \(up)
                    """)
            case (.registerWrap, .reject), (.unitSwitch, _):
                break
            }
            let state = decision == .accept ? "accepted" : "rejected"
            try await exec(conn, """
                UPDATE review_item SET state = \(state), resolved_at = \(now), resolved_by = \(actor), note = \(note) WHERE id = \(id)
                """)
            let open: Int64 = try await all(conn, """
                SELECT COUNT(*) AS n FROM review_item WHERE upload_id = \(up) AND state = 'open'
                """)[0].v("n")
            if open == 0 {
                try await exec(conn, """
                    UPDATE upload SET status = CASE WHEN rows_rejected = 0 THEN 'ok' WHEN rows_ok > 0 THEN 'partial' ELSE 'rejected' END
                    WHERE id = \(up) AND status = 'review'
                    """)
            }
            stored.state = state; stored.resolvedAt = now; stored.resolvedBy = actor; stored.note = note
            return stored
        }
    }

    /// Removes an upload as if it had never been ingested (PostgresStore+UploadDelete.swift).
    public func deleteUpload(id: Int64, actor: String) async throws -> UploadDeletion {
        try await deleteUploadNow(id: id, actor: actor)
    }

    public func retrySource(uploadID id: Int64) async throws -> UploadRetrySource? {
        guard let r = try await rows("""
            SELECT u.file_name, u.sha256, u.kind, u.source, u.owner, u.params, u.original_path, f.bytes,
                   o.token_id, o.office, o.complex
            FROM upload u LEFT JOIN upload_file f ON f.upload_id = u.id LEFT JOIN upload_owner o ON o.upload_id = u.id
            WHERE u.id = \(id)
            """).first else { return nil }
        let token: Int64? = try r.v("token_id")
        return UploadRetrySource(uploadID: id, fileName: try r.v("file_name"), sha256: try r.v("sha256"), kind: try r.v("kind"),
                                 source: try r.v("source"), owner: try r.v("owner"), params: try r.v("params"),
                                 originalPath: try r.v("original_path"), bytes: try r.v("bytes"),
                                 attribution: try token.map { UploadAttribution(tokenID: $0, office: try r.v("office"), complex: try r.v("complex")) })
    }

    /// The ingest transaction (`UploadStore.ingest`): the upload row (and its owner), the body's
    /// readings, rejects, review items and rollups through a `PostgresIngestSink`, then the
    /// outcome, all in ONE transaction. Concurrent ingests of the same idempotency key serialize
    /// on an advisory lock of the key, so the second finds the first; ingests of different files
    /// run side by side.
    public func ingest<T: Sendable>(_ u: NewUpload, directory dir: AssetDirectory,
                                    _ body: (any ReadingSink) throws -> (T, UploadOutcome)) async throws -> IngestResult<T> {
        let rowByRow = ingestRowByRow
        return try await transaction("database write failed, nothing ingested") { conn -> IngestResult<T> in
            try await exec(conn, "SELECT pg_advisory_xact_lock(\(Self.uploadKeyLock), hashtext(\(u.idempotencyKey)))")
            if let prior = try await all(conn, "SELECT id FROM upload WHERE idempotency_key = \(u.idempotencyKey)").first {
                return .duplicate(uploadID: try prior.v("id"))
            }
            let uploadID: Int64 = try await all(conn, """
                INSERT INTO upload (file_name, sha256, source, kind, received_at, status, owner, params, idempotency_key,
                                    original_path, retry_of)
                VALUES (\(u.fileName), \(u.sha256), \(u.source), \(u.kind.rawValue), \(u.receivedAt), 'ingesting', \(u.owner), \(u.params),
                        \(u.idempotencyKey), \(u.originalPath), \(u.retryOf))
                RETURNING id
                """)[0].v("id")
            if let a = u.attribution {
                try await exec(conn, """
                    INSERT INTO upload_owner (upload_id, token_id, office, complex) VALUES (\(uploadID), \(a.tokenID), \(a.office), \(a.complex))
                    """)
            }
            // The integer key of every directory asset.
            let ids = dir.assets.map(\.id)
            var keyByID: [String: Int32] = [:]
            for r in try await all(conn, "SELECT key, id FROM asset WHERE id = ANY(\(ids))") { keyByID[try r.v("id")] = try r.v("key") }
            var keys: [Int32] = []
            for id in ids {
                guard let k = keyByID[id] else { throw VPPError(.internal, "asset \(id) of the directory is not in the store (load the site again)") }
                keys.append(k)
            }
            let sink = PostgresIngestSink(conn: conn, logger: logger, uploadID: uploadID, dir: dir, keys: keys, location: url.redacted,
                                          rowByRow: rowByRow, batchRows: ingestBatchRows, rollupCap: ingestRollupCap)
            let (value, outcome) = try await Self.onOwnThread(sink: sink, body)
            try await Self.onOwnThread(sink: sink) { _ in try sink.finish() }
            if conn.isClosed { throw PostgresIngestSink.dropped(url.redacted) }
            try await exec(conn, """
                UPDATE upload SET rows_ok = \(Int64(sink.ok)), rows_rejected = \(Int64(sink.rejected)), rows_changed = \(Int64(sink.changed)),
                  status = \(outcome.status), message = \(outcome.message),
                  idempotency_key = CASE WHEN \(outcome.releaseKey) THEN NULL ELSE idempotency_key END
                WHERE id = \(uploadID)
                """)
            if let bytes = outcome.originalBytes {
                try await exec(conn, "INSERT INTO upload_file (upload_id, bytes) VALUES (\(uploadID), \(bytes))")
            }
            return .stored(value)
        }
    }

    /// Runs the reader's synchronous body with the sink on a dedicated thread (the sink awaits
    /// each database step there), resuming the caller when it is done.
    static func onOwnThread<R: Sendable>(sink: PostgresIngestSink, _ body: (any ReadingSink) throws -> R) async throws -> R {
        try await withoutActuallyEscaping(body) { body in
            let job = ThreadJob(body: body, sink: sink)
            return try await withCheckedThrowingContinuation { (c: CheckedContinuation<R, Error>) in
                let t = Thread {
                    // The body is released before the caller resumes (`withoutActuallyEscaping` checks it did not escape).
                    let result = Result { try job.run() }
                    // A failed body may leave a batch being stored: let it finish before the rollback.
                    if case .failure = result { job.sink.abandonPending() }
                    c.resume(with: result)
                }
                t.stackSize = 16 << 20
                t.start()
            }
        }
    }
}

/// The body and sink handed to the ingest thread: the caller awaits the thread, so neither is
/// used concurrently.
private final class ThreadJob<R>: @unchecked Sendable {
    private var body: ((any ReadingSink) throws -> R)?
    let sink: PostgresIngestSink
    init(body: @escaping (any ReadingSink) throws -> R, sink: PostgresIngestSink) { self.body = body; self.sink = sink }

    /// Runs the body once and drops it.
    func run() throws -> R {
        guard let b = body else { throw VPPError(.internal, "ingest body already ran") }
        body = nil
        return try b(sink)
    }
}
