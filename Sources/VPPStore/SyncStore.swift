import Foundation
import VPPCore

// A district pushes to the city (issue 14, part 4): `vpp sync --to DB` copies a district store's
// hourly rollups, upload summary, forecast runs and dispatch runs into a city store. Each stream
// has a watermark per source site, kept in the TARGET next to the data; a batch and its new
// watermark commit in one target transaction, so a crash mid-sync loses nothing (the batch is
// re-read from the old watermark) and duplicates nothing (rows are keyed by district and source
// id, rollups by dong-hour, and applied as upserts).

/// What a district sends, one stream at a time.
public enum SyncStream: String, Sendable, CaseIterable, Codable {
    /// Hourly rollups by dong-hour; the watermark is the source's rollup change sequence.
    case rollups
    /// Upload records (file, kind, row counts, status); watermark: upload id.
    case uploads
    /// Forecast runs with their values; watermark: run id.
    case forecasts
    /// Finished dispatch runs with their schedules; watermark: run id below the oldest unfinished run.
    case dispatch
}

/// One dong-hour as the source holds it now; `rollup` nil: the source no longer has it (an
/// upload was deleted), so the target removes it.
public struct SyncRollup: Sendable, Equatable {
    public var dongCode: String
    public var hourStart: Int64
    public var rollup: HourlyRollup?
    public init(dongCode: String, hourStart: Int64, rollup: HourlyRollup?) {
        self.dongCode = dongCode; self.hourStart = hourStart; self.rollup = rollup
    }
}

/// One upload record of the district (no rows, no bytes: the city keeps the summary).
public struct SyncUpload: Sendable, Equatable {
    public var id: Int64
    public var fileName: String
    public var sha256: String
    public var source: String
    public var kind: String
    /// [UTC epoch s]
    public var receivedAt: Int64
    public var rowsOK: Int
    public var rowsRejected: Int
    public var rowsChanged: Int
    public var status: String
    public var message: String?
    public init(id: Int64, fileName: String, sha256: String, source: String, kind: String, receivedAt: Int64, rowsOK: Int,
                rowsRejected: Int, rowsChanged: Int, status: String, message: String?) {
        self.id = id; self.fileName = fileName; self.sha256 = sha256; self.source = source; self.kind = kind
        self.receivedAt = receivedAt; self.rowsOK = rowsOK; self.rowsRejected = rowsRejected; self.rowsChanged = rowsChanged
        self.status = status; self.message = message
    }
}

/// One forecast run of the district with its values [Wh per slot, hour-beginning slots].
public struct SyncForecastRun: Sendable, Equatable {
    public var id: Int64
    /// [UTC epoch s]
    public var issuedAt: Int64
    public var kind: String
    public var horizonS: Int64
    public var stepS: Int64
    public var model: String
    public var paramsJSON: String
    public var values: [ForecastValue]
    public init(id: Int64, issuedAt: Int64, kind: String, horizonS: Int64, stepS: Int64, model: String, paramsJSON: String,
                values: [ForecastValue]) {
        self.id = id; self.issuedAt = issuedAt; self.kind = kind; self.horizonS = horizonS; self.stepS = stepS; self.model = model
        self.paramsJSON = paramsJSON; self.values = values
    }
}

/// One finished dispatch run of the district with its schedule.
public struct SyncDispatchRun: Sendable, Equatable {
    public var id: Int64
    /// [UTC epoch s]
    public var startedAt: Int64
    public var finishedAt: Int64?
    public var status: String
    public var objective: String
    public var objectiveValue: Double?
    public var breakdownJSON: String
    public var horizonS: Int
    public var stepS: Int
    public var solveMs: Double?
    public var message: String?
    public var schedule: [ScheduleRow]
    public init(id: Int64, startedAt: Int64, finishedAt: Int64?, status: String, objective: String, objectiveValue: Double?,
                breakdownJSON: String, horizonS: Int, stepS: Int, solveMs: Double?, message: String?, schedule: [ScheduleRow]) {
        self.id = id; self.startedAt = startedAt; self.finishedAt = finishedAt; self.status = status; self.objective = objective
        self.objectiveValue = objectiveValue; self.breakdownJSON = breakdownJSON; self.horizonS = horizonS; self.stepS = stepS
        self.solveMs = solveMs; self.message = message; self.schedule = schedule
    }
}

/// The changes of one stream after a watermark, and the watermark that covers them.
public struct SyncBatch: Sendable, Equatable {
    public var stream: SyncStream
    /// Watermark the batch was read after.
    public var after: Int64
    /// Watermark once the batch is applied (== `after` when there is nothing new).
    public var through: Int64
    public var rollups: [SyncRollup] = []
    public var uploads: [SyncUpload] = []
    public var forecastRuns: [SyncForecastRun] = []
    public var dispatchRuns: [SyncDispatchRun] = []

    public init(stream: SyncStream, after: Int64, through: Int64) { self.stream = stream; self.after = after; self.through = through }

    /// Rows the batch writes into the target (values and schedule slots included).
    public var rowCount: Int {
        rollups.count + uploads.count + forecastRuns.reduce(0) { $0 + 1 + $1.values.count }
            + dispatchRuns.reduce(0) { $0 + 1 + $1.schedule.count }
    }
    public var isEmpty: Bool { rollups.isEmpty && uploads.isEmpty && forecastRuns.isEmpty && dispatchRuns.isEmpty }
}

/// A district store read for sync.
public protocol SyncSource: Sendable {
    /// The next changes of `stream` after `watermark`: at most about `limit` rows (a forecast or
    /// dispatch run is never split).
    func syncBatch(_ stream: SyncStream, after watermark: Int64, limit: Int) async throws -> SyncBatch
}

/// A city store written by sync.
public protocol SyncTarget: Sendable {
    /// The watermark of `stream` from `source` (a site id); 0 before the first sync.
    func syncWatermark(source: String, stream: SyncStream) async throws -> Int64
    /// Applies `batch` from `source` and moves the watermark to `batch.through`, all in ONE
    /// transaction; returns the rows written. Refuses rollups of dongs that are not `source`'s
    /// in the target, and a batch whose `after` is not the stored watermark (another sync moved
    /// it). `failAfterRows` (tests): throw after writing that many rows, inside the transaction.
    func applySyncBatch(source: String, _ batch: SyncBatch, failAfterRows: Int?) async throws -> Int
}

extension Storage {
    public func syncSource() throws -> any SyncSource {
        if let s = readings as? any SyncSource { return s }
        throw VPPError(.unavailable, "the store at \(location) cannot be synced from (its driver has no SyncSource)")
    }

    public func syncTarget() throws -> any SyncTarget {
        if let s = readings as? any SyncTarget { return s }
        throw VPPError(.unavailable, "the store at \(location) cannot receive a sync (its driver has no SyncTarget)")
    }
}

/// What one `vpp sync` sent.
public struct SyncReport: Sendable, Equatable, Codable {
    public struct StreamReport: Sendable, Equatable, Codable {
        public var stream: String
        public var batches: Int
        /// Rows written into the target.
        public var rows: Int
        /// Watermark before and after.
        public var from: Int64
        public var through: Int64
        enum CodingKeys: String, CodingKey { case stream, batches, rows, from, through }
    }
    public var site: String
    public var target: String
    public var streams: [StreamReport]
    public var totalRows: Int { streams.reduce(0) { $0 + $1.rows } }
    enum CodingKeys: String, CodingKey { case site, target, streams }
}

/// `vpp sync`: one district store into a city store, stream by stream, batch by batch.
public enum CitySync {
    /// Copies everything of the source's site (`siteCode`, or its only site) that the target has
    /// not seen. The site config is loaded into the target first (idempotent), so the city knows
    /// the district's dongs. `failAfterRows` is the tests' crash hook (see `SyncTarget`).
    public static func run(source: Storage, target: Storage, siteCode: String?, batchRows: Int = 20_000,
                           failAfterRows: Int? = nil) async throws -> SyncReport {
        guard batchRows > 0 else { throw VPPError(.usage, "sync batch size must be positive, got \(batchRows)") }
        // Uploads, forecasts and dispatch runs carry no site key: a source must be one district's store.
        if let city = source.sites as? any CityStore, case let sites = try await city.loadedSites(), sites.count > 1 {
            throw VPPError(.usage, "vpp sync copies one district's store; \(source.location) holds \(sites.count) sites ("
                           + sites.map(\.id).joined(separator: ", ") + ")")
        }
        let config = try await source.requireSite(siteCode)
        let src = try source.syncSource(), dst = try target.syncTarget()
        if let other = try await target.selectSiteIfLoaded(config.site.id), other.site.sigunguCode != config.site.sigunguCode {
            throw VPPError(.badData, "site \(config.site.id) in \(target.location) has sigungu code \(other.site.sigunguCode), "
                           + "the district store says \(config.site.sigunguCode)")
        }
        _ = try await target.sites.loadSite(config)
        var streams: [SyncReport.StreamReport] = []
        for stream in SyncStream.allCases {
            let start = try await dst.syncWatermark(source: config.site.id, stream: stream)
            var report = SyncReport.StreamReport(stream: stream.rawValue, batches: 0, rows: 0, from: start, through: start)
            var wm = start
            while true {
                let batch = try await src.syncBatch(stream, after: wm, limit: batchRows)
                if batch.through == wm { break }
                report.rows += try await dst.applySyncBatch(source: config.site.id, batch, failAfterRows: failAfterRows)
                report.batches += 1
                wm = batch.through
            }
            report.through = wm
            streams.append(report)
        }
        return SyncReport(site: config.site.id, target: target.location, streams: streams)
    }
}

extension Storage {
    /// The config of site `id` when it is loaded, without the several-sites refusal.
    func selectSiteIfLoaded(_ id: String) async throws -> SiteConfig? { try await sites.loadedSiteConfig(siteID: id) }
}
