import Foundation
import GRDB
import VPPCore
import VPPStore

/// Per-asset hourly energy and monthly register sums (`ReadingStore`): what tracking needs to
/// count each kWh once across a meter hierarchy, spread monthly uploads and estimate unmetered PV.
extension SQLiteStore {
    public func assetHourly(assetIDs: [String], from: Int64, to: Int64) async throws -> [String: [Int64: AssetHour]] {
        guard !assetIDs.isEmpty, from < to else { return [:] }
        return try await read { db in
            let marks = assetIDs.map { _ in "?" }.joined(separator: ", ")
            // Hour-beginning buckets; a reading longer than an hour stays in the hour it starts in
            // (interval data are ≤ 1 h; covered seconds are capped at the hour by the caller).
            let rows = try Row.fetchAll(db, sql: """
                SELECT asset_id, slot_start - (((slot_start % 3600) + 3600) % 3600) AS hour, SUM(energy_wh), SUM(duration_s)
                FROM reading WHERE asset_id IN (\(marks)) AND slot_start >= ? AND slot_start < ?
                GROUP BY asset_id, hour
                """, arguments: StatementArguments(assetIDs.map { $0.databaseValue } + [from.databaseValue, to.databaseValue]))
            var out: [String: [Int64: AssetHour]] = [:]
            for r in rows {
                let id: String = r[0]
                out[id, default: [:]][r[1]] = AssetHour(wh: r[2], coveredS: min(3600, r[3] as Int64))
            }
            return out
        }
    }

    public func registerMonthly(assetIDs: [String], from: Int64, to: Int64) async throws -> [RegisterMonth] {
        guard !assetIDs.isEmpty, from < to else { return [] }
        let first = YearMonth(kst: KSTDateTime(epochSeconds: from)), last = YearMonth(kst: KSTDateTime(epochSeconds: to - 1))
        return try await read { db in
            let marks = assetIDs.map { _ in "?" }.joined(separator: ", ")
            let rows = try Row.fetchAll(db, sql: """
                SELECT asset_id, period, SUM(usage_wh), COUNT(*) FROM register_reading
                WHERE asset_id IN (\(marks)) AND period >= ? AND period <= ?
                GROUP BY asset_id, period ORDER BY asset_id, period
                """, arguments: StatementArguments(assetIDs.map { $0.databaseValue } + [first.description.databaseValue, last.description.databaseValue]))
            return rows.compactMap { r in
                guard let p = YearMonth(r[1] as String) else { return nil }
                return RegisterMonth(assetID: r[0], period: p, usageWh: r[2], units: r[3])
            }
        }
    }
}

extension YearMonth {
    fileprivate init(kst t: KSTDateTime) { self.init(year: t.year, month: t.month) }
}
