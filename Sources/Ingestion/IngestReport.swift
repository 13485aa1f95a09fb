import VPPAuth
import VPPCore
import VPPStore

/// Options for one `vpp ingest` run.
public struct IngestOptions: Sendable {
    public var kind: IngestKind
    /// The office or system that produced the file (관리사무소, AMI head-end, plant operator).
    public var source: String
    public var mapping: IngestMapping
    /// Progress callback (bytes read, total bytes) for big files.
    public var progress: (@Sendable (Int64, Int64) -> Void)?
    /// Test hook: throw after this many data rows, inside the transaction (atomicity tests).
    public var failAfterRows: Int?
    /// Bounds on what an .xlsx may expand to.
    public var workbookLimits: XLSXReader.Limits
    /// Whose upload this is for idempotency (`UploadKey.owner`); nil: `source`.
    public var owner: String?
    /// An HTTP upload's token and display name, recorded in the ingest transaction.
    public var attribution: UploadAttribution?
    /// Stored as `upload.file_name` instead of the path read (HTTP: the client's sanitized name,
    /// not the spool path; a retry: the original upload's name).
    public var displayName: String?
    /// Where the original file lives, for a later retry (`upload.original_path`); nil: the
    /// absolute path read, unless `displayName` says that path is temporary.
    public var originalPath: String?
    /// The upload this one retries (`vpp uploads retry`), recorded as `upload.retry_of`.
    public var retryOf: Int64?
    /// Refuse the file unless its bytes hash to this (a retry re-reading a recorded path).
    public var expectedSHA256: String?
    /// The original bytes of an upload that accepted no row or rejected some are kept in the
    /// store for `vpp uploads retry` when the file is at most this big [bytes]; 0 keeps none.
    public var keepOriginalMaxBytes: Int64

    /// 20 MiB: the server's default body limit, so every HTTP upload with rejects can be retried.
    public static let defaultKeepOriginalMaxBytes: Int64 = 20 << 20

    public init(kind: IngestKind, source: String, mapping: IngestMapping = IngestMapping(),
                progress: (@Sendable (Int64, Int64) -> Void)? = nil, failAfterRows: Int? = nil,
                owner: String? = nil, attribution: UploadAttribution? = nil, displayName: String? = nil,
                originalPath: String? = nil, retryOf: Int64? = nil, expectedSHA256: String? = nil,
                keepOriginalMaxBytes: Int64 = IngestOptions.defaultKeepOriginalMaxBytes,
                workbookLimits: XLSXReader.Limits = XLSXReader.Limits()) {
        self.kind = kind; self.source = source; self.mapping = mapping; self.progress = progress
        self.failAfterRows = failAfterRows
        self.owner = owner; self.attribution = attribution; self.displayName = displayName
        self.originalPath = originalPath; self.retryOf = retryOf; self.expectedSHA256 = expectedSHA256
        self.keepOriginalMaxBytes = keepOriginalMaxBytes; self.workbookLimits = workbookLimits
    }
}

/// What ingesting one file did.
public struct IngestReport: Sendable, Codable {
    public var file: String
    public var sha256: String
    public var kind: IngestKind
    public var source: String
    /// The upload row; for a duplicate file, the earlier upload's id.
    public var uploadID: Int64
    /// True when the same owner ingested the same bytes with the same parameters before: nothing was done.
    public var duplicate: Bool
    public var status: String
    public var rowsOK = 0
    public var rowsRejected = 0
    /// Readings (or monthly registers) that replaced a different stored value.
    public var rowsChanged = 0
    /// Rows of meters the mapping says to skip (`unmapped_meters = "skip"`).
    public var rowsSkipped = 0
    /// Accepted rows that carry a flag (rollover, unit switch, meter replacement, …).
    public var rowsFlagged = 0
    /// First register read of a meter in an interval file: the baseline, no energy derived.
    public var registerBaselines = 0
    /// Rows kept for an operator's review (`vpp uploads review`).
    public var rowsForReview = 0
    public var warnings: [String] = []
    /// The first rejects (all are in the store).
    public var rejects: [RejectedRow] = []
    /// Rollup rows (dong-hours) written; a dong-hour may count twice for files spanning years.
    public var rollupHours = 0
    public var seconds: Double = 0
    /// KST stamp range of the accepted readings (interval/pv) or the billing month (monthly).
    public var firstSlot: Int64?
    public var lastSlot: Int64?
    /// True when the original bytes were kept in the store for `vpp uploads retry`.
    public var originalKept = false

    /// JSON names of `vpp ingest --format json`; the counts are named as in the upload API's answer.
    enum CodingKeys: String, CodingKey {
        case file, sha256, kind, source, uploadID = "upload_id", duplicate, status, rowsOK = "rows_accepted"
        case rowsRejected = "rows_rejected", rowsChanged = "rows_changed", rowsSkipped = "rows_skipped", rowsFlagged = "rows_flagged"
        case registerBaselines = "register_baselines", rowsForReview = "rows_for_review", warnings, rejects
        case rollupHours = "rollup_hours", seconds, firstSlot = "first_slot", lastSlot = "last_slot", originalKept = "original_kept"
    }

    /// Every data row was rejected: nothing landed (exit 65; the rejects are stored and the
    /// upload blocks no retry).
    public var allRejected: Bool { !duplicate && rowsOK == 0 && rowsForReview == 0 && rowsRejected > 0 }

    public var summary: String {
        if duplicate {
            return "\(file): already ingested as upload \(uploadID) (same bytes, kind and parameters from this source); nothing changed"
        }
        var s = "\(file): upload \(uploadID) \(status): \(rowsOK) ok, \(rowsRejected) rejected, \(rowsChanged) changed"
        if rowsFlagged > 0 { s += ", \(rowsFlagged) flagged" }
        if rowsSkipped > 0 { s += ", \(rowsSkipped) skipped (unmapped meters)" }
        if registerBaselines > 0 { s += ", \(registerBaselines) register baselines" }
        if rowsForReview > 0 { s += ", \(rowsForReview) kept for review (vpp uploads review \(uploadID))" }
        if allRejected {
            s += "; nothing accepted: fix the flags or mapping and run `vpp uploads retry \(uploadID)`"
        }
        return s
    }
}
