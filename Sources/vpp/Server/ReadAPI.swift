import Foundation
import Hummingbird
import Synchronization
import VPPCore

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
        parse(String(KSTDateTime(epochSeconds: epoch).year))!
    }
}

/// A time bound in a query: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` (KST) or UTC epoch seconds.
func parseInstant(_ s: String) -> Int64? {
    if !s.isEmpty, s.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }), !s.contains("-") || s.hasPrefix("-") {
        return Int64(s)
    }
    if let p = APIPeriod.parse(s), s.count == 10 { return p.start }
    return KSTDateTime.parse(s.replacingOccurrences(of: "T", with: " ")).map(\.epochSeconds)
}

/// Caches read-API bodies until the data changes (store data stamp) or the TTL runs out.
final class ResponseCache: Sendable {
    private struct Entry { var stamp: String; var expires: UInt64; var body: String }
    private let entries = Mutex<[String: Entry]>([:])
    private let stampCache = Mutex<(value: String, expires: UInt64)?>(nil)
    let ttlNanos: UInt64
    let store: VPPStore

    init(store: VPPStore, ttlS: Double) { self.store = store; self.ttlNanos = UInt64(max(0, ttlS) * 1e9) }

    /// The data stamp, re-read at most every 200 ms.
    func stamp() throws -> String {
        let now = DispatchTime.now().uptimeNanoseconds
        if let s = stampCache.withLock({ $0 }), s.expires > now { return s.value }
        let v = try store.readAPIDataStamp()
        stampCache.withLock { $0 = (v, now + 200_000_000) }
        return v
    }

    func invalidate() {
        stampCache.withLock { $0 = nil }
        entries.withLock { $0.removeAll() }
    }

    func body(_ key: String, _ make: () throws -> String) throws -> String {
        let st = try stamp()
        let now = DispatchTime.now().uptimeNanoseconds
        if let e = entries.withLock({ $0[key] }), e.stamp == st, e.expires > now { return e.body }
        let b = try make()
        entries.withLock { dict in
            if dict.count > 512 { dict.removeAll() }
            dict[key] = Entry(stamp: st, expires: now + ttlNanos, body: b)
        }
        return b
    }
}

/// Handlers of the operator read API (issue 7). Thin: parse, authorize, call the store, write JSON.
struct ReadAPI: Sendable {
    let store: VPPStore
    let cache: ResponseCache

    func dongs() throws -> String {
        try cache.body("dongs") {
            let rows = try store.siteSummary()
            return "{\"dongs\":" + (try JSONText.encode(rows)) + "}"
        }
    }

    func series(dong: String, query: [String: String]) throws -> String {
        guard dong.count == 10, dong.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw APIError.badRequest("dong code must be the 10-digit administrative code", code: "bad_dong")
        }
        let qText = query["quantity"] ?? "consumption"
        guard let q = RollupQuantity(rawValue: qText) else {
            throw APIError.badRequest("quantity must be one of \(RollupQuantity.allCases.map(\.rawValue).joined(separator: ", "))",
                                      code: "bad_quantity")
        }
        var from: Int64, to: Int64
        if let f = query["from"] {
            guard let v = parseInstant(f) else { throw APIError.badRequest("from: use YYYY-MM-DD, YYYY-MM-DDTHH:MM (KST) or epoch seconds", code: "bad_time") }
            from = v
        } else { from = Int64.min }
        if let t = query["to"] {
            guard let v = parseInstant(t) else { throw APIError.badRequest("to: use YYYY-MM-DD, YYYY-MM-DDTHH:MM (KST) or epoch seconds", code: "bad_time") }
            to = v
        } else { to = Int64.max }
        let key = "series|\(dong)|\(q.rawValue)|\(from)|\(to)"
        return try cache.body(key) {
            guard try store.dongExists(dong) else { throw APIError.notFound("dong \(dong)") }
            if from == Int64.min || to == Int64.max {
                // Default: the last 7 days of stored data (or up to `to`, or from `from`).
                let span = try store.rollupSpan()
                if from == Int64.min && to == Int64.max { to = (span?.last ?? 0) + 3600; from = to - 7 * 86_400 }
                else if from == Int64.min { from = to - 7 * 86_400 } else { to = from + 7 * 86_400 }
            }
            guard to > from else { throw APIError.badRequest("to must be after from", code: "bad_range") }
            guard to - from <= 367 * 86_400 else { throw APIError.badRequest("range longer than 367 days", code: "range_too_long") }
            let s = try store.rollupSeries(dong: dong, quantity: q, from: from, to: to)
            var out = "{\"dong\":\"\(dong)\",\"quantity\":\"\(q.rawValue)\",\"unit\":\"Wh\",\"stamp_convention\":\"hour-beginning\""
            out += ",\"from\":\(from),\"to\":\(to),\"count\":\(s.hourStart.count),\"points\":["
            out.reserveCapacity(out.utf8.count + s.hourStart.count * 24)
            for i in s.hourStart.indices {
                if i > 0 { out += "," }
                out += "["; out += String(s.hourStart[i]); out += ","; out += String(s.wh[i]); out += "]"
            }
            out += "]}"
            return out
        }
    }

    func forecasts(query: [String: String]) throws -> String {
        let dong = query["dong"], quantity = query["quantity"]
        if let quantity, quantity != "pv", quantity != "load" {
            throw APIError.badRequest("quantity must be pv or load", code: "bad_quantity")
        }
        return try cache.body("forecasts|\(dong ?? "")|\(quantity ?? "")") {
            guard let run = try store.latestForecastRun() else { return "{\"run\":null,\"points\":[]}" }
            let pts = try store.forecastPoints(runID: run.id, dong: dong, quantity: quantity)
            var out = "{\"run\":" + (try JSONText.encode(run)) + ",\"unit\":\"Wh\",\"stamp_convention\":\"hour-beginning\",\"points\":["
            for (i, p) in pts.enumerated() {
                if i > 0 { out += "," }
                out += "{\"dong\":\"\(p.dongCode)\",\"quantity\":\"\(p.quantity)\",\"slot_start\":\(p.slotStart),\"duration_s\":\(p.durationS),\"value_wh\":\(p.valueWh)}"
            }
            return out + "]}"
        }
    }

    func latestSchedule() throws -> String {
        try cache.body("schedule") {
            guard let s = try store.latestSchedule() else { return "{\"run\":null,\"slots\":[]}" }
            return "{\"run\":" + (try JSONText.encode(s.run)) + ",\"units\":{\"power\":\"W\",\"soc\":\"Wh\"},\"stamp_convention\":\"hour-beginning\",\"slots\":"
                + (try JSONText.encode(s.slots)) + "}"
        }
    }

    /// `GET /api/v1/report?period=&by=&dong=`: the same tracking report as `vpp report --format json`
    /// (schema vpp.tracking-report/1), built by VPPCore.Tracking and cached until the data changes.
    func report(query: [String: String]) throws -> String {
        let period = try Self.reportPeriod(query["period"], store: store)
        let by = ReportGranularity(rawValue: query["by"] ?? "period")
        guard let by else { throw APIError.badRequest("by must be period, day, month or year", code: "bad_granularity") }
        let dong = query["dong"].flatMap { $0.isEmpty ? nil : $0 }
        if let dong, !(try store.dongExists(dong)) { throw APIError.notFound("dong \(dong)") }
        return try cache.body("report|\(period.label)|\(by.rawValue)|\(dong ?? "")") {
            let report = try TrackingReportBuilder.build(store: store, period: period, options: TrackingOptions(dongCode: dong))
            return TrackingReportRenderer(report).json(by: by)
        }
    }

    /// The tracking report's own HTML (same charts as `vpp report --format html`), cached.
    func reportHTML(period: ReportPeriod) throws -> String {
        try cache.body("reporthtml|\(period.label)") {
            TrackingHTMLReport(try TrackingReportBuilder.build(store: store, period: period)).render()
        }
    }

    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD..YYYY-MM-DD` (KST); default the year of the newest rollup.
    static func reportPeriod(_ text: String?, store: VPPStore) throws -> ReportPeriod {
        if let text, !text.isEmpty {
            do { return try ReportPeriod.parse(text) } catch {
                throw APIError.badRequest("period: use YYYY-MM (month), YYYY (year) or YYYY-MM-DD..YYYY-MM-DD (KST, end inclusive)",
                                          code: "bad_period")
            }
        }
        let last = try store.rollupSpan()?.last ?? store.clock.now()
        return .year(KSTDateTime(epochSeconds: last).year)
    }

    func uploadJSON(id: Int64, principal: Principal, rejectsLimit: Int = 0, rejectsOffset: Int = 0) throws -> String {
        guard let u = try store.upload(id: id) else { throw APIError.notFound("upload \(id)") }
        let owner = try store.uploadOwner(uploadID: id)
        guard Authorization.canRead(uploadOwnedBy: owner, principal) else {
            // Same answer as a missing upload: an office must not learn other offices' upload ids.
            throw APIError.notFound("upload \(id)")
        }
        var out = "{\"upload_id\":\(u.id),\"file\":" + JSONText.string(u.fileName) + ",\"kind\":" + JSONText.string(u.kind)
        out += ",\"source\":" + JSONText.string(u.source) + ",\"sha256\":\"\(u.sha256)\",\"received_at\":\(u.receivedAt)"
        out += ",\"status\":" + JSONText.string(u.status) + ",\"rows_accepted\":\(u.rowsOK),\"rows_rejected\":\(u.rowsRejected),\"rows_changed\":\(u.rowsChanged)"
        out += ",\"message\":" + (u.message.map(JSONText.string) ?? "null")
        if let o = owner { out += ",\"office\":" + (o.office.map(JSONText.string) ?? "null") + ",\"complex\":" + (o.complex.map(JSONText.string) ?? "null") }
        if rejectsLimit > 0 {
            let rows = try store.rejectedRows(uploadID: id, limit: rejectsLimit + rejectsOffset)
            out += ",\"offset\":\(rejectsOffset),\"rejects\":[" + rows.dropFirst(rejectsOffset).map(UploadService.rejectJSON).joined(separator: ",") + "]"
        }
        out += ",\"links\":{\"self\":\"/api/v1/uploads/\(u.id)\",\"rejects\":\"/api/v1/uploads/\(u.id)/rejects\"}}"
        return out
    }
}
