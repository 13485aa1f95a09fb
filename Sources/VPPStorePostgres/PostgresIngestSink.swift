import Foundation
import Logging
import NIOCore
import PostgresNIO
import VPPCore
import VPPStore

/// One upload's writes inside the ingest transaction (`ReadingSink`), with the SQLite driver's
/// row semantics and a bulk path:
///
/// - A reading newer than every earlier row of its asset in this file is buffered; a full batch
///   (and the rest at the end) is streamed with `COPY … FROM STDIN` in the background while the
///   reader parses the next batch (one batch in flight at most) — straight into `reading`'s month
///   partitions when no stored row of the batch's assets lies in its time span, else into a temporary table
///   merged with one `INSERT … ON CONFLICT` that logs every changed value in `reading_change`
///   and corrects the rollups by what it replaced.
/// - A reading at or before an earlier row of its asset (a repeat or out-of-order row) flushes the
///   batch and is checked row by row, as in SQLite: a repeat of this upload is rejected with its
///   line and reason; a changed stored value is replaced and logged.
/// - Rollups accumulate per dong-hour in memory and are added in the same transaction.
///
/// The reader calls the sink synchronously; the sink runs on a dedicated thread
/// (`PostgresStore.ingest`), so each database step is awaited there without blocking Swift's
/// cooperative threads.
final class PostgresIngestSink: ReadingSink {
    let conn: PostgresConnection
    let logger: Logger
    let uploadID: Int64
    let dir: AssetDirectory
    /// The integer `asset.key` of each directory asset (directory order).
    let keys: [Int32]

    var ok = 0
    private(set) var rejected = 0
    var changed = 0
    var skipped = 0
    var flagged = 0
    var baselines = 0
    private(set) var dataRows = 0
    private(set) var forReview = 0
    private(set) var rejectSamples: [RejectedRow] = []
    var firstSlot: Int64 = .max
    var lastSlot: Int64 = .min
    private(set) var rollupRowsWritten = 0

    /// Rows per COPY batch (`PostgresStore.defaultIngestBatchRows` unless a test sets fewer).
    let batchRows: Int
    /// The current batch's size: an eighth of `batchRows` first, doubling up to it, so the
    /// server starts storing after a short parse instead of after a whole batch's.
    private var batchLimit: Int

    private var lastSlotOfAsset: [Int64]
    private let flows: [AssetDirectory.Flow]
    private let dongIndex: [Int]
    private var keyToIndex: [Int32: Int] = [:]

    // The pending batch.
    private var bAsset: [Int32] = [], bSlot: [Int64] = [], bDur: [Int32] = [], bWh: [Int64] = [], bQuality: [Int16] = []
    private var bMin: Int64 = .max, bMax: Int64 = .min
    /// Each asset's first and last slot in the pending batch.
    private var bSpan: [Int32: (lo: Int64, hi: Int64)] = [:]
    // Pending rejects.
    private var rLine: [Int64] = [], rColumn: [Int64] = [], rRaw: [String] = [], rReason: [String] = []
    /// KST months whose `reading` partition is known to exist.
    private var partitions = Set<YearMonth>()
    /// The batch being stored in the background (at most one).
    private var pending: InFlight<[Correction]>?

    private struct Cell {
        var gen: Int64 = 0, cons: Int64 = 0, genS: Int64 = 0, consS: Int64 = 0
        mutating func add(generation: Bool, wh: Int64, coveredS: Int64) {
            if generation { gen += wh; genS += coveredS } else { cons += wh; consS += coveredS }
        }
    }
    private struct RollupKey: Hashable, Comparable {
        var hour: Int64
        var dong: Int
        static func < (a: RollupKey, b: RollupKey) -> Bool { (a.hour, a.dong) < (b.hour, b.dong) }
    }
    private var rollups: [RollupKey: Cell] = [:]
    /// Dong-hours moved to `ingest_rollup_spill` since the last rollup write, and each dong's
    /// hour span over them and the in-memory ones.
    private var spilledRows = 0
    private var spillSpans: [Int: (lo: Int64, hi: Int64)] = [:]

    /// Dong-hours held in memory before they move to the spill table.
    let rollupCap: Int

    /// For the bench: every row checked one by one (no COPY), to measure the bulk path against.
    let rowByRow: Bool

    /// Where the store is (for messages; no password).
    let location: String

    /// Telemetry checks of this upload, read on first use (PostgresStore+Telemetry.swift).
    var telemetryChecks: PostgresTelemetryChecks?
    /// Telemetry samples newer than anything stored for their battery, written in bulk.
    var telemetryBuffer = TelemetryBuffer()

    init(conn: PostgresConnection, logger: Logger, uploadID: Int64, dir: AssetDirectory, keys: [Int32], location: String,
         rowByRow: Bool = false, batchRows: Int = PostgresStore.defaultIngestBatchRows, rollupCap: Int = PostgresStore.defaultIngestRollupCap) {
        self.rollupCap = max(1, rollupCap)
        self.location = location
        self.batchRows = max(1, batchRows)
        self.batchLimit = max(1, batchRows / 8)
        self.conn = conn; self.logger = logger; self.uploadID = uploadID; self.dir = dir; self.keys = keys; self.rowByRow = rowByRow
        lastSlotOfAsset = Array(repeating: .min, count: dir.assets.count)
        flows = dir.assets.map(\.flow)
        dongIndex = dir.assets.map(\.dongIndex)
        for (i, k) in keys.enumerated() { keyToIndex[k] = i }
    }

    // MARK: ReadingSink

    func countRow(line: Int) throws { dataRows += 1 }

    func reading(asset a: Int, slotStart: Int64, duration: Int, wh: Int64, quality: Int,
                 line: Int, raw: UnsafeBufferPointer<UInt8>, column: Int?) throws {
        if slotStart > lastSlotOfAsset[a] && !rowByRow {
            bAsset.append(keys[a]); bSlot.append(slotStart); bDur.append(Int32(duration)); bWh.append(wh); bQuality.append(Int16(quality))
            if slotStart < bMin { bMin = slotStart }
            if slotStart > bMax { bMax = slotStart }
            if let sp = bSpan[keys[a]] {
                bSpan[keys[a]] = (min(sp.lo, slotStart), max(sp.hi, slotStart))
            } else {
                bSpan[keys[a]] = (slotStart, slotStart)
            }
            addRollup(a, slotStart: slotStart, deltaWh: wh, coveredS: Int64(duration))
        } else {
            // A repeat or out-of-order row: the stored state must include every earlier row of this file.
            try flushBatch()
            let key = keys[a]
            let found = try step { [conn, logger] in
                try await PostgresStore.rows(conn, """
                    SELECT energy_wh, upload_id, quality FROM reading
                    WHERE asset_key = \(key) AND slot_start = \(slotStart) AND duration_s = \(Int32(duration))
                    """, logger: logger).first.map {
                    (old: try $0.v("energy_wh", Int64.self), oldUpload: try $0.v("upload_id", Int64?.self), oldQuality: try $0.v("quality", Int16.self))
                }
            }
            if let f = found {
                if f.oldUpload == uploadID {
                    let when = KSTDateTime(epochSeconds: slotStart)
                    try reject(line: line, column: column, raw: raw, reason: f.old == wh
                        ? "duplicate row: \(dir.assets[a].id) slot \(when) KST already given earlier in this file"
                        : "repeated time stamp: \(dir.assets[a].id) slot \(when) KST already given earlier in this file with \(f.old) Wh, now \(wh) Wh (Korea has no DST, so a repeated hour is an export error)")
                    return
                }
                if f.old != wh {
                    let up = uploadID, q = Int16(quality), d = Int32(duration)
                    try step { [conn, logger] in
                        try await conn.query("""
                            UPDATE reading SET energy_wh = \(wh), quality = \(q), upload_id = \(up)
                            WHERE asset_key = \(key) AND slot_start = \(slotStart) AND duration_s = \(d)
                            """, logger: logger)
                        try await conn.query("""
                            INSERT INTO reading_change (upload_id, asset_key, slot_start, duration_s, old_wh, new_wh, old_upload_id, old_quality)
                            VALUES (\(up), \(key), \(slotStart), \(d), \(f.old), \(wh), \(f.oldUpload), \(f.oldQuality))
                            """, logger: logger)
                    }
                    addRollup(a, slotStart: slotStart, deltaWh: wh - f.old, coveredS: 0)
                    changed += 1
                }
            } else {
                try ensurePartitions(from: slotStart, to: slotStart)
                let up = uploadID, q = Int16(quality), d = Int32(duration)
                try step { [conn, logger] in
                    try await conn.query("""
                        INSERT INTO reading (asset_key, slot_start, duration_s, energy_wh, quality, upload_id)
                        VALUES (\(key), \(slotStart), \(d), \(wh), \(q), \(up))
                        """, logger: logger)
                }
                addRollup(a, slotStart: slotStart, deltaWh: wh, coveredS: Int64(duration))
            }
        }
        if slotStart > lastSlotOfAsset[a] { lastSlotOfAsset[a] = slotStart }
        if slotStart < firstSlot { firstSlot = slotStart }
        if slotStart > lastSlot { lastSlot = slotStart }
        ok += 1
        if bSlot.count >= batchLimit { try flushBatch() }
        // Bounded memory: past `rollupCap` dong-hours (PostgresStore.defaultIngestRollupCap) the partial sums move to a temporary table of this transaction; `rollup_hourly` itself is
        // written once, at the end of the file (`flushRollups`).
        if rollups.count >= rollupCap { try spillRollups() }
    }

    func reject(line: Int, column: Int?, raw: UnsafeBufferPointer<UInt8>, reason: String) throws {
        var bytes = Array(raw.prefix(2000))
        for i in bytes.indices where bytes[i] == 0x1F { bytes[i] = 44 }
        // PostgreSQL text cannot hold NUL.
        bytes.removeAll { $0 == 0 }
        let text = String(decoding: bytes, as: UTF8.self)
        rLine.append(Int64(line)); rColumn.append(column.map(Int64.init) ?? -1); rRaw.append(text); rReason.append(reason)
        rejected += 1
        if rejectSamples.count < 20 { rejectSamples.append(RejectedRow(line: line, column: column, raw: text, reason: reason)) }
        if rLine.count >= 10_000 { try flushRejects() }
    }

    func review(_ item: ReviewItem, line: Int, column: Int?, raw: UnsafeBufferPointer<UInt8>) throws {
        var bytes = Array(raw.prefix(2000))
        for i in bytes.indices where bytes[i] == 0x1F { bytes[i] = 44 }
        bytes.removeAll { $0 == 0 }
        let text = String(decoding: bytes, as: UTF8.self)
        let up = uploadID, l = Int64(line), c = column.map(Int64.init)
        try step { [conn, logger] in
            try await conn.query("""
                INSERT INTO review_item (upload_id, line, "column", raw, reason, kind, asset_id, unit, period,
                                         previous_register, current_register, candidate_usage_wh)
                VALUES (\(up), \(l), \(c), \(text), \(item.reason), \(item.kind.rawValue), \(item.assetID), \(item.unit),
                        \(item.period?.description), \(item.previousRegister), \(item.currentRegister), \(item.candidateUsageWh))
                """, logger: logger)
        }
        forReview += 1
    }

    func registerReading(_ r: RegisterReading) throws -> Bool {
        let up = uploadID
        let changedValue = try step { [conn, logger] () -> Bool in
            let old = try await PostgresStore.rows(conn, """
                SELECT usage_wh, current_register FROM register_reading
                WHERE asset_id = \(r.assetID) AND unit = \(r.unit) AND period = \(r.period.description)
                """, logger: logger).first
            let changed = try old.map { try $0.v("usage_wh", Int64.self) != r.usageWh || $0.v("current_register", Double.self) != r.currentRegister } ?? false
            try await conn.query("""
                INSERT INTO register_reading (asset_id, unit, period, previous_register, current_register, usage_wh, flag, upload_id, billing_json)
                VALUES (\(r.assetID), \(r.unit), \(r.period.description), \(r.previousRegister), \(r.currentRegister), \(r.usageWh),
                        \(r.flag), \(up), \(r.billingJSON))
                ON CONFLICT (asset_id, unit, period) DO UPDATE SET previous_register = excluded.previous_register,
                  current_register = excluded.current_register, usage_wh = excluded.usage_wh, flag = excluded.flag,
                  upload_id = excluded.upload_id, billing_json = excluded.billing_json
                """, logger: logger)
            return changed
        }
        ok += 1
        if changedValue { changed += 1 }
        return changedValue
    }

    /// Writes the pending batch, then adds the accumulated rollups (with any spilled mid-file) to
    /// `rollup_hourly`; returns the dong-hours written.
    func flushRollups() throws -> Int {
        try flushBatch()
        try awaitPending()
        try flushRejects()
        guard !rollups.isEmpty || spilledRows > 0 else { return 0 }
        let r = rollupRows()
        let spilled = spilledRows > 0
        let n = try step { [conn, logger] in try await Self.storeRollups(r, spilled: spilled, conn: conn, logger: logger) }
        rollups.removeAll()
        spilledRows = 0
        spillSpans.removeAll()
        return n
    }

    /// Moves the in-memory rollups to this transaction's temporary table `ingest_rollup_spill`
    /// (no lock, `rollup_hourly` untouched): the file holds its dongs' locks only for its final
    /// rollup write, so two big files cannot lock each other's dongs in turn.
    private func spillRollups() throws {
        try flushBatch()
        try awaitPending()
        let r = rollupRows()
        try step { [conn, logger] in
            try await conn.query("""
                CREATE TEMP TABLE IF NOT EXISTS ingest_rollup_spill (dong_code TEXT, hour_start BIGINT, generation_wh BIGINT,
                    consumption_wh BIGINT, generation_covered_s BIGINT, consumption_covered_s BIGINT) ON COMMIT DROP
                """, logger: logger)
            try await conn.copyFrom(table: "ingest_rollup_spill", columns: Self.rollupColumns, logger: logger) { w in
                try await Self.encodeRollups(r) { try await w.write($0) }
            }
        }
        spilledRows += rollups.count
        rollups.removeAll()
    }

    /// The in-memory rollups sorted by hour and dong, with each dong's hour span (including what
    /// was spilled before).
    private func rollupRows() -> RollupRows {
        let sorted = rollups.sorted { $0.key < $1.key }
        var r = RollupRows()
        r.dong.reserveCapacity(sorted.count); r.hour.reserveCapacity(sorted.count)
        for (k, c) in sorted {
            let hour = k.hour * 3600
            r.dong.append(k.dong); r.hour.append(hour)
            r.gen.append(c.gen); r.cons.append(c.cons); r.genS.append(c.genS); r.consS.append(c.consS)
            if let sp = spillSpans[k.dong] { spillSpans[k.dong] = (min(sp.lo, hour), max(sp.hi, hour)) } else { spillSpans[k.dong] = (hour, hour) }
        }
        r.codes = dir.dongs
        let spans = spillSpans.sorted { $0.key < $1.key }
        r.spanDong = spans.map { dir.dongs[$0.key] }; r.spanLo = spans.map(\.value.lo); r.spanHi = spans.map(\.value.hi)
        return r
    }

    /// The accumulated dong-hours of one flush, sorted by hour and dong.
    private struct RollupRows: Sendable {
        /// Dong codes by directory index (`dong` holds indexes into it).
        var codes: [String] = []
        var dong: [Int] = [], hour: [Int64] = [], gen: [Int64] = [], cons: [Int64] = [], genS: [Int64] = [], consS: [Int64] = []
        /// Per dong of the flush: its first and last hour.
        var spanDong: [String] = [], spanLo: [Int64] = [], spanHi: [Int64] = []
    }

    static let rollupColumns = ["dong_code", "hour_start", "generation_wh", "consumption_wh", "generation_covered_s", "consumption_covered_s"]

    /// Adds the file's dong-hours to `rollup_hourly` (the in-memory ones in `r`, plus those in
    /// `ingest_rollup_spill` when `spilled`); returns how many dong-hours were written.
    /// - First it takes a transaction lock per dong (in one order, so two files cannot deadlock on
    ///   them): two files of one dong write their sums one after the other, so the check below
    ///   sees what the other committed.
    /// - No stored row of a dong in that dong's hours of the file (its first data for its dongs
    ///   and period): straight into the table (COPY, or one INSERT from the spilled sums).
    /// - Else into a temporary table, one additive `UPDATE … FROM` of the stored dong-hours that
    ///   also drops them from the temporary table, then one additive `INSERT … ON CONFLICT` of the
    ///   rest — correct whatever else writes meanwhile.
    /// The monthly sums follow by the table's statement triggers either way. Measured with
    /// `vpp bench pg-ingest` and in psql (Benchmarks/RESULTS.md): the earlier upsert of
    /// `unnest`ed arrays took 1.2–1.7 s of server time for 128k new dong-hours.
    private static func storeRollups(_ r: RollupRows, spilled: Bool, conn: PostgresConnection, logger: Logger) async throws -> Int {
        try await conn.query("""
            SELECT pg_advisory_xact_lock(\(rollupLockClass), h)
            FROM (SELECT DISTINCT hashtext(d) AS h FROM unnest(\(r.spanDong)::TEXT[]) AS d ORDER BY 1 OFFSET 0) s
            """, logger: logger)
        let hit = try await PostgresStore.rows(conn, """
            SELECT 1 AS one FROM unnest(\(r.spanDong)::TEXT[], \(r.spanLo)::BIGINT[], \(r.spanHi)::BIGINT[]) AS s(d, lo, hi)
            WHERE EXISTS (SELECT 1 FROM rollup_hourly h WHERE h.dong_code = s.d AND h.hour_start BETWEEN s.lo AND s.hi)
            LIMIT 1
            """, logger: logger)
        let columns = rollupColumns.joined(separator: ", ")
        if hit.isEmpty && !spilled {
            try await conn.copyFrom(table: "rollup_hourly", columns: rollupColumns, logger: logger) { w in
                try await encodeRollups(r) { try await w.write($0) }
            }
            return r.dong.count
        }
        try await conn.query("""
            CREATE TEMP TABLE IF NOT EXISTS ingest_rollup (dong_code TEXT, hour_start BIGINT, generation_wh BIGINT, consumption_wh BIGINT,
                                                           generation_covered_s BIGINT, consumption_covered_s BIGINT) ON COMMIT DROP
            """, logger: logger)
        try await conn.query("TRUNCATE ingest_rollup", logger: logger)
        if spilled {
            // The spilled sums and the in-memory ones, one row per dong-hour.
            try await conn.copyFrom(table: "ingest_rollup_spill", columns: rollupColumns, logger: logger) { w in
                try await encodeRollups(r) { try await w.write($0) }
            }
            try await conn.query("""
                INSERT INTO ingest_rollup (\(unescaped: columns))
                SELECT dong_code, hour_start, SUM(generation_wh), SUM(consumption_wh), SUM(generation_covered_s), SUM(consumption_covered_s)
                FROM ingest_rollup_spill GROUP BY 1, 2
                """, logger: logger)
            try await conn.query("TRUNCATE ingest_rollup_spill", logger: logger)
        } else {
            try await conn.copyFrom(table: "ingest_rollup", columns: rollupColumns, logger: logger) { w in
                try await encodeRollups(r) { try await w.write($0) }
            }
        }
        let n = try await PostgresStore.rows(conn, "SELECT COUNT(*)::BIGINT AS n FROM ingest_rollup", logger: logger)[0].v("n", Int64.self)
        if hit.isEmpty {
            try await conn.query("INSERT INTO rollup_hourly (\(unescaped: columns)) SELECT \(unescaped: columns) FROM ingest_rollup", logger: logger)
            return Int(n)
        }
        try await conn.query("ANALYZE ingest_rollup", logger: logger)
        try await conn.query("""
            WITH u AS (
              UPDATE rollup_hourly h SET
                generation_wh = h.generation_wh + t.generation_wh,
                consumption_wh = h.consumption_wh + t.consumption_wh,
                generation_covered_s = h.generation_covered_s + t.generation_covered_s,
                consumption_covered_s = h.consumption_covered_s + t.consumption_covered_s
              FROM ingest_rollup t WHERE h.dong_code = t.dong_code AND h.hour_start = t.hour_start
              RETURNING h.dong_code, h.hour_start)
            DELETE FROM ingest_rollup t USING u WHERE t.dong_code = u.dong_code AND t.hour_start = u.hour_start
            """, logger: logger)
        try await conn.query("""
            INSERT INTO rollup_hourly (\(unescaped: columns))
            SELECT \(unescaped: columns) FROM ingest_rollup
            ON CONFLICT (dong_code, hour_start) DO UPDATE SET
              generation_wh = rollup_hourly.generation_wh + excluded.generation_wh,
              consumption_wh = rollup_hourly.consumption_wh + excluded.consumption_wh,
              generation_covered_s = rollup_hourly.generation_covered_s + excluded.generation_covered_s,
              consumption_covered_s = rollup_hourly.consumption_covered_s + excluded.consumption_covered_s
            """, logger: logger)
        return Int(n)
    }

    /// The advisory-lock class of a dong's rollups during ingest (`pg_advisory_xact_lock(class, hashtext(dong))`).
    static let rollupLockClass: Int32 = 0x7670_726F

    /// The dong-hours as COPY text rows: the dong code escaped as COPY text requires (`\\`, tab,
    /// newline, carriage return), then five integers.
    private static func encodeRollups(_ r: RollupRows, _ emit: (ByteBuffer) async throws -> Void) async throws {
        let codes: [[UInt8]] = r.codes.map { code in
            var out: [UInt8] = []
            for b in code.utf8 {
                switch b {
                case 0x5C: out += [0x5C, 0x5C]
                case 0x09: out += [0x5C, 0x74]
                case 0x0A: out += [0x5C, 0x6E]
                case 0x0D: out += [0x5C, 0x72]
                default: out.append(b)
                }
            }
            return out
        }
        var buf = ByteBuffer()
        buf.reserveCapacity(256 * 1024 + 256)
        for i in r.dong.indices {
            buf.writeBytes(codes[r.dong[i]])
            for v in [r.hour[i], r.gen[i], r.cons[i], r.genS[i], r.consS[i]] {
                buf.writeInteger(UInt8(9))
                writeDecimal(v, to: &buf)
            }
            buf.writeInteger(UInt8(10))
            if buf.readableBytes >= 256 * 1024 {
                try await emit(buf)
                buf = ByteBuffer(); buf.reserveCapacity(256 * 1024 + 256)
            }
        }
        if buf.readableBytes > 0 { try await emit(buf) }
    }

    /// Everything still buffered (called by the store after the reader's body returned).
    func finish() throws {
        try flushTelemetry()
        rollupRowsWritten += try flushRollups()
    }

    // MARK: Internals

    /// One database step, awaited on this thread. A connection the server already closed fails
    /// at once (postgres-nio would wait forever for a reply on a closed channel).
    func step<T: Sendable>(_ op: @escaping @Sendable () async throws -> T) throws -> T {
        try awaitPending()
        if conn.isClosed { throw PostgresIngestSink.dropped(location) }
        return try blocking(op)
    }

    static func dropped(_ location: String) -> VPPError {
        VPPError(.temporary, "the connection to \(location) was dropped mid-ingest; nothing of this file was committed, try again")
    }

    private func addRollup(_ a: Int, slotStart: Int64, deltaWh: Int64, coveredS: Int64) {
        let flow = flows[a]
        if flow == .none { return }
        let key = RollupKey(hour: slotStart.floorDiv(3600), dong: dongIndex[a])
        rollups[key, default: Cell()].add(generation: flow == .generation, wh: deltaWh, coveredS: coveredS)
    }

    /// Creates the KST-month partitions of `reading` that [from, to] needs (under an advisory
    /// lock, so two ingests creating the same month do not collide).
    private func ensurePartitions(from: Int64, to: Int64) throws {
        let needed = Self.months(from: from, to: to).filter { !partitions.contains($0) }
        guard !needed.isEmpty else { return }
        let months = needed
        try step { [conn, logger] in try await PostgresPartitions.ensure(months, conn: conn, logger: logger) }
        partitions.formUnion(needed)
    }

    private func flushRejects() throws {
        guard !rLine.isEmpty else { return }
        let up = uploadID, lines = rLine, cols = rColumn, raws = rRaw, reasons = rReason
        try step { [conn, logger] in
            try await conn.query("""
                INSERT INTO rejected_row (upload_id, line, "column", raw, reason)
                SELECT \(up), t.l, NULLIF(t.c, -1), t.r, t.why FROM unnest(\(lines)::BIGINT[], \(cols)::BIGINT[], \(raws)::TEXT[], \(reasons)::TEXT[])
                  WITH ORDINALITY AS t(l, c, r, why, o) ORDER BY t.o
                """, logger: logger)
        }
        rLine.removeAll(keepingCapacity: true); rColumn.removeAll(keepingCapacity: true)
        rRaw.removeAll(keepingCapacity: true); rReason.removeAll(keepingCapacity: true)
    }

    /// Hands the pending batch to a background task (overlap check, COPY text encoding, COPY or
    /// merge) and returns at once, so the reader parses the next batch while the server stores
    /// this one. At most one batch is in flight: every other database step waits for it first
    /// (`step`), since the connection carries one statement at a time.
    private func flushBatch() throws {
        guard !bSlot.isEmpty else { return }
        try awaitPending()
        try ensurePartitions(from: bMin, to: bMax)
        let spans = bSpan.sorted { $0.key < $1.key }
        let batch = Batch(asset: bAsset, slot: bSlot, dur: bDur, wh: bWh, quality: bQuality,
                          spanAsset: spans.map(\.key), spanLo: spans.map(\.value.lo), spanHi: spans.map(\.value.hi), uploadID: uploadID,
                          months: Self.months(from: bMin, to: bMax))
        batchLimit = min(batchRows, batchLimit * 2)
        let reserve = min(bSlot.count, batchLimit)
        bAsset = []; bSlot = []; bDur = []; bWh = []; bQuality = []
        bAsset.reserveCapacity(reserve); bSlot.reserveCapacity(reserve); bDur.reserveCapacity(reserve)
        bWh.reserveCapacity(reserve); bQuality.reserveCapacity(reserve)
        bSpan.removeAll(keepingCapacity: true)
        bMin = .max; bMax = .min
        if conn.isClosed { throw PostgresIngestSink.dropped(location) }
        pending = InFlight.start { [conn, logger] in try await Self.store(batch, conn: conn, logger: logger) }
    }

    /// Waits for the batch in flight and applies what its merge replaced to the rollups.
    private func awaitPending() throws {
        guard let p = pending else { return }
        pending = nil
        for c in try p.wait() {
            guard let a = keyToIndex[c.key], flows[a] != .none else { continue }
            let k = RollupKey(hour: c.hour / 3600, dong: dongIndex[a])
            if flows[a] == .generation {
                rollups[k, default: Cell()].gen -= c.oldWh; rollups[k, default: Cell()].genS -= c.dur
            } else {
                rollups[k, default: Cell()].cons -= c.oldWh; rollups[k, default: Cell()].consS -= c.dur
            }
            changed += Int(c.changed)
        }
    }

    /// After the reader failed: lets the batch in flight finish (its error, if any, is moot: the
    /// transaction rolls back) so nothing else uses the connection meanwhile.
    func abandonPending() {
        if let p = pending { pending = nil; _ = try? p.wait() }
    }

    private struct Batch: Sendable {
        var asset: [Int32], slot: [Int64], dur: [Int32], wh: [Int64], quality: [Int16]
        /// Per asset of the batch: its first and last slot.
        var spanAsset: [Int32], spanLo: [Int64], spanHi: [Int64]
        var uploadID: Int64
        /// The KST months of `reading`'s partitions the batch's slots fall in, in order.
        var months: [YearMonth]
    }

    /// The KST months from the one holding `from` to the one holding `to`.
    static func months(from: Int64, to: Int64) -> [YearMonth] {
        let f = KSTDateTime(epochSeconds: from), t = KSTDateTime(epochSeconds: to)
        var m = YearMonth(year: f.year, month: f.month)
        let last = YearMonth(year: t.year, month: t.month)
        var out: [YearMonth] = []
        while m <= last { out.append(m); m = m.next }
        return out
    }

    /// The batch's row indices per month partition (file order within each), for months with rows.
    private static func rowsByMonth(_ b: Batch) -> [(month: YearMonth, rows: [Int32])] {
        let bounds = b.months.map(\.startEpoch) + [b.months.last?.endEpoch ?? .max]
        var groups = Array(repeating: [Int32](), count: b.months.count)
        var current = 0
        for (j, slot) in b.slot.enumerated() {
            // Rows come mostly in time order: try the previous row's month first.
            if !(slot >= bounds[current] && slot < bounds[current + 1]) {
                var lo = 0, hi = b.months.count - 1
                while lo < hi {
                    let mid = (lo + hi + 1) / 2
                    if bounds[mid] <= slot { lo = mid } else { hi = mid - 1 }
                }
                current = lo
            }
            groups[current].append(Int32(j))
        }
        return zip(b.months, groups).filter { !$0.1.isEmpty }.map { (month: $0.0, rows: $0.1) }
    }

    /// What a merge replaced, per asset-hour: the rollup correction and the change count.
    struct Correction: Sendable { var key: Int32, hour: Int64, oldWh: Int64, dur: Int64, changed: Int64 }

    /// Stores one batch: by COPY straight into `reading`'s month partitions (one COPY per month
    /// present) when no stored row of an asset lies in that asset's span in the batch, else COPY
    /// into the temporary table and one merge into `reading` that logs each changed value.
    private static func store(_ b: Batch, conn: PostgresConnection, logger: Logger) async throws -> [Correction] {
        let hit = try await PostgresStore.rows(conn, """
            SELECT 1 AS one FROM unnest(\(b.spanAsset)::INTEGER[], \(b.spanLo)::BIGINT[], \(b.spanHi)::BIGINT[]) AS s(k, lo, hi)
            WHERE EXISTS (SELECT 1 FROM reading r WHERE r.asset_key = s.k AND r.slot_start BETWEEN s.lo AND s.hi)
            LIMIT 1
            """, logger: logger)
        let columns = ["asset_key", "slot_start", "duration_s", "energy_wh", "quality", "upload_id"]
        if hit.isEmpty {
            // Nothing stored can conflict: COPY each month's rows straight into its partition of
            // `reading` (the server then checks each row against the partition's bounds instead of
            // routing it through the parent: measured in psql, 1M rows over 4 partitions took
            // 2.30–3.05 s of server CPU this way against 2.66–3.84 s through the parent,
            // Benchmarks/RESULTS.md).
            if b.months.count == 1 {
                try await conn.copyFrom(table: PostgresPartitions.name(b.months[0]), columns: columns, logger: logger) { w in
                    try await encode(b, rows: nil) { try await w.write($0) }
                }
            } else {
                for (month, rows) in rowsByMonth(b) {
                    try await conn.copyFrom(table: PostgresPartitions.name(month), columns: columns, logger: logger) { w in
                        try await encode(b, rows: rows) { try await w.write($0) }
                    }
                }
            }
            return []
        }
        try await conn.query("""
            CREATE TEMP TABLE IF NOT EXISTS ingest_rows (asset_key INTEGER, slot_start BIGINT, duration_s INTEGER, energy_wh BIGINT,
                                                         quality SMALLINT, upload_id BIGINT) ON COMMIT DROP
            """, logger: logger)
        try await conn.query("TRUNCATE ingest_rows", logger: logger)
        try await conn.copyFrom(table: "ingest_rows", columns: columns, logger: logger) { w in
            try await encode(b, rows: nil) { try await w.write($0) }
        }
        // What the merge replaces (before it runs): rollup corrections and the change count.
        let fix = try await PostgresStore.rows(conn, """
            SELECT t.asset_key, t.slot_start - (((t.slot_start % 3600) + 3600) % 3600) AS hour,
                   SUM(r.energy_wh)::BIGINT AS old_wh, SUM(t.duration_s)::BIGINT AS dur,
                   SUM(CASE WHEN r.energy_wh <> t.energy_wh THEN 1 ELSE 0 END)::BIGINT AS changed
            FROM ingest_rows t JOIN reading r USING (asset_key, slot_start, duration_s)
            GROUP BY 1, 2
            """, logger: logger).map {
            Correction(key: try $0.v("asset_key", Int32.self), hour: try $0.v("hour", Int64.self), oldWh: try $0.v("old_wh", Int64.self),
                       dur: try $0.v("dur", Int64.self), changed: try $0.v("changed", Int64.self))
        }
        try await conn.query("""
            INSERT INTO reading_change (upload_id, asset_key, slot_start, duration_s, old_wh, new_wh, old_upload_id, old_quality)
            SELECT \(b.uploadID), t.asset_key, t.slot_start, t.duration_s, r.energy_wh, t.energy_wh, r.upload_id, r.quality
            FROM ingest_rows t JOIN reading r USING (asset_key, slot_start, duration_s)
            WHERE r.energy_wh <> t.energy_wh
            """, logger: logger)
        try await conn.query("""
            INSERT INTO reading (asset_key, slot_start, duration_s, energy_wh, quality, upload_id)
            SELECT asset_key, slot_start, duration_s, energy_wh, quality, upload_id FROM ingest_rows
            ON CONFLICT (asset_key, slot_start, duration_s) DO UPDATE SET
              energy_wh = excluded.energy_wh, quality = excluded.quality, upload_id = excluded.upload_id
            WHERE reading.energy_wh <> excluded.energy_wh
            """, logger: logger)
        return fix
    }

    /// The batch as COPY text rows (tab-separated integers), handed on in chunks of about 256 KiB
    /// so the server starts storing while the rest is encoded.
    private static func encode(_ b: Batch, rows: [Int32]?, _ emit: (ByteBuffer) async throws -> Void) async throws {
        let rowsPerChunk = 16_384
        let total = rows?.count ?? b.slot.count
        var start = 0
        while start < total {
            let end = min(total, start + rowsPerChunk)
            // At most 6 × 21 bytes per row (20 digits and a sign, a separator).
            let chunk = ByteBuffer(bytes: [UInt8](unsafeUninitializedCapacity: (end - start) * 6 * 21) { out, count in
                var n = 0
                func put(_ v: Int64, _ sep: UInt8) {
                    var x = v.magnitude
                    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, no heap
                    let len = withUnsafeMutableBytes(of: &digits) { d -> Int in
                        var i = 24
                        repeat { i -= 1; d[i] = UInt8(48 + x % 10); x /= 10 } while x > 0
                        if v < 0 { i -= 1; d[i] = 45 }
                        for k in i..<24 { out[n + k - i] = d[k] }
                        return 24 - i
                    }
                    n += len
                    out[n] = sep; n += 1
                }
                for k in start..<end {
                    let j = rows.map { Int($0[k]) } ?? k
                    put(Int64(b.asset[j]), 9); put(b.slot[j], 9); put(Int64(b.dur[j]), 9); put(b.wh[j], 9)
                    put(Int64(b.quality[j]), 9); put(b.uploadID, 10)
                }
                count = n
            })
            try await emit(chunk)
            start = end
        }
    }
}

/// Appends `v` in decimal ASCII (COPY text) without allocating.
@inline(__always)
func writeDecimal(_ v: Int64, to buf: inout ByteBuffer) {
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch
    withUnsafeMutableBytes(of: &digits) { d in
        var x = v.magnitude, i = 24
        repeat { i -= 1; d[i] = UInt8(48 + x % 10); x /= 10 } while x > 0
        if v < 0 { i -= 1; d[i] = 45 }
        buf.writeBytes(UnsafeRawBufferPointer(rebasing: d[i..<24]))
    }
}

/// One database operation running in the background while the sink's thread goes on; `wait`
/// blocks that thread until it is done.
final class InFlight<T: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<T, Error>?

    static func start(_ op: @escaping @Sendable () async throws -> T) -> InFlight<T> {
        let f = InFlight<T>()
        Task {
            do { f.result = .success(try await op()) } catch { f.result = .failure(error) }
            f.done.signal()
        }
        return f
    }

    func wait() throws -> T {
        done.wait()
        done.signal()  // later waits return at once
        guard let r = result else { throw VPPError(.internal, "database step finished without a result") }
        return try r.get()
    }
}

/// On-demand monthly partitions of `reading` (KST months of `slot_start`).
enum PostgresPartitions {
    /// The advisory-lock key of partition creation.
    static let lockKey: Int64 = 0x7670_7000_7061_7274

    static func name(_ m: YearMonth) -> String { String(format: "reading_y%04dm%02d", m.year, m.month) }

    static func ensure(_ months: [YearMonth], conn: PostgresConnection, logger: Logger) async throws {
        var missing: [YearMonth] = []
        for m in months where !(try await attached(m, conn: conn, logger: logger)) { missing.append(m) }
        guard !missing.isEmpty else { return }
        try await conn.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
        for m in missing {
            // Names and bounds are computed here (integers), never input text.
            try await conn.query(PostgresQuery(unsafeSQL: """
                CREATE TABLE IF NOT EXISTS \(name(m)) PARTITION OF reading FOR VALUES FROM (\(m.startEpoch)) TO (\(m.endEpoch))
                """), logger: logger)
            // A table of that name that is not a partition of `reading` (say, detached by hand)
            // makes CREATE … IF NOT EXISTS do nothing: the ingest, which COPYs into the month's
            // partition by name, must not write into it.
            guard try await attached(m, conn: conn, logger: logger) else {
                throw VPPError(.unavailable, "table \(name(m)) exists but is not a partition of reading: attach it (ALTER TABLE reading ATTACH PARTITION …) or rename it")
            }
        }
    }

    /// Whether the month's table exists as a partition of `reading` in the current schema.
    private static func attached(_ m: YearMonth, conn: PostgresConnection, logger: Logger) async throws -> Bool {
        var found = false
        for try await _ in try await conn.query("""
            SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'reading'::regclass AND c.relname = \(name(m)) AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
            """, logger: logger) {
            found = true
        }
        return found
    }
}

// MARK: Awaiting from the sink's thread

/// Runs `op` and waits for it on the calling thread (the sink's dedicated thread, never one of
/// Swift's cooperative threads, which keep running `op`).
func blocking<T: Sendable>(_ op: @escaping @Sendable () async throws -> T) throws -> T {
    try InFlight.start(op).wait()
}


