import Foundation
import VPPCore
import VPPStore

/// Reads battery telemetry (`vpp ingest --kind telemetry`, `POST /api/v1/telemetry`): a CSV with
/// a header and one row per battery report:
///
///     battery_id,time_kst,soc_kwh,power_kw,charged_kwh,discharged_kwh
///     ESS-1,2026-07-01 13:00:00,120.5,-50.0,,
///
/// - `battery_id`: the battery's asset id (or an alias the directory resolves).
/// - `time_kst`: the INSTANT of the report, KST wall time (an explicit `+09:00`/`Z` offset is
///   honoured); the column must say KST (`time_kst`, `timestamp_kst` or `measured_at_kst`).
/// - `soc_kwh` [kWh] or `soc_pct` [% of `capacity_kwh`]: exactly one of them.
/// - `power_kw` [kW] at the AC terminal: > 0 discharge, < 0 charge (the setpoint files' sign).
/// - `charged_kwh`, `discharged_kwh` [kWh]: optional cumulative counters (blank = not reported).
///
/// Rows are parsed here; the checks against the battery (unknown id, future time, SoC outside
/// [0, capacity], power beyond the limits, out of order) are the store's (`TelemetrySink`), so a
/// program's samples (`appendTelemetry`) are held to the same rules. A row that cannot be parsed
/// is rejected with its line, column and reason; the other rows land.
final class TelemetryCSVReader {
    struct Layout {
        var delimiter: UInt8
        var headerLine: Int
        var battery: Int
        var time: Int
        var soc: Int
        var socInPct: Bool
        var power: Int
        var charged: Int?
        var discharged: Int?
    }

    static let batteryNames = ["battery_id", "battery", "asset_id"]
    static let timeNames = ["time_kst", "timestamp_kst", "measured_at_kst"]
    static let unzonedTimeNames = ["time", "timestamp", "measured_at", "datetime"]

    let file: String
    let dir: AssetDirectory
    let layout: Layout
    private var splitter: CSVFieldSplitter
    private var sawHeader = false
    private var batteryCache: [String: String] = [:]

    init(file: String, dir: AssetDirectory, layout: Layout, quotes: Bool) {
        self.file = file; self.dir = dir; self.layout = layout
        splitter = CSVFieldSplitter(delimiter: layout.delimiter, quotes: quotes)
    }

    static func sniff(file: String, sample: [([UInt8], Int)], quotes: Bool, fixedDelimiter: UInt8?) throws -> Layout {
        guard let first = sample.first(where: { r in r.0.contains { $0 != 32 && $0 != 9 && $0 != 44 && $0 != 0x1F } }) else {
            throw IngestError(file: file, .noDataRows)
        }
        let d = fixedDelimiter ?? first.0.withUnsafeBufferPointer { detectDelimiter($0) }
        var sp = CSVFieldSplitter(delimiter: d, quotes: quotes)
        let names: [String] = first.0.withUnsafeBufferPointer { p in
            sp.split(p)
            return (0..<sp.count).map { sp.string($0, in: p).lowercased().filter { !$0.isWhitespace && $0 != "\u{FEFF}" } }
        }
        func col(_ candidates: [String]) -> Int? { candidates.lazy.compactMap { names.firstIndex(of: $0) }.first }
        let line = first.1
        let headerText = names.joined(separator: ",")
        guard let battery = col(batteryNames) else {
            throw IngestError(file: file, line: line, .layout("telemetry header has no battery_id column (header: \(headerText))"))
        }
        guard let time = col(timeNames) else {
            if col(unzonedTimeNames) != nil {
                throw IngestError(file: file, line: line, .layout(
                    "telemetry time column must say its zone: name it time_kst (KST wall time; +09:00 offsets are honoured)"))
            }
            throw IngestError(file: file, line: line, .layout("telemetry header has no time_kst column (header: \(headerText))"))
        }
        let kwh = col(["soc_kwh"]), pct = col(["soc_pct"])
        guard (kwh == nil) != (pct == nil), let soc = kwh ?? pct else {
            throw IngestError(file: file, line: line, .layout("telemetry header needs exactly one of soc_kwh and soc_pct (header: \(headerText))"))
        }
        guard let power = col(["power_kw"]) else {
            throw IngestError(file: file, line: line, .layout(
                "telemetry header has no power_kw column (kW, > 0 discharge, < 0 charge) (header: \(headerText))"))
        }
        return Layout(delimiter: d, headerLine: line, battery: battery, time: time, soc: soc, socInPct: pct != nil, power: power,
                      charged: col(["charged_kwh"]), discharged: col(["discharged_kwh"]))
    }

    /// A parsed number converted to an integer of 1/1000 of its unit (kWh → Wh, kW → W),
    /// range-checked before the conversion.
    private static func milli(_ v: Double) -> Int64? { WattHours(checked: v * 1000)?.wh }

    private enum Cell {
        case value(Double), missing, invalid(String)
    }

    private func number(_ k: Int, _ p: UnsafeBufferPointer<UInt8>) -> Cell {
        switch parseNumber(splitter.field(k, in: p)) {
        case .value(let v): return .value(v)
        case .missing: return .missing
        case .invalid: return .invalid(splitter.string(k, in: p))
        }
    }

    func process(_ record: UnsafeBufferPointer<UInt8>, line: Int, sink: any ReadingSink) throws {
        if line <= layout.headerLine { return }
        if !record.contains(where: { $0 != 32 && $0 != 9 && $0 != layout.delimiter && $0 != 13 }) { return }
        guard let t = sink as? TelemetrySink else { throw IngestError(file: file, .usage("this store takes no telemetry")) }
        try sink.countRow(line: line)
        splitter.split(record)
        let needed = [layout.battery, layout.time, layout.soc, layout.power].max() ?? 0
        guard splitter.count > needed else {
            try sink.reject(line: line, column: nil, raw: record, reason: "\(splitter.count) fields, the header has at least \(needed + 1)")
            return
        }
        let name = splitter.string(layout.battery, in: record)
        guard !name.isEmpty else { try sink.reject(line: line, column: layout.battery + 1, raw: record, reason: "battery_id is blank"); return }
        let battery = resolve(name)
        guard let at = parseStampEpoch(splitter.field(layout.time, in: record)) else {
            try sink.reject(line: line, column: layout.time + 1, raw: record,
                            reason: "time_kst \"\(splitter.string(layout.time, in: record))\" is not a time stamp")
            return
        }
        let soc: TelemetrySoC
        switch number(layout.soc, record) {
        case .value(let v):
            if layout.socInPct { soc = .pct(v) } else {
                guard let wh = Self.milli(v) else {
                    try sink.reject(line: line, column: layout.soc + 1, raw: record, reason: "soc_kwh \(v) out of range"); return
                }
                soc = .wh(wh)
            }
        case .missing:
            try sink.reject(line: line, column: layout.soc + 1, raw: record, reason: "SoC is blank"); return
        case .invalid(let s):
            try sink.reject(line: line, column: layout.soc + 1, raw: record, reason: "SoC \"\(s)\" is not a number"); return
        }
        let powerW: Int64
        switch number(layout.power, record) {
        case .value(let v):
            guard let w = Self.milli(v) else {
                try sink.reject(line: line, column: layout.power + 1, raw: record, reason: "power_kw \(v) out of range"); return
            }
            powerW = w
        case .missing:
            try sink.reject(line: line, column: layout.power + 1, raw: record, reason: "power_kw is blank"); return
        case .invalid(let s):
            try sink.reject(line: line, column: layout.power + 1, raw: record, reason: "power_kw \"\(s)\" is not a number"); return
        }
        var counters: [Int64?] = [nil, nil]
        for (i, c) in [layout.charged, layout.discharged].enumerated() {
            guard let c, c < splitter.count else { continue }
            switch number(c, record) {
            case .missing: continue
            case .invalid(let s):
                try sink.reject(line: line, column: c + 1, raw: record, reason: "counter \"\(s)\" is not a number"); return
            case .value(let v):
                guard v >= 0, let wh = Self.milli(v) else {
                    try sink.reject(line: line, column: c + 1, raw: record, reason: "counter \(v) kWh is negative or out of range"); return
                }
                counters[i] = wh
            }
        }
        let sample = TelemetrySample(batteryID: battery, measuredAt: at, soc: soc, powerW: powerW,
                                     chargedWh: counters[0], dischargedWh: counters[1])
        _ = try t.telemetry(sample, line: line, column: nil, raw: record)
    }

    /// The battery id for a name in the file (id or alias); the name as given when unknown
    /// (the store rejects it as an unknown battery).
    private func resolve(_ name: String) -> String {
        if let id = batteryCache[name] { return id }
        var id = name
        if let i = dir.lookup(name), dir.assets[i].kind == "battery" { id = dir.assets[i].id }
        batteryCache[name] = id
        return id
    }
}

extension TelemetryCSVReader: UploadReader {
    static func plan(_ upload: UploadSample) throws -> UploadPlan<Layout> {
        let layout = try sniff(file: upload.file, sample: upload.records, quotes: upload.quotes, fixedDelimiter: upload.fixedDelimiter)
        return UploadPlan(layout: layout, warnings: [], month: nil, target: nil)
    }

    convenience init(sample upload: UploadSample, plan: UploadPlan<Layout>) {
        self.init(file: upload.file, dir: upload.dir, layout: plan.layout, quotes: upload.quotes)
    }

    func finish(sink: any ReadingSink) throws -> UploadNotes { UploadNotes() }
}

/// The batteries a telemetry file names (asset ids, aliases resolved; unknown names as given),
/// read before anything is written: HTTP refuses a battery token's file that names a battery
/// outside its scope. Same header names and delimiter detection as the reader; an unreadable
/// header gives an empty set (the ingest then fails on its layout).
public enum TelemetryFileScope {
    public static func batteryIDs(in bytes: [UInt8], directory dir: AssetDirectory) -> Set<String> {
        var out = Set<String>()
        var column: Int?
        var delimiter: UInt8 = 44
        var started = false
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        for lineSlice in body.split(separator: 10, omittingEmptySubsequences: true) {
            var line = Array(lineSlice)
            if line.last == 13 { line.removeLast() }
            if !line.contains(where: { $0 != 32 && $0 != 9 && $0 != 44 }) { continue }
            line.withUnsafeBufferPointer { p in
                if !started {
                    started = true
                    delimiter = detectDelimiter(p)
                    var sp = CSVFieldSplitter(delimiter: delimiter, quotes: true)
                    sp.split(p)
                    let names = (0..<sp.count).map { sp.string($0, in: p).lowercased().filter { !$0.isWhitespace } }
                    column = TelemetryCSVReader.batteryNames.lazy.compactMap { names.firstIndex(of: $0) }.first
                    return
                }
                guard let c = column else { return }
                var sp = CSVFieldSplitter(delimiter: delimiter, quotes: true)
                sp.split(p)
                guard c < sp.count else { return }
                let name = sp.string(c, in: p)
                guard !name.isEmpty else { return }
                if let i = dir.lookup(name), dir.assets[i].kind == "battery" { out.insert(dir.assets[i].id) } else { out.insert(name) }
            }
            if started && column == nil { break }
        }
        return out
    }
}
