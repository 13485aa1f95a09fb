import Foundation
import GRDB
import VPPCore
import VPPStore
import VPPAuth

/// SQL for tracking and reports (VPPCore/Tracking). Reports read only `rollup_hourly`, the
/// latest planned SoC in `schedule`, and meter totals from `reading` for participants.
extension SQLiteStore {
    /// Hourly rollups of each dong in `dongCodes` with `hour_start` in [from, to) [UTC epoch s],
    /// in hour order, keyed by dong code. Hours with no row are absent (they are gaps).
    public func hourlyRollups(dongCodes: [String], from: Int64, to: Int64) async throws -> [String: [HourlyRollup]] {
        try await read { db in
            var out: [String: [HourlyRollup]] = [:]
            let stmt = try db.cachedStatement(sql: """
                SELECT hour_start, generation_wh, consumption_wh, charge_wh, discharge_wh, import_wh, export_wh,
                       generation_covered_s, consumption_covered_s
                FROM rollup_hourly WHERE dong_code = ? AND hour_start >= ? AND hour_start < ?
                ORDER BY hour_start
                """)
            for code in dongCodes {
                var rows: [HourlyRollup] = []
                rows.reserveCapacity(Int(max(0, (to - from) / 3600)))
                let cursor = try Row.fetchCursor(stmt, arguments: [code, from, to])
                while let r = try cursor.next() {
                    rows.append(HourlyRollup(
                        hourStart: r[0], generationWh: r[1], consumptionWh: r[2], chargeWh: r[3], dischargeWh: r[4],
                        importWh: r[5], exportWh: r[6], generationCoveredS: r[7], consumptionCoveredS: r[8]))
                }
                out[code] = rows
            }
            return out
        }
    }

    /// The latest-planned state of charge of each battery: for every (battery, slot) in
    /// [from, to) the `soc_wh` of the dispatch run with the highest id that planned that slot.
    public func plannedSoC(batteryIDs: [String], from: Int64, to: Int64) async throws
        -> [(batteryID: String, slotStart: Int64, socWh: Int64)]
    {
        guard !batteryIDs.isEmpty else { return [] }
        return try await read { db in
            let marks = batteryIDs.map { _ in "?" }.joined(separator: ", ")
            // SQLite: with MAX(), bare columns come from the row holding the maximum.
            let rows = try Row.fetchAll(db, sql: """
                SELECT battery_id, slot_start, soc_wh, MAX(run_id) FROM schedule
                WHERE battery_id IN (\(marks)) AND slot_start >= ? AND slot_start < ?
                GROUP BY battery_id, slot_start ORDER BY battery_id, slot_start
                """, arguments: StatementArguments(batteryIDs.map { $0.databaseValue } + [from.databaseValue, to.databaseValue]))
            return rows.map { (batteryID: $0[0] as String, slotStart: $0[1] as Int64, socWh: $0[2] as Int64) }
        }
    }

    /// Energy and metered seconds of each meter asset over [from, to) from `reading`
    /// (participants: apartment complexes / meter groups). Meters with no reading are absent.
    public func meterTotals(assetIDs: [String], from: Int64, to: Int64) async throws
        -> [String: (energyWh: Int64, coveredS: Int64)]
    {
        guard !assetIDs.isEmpty else { return [:] }
        return try await read { db in
            let marks = assetIDs.map { _ in "?" }.joined(separator: ", ")
            let rows = try Row.fetchAll(db, sql: """
                SELECT asset_id, SUM(energy_wh), SUM(MIN(duration_s, ? - slot_start)) FROM reading
                WHERE asset_id IN (\(marks)) AND slot_start >= ? AND slot_start < ?
                GROUP BY asset_id
                """, arguments: StatementArguments([to.databaseValue] + assetIDs.map { $0.databaseValue } + [from.databaseValue, to.databaseValue]))
            var out: [String: (energyWh: Int64, coveredS: Int64)] = [:]
            for r in rows { out[r[0]] = (energyWh: r[1], coveredS: r[2]) }
            return out
        }
    }

    /// Active dong codes of the loaded site.
    public func activeDongCodes() async throws -> Set<String> {
        try await read { db in Set(try String.fetchAll(db, sql: "SELECT code FROM dong WHERE active = 1")) }
    }

    /// Writes hourly rollups (upsert), for tests, benchmarks and the sample data set; ingestion
    /// maintains the table in production.
    public func replaceRollups(_ rows: [(dongCode: String, rollup: HourlyRollup)]) async throws {
        try await write { db in
            let stmt = try db.cachedStatement(sql: """
                INSERT INTO rollup_hourly (dong_code, hour_start, generation_wh, consumption_wh, charge_wh, discharge_wh,
                    import_wh, export_wh, generation_covered_s, consumption_covered_s)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (dong_code, hour_start) DO UPDATE SET generation_wh = excluded.generation_wh,
                    consumption_wh = excluded.consumption_wh, charge_wh = excluded.charge_wh,
                    discharge_wh = excluded.discharge_wh, import_wh = excluded.import_wh, export_wh = excluded.export_wh,
                    generation_covered_s = excluded.generation_covered_s, consumption_covered_s = excluded.consumption_covered_s
                """)
            for (code, r) in rows {
                try stmt.execute(arguments: [code, r.hourStart, r.generationWh, r.consumptionWh, r.chargeWh, r.dischargeWh,
                                             r.importWh, r.exportWh, r.generationCoveredS, r.consumptionCoveredS])
            }
        }
    }
}
