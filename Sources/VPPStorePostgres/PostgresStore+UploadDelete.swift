import Foundation
import PostgresNIO
import VPPCore
import VPPStore

extension PostgresStore {
    /// Deletes upload `id` as if it had never been ingested, in ONE transaction, audited as
    /// `upload.delete`: the semantics of the SQLite driver (SQLiteStore+UploadDelete.swift), with
    /// set-based statements instead of a loop per reading.
    ///
    /// Readings it inserted are removed; readings it changed get back the value, quality and
    /// upload they had before (`reading_change`); `rollup_hourly` loses exactly what this upload
    /// added (energy and covered seconds, the inverse of the ingest sink), and rows left all zero
    /// are removed. Readings a later upload has since overwritten stay (the later value stands);
    /// that upload's change record now names what was there before this one. Its telemetry rows
    /// go with it (foreign key cascade). Same limits as SQLite: a later upload that repeated this
    /// upload's value wrote nothing, so the value reverts too; a register reading this upload
    /// replaced is removed, not restored.
    /// Finding the upload's readings uses the index of migration `pg-upload-delete-v1`.
    func deleteUploadNow(id: Int64, actor: String) async throws -> UploadDeletion {
        let now = clock.now()
        return try await transaction("upload delete failed, nothing deleted") { conn in
            guard let upload = try await all(conn, "SELECT file_name, sha256 FROM upload WHERE id = \(id) FOR UPDATE").first else {
                throw VPPError(.noInput, "no upload \(id) (vpp uploads list)")
            }
            var out = UploadDeletion(uploadID: id, fileName: try upload.v("file_name"))

            // Every asset ever loaded (a deactivated asset's readings still counted in the rollups).
            var keyToID: [Int32: String] = [:]
            var rows: [(id: String, dong: String, kind: String, paramsJSON: String)] = []
            for r in try await all(conn, "SELECT key, id, dong_code, kind, params_json FROM asset") {
                keyToID[try r.v("key")] = try r.v("id")
                rows.append((try r.v("id"), try r.v("dong_code"), try r.v("kind"), try r.v("params_json")))
            }
            let assets = AssetDirectory(rows: rows)
            var byID: [String: AssetDirectory.Asset] = [:]
            for a in assets.assets { byID[a.id] = a }

            // What this upload changed: the value, upload and quality before it (one record per reading;
            // the newest stands, as SQLite's map keyed by reading).
            try await exec(conn, """
                CREATE TEMP TABLE upload_delete_change ON COMMIT DROP AS
                SELECT DISTINCT ON (asset_key, slot_start, duration_s) asset_key, slot_start, duration_s, old_wh, old_upload_id, old_quality
                FROM reading_change WHERE upload_id = \(id) ORDER BY asset_key, slot_start, duration_s, id DESC
                """)

            // Per asset-hour: what removing or restoring this upload's readings takes off the rollups.
            let deltas = try await all(conn, """
                SELECT r.asset_key, r.slot_start - (((r.slot_start % 3600) + 3600) % 3600) AS hour,
                       SUM(CASE WHEN c.asset_key IS NULL THEN -r.energy_wh ELSE c.old_wh - r.energy_wh END)::BIGINT AS wh,
                       SUM(CASE WHEN c.asset_key IS NULL THEN -r.duration_s ELSE 0 END)::BIGINT AS covered_s,
                       SUM(CASE WHEN c.asset_key IS NULL THEN 1 ELSE 0 END)::BIGINT AS removed,
                       SUM(CASE WHEN c.asset_key IS NULL THEN 0 ELSE 1 END)::BIGINT AS restored
                FROM reading r LEFT JOIN upload_delete_change c USING (asset_key, slot_start, duration_s)
                WHERE r.upload_id = \(id)
                GROUP BY 1, 2
                """)
            struct CellKey: Hashable, Comparable {
                var dong: String, hour: Int64
                static func < (a: CellKey, b: CellKey) -> Bool { (a.dong, a.hour) < (b.dong, b.hour) }
            }
            struct Cell { var gen: Int64 = 0, cons: Int64 = 0, genS: Int64 = 0, consS: Int64 = 0 }
            var cells: [CellKey: Cell] = [:]
            for d in deltas {
                let key: Int32 = try d.v("asset_key")
                let removed = Int(try d.v("removed", Int64.self)), restored = Int(try d.v("restored", Int64.self))
                out.readingsRemoved += removed
                out.readingsRestored += restored
                guard let aid = keyToID[key], let a = byID[aid] else {
                    out.readingsOfUnknownAssets += removed + restored
                    continue
                }
                let k = CellKey(dong: a.dongCode, hour: try d.v("hour"))
                let wh: Int64 = try d.v("wh"), s: Int64 = try d.v("covered_s")
                switch a.flow {
                case .generation: cells[k, default: Cell()].gen += wh; cells[k, default: Cell()].genS += s
                case .consumption: cells[k, default: Cell()].cons += wh; cells[k, default: Cell()].consS += s
                case .none: continue
                }
            }

            // Readings this upload wrote last: changed ones get their earlier value back, the rest go.
            try await exec(conn, """
                UPDATE reading r SET energy_wh = c.old_wh, quality = COALESCE(c.old_quality, r.quality), upload_id = c.old_upload_id
                FROM upload_delete_change c
                WHERE r.upload_id = \(id) AND r.asset_key = c.asset_key AND r.slot_start = c.slot_start AND r.duration_s = c.duration_s
                """)
            try await exec(conn, "DELETE FROM reading WHERE upload_id = \(id)")

            // Later uploads that replaced one of this upload's values: their change record now names
            // what was there before this upload (or goes, when this upload had inserted it or the
            // earlier value equals theirs).
            try await exec(conn, """
                UPDATE reading_change rc SET old_wh = c.old_wh, old_upload_id = c.old_upload_id, old_quality = c.old_quality
                FROM upload_delete_change c
                WHERE rc.old_upload_id = \(id) AND rc.upload_id <> \(id) AND rc.asset_key = c.asset_key AND rc.slot_start = c.slot_start
                  AND rc.duration_s = c.duration_s AND c.old_wh <> rc.new_wh
                """)
            try await exec(conn, "DELETE FROM reading_change WHERE old_upload_id = \(id) AND upload_id <> \(id)")

            // The rollups lose exactly this upload's share; rows left all zero are removed.
            let sorted = cells.keys.sorted()
            if !sorted.isEmpty {
                let dongs = sorted.map(\.dong), hours = sorted.map(\.hour)
                let gen = sorted.map { cells[$0]?.gen ?? 0 }, cons = sorted.map { cells[$0]?.cons ?? 0 }
                let genS = sorted.map { cells[$0]?.genS ?? 0 }, consS = sorted.map { cells[$0]?.consS ?? 0 }
                try await exec(conn, """
                    UPDATE rollup_hourly h SET generation_wh = h.generation_wh + d.g, consumption_wh = h.consumption_wh + d.c,
                      generation_covered_s = h.generation_covered_s + d.gs, consumption_covered_s = h.consumption_covered_s + d.cs
                    FROM unnest(\(dongs)::TEXT[], \(hours)::BIGINT[], \(gen)::BIGINT[], \(cons)::BIGINT[], \(genS)::BIGINT[],
                                \(consS)::BIGINT[]) AS d(dong, hour, g, c, gs, cs)
                    WHERE h.dong_code = d.dong AND h.hour_start = d.hour
                    """)
                try await exec(conn, """
                    DELETE FROM rollup_hourly h USING unnest(\(dongs)::TEXT[], \(hours)::BIGINT[]) AS d(dong, hour)
                    WHERE h.dong_code = d.dong AND h.hour_start = d.hour AND h.generation_wh = 0 AND h.consumption_wh = 0
                      AND h.charge_wh = 0 AND h.discharge_wh = 0 AND h.import_wh = 0 AND h.export_wh = 0
                      AND h.generation_covered_s = 0 AND h.consumption_covered_s = 0
                    """)
            }
            out.rollupHoursAdjusted = sorted.count

            out.registerReadingsRemoved = try await all(conn, "DELETE FROM register_reading WHERE upload_id = \(id) RETURNING 1 AS one").count
            out.rejectedRowsRemoved = try await all(conn, "DELETE FROM rejected_row WHERE upload_id = \(id) RETURNING 1 AS one").count
            try await exec(conn, "DELETE FROM review_item WHERE upload_id = \(id)")
            try await exec(conn, "DELETE FROM reading_change WHERE upload_id = \(id)")
            try await exec(conn, "DELETE FROM upload_owner WHERE upload_id = \(id)")
            try await exec(conn, "DELETE FROM upload_file WHERE upload_id = \(id)")
            try await exec(conn, "UPDATE upload SET retry_of = NULL WHERE retry_of = \(id)")
            try await exec(conn, "DELETE FROM upload WHERE id = \(id)")

            let sha: String = try upload.v("sha256")
            var detail = "\(out.fileName) sha256 \(sha): \(out.readingsRemoved) readings removed, \(out.readingsRestored) restored, "
            detail += "\(out.registerReadingsRemoved) register readings and \(out.rejectedRowsRemoved) rejected rows removed, "
            detail += "\(out.rollupHoursAdjusted) rollup hours adjusted"
            if out.readingsOfUnknownAssets > 0 { detail += ", \(out.readingsOfUnknownAssets) readings of assets no longer in the site" }
            try await insertAudit(conn, AuditEvent(at: now, actor: actor, tokenID: nil, action: "upload.delete",
                                                   target: "upload:\(id)", outcome: "ok", detail: detail))
            return out
        }
    }
}
