import VPPAuth
import Foundation
import VPPCore
import VPPStore

/// Reads headered interval exports (AMI, building meters, apartment common loads, PV plants
/// and inverters): long format (time, meter id, value) or wide format (time, one column per
/// meter), Korean or English headers, 15-min or hourly, hour-beginning or hour-ending stamps,
/// Wh/kWh/MWh energy or W/kW/MW average power, or cumulative registers (with rollover and
/// reset detection). The layout is sniffed from the first records; the mapping file or flags
/// decide what cannot be detected. Rows are parsed from UTF-8 bytes, no `String` per row.
final class IntervalCSVReader {
    struct Series {
        var column: Int
        /// Fixed asset (wide format, single-meter files); nil = from the meter column.
        var asset: Int?
        /// nil = from the unit column of each row.
        var unit: EnergyUnit?
        var register: Bool
        /// Date × hour tables: seconds from the row's date to this column's stamp (e.g. 1시 → 3600).
        var stampOffsetS: Int64 = 0
    }

    struct Layout {
        var delimiter: UInt8
        var quotes: Bool
        var headerLine: Int
        var headers: [String]
        var timeColumn: Int
        var meterColumn: Int?
        var unitColumn: Int?
        var series: [Series]
        var convention: StampConvention
        var slot: SlotLength
        var maxWhPerSlot: Int64?
        /// One row per day with one column per hour (KPX/KEPCO 날짜,1시…24시): the time column holds dates.
        var dateByHour = false
    }

    let file: String
    let kind: IngestKind
    let mapping: IngestMapping
    let dir: AssetDirectory
    var layout: Layout
    private(set) var warnings: [String] = []

    private var splitter: FieldSplitter
    // Meter-id cache for long files (rows usually come meter by meter).
    private var lastMeter: [UInt8] = []
    private var lastMeterAsset: Int = -2 // -2 unknown, -1 unmapped
    private var meterCache: [String: Int] = [:]
    // Per-asset register and unit state.
    private var regLast: [Int64?]
    private var regLastValue: [Double]
    private var regLastStamp: [Int64]
    private var regLastLine: [Int]
    private var lastUnit: [EnergyUnit?]
    private var unitSwitched: [Bool]
    private var unitWarnings = 0
    private let assetFlow: [AssetDirectory.Flow]
    private let assetIsBattery: [Bool]
    /// Physical bound of each asset for one slot of this file [Wh] (nil = none known).
    private let assetSlotLimitWh: [Int64?]
    private var levels: LevelStepDetector

    init(file: String, kind: IngestKind, mapping: IngestMapping, dir: AssetDirectory, layout: Layout) {
        self.file = file; self.kind = kind; self.mapping = mapping; self.dir = dir; self.layout = layout
        splitter = FieldSplitter(delimiter: layout.delimiter, quotes: layout.quotes)
        let n = dir.assets.count
        regLast = Array(repeating: nil, count: n); regLastValue = Array(repeating: 0, count: n)
        regLastStamp = Array(repeating: 0, count: n); regLastLine = Array(repeating: 0, count: n)
        lastUnit = Array(repeating: nil, count: n); unitSwitched = Array(repeating: false, count: n)
        assetFlow = dir.assets.map(\.flow); assetIsBattery = dir.assets.map { $0.kind == "battery" }
        assetSlotLimitWh = dir.assets.map { $0.maxWh(slotSeconds: layout.slot.seconds) }
        levels = LevelStepDetector(assets: n, slotSeconds: layout.slot.seconds)
    }

    /// Sustained ~1000× steps in a series' level (a unit switch shown only by magnitude), found
    /// after the whole file was read: one line per asset, for the upload's review.
    /// Finds the steps (once, after the last row) and keeps each as a review item.
    func finishReview(_ w: any ReadingSink) throws -> [String] {
        let notes = suspectedUnitSwitches
        for (step, note) in zip(steps, notes) {
            let item = ReviewItem(kind: .unitSwitch, reason: note, assetID: dir.assets[step.asset].id, unit: nil, period: nil,
                                  previousRegister: nil, currentRegister: nil, candidateUsageWh: nil)
            try w.review(item, line: step.line, column: nil, raw: UnsafeBufferPointer(start: nil, count: 0))
        }
        return notes
    }

    private lazy var steps: [LevelStepDetector.Step] = levels.finish()

    var suspectedUnitSwitches: [String] {
        steps.map { s in
            let dir = s.ratio > 1 ? "larger" : "smaller"
            let factor = s.ratio > 1 ? s.ratio : 1 / s.ratio
            return "suspected unit switch for \(self.dir.assets[s.asset].id) from line \(s.line) (\(KSTDateTime(epochSeconds: s.slotStart).dateString)): daily level \(fmtNum((factor).rounded()))× \(dir) than the days before (\(fmtNum(Double(s.before) / 1000)) → \(fmtNum(Double(s.after) / 1000)) kWh/day), sustained; check the unit and re-upload with --unit"
        }
    }

    // MARK: - Layout sniffing

    static let timeNames = ["검침일시", "일시", "측정일시", "기준일시", "일자시간", "계량일시", "timestamp", "timestamp_kst", "datetime",
                            "date_time", "time", "시간", "시각", "측정시간", "검침시간", "interval_start", "interval_end",
                            // Date-only columns last: they head date × hour tables (날짜, 1시 … 24시).
                            "날짜", "일자", "기준일자", "date"]
    static let meterNames = ["계량기번호", "계기번호", "meter_id", "meterid", "meter", "meter_no", "설비번호", "고객번호", "발전소",
                             "plant", "site", "id"]
    static let valueNames = ["사용량", "전력사용량", "전력량", "발전량", "시간당발전량", "kwh", "wh", "mwh", "kw", "energy", "energy_kwh",
                             "energy_wh", "usage", "consumption", "generation", "value", "power", "power_kw"]
    static let registerNames = ["지침", "누적지침", "누적", "누적발전량", "누적사용량", "register", "cumulative", "cumulative_kwh"]
    static let unitNames = ["단위", "unit"]

    /// Header text folded for matching: lower case, no blanks, units in brackets dropped.
    static func base(_ h: String) -> String {
        var s = h.lowercased().filter { !$0.isWhitespace && $0 != "\u{FEFF}" && $0 != "\"" }
        if let open = s.firstIndex(where: { $0 == "(" || $0 == "[" }) { s = String(s[..<open]) }
        return s
    }

    static func find(_ names: [String], in headers: [String], excluding: Set<Int> = []) -> Int? {
        let bases = headers.map(base)
        for n in names { if let i = bases.indices.first(where: { !excluding.contains($0) && bases[$0] == n }) { return i } }
        return nil
    }

    static func column(_ spec: String, in headers: [String], file: String, what: String) throws -> Int {
        if let i = Int(spec), i >= 1, i <= headers.count { return i - 1 }
        if let i = headers.firstIndex(of: spec) { return i }
        if let i = headers.map(base).firstIndex(of: base(spec)) { return i }
        throw IngestError(file: file, .layout("\(what) column \"\(spec)\" not in header (\(headers.joined(separator: ", ")))"))
    }

    /// Columns that each hold one hour of a day (`1시`…`24시`, `01시`, `H01`, `hour_1`, `0`…`23`):
    /// the column and its hour, when at least 24 distinct hours are there; nil otherwise.
    static func hourColumns(_ headers: [String], excluding: Set<Int>) -> [(column: Int, hour: Int)]? {
        var found: [(column: Int, hour: Int)] = []
        var seen = Set<Int>()
        for (c, h) in headers.enumerated() where !excluding.contains(c) {
            var t = base(h)
            for suffix in ["시", "h", "hr", "시간"] where t.hasSuffix(suffix) && t.count > suffix.count { t.removeLast(suffix.count); break }
            for prefix in ["hour_", "hour", "h"] where t.hasPrefix(prefix) && t.count > prefix.count { t.removeFirst(prefix.count); break }
            guard t.count <= 2, t.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(t), (0...24).contains(n),
                  !seen.contains(n) else { continue }
            seen.insert(n); found.append((c, n))
        }
        guard found.count >= 24 else { return nil }
        // 0…23 or 1…24, not a mix that names 25 hours.
        if seen.contains(0) && seen.contains(24) { return nil }
        return found
    }

    /// Header columns that could hold the value of a single-series file (a value or register name,
    /// or a header that names a unit); nil when there are none.
    static func valueCandidates(_ headers: [String], excluding: Set<Int>) -> [Int]? {
        let names = Set(valueNames + registerNames)
        let c = headers.indices.filter { !excluding.contains($0) && (names.contains(base(headers[$0])) || EnergyUnit.fromHeader(headers[$0]) != nil) }
        return c.isEmpty ? nil : c
    }

    /// Works out the layout from the first records (`sample`: record bytes and line numbers).
    static func sniff(file: String, kind: IngestKind, mapping: IngestMapping, dir: AssetDirectory,
                      sample: [([UInt8], Int)], quotes: Bool, fixedDelimiter: UInt8?) throws -> (Layout, [String]) {
        var warnings: [String] = []
        let nonBlank = sample.filter { r in r.0.contains { $0 != 32 && $0 != 9 && $0 != 44 && $0 != 0x1F } }
        guard !nonBlank.isEmpty else { throw IngestError(file: file, .noDataRows) }
        // The header is the first record (of the first 20) that has a time column.
        var headerIndex: Int?
        var delimiter: UInt8 = fixedDelimiter ?? 44
        var headers: [String] = []
        var timeCol: Int?
        for (k, rec) in nonBlank.prefix(20).enumerated() {
            let d = fixedDelimiter ?? rec.0.withUnsafeBufferPointer { detectDelimiter($0) }
            var sp = FieldSplitter(delimiter: d, quotes: quotes)
            let hs: [String] = rec.0.withUnsafeBufferPointer { p in sp.split(p); return (0..<sp.count).map { sp.string($0, in: p) } }
            let t: Int?
            if let spec = mapping.timeColumn { t = try? column(spec, in: hs, file: file, what: "time") } else { t = find(timeNames, in: hs) }
            if let t {
                // A header cell is text, not a time stamp.
                let isStamp = hs[t].utf8.withContiguousStorageIfAvailable { parseStampEpoch($0) } ?? nil
                if isStamp == nil { headerIndex = k; delimiter = d; headers = hs; timeCol = t; break }
            }
        }
        guard let headerIndex, let timeCol else {
            // Show the line as people can read it: undecodable bytes and control characters as "?".
            let first = String(String(decoding: nonBlank[0].0.prefix(120), as: UTF8.self).unicodeScalars.map { u in
                u.value < 0x20 || u.value == 0xFFFD || (0x7F...0x9F).contains(u.value) ? "?" : Character(u)
            })
            throw IngestError(file: file, line: nonBlank[0].1, .layout(
                "no header with a time column (검침일시/일시/timestamp/time) in the first 20 lines; first line: \"\(first)\"; give --time-column"))
        }
        let headerLine = nonBlank[headerIndex].1
        var used: Set<Int> = [timeCol]
        // Unit column.
        var unitCol: Int?
        if let spec = mapping.unitColumn { unitCol = try column(spec, in: headers, file: file, what: "unit") }
        else { unitCol = find(unitNames, in: headers) }
        if let u = unitCol { used.insert(u) }
        // Meter column.
        var meterCol: Int?
        if let spec = mapping.meterColumn { meterCol = try column(spec, in: headers, file: file, what: "meter") }
        else if mapping.columns.isEmpty, mapping.meter == nil { meterCol = find(meterNames, in: headers, excluding: used) }
        if let m = meterCol { used.insert(m) }

        func unitFor(_ col: Int) throws -> EnergyUnit? {
            if let u = mapping.unit { return u }
            if let u = EnergyUnit.fromHeader(headers[col]) { return u }
            if unitCol != nil { return nil }
            throw IngestError(file: file, line: headerLine, .layout(
                "unit of column \"\(headers[col])\" unknown (header names no kWh/Wh/MWh/kW); give --unit or unit in the mapping file"))
        }

        var series: [Series] = []
        let hourColumns = Self.hourColumns(headers, excluding: used)
        if let hours = hourColumns {
            // Date × hour table: every hour column is a reading of the row's meter.
            if let spec = mapping.valueColumn ?? mapping.registerColumn {
                throw IngestError(file: file, line: headerLine, .layout(
                    "the file is a date × hour table (\(headers[timeCol]), \(headers[hours[0].column]) … \(headers[hours[hours.count - 1].column])): every hour column is read as its own slot; drop --value-column/--register-column \"\(spec)\""))
            }
            var fixed: Int?
            if let m = mapping.meter {
                guard let a = dir.lookup(m) else {
                    throw IngestError(file: file, .unknownAsset("meter \"\(m)\" is not an asset of the loaded site; \(dir.hint(for: m))"))
                }
                fixed = a
            } else if meterCol == nil {
                throw IngestError(file: file, line: headerLine, .layout(
                    "date × hour table with no meter id column: give --meter ASSET-ID for the whole file"))
            }
            for h in hours {
                series.append(Series(column: h.column, asset: fixed, unit: try unitFor(h.column), register: false,
                                     stampOffsetS: Int64(h.hour) * 3600))
            }
        } else if meterCol != nil || mapping.meter != nil {
            // Long format, or one meter for the whole file.
            var fixed: Int?
            if let m = mapping.meter {
                guard let a = dir.lookup(m) else {
                    throw IngestError(file: file, .unknownAsset("meter \"\(m)\" is not an asset of the loaded site; \(dir.hint(for: m))"))
                }
                fixed = a
            }
            var col: Int?, reg = false
            if let spec = mapping.valueColumn { col = try column(spec, in: headers, file: file, what: "value") }
            else if let spec = mapping.registerColumn { col = try column(spec, in: headers, file: file, what: "register"); reg = true }
            else if let many = Self.valueCandidates(headers, excluding: used), many.count > 1 {
                throw IngestError(file: file, line: headerLine, .layout(
                    "several value columns (\(many.map { headers[$0] }.joined(separator: ", "))) and no choice made: give --value-column (or --register-column)"))
            }
            else if let v = find(valueNames, in: headers, excluding: used) { col = v }
            else if let r = find(registerNames, in: headers, excluding: used) { col = r; reg = true }
            else {
                // A header that carries a unit, e.g. "energy_kwh" or "사용량(kWh)".
                col = headers.indices.first { !used.contains($0) && EnergyUnit.fromHeader(headers[$0]) != nil }
            }
            guard let col else {
                throw IngestError(file: file, line: headerLine, .layout(
                    "no value column (사용량/kWh/발전량/value) or register column (지침/register) in header; give --value-column or --register-column"))
            }
            series = [Series(column: col, asset: fixed, unit: try unitFor(col), register: reg)]
        } else {
            // Wide format: one column per asset.
            if !mapping.columns.isEmpty {
                for (h, assetID) in mapping.columns.sorted(by: { $0.key < $1.key }) {
                    let c = try column(h, in: headers, file: file, what: "mapped")
                    guard let a = dir.lookup(assetID) else {
                        throw IngestError(file: file, .unknownAsset("mapping [columns] \"\(h)\" = \"\(assetID)\": no such asset in the loaded site; \(dir.hint(for: assetID))"))
                    }
                    series.append(Series(column: c, asset: a, unit: try unitFor(c), register: false))
                }
            } else {
                for c in headers.indices where !used.contains(c) {
                    if let a = dir.lookup(headers[c]) ?? dir.lookup(base(headers[c])) {
                        series.append(Series(column: c, asset: a, unit: try unitFor(c), register: false))
                    }
                }
            }
            if series.isEmpty {
                throw IngestError(file: file, line: headerLine, .layout(
                    "no meter id column (계량기번호/meter_id) and no column header names a site asset (\(headers.joined(separator: ", "))); give --meter-column, or a mapping file with [columns] header = \"asset-id\""))
            }
            let ignored = headers.indices.filter { c in !used.contains(c) && !series.contains { $0.column == c } }
            if !ignored.isEmpty { warnings.append("columns not ingested: \(ignored.map { headers[$0] }.joined(separator: ", "))") }
            series.sort { $0.column < $1.column }
        }

        if let hours = hourColumns {
            // Hours numbered 1…24 end at the stamp (24시 = 23:00–24:00); 0…23 begin at it.
            let convention = mapping.convention ?? (hours.contains { $0.hour == 24 } ? .hourEnding : .hourBeginning)
            if let s = mapping.slot, s != .hour {
                throw IngestError(file: file, line: headerLine, .layout("a date × hour table has 1 h slots; drop --slot \(s)"))
            }
            warnings.append("date × hour table: \(hours.count) hour columns read as \(convention == .hourEnding ? "hour-ending (1시 = 00:00–01:00)" : "hour-beginning (0시 = 00:00–01:00)") 1 h slots")
            let maxWh = mapping.maxKWhPerSlot.flatMap { WattHours(checked: $0 * 1000)?.wh }
            return (Layout(delimiter: delimiter, quotes: quotes, headerLine: headerLine, headers: headers, timeColumn: timeCol,
                           meterColumn: meterCol, unitColumn: unitCol, series: series, convention: convention, slot: .hour,
                           maxWhPerSlot: maxWh, dateByHour: true), warnings)
        }
        // Slot length and stamp convention from the sample's stamps.
        let dataRecs = nonBlank.dropFirst(headerIndex + 1).prefix(5000)
        var steps: [Int64: Int] = [:]
        var saw24 = false
        var prevByMeter: [String: Int64] = [:]
        var stamps = 0
        for rec in dataRecs {
            var sp = FieldSplitter(delimiter: delimiter, quotes: quotes)
            rec.0.withUnsafeBufferPointer { p in
                sp.split(p)
                guard timeCol < sp.count else { return }
                let f = sp.field(timeCol, in: p)
                if let t = KSTDateTime.parse(utf8: f) {
                    if t.hour == 24 { saw24 = true }
                    let e = t.epochSeconds
                    let key = meterCol.map { $0 < sp.count ? sp.string($0, in: p) : "" } ?? ""
                    if let prev = prevByMeter[key], e > prev { steps[e - prev, default: 0] += 1 }
                    prevByMeter[key] = e
                    stamps += 1
                } else if let e = parseStampEpoch(f) {
                    let key = meterCol.map { $0 < sp.count ? sp.string($0, in: p) : "" } ?? ""
                    if let prev = prevByMeter[key], e > prev { steps[e - prev, default: 0] += 1 }
                    prevByMeter[key] = e
                    stamps += 1
                }
            }
        }
        // The most common step between consecutive stamps of one meter (gaps and odd stamps are rare).
        let minStep = steps.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? .max
        let slot: SlotLength
        if let s = mapping.slot { slot = s } else if minStep == 900 { slot = .quarterHour } else if minStep == 3600 { slot = .hour }
        else if minStep == .max {
            slot = .hour
            warnings.append("slot length not detectable from \(stamps) stamp(s); assumed 1h (give --slot)")
        } else {
            throw IngestError(file: file, line: headerLine, .layout(
                "time step of \(minStep) s is neither 15 min nor 1 h; give --slot 15m|1h if the file has gaps"))
        }
        let convention: StampConvention
        if let c = mapping.convention { convention = c } else if saw24 { convention = .hourEnding }
        else {
            let th = headers[timeCol].lowercased()
            if th.contains("end") || th.contains("종료") { convention = .hourEnding }
            else {
                convention = .hourBeginning
                if !series.allSatisfy(\.register) && !(th.contains("start") || th.contains("begin") || th.contains("시작")) {
                    warnings.append("stamp convention not stated and no 24:00 stamp seen; assumed hour-beginning (give --convention)")
                }
            }
        }
        let maxWh = mapping.maxKWhPerSlot.flatMap { WattHours(checked: $0 * 1000)?.wh }
        return (Layout(delimiter: delimiter, quotes: quotes, headerLine: headerLine, headers: headers, timeColumn: timeCol,
                       meterColumn: meterCol, unitColumn: unitCol, series: series, convention: convention, slot: slot,
                       maxWhPerSlot: maxWh), warnings)
    }

    // MARK: - Rows

    private func resolveMeter(_ f: UnsafeBufferPointer<UInt8>) -> Int {
        if lastMeterAsset != -2 && f.count == lastMeter.count {
            let same = lastMeter.withUnsafeBufferPointer { l in f.count == 0 || memcmp(l.baseAddress!, f.baseAddress!, f.count) == 0 }
            if same { return lastMeterAsset }
        }
        let name = String(decoding: f, as: UTF8.self)
        let idx: Int
        if let c = meterCache[name] { idx = c } else {
            if let target = mapping.meters[name] { idx = dir.lookup(target) ?? -1 }
            else { idx = dir.lookup(name) ?? -1 }
            meterCache[name] = idx
        }
        lastMeter = Array(f); lastMeterAsset = idx
        return idx
    }

    /// Processes one record. Returns nothing; accepted readings and rejects go to `w`.
    func process(_ p: UnsafeBufferPointer<UInt8>, line: Int, w: any ReadingSink) throws {
        if line <= layout.headerLine {
            if line < layout.headerLine, p.contains(where: { $0 != 32 && $0 != 9 && $0 != 44 && $0 != 0x1F }) {
                try w.reject(line: line, column: nil, raw: p, reason: "title row before the header (not data)")
            }
            return
        }
        splitter.split(p)
        let sp = splitter
        // Blank lines carry no data.
        if sp.count <= 1 && sp.isEmpty(0) { return }
        try w.countRow(line: line)
        let expected = layout.headers.count
        if sp.count != expected {
            var extraBlank = sp.count > expected
            if extraBlank { for k in expected..<sp.count where !sp.isEmpty(k) { extraBlank = false } }
            if !extraBlank {
                try w.reject(line: line, column: nil, raw: p, reason: "wrong column count: \(sp.count), header has \(expected)")
                return
            }
        }
        let tf = sp.field(layout.timeColumn, in: p)
        guard let rowStamp = parseStampEpoch(tf) else {
            if sp.string(layout.timeColumn, in: p) == layout.headers[layout.timeColumn] {
                try repeatedHeader(p, line: line, w: w)
            } else {
                try w.reject(line: line, column: layout.timeColumn + 1, raw: p,
                             reason: "not a time stamp: \"\(String(decoding: tf.prefix(60), as: UTF8.self))\"")
            }
            return
        }
        var fixedMeter = -2
        if let mc = layout.meterColumn {
            let mf = sp.field(mc, in: p)
            if mf.isEmpty {
                try w.reject(line: line, column: mc + 1, raw: p, reason: "empty meter id"); return
            }
            fixedMeter = sp.isEscaped(mc) ? sp.bytes(mc, in: p).withUnsafeBufferPointer { resolveMeter($0) } : resolveMeter(mf)
            if fixedMeter < 0 {
                if mapping.unmappedMeters == .skip { w.skipped += 1; return }
                let name = sp.string(mc, in: p)
                try w.reject(line: line, column: mc + 1, raw: p, reason: "unknown meter \"\(name)\": \(dir.hint(for: name))")
                return
            }
        }
        var rowUnit: EnergyUnit?
        if let uc = layout.unitColumn {
            let uf = sp.field(uc, in: p)
            rowUnit = EnergyUnit(text: String(decoding: uf, as: UTF8.self))
        }
        let slotLen = layout.slot
        let slotS = Int64(slotLen.seconds)
        if layout.dateByHour && (rowStamp + KST.offsetSeconds).floorMod(86_400) != 0 {
            try w.reject(line: line, column: layout.timeColumn + 1, raw: p,
                         reason: "date × hour table: \(layout.headers[layout.timeColumn]) holds a time, not a date: \"\(String(decoding: tf.prefix(40), as: UTF8.self))\"")
            return
        }
        for s in layout.series {
            let stamp = rowStamp + s.stampOffsetS
            let a = s.asset ?? fixedMeter
            let col = s.column
            if kind == .pv && assetFlow[a] != .generation {
                try w.reject(line: line, column: col + 1, raw: p, reason: "asset \(dir.assets[a].id) is not a PV/generation asset (--kind pv)")
                continue
            }
            if assetIsBattery[a] {
                try w.reject(line: line, column: col + 1, raw: p, reason: "asset \(dir.assets[a].id) is a battery; battery telemetry is not a meter reading")
                continue
            }
            guard let unit = s.unit ?? rowUnit else {
                let u = layout.unitColumn.map { sp.string($0, in: p) } ?? ""
                try w.reject(line: line, column: (layout.unitColumn ?? col) + 1, raw: p, reason: "unknown unit \"\(u)\" (Wh, kWh, MWh, W, kW, MW)")
                continue
            }
            var quality = 0
            if let prev = lastUnit[a], prev != unit {
                unitSwitched[a] = true
                if unitWarnings < 10 {
                    warnings.append("unit switch for \(dir.assets[a].id) at line \(line): \(prev.rawValue) → \(unit.rawValue) (values converted by their own unit and flagged)")
                }
                unitWarnings += 1
            }
            lastUnit[a] = unit
            if unitSwitched[a] { quality |= ReadingQuality.unitSwitched }
            let value: Double
            switch parseNumber(sp.field(col, in: p)) {
            case .value(let v): value = v
            case .missing:
                try w.reject(line: line, column: col + 1, raw: p, reason: "empty value in \(layout.headers[col])"); continue
            case .invalid:
                try w.reject(line: line, column: col + 1, raw: p,
                             reason: "not a number in \(layout.headers[col]): \"\(sp.string(col, in: p).prefix(40))\""); continue
            }
            let wh: Int64
            let slotStart: Int64
            if s.register {
                guard value >= 0 else {
                    try w.reject(line: line, column: col + 1, raw: p, reason: "negative register \(value)"); continue
                }
                guard let regWh = WattHours(checked: value * unit.factor)?.wh else {
                    try w.reject(line: line, column: col + 1, raw: p, reason: "register out of range: \(fmtNum(value)) \(unit.rawValue)"); continue
                }
                quality |= ReadingQuality.fromRegister
                guard let prevWh = regLast[a] else {
                    regLast[a] = regWh; regLastValue[a] = value * unit.factor; regLastStamp[a] = stamp; regLastLine[a] = line
                    w.baselines += 1
                    continue
                }
                let prevStamp = regLastStamp[a], prevLine = regLastLine[a], prevValueWh = regLastValue[a]
                if stamp <= prevStamp {
                    try w.reject(line: line, column: layout.timeColumn + 1, raw: p,
                                 reason: "register stamp not after the previous read of \(dir.assets[a].id) (line \(prevLine))")
                    continue
                }
                regLast[a] = regWh; regLastValue[a] = value * unit.factor; regLastStamp[a] = stamp; regLastLine[a] = line
                if stamp - prevStamp != slotS {
                    try w.reject(line: line, column: layout.timeColumn + 1, raw: p,
                                 reason: "register gap: \(stamp - prevStamp) s since line \(prevLine); energy over several slots is not split (new baseline)")
                    continue
                }
                var diff = regWh - prevWh
                if diff < 0 {
                    // A rollover wraps at a power of ten in the register's own unit, e.g. 999.9 MWh → 0.2 MWh.
                    let prevInUnit = prevValueWh / unit.factor
                    var wrap = 1.0
                    while wrap <= prevInUnit { wrap *= 10 }
                    if prevInUnit >= 0.9 * wrap && value < 0.1 * wrap {
                        diff = WattHours(checked: (wrap - prevInUnit + value) * unit.factor)?.wh ?? .max
                        quality |= ReadingQuality.rollover
                        w.flagged += 1
                    } else {
                        try w.reject(line: line, column: col + 1, raw: p, reason:
                            "register reset: \(fmtNum(prevInUnit)) → \(fmtNum(value)) \(unit.rawValue) since line \(prevLine) (meter replaced or reset?); slot energy unknown, new baseline")
                        continue
                    }
                }
                wh = diff
                slotStart = stamp - slotS
            } else {
                guard value >= 0 else {
                    try w.reject(line: line, column: col + 1, raw: p, reason: "negative energy \(value) \(unit.rawValue)"); continue
                }
                let converted = unit.isPower ? value * unit.factor * Double(slotLen.seconds) / 3600 : value * unit.factor
                guard let v = WattHours(checked: converted)?.wh else {
                    try w.reject(line: line, column: col + 1, raw: p,
                                 reason: "value out of range: \(fmtNum(value)) \(unit.rawValue) is not a meter reading"); continue
                }
                wh = v
                if unit.isPower { quality |= ReadingQuality.fromPower }
                slotStart = layout.convention == .hourBeginning ? stamp : stamp - slotS
            }
            if slotStart % slotS != 0 {
                try w.reject(line: line, column: layout.timeColumn + 1, raw: p,
                             reason: "time stamp not on a \(slotLen == .hour ? "1 h" : "15 min") boundary"); continue
            }
            if let maxWh = layout.maxWhPerSlot, wh > maxWh {
                try w.reject(line: line, column: col + 1, raw: p,
                             reason: "implausible: \(wh) Wh in one slot exceeds max_kwh_per_slot \(fmtNum(Double(maxWh) / 1000)) kWh")
                continue
            }
            if let limit = assetSlotLimitWh[a], wh > limit {
                try w.reject(line: line, column: col + 1, raw: p, reason:
                    "implausible: \(fmtNum(Double(wh) / 1000)) kWh in one \(slotLen == .hour ? "1 h" : "15 min") slot; \(dir.assets[a].id) can produce or draw at most \(fmtNum(Double(limit) / 1000)) kWh (\(dir.assets[a].maxPowerBasis))")
                continue
            }
            levels.observe(asset: a, wh: wh, slotStart: slotStart, line: line)
            if quality & (ReadingQuality.unitSwitched) != 0 { w.flagged += 1 }
            try w.reading(asset: a, slotStart: slotStart, duration: slotLen.seconds, wh: wh, quality: quality,
                          line: line, raw: p, column: col + 1)
        }
    }

    /// A header repeated mid-file (two exports concatenated): re-read the units it names.
    private func repeatedHeader(_ p: UnsafeBufferPointer<UInt8>, line: Int, w: any ReadingSink) throws {
        var changes: [String] = []
        for i in layout.series.indices where mapping.unit == nil {
            let c = layout.series[i].column
            guard c < splitter.count else { continue }
            let h = splitter.string(c, in: p)
            if let u = EnergyUnit.fromHeader(h), u != layout.series[i].unit {
                changes.append("column \"\(layout.headers[c])\" \(layout.series[i].unit?.rawValue ?? "?") → \(u.rawValue)")
                layout.series[i].unit = u
            }
        }
        if !changes.isEmpty { warnings.append("unit switch at line \(line) (repeated header): \(changes.joined(separator: ", ")); later rows flagged") }
        try w.reject(line: line, column: nil, raw: p, reason: changes.isEmpty
            ? "repeated header row (not data)" : "repeated header row (not data); unit switch: \(changes.joined(separator: ", "))")
    }
}
