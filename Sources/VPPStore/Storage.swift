import Foundation
import VPPCore

// The store as the rest of vpp sees it: one protocol per concern, methods named for what they
// mean, every one `async throws`. A driver (the embedded SQLite one in VPPStoreSQLite; a server
// database later) implements them; nothing outside the driver sees SQL, row ids or a connection.
// Errors are `CategorizedError`s: a busy database is `.temporary` (75, try again), a broken one
// `.internal` (70).

/// Sites, dongs and assets as loaded from site configs.
public protocol SiteStore: Sendable {
    /// Loads (idempotently) a site config: dongs and assets added, updated or retired, each change recorded.
    func loadSite(_ config: SiteConfig) async throws -> SiteLoadReport
    /// The config stored for `siteID`; when nil, the store's only site (nil when none is loaded,
    /// `SiteStore.severalSites` when several are: a command must then be told which).
    func loadedSiteConfig(siteID: String?) async throws -> SiteConfig?
    func siteSummary() async throws -> [DongSummary]
    func configChanges(limit: Int) async throws -> [SiteLoadReport.Change]
    /// Active assets as ingestion resolves the names in a file against them.
    func assetDirectory() async throws -> AssetDirectory
    func dongExists(_ code: String) async throws -> Bool
    func activeDongCodes() async throws -> Set<String>
    /// Schema version, applied migrations, row counts and size.
    func info() async throws -> StoreInfo
}

/// Interval readings and their hourly per-dong rollups.
public protocol ReadingStore: GenerationHistory {
    /// Totals of one dong over [from, to) [UTC epoch s, hour-aligned].
    func rollupTotals(dong: String, from: Int64, to: Int64) async throws -> RollupTotals
    /// One quantity of one dong per hour over [from, to).
    func rollupSeries(dong: String, quantity: RollupQuantity, from: Int64, to: Int64) async throws
        -> (hourStart: [Int64], wh: [Int64])
    /// Every dong's totals over [from, to).
    func dongPeriodTotals(from: Int64, to: Int64) async throws -> [DongPeriodTotals]
    /// District totals per KST day over [from, to).
    func districtDaily(from: Int64, to: Int64) async throws -> [(dayStart: Int64, generationWh: Int64, consumptionWh: Int64)]
    /// First and last rollup hour, nil when nothing was ingested.
    func rollupSpan() async throws -> (first: Int64, last: Int64)?
    /// Hourly rollups of each dong over [from, to), in hour order; missing hours are gaps.
    func hourlyRollups(dongCodes: [String], from: Int64, to: Int64) async throws -> [String: [HourlyRollup]]
    /// Writes rollup rows, replacing those of the same dong-hour: sample data and benchmarks
    /// (ingestion adds its own to the existing ones in its transaction).
    func replaceRollups(_ rows: [(dongCode: String, rollup: HourlyRollup)]) async throws
    /// Metered energy and covered seconds of each asset over [from, to).
    func meterTotals(assetIDs: [String], from: Int64, to: Int64) async throws -> [String: (energyWh: Int64, coveredS: Int64)]
    /// Each asset's metered energy and covered seconds per hour over [from, to), keyed by asset
    /// then hour start [UTC epoch s, hour-beginning]: the per-meter view tracking needs for the
    /// meter hierarchy and unmetered PV (issue 12).
    func assetHourly(assetIDs: [String], from: Int64, to: Int64) async throws -> [String: [Int64: AssetHour]]
    /// Monthly register usage summed over the household units of each asset, for the months
    /// that overlap [from, to).
    func registerMonthly(assetIDs: [String], from: Int64, to: Int64) async throws -> [RegisterMonth]
    /// Measured consumption of one dong per hour over [from, to) (the load model's history).
    func hourlyConsumption(dong: String, from: Int64, to: Int64) async throws -> [(hourStart: Int64, wh: Int64)]
    /// Changes whenever readings, forecasts or schedules change (read caches key on it).
    func dataStamp() async throws -> String
}

/// One upload's writes, pushed by a reader inside the driver's single transaction (the bulk
/// path: no per-row allocation, raw binds in the SQLite driver). Row-level outcomes are counted
/// here; a thrown error rolls the whole file back.
public protocol ReadingSink: AnyObject {
    var uploadID: Int64 { get }
    var ok: Int { get }
    var rejected: Int { get }
    var changed: Int { get }
    var skipped: Int { get set }
    var flagged: Int { get set }
    var baselines: Int { get set }
    var dataRows: Int { get }
    var forReview: Int { get }
    var rejectSamples: [RejectedRow] { get }
    var firstSlot: Int64 { get }
    var lastSlot: Int64 { get }
    /// Counts one data row (and runs the failure-injection hook of tests).
    func countRow(line: Int) throws
    /// One accepted interval reading of asset index `asset` (AssetDirectory order) [Wh].
    func reading(asset: Int, slotStart: Int64, duration: Int, wh: Int64, quality: Int,
                 line: Int, raw: UnsafeBufferPointer<UInt8>, column: Int?) throws
    /// One household register row of a monthly upload; returns whether it changed a stored value.
    func registerReading(_ r: RegisterReading) throws -> Bool
    func reject(line: Int, column: Int?, raw: UnsafeBufferPointer<UInt8>, reason: String) throws
    /// A row kept for an operator's decision.
    func review(_ item: ReviewItem, line: Int, column: Int?, raw: UnsafeBufferPointer<UInt8>) throws
    /// Adds the rollups accumulated so far; returns the dong-hours written.
    func flushRollups() throws -> Int
    /// Rollup rows written by partial flushes.
    var rollupRowsWritten: Int { get }
}

/// Uploads, their rejected rows and review items; the ingest transaction.
public protocol UploadStore: Sendable {
    /// The upload that holds this idempotency key, if any.
    func uploadID(idempotencyKey key: String) async throws -> Int64?
    func uploads(limit: Int) async throws -> [UploadSummary]
    func upload(id: Int64) async throws -> UploadSummary?
    func rejectedRows(uploadID: Int64, limit: Int) async throws -> [RejectedRow]
    func reviewItems(uploadID: Int64?, all: Bool, limit: Int) async throws -> [StoredReviewItem]
    @discardableResult
    func resolveReview(id: Int64, decision: ReviewDecision, by actor: String, note: String?) async throws -> StoredReviewItem
    /// Removes an upload as if it had never been ingested (readings, rollups, rows), audited.
    func deleteUpload(id: Int64, actor: String) async throws -> UploadDeletion
    /// What a retry needs: the original bytes (when kept) or path, and the parameters it was read with.
    func retrySource(uploadID id: Int64) async throws -> UploadRetrySource?
    /// Runs `body` in ONE write transaction with a sink for the upload's rows: the upload record,
    /// every reading, reject, review item and rollup commit together or not at all. Asset indexes
    /// pushed into the sink are those of `directory` (the one the reader resolved names with).
    /// Returns `.duplicate(id)` without calling `body` when the key is held (checked under the write lock).
    func ingest<T: Sendable>(_ upload: NewUpload, directory: AssetDirectory,
                             _ body: (any ReadingSink) throws -> (T, UploadOutcome)) async throws -> IngestResult<T>
}

/// Forecast runs, their values and trained models. A run belongs to the site it was made for
/// (`siteID`; nil: a run of no site — made before runs carried one in a store of several sites, or
/// by a caller that names none); a `siteID` filter of the reads selects that site's runs and the
/// runs of no site, nil selects every run.
public protocol ForecastStore: Sendable {
    func insertForecastRun(siteID: String?, issuedAt: Int64, kind: String, horizonS: Int64, stepS: Int64, model: String,
                           paramsJSON: String, values: [ForecastValue]) async throws -> Int64
    /// A run by id, or the newest.
    func forecastRun(id: Int64?) async throws -> StoredForecastRun?
    /// Runs issued in [issuedFrom, issuedThrough] with at least one value starting in
    /// [overlappingFrom, to), newest issue first (what dispatch may use at `issuedThrough`).
    func forecastRuns(issuedFrom: Int64, issuedThrough: Int64, overlappingFrom: Int64, to: Int64, limit: Int,
                      siteID: String?) async throws -> [StoredForecastRun]
    func forecastValues(runID: Int64, dong: String?, quantity: String?) async throws -> [ForecastValue]
    func saveForecastModel(name: String, trainedAt: Int64, trainFrom: Int64, trainTo: Int64, paramsJSON: String) async throws -> Int64
    func latestForecastModel(name: String) async throws -> StoredForecastModel?
    /// The newest run with values (of `siteID` when given).
    func latestForecastRun(siteID: String?) async throws -> StoredForecastRun?
    func forecastPoints(runID: Int64, dong: String?, quantity: String?) async throws -> [ForecastPoint]
}

/// Weather replies as received (KMA), by request key.
public protocol WeatherArchive: WeatherForecastArchive {
    func weatherBody(key: String) async throws -> Data?
    func putWeather(key: String, fetchedAt: Int64, body: Data) async throws
}

/// Dispatch runs and the schedules they planned. A run belongs to the site it planned (`siteID`;
/// nil: a run of no site, as for forecasts); a `siteID` filter of the reads selects that site's
/// runs and the runs of no site, nil every run.
public protocol DispatchStore: Sendable {
    func startDispatchRun(siteID: String?, startedAt: Int64, objective: String, horizonSeconds: Int, stepSeconds: Int) async throws -> Int64
    func finishDispatchRun(id: Int64, finishedAt: Int64, status: String, objectiveValue: Double?, breakdownJSON: String,
                           solveMs: Double?, message: String?, schedule: [ScheduleRow]) async throws
    func dispatchRuns(limit: Int, siteID: String?) async throws -> [DispatchRunRecord]
    /// Each battery's SoC planned for the slot starting at `epoch` by the newest successful run
    /// (of `siteID` when given) [Wh].
    func plannedSoC(at epoch: Int64, siteID: String?) async throws -> [String: Int64]
    /// The newest plan's SoC for each (battery, slot) in [from, to) [Wh].
    func plannedSoC(batteryIDs: [String], from: Int64, to: Int64) async throws -> [(batteryID: String, slotStart: Int64, socWh: Int64)]
    /// The newest run with a schedule (of `siteID` when given) and its slots.
    func latestSchedule(siteID: String?) async throws -> (run: DispatchRunRecord, slots: [ScheduleSlot])?
}

/// API tokens (stored as salted HMACs only) and the audit trail.
public protocol AuthStore: Sendable {
    /// Creates a token; the secret text is returned once and never stored.
    func createToken(role: TokenRole, office: String?, complexes: [String], actor: String) async throws -> (info: TokenInfo, text: String)
    func revokeToken(keyID: String, actor: String) async throws -> TokenInfo
    func tokens() async throws -> [TokenInfo]
    func authenticate(token text: String) async throws -> Principal
    func appendAudit(_ events: [AuditEvent]) async throws
    func auditLog(limit: Int) async throws -> [AuditEvent]
    func recordHTTPUpload(uploadID: Int64?, fresh: Bool, displayName: String, principal: Principal,
                          complex: String?, outcome: String, detail: String) async throws
    func uploadOwner(uploadID: Int64) async throws -> UploadOwner?
}

/// Everything vpp keeps, grouped by concern: what commands, the server and the runners receive.
/// The concerns every driver implements are plain fields; those a driver may not implement yet
/// (telemetry, alerts, OpenADR, forecast scoring) are optional fields, and their accessors below
/// throw a typed "not supported by this store" error naming the store when they are absent.
public struct Storage: Sendable {
    public var sites: any SiteStore
    public var readings: any ReadingStore
    public var uploads: any UploadStore
    public var forecasts: any ForecastStore
    public var weather: any WeatherArchive
    public var dispatch: any DispatchStore
    public var auth: any AuthStore
    /// Battery telemetry reads and appends; nil when the driver keeps none.
    public var telemetry: (any TelemetryStore)?
    /// Imported heat-wave alerts; nil when the driver keeps none.
    public var alerts: (any AlertStore)?
    /// OpenADR objects and VEN telemetry; nil when the driver keeps none.
    public var openADRObjects: (any OpenADRStore)?
    /// Forecast-run selection for scoring; nil when the driver has none.
    public var scoring: (any ForecastScoringStore)?
    /// Takes the named cross-process lock without waiting (nil when another process holds it):
    /// a PostgreSQL advisory lock for the server store; nil for the SQLite store, whose callers
    /// keep their lock files (`flock`). The second argument, when given, is a guard name held in
    /// shared mode along with it: holders of different names under one guard run at once, and
    /// whoever holds the guard name itself exclusively (an older vpp's store-wide lock) excludes
    /// them all, and they it.
    public var tryExclusiveLock: (@Sendable (_ name: String, _ sharedGuard: String?) async throws -> (any HeldLock)?)?
    /// The clock writes are stamped with (injected in tests).
    public var clock: any WallClock
    /// Where the data lives, for messages (a file path or a database URL without credentials).
    public var location: String

    public init(sites: any SiteStore, readings: any ReadingStore, uploads: any UploadStore, forecasts: any ForecastStore,
                weather: any WeatherArchive, dispatch: any DispatchStore, auth: any AuthStore,
                telemetry: (any TelemetryStore)? = nil, alerts: (any AlertStore)? = nil,
                openADRObjects: (any OpenADRStore)? = nil, scoring: (any ForecastScoringStore)? = nil,
                clock: any WallClock, location: String) {
        self.sites = sites; self.readings = readings; self.uploads = uploads; self.forecasts = forecasts
        self.weather = weather; self.dispatch = dispatch; self.auth = auth
        self.telemetry = telemetry; self.alerts = alerts; self.openADRObjects = openADRObjects; self.scoring = scoring
        self.clock = clock; self.location = location
    }

    /// One driver object that implements the core concerns (the optional ones stay nil).
    public init<D: SiteStore & ReadingStore & UploadStore & ForecastStore & WeatherArchive & DispatchStore & AuthStore>(
        driver: D, clock: any WallClock, location: String
    ) {
        self.init(sites: driver, readings: driver, uploads: driver, forecasts: driver, weather: driver, dispatch: driver,
                  auth: driver, clock: clock, location: location)
    }

    /// One driver object that implements every concern.
    public init<D: SiteStore & ReadingStore & UploadStore & ForecastStore & WeatherArchive & DispatchStore & AuthStore
                   & TelemetryStore & AlertStore & OpenADRStore & ForecastScoringStore>(
        driver: D, clock: any WallClock, location: String
    ) {
        self.init(sites: driver, readings: driver, uploads: driver, forecasts: driver, weather: driver, dispatch: driver,
                  auth: driver, telemetry: driver, alerts: driver, openADRObjects: driver, scoring: driver,
                  clock: clock, location: location)
    }

    /// The error for a concern this storage's driver does not implement: `.unavailable` (69), naming the store.
    public func notSupported(_ what: String) -> VPPError {
        VPPError(.unavailable, "\(what) is not supported by the store at \(location)")
    }

    /// The alert store, or the typed "not supported by this store" error.
    public func alertStore() throws -> any AlertStore {
        guard let a = alerts else { throw notSupported("heat-wave alerts") }
        return a
    }
}

/// A lock held across processes until `release()` (or until the process ends: the kernel or the
/// database server drops it, so a crashed holder never wedges the next run).
public protocol HeldLock: Sendable {
    func release() async
}

// The usual arguments (protocol requirements cannot declare defaults).
extension UploadStore {
    public func uploads() async throws -> [UploadSummary] { try await uploads(limit: 100) }
    public func rejectedRows(uploadID: Int64) async throws -> [RejectedRow] { try await rejectedRows(uploadID: uploadID, limit: 1000) }
    public func reviewItems(uploadID: Int64?) async throws -> [StoredReviewItem] {
        try await reviewItems(uploadID: uploadID, all: false, limit: 1000)
    }
}

extension ForecastStore {
    public func newestForecastRun() async throws -> StoredForecastRun? { try await forecastRun(id: nil) }
    public func forecastValues(runID: Int64) async throws -> [ForecastValue] { try await forecastValues(runID: runID, dong: nil, quantity: nil) }
}

extension SiteStore {
    public func loadedSiteConfig() async throws -> SiteConfig? { try await loadedSiteConfig(siteID: nil) }

    /// The error of `loadedSiteConfig(siteID: nil)` on a store of several sites (there is no
    /// "last loaded" default: which district a command works on is always the caller's choice).
    public static func severalSites(_ ids: [String], location: String) -> VPPError {
        VPPError(.usage, "\(ids.count) sites are loaded in \(location); pass --site CODE, one of: \(ids.joined(separator: ", "))")
    }
}

extension DispatchStore {
    public func dispatchRuns() async throws -> [DispatchRunRecord] { try await dispatchRuns(limit: 50, siteID: nil) }
    public func dispatchRuns(limit: Int) async throws -> [DispatchRunRecord] { try await dispatchRuns(limit: limit, siteID: nil) }
    public func plannedSoC(at epoch: Int64) async throws -> [String: Int64] { try await plannedSoC(at: epoch, siteID: nil) }
    public func latestSchedule() async throws -> (run: DispatchRunRecord, slots: [ScheduleSlot])? { try await latestSchedule(siteID: nil) }
    /// A run of no site (a store of one district, tests).
    public func startDispatchRun(startedAt: Int64, objective: String, horizonSeconds: Int, stepSeconds: Int) async throws -> Int64 {
        try await startDispatchRun(siteID: nil, startedAt: startedAt, objective: objective, horizonSeconds: horizonSeconds, stepSeconds: stepSeconds)
    }
}

extension ForecastStore {
    public func latestForecastRun() async throws -> StoredForecastRun? { try await latestForecastRun(siteID: nil) }
    public func forecastRuns(issuedFrom: Int64, issuedThrough: Int64, overlappingFrom: Int64, to: Int64, limit: Int) async throws -> [StoredForecastRun] {
        try await forecastRuns(issuedFrom: issuedFrom, issuedThrough: issuedThrough, overlappingFrom: overlappingFrom, to: to, limit: limit, siteID: nil)
    }
    /// A run of no site (a store of one district, tests, benchmarks).
    @discardableResult
    public func insertForecastRun(issuedAt: Int64, kind: String, horizonS: Int64, stepS: Int64, model: String,
                                  paramsJSON: String = "{}", values: [ForecastValue]) async throws -> Int64 {
        try await insertForecastRun(siteID: nil, issuedAt: issuedAt, kind: kind, horizonS: horizonS, stepS: stepS, model: model,
                                    paramsJSON: paramsJSON, values: values)
    }
}

extension AuthStore {
    public func appendAudit(_ e: AuditEvent) async throws { try await appendAudit([e]) }
}

extension ReadingSink {
    public func reject(line: Int, column: Int?, raw: [UInt8], reason: String) throws {
        try raw.withUnsafeBufferPointer { try reject(line: line, column: column, raw: $0, reason: reason) }
    }
}

extension ReadingStore {
    /// Totals of one dong over a KST calendar month.
    public func rollupTotals(dong: String, month: YearMonth) async throws -> RollupTotals {
        try await rollupTotals(dong: dong, from: month.startEpoch, to: month.endEpoch)
    }
}
