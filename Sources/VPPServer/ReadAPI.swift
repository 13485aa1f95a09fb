import Tracking
import Ingestion
import VPPAuth
import Foundation
import Hummingbird
import Synchronization
import VPPCore
import VPPStore

/// A period in the read API: `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (KST calendar), as [start, end) UTC epoch s.
struct APIPeriod: Sendable, Equatable {
    var label: String
    var start: Int64
    var end: Int64

    static func parse(_ text: String) -> APIPeriod? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let parts = t.split(separator: "-", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              parts[0].count == 4, let y = Int(parts[0]), (2000...2100).contains(y) else { return nil }
        if parts.count == 1 {
            return APIPeriod(label: t, start: KSTDateTime(year: y, month: 1, day: 1).epochSeconds,
                             end: KSTDateTime(year: y + 1, month: 1, day: 1).epochSeconds)
        }
        guard parts[1].count == 2, let m = Int(parts[1]), (1...12).contains(m) else { return nil }
        let ym = YearMonth(year: y, month: m)
        if parts.count == 2 { return APIPeriod(label: t, start: ym.startEpoch, end: ym.endEpoch) }
        guard parts[2].count == 2, let d = Int(parts[2]), (1...KST.daysInMonth(year: y, month: m)).contains(d) else { return nil }
        let s = KSTDateTime(year: y, month: m, day: d).epochSeconds
        return APIPeriod(label: t, start: s, end: s + 86_400)
    }

    /// The KST year holding `epoch`.
    static func year(containing epoch: Int64) -> APIPeriod {
        let y = KSTDateTime(epochSeconds: epoch).year
        return APIPeriod(label: String(y), start: KSTDateTime(year: y, month: 1, day: 1).epochSeconds,
                         end: KSTDateTime(year: y + 1, month: 1, day: 1).epochSeconds)
    }
}

/// Instants a request may name: KST years 1900–2200 (the stamp parser's range) [UTC epoch s].
/// Every request-supplied time is checked against these before any arithmetic on it.
enum RequestTimeBounds {
    static let min = KSTDateTime(year: 1900, month: 1, day: 1).epochSeconds
    static let max = KSTDateTime(year: 2201, month: 1, day: 1).epochSeconds
}

/// A time bound in a query: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` (KST) or UTC epoch seconds.
/// Throws a 400 naming `parameter` for text that is not such a time or lies outside
/// `RequestTimeBounds` (so `from=9223372036854775807` is refused, never overflowed).
func parseInstant(_ s: String, parameter: String) throws -> Int64 {
    let forms = "use YYYY-MM-DD, YYYY-MM-DDTHH:MM (KST) or epoch seconds"
    let range = "between 1900-01-01 and 2200-12-31 KST (epoch \(RequestTimeBounds.min)…\(RequestTimeBounds.max - 1))"
    func bad(_ why: String) -> APIError { APIError.badRequest("\(parameter): \(why)", code: "bad_time", parameter: parameter) }
    guard !s.isEmpty, s.utf8.count <= 40 else { throw bad(s.isEmpty ? "empty; \(forms)" : "longer than 40 characters; \(forms)") }
    if s.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }), !s.contains("-") || (s.hasPrefix("-") && !s.dropFirst().contains("-")) {
        guard let v = Int64(s), (RequestTimeBounds.min..<RequestTimeBounds.max).contains(v) else {
            throw bad("epoch seconds \(s) out of range; use a time \(range)")
        }
        return v
    }
    // Long digit runs are not a date part (and would overflow the stamp parser's accumulator).
    var run = 0
    for b in s.utf8 {
        if b >= 48 && b <= 57 { run += 1; if run > 14 { throw bad("a number in \"\(s.prefix(40))\" is too long; \(forms)") } } else { run = 0 }
    }
    let value: Int64
    if let p = APIPeriod.parse(s), s.count == 10 { value = p.start }
    else if let t = KSTDateTime.parse(s.replacingOccurrences(of: "T", with: " ")) { value = t.epochSeconds }
    else { throw bad(forms) }
    guard (RequestTimeBounds.min..<RequestTimeBounds.max).contains(value) else { throw bad("out of range; use a time \(range)") }
    return value
}

/// A non-negative integer query parameter within `range`; nil when absent. Text that is not a
/// decimal integer, or is out of range, is a 400 naming the parameter (never clamped silently).
func queryInt(_ query: [String: String], _ name: String, in range: ClosedRange<Int>) throws -> Int? {
    guard let text = query[name] else { return nil }
    guard let v = Int(text), range.contains(v) else {
        throw APIError.badRequest("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)", code: "bad_\(name)",
                                  parameter: name)
    }
    return v
}

/// Caches read-API bodies until the data changes (store data stamp) or the TTL runs out, bounded
/// by total body size [bytes] and entry count: beyond either, the least recently used bodies
/// are evicted; a body larger than half the byte budget is served but not kept.
final class ResponseCache: Sendable {
    private struct Entry { var stamp: String; var expires: UInt64; var body: String; var bytes: Int; var lastUse: UInt64 }
    private struct State {
        var entries: [String: Entry] = [:]
        var totalBytes = 0
        var useCounter: UInt64 = 0
    }
    private let state = Mutex(State())
    private let stampCache = Mutex<(value: String, expires: UInt64)?>(nil)
    let ttlNanos: UInt64
    let maxBytes: Int
    let maxEntries: Int
    let storage: Storage

    init(storage: Storage, ttlS: Double, maxBytes: Int = 64 * 1024 * 1024, maxEntries: Int = 512) {
        self.storage = storage
        self.ttlNanos = UInt64(max(0, ttlS) * 1e9)
        self.maxBytes = max(0, maxBytes)
        self.maxEntries = max(1, maxEntries)
    }

    /// Bytes and entries held now (tests, diagnostics).
    var usage: (bytes: Int, entries: Int) { state.withLock { ($0.totalBytes, $0.entries.count) } }

    /// The data stamp, re-read at most every 200 ms.
    func stamp() async throws -> String {
        let now = DispatchTime.now().uptimeNanoseconds
        if let s = stampCache.withLock({ $0 }), s.expires > now { return s.value }
        let v = try await storage.readings.dataStamp()
        stampCache.withLock { $0 = (v, now + 200_000_000) }
        return v
    }

    func invalidate() {
        stampCache.withLock { $0 = nil }
        state.withLock { $0 = State() }
    }

    func body(_ key: String, _ make: () async throws -> String) async throws -> String {
        let st = try await stamp()
        let now = DispatchTime.now().uptimeNanoseconds
        let hit: String? = state.withLock { s in
            guard var e = s.entries[key], e.stamp == st, e.expires > now else { return nil }
            s.useCounter += 1
            e.lastUse = s.useCounter
            s.entries[key] = e
            return e.body
        }
        if let hit { return hit }
        let b = try await make()
        let bytes = b.utf8.count
        state.withLock { s in
            if let old = s.entries.removeValue(forKey: key) { s.totalBytes -= old.bytes }
            guard bytes <= maxBytes / 2 else { return }
            // Stale and expired entries go first, then the least recently used.
            for (k, e) in s.entries where e.stamp != st || e.expires <= now {
                s.entries[k] = nil
                s.totalBytes -= e.bytes
            }
            while !s.entries.isEmpty, s.totalBytes + bytes > maxBytes || s.entries.count >= maxEntries {
                guard let victim = s.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) else { break }
                s.entries[victim.key] = nil
                s.totalBytes -= victim.value.bytes
            }
            s.useCounter += 1
            s.entries[key] = Entry(stamp: st, expires: now + ttlNanos, body: b, bytes: bytes, lastUse: s.useCounter)
            s.totalBytes += bytes
        }
        return b
    }
}

/// Handlers of the operator read API (issue 7). Thin: parse, authorize, call the store, write JSON.
struct ReadAPI: Sendable {
    let storage: Storage
    let cache: ResponseCache
    /// The district served (`vpp serve --site`) when the store holds several; nil: the only one.
    var siteID: String? = nil

    func dongs() async throws -> String {
        try await cache.body("dongs") {
            guard let siteID else { return try APIJSON.encode(DongsPayload(dongs: try await storage.sites.siteSummary())) }
            let site = try await storage.requireSite(siteID)
            return try APIJSON.encode(DongsPayload(dongs: DongSummary.rows(of: site, active: try await storage.sites.activeDongCodes())))
        }
    }

    func series(dong: String, query: [String: String]) async throws -> String {
        guard dong.count == 10, dong.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw APIError.badRequest("dong code must be the 10-digit administrative code", code: "bad_dong")
        }
        let qText = query["quantity"] ?? "consumption"
        guard let q = RollupQuantity(rawValue: qText) else {
            throw APIError.badRequest("quantity must be one of \(RollupQuantity.allCases.map(\.rawValue).joined(separator: ", "))",
                                      code: "bad_quantity")
        }
        // Both bounds are within RequestTimeBounds (or the sentinels), so the arithmetic below cannot overflow.
        var from: Int64 = try query["from"].map { try parseInstant($0, parameter: "from") } ?? Int64.min
        var to: Int64 = try query["to"].map { try parseInstant($0, parameter: "to") } ?? Int64.max
        let key = "series|\(dong)|\(q.rawValue)|\(from)|\(to)"
        return try await cache.body(key) {
            guard try await storage.sites.dongExists(dong) else { throw APIError.notFound("dong \(dong)") }
            if from == Int64.min || to == Int64.max {
                // Default: the last 7 days of stored data (or up to `to`, or from `from`).
                let span = try await storage.readings.rollupSpan()
                if from == Int64.min && to == Int64.max { to = (span?.last ?? 0) + 3600; from = to - 7 * 86_400 }
                else if from == Int64.min { from = to - 7 * 86_400 } else { to = from + 7 * 86_400 }
            }
            guard to > from else { throw APIError.badRequest("to must be after from", code: "bad_range", parameter: "to") }
            guard to - from <= 367 * 86_400 else { throw APIError.badRequest("range longer than 367 days", code: "range_too_long", parameter: "to") }
            let s = try await storage.readings.rollupSeries(dong: dong, quantity: q, from: from, to: to)
            return try APIJSON.encode(SeriesPayload(dong: dong, quantity: q.rawValue, from: from, to: to, hourStart: s.hourStart, wh: s.wh))
        }
    }

    func forecasts(query: [String: String]) async throws -> String {
        let dong = query["dong"], quantity = query["quantity"]
        if let quantity, quantity != "pv", quantity != "load" {
            throw APIError.badRequest("quantity must be pv or load", code: "bad_quantity")
        }
        return try await cache.body("forecasts|\(dong ?? "")|\(quantity ?? "")") {
            guard let run = try await storage.forecasts.latestForecastRun(siteID: siteID) else { return try APIJSON.encode(ForecastsPayload(run: nil, points: [])) }
            let pts = try await storage.forecasts.forecastPoints(runID: run.id, dong: dong, quantity: quantity)
            return try APIJSON.encode(ForecastsPayload(run: run, points: pts.map {
                ForecastPointPayload(dong: $0.dongCode, quantity: $0.quantity, slotStart: $0.slotStart, durationS: $0.durationS, valueWh: $0.valueWh)
            }))
        }
    }

    func latestSchedule() async throws -> String {
        try await cache.body("schedule") {
            guard let s = try await storage.dispatch.latestSchedule(siteID: siteID) else { return try APIJSON.encode(SchedulePayload(run: nil, slots: [])) }
            return try APIJSON.encode(SchedulePayload(run: s.run, slots: s.slots))
        }
    }

    /// `GET /api/v1/report?period=&by=&dong=`: the same tracking report as `vpp report --format json`
    /// (schema vpp.tracking-report/2), built by VPPCore.Tracking and cached until the data changes.
    func report(query: [String: String]) async throws -> String {
        let period = try await Self.reportPeriod(query["period"], storage: storage)
        let by = ReportGranularity(rawValue: query["by"] ?? "period")
        guard let by else { throw APIError.badRequest("by must be period, day, month or year", code: "bad_granularity") }
        let dong = query["dong"].flatMap { $0.isEmpty ? nil : $0 }
        if let dong, !(try await storage.sites.dongExists(dong)) { throw APIError.notFound("dong \(dong)") }
        return try await cache.body("report|\(period.label)|\(by.rawValue)|\(dong ?? "")") {
            let report = try await TrackingReportBuilder.build(storage: storage, period: period, options: TrackingOptions(dongCode: dong),
                                                               siteID: siteID)
            return TrackingReportRenderer(report).json(by: by)
        }
    }

    /// The tracking report's own HTML (same charts as `vpp report --format html`), cached.
    func reportHTML(period: ReportPeriod) async throws -> String {
        try await cache.body("reporthtml|\(period.label)") {
            TrackingHTMLReport(try await TrackingReportBuilder.build(storage: storage, period: period, siteID: siteID)).render()
        }
    }

    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD..YYYY-MM-DD` (KST); default the year of the newest rollup.
    static func reportPeriod(_ text: String?, storage: Storage) async throws -> ReportPeriod {
        if let text, !text.isEmpty {
            do { return try ReportPeriod.parse(text) } catch {
                throw APIError.badRequest("period: use YYYY-MM (month), YYYY (year) or YYYY-MM-DD..YYYY-MM-DD (KST, end inclusive)",
                                          code: "bad_period")
            }
        }
        let last = try await storage.readings.rollupSpan()?.last ?? storage.clock.now()
        return .year(KSTDateTime(epochSeconds: last).year)
    }

    func uploadJSON(id: Int64, principal: Principal, rejectsLimit: Int = 0, rejectsOffset: Int = 0) async throws -> String {
        guard let u = try await storage.uploads.upload(id: id) else { throw APIError.notFound("upload \(id)") }
        let owner = try await storage.auth.uploadOwner(uploadID: id)
        guard Authorization.canRead(uploadOwnedBy: owner, principal) else {
            // Same answer as a missing upload: an office must not learn other offices' upload ids.
            throw APIError.notFound("upload \(id)")
        }
        var rejects: [RejectedRow]?
        if rejectsLimit > 0 {
            rejects = Array(try await storage.uploads.rejectedRows(uploadID: id, limit: rejectsLimit + rejectsOffset).dropFirst(rejectsOffset))
        }
        return try APIJSON.encode(UploadPayload(u, owner: owner, rejects: rejects, offset: rejectsOffset))
    }
}
