import Foundation
import VPPCore

/// What a file upload is and how it is read.
public enum IngestKind: String, Sendable, Codable, CaseIterable {
    /// Apartment ERP monthly register upload (XpERP layout, no header).
    case monthly
    /// Headered interval data (AMI, building meters, apartment common loads).
    case interval
    /// PV generation exports (plant or inverter); interval readers, generation assets only.
    case pv
    /// Battery telemetry (SoC, AC power, counters): `TelemetryCSVReader`, table `battery_telemetry`.
    case telemetry
}

/// Quality bits stored in `reading.quality` (0 = as metered).
public enum ReadingQuality {
    /// Energy derived across a register rollover (wrap at a power of ten).
    public static let rollover = 1
    /// The unit of this meter's values changed earlier in the same file.
    public static let unitSwitched = 2
    /// Energy derived from an average-power column (kW × slot length).
    public static let fromPower = 4
    /// Energy derived from the difference of two cumulative register reads.
    public static let fromRegister = 8
}

/// One rejected row as stored in `rejected_row`.
public struct RejectedRow: Sendable, Codable, Equatable {
    public var line: Int
    /// 1-based column, nil when the whole row is at fault.
    public var column: Int?
    public var raw: String
    public var reason: String

    public init(line: Int, column: Int? = nil, raw: String, reason: String) {
        self.line = line
        self.column = column
        self.raw = raw
        self.reason = reason
    }
}

/// A monthly row kept for an operator's decision (`review_item`): it does not count until accepted.
public struct ReviewItem: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// D < C with no E 사용량: a rollover or a replaced meter; accepting stores the wrap usage.
        case registerWrap = "register_wrap"
        /// A 호 such as `1O2` that looks like a digit typo; the row is stored as read meanwhile.
        case householdLabel = "household_label"
        /// A sustained ~1000× step in an interval series: the readings are stored; an operator
        /// confirms them or deletes the upload and sends it again with the right unit.
        case unitSwitch = "unit_switch"
    }
    public var kind: Kind
    public var reason: String
    public var assetID: String
    /// "동-호" as read (monthly rows).
    public var unit: String?
    public var period: YearMonth?
    public var previousRegister: Double?
    public var currentRegister: Double?
    /// Usage that accepting the item stores [Wh]; nil when accepting only confirms the stored row.
    public var candidateUsageWh: Int64?

    /// JSON names of `vpp uploads review --format json`.
    enum CodingKeys: String, CodingKey {
        case kind, reason, assetID = "asset_id", unit, period, previousRegister = "previous_register"
        case currentRegister = "current_register", candidateUsageWh = "candidate_usage_wh"
    }

    public init(kind: Kind, reason: String, assetID: String, unit: String? = nil, period: YearMonth? = nil, previousRegister: Double? = nil, currentRegister: Double? = nil, candidateUsageWh: Int64? = nil) {
        self.kind = kind
        self.reason = reason
        self.assetID = assetID
        self.unit = unit
        self.period = period
        self.previousRegister = previousRegister
        self.currentRegister = currentRegister
        self.candidateUsageWh = candidateUsageWh
    }
}

/// Who made an HTTP upload: written to `upload_owner` inside the ingest transaction (issue 15:
/// a concurrent duplicate must never see an upload without its owner).
public struct UploadAttribution: Sendable, Equatable {
    public var tokenID: Int64
    public var office: String?
    /// The meter asset the upload was booked to.
    public var complex: String?

    public init(tokenID: Int64, office: String?, complex: String?) {
        self.tokenID = tokenID; self.office = office; self.complex = complex
    }
}

/// One row of `vpp uploads review`: a row an operator must decide on before it counts.
public struct StoredReviewItem: Sendable, Codable, Equatable {
    public var id: Int64
    public var uploadID: Int64
    public var line: Int
    public var column: Int?
    public var raw: String
    public var item: ReviewItem
    /// open, accepted or rejected.
    public var state: String
    public var resolvedAt: Int64?
    public var resolvedBy: String?
    public var note: String?

    /// JSON names of `vpp uploads review --format json`.
    enum CodingKeys: String, CodingKey {
        case id, uploadID = "upload_id", line, column, raw, item, state, resolvedAt = "resolved_at", resolvedBy = "resolved_by", note
    }

    public init(id: Int64, uploadID: Int64, line: Int, column: Int? = nil, raw: String, item: ReviewItem, state: String, resolvedAt: Int64? = nil, resolvedBy: String? = nil, note: String? = nil) {
        self.id = id
        self.uploadID = uploadID
        self.line = line
        self.column = column
        self.raw = raw
        self.item = item
        self.state = state
        self.resolvedAt = resolvedAt
        self.resolvedBy = resolvedBy
        self.note = note
    }
}

/// What an operator decides about a review item.
public enum ReviewDecision: String, Sendable, CaseIterable {
    /// Count the row: a wrap stores its candidate usage; a 호 label or a unit step is confirmed as read.
    case accept
    /// Do not count it: a wrap stays out; a typo'd 호 row is removed; a unit step is marked wrong
    /// (delete the upload and send it again with the right unit).
    case reject
}

/// What `vpp uploads delete` removed.
public struct UploadDeletion: Sendable, Codable, Equatable {
    public var uploadID: Int64
    public var fileName: String
    /// Readings this upload inserted, now gone.
    public var readingsRemoved = 0
    /// Readings this upload had changed, back to the value (and upload, quality) it replaced.
    public var readingsRestored = 0
    /// Monthly register readings of this upload, now gone.
    public var registerReadingsRemoved = 0
    public var rejectedRowsRemoved = 0
    /// Dong-hours of `rollup_hourly` adjusted (rows that only this upload had created are removed).
    public var rollupHoursAdjusted = 0
    /// Readings of assets no longer in the site: removed, but their rollup share could not be found.
    public var readingsOfUnknownAssets = 0

    /// JSON names of `vpp uploads delete --format json`.
    enum CodingKeys: String, CodingKey {
        case uploadID = "upload_id", fileName = "file", readingsRemoved = "readings_removed", readingsRestored = "readings_restored"
        case registerReadingsRemoved = "register_readings_removed", rejectedRowsRemoved = "rejected_rows_removed"
        case rollupHoursAdjusted = "rollup_hours_adjusted", readingsOfUnknownAssets = "readings_of_unknown_assets"
    }

    public init(uploadID: Int64, fileName: String) { self.uploadID = uploadID; self.fileName = fileName }
}

/// One row of `vpp uploads list`.
public struct UploadSummary: Sendable, Codable, Equatable {
    public var id: Int64
    public var fileName: String
    public var sha256: String
    public var source: String
    public var kind: String
    /// UTC epoch seconds.
    public var receivedAt: Int64
    public var rowsOK: Int
    public var rowsRejected: Int
    public var rowsChanged: Int
    public var status: String
    public var message: String?

    /// JSON names shared by `vpp uploads list --format json` and `GET /api/v1/uploads/{id}`.
    enum CodingKeys: String, CodingKey {
        case id = "upload_id", fileName = "file", sha256, source, kind, receivedAt = "received_at", rowsOK = "rows_accepted"
        case rowsRejected = "rows_rejected", rowsChanged = "rows_changed", status, message
    }

    public init(id: Int64, fileName: String, sha256: String, source: String, kind: String, receivedAt: Int64, rowsOK: Int, rowsRejected: Int, rowsChanged: Int, status: String, message: String? = nil) {
        self.id = id
        self.fileName = fileName
        self.sha256 = sha256
        self.source = source
        self.kind = kind
        self.receivedAt = receivedAt
        self.rowsOK = rowsOK
        self.rowsRejected = rowsRejected
        self.rowsChanged = rowsChanged
        self.status = status
        self.message = message
    }
}

/// Hourly rollup totals of one dong over a period.
public struct RollupTotals: Sendable, Codable, Equatable {
    public var dongCode: String
    public var hours: Int
    public var generationWh: Int64
    public var consumptionWh: Int64
    public var generationCoveredS: Int64
    public var consumptionCoveredS: Int64

    public init(dongCode: String, hours: Int, generationWh: Int64, consumptionWh: Int64, generationCoveredS: Int64, consumptionCoveredS: Int64) {
        self.dongCode = dongCode
        self.hours = hours
        self.generationWh = generationWh
        self.consumptionWh = consumptionWh
        self.generationCoveredS = generationCoveredS
        self.consumptionCoveredS = consumptionCoveredS
    }
}

/// What `vpp uploads retry` needs of an earlier upload.
public struct UploadRetrySource: Sendable {
    public var uploadID: Int64
    public var fileName: String
    public var sha256: String
    public var kind: String
    public var source: String
    public var owner: String
    /// Canonical parameters it was read with (`UploadKey.params`).
    public var params: String
    /// Absolute path of the file the CLI read (nil for HTTP uploads: their spool file is gone).
    public var originalPath: String?
    /// The original bytes, when the store kept them.
    public var bytes: Data?
    /// The token that made it over HTTP, copied to the retry so the office still sees it.
    public var attribution: UploadAttribution?

    public init(uploadID: Int64, fileName: String, sha256: String, kind: String, source: String, owner: String, params: String, originalPath: String? = nil, bytes: Data? = nil, attribution: UploadAttribution? = nil) {
        self.uploadID = uploadID
        self.fileName = fileName
        self.sha256 = sha256
        self.kind = kind
        self.source = source
        self.owner = owner
        self.params = params
        self.originalPath = originalPath
        self.bytes = bytes
        self.attribution = attribution
    }
}

/// One household register row of a monthly upload (XpERP), as the reader resolved it.
public struct RegisterReading: Sendable, Equatable {
    public var assetID: String
    /// "동-호".
    public var unit: String
    public var period: YearMonth
    public var previousRegister: Double?
    public var currentRegister: Double
    public var usageWh: Int64
    public var flag: String?
    /// Billing columns F–Z as read, JSON with sorted keys.
    public var billingJSON: String?
    public init(assetID: String, unit: String, period: YearMonth, previousRegister: Double?, currentRegister: Double,
                usageWh: Int64, flag: String?, billingJSON: String?) {
        self.assetID = assetID; self.unit = unit; self.period = period; self.previousRegister = previousRegister
        self.currentRegister = currentRegister; self.usageWh = usageWh; self.flag = flag; self.billingJSON = billingJSON
    }
}

/// The upload record an ingest transaction starts with.
public struct NewUpload: Sendable, Equatable {
    /// The name shown for it (an HTTP upload's sanitized client name, else the path read).
    public var fileName: String
    public var sha256: String
    public var source: String
    public var kind: IngestKind
    /// UTC epoch s.
    public var receivedAt: Int64
    /// Idempotency: who sent it, the canonical parameters it is read with, and the key over both and the bytes.
    public var owner: String
    public var params: String
    public var idempotencyKey: String
    /// Where the original file lives (for a retry), and the upload it retries.
    public var originalPath: String?
    public var retryOf: Int64?
    /// An HTTP upload's token, office and complex, recorded in the same transaction.
    public var attribution: UploadAttribution?
    public init(fileName: String, sha256: String, source: String, kind: IngestKind, receivedAt: Int64, owner: String,
                params: String, idempotencyKey: String, originalPath: String?, retryOf: Int64?, attribution: UploadAttribution?) {
        self.fileName = fileName; self.sha256 = sha256; self.source = source; self.kind = kind; self.receivedAt = receivedAt
        self.owner = owner; self.params = params; self.idempotencyKey = idempotencyKey; self.originalPath = originalPath
        self.retryOf = retryOf; self.attribution = attribution
    }
}

/// How an ingest transaction ends: the upload's status and message, whether it gives up its
/// idempotency key (nothing accepted: a corrected re-send is not a duplicate), and the original
/// bytes to keep for a retry (bounded by the caller).
public struct UploadOutcome: Sendable, Equatable {
    public var status: String
    public var message: String?
    public var releaseKey: Bool
    public var originalBytes: Data?
    public init(status: String, message: String?, releaseKey: Bool, originalBytes: Data?) {
        self.status = status; self.message = message; self.releaseKey = releaseKey; self.originalBytes = originalBytes
    }
}

/// What `UploadStore.ingest` did.
public enum IngestResult<T: Sendable>: Sendable {
    /// The same owner sent the same bytes to be read the same way: this upload already holds the key.
    case duplicate(uploadID: Int64)
    /// Committed: the body's value.
    case stored(T)
}
