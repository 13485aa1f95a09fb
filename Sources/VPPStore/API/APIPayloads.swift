import Foundation
import VPPCore

// Response payloads of the HTTP API (`/api/v1/…`), also printed by the CLI's `--format json`
// for the same resource. Every JSON name is an explicit `CodingKeys` case: snake_case, units in
// the name (`_wh`, `_w`, `_kwp`, `_s`, `_at` for UTC epoch seconds). The OpenAPI document
// (VPPServer/OpenAPI.swift) is checked against these types by a test.

/// `GET /api/v1/dongs`: the dongs of the site with installed capacity (`vpp site show` rows).
public struct DongsPayload: Sendable, Equatable, Codable {
    public var dongs: [DongSummary]
    public init(dongs: [DongSummary]) { self.dongs = dongs }
}

/// `GET /api/v1/dongs/{code}/series`: hourly rollup energy of one dong.
public struct SeriesPayload: Sendable, Equatable, Codable {
    public var dong: String
    public var quantity: String
    /// Unit of the point values.
    public var unit = "Wh"
    public var stampConvention = StampConvention.hourBeginning.rawValue
    /// Requested range [UTC epoch s], `to` exclusive.
    public var from: Int64
    public var to: Int64
    public var count: Int
    /// `[hour_start (UTC epoch s), energy (Wh)]` pairs, oldest first.
    public var points: [[Int64]]

    enum CodingKeys: String, CodingKey {
        case dong, quantity, unit, stampConvention = "stamp_convention", from, to, count, points
    }

    public init(dong: String, quantity: String, from: Int64, to: Int64, hourStart: [Int64], wh: [Int64]) {
        self.dong = dong; self.quantity = quantity; self.from = from; self.to = to
        let n = min(hourStart.count, wh.count)
        self.count = n
        self.points = (0..<n).map { [hourStart[$0], wh[$0]] }
    }
}

/// One forecast value (hour-beginning slot).
public struct ForecastPointPayload: Sendable, Equatable, Codable {
    public var dong: String
    /// `pv` or `load`.
    public var quantity: String
    /// Slot start [UTC epoch s].
    public var slotStart: Int64
    public var durationS: Int
    public var valueWh: Int64

    enum CodingKeys: String, CodingKey {
        case dong, quantity, slotStart = "slot_start", durationS = "duration_s", valueWh = "value_wh"
    }

    public init(dong: String, quantity: String, slotStart: Int64, durationS: Int, valueWh: Int64) {
        self.dong = dong; self.quantity = quantity; self.slotStart = slotStart; self.durationS = durationS; self.valueWh = valueWh
    }
}

/// `GET /api/v1/forecasts` and `vpp forecast show --format json`: a forecast run and its points.
/// Without any run: `{"points":[],"run":null}`.
public struct ForecastsPayload: Sendable, Equatable, Codable {
    public var run: StoredForecastRun?
    public var unit: String?
    public var stampConvention: String?
    public var points: [ForecastPointPayload]

    enum CodingKeys: String, CodingKey {
        case run, unit, stampConvention = "stamp_convention", points
    }

    public init(run: StoredForecastRun?, points: [ForecastPointPayload]) {
        self.run = run
        self.unit = run == nil ? nil : "Wh"
        self.stampConvention = run == nil ? nil : StampConvention.hourBeginning.rawValue
        self.points = points
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(run, forKey: .run)   // null when there is no run
        try c.encodeIfPresent(unit, forKey: .unit)
        try c.encodeIfPresent(stampConvention, forKey: .stampConvention)
        try c.encode(points, forKey: .points)
    }
}

/// `GET /api/v1/schedules/latest`: the latest dispatch run and its battery slots.
/// Without any run: `{"run":null,"slots":[]}`.
public struct SchedulePayload: Sendable, Equatable, Codable {
    public struct Units: Sendable, Equatable, Codable {
        public var power = "W"
        public var soc = "Wh"
        public init() {}
    }
    public var run: DispatchRunRecord?
    public var units: Units?
    public var stampConvention: String?
    public var slots: [ScheduleSlot]

    enum CodingKeys: String, CodingKey {
        case run, units, stampConvention = "stamp_convention", slots
    }

    public init(run: DispatchRunRecord?, slots: [ScheduleSlot]) {
        self.run = run
        self.units = run == nil ? nil : Units()
        self.stampConvention = run == nil ? nil : StampConvention.hourBeginning.rawValue
        self.slots = slots
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(run, forKey: .run)   // null when there is no run
        try c.encodeIfPresent(units, forKey: .units)
        try c.encodeIfPresent(stampConvention, forKey: .stampConvention)
        try c.encode(slots, forKey: .slots)
    }
}

/// `GET /api/v1/audit`: audit events, newest first.
public struct AuditPayload: Sendable, Equatable, Codable {
    public var events: [AuditEvent]
    public init(events: [AuditEvent]) { self.events = events }
}

/// One rejected row as the API and `vpp uploads show --format json` give it (`raw` cut to 300
/// characters; `column` is null when the whole row is at fault).
public struct RejectPayload: Sendable, Equatable, Codable {
    public static let rawLimit = 300
    public var line: Int
    public var column: Int?
    public var reason: String
    public var raw: String

    enum CodingKeys: String, CodingKey { case line, column, reason, raw }

    public init(_ row: RejectedRow) {
        line = row.line; column = row.column; reason = row.reason; raw = String(row.raw.prefix(Self.rawLimit))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(line, forKey: .line)
        try c.encode(column, forKey: .column)
        try c.encode(reason, forKey: .reason)
        try c.encode(raw, forKey: .raw)
    }
}

/// Links of an upload resource.
public struct UploadLinks: Sendable, Equatable, Codable {
    public var selfLink: String
    public var rejects: String

    enum CodingKeys: String, CodingKey { case selfLink = "self", rejects }

    public init(uploadID: Int64) {
        selfLink = "/api/v1/uploads/\(uploadID)"
        rejects = "/api/v1/uploads/\(uploadID)/rejects"
    }
}

/// `GET /api/v1/uploads/{id}` (and `/rejects`), `vpp uploads show --format json`: one upload,
/// with the same names as `vpp uploads list --format json` (`UploadSummary`) plus who uploaded
/// it over HTTP (`office`, `complex`) and, when asked for, a page of its rejected rows.
public struct UploadPayload: Sendable, Equatable, Codable {
    public var uploadID: Int64
    public var file: String
    public var kind: String
    public var source: String
    public var sha256: String
    public var receivedAt: Int64
    public var status: String
    public var rowsAccepted: Int
    public var rowsRejected: Int
    public var rowsChanged: Int
    public var message: String?
    /// Present (possibly null) for uploads made over HTTP.
    public var owner: UploadOwner?
    /// Present with `rejects`.
    public var offset: Int?
    public var rejects: [RejectPayload]?
    public var links: UploadLinks

    enum CodingKeys: String, CodingKey {
        case uploadID = "upload_id", file, kind, source, sha256, receivedAt = "received_at", status
        case rowsAccepted = "rows_accepted", rowsRejected = "rows_rejected", rowsChanged = "rows_changed", message
        case office, complex, offset, rejects, links
    }

    public init(_ u: UploadSummary, owner: UploadOwner?, rejects: [RejectedRow]? = nil, offset: Int = 0) {
        uploadID = u.id; file = u.fileName; kind = u.kind; source = u.source; sha256 = u.sha256; receivedAt = u.receivedAt
        status = u.status; rowsAccepted = u.rowsOK; rowsRejected = u.rowsRejected; rowsChanged = u.rowsChanged; message = u.message
        self.owner = owner
        self.offset = rejects == nil ? nil : offset
        self.rejects = rejects?.map(RejectPayload.init)
        links = UploadLinks(uploadID: u.id)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        uploadID = try c.decode(Int64.self, forKey: .uploadID)
        file = try c.decode(String.self, forKey: .file)
        kind = try c.decode(String.self, forKey: .kind)
        source = try c.decode(String.self, forKey: .source)
        sha256 = try c.decode(String.self, forKey: .sha256)
        receivedAt = try c.decode(Int64.self, forKey: .receivedAt)
        status = try c.decode(String.self, forKey: .status)
        rowsAccepted = try c.decode(Int.self, forKey: .rowsAccepted)
        rowsRejected = try c.decode(Int.self, forKey: .rowsRejected)
        rowsChanged = try c.decode(Int.self, forKey: .rowsChanged)
        message = try c.decodeIfPresent(String.self, forKey: .message)
        if c.contains(.office) || c.contains(.complex) {
            owner = UploadOwner(uploadID: uploadID, tokenID: 0, office: try c.decodeIfPresent(String.self, forKey: .office),
                                complex: try c.decodeIfPresent(String.self, forKey: .complex))
        }
        offset = try c.decodeIfPresent(Int.self, forKey: .offset)
        rejects = try c.decodeIfPresent([RejectPayload].self, forKey: .rejects)
        links = try c.decode(UploadLinks.self, forKey: .links)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(uploadID, forKey: .uploadID)
        try c.encode(file, forKey: .file)
        try c.encode(kind, forKey: .kind)
        try c.encode(source, forKey: .source)
        try c.encode(sha256, forKey: .sha256)
        try c.encode(receivedAt, forKey: .receivedAt)
        try c.encode(status, forKey: .status)
        try c.encode(rowsAccepted, forKey: .rowsAccepted)
        try c.encode(rowsRejected, forKey: .rowsRejected)
        try c.encode(rowsChanged, forKey: .rowsChanged)
        try c.encode(message, forKey: .message)   // null when there is none
        if let owner {
            try c.encode(owner.office, forKey: .office)
            try c.encode(owner.complex, forKey: .complex)
        }
        try c.encodeIfPresent(offset, forKey: .offset)
        try c.encodeIfPresent(rejects, forKey: .rejects)
        try c.encode(links, forKey: .links)
    }
}

/// `POST /api/v1/uploads`: what the upload did. A duplicate of bytes another account uploaded
/// carries only `duplicate`, `status` and `message`.
public struct UploadResultPayload: Sendable, Equatable, Codable {
    public var uploadID: Int64?
    public var duplicate: Bool
    /// `ok`, `partial`, `rejected` or `duplicate`.
    public var status: String
    public var file: String?
    public var kind: String?
    public var sha256: String?
    public var rowsAccepted: Int?
    public var rowsRejected: Int?
    public var rowsChanged: Int?
    public var rowsFlagged: Int?
    public var rowsSkipped: Int?
    public var warnings: [String]?
    public var firstRejects: [RejectPayload]?
    /// Ingest time [s], to the millisecond.
    public var seconds: Double?
    public var message: String?
    public var links: UploadLinks?

    enum CodingKeys: String, CodingKey {
        case uploadID = "upload_id", duplicate, status, file, kind, sha256, rowsAccepted = "rows_accepted"
        case rowsRejected = "rows_rejected", rowsChanged = "rows_changed", rowsFlagged = "rows_flagged", rowsSkipped = "rows_skipped"
        case warnings, firstRejects = "first_rejects", seconds, message, links
    }

    public init(uploadID: Int64? = nil, duplicate: Bool, status: String, file: String? = nil, kind: String? = nil, sha256: String? = nil,
                rowsAccepted: Int? = nil, rowsRejected: Int? = nil, rowsChanged: Int? = nil, rowsFlagged: Int? = nil,
                rowsSkipped: Int? = nil, warnings: [String]? = nil, firstRejects: [RejectedRow]? = nil, seconds: Double? = nil,
                message: String? = nil) {
        self.uploadID = uploadID; self.duplicate = duplicate; self.status = status; self.file = file; self.kind = kind
        self.sha256 = sha256; self.rowsAccepted = rowsAccepted; self.rowsRejected = rowsRejected; self.rowsChanged = rowsChanged
        self.rowsFlagged = rowsFlagged; self.rowsSkipped = rowsSkipped; self.warnings = warnings
        self.firstRejects = firstRejects?.map(RejectPayload.init)
        self.seconds = seconds.map { ($0 * 1000).rounded() / 1000 }
        self.message = message
        self.links = uploadID.map(UploadLinks.init)
    }
}

/// Every API error: `{"error":{"code","message","parameter"?,"request_id"?}}`.
public struct ErrorPayload: Sendable, Equatable, Codable {
    public struct Detail: Sendable, Equatable, Codable {
        public var code: String
        public var message: String
        /// The request parameter at fault, when there is one.
        public var parameter: String?
        public var requestID: String?

        enum CodingKeys: String, CodingKey { case code, message, parameter, requestID = "request_id" }
    }
    public var error: Detail

    public init(code: String, message: String, parameter: String? = nil, requestID: String? = nil) {
        error = Detail(code: code, message: message, parameter: parameter, requestID: requestID)
    }
}

/// `GET /healthz`.
public struct HealthPayload: Sendable, Equatable, Codable {
    public var status: String
    public init(status: String = "ok") { self.status = status }
}
