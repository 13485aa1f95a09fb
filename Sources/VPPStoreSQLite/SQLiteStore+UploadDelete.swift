import Foundation
import GRDB
import VPPCore
import VPPStore
import VPPAuth

extension SQLiteStore {
    /// Deletes upload `id` as if it had never been ingested, in one transaction, audited as
    /// `upload.delete` (an operator action: the CLI, which has the database itself).
    ///
    /// Readings it inserted are removed; readings it changed get back the value, quality and
    /// upload they had before (`reading_change`); `rollup_hourly` loses exactly what this upload
    /// added (energy and covered seconds, the inverse of `IngestWriter`), and rows left all zero
    /// are removed. Readings a later upload has since overwritten stay (the later value stands
    /// either way; that upload's change record now names what was there before this one).
    /// Limits: a later upload that repeated this upload's value wrote nothing, so the value reverts
    /// too (retry that upload to restore it); a monthly register reading this upload replaced is
    /// removed, not restored (the monthly reader keeps no history of register rows); changes made
    /// before migration `hardening-v1-upload-key` restore the value with no upload attribution.
    @discardableResult
    public func deleteUpload(id: Int64, actor: String = "cli") async throws -> UploadDeletion {
        let now = clock.now()
        return try await write { db in
            guard let upload = try Row.fetchOne(db, sql: "SELECT file_name, sha256, status FROM upload WHERE id = ?", arguments: [id]) else {
                throw VPPError(.noInput, "no upload \(id) (vpp uploads list)")
            }
            var out = UploadDeletion(uploadID: id, fileName: upload["file_name"])
            // Every asset ever loaded (a deactivated asset's readings still counted in the rollups).
            let assets = AssetDirectory(rows: try Row.fetchAll(db, sql: "SELECT id, dong_code, kind, params_json FROM asset").map {
                (id: $0["id"], dong: $0["dong_code"], kind: $0["kind"], paramsJSON: $0["params_json"])
            })
            var index: [String: Int] = [:]
            for (i, a) in assets.assets.enumerated() { index[a.id] = i }
            let rollups = RollupDelta()

            struct Change { var oldWh: Int64; var oldUpload: Int64?; var oldQuality: Int? }
            struct Key: Hashable { var asset: String; var slot: Int64; var duration: Int64 }
            var changes: [Key: Change] = [:]
            for r in try Row.fetchAll(db, sql: """
                SELECT asset_id, slot_start, duration_s, old_wh, old_upload_id, old_quality FROM reading_change WHERE upload_id = ?
                """, arguments: [id]) {
                changes[Key(asset: r["asset_id"], slot: r["slot_start"], duration: r["duration_s"])] =
                    Change(oldWh: r["old_wh"], oldUpload: r["old_upload_id"], oldQuality: r["old_quality"])
            }

            // Readings this upload wrote last.
            let restore = try db.makeStatement(sql: """
                UPDATE reading SET energy_wh = ?, quality = COALESCE(?, quality), upload_id = ?
                WHERE asset_id = ? AND slot_start = ? AND duration_s = ?
                """)
            let remove = try db.makeStatement(sql: "DELETE FROM reading WHERE asset_id = ? AND slot_start = ? AND duration_s = ?")
            let mine = try Row.fetchAll(db, sql: "SELECT asset_id, slot_start, duration_s, energy_wh FROM reading WHERE upload_id = ?",
                                        arguments: [id])
            for r in mine {
                let key = Key(asset: r["asset_id"], slot: r["slot_start"], duration: r["duration_s"])
                let wh: Int64 = r["energy_wh"]
                let a = index[key.asset]
                if a == nil { out.readingsOfUnknownAssets += 1 }
                if let c = changes[key] {
                    try restore.execute(arguments: [c.oldWh, c.oldQuality, c.oldUpload, key.asset, key.slot, key.duration])
                    if let a { rollups.add(assets.assets[a], slot: key.slot, wh: c.oldWh - wh, coveredS: 0) }
                    out.readingsRestored += 1
                } else {
                    try remove.execute(arguments: [key.asset, key.slot, key.duration])
                    if let a { rollups.add(assets.assets[a], slot: key.slot, wh: -wh, coveredS: -key.duration) }
                    out.readingsRemoved += 1
                }
            }

            // Later uploads that replaced one of this upload's values: their change record now names
            // what was there before this upload (or nothing, when this upload had inserted it).
            for r in try Row.fetchAll(db, sql: """
                SELECT id, asset_id, slot_start, duration_s, new_wh FROM reading_change WHERE old_upload_id = ? AND upload_id <> ?
                """, arguments: [id, id]) {
                let changeID: Int64 = r["id"]
                let key = Key(asset: r["asset_id"], slot: r["slot_start"], duration: r["duration_s"])
                let newWh: Int64 = r["new_wh"]
                if let c = changes[key], c.oldWh != newWh {
                    try db.execute(sql: "UPDATE reading_change SET old_wh = ?, old_upload_id = ?, old_quality = ? WHERE id = ?",
                                   arguments: [c.oldWh, c.oldUpload, c.oldQuality, changeID])
                } else {
                    try db.execute(sql: "DELETE FROM reading_change WHERE id = ?", arguments: [changeID])
                }
            }

            out.rollupHoursAdjusted = try rollups.apply(db)
            out.registerReadingsRemoved = try Self.deleteCounting(db, "DELETE FROM register_reading WHERE upload_id = ?", id)
            out.rejectedRowsRemoved = try Self.deleteCounting(db, "DELETE FROM rejected_row WHERE upload_id = ?", id)
            try db.execute(sql: "DELETE FROM review_item WHERE upload_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM reading_change WHERE upload_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM upload_owner WHERE upload_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM upload_file WHERE upload_id = ?", arguments: [id])
            try db.execute(sql: "UPDATE upload SET retry_of = NULL WHERE retry_of = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM upload WHERE id = ?", arguments: [id])

            let sha: String = upload["sha256"]
            var detail = "\(out.fileName) sha256 \(sha): \(out.readingsRemoved) readings removed, \(out.readingsRestored) restored, "
            detail += "\(out.registerReadingsRemoved) register readings and \(out.rejectedRowsRemoved) rejected rows removed, "
            detail += "\(out.rollupHoursAdjusted) rollup hours adjusted"
            if out.readingsOfUnknownAssets > 0 { detail += ", \(out.readingsOfUnknownAssets) readings of assets no longer in the site" }
            try Self.insertAudit(db, AuditEvent(at: now, actor: actor, tokenID: nil, action: "upload.delete",
                                                target: "upload:\(id)", outcome: "ok", detail: detail))
            return out
        }
    }

    private static func deleteCounting(_ db: Database, _ sql: String, _ id: Int64) throws -> Int {
        try db.execute(sql: sql, arguments: [id])
        return db.changesCount
    }
}

/// Per dong-hour adjustments of `rollup_hourly`, keyed like `IngestWriter`'s (the hour of the slot start).
private final class RollupDelta {
    struct Cell { var gen: Int64 = 0, cons: Int64 = 0, genS: Int64 = 0, consS: Int64 = 0 }
    struct Key: Hashable, Comparable {
        var dong: String, hour: Int64
        static func < (a: Key, b: Key) -> Bool { (a.dong, a.hour) < (b.dong, b.hour) }
    }
    private var cells: [Key: Cell] = [:]

    func add(_ asset: AssetDirectory.Asset, slot: Int64, wh: Int64, coveredS: Int64) {
        var hour = slot / 3600
        if slot % 3600 < 0 { hour -= 1 }
        let key = Key(dong: asset.dongCode, hour: hour * 3600)
        switch asset.flow {
        case .generation: cells[key, default: Cell()].gen += wh; cells[key, default: Cell()].genS += coveredS
        case .consumption: cells[key, default: Cell()].cons += wh; cells[key, default: Cell()].consS += coveredS
        case .none: return
        }
    }

    /// Adds the deltas; removes rows left all zero (only this upload had made them). Returns rows touched.
    func apply(_ db: Database) throws -> Int {
        let update = try db.makeStatement(sql: """
            UPDATE rollup_hourly SET generation_wh = generation_wh + ?, consumption_wh = consumption_wh + ?,
              generation_covered_s = generation_covered_s + ?, consumption_covered_s = consumption_covered_s + ?
            WHERE dong_code = ? AND hour_start = ?
            """)
        let prune = try db.makeStatement(sql: """
            DELETE FROM rollup_hourly WHERE dong_code = ? AND hour_start = ? AND generation_wh = 0 AND consumption_wh = 0
              AND charge_wh = 0 AND discharge_wh = 0 AND import_wh = 0 AND export_wh = 0
              AND generation_covered_s = 0 AND consumption_covered_s = 0
            """)
        for key in cells.keys.sorted() {
            guard let c = cells[key] else { continue }
            try update.execute(arguments: [c.gen, c.cons, c.genS, c.consS, key.dong, key.hour])
            try prune.execute(arguments: [key.dong, key.hour])
        }
        return cells.count
    }
}
