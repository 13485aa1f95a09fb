import VPPAuth
import Foundation
import VPPCore
import VPPStore

/// Reads the apartment ERP monthly upload in the XpERP layout (AEGIS XpERP manual p.26,
/// "전기검침 > 데이터업로드"): no header row,
/// A 동, B 호, C 전월지침 (previous register, may be blank), D 당월지침 (current register),
/// E 사용량 (kWh), optional F–Z billing columns kept as read (`register_reading.billing_json`).
///
/// Each row is one household register of the complex meter named by `--source` (or the
/// mapping's `meter`), stored in `register_reading` keyed (meter, "동-호", billing month).
/// E must equal D − C. When it does not, the row is stored as read and flagged, never
/// corrected: `rollover` (D < C and E equals the wrap at the next power of ten),
/// `register_decrease` (D < C otherwise: meter replaced?), `usage_mismatch` (D ≥ C but
/// E ≠ D − C: meter replaced mid-month, billed as (old final − C) + (D − new start)).
final class MonthlyERPReader {
    static let billingLetters = Array("FGHIJKLMNOPQRSTUVWXYZ").map(String.init)

    let file: String
    let asset: Int
    let assetID: String
    let period: YearMonth
    let delimiter: UInt8
    let quotes: Bool
    private var splitter: CSVFieldSplitter
    private var seenUnits: [String: Int] = [:]
    /// The most a household of this meter can use in the month [Wh] (the meter's own bound over
    /// the month's hours), and where the bound comes from.
    let maxUsageWh: Int64?
    let limitBasis: String
    private var labelReviews = 0, wrapReviews = 0

    init(file: String, asset: Int, assetID: String, period: YearMonth, delimiter: UInt8, quotes: Bool,
         maxUsageWh: Int64? = nil, limitBasis: String = "") throws {
        self.file = file; self.asset = asset; self.assetID = assetID; self.period = period
        self.delimiter = delimiter; self.quotes = quotes; self.maxUsageWh = maxUsageWh; self.limitBasis = limitBasis
        splitter = CSVFieldSplitter(delimiter: delimiter, quotes: quotes)

    }

    /// The billing month named in a file name: `2025-08`, `2025.08`, `202508`, `2025년 8월`.
    static func month(fromFileName name: String) -> YearMonth? {
        let s = Array((name as NSString).lastPathComponent.unicodeScalars)
        var i = 0
        while i < s.count {
            guard s[i].properties.numericType != nil, s[i].isASCII else { i += 1; continue }
            var j = i
            while j < s.count, s[j].isASCII, s[j].properties.numericType != nil { j += 1 }
            let digits = String(String.UnicodeScalarView(s[i..<j]))
            if digits.count == 6 || digits.count == 8, let y = Int(digits.prefix(4)), let m = Int(digits.dropFirst(4).prefix(2)),
               (2000...2100).contains(y), (1...12).contains(m) { return YearMonth(year: y, month: m) }
            if digits.count == 4, let y = Int(digits), (2000...2100).contains(y) {
                // separator then 1–2 digit month
                var k = j
                while k < s.count, ["-", ".", "_", " ", "/", "년"].contains(Character(s[k])) { k += 1 }
                var e = k
                while e < s.count, s[e].isASCII, s[e].properties.numericType != nil { e += 1 }
                if e > k, e - k <= 2, let m = Int(String(String.UnicodeScalarView(s[k..<e]))), (1...12).contains(m) {
                    return YearMonth(year: y, month: m)
                }
            }
            i = j
        }
        return nil
    }

    /// A 호 of digits with one or two letters that are easily typed for digits (O/o for 0, l/I/i
    /// for 1): the digits it was probably meant to be, else nil. `B102` or `102A` (a letter at an
    /// end, common unit names) are not typos.
    static func typoDigits(_ s: String) -> String? {
        let chars = Array(s)
        guard chars.count >= 2, chars.count <= 6, let first = chars.first, let last = chars.last,
              first.isASCII, first.isNumber, last.isASCII, last.isNumber else { return nil }
        var out = "", swaps = 0
        for c in chars {
            if c.isASCII && c.isNumber { out.append(c); continue }
            switch c {
            case "O", "o": out.append("0")
            case "l", "I", "i": out.append("1")
            default: return nil
            }
            swaps += 1
        }
        return swaps >= 1 && swaps <= 2 ? out : nil
    }

    /// Lines for the upload's message, one per kind of review item.
    var reviewNotes: [String] {
        var notes: [String] = []
        if wrapReviews > 0 { notes.append("\(wrapReviews) register(s) went down with no E 사용량: kept for review") }
        if labelReviews > 0 { notes.append("\(labelReviews) 호 label(s) look like typos: stored, kept for review") }
        return notes
    }

    private static func isTotalLabel(_ s: String) -> Bool {
        ["합계", "총계", "소계", "동계", "계", "total", "sum"].contains { s.lowercased().contains($0) } && !s.contains(where: \.isNumber)
    }

    /// Household label: numbers as integers ("301.0" → "301"), text kept.
    private static func label(_ s: String) -> String {
        if let d = Double(s), d == d.rounded(), abs(d) < 1e9 { return String(Int64(d)) }
        return s
    }

    /// One household row as read: 동 (A), 호 (B) and the three numbers (C, D, E).
    private struct Household {
        var dong: String, ho: String
        var previous: Double?, current: Double, usage: Double?
        var unit: String
    }

    /// What the registers say about the month's usage.
    private enum Usage {
        case known(kWh: Double, flag: String?)
        /// D < C with no E: kept for review, nothing counts.
        case review(ReviewItem)
        case rejected
    }

    func process(_ p: UnsafeBufferPointer<UInt8>, line: Int, sink w: any ReadingSink) throws {
        splitter.split(p)
        guard (0..<splitter.count).contains(where: { !splitter.isEmpty($0) }) else { return }
        try w.countRow(line: line)
        guard let h = try household(p, line: line, sink: w) else { return }
        if let first = seenUnits[h.unit] {
            try w.reject(line: line, column: 1, raw: p, reason: "duplicate household 동-호 \(h.unit) (first on line \(first))"); return
        }
        let usage: Double
        var flag: String?
        switch try monthUsage(h, p, line: line, sink: w) {
        case .rejected: return
        case .review(let item):
            try w.review(item, line: line, column: 4, raw: p)
            seenUnits[h.unit] = line
            wrapReviews += 1
            return
        case .known(let kWh, let f): usage = kWh; flag = f
        }
        seenUnits[h.unit] = line
        let usageColumn = h.usage == nil ? 4 : 5
        guard let usageWh = WattHours(checked: usage * 1000)?.wh else {
            try w.reject(line: line, column: usageColumn, raw: p, reason: "usage out of range: \(fmtNum(usage)) kWh"); return
        }
        if let limit = maxUsageWh, usageWh > limit {
            try w.reject(line: line, column: usageColumn, raw: p, reason:
                "implausible: \(fmtNum(usage)) kWh in \(period) for one household; \(assetID) can draw at most \(fmtNum(Double(limit) / 1000)) kWh in the month (\(limitBasis))")
            return
        }
        if let reason = try labelReview(h, p, line: line, sink: w) { flag = "review: " + reason }
        _ = try w.registerReading(RegisterReading(assetID: assetID, unit: h.unit, period: period, previousRegister: h.previous,
                                                  currentRegister: h.current, usageWh: usageWh, flag: flag,
                                                  billingJSON: try billingJSON(p)))
        if flag != nil && flag != "usage_derived" { w.flagged += 1 }
    }

    /// The row's 동, 호 and numbers, or nil when the row is rejected (total rows, missing columns,
    /// empty labels, negative or non-numeric registers, no current register).
    private func household(_ p: UnsafeBufferPointer<UInt8>, line: Int, sink w: any ReadingSink) throws -> Household? {
        let sp = splitter
        let a = sp.string(0, in: p), b = sp.count > 1 ? sp.string(1, in: p) : ""
        if Self.isTotalLabel(a) || Self.isTotalLabel(b) {
            try w.reject(line: line, column: 1, raw: p, reason: "total/subtotal row (\(a.isEmpty ? b : a)), not a household"); return nil
        }
        // E may be omitted (spreadsheets drop trailing empty cells); C and D may not.
        guard sp.count >= 4 else {
            try w.reject(line: line, column: nil, raw: p,
                         reason: "wrong column count: \(sp.count); XpERP needs A 동, B 호, C 전월지침, D 당월지침, E 사용량")
            return nil
        }
        if a.isEmpty { try w.reject(line: line, column: 1, raw: p, reason: "empty 동 (A)"); return nil }
        if b.isEmpty { try w.reject(line: line, column: 2, raw: p, reason: "empty 호 (B)"); return nil }
        func num(_ k: Int, _ name: String) throws -> (ok: Bool, value: Double?) {
            switch parseNumber(sp.field(k, in: p)) {
            case .value(let v):
                if v < 0 { try w.reject(line: line, column: k + 1, raw: p, reason: "negative \(name): \(fmtNum(v))"); return (false, nil) }
                return (true, v)
            case .missing: return (true, nil)
            case .invalid:
                let why = line == 1 && !a.contains(where: \.isNumber)
                    ? "title/header row (XpERP uploads have no header; data starts on line 1)"
                    : "not a number in \(name): \"\(sp.string(k, in: p).prefix(40))\""
                try w.reject(line: line, column: line == 1 ? nil : k + 1, raw: p, reason: why); return (false, nil)
            }
        }
        let (okC, c) = try num(2, "C 전월지침"); if !okC { return nil }
        let (okD, d) = try num(3, "D 당월지침"); if !okD { return nil }
        let (okE, e) = sp.count > 4 ? try num(4, "E 사용량") : (true, nil); if !okE { return nil }
        guard let d else { try w.reject(line: line, column: 4, raw: p, reason: "empty D 당월지침 (current register)"); return nil }
        return Household(dong: a, ho: b, previous: c, current: d, usage: e, unit: "\(Self.label(a))-\(Self.label(b))")
    }

    /// The month's usage from E and/or D − C, flagged (never corrected) where they disagree.
    private func monthUsage(_ h: Household, _ p: UnsafeBufferPointer<UInt8>, line: Int, sink w: any ReadingSink) throws -> Usage {
        let d = h.current
        switch (h.previous, h.usage) {
        case (nil, nil):
            try w.reject(line: line, column: 5, raw: p, reason: "no E 사용량 and no C 전월지침: usage unknown"); return .rejected
        case (nil, let e?):
            return .known(kWh: e, flag: nil)
        case (let c?, nil):
            guard d >= c else {
                // Rollover or replaced meter: an operator decides; nothing counts meanwhile.
                let wrap = Self.wrap(above: c)
                let reason = "D \(fmtNum(d)) < C \(fmtNum(c)) and no E 사용량: rollover at \(fmtNum(wrap)) (usage \(fmtNum(wrap - c + d)) kWh) or a replaced meter; kept for review"
                return .review(ReviewItem(kind: .registerWrap, reason: reason, assetID: assetID, unit: h.unit, period: period,
                                          previousRegister: c, currentRegister: d,
                                          candidateUsageWh: WattHours(checked: (wrap - c + d) * 1000)?.wh))
            }
            return .known(kWh: d - c, flag: "usage_derived")
        case (let c?, let e?):
            guard abs(e - (d - c)) > 1e-6 else { return .known(kWh: e, flag: nil) }
            if d >= c { return .known(kWh: e, flag: "usage_mismatch: E \(fmtNum(e)) ≠ D − C = \(fmtNum(d - c)) (meter replaced?)") }
            let wrap = Self.wrap(above: c)
            return .known(kWh: e, flag: abs(e - (wrap - c + d)) <= 1e-6
                ? "rollover: register wrapped at \(fmtNum(wrap)) (E = \(fmtNum(wrap)) − C + D)"
                : "register_decrease: D < C and E ≠ D − C (meter replaced?)")
        }
    }

    /// The power of ten a register of value `c` wraps at (999.9 → 1000).
    private static func wrap(above c: Double) -> Double {
        var wrap = 1.0
        while wrap <= c { wrap *= 10 }
        return wrap
    }

    /// A 호 that looks like a digit typo is kept for review (the row is stored as read); returns the reason.
    private func labelReview(_ h: Household, _ p: UnsafeBufferPointer<UInt8>, line: Int, sink w: any ReadingSink) throws -> String? {
        guard let digits = Self.typoDigits(Self.label(h.ho)) else { return nil }
        let reason = "호 \"\(h.ho)\" looks like a typo of \(digits) (letter among digits); stored as read, kept for review"
        try w.review(ReviewItem(kind: .householdLabel, reason: reason, assetID: assetID, unit: h.unit, period: period,
                                previousRegister: h.previous, currentRegister: h.current, candidateUsageWh: nil),
                     line: line, column: 2, raw: p)
        labelReviews += 1
        return reason
    }

    /// Billing columns F–Z as read, JSON with sorted keys (nil when there are none).
    private func billingJSON(_ p: UnsafeBufferPointer<UInt8>) throws -> String? {
        let sp = splitter
        guard sp.count > 5 else { return nil }
        var billing: [String: String] = [:]
        for k in 5..<min(sp.count, 26) where !sp.isEmpty(k) { billing[Self.billingLetters[k - 5]] = sp.string(k, in: p) }
        return billing.isEmpty ? nil : String(decoding: try JSONEncoder.sorted.encode(billing), as: UTF8.self)
    }
}

extension MonthlyERPReader: UploadReader {
    struct Layout {
        /// Index of the complex meter in the site's asset directory.
        var asset: Int
        var month: YearMonth
        var delimiter: UInt8
    }

    /// The billing month (mapping or file name), the complex meter (`--meter` or `--source`) and
    /// the delimiter (of the first non-empty record).
    static func plan(_ upload: UploadSample) throws -> UploadPlan<Layout> {
        let (mapping, dir, path) = (upload.mapping, upload.dir, upload.file)
        guard let month = mapping.month ?? Self.month(fromFileName: path) else {
            throw IngestError(file: path, .usage("billing month unknown: give --month YYYY-MM or put it in the file name (e.g. 2025-08)"))
        }
        let name = mapping.meter ?? upload.source
        guard let a = dir.lookup(name) ?? dir.lookupComplex(name) else {
            throw IngestError(file: path, .unknownAsset(
                "office \"\(name)\" is not a meter of the loaded site: \(dir.hint(for: name)); or give --meter ASSET-ID"))
        }
        guard dir.assets[a].kind == "meter" else {
            throw IngestError(file: path, .unknownAsset("\(dir.assets[a].id) is a \(dir.assets[a].kind), not a meter"))
        }
        var delimiter = upload.fixedDelimiter
        if delimiter == nil, let first = upload.records.first(where: { !$0.0.isEmpty }) {
            delimiter = first.0.withUnsafeBufferPointer { detectDelimiter($0) }
        }
        return UploadPlan(layout: Layout(asset: a, month: month, delimiter: delimiter ?? 44), month: month, target: dir.assets[a].id)
    }

    convenience init(sample upload: UploadSample, plan: UploadPlan<Layout>) throws {
        let a = plan.layout.asset, month = plan.layout.month
        let asset = upload.dir.assets[a]
        try self.init(file: upload.file, asset: a, assetID: asset.id, period: month, delimiter: plan.layout.delimiter,
                      quotes: upload.quotes, maxUsageWh: asset.maxWh(slotSeconds: month.days * 86_400), limitBasis: asset.maxPowerBasis)
    }

    func finish(sink: any ReadingSink) throws -> UploadNotes { UploadNotes(review: reviewNotes) }
}

extension JSONEncoder {
    static var sorted: JSONEncoder { let e = JSONEncoder(); e.outputFormatting = [.sortedKeys]; return e }
}
