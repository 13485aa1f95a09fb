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

    /// Where the records of a file come from: decoded text lines, or a sheet's rows (cells joined by 0x1F).
    private enum Records {
        case text(encoding: TextEncoding)
        case sheet([([UInt8], Int)])
    }

    /// A file that passed the checks done before reading it.
    private struct CheckedFile {
        var size: Int64
        var sha256: String
        /// Named .xlsx/.xlsm.
        var byName: Bool
    }

    /// The records of a file and its first records for the reader's plan.
    private struct SampledFile {
        var records: Records
        var sample: [([UInt8], Int)]
        var quotes: Bool
        var fixedDelimiter: UInt8?
        var warnings: [String]
    }

    public func ingest(file path: String, options: IngestOptions) async throws -> IngestReport {
        let started = DispatchTime.now().uptimeNanoseconds
        let file = try check(path, options: options)
        let dir = try await storage.sites.assetDirectory()
        guard !dir.assets.isEmpty else {
            throw VPPError(.noInput, "no site assets in \(storage.location); run `vpp site load site-configs/seodaemun.toml` first")
        }
        try options.mapping.checkTargets(in: dir, file: path)
        let sampled = try sample(path, file: file, options: options)
        let reader = try UploadReaders.reader(for: options.kind, file: path)
        let upload = UploadSample(file: path, kind: options.kind, mapping: options.mapping, dir: dir, source: options.source,
                                  records: sampled.sample, quotes: sampled.quotes, fixedDelimiter: sampled.fixedDelimiter)
        return try await ingest(reader, upload: upload, file: file, sampled: sampled, options: options, started: started)
    }

    /// The file exists, is a regular non-empty file, and is still the bytes the caller expects.
    private func check(_ path: String, options: IngestOptions) throws -> CheckedFile {
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
        return CheckedFile(size: Int64(st.st_size), sha256: sha, byName: byName)
    }

    /// Opens the file as a workbook or as text (encoding detected) and reads its first records.
    private func sample(_ path: String, file: CheckedFile, options: IngestOptions) throws -> SampledFile {
        let mapping = options.mapping
        let prefix = try readPrefix(path: path, limit: 1 << 20)
        let isXLSX = file.byName || XLSXReader.looksLikeZip(prefix)
        if file.byName && !XLSXReader.looksLikeZip(prefix) {
            throw IngestError(file: path, .workbook("does not start with a zip header"))
        }
        var sampled: SampledFile
        if isXLSX {
            let sheet = try XLSXReader(path: path, limits: options.workbookLimits).read(sheet: mapping.sheet)
            let rows = sheet.rows.map { r -> ([UInt8], Int) in
                var b: [UInt8] = []
                for (i, c) in r.cells.enumerated() { if i > 0 { b.append(0x1F) }; b.append(contentsOf: c.utf8) }
                return (b, r.row)
            }
            sampled = SampledFile(records: .sheet(rows), sample: Array(rows.prefix(5000)), quotes: false, fixedDelimiter: 0x1F, warnings: [])
        } else {
            let detected = prefix.withUnsafeBufferPointer { TextDecoding.detect($0, sampleIsWholeFile: Int64(prefix.count) >= file.size) }
            let enc = mapping.encoding ?? detected.encoding
            sampled = SampledFile(records: .text(encoding: enc), sample: [], quotes: true, fixedDelimiter: nil, warnings: [])
            if mapping.encoding == nil && enc == .cp949 { sampled.warnings.append("encoding: not UTF-8, read as CP949 (EUC-KR)") }
            try RecordStream(path: path, encoding: enc).forEach { rec, line in
                sampled.sample.append((Array(rec), line)); return sampled.sample.count < 5000
            }
        }
        let nonBlank = sampled.sample.contains { r in r.0.contains { $0 != 32 && $0 != 9 && $0 != 44 && $0 != 0x1F && $0 != 59 } }
        if !nonBlank { throw IngestError(file: path, .noDataRows) }
        return sampled
    }

    /// Plans the upload with `Reader`, then (unless it is a duplicate) reads every record into the
    /// store in one transaction.
    private func ingest<Reader: UploadReader>(_ reader: Reader.Type, upload: UploadSample, file: CheckedFile, sampled: SampledFile,
                                              options: IngestOptions, started: UInt64) async throws -> IngestReport {
        let path = upload.file
        // Layout (before any write: a file we cannot understand changes nothing).
        let plan = try Reader.plan(upload)
        // Idempotency (issue 15): owner, bytes, kind and the resolved parameters.
        let uploadKey = UploadKey(owner: options.owner ?? options.source, sha256: file.sha256, kind: options.kind,
                                  mapping: options.mapping, month: plan.month, target: plan.target)
        if let prior = try await storage.uploads.uploadID(idempotencyKey: uploadKey.key) {
            return duplicateReport(path, file: file, options: options, uploadID: prior)
        }
        let originalPath: String? = options.originalPath
            ?? (options.displayName == nil ? URL(fileURLWithPath: path).standardizedFileURL.path : nil)
        let newUpload = NewUpload(fileName: options.displayName ?? path, sha256: file.sha256, source: options.source, kind: options.kind,
                                  receivedAt: storage.clock.now(), owner: uploadKey.owner, params: uploadKey.params,
                                  idempotencyKey: uploadKey.key, originalPath: originalPath, retryOf: options.retryOf,
                                  attribution: options.attribution)
        let records = sampled.records
        let warningsSoFar = sampled.warnings + plan.warnings
        do {
            let result = try await storage.uploads.ingest(newUpload, directory: upload.dir) { w -> (IngestReport, UploadOutcome) in
                let r = try Reader(sample: upload, plan: plan)
                try Self.readRecords(records, into: r, sink: w, file: path, failAfter: options.failAfterRows, progress: options.progress)
                if w.dataRows == 0 { throw IngestError(file: path, .noDataRows) }
                let hours = try w.flushRollups() + w.rollupRowsWritten
                let notes = try r.finish(sink: w)
                return Self.outcome(w, notes: notes, warnings: warningsSoFar, rollupHours: hours, month: plan.month,
                                    file: file, path: path, options: options, started: started)
            }
            switch result {
            case .duplicate(let prior): return duplicateReport(path, file: file, options: options, uploadID: prior)
            case .stored(let report): return report
            }
        } catch var e as IngestError {
            if e.file.isEmpty { e.file = path }
            throw e
        }
    }

    private func duplicateReport(_ path: String, file: CheckedFile, options: IngestOptions, uploadID: Int64) -> IngestReport {
        IngestReport(file: path, sha256: file.sha256, kind: options.kind, source: options.source, uploadID: uploadID,
                     duplicate: true, status: "duplicate")
    }

    /// Every record of the file through `reader.process`; the hot loop of an ingest.
    private static func readRecords<Reader: UploadReader>(_ records: Records, into reader: Reader, sink w: any ReadingSink, file: String,
                                                          failAfter: Int?, progress: (@Sendable (Int64, Int64) -> Void)?) throws {
        var handle: (UnsafeBufferPointer<UInt8>, Int) throws -> Void = { p, line in try reader.process(p, line: line, sink: w) }
        if let limit = failAfter {
            // Test hook: fail inside the transaction after `limit` data rows (atomicity tests).
            let inner = handle
            handle = { p, line in
                try inner(p, line)
                if w.dataRows > limit { throw IngestError(file: file, line: line, .injectedFailure(line: line)) }
            }
        }
        switch records {
        case .sheet(let rows):
            for (bytes, line) in rows { try bytes.withUnsafeBufferPointer { try handle($0, line) } }
        case .text(let enc):
            try RecordStream(path: file, encoding: enc).forEach(progress: progress) { p, line in
                try handle(p, line); return true
            }
        }
    }

    /// The report of a stored upload and what the upload row records (status, message, kept bytes).
    private static func outcome(_ w: any ReadingSink, notes: UploadNotes, warnings: [String], rollupHours: Int, month: YearMonth?,
                                file: CheckedFile, path: String, options: IngestOptions, started: UInt64) -> (IngestReport, UploadOutcome) {
        var report = IngestReport(file: path, sha256: file.sha256, kind: options.kind, source: options.source, uploadID: w.uploadID,
                                  duplicate: false, status: "")
        report.rowsOK = w.ok; report.rowsRejected = w.rejected; report.rowsChanged = w.changed
        report.rowsSkipped = w.skipped; report.rowsFlagged = w.flagged; report.registerBaselines = w.baselines
        report.rejects = w.rejectSamples; report.rollupHours = rollupHours
        report.warnings = warnings + notes.warnings + notes.review
        if let month { report.firstSlot = month.startEpoch; report.lastSlot = month.endEpoch - 1 }
        else if w.ok > 0 { report.firstSlot = w.firstSlot; report.lastSlot = w.lastSlot }
        report.status = w.rejected == 0 ? "ok" : (w.ok > 0 ? "partial" : "rejected")
        report.rowsForReview = w.forReview
        if !notes.review.isEmpty && (w.ok > 0 || w.forReview > 0) { report.status = "review" }
        var message = report.warnings
        if w.skipped > 0 { message.append("\(w.skipped) rows of unmapped meters skipped (unmapped_meters = \"skip\")") }
        if w.baselines > 0 { message.append("\(w.baselines) register baseline reads (first read per meter; no energy)") }
        if w.flagged > 0 { message.append("\(w.flagged) accepted rows flagged") }
        // Nothing accepted: release the key, so the same bytes with better flags are not a duplicate.
        let releaseKey = w.ok == 0 && w.forReview == 0
        // Keep the original bytes of an upload someone may retry, bounded per file, and only
        // when they are still the bytes that were read.
        var keep: Data?
        if (w.ok == 0 || w.rejected > 0) && file.size <= options.keepOriginalMaxBytes,
           let data = FileManager.default.contents(atPath: path), sha256Hex(data) == file.sha256 {
            keep = data
            report.originalKept = true
        }
        report.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return (report, UploadOutcome(status: report.status, message: message.isEmpty ? nil : message.joined(separator: "; "),
                                      releaseKey: releaseKey, originalBytes: keep))
    }
}
