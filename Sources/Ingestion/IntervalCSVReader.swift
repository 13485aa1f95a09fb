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

    private var splitter: CSVFieldSplitter
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
        splitter = CSVFieldSplitter(delimiter: layout.delimiter, quotes: layout.quotes)
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

    /// The header record: its index among the sample's non-blank records, line, delimiter, names
    /// and time column.
    struct Header {
        var index: Int, line: Int
        var delimiter: UInt8
        var names: [String], timeColumn: Int
    }

    /// Works out the layout from the first records (`sample`: record bytes and line numbers).
    static func sniff(file: String, kind: IngestKind, mapping: IngestMapping, dir: AssetDirectory,
                      sample: [([UInt8], Int)], quotes: Bool, fixedDelimiter: UInt8?) throws -> (Layout, [String]) {
        var warnings: [String] = []
        let nonBlank = sample.filter { r in r.0.contains { $0 != 32 && $0 != 9 && $0 != 44 && $0 != 0x1F } }
        guard !nonBlank.isEmpty else { throw IngestError(file: file, .noDataRows) }
        let header = try findHeader(nonBlank, file: file, mapping: mapping, quotes: quotes, fixedDelimiter: fixedDelimiter)
        let headers = header.names, headerLine = header.line
        var used: Set<Int> = [header.timeColumn]
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

        let unitFor: (Int) throws -> EnergyUnit? = { col in
            if let u = mapping.unit { return u }
            if let u = EnergyUnit.fromHeader(headers[col]) { return u }
            if unitCol != nil { return nil }
            throw IngestError(file: file, line: headerLine, .layout(
                "unit of column \"\(headers[col])\" unknown (header names no kWh/Wh/MWh/kW); give --unit or unit in the mapping file"))
        }
        let series: [Series]
        let hourColumns = Self.hourColumns(headers, excluding: used)
        if let hours = hourColumns {
            series = try dateByHourSeries(hours, header: header, meterColumn: meterCol, file: file, mapping: mapping, dir: dir,
                                          unitFor: unitFor)
        } else if meterCol != nil || mapping.meter != nil {
            series = try singleValueSeries(header: header, used: used, file: file, mapping: mapping, dir: dir, unitFor: unitFor)
        } else {
            series = try wideSeries(header: header, used: used, file: file, mapping: mapping, dir: dir, unitFor: unitFor,
                                    warnings: &warnings)
        }
        let maxWh = mapping.maxKWhPerSlot.flatMap { WattHours(checked: $0 * 1000)?.wh }
        if let hours = hourColumns {
            // Hours numbered 1…24 end at the stamp (24시 = 23:00–24:00); 0…23 begin at it.
            let convention = mapping.convention ?? (hours.contains { $0.hour == 24 } ? .hourEnding : .hourBeginning)
            if let s = mapping.slot, s != .hour {
                throw IngestError(file: file, line: headerLine, .layout("a date × hour table has 1 h slots; drop --slot \(s)"))
            }
            warnings.append("date × hour table: \(hours.count) hour columns read as \(convention == .hourEnding ? "hour-ending (1시 = 00:00–01:00)" : "hour-beginning (0시 = 00:00–01:00)") 1 h slots")
            return (Layout(delimiter: header.delimiter, quotes: quotes, headerLine: headerLine, headers: headers,
                           timeColumn: header.timeColumn, meterColumn: meterCol, unitColumn: unitCol, series: series,
                           convention: convention, slot: .hour, maxWhPerSlot: maxWh, dateByHour: true), warnings)
        }
        let stamps = StampSteps(nonBlank.dropFirst(header.index + 1).prefix(5000), delimiter: header.delimiter, quotes: quotes,
                                timeColumn: header.timeColumn, meterColumn: meterCol)
        let slot = try slotLength(stamps, header: header, file: file, mapping: mapping, warnings: &warnings)
        let convention = stampConvention(stamps, header: header, series: series, mapping: mapping, warnings: &warnings)
        return (Layout(delimiter: header.delimiter, quotes: quotes, headerLine: headerLine, headers: headers,
                       timeColumn: header.timeColumn, meterColumn: meterCol, unitColumn: unitCol, series: series,
                       convention: convention, slot: slot, maxWhPerSlot: maxWh), warnings)
    }

    /// The header is the first record (of the first 20) that has a time column.
    private static func findHeader(_ nonBlank: [([UInt8], Int)], file: String, mapping: IngestMapping, quotes: Bool,
                                   fixedDelimiter: UInt8?) throws -> Header {
        for (k, rec) in nonBlank.prefix(20).enumerated() {
            let d = fixedDelimiter ?? rec.0.withUnsafeBufferPointer { detectDelimiter($0) }
            var sp = CSVFieldSplitter(delimiter: d, quotes: quotes)
            let hs: [String] = rec.0.withUnsafeBufferPointer { p in sp.split(p); return (0..<sp.count).map { sp.string($0, in: p) } }
            let t: Int?
            if let spec = mapping.timeColumn { t = try? column(spec, in: hs, file: file, what: "time") } else { t = find(timeNames, in: hs) }
            if let t {
                // A header cell is text, not a time stamp.
                let isStamp = hs[t].utf8.withContiguousStorageIfAvailable { parseStampEpoch($0) } ?? nil
                if isStamp == nil { return Header(index: k, line: nonBlank[k].1, delimiter: d, names: hs, timeColumn: t) }
            }
        }
        // Show the line as people can read it: undecodable bytes and control characters as "?".
        let first = String(String(decoding: nonBlank[0].0.prefix(120), as: UTF8.self).unicodeScalars.map { u in
            u.value < 0x20 || u.value == 0xFFFD || (0x7F...0x9F).contains(u.value) ? "?" : Character(u)
        })
        throw IngestError(file: file, line: nonBlank[0].1, .layout(
            "no header with a time column (검침일시/일시/timestamp/time) in the first 20 lines; first line: \"\(first)\"; give --time-column"))
    }

    /// The asset of `--meter` (the whole file is one meter), nil when none is given.
    private static func fixedMeter(file: String, mapping: IngestMapping, dir: AssetDirectory) throws -> Int? {
        guard let m = mapping.meter else { return nil }
        guard let a = dir.lookup(m) else {
            throw IngestError(file: file, .unknownAsset("meter \"\(m)\" is not an asset of the loaded site; \(dir.hint(for: m))"))
        }
        return a
    }

    /// Date × hour table: every hour column is a reading of the row's meter.
    private static func dateByHourSeries(_ hours: [(column: Int, hour: Int)], header: Header, meterColumn: Int?, file: String,
                                         mapping: IngestMapping, dir: AssetDirectory,
                                         unitFor: (Int) throws -> EnergyUnit?) throws -> [Series] {
        let headers = header.names
        if let spec = mapping.valueColumn ?? mapping.registerColumn {
            throw IngestError(file: file, line: header.line, .layout(
                "the file is a date × hour table (\(headers[header.timeColumn]), \(headers[hours[0].column]) … \(headers[hours[hours.count - 1].column])): every hour column is read as its own slot; drop --value-column/--register-column \"\(spec)\""))
        }
        let fixed = try fixedMeter(file: file, mapping: mapping, dir: dir)
        if fixed == nil && meterColumn == nil {
            throw IngestError(file: file, line: header.line, .layout(
                "date × hour table with no meter id column: give --meter ASSET-ID for the whole file"))
        }
        return try hours.map { h in
            Series(column: h.column, asset: fixed, unit: try unitFor(h.column), register: false, stampOffsetS: Int64(h.hour) * 3600)
        }
    }

    /// Long format (a meter column), or one meter for the whole file: one value or register column.
    private static func singleValueSeries(header: Header, used: Set<Int>, file: String, mapping: IngestMapping,
                                          dir: AssetDirectory, unitFor: (Int) throws -> EnergyUnit?) throws -> [Series] {
        let headers = header.names
        let fixed = try fixedMeter(file: file, mapping: mapping, dir: dir)
        var col: Int?, reg = false
        if let spec = mapping.valueColumn { col = try column(spec, in: headers, file: file, what: "value") }
        else if let spec = mapping.registerColumn { col = try column(spec, in: headers, file: file, what: "register"); reg = true }
        else if let many = Self.valueCandidates(headers, excluding: used), many.count > 1 {
            throw IngestError(file: file, line: header.line, .layout(
                "several value columns (\(many.map { headers[$0] }.joined(separator: ", "))) and no choice made: give --value-column (or --register-column)"))
        }
        else if let v = find(valueNames, in: headers, excluding: used) { col = v }
        else if let r = find(registerNames, in: headers, excluding: used) { col = r; reg = true }
        else {
            // A header that carries a unit, e.g. "energy_kwh" or "사용량(kWh)".
            col = headers.indices.first { !used.contains($0) && EnergyUnit.fromHeader(headers[$0]) != nil }
        }
        guard let col else {
            throw IngestError(file: file, line: header.line, .layout(
                "no value column (사용량/kWh/발전량/value) or register column (지침/register) in header; give --value-column or --register-column"))
        }
        return [Series(column: col, asset: fixed, unit: try unitFor(col), register: reg)]
    }

    /// Wide format: one column per asset (mapped by `[columns]`, or headers that name assets).
    private static func wideSeries(header: Header, used: Set<Int>, file: String, mapping: IngestMapping, dir: AssetDirectory,
                                   unitFor: (Int) throws -> EnergyUnit?, warnings: inout [String]) throws -> [Series] {
        let headers = header.names
        var series: [Series] = []
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
            throw IngestError(file: file, line: header.line, .layout(
                "no meter id column (계량기번호/meter_id) and no column header names a site asset (\(headers.joined(separator: ", "))); give --meter-column, or a mapping file with [columns] header = \"asset-id\""))
        }
        let ignored = headers.indices.filter { c in !used.contains(c) && !series.contains { $0.column == c } }
        if !ignored.isEmpty { warnings.append("columns not ingested: \(ignored.map { headers[$0] }.joined(separator: ", "))") }
        series.sort { $0.column < $1.column }
        return series
    }

    /// Steps between consecutive stamps of one meter in the sample's data records.
    struct StampSteps {
        var steps: [Int64: Int] = [:]
        var saw24 = false
        var stamps = 0

        init(_ records: ArraySlice<([UInt8], Int)>, delimiter: UInt8, quotes: Bool, timeColumn timeCol: Int, meterColumn meterCol: Int?) {
            var steps: [Int64: Int] = [:], saw24 = false, stamps = 0
            var prevByMeter: [String: Int64] = [:]
            for rec in records {
                var sp = CSVFieldSplitter(delimiter: delimiter, quotes: quotes)
                rec.0.withUnsafeBufferPointer { p in
                    sp.split(p)
                    guard timeCol < sp.count else { return }
                    let f = sp.field(timeCol, in: p)
                    let e: Int64
                    if let t = KSTDateTime.parse(utf8: f) {
                        if t.hour == 24 { saw24 = true }
                        e = t.epochSeconds
                    } else if let s = parseStampEpoch(f) {
                        e = s
                    } else { return }
                    let key = meterCol.map { $0 < sp.count ? sp.string($0, in: p) : "" } ?? ""
                    if let prev = prevByMeter[key], e > prev { steps[e - prev, default: 0] += 1 }
                    prevByMeter[key] = e
                    stamps += 1
                }
            }
            self.steps = steps; self.saw24 = saw24; self.stamps = stamps
        }

        /// The most common step between consecutive stamps of one meter (gaps and odd stamps are rare); nil when none.
        var mostCommon: Int64? { steps.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key }
    }

    /// Slot length: the mapping's, else the sample's most common stamp step (15 min or 1 h).
    private static func slotLength(_ stamps: StampSteps, header: Header, file: String, mapping: IngestMapping,
                                   warnings: inout [String]) throws -> SlotLength {
        if let s = mapping.slot { return s }
        switch stamps.mostCommon {
        case 900?: return .quarterHour
        case 3600?: return .hour
        case nil:
            warnings.append("slot length not detectable from \(stamps.stamps) stamp(s); assumed 1h (give --slot)")
            return .hour
        case let step?:
            throw IngestError(file: file, line: header.line, .layout(
                "time step of \(step) s is neither 15 min nor 1 h; give --slot 15m|1h if the file has gaps"))
        }
    }

    /// Stamp convention: the mapping's, else hour-ending when a 24:00 stamp or the time header says so.
    private static func stampConvention(_ stamps: StampSteps, header: Header, series: [Series], mapping: IngestMapping,
                                        warnings: inout [String]) -> StampConvention {
        if let c = mapping.convention { return c }
        if stamps.saw24 { return .hourEnding }
        let th = header.names[header.timeColumn].lowercased()
        if th.contains("end") || th.contains("종료") { return .hourEnding }
        if !series.allSatisfy(\.register) && !(th.contains("start") || th.contains("begin") || th.contains("시작")) {
            warnings.append("stamp convention not stated and no 24:00 stamp seen; assumed hour-beginning (give --convention)")
        }
        return .hourBeginning
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
    func process(_ p: UnsafeBufferPointer<UInt8>, line: Int, sink w: any ReadingSink) throws {
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
        guard try hasHeaderColumns(sp, p, line: line, w: w),
              let rowStamp = try readStamp(sp, p, line: line, w: w),
              let fixedMeter = try readMeter(sp, p, line: line, w: w) else { return }
        var rowUnit: EnergyUnit?
        if let uc = layout.unitColumn {
            let uf = sp.field(uc, in: p)
            rowUnit = EnergyUnit(text: String(decoding: uf, as: UTF8.self))
        }
        if layout.dateByHour && (rowStamp + KST.offsetSeconds).floorMod(86_400) != 0 {
            let tf = sp.field(layout.timeColumn, in: p)
            try w.reject(line: line, column: layout.timeColumn + 1, raw: p,
                         reason: "date × hour table: \(layout.headers[layout.timeColumn]) holds a time, not a date: \"\(String(decoding: tf.prefix(40), as: UTF8.self))\"")
            return
        }
        for s in layout.series {
            try readSeries(s, sp, p, line: line, w: w, rowStamp: rowStamp, fixedMeter: fixedMeter, rowUnit: rowUnit)
        }
    }

    /// Whether the row has the header's column count (extra blank cells at the end are fine);
    /// rejects it otherwise.
    @inline(__always)
    private func hasHeaderColumns(_ sp: CSVFieldSplitter, _ p: UnsafeBufferPointer<UInt8>, line: Int, w: any ReadingSink) throws -> Bool {
        let expected = layout.headers.count
        guard sp.count != expected else { return true }
        var extraBlank = sp.count > expected
        if extraBlank { for k in expected..<sp.count where !sp.isEmpty(k) { extraBlank = false } }
        if !extraBlank {
            try w.reject(line: line, column: nil, raw: p, reason: "wrong column count: \(sp.count), header has \(expected)")
            return false
        }
        return true
    }

    /// The row's time stamp [UTC epoch s]; nil (row rejected, or a repeated header read) when it has none.
    @inline(__always)
    private func readStamp(_ sp: CSVFieldSplitter, _ p: UnsafeBufferPointer<UInt8>, line: Int, w: any ReadingSink) throws -> Int64? {
        let tf = sp.field(layout.timeColumn, in: p)
        guard let rowStamp = parseStampEpoch(tf) else {
            if sp.string(layout.timeColumn, in: p) == layout.headers[layout.timeColumn] {
                try repeatedHeader(p, line: line, w: w)
            } else {
                try w.reject(line: line, column: layout.timeColumn + 1, raw: p,
                             reason: "not a time stamp: \"\(String(decoding: tf.prefix(60), as: UTF8.self))\"")
            }
            return nil
        }
        return rowStamp
    }

    /// The asset of the row's meter column (-2 when the file has none); nil when the row is
    /// rejected or skipped (empty or unknown meter).
    @inline(__always)
    private func readMeter(_ sp: CSVFieldSplitter, _ p: UnsafeBufferPointer<UInt8>, line: Int, w: any ReadingSink) throws -> Int? {
        guard let mc = layout.meterColumn else { return -2 }
        let mf = sp.field(mc, in: p)
        if mf.isEmpty {
            try w.reject(line: line, column: mc + 1, raw: p, reason: "empty meter id"); return nil
        }
        let meter = sp.isEscaped(mc) ? sp.bytes(mc, in: p).withUnsafeBufferPointer { resolveMeter($0) } : resolveMeter(mf)
        if meter < 0 {
            if mapping.unmappedMeters == .skip { w.skipped += 1; return nil }
            let name = sp.string(mc, in: p)
            try w.reject(line: line, column: mc + 1, raw: p, reason: "unknown meter \"\(name)\": \(dir.hint(for: name))")
            return nil
        }
        return meter
    }

    /// One series (value column) of a row: checks, unit, value, slot energy, plausibility, then the reading.
    @inline(__always)
    private func readSeries(_ s: Series, _ sp: CSVFieldSplitter, _ p: UnsafeBufferPointer<UInt8>, line: Int, w: any ReadingSink,
                            rowStamp: Int64, fixedMeter: Int, rowUnit: EnergyUnit?) throws {
        let stamp = rowStamp + s.stampOffsetS
        let a = s.asset ?? fixedMeter
        let col = s.column
        if kind == .pv && assetFlow[a] != .generation {
            try w.reject(line: line, column: col + 1, raw: p, reason: "asset \(dir.assets[a].id) is not a PV/generation asset (--kind pv)")
            return
        }
        if assetIsBattery[a] {
            try w.reject(line: line, column: col + 1, raw: p, reason: "asset \(dir.assets[a].id) is a battery; battery telemetry is not a meter reading")
            return
        }
        guard let unit = s.unit ?? rowUnit else {
            let u = layout.unitColumn.map { sp.string($0, in: p) } ?? ""
            try w.reject(line: line, column: (layout.unitColumn ?? col) + 1, raw: p, reason: "unknown unit \"\(u)\" (Wh, kWh, MWh, W, kW, MW)")
            return
        }
        var quality = noteUnit(unit, asset: a, line: line)
        let value: Double
        switch parseNumber(sp.field(col, in: p)) {
        case .value(let v): value = v
        case .missing:
            try w.reject(line: line, column: col + 1, raw: p, reason: "empty value in \(layout.headers[col])"); return
        case .invalid:
            try w.reject(line: line, column: col + 1, raw: p,
                         reason: "not a number in \(layout.headers[col]): \"\(sp.string(col, in: p).prefix(40))\""); return
        }
        let energy = try s.register
            ? registerEnergy(value, unit: unit, asset: a, stamp: stamp, column: col, p, line: line, w: w, quality: &quality)
            : intervalEnergy(value, unit: unit, stamp: stamp, column: col, p, line: line, w: w, quality: &quality)
        guard let energy else { return }
        let (wh, slotStart) = energy
        guard try isPlausible(wh, slotStart: slotStart, asset: a, column: col, p, line: line, w: w) else { return }
        levels.observe(asset: a, wh: wh, slotStart: slotStart, line: line)
        if quality & (ReadingQuality.unitSwitched) != 0 { w.flagged += 1 }
        try w.reading(asset: a, slotStart: slotStart, duration: layout.slot.seconds, wh: wh, quality: quality,
                      line: line, raw: p, column: col + 1)
    }

    /// Tracks the unit of asset `a` (a switch flags this and later readings); the quality bits so far.
    @inline(__always)
    private func noteUnit(_ unit: EnergyUnit, asset a: Int, line: Int) -> Int {
        if let prev = lastUnit[a], prev != unit {
            unitSwitched[a] = true
            if unitWarnings < 10 {
                warnings.append("unit switch for \(dir.assets[a].id) at line \(line): \(prev.rawValue) → \(unit.rawValue) (values converted by their own unit and flagged)")
            }
            unitWarnings += 1
        }
        lastUnit[a] = unit
        return unitSwitched[a] ? ReadingQuality.unitSwitched : 0
    }

    /// A cumulative register read: the energy since the previous read of the asset (rollover
    /// detected) and its slot; nil when it is a baseline or rejected (gap, reset, bad stamp).
    @inline(__always)
    private func registerEnergy(_ value: Double, unit: EnergyUnit, asset a: Int, stamp: Int64, column col: Int,
                                _ p: UnsafeBufferPointer<UInt8>, line: Int, w: any ReadingSink,
                                quality: inout Int) throws -> (wh: Int64, slotStart: Int64)? {
        let slotS = Int64(layout.slot.seconds)
        guard value >= 0 else {
            try w.reject(line: line, column: col + 1, raw: p, reason: "negative register \(value)"); return nil
        }
        guard let regWh = WattHours(checked: value * unit.factor)?.wh else {
            try w.reject(line: line, column: col + 1, raw: p, reason: "register out of range: \(fmtNum(value)) \(unit.rawValue)"); return nil
        }
        quality |= ReadingQuality.fromRegister
        guard let prevWh = regLast[a] else {
            regLast[a] = regWh; regLastValue[a] = value * unit.factor; regLastStamp[a] = stamp; regLastLine[a] = line
            w.baselines += 1
            return nil
        }
        let prevStamp = regLastStamp[a], prevLine = regLastLine[a], prevValueWh = regLastValue[a]
        if stamp <= prevStamp {
            try w.reject(line: line, column: layout.timeColumn + 1, raw: p,
                         reason: "register stamp not after the previous read of \(dir.assets[a].id) (line \(prevLine))")
            return nil
        }
        regLast[a] = regWh; regLastValue[a] = value * unit.factor; regLastStamp[a] = stamp; regLastLine[a] = line
        if stamp - prevStamp != slotS {
            try w.reject(line: line, column: layout.timeColumn + 1, raw: p,
                         reason: "register gap: \(stamp - prevStamp) s since line \(prevLine); energy over several slots is not split (new baseline)")
            return nil
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
                return nil
            }
        }
        return (diff, stamp - slotS)
    }

    /// An interval energy (or average power) value: its energy [Wh] and slot; nil when rejected.
    @inline(__always)
    private func intervalEnergy(_ value: Double, unit: EnergyUnit, stamp: Int64, column col: Int,
                                _ p: UnsafeBufferPointer<UInt8>, line: Int, w: any ReadingSink,
                                quality: inout Int) throws -> (wh: Int64, slotStart: Int64)? {
        let slotLen = layout.slot
        guard value >= 0 else {
            try w.reject(line: line, column: col + 1, raw: p, reason: "negative energy \(value) \(unit.rawValue)"); return nil
        }
        let converted = unit.isPower ? value * unit.factor * Double(slotLen.seconds) / 3600 : value * unit.factor
        guard let v = WattHours(checked: converted)?.wh else {
            try w.reject(line: line, column: col + 1, raw: p,
                         reason: "value out of range: \(fmtNum(value)) \(unit.rawValue) is not a meter reading"); return nil
        }
        if unit.isPower { quality |= ReadingQuality.fromPower }
        return (v, layout.convention == .hourBeginning ? stamp : stamp - Int64(slotLen.seconds))
    }

    /// The slot is on the file's slot grid and the energy within the file's and the asset's bounds; rejects it otherwise.
    @inline(__always)
    private func isPlausible(_ wh: Int64, slotStart: Int64, asset a: Int, column col: Int, _ p: UnsafeBufferPointer<UInt8>,
                             line: Int, w: any ReadingSink) throws -> Bool {
        let slotLen = layout.slot
        if slotStart % Int64(slotLen.seconds) != 0 {
            try w.reject(line: line, column: layout.timeColumn + 1, raw: p,
                         reason: "time stamp not on a \(slotLen == .hour ? "1 h" : "15 min") boundary"); return false
        }
        if let maxWh = layout.maxWhPerSlot, wh > maxWh {
            try w.reject(line: line, column: col + 1, raw: p,
                         reason: "implausible: \(wh) Wh in one slot exceeds max_kwh_per_slot \(fmtNum(Double(maxWh) / 1000)) kWh")
            return false
        }
        if let limit = assetSlotLimitWh[a], wh > limit {
            try w.reject(line: line, column: col + 1, raw: p, reason:
                "implausible: \(fmtNum(Double(wh) / 1000)) kWh in one \(slotLen == .hour ? "1 h" : "15 min") slot; \(dir.assets[a].id) can produce or draw at most \(fmtNum(Double(limit) / 1000)) kWh (\(dir.assets[a].maxPowerBasis))")
            return false
        }
        return true
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

extension IntervalCSVReader: UploadReader {
    static func plan(_ upload: UploadSample) throws -> UploadPlan<Layout> {
        let (layout, warnings) = try sniff(file: upload.file, kind: upload.kind, mapping: upload.mapping, dir: upload.dir,
                                           sample: upload.records, quotes: upload.quotes, fixedDelimiter: upload.fixedDelimiter)
        let target = upload.mapping.meter.map { m in upload.dir.lookup(m).map { upload.dir.assets[$0].id } ?? m }
        return UploadPlan(layout: layout, warnings: warnings, month: nil, target: target)
    }

    convenience init(sample upload: UploadSample, plan: UploadPlan<Layout>) {
        self.init(file: upload.file, kind: upload.kind, mapping: upload.mapping, dir: upload.dir, layout: plan.layout)
    }

    func finish(sink: any ReadingSink) throws -> UploadNotes {
        let review = try finishReview(sink)
        return UploadNotes(warnings: warnings, review: review)
    }
}
