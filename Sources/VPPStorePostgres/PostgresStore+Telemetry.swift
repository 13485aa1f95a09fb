import Foundation
import Logging
import PostgresNIO
import VPPCore
import VPPStore

// Battery telemetry on PostgreSQL (issue 14): the reads of `TelemetryStore` and the checks of
// `TelemetrySink` on the ingest sink, ported from the SQLite driver (SQLiteStore+Telemetry.swift,
// IngestWriter+Telemetry.swift) with the same semantics, reasons and order of checks.

extension PostgresStore: TelemetryStore {
    /// Newest sample of each battery with `notBefore <= measured_at <= epoch`.
    public func latestTelemetry(at epoch: Int64, notBefore: Int64?) async throws -> [String: TelemetryPoint] {
        let lo = notBefore ?? Int64.min
        var out: [String: TelemetryPoint] = [:]
        for r in try await rows("""
            SELECT DISTINCT ON (battery_id) battery_id, measured_at, soc_wh, power_w, charged_wh, discharged_wh, upload_id
            FROM battery_telemetry WHERE measured_at <= \(epoch) AND measured_at >= \(lo)
            ORDER BY battery_id, measured_at DESC
            """) {
            let p = try Self.telemetryPoint(r)
            out[p.batteryID] = p
        }
        return out
    }

    public func telemetrySeries(batteryIDs: [String], from: Int64, to: Int64) async throws -> [TelemetryPoint] {
        let all = batteryIDs.isEmpty
        return try await rows("""
            SELECT battery_id, measured_at, soc_wh, power_w, charged_wh, discharged_wh, upload_id
            FROM battery_telemetry WHERE measured_at >= \(from) AND measured_at < \(to)
              AND (\(all) OR battery_id = ANY(\(batteryIDs)))
            ORDER BY battery_id, measured_at
            """).map(Self.telemetryPoint)
    }

    /// The newest plan's slot for each (battery, slot start) in [from, to), by battery then time.
    public func plannedSlots(batteryIDs: [String], from: Int64, to: Int64) async throws -> [ScheduleSlot] {
        guard !batteryIDs.isEmpty else { return [] }
        // The row of the highest run id per (battery, slot) (SQLite's bare columns with MAX()).
        return try await rows("""
            SELECT DISTINCT ON (battery_id, slot_start) battery_id, slot_start, duration_s, charge_w, discharge_w, soc_wh
            FROM schedule WHERE battery_id = ANY(\(batteryIDs)) AND slot_start >= \(from) AND slot_start < \(to)
            ORDER BY battery_id, slot_start, run_id DESC
            """).map {
            ScheduleSlot(batteryID: try $0.v("battery_id"), slotStart: try $0.v("slot_start"),
                         durationS: Int(try $0.v("duration_s", Int64.self)), chargeW: try $0.v("charge_w"),
                         dischargeW: try $0.v("discharge_w"), socWh: try $0.v("soc_wh"))
        }
    }

    static func telemetryPoint(_ r: PostgresRandomAccessRow) throws -> TelemetryPoint {
        TelemetryPoint(batteryID: try r.v("battery_id"), measuredAt: try r.v("measured_at"), socWh: try r.v("soc_wh"),
                       powerW: try r.v("power_w"), chargedWh: try r.v("charged_wh"), dischargedWh: try r.v("discharged_wh"),
                       uploadID: try r.v("upload_id"))
    }
}

/// Per-upload state of the telemetry checks: each battery's limits (from its stored config), the
/// newest instant stored before this upload, and the last instant this upload gave.
final class PostgresTelemetryChecks {
    struct Battery {
        var config: BatteryConfig
        var storedNewest: Int64?
        var lastInFile: Int64?
    }
    var batteries: [String: Battery] = [:]
    var receivedAt: Int64 = .max

    /// Reads the state in the ingest transaction (`conn`), on the sink's thread.
    init(conn: PostgresConnection, logger: Logger, uploadID: Int64) throws {
        let rows = try blocking { [conn, logger] in
            let up = try await PostgresStore.rows(conn, "SELECT received_at FROM upload WHERE id = \(uploadID)", logger: logger)
            let bats = try await PostgresStore.rows(conn, """
                SELECT a.id, a.params_json, (SELECT MAX(t.measured_at) FROM battery_telemetry t WHERE t.battery_id = a.id) AS newest
                FROM asset a WHERE a.kind = 'battery' AND a.active
                """, logger: logger)
            return (try up.first?.v("received_at", Int64.self),
                    try bats.map { (id: try $0.v("id", String.self), json: try $0.v("params_json", String.self),
                                    newest: try $0.v("newest", Int64?.self)) })
        }
        receivedAt = rows.0 ?? .max
        for r in rows.1 {
            guard let cfg = try? JSONDecoder().decode(BatteryConfig.self, from: Data(r.json.utf8)) else {
                throw VPPError(.internal, "stored config of battery \(r.id) cannot be read")
            }
            batteries[r.id] = Battery(config: cfg, storedNewest: r.newest)
        }
    }
}

/// Telemetry rows of a PostgreSQL ingest transaction. A telemetry upload (kind `telemetry`)
/// carries no interval readings, so no COPY batch is ever in flight while these statements run
/// on the connection.
extension PostgresIngestSink: TelemetrySink {
    func telemetry(_ s: TelemetrySample, line: Int, column: Int?, raw: UnsafeBufferPointer<UInt8>) throws -> String? {
        let state = try telemetryState()
        let battery = state.batteries[s.batteryID]
        switch TelemetryCheck.check(s, config: battery?.config, lastInFile: battery?.lastInFile, receivedAt: state.receivedAt) {
        case .failure(let r):
            try reject(line: line, column: column, raw: raw, reason: r.reason)
            return r.reason
        case .success(let socWh):
            if conn.isClosed { throw PostgresIngestSink.dropped(location) }
            // A stored row at this instant can exist only at or before the newest instant stored
            // before this upload (rows of this upload go strictly forward per battery).
            let newest = state.batteries[s.batteryID]?.storedNewest
            let lookUp = newest.map { s.measuredAt <= $0 } ?? false
            let up = uploadID
            if !lookUp {
                // Newer than every stored sample of its battery: nothing can be stored at this
                // instant but by an upload committing meanwhile. Buffered, written in bulk.
                telemetryBuffer.append(s, socWh: socWh)
                if telemetryBuffer.count >= TelemetryBuffer.flushAt { try flushTelemetry() }
                state.batteries[s.batteryID]?.lastInFile = s.measuredAt
                ok += 1
                if s.measuredAt < firstSlot { firstSlot = s.measuredAt }
                if s.measuredAt > lastSlot { lastSlot = s.measuredAt }
                return nil
            }
            let existed: Bool?  // nil: nothing stored at this instant; else whether the stored values differ
            existed = try blocking { [conn, logger] () -> Bool? in
                var differs: Bool?
                if lookUp {
                    if let e = try await PostgresStore.rows(conn, """
                        SELECT soc_wh, power_w, charged_wh, discharged_wh FROM battery_telemetry
                        WHERE battery_id = \(s.batteryID) AND measured_at = \(s.measuredAt)
                        """, logger: logger).first {
                        let same = try e.v("soc_wh", Int64.self) == socWh && e.v("power_w", Int64?.self) == s.powerW
                            && e.v("charged_wh", Int64?.self) == s.chargedWh && e.v("discharged_wh", Int64?.self) == s.dischargedWh
                        differs = !same
                    }
                }
                // Older than the newest stored sample and repeating no stored instant: nothing written.
                if differs == nil, let newest, s.measuredAt < newest { return nil }
                try await conn.query("""
                    INSERT INTO battery_telemetry (battery_id, measured_at, soc_wh, power_w, charged_wh, discharged_wh, upload_id)
                    VALUES (\(s.batteryID), \(s.measuredAt), \(socWh), \(s.powerW), \(s.chargedWh), \(s.dischargedWh), \(up))
                    ON CONFLICT (battery_id, measured_at) DO UPDATE SET soc_wh = excluded.soc_wh, power_w = excluded.power_w,
                      charged_wh = excluded.charged_wh, discharged_wh = excluded.discharged_wh, upload_id = excluded.upload_id
                    """, logger: logger)
                return differs ?? false
            }
            guard let differs = existed else {
                let reason = "out of order: \(s.batteryID) at \(KSTDateTime(epochSeconds: s.measuredAt)) KST is older than the newest stored sample (\(KSTDateTime(epochSeconds: newest ?? 0)) KST) and repeats no stored instant"
                try reject(line: line, column: column, raw: raw, reason: reason)
                return reason
            }
            if differs { changed += 1 }
            state.batteries[s.batteryID]?.lastInFile = s.measuredAt
            ok += 1
            if s.measuredAt < firstSlot { firstSlot = s.measuredAt }
            if s.measuredAt > lastSlot { lastSlot = s.measuredAt }
            return nil
        }
    }

    /// Writes the buffered samples with one statement (`ON CONFLICT` replaces, as the row path
    /// does, should a concurrent upload have stored the same instant first).
    func flushTelemetry() throws {
        guard telemetryBuffer.count > 0 else { return }
        let b = telemetryBuffer, up = uploadID
        telemetryBuffer = TelemetryBuffer()
        try step { [conn, logger] in
            try await conn.query("""
                INSERT INTO battery_telemetry (battery_id, measured_at, soc_wh, power_w, charged_wh, discharged_wh, upload_id)
                SELECT b, t, soc, CASE WHEN hp THEN p END, CASE WHEN hc THEN c END, CASE WHEN hd THEN d END, \(up)
                FROM unnest(\(b.battery)::TEXT[], \(b.at)::BIGINT[], \(b.soc)::BIGINT[], \(b.power)::BIGINT[], \(b.hasPower)::BOOL[],
                            \(b.charged)::BIGINT[], \(b.hasCharged)::BOOL[], \(b.discharged)::BIGINT[], \(b.hasDischarged)::BOOL[])
                     AS x(b, t, soc, p, hp, c, hc, d, hd)
                ON CONFLICT (battery_id, measured_at) DO UPDATE SET soc_wh = excluded.soc_wh, power_w = excluded.power_w,
                  charged_wh = excluded.charged_wh, discharged_wh = excluded.discharged_wh, upload_id = excluded.upload_id
                """, logger: logger)
        }
    }

    private func telemetryState() throws -> PostgresTelemetryChecks {
        if let s = telemetryChecks { return s }
        if conn.isClosed { throw PostgresIngestSink.dropped(location) }
        let s = try PostgresTelemetryChecks(conn: conn, logger: logger, uploadID: uploadID)
        telemetryChecks = s
        return s
    }
}

/// Telemetry samples of an upload waiting to be written in bulk (optional values as a value and
/// a flag, since the arrays carry no NULLs).
struct TelemetryBuffer: Sendable {
    /// Samples per statement: 10,000 × 9 array elements.
    static let flushAt = 10_000
    var battery: [String] = [], at: [Int64] = [], soc: [Int64] = []
    var power: [Int64] = [], hasPower: [Bool] = []
    var charged: [Int64] = [], hasCharged: [Bool] = []
    var discharged: [Int64] = [], hasDischarged: [Bool] = []
    var count: Int { at.count }

    mutating func append(_ s: TelemetrySample, socWh: Int64) {
        battery.append(s.batteryID); at.append(s.measuredAt); soc.append(socWh)
        power.append(s.powerW ?? 0); hasPower.append(s.powerW != nil)
        charged.append(s.chargedWh ?? 0); hasCharged.append(s.chargedWh != nil)
        discharged.append(s.dischargedWh ?? 0); hasDischarged.append(s.dischargedWh != nil)
    }
}
