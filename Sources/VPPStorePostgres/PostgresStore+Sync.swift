import Foundation
import PostgresNIO
import VPPCore
import VPPStore

// `vpp sync --to postgresql://…` (issue 14): the city side of a sync on PostgreSQL, with the
// semantics of `SQLiteStore+Sync.swift`. A batch and its new watermark commit in ONE transaction;
// the watermark row is locked (SELECT … FOR UPDATE) before anything is written, so two syncs of
// the same district and stream serialize and the second is refused (its `after` is stale) instead
// of applying a batch twice. Rows go in set-wise (unnest arrays): one statement per table per
// batch. Schema: migration "city-v1-sync" (`PostgresCityMigrations.sync`).

extension PostgresStore: SyncTarget {
    public func syncWatermark(source: String, stream: SyncStream) async throws -> Int64 {
        try await rows("""
            SELECT value FROM sync_watermark WHERE source_site = \(source) AND stream = \(stream.rawValue)
            """, "sync watermark read failed").first?.v("value") ?? 0
    }

    public func applySyncBatch(source: String, _ batch: SyncBatch, failAfterRows: Int?) async throws -> Int {
        let now = clock.now()
        let stream = batch.stream.rawValue
        return try await transaction("sync of \(source) \(stream) into \(url.redacted) failed, nothing of this batch was committed") { conn in
            // The watermark row exists (0 before the first sync) and is locked for this transaction.
            try await exec(conn, """
                INSERT INTO sync_watermark (source_site, stream, value, updated_at) VALUES (\(source), \(stream), 0, \(now))
                ON CONFLICT (source_site, stream) DO NOTHING
                """)
            let stored: Int64 = try await all(conn, """
                SELECT value FROM sync_watermark WHERE source_site = \(source) AND stream = \(stream) FOR UPDATE
                """).first?.v("value") ?? 0
            guard stored == batch.after else {
                throw VPPError(.temporary, "sync of \(source) \(stream): the city's watermark is \(stored), "
                               + "the batch starts after \(batch.after) (another sync ran at the same time); run vpp sync again")
            }
            var budget = FailureBudget(failAfterRows)
            switch batch.stream {
            case .rollups:
                try await applyRollups(conn, source: source, batch.rollups, &budget)
            case .uploads:
                try await applyUploads(conn, source: source, batch.uploads, &budget)
            case .forecasts:
                for run in batch.forecastRuns {
                    try await exec(conn, "DELETE FROM city_forecast WHERE site_id = \(source) AND run_id = \(run.id)")
                    try await exec(conn, """
                        INSERT INTO city_forecast_run (site_id, run_id, issued_at, kind, horizon_s, step_s, model, params_json)
                        VALUES (\(source), \(run.id), \(run.issuedAt), \(run.kind), \(run.horizonS), \(run.stepS), \(run.model), \(run.paramsJSON))
                        ON CONFLICT (site_id, run_id) DO UPDATE SET issued_at = excluded.issued_at, kind = excluded.kind,
                          horizon_s = excluded.horizon_s, step_s = excluded.step_s, model = excluded.model, params_json = excluded.params_json
                        """)
                    try budget.wrote(1)
                    let v = Array(run.values.prefix(budget.allowance(run.values.count)))
                    if !v.isEmpty {
                        try await exec(conn, """
                            INSERT INTO city_forecast (site_id, run_id, dong_code, quantity, slot_start, duration_s, value_wh)
                            SELECT \(source), \(run.id), * FROM unnest(\(v.map(\.dongCode))::TEXT[], \(v.map(\.quantity))::TEXT[],
                                \(v.map(\.slotStart))::BIGINT[], \(v.map { Int64($0.durationS) })::BIGINT[], \(v.map(\.value.wh))::BIGINT[])
                            """)
                    }
                    try budget.wrote(v.count)
                }
            case .dispatch:
                for run in batch.dispatchRuns {
                    try await exec(conn, "DELETE FROM city_schedule WHERE site_id = \(source) AND run_id = \(run.id)")
                    try await exec(conn, """
                        INSERT INTO city_dispatch_run (site_id, run_id, started_at, finished_at, status, objective, objective_value,
                                                       breakdown_json, horizon_s, step_s, solve_ms, message)
                        VALUES (\(source), \(run.id), \(run.startedAt), \(run.finishedAt), \(run.status), \(run.objective), \(run.objectiveValue),
                                \(run.breakdownJSON), \(Int64(run.horizonS)), \(Int64(run.stepS)), \(run.solveMs), \(run.message))
                        ON CONFLICT (site_id, run_id) DO UPDATE SET started_at = excluded.started_at, finished_at = excluded.finished_at,
                          status = excluded.status, objective = excluded.objective, objective_value = excluded.objective_value,
                          breakdown_json = excluded.breakdown_json, horizon_s = excluded.horizon_s, step_s = excluded.step_s,
                          solve_ms = excluded.solve_ms, message = excluded.message
                        """)
                    try budget.wrote(1)
                    let s = Array(run.schedule.prefix(budget.allowance(run.schedule.count)))
                    if !s.isEmpty {
                        try await exec(conn, """
                            INSERT INTO city_schedule (site_id, run_id, battery_id, slot_start, duration_s, charge_w, discharge_w, soc_wh)
                            SELECT \(source), \(run.id), * FROM unnest(\(s.map(\.batteryID))::TEXT[], \(s.map(\.slotStart))::BIGINT[],
                                \(s.map { Int64($0.durationSeconds) })::BIGINT[], \(s.map(\.chargeW))::DOUBLE PRECISION[],
                                \(s.map(\.dischargeW))::DOUBLE PRECISION[], \(s.map(\.socWh))::BIGINT[])
                            """)
                    }
                    try budget.wrote(s.count)
                }
            }
            try await exec(conn, """
                UPDATE sync_watermark SET value = \(batch.through), updated_at = \(now)
                WHERE source_site = \(source) AND stream = \(stream)
                """)
            return budget.written
        }
    }

    /// Dong-hours of `source`'s dongs only: present ones upserted (the district's value replaces
    /// the city's), absent ones deleted.
    private func applyRollups(_ conn: PostgresConnection, source: String, _ rollups: [SyncRollup], _ budget: inout FailureBudget) async throws {
        guard !rollups.isEmpty else { return }
        let own = Set(try await all(conn, "SELECT code FROM dong WHERE site_id = \(source)").map { try $0.v("code", String.self) })
        for r in rollups where !own.contains(r.dongCode) {
            throw VPPError(.badData, "sync from \(source): dong \(r.dongCode) is not a dong of site \(source) in the city store")
        }
        // The rows the failure hook lets through, the last of a repeated dong-hour winning (one
        // upsert statement may touch a row only once).
        let taken = rollups.prefix(budget.allowance(rollups.count))
        var latest: [String: Int] = [:]
        for (i, r) in taken.enumerated() { latest[r.dongCode + "|" + String(r.hourStart)] = i }
        let chosen = taken.enumerated().filter { latest[$0.element.dongCode + "|" + String($0.element.hourStart)] == $0.offset }.map(\.element)
        let upserts = chosen.compactMap { r in r.rollup.map { (dong: r.dongCode, hour: r.hourStart, x: $0) } }
        let deletes = chosen.filter { $0.rollup == nil }
        if !upserts.isEmpty {
            let x = upserts.map(\.x)
            try await exec(conn, """
                INSERT INTO rollup_hourly (dong_code, hour_start, generation_wh, consumption_wh, charge_wh, discharge_wh, import_wh,
                                           export_wh, generation_covered_s, consumption_covered_s)
                SELECT * FROM unnest(\(upserts.map(\.dong))::TEXT[], \(upserts.map(\.hour))::BIGINT[], \(x.map(\.generationWh))::BIGINT[],
                    \(x.map(\.consumptionWh))::BIGINT[], \(x.map(\.chargeWh))::BIGINT[], \(x.map(\.dischargeWh))::BIGINT[],
                    \(x.map(\.importWh))::BIGINT[], \(x.map(\.exportWh))::BIGINT[], \(x.map(\.generationCoveredS))::BIGINT[],
                    \(x.map(\.consumptionCoveredS))::BIGINT[])
                ON CONFLICT (dong_code, hour_start) DO UPDATE SET
                  generation_wh = excluded.generation_wh, consumption_wh = excluded.consumption_wh, charge_wh = excluded.charge_wh,
                  discharge_wh = excluded.discharge_wh, import_wh = excluded.import_wh, export_wh = excluded.export_wh,
                  generation_covered_s = excluded.generation_covered_s, consumption_covered_s = excluded.consumption_covered_s
                """)
        }
        if !deletes.isEmpty {
            try await exec(conn, """
                DELETE FROM rollup_hourly r USING unnest(\(deletes.map(\.dongCode))::TEXT[], \(deletes.map(\.hourStart))::BIGINT[]) AS g(dong, hour)
                WHERE r.dong_code = g.dong AND r.hour_start = g.hour
                """)
        }
        try budget.wrote(taken.count)
    }

    /// Upload summaries, replacing the city's copy of the same district upload id.
    private func applyUploads(_ conn: PostgresConnection, source: String, _ uploads: [SyncUpload], _ budget: inout FailureBudget) async throws {
        for u in uploads.prefix(budget.allowance(uploads.count)) {
            try await exec(conn, """
                INSERT INTO city_upload (site_id, upload_id, file_name, sha256, source, kind, received_at, rows_ok, rows_rejected,
                                         rows_changed, status, message)
                VALUES (\(source), \(u.id), \(u.fileName), \(u.sha256), \(u.source), \(u.kind), \(u.receivedAt), \(Int64(u.rowsOK)),
                        \(Int64(u.rowsRejected)), \(Int64(u.rowsChanged)), \(u.status), \(u.message))
                ON CONFLICT (site_id, upload_id) DO UPDATE SET file_name = excluded.file_name, sha256 = excluded.sha256,
                  source = excluded.source, kind = excluded.kind, received_at = excluded.received_at, rows_ok = excluded.rows_ok,
                  rows_rejected = excluded.rows_rejected, rows_changed = excluded.rows_changed, status = excluded.status,
                  message = excluded.message
                """)
            try budget.wrote(1)
        }
    }
}

/// The tests' crash hook of `applySyncBatch` (`failAfterRows`): rows are written set-wise, so the
/// hook lets at most the remaining allowance through and throws, inside the transaction, once
/// that many rows are written (as the SQLite driver does row by row).
struct FailureBudget {
    private let limit: Int?
    private(set) var written = 0

    init(_ failAfterRows: Int?) { limit = failAfterRows.map { max(1, $0) } }

    /// How many of the next `n` rows may be written before the hook fires.
    func allowance(_ n: Int) -> Int {
        guard let limit else { return n }
        return min(n, max(0, limit - written))
    }

    /// Counts `n` written rows; throws once the limit is reached.
    mutating func wrote(_ n: Int) throws {
        written += n
        if let limit, written >= limit {
            throw VPPError(.internal, "sync: injected failure after \(limit) rows (test hook)")
        }
    }
}
