import Foundation
import VPPCore
import TOMLKit

/// Parses and validates a site config TOML file. Unknown keys, missing keys, wrong types,
/// negative capacities, inconsistent SoC limits and duplicate codes are errors that name the
/// key and the line.
public struct SiteConfigParser: Sendable {
    public init() {}

    public func parse(fileAt path: String) throws -> SiteConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VPPError(.noInput, "\(path): cannot read file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SiteConfigError(file: path, line: nil, key: "", reason: .syntax("file is not UTF-8"))
        }
        return try parse(text: text, file: path, mapBase: URL(fileURLWithPath: path).deletingLastPathComponent())
    }

    /// Parses config text. `mapBase` is the folder `[map] geojson` is relative to (the config
    /// file's); without it (text with no file behind it) the `[map]` keys are checked but the
    /// GeoJSON is not read, so the config has no outlines.
    public func parse(text: String, file: String = "<config>", mapBase: URL? = nil) throws -> SiteConfig {
        let root: TOMLTable
        do { root = try TOMLTable(string: text) } catch let e as TOMLParseError {
            throw SiteConfigError(file: file, line: e.source.begin.line, key: "", reason: .syntax(e.description))
        }
        let ctx = Context(file: file, locator: TOMLKeyLocator(text: text))
        let r = TableReader(table: root, path: "", ctx: ctx)
        let version = try r.int("version")
        guard SiteConfig.supportedVersions.contains(version) else {
            throw ctx.error("version", .unsupportedVersion(version))
        }
        let site = try parseSite(r.table("site"))
        var dongs: [DongConfig] = []
        var dongCodes = Set<String>(), assetIDs = Set<String>()
        for d in try r.tables("dong") {
            let dong = try parseDong(d)
            guard dongCodes.insert(dong.code).inserted else { throw ctx.error(d.path + ".code", .duplicate("dong code \(dong.code)")) }
            dongs.append(dong)
            for (i, id) in (dong.pvFleets.map(\.id) + dong.meters.map(\.id) + dong.batteries.map(\.id) + dong.shelters.map(\.id)).enumerated() {
                guard assetIDs.insert(id).inserted else {
                    throw ctx.error(d.path, .duplicate("asset id \"\(id)\" (asset \(i + 1) of dong \(dong.code))"))
                }
            }
        }
        if dongs.isEmpty { throw ctx.error("dong", .missingKey) }
        var tariffs: [TariffTable] = []
        for t in try r.tables("tariff", required: false) { tariffs.append(try parseTariff(t)) }
        var factors: [EmissionFactorEntry] = []
        for e in try r.tables("emission_factor", required: false) {
            let year = try e.optionalInt("year")
            let f = EmissionFactorEntry(year: year, label: try e.optionalString("label") ?? year.map(String.init) ?? "",
                                        tco2eqPerMWh: try e.double("tco2eq_per_mwh", min: 0),
                                        basis: try e.optionalString("basis") ?? "", source: try e.string("source"))
            try e.finish()
            factors.append(f)
        }
        let targets = try parseTargets(r.table("targets"))
        var export = ExportPrice()
        if let x = try r.optionalTable("export") {
            export = ExportPrice(flatKRWPerKWh: try x.double("flat_krw_per_kwh", min: 0), source: try x.optionalString("source") ?? "")
            try x.finish()
        }
        let openadr = try parseOpenADR(r.optionalTable("openadr"))
        var config = SiteConfig(version: version, site: site, dongs: dongs, tariffs: tariffs, emissionFactors: factors,
                                targets: targets, export: export)
        if let d = try r.optionalTable("dispatch") {
            config.dispatch = DispatchSettings(telemetryMaxAgeMin: try d.optionalDouble("telemetry_max_age_min", min: 1, max: 1440) ?? 30)
            try d.finish()
        }
        if let c = try r.optionalTable("completeness") {
            // Hours after a KST day's end after which its interval data count as late [h].
            config.completeness = CompletenessSettings(lateAfterH: try c.optionalDouble("late_after_h", min: 0, max: 24 * 366)
                                                        ?? CompletenessSettings.defaultLateAfterH)
            try c.finish()
        }
        config.standardLoadProfile = try r.optionalTable("standard_load_profile").map(parseStandardLoadProfile)
        config.map = try parseMap(r.optionalTable("map"), base: mapBase, dongs: dongs)
        try r.finish()
        config.openadr = openadr
        return config
    }

    private func parseSite(_ t: TableReader) throws -> SiteInfo {
        let tz = try t.optionalString("timezone") ?? KST.zoneIdentifier
        guard tz == KST.zoneIdentifier else { throw t.ctx.error(t.path + ".timezone", .invalidValue("only Asia/Seoul is supported")) }
        let s = SiteInfo(id: try t.string("id"), name: try t.string("name"), nameKo: try t.string("name_ko"),
                         sigunguCode: try t.optionalString("sigungu_code") ?? "", timezone: tz,
                         latitudeDeg: try t.double("latitude_deg", min: -90, max: 90),
                         longitudeDeg: try t.double("longitude_deg", min: -180, max: 180),
                         linkeTurbidityMonthly: try t.optionalDoubles("linke_turbidity_monthly"),
                         alertAreas: try t.optionalStrings("alert_areas") ?? [])
        if let l = s.linkeTurbidityMonthly, l.count != 12 || l.contains(where: { $0 < 1 || $0 > 10 }) {
            throw t.ctx.error(t.path + ".linke_turbidity_monthly", .invalidValue("needs 12 monthly values (January first) between 1 and 10"))
        }
        try t.finish()
        return s
    }

    private func parseDong(_ t: TableReader) throws -> DongConfig {
        let code = try t.string("code")
        guard code.count == 10, code.allSatisfy(\.isASCII), code.allSatisfy(\.isNumber) else {
            throw t.ctx.error(t.path + ".code", .invalidValue("dong code must be the 10-digit administrative code, got \"\(code)\""))
        }
        var d = DongConfig(code: code, nameKo: try t.string("name_ko"), name: try t.string("name"),
                           latitudeDeg: try t.double("latitude_deg", min: -90, max: 90),
                           longitudeDeg: try t.double("longitude_deg", min: -180, max: 180),
                           households: try t.int("households", min: 0),
                           population: try t.optionalInt("population", min: 0) ?? 0,
                           areaKm2: try t.optionalDouble("area_km2", min: 0) ?? 0,
                           importLimitKW: try t.double("import_limit_kw", min: 0),
                           exportLimitKW: try t.double("export_limit_kw", min: 0))
        for p in try t.tables("pv", required: false) {
            let kindText = try p.string("kind")
            guard let kind = PVFleetKind(rawValue: kindText) else {
                throw p.ctx.error(p.path + ".kind", .invalidValue("unknown PV kind \"\(kindText)\" (one of \(PVFleetKind.allCases.map(\.rawValue).joined(separator: ", ")))"))
            }
            d.pvFleets.append(PVFleetConfig(
                id: try p.string("id"), kind: kind, units: try p.int("units", min: 0), unitW: try p.double("unit_w", min: 0),
                tiltDeg: try p.double("tilt_deg", min: 0, max: 90), azimuthDeg: try p.double("azimuth_deg", min: 0, max: 360),
                dcAcRatio: try p.optionalDouble("dc_ac_ratio", min: 0.5, max: 2) ?? 1.1,
                lossesPct: try p.optionalDouble("losses_pct", min: 0, max: 100) ?? 14))
            try p.finish()
        }
        for m in try t.tables("meter", required: false) {
            let roleText = try m.optionalString("role") ?? "consumption"
            guard let role = MeterRole(rawValue: roleText) else {
                throw m.ctx.error(m.path + ".role", .invalidValue("unknown meter role \"\(roleText)\""))
            }
            d.meters.append(MeterConfig(id: try m.string("id"), complex: try m.string("complex"), role: role,
                                        households: try m.optionalInt("households", min: 0) ?? 0,
                                        aliases: try m.optionalStrings("aliases") ?? [],
                                        maxKW: try m.optionalDouble("max_kw", min: 0.001, max: 1_000_000_000),
                                        covers: try parseCovers(m), parent: try m.optionalString("parent")))
            try m.finish()
        }
        try validateMeterHierarchy(d, path: t.path, ctx: t.ctx)
        for b in try t.tables("battery", required: false) {
            let bat = BatteryConfig(
                id: try b.string("id"), capacityKWh: try b.double("capacity_kwh", min: 0),
                maxChargeKW: try b.double("max_charge_kw", min: 0), maxDischargeKW: try b.double("max_discharge_kw", min: 0),
                chargeEfficiency: try b.double("charge_efficiency", min: 0.01, max: 1),
                discharge: try b.double("discharge_efficiency", min: 0.01, max: 1),
                socMinPct: try b.double("soc_min_pct", min: 0, max: 100), socMaxPct: try b.double("soc_max_pct", min: 0, max: 100),
                reservePct: try b.optionalDouble("reserve_pct", min: 0, max: 100) ?? 0,
                initialSocPct: try b.double("initial_soc_pct", min: 0, max: 100),
                terminalSocPct: try b.optionalDouble("terminal_soc_pct", min: 0, max: 100),
                cyclingCostKRWPerKWh: try b.optionalDouble("cycling_cost_krw_per_kwh", min: 0) ?? 0)
            guard bat.socMinPct <= bat.socMaxPct else {
                throw b.ctx.error(b.path + ".soc_min_pct", .invalidValue("soc_min_pct \(bat.socMinPct) is above soc_max_pct \(bat.socMaxPct)"))
            }
            guard bat.reservePct <= bat.socMaxPct else {
                throw b.ctx.error(b.path + ".reserve_pct", .invalidValue("reserve_pct \(bat.reservePct) is above soc_max_pct \(bat.socMaxPct)"))
            }
            guard (bat.socMinPct...bat.socMaxPct).contains(bat.initialSocPct) else {
                throw b.ctx.error(b.path + ".initial_soc_pct", .invalidValue("initial_soc_pct \(bat.initialSocPct) is outside soc_min_pct..soc_max_pct"))
            }
            guard (max(bat.socMinPct, bat.reservePct)...bat.socMaxPct).contains(bat.terminalSocPct) else {
                throw b.ctx.error(b.path + ".terminal_soc_pct", .invalidValue("terminal_soc_pct \(bat.terminalSocPct) is outside max(soc_min_pct, reserve_pct)..soc_max_pct"))
            }
            d.batteries.append(bat)
            try b.finish()
        }
        for s in try t.tables("shelter", required: false) { d.shelters.append(try parseShelter(s, dong: d)) }
        try t.finish()
        return d
    }

    private func parseTariff(_ t: TableReader) throws -> TariffTable {
        let from = try t.string("effective_from")
        guard KSTDateTime.parse(from) != nil else {
            throw t.ctx.error(t.path + ".effective_from", .invalidValue("not a date (YYYY-MM-DD): \"\(from)\""))
        }
        var seasons: [TariffSeason] = []
        var monthsSeen = Set<Int>()
        for s in try t.tables("season") {
            let months = try s.ints("months")
            for m in months {
                guard (1...12).contains(m) else { throw s.ctx.error(s.path + ".months", .invalidValue("month \(m) is not 1–12")) }
                guard monthsSeen.insert(m).inserted else { throw s.ctx.error(s.path + ".months", .duplicate("month \(m) in two seasons")) }
            }
            seasons.append(TariffSeason(name: try s.string("name"), months: months))
            try s.finish()
        }
        guard monthsSeen.count == 12 else {
            throw t.ctx.error(t.path + ".season", .invalidValue("seasons must cover all 12 months, missing \((Set(1...12).subtracting(monthsSeen)).sorted())"))
        }
        var periods: [TariffPeriod] = []
        for p in try t.tables("period") {
            let season = try p.string("season")
            guard seasons.contains(where: { $0.name == season }) else {
                throw p.ctx.error(p.path + ".season", .invalidValue("no season named \"\(season)\""))
            }
            let ptext = try p.string("period")
            guard let period = LoadPeriod(rawValue: ptext) else {
                throw p.ctx.error(p.path + ".period", .invalidValue("unknown load period \"\(ptext)\" (off_peak, mid, peak)"))
            }
            let hours = try p.ints("hours_kst")
            for h in hours where !(0...23).contains(h) {
                throw p.ctx.error(p.path + ".hours_kst", .invalidValue("hour \(h) is not 0–23 (hour-beginning)"))
            }
            periods.append(TariffPeriod(season: season, period: period, hours: hours, rateKRWPerKWh: try p.double("rate_krw_per_kwh", min: 0)))
            try p.finish()
        }
        for s in seasons {
            var covered = [Int](repeating: 0, count: 24)
            for p in periods where p.season == s.name { for h in p.hours { covered[h] += 1 } }
            if let h = covered.firstIndex(where: { $0 != 1 }) {
                throw t.ctx.error(t.path + ".period", .invalidValue("season \"\(s.name)\": hour \(h) is covered by \(covered[h]) periods (each hour needs exactly one)"))
            }
        }
        let table = TariffTable(name: try t.string("name"), effectiveFrom: from, seasons: seasons, periods: periods,
                                source: try t.optionalString("source") ?? "")
        try t.finish()
        return table
    }

    private func parseTargets(_ t: TableReader) throws -> Targets {
        let targets = Targets(citySolarKWp: try t.double("city_solar_kwp", min: 0),
                              cityMiniSolarHouseholds: try t.int("city_mini_solar_households", min: 0),
                              cityTCO2PerYear: try t.double("city_tco2_per_year", min: 0),
                              districtShare: try t.double("district_share", min: 0, max: 1),
                              districtShareBasis: try t.string("district_share_basis"))
        try t.finish()
        return targets
    }
}

extension BatteryConfig {
    fileprivate init(id: String, capacityKWh: Double, maxChargeKW: Double, maxDischargeKW: Double, chargeEfficiency: Double,
                     discharge: Double, socMinPct: Double, socMaxPct: Double, reservePct: Double, initialSocPct: Double,
                     terminalSocPct: Double?, cyclingCostKRWPerKWh: Double) {
        self.init(id: id, capacityKWh: capacityKWh, maxChargeKW: maxChargeKW, maxDischargeKW: maxDischargeKW,
                  chargeEfficiency: chargeEfficiency, dischargeEfficiency: discharge, socMinPct: socMinPct,
                  socMaxPct: socMaxPct, reservePct: reservePct, initialSocPct: initialSocPct,
                  terminalSocPct: terminalSocPct ?? initialSocPct, cyclingCostKRWPerKWh: cyclingCostKRWPerKWh)
    }
}

struct Context {
    let file: String
    let locator: TOMLKeyLocator
    func error(_ key: String, _ reason: SiteConfigError.Reason) -> SiteConfigError {
        SiteConfigError(file: file, line: locator.line(of: key), key: key, reason: reason)
    }
}

/// Reads typed values from one TOML table and remembers which keys were read, so `finish()`
/// can reject the rest as unknown.
final class TableReader {
    let table: TOMLTable
    let path: String
    let ctx: Context
    private var used = Set<String>()

    init(table: TOMLTable, path: String, ctx: Context) { self.table = table; self.path = path; self.ctx = ctx }

    private func key(_ k: String) -> String { path.isEmpty ? k : "\(path).\(k)" }

    private func value(_ k: String) -> TOMLValueConvertible? { used.insert(k); return table[k] }

    func finish() throws {
        for k in table.keys.sorted() where !used.contains(k) { throw ctx.error(key(k), .unknownKey(suggestion: nil)) }
    }

    /// A required key is missing: if an unread key in the table looks like it (a typo, or the
    /// key without its unit suffix), report that key as unknown with a suggestion instead.
    private func missing(_ k: String) -> SiteConfigError {
        let candidates = table.keys.filter { !used.contains($0) }
        if let near = candidates.first(where: { k.hasPrefix($0) || $0.hasPrefix(k) || editDistance($0, k) <= 2 }) {
            return ctx.error(key(near), .unknownKey(suggestion: k))
        }
        return ctx.error(key(k), .missingKey)
    }

    func optionalString(_ k: String) throws -> String? {
        guard let v = value(k) else { return nil }
        guard let s = v.string else { throw ctx.error(key(k), .wrongType(expected: "a string")) }
        return s
    }
    func string(_ k: String) throws -> String {
        guard let s = try optionalString(k) else { throw missing(k) }
        guard !s.isEmpty else { throw ctx.error(key(k), .invalidValue("must not be empty")) }
        return s
    }
    func optionalInt(_ k: String, min: Int? = nil) throws -> Int? {
        guard let v = value(k) else { return nil }
        guard let i = v.int else { throw ctx.error(key(k), .wrongType(expected: "an integer")) }
        if let min, i < min { throw ctx.error(key(k), .invalidValue("must be ≥ \(min), got \(i)")) }
        return i
    }
    func int(_ k: String, min: Int? = nil) throws -> Int {
        guard let i = try optionalInt(k, min: min) else { throw missing(k) }
        return i
    }
    func optionalDouble(_ k: String, min: Double? = nil, max: Double? = nil) throws -> Double? {
        guard let v = value(k) else { return nil }
        guard let d = v.double ?? v.int.map(Double.init) else { throw ctx.error(key(k), .wrongType(expected: "a number")) }
        guard d.isFinite else { throw ctx.error(key(k), .invalidValue("must be finite")) }
        if let min, d < min {
            throw ctx.error(key(k), .invalidValue(min == 0 ? "must not be negative, got \(d)" : "must be ≥ \(min), got \(d)"))
        }
        if let max, d > max { throw ctx.error(key(k), .invalidValue("must be ≤ \(max), got \(d)")) }
        return d
    }
    func double(_ k: String, min: Double? = nil, max: Double? = nil) throws -> Double {
        guard let d = try optionalDouble(k, min: min, max: max) else { throw missing(k) }
        return d
    }
    func ints(_ k: String) throws -> [Int] {
        guard let v = value(k) else { throw missing(k) }
        guard let a = v.array else { throw ctx.error(key(k), .wrongType(expected: "an array of integers")) }
        return try a.map { guard let i = $0.int else { throw ctx.error(key(k), .wrongType(expected: "an array of integers")) }; return i }
    }
    func optionalDoubles(_ k: String) throws -> [Double]? {
        guard let v = value(k) else { return nil }
        let wrong = ctx.error(key(k), .wrongType(expected: "an array of numbers"))
        guard let a = v.array else { throw wrong }
        return try a.map { guard let d = $0.double ?? $0.int.map(Double.init), d.isFinite else { throw wrong }; return d }
    }
    func optionalStrings(_ k: String) throws -> [String]? {
        guard let v = value(k) else { return nil }
        guard let a = v.array else { throw ctx.error(key(k), .wrongType(expected: "an array of strings")) }
        return try a.map { guard let s = $0.string else { throw ctx.error(key(k), .wrongType(expected: "an array of strings")) }; return s }
    }
    func optionalTable(_ k: String) throws -> TableReader? {
        guard let v = value(k) else { return nil }
        guard let t = v.table else { throw ctx.error(key(k), .wrongType(expected: "a table [\(key(k))]")) }
        return TableReader(table: t, path: key(k), ctx: ctx)
    }
    func table(_ k: String) throws -> TableReader {
        guard let t = try optionalTable(k) else { throw missing(k) }
        return t
    }
    /// An array of tables (`[[k]]`).
    func tables(_ k: String, required: Bool = true) throws -> [TableReader] {
        guard let v = value(k) else {
            if required { throw missing(k) }
            return []
        }
        guard let a = v.array else { throw ctx.error(key(k), .wrongType(expected: "an array of tables [[\(key(k))]]")) }
        return try a.enumerated().map { i, e in
            guard let t = e.table else { throw ctx.error(key(k), .wrongType(expected: "an array of tables [[\(key(k))]]")) }
            return TableReader(table: t, path: "\(key(k))[\(i)]", ctx: ctx)
        }
    }
}

/// Levenshtein distance (for "did you mean" hints on short keys).
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.utf8), b = Array(b.utf8)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count), cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}
