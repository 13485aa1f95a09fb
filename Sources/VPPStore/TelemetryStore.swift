import Foundation
import VPPCore

// Battery telemetry (issue 12 item 3): what a battery reports about itself — state of charge,
// AC power and optional energy counters at an instant. The same write path takes a parsed
// upload (`vpp ingest --kind telemetry`, `POST /api/v1/telemetry`) and samples produced by a
// program (the plant simulator, OpenADR VEN reports): `appendTelemetry` runs them through the
// ingest transaction, so every sample is either stored or kept as a rejected row with a reason.
//
// Conventions:
// - `measuredAt` is an INSTANT [UTC epoch s] (the time the battery reported), not an interval;
//   files give it as KST wall time (or with an explicit offset).
// - Power sign as in the setpoint files: `powerW` > 0 discharge (to the grid side), < 0 charge,
//   at the AC terminal.
// - SoC is stored as energy [Wh]; a file's `soc_pct` is converted with the battery's `capacity_kwh`.

/// State of charge as a file gives it.
public enum TelemetrySoC: Sendable, Equatable {
    /// Percent of the battery's usable capacity [%].
    case pct(Double)
    /// Energy stored [Wh].
    case wh(Int64)
}

/// One battery report as parsed (not yet checked against the battery's limits).
public struct TelemetrySample: Sendable, Equatable {
    public var batteryID: String
    /// Instant of the report [UTC epoch s].
    public var measuredAt: Int64
    public var soc: TelemetrySoC
    /// AC power [W]: > 0 discharge, < 0 charge; nil when the battery reported none (an OpenADR
    /// report may carry only the state of charge). Such a sample updates the SoC but measures no flow.
    public var powerW: Int64?
    /// Cumulative energy counters [Wh], when the battery reports them.
    public var chargedWh: Int64?
    public var dischargedWh: Int64?

    public init(batteryID: String, measuredAt: Int64, soc: TelemetrySoC, powerW: Int64?, chargedWh: Int64? = nil,
                dischargedWh: Int64? = nil) {
        self.batteryID = batteryID; self.measuredAt = measuredAt; self.soc = soc; self.powerW = powerW
        self.chargedWh = chargedWh; self.dischargedWh = dischargedWh
    }

    /// The CSV line of this sample in the ingest format (`TelemetryCSV.header`).
    public var csvLine: String {
        let socText: String
        switch soc {
        case .wh(let wh): socText = fmtKWh(wh)
        case .pct(let p): socText = String(p)
        }
        return [batteryID, KSTDateTime(epochSeconds: measuredAt).iso8601, socText, powerW.map(fmtKW) ?? "",
                chargedWh.map(fmtKWh) ?? "", dischargedWh.map(fmtKWh) ?? ""].joined(separator: ",")
    }
}

/// The telemetry CSV format (`vpp ingest --kind telemetry`, `vpp simulate run --out`).
public enum TelemetryCSV {
    /// The header the simulator writes (SoC in kWh); `soc_pct` may replace `soc_kwh`.
    public static let header = "battery_id,time_kst,soc_kwh,power_kw,charged_kwh,discharged_kwh"

    public static func csv(_ samples: [TelemetrySample]) -> String {
        ([header] + samples.map(\.csvLine)).joined(separator: "\n") + "\n"
    }
}

private func fmtKWh(_ wh: Int64) -> String { String(format: "%.3f", Double(wh) / 1000) }
private func fmtKW(_ w: Int64) -> String { String(format: "%.3f", Double(w) / 1000) }

/// One stored sample.
public struct TelemetryPoint: Sendable, Equatable, Codable {
    public var batteryID: String
    /// [UTC epoch s].
    public var measuredAt: Int64
    public var socWh: Int64
    /// > 0 discharge, < 0 charge [W]; nil when not reported.
    public var powerW: Int64?
    public var chargedWh: Int64?
    public var dischargedWh: Int64?
    public var uploadID: Int64

    enum CodingKeys: String, CodingKey {
        case batteryID = "battery_id", measuredAt = "measured_at", socWh = "soc_wh", powerW = "power_w"
        case chargedWh = "charged_wh", dischargedWh = "discharged_wh", uploadID = "upload_id"
    }

    public init(batteryID: String, measuredAt: Int64, socWh: Int64, powerW: Int64?, chargedWh: Int64?, dischargedWh: Int64?,
                uploadID: Int64) {
        self.batteryID = batteryID; self.measuredAt = measuredAt; self.socWh = socWh; self.powerW = powerW
        self.chargedWh = chargedWh; self.dischargedWh = dischargedWh; self.uploadID = uploadID
    }
}

/// What `appendTelemetry` stored and rejected.
public struct TelemetryAppendResult: Sendable, Equatable {
    public var uploadID: Int64?
    public var duplicate: Bool
    public var accepted: Int
    public var rejected: Int
    public var changed: Int
    public var rejects: [RejectedRow]
    public init(uploadID: Int64?, duplicate: Bool, accepted: Int, rejected: Int, changed: Int, rejects: [RejectedRow]) {
        self.uploadID = uploadID; self.duplicate = duplicate; self.accepted = accepted; self.rejected = rejected
        self.changed = changed; self.rejects = rejects
    }
}

/// The telemetry rows of an ingest transaction (implemented by the driver's ingest sink).
///
/// Checks, in order; a failing sample becomes a rejected row with the reason and nothing else
/// is lost:
/// 1. unknown battery (no active `battery` asset with that id);
/// 2. in the future: `measuredAt` later than the upload's `received_at` (the injected clock);
/// 3. SoC outside [0, `capacity_kwh`] (or a `soc_pct` outside [0, 100]);
/// 4. power beyond the battery's `max_discharge_kw` (> 0) or `max_charge_kw` (< 0);
/// 5. out of order: older than the previous sample of the same battery in the same upload
///    (going backwards in the file), or older than the newest sample already stored for that
///    battery from an earlier upload, unless it repeats a stored instant exactly (a re-sent
///    or corrected file replaces the stored sample at that instant; the change is counted).
/// A repeated instant of one battery within one upload is rejected as a duplicate.
public protocol TelemetrySink: AnyObject {
    /// Checks and stores one sample; returns the reject reason, nil when stored.
    @discardableResult
    func telemetry(_ s: TelemetrySample, line: Int, column: Int?, raw: UnsafeBufferPointer<UInt8>) throws -> String?
}

/// Battery telemetry: the write path for already-parsed samples and the reads dispatch and
/// tracking need.
public protocol TelemetryStore: Sendable {
    /// Newest stored sample of each battery measured at or before `epoch`, and no earlier than
    /// `notBefore` when given [UTC epoch s].
    func latestTelemetry(at epoch: Int64, notBefore: Int64?) async throws -> [String: TelemetryPoint]
    /// Samples of the given batteries (all when empty) with `from <= measuredAt < to`, by battery then time.
    func telemetrySeries(batteryIDs: [String], from: Int64, to: Int64) async throws -> [TelemetryPoint]
    /// The newest dispatch plan's slot for each (battery, slot start) in [from, to) (plan vs actual).
    func plannedSlots(batteryIDs: [String], from: Int64, to: Int64) async throws -> [ScheduleSlot]
}

extension UploadStore {
    /// Stores samples that a program produced (simulator, OpenADR report) through the ingest
    /// transaction: one upload record (`kind` telemetry, `source`), every sample stored or
    /// rejected with its reason, all in ONE transaction. The same samples from the same source
    /// are a duplicate (idempotency key over their CSV text).
    public func appendTelemetry(_ samples: [TelemetrySample], source: String, directory: AssetDirectory,
                                receivedAt: Int64, sha256: String) async throws -> TelemetryAppendResult {
        let upload = NewUpload(fileName: "\(source) (\(samples.count) samples)", sha256: sha256, source: source, kind: .telemetry,
                               receivedAt: receivedAt, owner: source, params: "telemetry-samples",
                               idempotencyKey: "telemetry-samples|\(source)|\(sha256)", originalPath: nil, retryOf: nil,
                               attribution: nil)
        let result = try await ingest(upload, directory: directory) { sink -> (TelemetryAppendResult, UploadOutcome) in
            guard let t = sink as? TelemetrySink else {
                throw VPPError(.internal, "this store's ingest sink takes no telemetry")
            }
            for (i, s) in samples.enumerated() {
                try sink.countRow(line: i + 1)
                let raw = Array(s.csvLine.utf8)
                try raw.withUnsafeBufferPointer { _ = try t.telemetry(s, line: i + 1, column: nil, raw: $0) }
            }
            let status = sink.rejected == 0 ? "ok" : (sink.ok > 0 ? "partial" : "rejected")
            let r = TelemetryAppendResult(uploadID: sink.uploadID, duplicate: false, accepted: sink.ok, rejected: sink.rejected,
                                          changed: sink.changed, rejects: sink.rejectSamples)
            return (r, UploadOutcome(status: status, message: nil, releaseKey: sink.ok == 0, originalBytes: nil))
        }
        switch result {
        case .duplicate(let id): return TelemetryAppendResult(uploadID: id, duplicate: true, accepted: 0, rejected: 0, changed: 0, rejects: [])
        case .stored(let r): return r
        }
    }
}

extension Storage {
    /// The telemetry reads of this storage's driver (the driver that holds the uploads).
    public func telemetryStore() throws -> any TelemetryStore {
        guard let t = telemetry else { throw notSupported("battery telemetry") }
        return t
    }
}
