import Foundation
import GRDB
import GRDBSQLite
import VPPCore
import VPPStore

/// Writes one upload inside the caller's write transaction: readings through a prepared
/// upsert (raw SQLite binds, no per-row allocation), a `reading_change` row for every stored
/// value that changes, rejected rows, and the hourly per-dong rollups (accumulated in memory
/// per hour and added once at the end, so they equal the sum of the accepted readings).
final class IngestWriter: ReadingSink {
    let db: Database
    let uploadID: Int64
    let dir: AssetDirectory
    let kind: IngestKind

    var ok = 0
    private(set) var rejected = 0
    var changed = 0
    var skipped = 0
    var flagged = 0
    var baselines = 0
    private(set) var dataRows = 0
    private(set) var rejectSamples: [RejectedRow] = []
    var firstSlot: Int64 = .max
    var lastSlot: Int64 = .min

    private struct AssetState {
        var lastSlot: Int64 = .min
        var existingLoaded = false
        var existingMin: Int64 = .max
        var existingMax: Int64 = .min
    }
    private var states: [AssetState]
    private let flows: [AssetDirectory.Flow]
    private let dongIndex: [Int]
    private let cIDs: [UnsafeMutablePointer<CChar>]
    private let cLens: [Int32]
    private let upsert: OpaquePointer
    /// Plain insert for rows that cannot exist yet (after this file's last slot of the asset and
    /// outside the stored range): skips the conflict clause.
    private let insert: OpaquePointer
    private let selectOne: OpaquePointer
    private let insertChange: Statement
    private let insertReject: Statement
    private let registerUpsert: Statement

    fileprivate struct Cell {
        var gen: Int64 = 0, cons: Int64 = 0, genS: Int64 = 0, consS: Int64 = 0
        mutating func merge(_ o: Cell) { gen += o.gen; cons += o.cons; genS += o.genS; consS += o.consS }
    }
    /// A dong-hour: hour since the epoch (floor) and the dong's index in the directory.
    fileprivate struct RollupKey: Hashable, Comparable {
        var hour: Int64
        var dong: Int
        static func < (a: RollupKey, b: RollupKey) -> Bool { (a.hour, a.dong) < (b.hour, b.dong) }
    }
    private var rollups: [RollupKey: Cell] = [:]
    private var lastKey: RollupKey?
    private var lastCell = Cell()
    /// Rollup rows written by partial flushes so far.
    private(set) var rollupRowsWritten = 0
    /// Telemetry checks of this upload (IngestWriter+Telemetry.swift), loaded on the first sample.
    var telemetryChecks: TelemetryCheckState?

    init(db: Database, uploadID: Int64, dir: AssetDirectory, kind: IngestKind) throws {
        self.db = db; self.uploadID = uploadID; self.dir = dir; self.kind = kind
        states = Array(repeating: AssetState(), count: dir.assets.count)
        flows = dir.assets.map(\.flow)
        dongIndex = dir.assets.map(\.dongIndex)
        cIDs = dir.assets.map { strdup($0.id)! }
        cLens = dir.assets.map { Int32($0.id.utf8.count) }
        upsert = try db.cachedStatement(sql: """
            INSERT INTO reading (asset_id, slot_start, duration_s, energy_wh, quality, upload_id) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (asset_id, slot_start, duration_s) DO UPDATE SET
              energy_wh = excluded.energy_wh, quality = excluded.quality, upload_id = excluded.upload_id
            """).sqliteStatement
        insert = try db.cachedStatement(sql: """
            INSERT INTO reading (asset_id, slot_start, duration_s, energy_wh, quality, upload_id) VALUES (?, ?, ?, ?, ?, ?)
            """).sqliteStatement
        selectOne = try db.cachedStatement(sql: """
            SELECT energy_wh, upload_id, quality FROM reading WHERE asset_id = ? AND slot_start = ? AND duration_s = ?
            """).sqliteStatement
        insertChange = try db.cachedStatement(sql: """
            INSERT INTO reading_change (upload_id, asset_id, slot_start, duration_s, old_wh, new_wh, old_upload_id, old_quality)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertReject = try db.cachedStatement(sql: """
            INSERT INTO rejected_row (upload_id, line, "column", raw, reason) VALUES (?, ?, ?, ?, ?)
            """)
        registerUpsert = try db.cachedStatement(sql: """
            INSERT INTO register_reading (asset_id, unit, period, previous_register, current_register, usage_wh, flag, upload_id, billing_json)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (asset_id, unit, period) DO UPDATE SET previous_register = excluded.previous_register,
              current_register = excluded.current_register, usage_wh = excluded.usage_wh, flag = excluded.flag,
              upload_id = excluded.upload_id, billing_json = excluded.billing_json
            """)
    }

    deinit { for p in cIDs { free(p) } }

    private func check(_ rc: Int32, _ stmt: OpaquePointer) throws {
        if rc != SQLITE_DONE && rc != SQLITE_ROW {
            let msg = String(cString: sqlite3_errmsg(sqlite3_db_handle(stmt)))
            throw VPPError.database(resultCode: rc, message: msg, "database write failed")
        }
    }

    /// Counts one data row.
    @inline(__always) func countRow(line: Int) throws { dataRows += 1 }

    /// Stores one accepted interval reading for asset index `a`.
    @inline(__always)
    func reading(asset a: Int, slotStart: Int64, duration: Int, wh: Int64, quality: Int,
                 line: Int, raw: UnsafeBufferPointer<UInt8>, column: Int?) throws {
        if !states[a].existingLoaded { try loadExisting(a) }
        let st = states[a]
        let fresh = slotStart > st.lastSlot && (slotStart > st.existingMax || slotStart < st.existingMin)
        if fresh {
            try bindAndStep(insert, a, slotStart, duration, wh, quality)
            addRollup(a, slotStart: slotStart, deltaWh: wh, coveredS: Int64(duration))
        } else {
            // Possible overlap with stored data or a repeat inside this file: look it up.
            sqlite3_reset(selectOne)
            sqlite3_bind_text(selectOne, 1, cIDs[a], cLens[a], nil)
            sqlite3_bind_int64(selectOne, 2, slotStart)
            sqlite3_bind_int64(selectOne, 3, Int64(duration))
            let rc = sqlite3_step(selectOne)
            if rc == SQLITE_ROW {
                let old = sqlite3_column_int64(selectOne, 0)
                let oldUpload = sqlite3_column_type(selectOne, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(selectOne, 1)
                let oldQuality = sqlite3_column_int64(selectOne, 2)
                sqlite3_reset(selectOne)
                if oldUpload == uploadID {
                    let when = KSTDateTime(epochSeconds: slotStart)
                    try reject(line: line, column: column, raw: raw, reason: old == wh
                        ? "duplicate row: \(dir.assets[a].id) slot \(when) KST already given earlier in this file"
                        : "repeated time stamp: \(dir.assets[a].id) slot \(when) KST already given earlier in this file with \(old) Wh, now \(wh) Wh (Korea has no DST, so a repeated hour is an export error)")
                    return
                }
                if old != wh {
                    try bindAndStep(upsert, a, slotStart, duration, wh, quality)
                    // What it replaced (upload and quality), so `vpp uploads delete` can restore it.
                    try insertChange.execute(arguments: [uploadID, dir.assets[a].id, slotStart, duration, old, wh,
                                                         oldUpload >= 0 ? oldUpload : nil, oldQuality])
                    addRollup(a, slotStart: slotStart, deltaWh: wh - old, coveredS: 0)
                    changed += 1
                }
            } else {
                sqlite3_reset(selectOne)
                try check(rc, selectOne)
                try bindAndStep(upsert, a, slotStart, duration, wh, quality)
                addRollup(a, slotStart: slotStart, deltaWh: wh, coveredS: Int64(duration))
            }
        }
        if slotStart > states[a].lastSlot { states[a].lastSlot = slotStart }
        // Bounded memory: partial rollup sums are added to the table (additive upsert) when the
        // in-memory map grows past 64k dong-hours (files spanning years).
        if rollups.count >= 65_536 { rollupRowsWritten += try flushRollups() }
        if slotStart < firstSlot { firstSlot = slotStart }
        if slotStart > lastSlot { lastSlot = slotStart }
        ok += 1
    }

    @inline(__always)
    private func bindAndStep(_ s: OpaquePointer, _ a: Int, _ slot: Int64, _ dur: Int, _ wh: Int64, _ q: Int) throws {
        sqlite3_reset(s)
        sqlite3_bind_text(s, 1, cIDs[a], cLens[a], nil)
        sqlite3_bind_int64(s, 2, slot)
        sqlite3_bind_int64(s, 3, Int64(dur))
        sqlite3_bind_int64(s, 4, wh)
        sqlite3_bind_int64(s, 5, Int64(q))
        sqlite3_bind_int64(s, 6, uploadID)
        let rc = sqlite3_step(s)
        if rc != SQLITE_DONE { try check(rc, s) }
    }

    private func loadExisting(_ a: Int) throws {
        let row = try Row.fetchOne(db, sql: "SELECT MIN(slot_start) AS lo, MAX(slot_start) AS hi FROM reading WHERE asset_id = ?",
                                   arguments: [dir.assets[a].id])
        if let lo: Int64 = row?["lo"], let hi: Int64 = row?["hi"] {
            states[a].existingMin = lo; states[a].existingMax = hi
        }
        states[a].existingLoaded = true
    }

    @inline(__always)
    private func addRollup(_ a: Int, slotStart: Int64, deltaWh: Int64, coveredS: Int64) {
        let flow = flows[a]
        if flow == .none { return }
        let key = RollupKey(hour: slotStart.floorDiv(3600), dong: dongIndex[a])
        if key != lastKey {
            if let last = lastKey { rollups[last, default: Cell()].merge(lastCell) }
            lastKey = key; lastCell = Cell()
        }
        if flow == .generation { lastCell.gen += deltaWh; lastCell.genS += coveredS } else {
            lastCell.cons += deltaWh; lastCell.consS += coveredS
        }
    }

    /// Stores a rejected row with its raw text (delimiters shown as commas for .xlsx rows).
    func reject(line: Int, column: Int?, raw: UnsafeBufferPointer<UInt8>, reason: String) throws {
        var bytes = Array(raw.prefix(2000))
        for i in bytes.indices where bytes[i] == 0x1F { bytes[i] = 44 }
        let text = String(decoding: bytes, as: UTF8.self)
        try insertReject.execute(arguments: [uploadID, line, column, text, reason])
        rejected += 1
        if rejectSamples.count < 20 { rejectSamples.append(RejectedRow(line: line, column: column, raw: text, reason: reason)) }
    }


    /// Rows kept for an operator's review (stored in `review_item`, not counted as energy yet).
    private(set) var forReview = 0

    /// Keeps a monthly row for review: an operator accepts (storing `candidateUsageWh`) or rejects it.
    func review(_ item: ReviewItem, line: Int, column: Int?, raw: UnsafeBufferPointer<UInt8>) throws {
        var bytes = Array(raw.prefix(2000))
        for i in bytes.indices where bytes[i] == 0x1F { bytes[i] = 44 }
        try db.execute(sql: """
            INSERT INTO review_item (upload_id, line, "column", raw, reason, kind, asset_id, unit, period,
                                     previous_register, current_register, candidate_usage_wh)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [uploadID, line, column, String(decoding: bytes, as: UTF8.self), item.reason, item.kind.rawValue,
                             item.assetID, item.unit, item.period?.description, item.previousRegister, item.currentRegister,
                             item.candidateUsageWh])
        forReview += 1
    }

    /// Stores one household register row (keyed by meter, 동-호 and month); returns whether it
    /// changed a stored usage or register.
    func registerReading(_ r: RegisterReading) throws -> Bool {
        let old = try Row.fetchOne(db, sql: """
            SELECT usage_wh, current_register FROM register_reading WHERE asset_id = ? AND unit = ? AND period = ?
            """, arguments: [r.assetID, r.unit, r.period.description])
        let changedValue = old.map { ($0["usage_wh"] as Int64) != r.usageWh || ($0["current_register"] as Double) != r.currentRegister } ?? false
        try registerUpsert.execute(arguments: [r.assetID, r.unit, r.period.description, r.previousRegister, r.currentRegister, r.usageWh,
                                     r.flag, uploadID, r.billingJSON])
        ok += 1
        if changedValue { changed += 1 }
        return changedValue
    }

    /// Adds the accumulated rollups to `rollup_hourly`. Returns the number of hours touched.
    func flushRollups() throws -> Int {
        if let last = lastKey { rollups[last, default: Cell()].merge(lastCell); lastKey = nil }
        let stmt = try db.cachedStatement(sql: """
            INSERT INTO rollup_hourly (dong_code, hour_start, generation_wh, consumption_wh, generation_covered_s, consumption_covered_s)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (dong_code, hour_start) DO UPDATE SET
              generation_wh = generation_wh + excluded.generation_wh,
              consumption_wh = consumption_wh + excluded.consumption_wh,
              generation_covered_s = generation_covered_s + excluded.generation_covered_s,
              consumption_covered_s = consumption_covered_s + excluded.consumption_covered_s
            """).sqliteStatement
        // Raw binds (one row per dong-hour; 10^5 rows for a 1M-row file), in key order.
        let dongC = dir.dongs.map { strdup($0)! }
        defer { for p in dongC { free(p) } }
        for (key, c) in rollups.sorted(by: { $0.key < $1.key }) {
            let d = key.dong
            sqlite3_reset(stmt)
            sqlite3_bind_text(stmt, 1, dongC[d], Int32(strlen(dongC[d])), nil)
            sqlite3_bind_int64(stmt, 2, key.hour * 3600)
            sqlite3_bind_int64(stmt, 3, c.gen)
            sqlite3_bind_int64(stmt, 4, c.cons)
            sqlite3_bind_int64(stmt, 5, c.genS)
            sqlite3_bind_int64(stmt, 6, c.consS)
            let rc = sqlite3_step(stmt)
            if rc != SQLITE_DONE { try check(rc, stmt) }
        }
        sqlite3_reset(stmt)
        let n = rollups.count
        rollups.removeAll()
        return n
    }
}
