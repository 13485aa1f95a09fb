import VPPAuth
import Foundation
import VPPCore
import VPPStore
import TOMLKit

/// Units an energy or power column can carry. Energy is converted to integer Wh; power
/// (kW, W, MW) is read as the average over the slot and converted to Wh for the slot length.
public enum EnergyUnit: String, Sendable, CaseIterable, Codable {
    case wh = "Wh", kwh = "kWh", mwh = "MWh", w = "W", kw = "kW", mw = "MW"

    /// Parses `Wh`, `kWh`, `MWh`, `W`, `kW`, `MW` in any letter case (also `KWH`, `MWH`).
    public init?(text: String) {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "wh": self = .wh
        case "kwh": self = .kwh
        case "mwh": self = .mwh
        case "w": self = .w
        case "kw": self = .kw
        case "mw": self = .mw
        default: return nil
        }
    }

    /// Wh per unit of energy, or W per unit of power.
    public var factor: Double {
        switch self {
        case .wh, .w: return 1
        case .kwh, .kw: return 1000
        case .mwh, .mw: return 1_000_000
        }
    }
    public var isPower: Bool { self == .w || self == .kw || self == .mw }

    /// The unit a column header names, e.g. `사용량(kWh)`, `cum_diff_kwh`, `active_power_kw`, `MWh`.
    static func fromHeader(_ header: String) -> EnergyUnit? {
        var tokens: [String] = []
        var cur = ""
        for u in header.lowercased().unicodeScalars {
            if u.isASCII && (CharacterSet.alphanumerics.contains(u)) { cur.unicodeScalars.append(u) } else {
                if !cur.isEmpty { tokens.append(cur) }; cur = ""
            }
        }
        if !cur.isEmpty { tokens.append(cur) }
        for t in tokens.reversed() {
            if let u = EnergyUnit(text: t) { return u }
        }
        return nil
    }
}

/// What to do with rows whose meter id maps to no asset.
public enum UnmappedPolicy: String, Sendable, Codable {
    /// Reject each row with a hint (default).
    case reject
    /// Count the rows as skipped (reported in the upload message), for files that carry meters
    /// the site does not manage (e.g. a campus export with 56 feeders of which 4 matter).
    case skip
}

/// How to read one upload when auto-detection cannot tell: a TOML mapping file
/// (`--map mapping.toml`) and/or command-line flags (flags win). Every key is optional.
///
/// ```toml
/// encoding = "cp949"              # utf-8 | cp949 (auto-detected if absent)
/// time_column = "time"            # header text or 1-based column number
/// convention = "hour-ending"      # hour-beginning | hour-ending
/// slot = "1h"                     # 15m | 1h
/// unit = "kWh"                    # Wh | kWh | MWh | W | kW | MW (applies to value columns)
/// meter_column = "building_en"    # long format: which column holds the meter id
/// value_column = "cum_diff_kwh"   # long format: energy/power per slot
/// register_column = "cumulative"  # long format: cumulative register instead of a value column
/// unit_column = "energy_register_unit"  # per-row unit
/// meter = "yeonhui-apt"           # one asset for the whole file (monthly uploads, single-meter files)
/// sheet = "2024년 5월"            # .xlsx sheet name or 1-based index
/// month = "2025-08"               # billing month of a monthly upload
/// max_kwh_per_slot = 300.0        # plausibility limit per reading [kWh]
/// unmapped_meters = "skip"        # reject | skip
/// [meters]                        # file meter id → asset id
/// "LG library" = "yeonhui-rooftop"
/// [columns]                       # wide files: column header → asset id
/// dangjin_floating = "yeonhui-rooftop"
/// ```
public struct IngestMapping: Sendable, Equatable {
    public var encoding: TextEncoding?
    public var timeColumn: String?
    public var convention: StampConvention?
    public var slot: SlotLength?
    public var unit: EnergyUnit?
    public var meterColumn: String?
    public var valueColumn: String?
    public var registerColumn: String?
    public var unitColumn: String?
    public var meter: String?
    public var sheet: String?
    public var month: YearMonth?
    public var maxKWhPerSlot: Double?
    public var unmappedMeters: UnmappedPolicy = .reject
    public var meters: [String: String] = [:]
    public var columns: [String: String] = [:]

    public init() {}

    /// Values set in `other` replace ours (flags over a mapping file).
    public func overridden(by other: IngestMapping) -> IngestMapping {
        var m = self
        if let v = other.encoding { m.encoding = v }
        if let v = other.timeColumn { m.timeColumn = v }
        if let v = other.convention { m.convention = v }
        if let v = other.slot { m.slot = v }
        if let v = other.unit { m.unit = v }
        if let v = other.meterColumn { m.meterColumn = v }
        if let v = other.valueColumn { m.valueColumn = v }
        if let v = other.registerColumn { m.registerColumn = v }
        if let v = other.unitColumn { m.unitColumn = v }
        if let v = other.meter { m.meter = v }
        if let v = other.sheet { m.sheet = v }
        if let v = other.month { m.month = v }
        if let v = other.maxKWhPerSlot { m.maxKWhPerSlot = v }
        if other.unmappedMeters != .reject { m.unmappedMeters = other.unmappedMeters }
        m.meters.merge(other.meters) { $1 }
        m.columns.merge(other.columns) { $1 }
        return m
    }

    /// Every asset the mapping names must exist in the loaded site: a typo fails the whole file
    /// before anything is read, naming the key, not as one reject per row.
    public func checkTargets(in dir: AssetDirectory, file: String) throws {
        var named: [(key: String, target: String)] = []
        if let m = meter { named.append(("meter", m)) }
        named += meters.sorted { $0.key < $1.key }.map { ("[meters] \"\($0.key)\"", $0.value) }
        named += columns.sorted { $0.key < $1.key }.map { ("[columns] \"\($0.key)\"", $0.value) }
        for (key, target) in named where dir.lookup(target) == nil {
            if key == "meter", dir.lookupComplex(target) != nil { continue }
            throw IngestError(file: file, .mapping("\(key) = \"\(target)\": not an asset of the loaded site; \(dir.hint(for: target))"))
        }
    }

    public static func load(path: String) throws -> IngestMapping {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IngestError(file: path, .cannotOpen("mapping file not found"))
        }
        return try parse(text: String(decoding: data, as: UTF8.self), file: path)
    }

    public static func parse(text: String, file: String = "<mapping>") throws -> IngestMapping {
        let t: TOMLTable
        do { t = try TOMLTable(string: text) } catch let e as TOMLParseError {
            throw IngestError(file: file, line: e.source.begin.line, .mapping(e.description))
        } catch { throw IngestError(file: file, .mapping("\(error)")) }
        var m = IngestMapping()
        func str(_ k: String) throws -> String? {
            guard let v = t[k] else { return nil }
            if let s = v.string { return s }
            if let i = v.int { return String(i) }
            throw IngestError(file: file, .mapping("\(k) must be a string"))
        }
        let known: Set<String> = ["encoding", "time_column", "convention", "slot", "unit", "meter_column", "value_column",
                                  "register_column", "unit_column", "meter", "sheet", "month", "max_kwh_per_slot",
                                  "unmapped_meters", "meters", "columns"]
        for k in t.keys where !known.contains(k) {
            throw IngestError(file: file, .mapping("unknown key \"\(k)\" (known: \(known.sorted().joined(separator: ", ")))"))
        }
        if let s = try str("encoding") {
            guard let e = TextEncoding(name: s) else { throw IngestError(file: file, .mapping("encoding \"\(s)\": use utf-8 or cp949")) }
            m.encoding = e
        }
        m.timeColumn = try str("time_column")
        if let s = try str("convention") {
            guard let c = StampConvention(rawValue: s) else {
                throw IngestError(file: file, .mapping("convention \"\(s)\": use hour-beginning or hour-ending"))
            }
            m.convention = c
        }
        if let s = try str("slot") {
            guard let l = SlotLength(text: s) else { throw IngestError(file: file, .mapping("slot \"\(s)\": use 15m or 1h")) }
            m.slot = l
        }
        if let s = try str("unit") {
            guard let u = EnergyUnit(text: s) else { throw IngestError(file: file, .mapping("unit \"\(s)\": use Wh, kWh, MWh, W, kW or MW")) }
            m.unit = u
        }
        m.meterColumn = try str("meter_column")
        m.valueColumn = try str("value_column")
        m.registerColumn = try str("register_column")
        m.unitColumn = try str("unit_column")
        m.meter = try str("meter")
        m.sheet = try str("sheet")
        if let s = try str("month") {
            guard let ym = YearMonth(s) else { throw IngestError(file: file, .mapping("month \"\(s)\": use YYYY-MM")) }
            m.month = ym
        }
        if let v = t["max_kwh_per_slot"] {
            guard let d = v.double ?? v.int.map(Double.init), d > 0, d <= 1e9 else {
                throw IngestError(file: file, .mapping("max_kwh_per_slot must be a positive number of kWh up to 1e9"))
            }
            m.maxKWhPerSlot = d
        }
        if let s = try str("unmapped_meters") {
            guard let p = UnmappedPolicy(rawValue: s) else { throw IngestError(file: file, .mapping("unmapped_meters: use reject or skip")) }
            m.unmappedMeters = p
        }
        for (key, target) in [("meters", \IngestMapping.meters), ("columns", \IngestMapping.columns)] {
            guard let v = t[key] else { continue }
            guard let tab = v.table else { throw IngestError(file: file, .mapping("[\(key)] must be a table")) }
            var dict: [String: String] = [:]
            for k in tab.keys {
                guard let s = tab[k]?.string else { throw IngestError(file: file, .mapping("\(key).\(k) must be an asset id string")) }
                dict[k] = s
            }
            m[keyPath: target] = dict
        }
        return m
    }
}
