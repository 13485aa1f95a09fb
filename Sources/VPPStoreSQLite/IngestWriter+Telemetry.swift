import Foundation
import GRDB
import VPPCore
import VPPStore

/// Per-upload state of the telemetry checks: each battery's limits (from its stored config),
/// the newest instant stored before this upload, and the last instant this upload gave.
final class TelemetryCheckState {
    struct Battery {
        var config: BatteryConfig
        var storedNewest: Int64?
        var lastInFile: Int64?
    }
    var batteries: [String: Battery] = [:]
    var receivedAt: Int64 = .max

    init(db: Database, uploadID: Int64) throws {
        receivedAt = try Int64.fetchOne(db, sql: "SELECT received_at FROM upload WHERE id = ?", arguments: [uploadID]) ?? .max
        let rows = try Row.fetchAll(db, sql: """
            SELECT a.id, a.params_json, (SELECT MAX(t.measured_at) FROM battery_telemetry t WHERE t.battery_id = a.id) AS newest
            FROM asset a WHERE a.kind = 'battery' AND a.active = 1
            """)
        for r in rows {
            let id: String = r["id"]
            let json: String = r["params_json"]
            guard let cfg = try? JSONDecoder().decode(BatteryConfig.self, from: Data(json.utf8)) else {
                throw VPPError(.internal, "stored config of battery \(id) cannot be read")
            }
            batteries[id] = Battery(config: cfg, storedNewest: r["newest"])
        }
    }
}

extension IngestWriter: TelemetrySink {
    func telemetry(_ s: TelemetrySample, line: Int, column: Int?, raw: UnsafeBufferPointer<UInt8>) throws -> String? {
        let state = try telemetryState()
        let battery = state.batteries[s.batteryID]
        switch TelemetryCheck.check(s, config: battery?.config, lastInFile: battery?.lastInFile, receivedAt: state.receivedAt) {
        case .failure(let r):
            try reject(line: line, column: column, raw: raw, reason: r.reason)
            return r.reason
        case .success(let socWh):
            // A stored row at this instant can exist only at or before the newest instant stored
            // before this upload (rows of this upload go strictly forward per battery).
            let newest = state.batteries[s.batteryID]?.storedNewest
            var existing: Row?
            if let newest, s.measuredAt <= newest {
                existing = try Row.fetchOne(try db.cachedStatement(sql: """
                    SELECT soc_wh, power_w, charged_wh, discharged_wh FROM battery_telemetry WHERE battery_id = ? AND measured_at = ?
                    """), arguments: [s.batteryID, s.measuredAt])
            }
            if existing == nil, let newest, s.measuredAt < newest {
                let reason = "out of order: \(s.batteryID) at \(KSTDateTime(epochSeconds: s.measuredAt)) KST is older than the newest stored sample (\(KSTDateTime(epochSeconds: newest)) KST) and repeats no stored instant"
                try reject(line: line, column: column, raw: raw, reason: reason)
                return reason
            }
            if let e = existing {
                let same = (e["soc_wh"] as Int64) == socWh && (e["power_w"] as Int64?) == s.powerW
                    && (e["charged_wh"] as Int64?) == s.chargedWh && (e["discharged_wh"] as Int64?) == s.dischargedWh
                if !same { changed += 1 }
            }
            try db.cachedStatement(sql: """
                INSERT INTO battery_telemetry (battery_id, measured_at, soc_wh, power_w, charged_wh, discharged_wh, upload_id)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (battery_id, measured_at) DO UPDATE SET soc_wh = excluded.soc_wh, power_w = excluded.power_w,
                  charged_wh = excluded.charged_wh, discharged_wh = excluded.discharged_wh, upload_id = excluded.upload_id
                """).execute(arguments: [s.batteryID, s.measuredAt, socWh, s.powerW, s.chargedWh, s.dischargedWh, uploadID])
            state.batteries[s.batteryID]?.lastInFile = s.measuredAt
            ok += 1
            if s.measuredAt < firstSlot { firstSlot = s.measuredAt }
            if s.measuredAt > lastSlot { lastSlot = s.measuredAt }
            return nil
        }
    }

    private func telemetryState() throws -> TelemetryCheckState {
        if let s = telemetryChecks { return s }
        let s = try TelemetryCheckState(db: db, uploadID: uploadID)
        telemetryChecks = s
        return s
    }
}
