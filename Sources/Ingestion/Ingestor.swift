import Foundation
import VPPAuth
import VPPCore
import VPPStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs one file through the right reader inside ONE write transaction: the upload row, every
/// accepted reading (upserted by asset and slot, changes logged in `reading_change`), every
/// rejected row with its raw text and reason, and the hourly per-dong rollups. A crash, a kill
/// or a thrown error mid-file rolls all of it back. The same owner sending the same bytes to be
/// read the same way (`UploadKey`) is a no-op; an upload that accepted no row blocks no retry.
public struct Ingestor: Sendable {
    public let storage: Storage
    public init(storage: Storage) { self.storage = storage }

    private enum Records {
        case text(encoding: TextEncoding)
        case sheet([([UInt8], Int)])
    }

    public func ingest(file path: String, options: IngestOptions) async throws -> IngestReport {
        let started = DispatchTime.now().uptimeNanoseconds
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw IngestError(file: path, .cannotOpen(String(cString: strerror(errno))))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw IngestError(file: path, .cannotOpen("not a regular file")) }
        let lower = path.lowercased()
        let byName = lower.hasSuffix(".xlsx") || lower.hasSuffix(".xlsm")
        if st.st_size == 0 { throw byName ? IngestError(file: path, .workbook("0 bytes")) : IngestError(file: path, .empty) }
        let (sha, _) = try fileDigest(path: path)
        if let expected = options.expectedSHA256, expected != sha {
            throw IngestError(file: path, .cannotOpen("changed since it was uploaded (sha256 \(sha.prefix(12))…, expected \(expected.prefix(12))…); ingest it as a new upload"))
        }
        let dir = try await storage.sites.assetDirectory()
        guard !dir.assets.isEmpty else {
            throw VPPError(.noInput, "no site assets in \(storage.location); run `vpp site load site-configs/seodaemun.toml` first")
        }
        let mapping = options.mapping
        try mapping.checkTargets(in: dir, file: path)
        let prefix = try readPrefix(path: path, limit: 1 << 20)
        let isXLSX = byName || XLSXReader.looksLikeZip(prefix)
        if byName && !XLSXReader.looksLikeZip(prefix) {
            throw IngestError(file: path, .workbook("does not start with a zip header"))
        }
        var warnings: [String] = []

        // Records and sample.
        let records: Records
        var sample: [([UInt8], Int)] = []
        let quotes: Bool
        var fixedDelimiter: UInt8?
        if isXLSX {
            let sheet = try XLSXReader(path: path, limits: options.workbookLimits).read(sheet: mapping.sheet)
            let rows = sheet.rows.map { r -> ([UInt8], Int) in
                var b: [UInt8] = []
                for (i, c) in r.cells.enumerated() { if i > 0 { b.append(0x1F) }; b.append(contentsOf: c.utf8) }
                return (b, r.row)
            }
            records = .sheet(rows)
            sample = Array(rows.prefix(5000))
            quotes = false
            fixedDelimiter = 0x1F
        } else {
            let detected = prefix.withUnsafeBufferPointer { TextDecoding.detect($0, sampleIsWholeFile: Int64(prefix.count) >= Int64(st.st_size)) }
            let enc = mapping.encoding ?? detected.encoding
            if mapping.encoding == nil && enc == .cp949 { warnings.append("encoding: not UTF-8, read as CP949 (EUC-KR)") }
            records = .text(encoding: enc)
            quotes = true
            try RecordStream(path: path, encoding: enc).forEach { rec, line in
                sample.append((Array(rec), line)); return sample.count < 5000
            }
        }
        let nonBlank = sample.contains { r in r.0.contains { $0 != 32 && $0 != 9 && $0 != 44 && $0 != 0x1F && $0 != 59 } }
        if !nonBlank { throw IngestError(file: path, .noDataRows) }

        // Layout (before any write: a file we cannot understand changes nothing).
        var intervalLayout: IntervalCSVReader.Layout?
        var monthlyAsset: Int?
        var month: YearMonth?
        switch options.kind {
        case .interval, .pv:
            let (layout, w) = try IntervalCSVReader.sniff(file: path, kind: options.kind, mapping: mapping, dir: dir,
                                                         sample: sample, quotes: quotes, fixedDelimiter: fixedDelimiter)
            intervalLayout = layout; warnings += w
        case .monthly:
            guard let m = mapping.month ?? MonthlyERPReader.month(fromFileName: path) else {
                throw IngestError(file: path, .usage("billing month unknown: give --month YYYY-MM or put it in the file name (e.g. 2025-08)"))
            }
            month = m
            let name = mapping.meter ?? options.source
            guard let a = dir.lookup(name) ?? dir.lookupComplex(name) else {
                throw IngestError(file: path, .unknownAsset(
                    "office \"\(name)\" is not a meter of the loaded site: \(dir.hint(for: name)); or give --meter ASSET-ID"))
            }
            guard dir.assets[a].kind == "meter" else {
                throw IngestError(file: path, .unknownAsset("\(dir.assets[a].id) is a \(dir.assets[a].kind), not a meter"))
            }
            monthlyAsset = a
            if fixedDelimiter == nil, let first = sample.first(where: { !$0.0.isEmpty }) {
                fixedDelimiter = first.0.withUnsafeBufferPointer { detectDelimiter($0) }
            }
        }

        // Idempotency (issue 15): owner, bytes, kind and the resolved parameters.
        let target: String? = if let a = monthlyAsset { dir.assets[a].id } else {
            mapping.meter.map { m in dir.lookup(m).map { dir.assets[$0].id } ?? m }
        }
        let uploadKey = UploadKey(owner: options.owner ?? options.source, sha256: sha, kind: options.kind, mapping: mapping,
                                  month: month, target: target)
        let idempotencyKey = uploadKey.key
        if let prior = try await storage.uploads.uploadID(idempotencyKey: idempotencyKey) {
            return IngestReport(file: path, sha256: sha, kind: options.kind, source: options.source, uploadID: prior,
                                duplicate: true, status: "duplicate")
        }

        let kind = options.kind
        let fileName = path
        let storedName = options.displayName ?? path
        let originalPath: String? = options.originalPath
            ?? (options.displayName == nil ? URL(fileURLWithPath: path).standardizedFileURL.path : nil)
        let keepLimit = options.keepOriginalMaxBytes
        let fileSize = Int64(st.st_size)
        let received = storage.clock.now()
        let failAfter = options.failAfterRows
        let progress = options.progress
        let warningsSoFar = warnings
        let upload = NewUpload(fileName: storedName, sha256: sha, source: options.source, kind: kind, receivedAt: received,
                               owner: uploadKey.owner, params: uploadKey.params, idempotencyKey: idempotencyKey,
                               originalPath: originalPath, retryOf: options.retryOf, attribution: options.attribution)
        do {
            let result = try await storage.uploads.ingest(upload, directory: dir) { w -> (IngestReport, UploadOutcome) in
                let uploadID = w.uploadID
                var handle: (UnsafeBufferPointer<UInt8>, Int) throws -> Void
                var interval: IntervalCSVReader?
                var monthly: MonthlyERPReader?
                if let layout = intervalLayout {
                    let r = IntervalCSVReader(file: fileName, kind: kind, mapping: mapping, dir: dir, layout: layout)
                    interval = r
                    handle = { p, line in try r.process(p, line: line, w: w) }
                } else {
                    let a = monthlyAsset!
                    let r = try MonthlyERPReader(file: fileName, asset: a, assetID: dir.assets[a].id, period: month!,
                                                 delimiter: fixedDelimiter ?? 44, quotes: quotes,
                                                 maxUsageWh: dir.assets[a].maxWh(slotSeconds: month!.days * 86_400),
                                                 limitBasis: dir.assets[a].maxPowerBasis)
                    monthly = r
                    handle = { p, line in try r.process(p, line: line, w: w) }
                }
                if let limit = failAfter {
                    // Test hook: fail inside the transaction after `limit` data rows (atomicity tests).
                    let inner = handle
                    handle = { p, line in
                        try inner(p, line)
                        if w.dataRows > limit { throw IngestError(file: fileName, line: line, .injectedFailure(line: line)) }
                    }
                }
                switch records {
                case .sheet(let rows):
                    for (bytes, line) in rows { try bytes.withUnsafeBufferPointer { try handle($0, line) } }
                case .text(let enc):
                    try RecordStream(path: fileName, encoding: enc).forEach(progress: progress) { p, line in
                        try handle(p, line); return true
                    }
                }
                if w.dataRows == 0 { throw IngestError(file: fileName, .noDataRows) }
                let hours = try w.flushRollups() + w.rollupRowsWritten
                var report = IngestReport(file: fileName, sha256: sha, kind: kind, source: options.source, uploadID: uploadID,
                                          duplicate: false, status: "")
                report.rowsOK = w.ok; report.rowsRejected = w.rejected; report.rowsChanged = w.changed
                report.rowsSkipped = w.skipped; report.rowsFlagged = w.flagged; report.registerBaselines = w.baselines
                report.rejects = w.rejectSamples; report.rollupHours = hours
                let review = try (interval?.finishReview(w) ?? []) + (monthly?.reviewNotes ?? [])
                report.warnings = warningsSoFar + (interval?.warnings ?? []) + review
                if let month { report.firstSlot = month.startEpoch; report.lastSlot = month.endEpoch - 1 }
                else if w.ok > 0 { report.firstSlot = w.firstSlot; report.lastSlot = w.lastSlot }
                report.status = w.rejected == 0 ? "ok" : (w.ok > 0 ? "partial" : "rejected")
                report.rowsForReview = w.forReview
                if !review.isEmpty && (w.ok > 0 || w.forReview > 0) { report.status = "review" }
                var message = report.warnings
                if w.skipped > 0 { message.append("\(w.skipped) rows of unmapped meters skipped (unmapped_meters = \"skip\")") }
                if w.baselines > 0 { message.append("\(w.baselines) register baseline reads (first read per meter; no energy)") }
                if w.flagged > 0 { message.append("\(w.flagged) accepted rows flagged") }
                // Nothing accepted: release the key, so the same bytes with better flags are not a duplicate.
                let releaseKey = w.ok == 0 && w.forReview == 0
                // Keep the original bytes of an upload someone may retry, bounded per file, and only
                // when they are still the bytes that were read.
                var keep: Data?
                if (w.ok == 0 || w.rejected > 0) && fileSize <= keepLimit,
                   let data = FileManager.default.contents(atPath: fileName), sha256Hex(data) == sha {
                    keep = data
                    report.originalKept = true
                }
                report.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                return (report, UploadOutcome(status: report.status, message: message.isEmpty ? nil : message.joined(separator: "; "),
                                              releaseKey: releaseKey, originalBytes: keep))
            }
            switch result {
            case .duplicate(let prior):
                return IngestReport(file: fileName, sha256: sha, kind: kind, source: options.source, uploadID: prior,
                                    duplicate: true, status: "duplicate")
            case .stored(let report):
                return report
            }
        } catch var e as IngestError {
            if e.file.isEmpty { e.file = path }
            throw e
        }
    }
}
