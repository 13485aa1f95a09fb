import Foundation
import VPPCore
import VPPStore
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive, non-blocking `flock(2)` on a lock file. Held until `release()` or deinit;
/// the kernel drops it if the process dies, so a crashed run never wedges the timer.
public final class DispatchLock {
    private var fd: Int32
    public let path: String

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DispatchError.io("cannot open lock file \(path): \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            close(fd); fd = -1
            if e == EWOULDBLOCK { throw DispatchError.locked(path: path) }
            throw DispatchError.io("cannot lock \(path): \(String(cString: strerror(e)))")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { write(fd, $0, strlen($0)) }
    }

    public func release() {
        guard fd >= 0 else { return }
        _ = flock(fd, LOCK_UN); close(fd); fd = -1
    }
    deinit { release() }
}

/// Setpoint files: one JSON per battery, `<outbox>/<battery_id>.json`, each written to a temp
/// file in the same directory, fsynced and renamed over the old one (atomic on POSIX).
/// Sign convention: `kw` > 0 discharge to the grid side, < 0 charge.
public enum SetpointWriter {
    public struct File: Codable, Sendable, Equatable {
        public var battery_id: String
        public var dong: String
        public var run_id: Int64?
        public var generated_at: String
        public var step_s: Int
        public var sign_convention: String
        public var setpoints: [Setpoint]
    }
    public struct Setpoint: Codable, Sendable, Equatable {
        public var slot_start_kst: String
        public var slot_start_epoch: Int64
        public var kw: Double
        public var soc_kwh: Double
    }

    public static func files(_ plan: DispatchPlan, runID: Int64?, generatedAt: Int64) -> [File] {
        plan.batteries.map { b in
            File(battery_id: b.id, dong: b.dong, run_id: runID, generated_at: KSTDateTime(epochSeconds: generatedAt).iso8601,
                 step_s: plan.step.seconds, sign_convention: "kw > 0 discharge, kw < 0 charge (AC terminal)",
                 setpoints: (0..<plan.slotCount).map { t in
                     let e = plan.slotStart(t)
                     return Setpoint(slot_start_kst: KSTDateTime(epochSeconds: e).iso8601, slot_start_epoch: e,
                                     kw: ((b.dischargeKW[t] - b.chargeKW[t]) * 1000).rounded() / 1000,
                                     soc_kwh: (b.socKWh[t] * 1000).rounded() / 1000)
                 })
        }
    }

    /// Writes all temp files first, then renames them in place; on any error the temp files
    /// are removed and the previous setpoints stay.
    public static func write(_ files: [File], outbox: String) throws {
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: outbox, withIntermediateDirectories: true) }
        catch { throw DispatchError.io("cannot create outbox \(outbox): \(error.localizedDescription)") }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        var temps: [(String, String)] = []
        do {
            for f in files {
                guard !f.battery_id.contains("/") else { throw DispatchError.invalidInput("battery id \(f.battery_id) contains '/'") }
                let final = outbox + "/" + f.battery_id + ".json"
                let tmp = outbox + "/." + f.battery_id + ".json.tmp-\(getpid())"
                let data = try enc.encode(f)
                let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard fd >= 0 else { throw DispatchError.io("cannot create \(tmp): \(String(cString: strerror(errno)))") }
                temps.append((tmp, final))
                let ok = data.withUnsafeBytes { p -> Bool in
                    var off = 0
                    while off < p.count {
                        let n = Glibc.write(fd, p.baseAddress! + off, p.count - off)
                        if n <= 0 { return false }
                        off += n
                    }
                    return fsync(fd) == 0
                }
                close(fd)
                guard ok else { throw DispatchError.io("cannot write \(tmp)") }
            }
            for (tmp, final) in temps {
                guard rename(tmp, final) == 0 else { throw DispatchError.io("cannot rename \(tmp) → \(final): \(String(cString: strerror(errno)))") }
            }
        } catch {
            for (tmp, _) in temps { unlink(tmp) }
            throw error
        }
    }
}

/// Battery SoC telemetry file: CSV `battery_id,soc_kwh[,measured_at]` (header optional) or a
/// JSON object `{"battery_id": soc_kwh}`.
public enum SoCTelemetry {
    public static func read(_ path: String) throws -> [String: Double] {
        guard let data = FileManager.default.contents(atPath: path) else { throw DispatchError.io("cannot read telemetry file \(path)") }
        if let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            var out: [String: Double] = [:]
            for (k, v) in obj {
                guard let d = (v as? NSNumber)?.doubleValue, d.isFinite, d >= 0 else {
                    throw DispatchError.invalidInput("\(path): SoC for \(k) is not a number ≥ 0")
                }
                out[k] = d
            }
            return out
        }
        guard String(data: data, encoding: .utf8) != nil else { throw DispatchError.invalidInput("\(path): not UTF-8") }
        var out: [String: Double] = [:]
        var first = true
        try CSVRecords.forEach([UInt8](data)) { line, f in
            defer { first = false }
            guard f.count >= 2 else { throw DispatchError.invalidInput("\(path):\(line): expected battery_id,soc_kwh") }
            let soc = f.string(1)
            guard let v = Double(soc) else {
                if first { return }   // header
                throw DispatchError.invalidInput("\(path):\(line):2: '\(soc)' is not a number")
            }
            guard v.isFinite, v >= 0 else { throw DispatchError.invalidInput("\(path):\(line):2: SoC must be ≥ 0") }
            out[f.string(0)] = v
        }
        return out
    }
}

/// `vpp dispatch run`: the scheduled (model-predictive) form. Takes the lock, reads the latest
/// SoC (telemetry file, else the last successful run's planned SoC, else the config's initial
/// SoC), builds the horizon from the series provider (forecast or recorded profiles), solves,
/// stores the run and schedule, and writes setpoint files atomically. A failure records the
/// run as `failed` with the reason and leaves the previous setpoints in force.
public struct DispatchRunner {
    public struct Options: Sendable {
        public var outbox: String
        public var lockPath: String
        public var telemetryPath: String?
        public var step: SlotLength = .quarterHour
        public var slots: Int = 192
        public var objectiveName = "cost"
        public var maxSeconds: Double = 30
        /// Stored telemetry older than this is stale [s]; the previous plan's SoC is used instead.
        /// nil: the site config's `[dispatch] telemetry_max_age_min`, else 30 min.
        public var telemetryMaxAgeS: Int64?
        public init(outbox: String, lockPath: String, telemetryPath: String? = nil) {
            self.outbox = outbox; self.lockPath = lockPath; self.telemetryPath = telemetryPath
        }
    }

    public struct Result: Sendable {
        public var runID: Int64
        public var plan: DispatchPlan
        public var files: [String]
        public var socSource: String
        /// Where load and PV came from, per dong.
        public var inputSources: String
    }

    public var builder: SiteProblemBuilder
    public var storage: Storage
    public var options: Options
    /// Load and PV per dong for (start, step, slots), with where they came from.
    public var inputs: @Sendable (Int64, SlotLength, Int) async throws -> DispatchSeries

    /// Solves the run's problem in place of `DispatchModel.solve` after `clampFloorsToReach`, e.g.
    /// Resilience's shelter planner (falls back to the best achievable shelter reserve). It gets the
    /// problem before the clamp and the run id, and returns the plan and a note for the run record.
    public var planner: (@Sendable (DispatchProblem, Int64) async throws -> (plan: DispatchPlan, note: String?))? = nil

    public init(builder: SiteProblemBuilder, storage: Storage, options: Options,
                inputs: @escaping @Sendable (Int64, SlotLength, Int) async throws -> DispatchSeries) {
        self.builder = builder; self.storage = storage; self.options = options; self.inputs = inputs
    }

    /// Series given by the caller (tests, benchmarks); the run record says "given series".
    public init(builder: SiteProblemBuilder, storage: Storage, options: Options,
                series: @escaping @Sendable (Int64, SlotLength, Int) async throws -> [(load: [Double], pv: [Double])]) {
        self.init(builder: builder, storage: storage, options: options) { s, st, n in
            DispatchSeries(series: try await series(s, st, n), sources: "given series")
        }
    }

    /// The name of the store lock a run of `site` holds.
    static func lockName(site: String) -> String { "dispatch \(site)" }
    /// Held in shared mode with it: the store-wide lock name of vpp before per-site locks, which
    /// an older planner still takes exclusively (a rolling upgrade must not let both plan at once).
    static let lockGuard = "dispatch"

    public func run(now: Int64) async throws -> Result {
        // The store's own lock when it has one (PostgreSQL: an advisory lock per site, so the
        // districts of a city store plan at once but one district's runs never overlap); else
        // the lock file (flock).
        if let tryLock = storage.tryExclusiveLock {
            let name = Self.lockName(site: builder.site.site.id)
            guard let held = try await tryLock(name, Self.lockGuard) else {
                throw DispatchError.locked(path: "advisory lock '\(name)' (or the store-wide '\(Self.lockGuard)' of an older vpp) of \(storage.location)")
            }
            do {
                let r = try await runLocked(now: now)
                await held.release()
                return r
            } catch {
                await held.release()
                throw error
            }
        }
        let lock = try DispatchLock(path: options.lockPath)
        defer { lock.release() }
        return try await runLocked(now: now)
    }

    /// Records each setpoint file written (issue 16: the battery page shows file-outbox delivery),
    /// stamped with the store's clock after the rename. The files are already in force, so a store
    /// without `SetpointDeliveryStore` (or a failed write) does not fail the run: the returned note
    /// goes into the run record instead.
    private func recordDeliveries(_ files: [SetpointWriter.File], runID: Int64, plan: DispatchPlan) async -> String? {
        let writtenAt = storage.clock.now()
        let deliveries = files.map { (f: SetpointWriter.File) -> SetpointDelivery in
            let first: Int64 = f.setpoints.first?.slot_start_epoch ?? 0
            let end: Int64 = f.setpoints.last.map { $0.slot_start_epoch + Int64(f.step_s) } ?? 0
            let path: String = options.outbox + "/" + f.battery_id + ".json"
            return SetpointDelivery(runID: runID, batteryID: f.battery_id, path: path, writtenAt: writtenAt,
                                    slots: f.setpoints.count, firstSlotStart: first, lastSlotEnd: end)
        }
        do {
            try await storage.setpointDeliveryStore().recordSetpointDeliveries(deliveries)
            return nil
        } catch {
            return "setpoint files not recorded in the store: \(error)"
        }
    }

    private func runLocked(now: Int64) async throws -> Result {
        let start = Slot(containing: now, length: options.step).start
        let runID = try await storage.dispatch.startDispatchRun(siteID: builder.site.site.id, startedAt: now, objective: options.objectiveName,
                                               horizonSeconds: options.slots * options.step.seconds, stepSeconds: options.step.seconds)
        do {
            var soc: [String: Double] = [:]
            var source = "config initial SoC"
            if let t = options.telemetryPath {
                // A hand-made SoC file overrides the store (kept as before issue 12).
                soc = try SoCTelemetry.read(t); source = "telemetry \(t)"
            } else {
                // Stored telemetry no older than the staleness limit, else the previous plan (InitialSoC.swift).
                let initial = try await InitialSoC.resolve(
                    batteryIDs: builder.site.batteries.map(\.battery.id), telemetry: try? storage.telemetryStore(),
                    dispatch: storage.dispatch, siteID: builder.site.site.id, now: now, slotStart: start,
                    maxAgeS: options.telemetryMaxAgeS ?? builder.site.dispatch?.telemetryMaxAgeS ?? InitialSoC.defaultMaxAgeS)
                soc = initial.socKWh; source = initial.summary
            }
            let known = Set(builder.site.batteries.map(\.battery.id))
            if let unknown = soc.keys.first(where: { !known.contains($0) }) {
                throw DispatchError.invalidInput("SoC given for unknown battery \(unknown)")
            }
            // A battery cannot hold more than its capacity: such a reading is a unit or sensor error.
            for b in builder.site.batteries {
                if let v = soc[b.battery.id], v > b.battery.capacityKWh * 1.0001 {
                    throw DispatchError.invalidInput(
                        "\(source): SoC \(v) kWh for \(b.battery.id) exceeds its capacity_kwh \(b.battery.capacityKWh) (a reading the battery cannot hold)")
                }
            }
            let input = try await inputs(start, options.step, options.slots)
            var p = try builder.problem(start: start, step: options.step, slots: options.slots,
                                        series: input.series, initialSoCKWh: soc)
            let plan: DispatchPlan
            var note: String? = nil
            if let planner {
                let r = try await planner(p, runID)
                plan = r.plan; note = r.note
            } else {
                p.clampFloorsToReach()
                plan = try DispatchModel.solve(p, maxSeconds: options.maxSeconds)
            }
            let files = SetpointWriter.files(plan, runID: runID, generatedAt: now)
            try SetpointWriter.write(files, outbox: options.outbox)
            var rows: [ScheduleRow] = []
            for b in plan.batteries {
                for t in 0..<plan.slotCount {
                    rows.append(ScheduleRow(batteryID: b.id, slotStart: plan.slotStart(t), durationSeconds: plan.step.seconds,
                                            chargeW: b.chargeKW[t] * 1000, dischargeW: b.dischargeKW[t] * 1000,
                                            socWh: Int64((b.socKWh[t] * 1000).rounded())))
                }
            }
            let bd = String(data: try JSONEncoder().encode(plan.breakdown), encoding: .utf8) ?? "{}"
            let delivery = await recordDeliveries(files, runID: runID, plan: plan)
            try await storage.dispatch.finishDispatchRun(id: runID, finishedAt: now, status: "ok", objectiveValue: plan.objective, breakdownJSON: bd,
                                        solveMs: (plan.buildSeconds + plan.solveSeconds) * 1000,
                                        message: "SoC from \(source); load/PV from \(input.sources)" + (note.map { "; \($0)" } ?? "")
                                            + (delivery.map { "; \($0)" } ?? ""), schedule: rows)
            return Result(runID: runID, plan: plan, files: files.map { options.outbox + "/" + $0.battery_id + ".json" }, socSource: source,
                          inputSources: input.sources)
        } catch {
            let msg = String(describing: error)
            try? await storage.dispatch.finishDispatchRun(id: runID, finishedAt: now, status: "failed", objectiveValue: nil, breakdownJSON: "{}",
                                         solveMs: nil, message: msg, schedule: [])
            throw error
        }
    }
}
