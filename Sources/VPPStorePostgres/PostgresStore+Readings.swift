import Foundation
import PostgresNIO
import VPPCore
import VPPStore

/// Readings and their hourly rollups (`ReadingStore`, `GenerationHistory`): the same reads as the
/// SQLite driver. Sums are cast to BIGINT (PostgreSQL sums BIGINT as NUMERIC).
extension PostgresStore: ReadingStore {
    public func rollupTotals(dong: String, from: Int64, to: Int64) async throws -> RollupTotals {
        let r = try await rows("""
            SELECT COUNT(*) AS n, COALESCE(SUM(generation_wh), 0)::BIGINT AS g, COALESCE(SUM(consumption_wh), 0)::BIGINT AS c,
                   COALESCE(SUM(generation_covered_s), 0)::BIGINT AS gs, COALESCE(SUM(consumption_covered_s), 0)::BIGINT AS cs
            FROM rollup_hourly WHERE dong_code = \(dong) AND hour_start >= \(from) AND hour_start < \(to)
            """)[0]
        return RollupTotals(dongCode: dong, hours: Int(try r.v("n", Int64.self)), generationWh: try r.v("g"), consumptionWh: try r.v("c"),
                            generationCoveredS: try r.v("gs"), consumptionCoveredS: try r.v("cs"))
    }

    public func rollupSeries(dong: String, quantity: RollupQuantity, from: Int64, to: Int64) async throws
        -> (hourStart: [Int64], wh: [Int64])
    {
        var t: [Int64] = [], v: [Int64] = []
        // The column comes from a closed set (`RollupQuantity.column`), never from input.
        for r in try await rows("""
            SELECT hour_start, \(unescaped: quantity.column) AS wh FROM rollup_hourly
            WHERE dong_code = \(dong) AND hour_start >= \(from) AND hour_start < \(to) ORDER BY hour_start
            """) { t.append(try r.v("hour_start")); v.append(try r.v("wh")) }
        return (t, v)
    }

    public func dongPeriodTotals(from: Int64, to: Int64) async throws -> [DongPeriodTotals] {
        try await rows("""
            SELECT d.code AS code, COUNT(r.hour_start) AS n,
                   COALESCE(SUM(r.generation_wh), 0)::BIGINT AS g, COALESCE(SUM(r.consumption_wh), 0)::BIGINT AS c,
                   COALESCE(SUM(r.charge_wh), 0)::BIGINT AS ch, COALESCE(SUM(r.discharge_wh), 0)::BIGINT AS dis,
                   COALESCE(SUM(r.import_wh), 0)::BIGINT AS im, COALESCE(SUM(r.export_wh), 0)::BIGINT AS ex
            FROM dong d LEFT JOIN rollup_hourly r ON r.dong_code = d.code AND r.hour_start >= \(from) AND r.hour_start < \(to)
            WHERE d.active GROUP BY d.code ORDER BY d.code
            """).map {
            DongPeriodTotals(dongCode: try $0.v("code"), hours: Int(try $0.v("n", Int64.self)), generationWh: try $0.v("g"),
                             consumptionWh: try $0.v("c"), chargeWh: try $0.v("ch"), dischargeWh: try $0.v("dis"),
                             importWh: try $0.v("im"), exportWh: try $0.v("ex"))
        }
    }

    public func districtDaily(from: Int64, to: Int64) async throws -> [(dayStart: Int64, generationWh: Int64, consumptionWh: Int64)] {
        // KST days: floor((t + 9 h) / 1 d) (SQLite's integer division, hour_start ≥ 0 in practice).
        try await rows("""
            SELECT ((hour_start + 32400) / 86400) * 86400 - 32400 AS day,
                   SUM(generation_wh)::BIGINT AS g, SUM(consumption_wh)::BIGINT AS c
            FROM rollup_hourly WHERE hour_start >= \(from) AND hour_start < \(to) GROUP BY day ORDER BY day
            """).map { (dayStart: try $0.v("day"), generationWh: try $0.v("g"), consumptionWh: try $0.v("c")) }
    }

    public func rollupSpan() async throws -> (first: Int64, last: Int64)? {
        let r = try await rows("SELECT MIN(hour_start) AS a, MAX(hour_start) AS b FROM rollup_hourly")[0]
        guard let a = try r.v("a", Int64?.self), let b = try r.v("b", Int64?.self) else { return nil }
        return (a, b)
    }

    public func hourlyRollups(dongCodes: [String], from: Int64, to: Int64) async throws -> [String: [HourlyRollup]] {
        var out: [String: [HourlyRollup]] = [:]
        for code in dongCodes { out[code] = [] }
        guard !dongCodes.isEmpty else { return out }
        for r in try await rows("""
            SELECT dong_code, hour_start, generation_wh, consumption_wh, charge_wh, discharge_wh, import_wh, export_wh,
                   generation_covered_s, consumption_covered_s
            FROM rollup_hourly WHERE dong_code = ANY(\(dongCodes)) AND hour_start >= \(from) AND hour_start < \(to)
            ORDER BY dong_code, hour_start
            """) {
            out[try r.v("dong_code", String.self), default: []].append(HourlyRollup(
                hourStart: try r.v("hour_start"), generationWh: try r.v("generation_wh"), consumptionWh: try r.v("consumption_wh"),
                chargeWh: try r.v("charge_wh"), dischargeWh: try r.v("discharge_wh"), importWh: try r.v("import_wh"),
                exportWh: try r.v("export_wh"), generationCoveredS: try r.v("generation_covered_s"),
                consumptionCoveredS: try r.v("consumption_covered_s")))
        }
        return out
    }

    public func replaceRollups(_ rows: [(dongCode: String, rollup: HourlyRollup)]) async throws {
        guard !rows.isEmpty else { return }
        let codes = rows.map(\.dongCode), r = rows.map(\.rollup)
        try await transaction("rollup write failed") { conn in
            try await exec(conn, """
                INSERT INTO rollup_hourly (dong_code, hour_start, generation_wh, consumption_wh, charge_wh, discharge_wh,
                    import_wh, export_wh, generation_covered_s, consumption_covered_s)
                SELECT * FROM unnest(\(codes)::TEXT[], \(r.map(\.hourStart))::BIGINT[], \(r.map(\.generationWh))::BIGINT[],
                    \(r.map(\.consumptionWh))::BIGINT[], \(r.map(\.chargeWh))::BIGINT[], \(r.map(\.dischargeWh))::BIGINT[],
                    \(r.map(\.importWh))::BIGINT[], \(r.map(\.exportWh))::BIGINT[], \(r.map(\.generationCoveredS))::BIGINT[],
                    \(r.map(\.consumptionCoveredS))::BIGINT[])
                ON CONFLICT (dong_code, hour_start) DO UPDATE SET generation_wh = excluded.generation_wh,
                    consumption_wh = excluded.consumption_wh, charge_wh = excluded.charge_wh,
                    discharge_wh = excluded.discharge_wh, import_wh = excluded.import_wh, export_wh = excluded.export_wh,
                    generation_covered_s = excluded.generation_covered_s, consumption_covered_s = excluded.consumption_covered_s
                """)
        }
    }

    public func meterTotals(assetIDs: [String], from: Int64, to: Int64) async throws -> [String: (energyWh: Int64, coveredS: Int64)] {
        guard !assetIDs.isEmpty else { return [:] }
        var out: [String: (energyWh: Int64, coveredS: Int64)] = [:]
        for r in try await rows("""
            SELECT a.id AS id, SUM(r.energy_wh)::BIGINT AS e, SUM(LEAST(r.duration_s, \(to) - r.slot_start))::BIGINT AS s
            FROM reading r JOIN asset a ON a.key = r.asset_key
            WHERE a.id = ANY(\(assetIDs)) AND r.slot_start >= \(from) AND r.slot_start < \(to)
            GROUP BY a.id
            """) {
            out[try r.v("id")] = (energyWh: try r.v("e"), coveredS: try r.v("s"))
        }
        return out
    }

    public func assetHourly(assetIDs: [String], from: Int64, to: Int64) async throws -> [String: [Int64: AssetHour]] {
        guard !assetIDs.isEmpty, from < to else { return [:] }
        var out: [String: [Int64: AssetHour]] = [:]
        for r in try await rows("""
            SELECT a.id AS id, r.slot_start - (((r.slot_start % 3600) + 3600) % 3600) AS hour,
                   SUM(r.energy_wh)::BIGINT AS e, SUM(r.duration_s)::BIGINT AS s
            FROM reading r JOIN asset a ON a.key = r.asset_key
            WHERE a.id = ANY(\(assetIDs)) AND r.slot_start >= \(from) AND r.slot_start < \(to)
            GROUP BY a.id, hour
            """) {
            out[try r.v("id", String.self), default: [:]][try r.v("hour", Int64.self)] =
                AssetHour(wh: try r.v("e"), coveredS: min(3600, try r.v("s", Int64.self)))
        }
        return out
    }

    public func registerMonthly(assetIDs: [String], from: Int64, to: Int64) async throws -> [RegisterMonth] {
        guard !assetIDs.isEmpty, from < to else { return [] }
        let f = KSTDateTime(epochSeconds: from), l = KSTDateTime(epochSeconds: to - 1)
        let first = YearMonth(year: f.year, month: f.month).description, last = YearMonth(year: l.year, month: l.month).description
        return try await rows("""
            SELECT asset_id, period, SUM(usage_wh)::BIGINT AS u, COUNT(*) AS n FROM register_reading
            WHERE asset_id = ANY(\(assetIDs)) AND period >= \(first) AND period <= \(last)
            GROUP BY asset_id, period ORDER BY asset_id, period
            """).compactMap { r in
            guard let p = YearMonth(try r.v("period", String.self)) else { return nil }
            return RegisterMonth(assetID: try r.v("asset_id"), period: p, usageWh: try r.v("u"), units: Int(try r.v("n", Int64.self)))
        }
    }

    public func hourlyConsumption(dong: String, from: Int64, to: Int64) async throws -> [(hourStart: Int64, wh: Int64)] {
        try await rows("""
            SELECT hour_start, consumption_wh FROM rollup_hourly
            WHERE dong_code = \(dong) AND hour_start >= \(from) AND hour_start < \(to) AND consumption_covered_s > 0
            ORDER BY hour_start
            """).map { (hourStart: try $0.v("hour_start"), wh: try $0.v("consumption_wh")) }
    }

    public func hourlyGeneration(dong: String, from: Int64, to: Int64) async throws -> [(hourStart: Int64, wh: Int64)] {
        try await rows("""
            SELECT hour_start, generation_wh FROM rollup_hourly
            WHERE dong_code = \(dong) AND hour_start >= \(from) AND hour_start < \(to) AND generation_covered_s > 0
            ORDER BY hour_start
            """).map { (hourStart: try $0.v("hour_start"), wh: try $0.v("generation_wh")) }
    }

    public func dataStamp() async throws -> String {
        let r = try await rows("""
            SELECT (SELECT MAX(id) FROM upload) AS a, (SELECT MAX(id) FROM forecast_run) AS b, (SELECT MAX(id) FROM dispatch_run) AS c,
                   (SELECT MAX(loaded_at) FROM site) AS d, (SELECT MAX(id) FROM config_change) AS e,
                   (SELECT COUNT(*) FROM upload WHERE status = 'ingesting') AS f, (SELECT COUNT(*) FROM upload) AS g,
                   (SELECT SUM(value)::BIGINT FROM sync_watermark) AS h
            """)[0]
        // h: watermarks only grow, so their sum moves with every batch a `vpp sync` commits into a city store.
        return try ["a", "b", "c", "d", "e", "f", "g", "h"].map { try r.v($0, Int64?.self).map(String.init) ?? "-" }.joined(separator: ":")
    }
}

extension RollupQuantity {
    /// The `rollup_hourly` column of this quantity.
    fileprivate var column: String {
        switch self {
        case .generation: return "generation_wh"
        case .consumption: return "consumption_wh"
        case .charge: return "charge_wh"
        case .discharge: return "discharge_wh"
        case .import: return "import_wh"
        case .export: return "export_wh"
        }
    }
}
