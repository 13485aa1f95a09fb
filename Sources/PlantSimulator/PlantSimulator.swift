import Foundation
import VPPCore
import VPPStore
import Dispatcher

/// Errors of the simulator (bad setpoint files, nothing to follow).
public struct SimulatorError: CategorizedError, Equatable {
    public var category: ErrorCategory
    public var message: String
    public init(_ category: ErrorCategory, _ message: String) { self.category = category; self.message = message }
    public var description: String { message }
}

/// Runs every battery of a site as a `BatteryPlant` over a window: setpoints from the stored
/// schedule (the newest run) or from the outbox's setpoint files, start state from the newest
/// stored telemetry at or before the window's start, else the schedule's planned SoC, else the
/// config's `initial_soc_pct`; the samples go to a CSV in the ingest format or straight into the
/// store (`appendTelemetry`, the ingest transaction with its checks).
public struct PlantSimulator: Sendable {
    public enum Source: Sendable, Equatable {
        /// The newest stored schedule (`dispatch run`'s plan).
        case storedSchedule
        /// `<outbox>/<battery_id>.json` setpoint files (SetpointWriter's format).
        case outbox(String)
    }

    public struct Options: Sendable {
        public var source: Source
        /// Standard deviation of the relative power error [%].
        public var noisePct: Double
        public var seed: UInt64
        public init(source: Source = .storedSchedule, noisePct: Double = 0, seed: UInt64 = 1) {
            self.source = source; self.noisePct = noisePct; self.seed = seed
        }
    }

    public var site: SiteConfig
    public var options: Options

    public init(site: SiteConfig, options: Options) { self.site = site; self.options = options }

    /// Setpoints per battery from the chosen source.
    public func setpoints(storage: Storage) async throws -> [String: [BatteryPlant.Setpoint]] {
        switch options.source {
        case .storedSchedule:
            guard let (_, slots) = try await storage.dispatch.latestSchedule(siteID: site.site.id) else {
                throw SimulatorError(.noInput, "no stored schedule to follow; run `vpp dispatch run` first or give --outbox")
            }
            var out: [String: [BatteryPlant.Setpoint]] = [:]
            for s in slots {
                out[s.batteryID, default: []].append(.init(slotStart: s.slotStart, durationS: s.durationS,
                                                           powerKW: (s.dischargeW - s.chargeW) / 1000))
            }
            return out
        case .outbox(let dir):
            return try Self.readOutbox(dir, batteryIDs: site.batteries.map(\.battery.id))
        }
    }

    /// Reads `<dir>/<id>.json` for each battery (missing files: that battery idles).
    public static func readOutbox(_ dir: String, batteryIDs: [String]) throws -> [String: [BatteryPlant.Setpoint]] {
        var out: [String: [BatteryPlant.Setpoint]] = [:]
        for id in batteryIDs {
            let path = dir + "/" + id + ".json"
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let file: SetpointWriter.File
            do { file = try JSONDecoder().decode(SetpointWriter.File.self, from: data) }
            catch { throw SimulatorError(.badData, "\(path): not a setpoint file (\(error.localizedDescription))") }
            guard file.battery_id == id else { throw SimulatorError(.badData, "\(path): names battery \(file.battery_id), not \(id)") }
            guard file.step_s > 0, file.step_s <= 86_400 else { throw SimulatorError(.badData, "\(path): step_s \(file.step_s) outside 1…86400") }
            out[id] = try file.setpoints.enumerated().map { i, s in
                guard s.kw.isFinite, abs(s.kw) < 1e6 else { throw SimulatorError(.badData, "\(path): setpoint \(i + 1) kw \(s.kw) is not a power") }
                return .init(slotStart: s.slot_start_epoch, durationS: file.step_s, powerKW: s.kw)
            }
        }
        if out.isEmpty { throw SimulatorError(.noInput, "no setpoint files for the site's batteries in \(dir)") }
        return out
    }

    /// Each battery's state at `from`: the newest telemetry at or before it (with its counters)
    /// unless the newest plan has a slot ending later (then that slot's planned SoC: the plant
    /// followed that plan meanwhile), else the config's initial SoC.
    public func startStates(storage: Storage, from: Int64) async throws -> [String: BatteryPlant.State] {
        let telemetry = try await (try? storage.telemetryStore())?.latestTelemetry(at: from, notBefore: nil) ?? [:]
        var out: [String: BatteryPlant.State] = [:]
        for (_, b) in site.batteries {
            let t = telemetry[b.id]
            // The plan's SoC at the end of the last slot before `from` (slot length from the next slot start).
            let plannedRows = try await storage.dispatch.plannedSoC(batteryIDs: [b.id], from: from - 86_400, to: from)
            let planned = plannedRows.last
            let plannedEnd = planned.map { p in
                plannedRows.count >= 2 ? p.slotStart + (p.slotStart - plannedRows[plannedRows.count - 2].slotStart) : from
            }
            if let t, plannedEnd.map({ t.measuredAt >= $0 }) ?? true {
                out[b.id] = .init(socWh: Double(t.socWh), chargedWh: Double(t.chargedWh ?? 0), dischargedWh: Double(t.dischargedWh ?? 0))
            } else if let planned {
                // Telemetry older than the plan's last slot (or none): the plan's SoC, counters carried on.
                out[b.id] = .init(socWh: Double(planned.socWh), chargedWh: Double(t?.chargedWh ?? 0), dischargedWh: Double(t?.dischargedWh ?? 0))
            } else {
                out[b.id] = .init(socWh: b.capacityKWh * b.initialSocPct * 10)
            }
        }
        return out
    }

    /// Simulates [from, to): one sample per battery and setpoint slot, by battery in config
    /// order then time. Each battery draws from its own seeded stream (seed + its index), so
    /// adding a battery does not change another's noise.
    public func run(setpoints: [String: [BatteryPlant.Setpoint]], start: [String: BatteryPlant.State], from: Int64, to: Int64)
        -> [TelemetrySample] {
        var out: [TelemetrySample] = []
        for (i, (_, b)) in site.batteries.enumerated() {
            guard let sps = setpoints[b.id], let s = start[b.id] else { continue }
            var plant = BatteryPlant(battery: b, state: s, noisePct: options.noisePct)
            var rng = SplitMix64(seed: options.seed &+ UInt64(i))
            out += plant.follow(sps, from: from, to: to, rng: &rng)
        }
        return out
    }

    /// Simulates [from, to) against `storage` and returns the samples.
    public func simulate(storage: Storage, from: Int64, to: Int64) async throws -> [TelemetrySample] {
        guard to > from else { throw SimulatorError(.usage, "the window is empty (to must be after from)") }
        let sps = try await setpoints(storage: storage)
        let start = try await startStates(storage: storage, from: from)
        return run(setpoints: sps, start: start, from: from, to: to)
    }
}
