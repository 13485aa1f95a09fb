import Foundation
import GRDB

/// Quantities of `rollup_hourly` the read API serves.
public enum RollupQuantity: String, Sendable, CaseIterable, Codable {
    case generation, consumption, charge, discharge, `import`, export

    var column: String {
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

/// One forecast value as served (hour-beginning slot start, UTC epoch s).
public struct ForecastPoint: Sendable, Equatable, Codable {
    public var runID: Int64
    public var dongCode: String
    public var quantity: String
    public var slotStart: Int64
    public var durationS: Int
    public var valueWh: Int64
}

public struct ForecastRunInfo: Sendable, Equatable, Codable {
    public var id: Int64
    public var issuedAt: Int64
    public var kind: String
    public var horizonS: Int64
    public var stepS: Int64
    public var model: String
}

public struct DispatchRunInfo: Sendable, Equatable, Codable {
    public var id: Int64
    public var startedAt: Int64
    public var finishedAt: Int64?
    public var status: String
    public var objective: String
    public var objectiveValue: Double?
    public var horizonS: Int64
    public var stepS: Int64
    public var solveMs: Double?
    public var message: String?
}

/// One battery slot of a schedule (powers W, planned SoC Wh, hour-beginning slot start).
public struct ScheduleSlot: Sendable, Equatable, Codable {
    public var batteryID: String
    public var dongCode: String?
    public var slotStart: Int64
    public var durationS: Int
    public var chargeW: Double
    public var dischargeW: Double
    public var socWh: Int64
}

/// Per-dong totals of the hourly rollups over a period [Wh].
public struct DongPeriodTotals: Sendable, Equatable, Codable {
    public var dongCode: String
    public var hours: Int
    public var generationWh: Int64
    public var consumptionWh: Int64
    public var chargeWh: Int64
    public var dischargeWh: Int64
    public var importWh: Int64
    public var exportWh: Int64
    public init(dongCode: String, hours: Int, generationWh: Int64, consumptionWh: Int64, chargeWh: Int64, dischargeWh: Int64,
                importWh: Int64, exportWh: Int64) {
        self.dongCode = dongCode; self.hours = hours; self.generationWh = generationWh; self.consumptionWh = consumptionWh
        self.chargeWh = chargeWh; self.dischargeWh = dischargeWh; self.importWh = importWh; self.exportWh = exportWh
    }
}

/// Read queries for the HTTP API and dashboard (issue 7). All read-only, on pool readers.
extension VPPStore {
    /// Hourly values of one quantity for a dong over [from, to) (UTC epoch s, hour-beginning
    /// stamps), as parallel arrays.
    public func rollupSeries(dong: String, quantity: RollupQuantity, from: Int64, to: Int64) throws
        -> (hourStart: [Int64], wh: [Int64])
    {
        let sql = "SELECT hour_start, \(quantity.column) FROM rollup_hourly WHERE dong_code = ? AND hour_start >= ? AND hour_start < ? ORDER BY hour_start"
        return try read { db in
            var t: [Int64] = [], v: [Int64] = []
            let cursor = try Row.fetchCursor(db, sql: sql, arguments: [dong, from, to])
            while let r = try cursor.next() { t.append(r[0]); v.append(r[1]) }
            return (t, v)
        }
    }

    /// Whether a dong code exists.
    public func dongExists(_ code: String) throws -> Bool {
        try read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM dong WHERE code = ?)", arguments: [code]) ?? false }
    }

    /// Rollup totals per dong over [from, to).
    public func dongPeriodTotals(from: Int64, to: Int64) throws -> [DongPeriodTotals] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.code AS code, COUNT(r.hour_start) AS n,
                       COALESCE(SUM(r.generation_wh), 0) AS g, COALESCE(SUM(r.consumption_wh), 0) AS c,
                       COALESCE(SUM(r.charge_wh), 0) AS ch, COALESCE(SUM(r.discharge_wh), 0) AS dis,
                       COALESCE(SUM(r.import_wh), 0) AS im, COALESCE(SUM(r.export_wh), 0) AS ex
                FROM dong d LEFT JOIN rollup_hourly r ON r.dong_code = d.code AND r.hour_start >= ? AND r.hour_start < ?
                WHERE d.active = 1 GROUP BY d.code ORDER BY d.code
                """, arguments: [from, to]).map {
                DongPeriodTotals(dongCode: $0["code"], hours: $0["n"], generationWh: $0["g"], consumptionWh: $0["c"],
                                 chargeWh: $0["ch"], dischargeWh: $0["dis"], importWh: $0["im"], exportWh: $0["ex"])
            }
        }
    }

    /// District-wide daily totals of generation and consumption over [from, to), bucketed by KST day
    /// (day start as UTC epoch s).
    public func districtDaily(from: Int64, to: Int64) throws -> [(dayStart: Int64, generationWh: Int64, consumptionWh: Int64)] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT ((hour_start + 32400) / 86400) * 86400 - 32400 AS day,
                       SUM(generation_wh) AS g, SUM(consumption_wh) AS c
                FROM rollup_hourly WHERE hour_start >= ? AND hour_start < ? GROUP BY day ORDER BY day
                """, arguments: [from, to]).map { (dayStart: $0["day"], generationWh: $0["g"], consumptionWh: $0["c"]) }
        }
    }

    /// The span of stored rollups (first and last hour start), if any.
    public func rollupSpan() throws -> (first: Int64, last: Int64)? {
        try read { db in
            guard let r = try Row.fetchOne(db, sql: "SELECT MIN(hour_start) AS a, MAX(hour_start) AS b FROM rollup_hourly"),
                  let a: Int64 = r["a"], let b: Int64 = r["b"] else { return nil }
            return (a, b)
        }
    }

    /// The newest forecast run, optionally of one kind.
    public func latestForecastRun() throws -> ForecastRunInfo? {
        try read { db in
            try Row.fetchOne(db, sql: """
                SELECT * FROM forecast_run WHERE id IN (SELECT DISTINCT run_id FROM forecast) ORDER BY issued_at DESC, id DESC LIMIT 1
                """).map {
                ForecastRunInfo(id: $0["id"], issuedAt: $0["issued_at"], kind: $0["kind"], horizonS: $0["horizon_s"],
                                stepS: $0["step_s"], model: $0["model"])
            }
        }
    }

    public func forecastPoints(runID: Int64, dong: String?, quantity: String?) throws -> [ForecastPoint] {
        var sql = "SELECT * FROM forecast WHERE run_id = ?"
        var a: StatementArguments = [runID]
        if let dong { sql += " AND dong_code = ?"; a += [dong] }
        if let quantity { sql += " AND quantity = ?"; a += [quantity] }
        sql += " ORDER BY dong_code, quantity, slot_start"
        let sqlC = sql, argsC = a
        return try read { db in
            try Row.fetchAll(db, sql: sqlC, arguments: argsC).map {
                ForecastPoint(runID: $0["run_id"], dongCode: $0["dong_code"], quantity: $0["quantity"],
                              slotStart: $0["slot_start"], durationS: $0["duration_s"], valueWh: $0["value_wh"])
            }
        }
    }

    /// The newest dispatch run that wrote a schedule, with its slots.
    public func latestSchedule() throws -> (run: DispatchRunInfo, slots: [ScheduleSlot])? {
        try read { db in
            guard let r = try Row.fetchOne(db, sql: """
                SELECT * FROM dispatch_run WHERE id = (SELECT MAX(run_id) FROM schedule)
                """) else { return nil }
            let run = DispatchRunInfo(id: r["id"], startedAt: r["started_at"], finishedAt: r["finished_at"], status: r["status"],
                                      objective: r["objective"], objectiveValue: r["objective_value"], horizonS: r["horizon_s"],
                                      stepS: r["step_s"], solveMs: r["solve_ms"], message: r["message"])
            let slots = try Row.fetchAll(db, sql: """
                SELECT s.*, a.dong_code FROM schedule s LEFT JOIN asset a ON a.id = s.battery_id
                WHERE s.run_id = ? ORDER BY s.battery_id, s.slot_start
                """, arguments: [run.id]).map {
                ScheduleSlot(batteryID: $0["battery_id"], dongCode: $0["dong_code"], slotStart: $0["slot_start"],
                             durationS: $0["duration_s"], chargeW: $0["charge_w"], dischargeW: $0["discharge_w"], socWh: $0["soc_wh"])
            }
            return (run, slots)
        }
    }

    /// A cheap fingerprint of everything the read API serves; changes whenever an upload, a
    /// forecast or dispatch run, a site load or a rollup write lands (cache invalidation).
    public func readAPIDataStamp() throws -> String {
        try read { db in
            let r = try Row.fetchOne(db, sql: """
                SELECT (SELECT MAX(id) FROM upload), (SELECT MAX(id) FROM forecast_run), (SELECT MAX(id) FROM dispatch_run),
                       (SELECT MAX(loaded_at) FROM site), (SELECT MAX(id) FROM config_change), (SELECT COUNT(*) FROM upload WHERE status = 'ingesting'),
                       (SELECT COUNT(*) FROM upload)
                """)!
            // The upload count changes when `vpp uploads delete` removes an upload that is not the newest.
            return (0..<7).map { (r[$0] as Int64?).map(String.init) ?? "-" }.joined(separator: ":")
        }
    }

    /// Rows of `rollup_hourly` (benchmark fixture: a district-year of synthetic rollups).
    public func writeSyntheticRollups(dongs: [String], from: Int64, hours: Int, seed: UInt64) throws {
        try write { db in
            let stmt = try db.makeStatement(sql: """
                INSERT OR REPLACE INTO rollup_hourly (dong_code, hour_start, generation_wh, consumption_wh, charge_wh,
                    discharge_wh, import_wh, export_wh, generation_covered_s, consumption_covered_s)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 3600, 3600)
                """)
            var s = seed
            func rnd() -> Int64 {
                s &+= 0x9E37_79B9_7F4A_7C15
                var z = s
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return Int64((z ^ (z >> 31)) % 1000)
            }
            for (di, d) in dongs.enumerated() {
                for h in 0..<hours {
                    let t = from + Int64(h) * 3600
                    let kstHour = Int(((t + 32400) / 3600) % 24)
                    let sunAngle: Double = Double(kstHour - 6) / 12.0 * Double.pi
                    let sun: Double = max(0.0, sin(sunAngle))
                    let peak: Double = Double(80_000 + 1000 * di)
                    let gen: Int64 = Int64(sun * peak) + rnd() * 10
                    let loadAngle: Double = Double(kstHour - 14) / 24.0 * 2 * Double.pi
                    let loadW: Double = 150_000 + 40_000 * sin(loadAngle)
                    let load: Int64 = Int64(loadW) + rnd() * 50
                    let charge: Int64 = kstHour >= 10 && kstHour < 14 ? min(gen / 3, 50_000) : 0
                    let discharge: Int64 = kstHour >= 18 && kstHour < 22 ? 45_000 : 0
                    let net: Int64 = load - gen + charge - discharge
                    try stmt.execute(arguments: [d, t, gen, load, charge, discharge, max(net, 0), max(-net, 0)])
                }
            }
        }
    }
}
