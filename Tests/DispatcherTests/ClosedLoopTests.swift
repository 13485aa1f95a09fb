import Foundation
import Ingestion
import PlantSimulator
import Testing
import VPPCore
import VPPStore
import VPPStoreSQLite
import VPPTestSupport
@testable import Dispatcher

/// Issue 12 items 3 and 5: dispatch run → the simulated plant follows it → its telemetry is
/// ingested → the next run starts from the telemetry SoC; stale telemetry falls back to the
/// previous plan with a warning in the run record.
@Suite struct ClosedLoop {
    static let t0 = KSTDateTime(year: 2026, month: 7, day: 1, hour: 0, minute: 7).epochSeconds
    static let midnight = KSTDateTime(year: 2026, month: 7, day: 1).epochSeconds

    struct Env {
        let store: SQLiteStore
        let sdir: URL
        let dir: String
        let site: SiteConfig
        func runner() -> DispatchRunner {
            var o = DispatchRunner.Options(outbox: dir + "/outbox", lockPath: dir + "/lock")
            o.step = .hour; o.slots = 24
            return DispatchRunner(builder: SiteProblemBuilder(site: site), storage: store.storage, options: o, series: syntheticSeries)
        }
        func cleanup() { TempDirectory.remove(sdir); try? FileManager.default.removeItem(atPath: dir) }
    }

    static func env() async throws -> Env {
        let (store, sdir) = try TestStore.make(clock: FixedWallClock(t0))
        let site = smallSite()
        _ = try await store.loadSite(site)
        return Env(store: store, sdir: sdir, dir: try tempDir(), site: site)
    }

    /// The SoC a 1-h slot started from, from the plan's end-of-slot SoC and its powers [kWh].
    static func startSoC(_ b: BatterySchedule, _ cfg: BatteryConfig) -> Double {
        b.socKWh[0] - b.chargeKW[0] * cfg.chargeEfficiency + b.dischargeKW[0] / cfg.dischargeEfficiency
    }

    @Test func next_run_starts_from_the_simulated_telemetry() async throws {
        let env = try await Self.env()
        defer { env.cleanup() }
        let r1 = try await env.runner().run(now: Self.t0)
        #expect(r1.socSource.contains("config initial SoC (2)"))
        // The plant follows the stored schedule for three hours with 5 % power noise.
        let sim = PlantSimulator(site: env.site, options: .init(source: .storedSchedule, noisePct: 5, seed: 7))
        let threeAM = Self.midnight + 3 * 3600
        let samples = try await sim.simulate(storage: env.store.storage, from: Self.midnight, to: threeAM)
        #expect(samples.count == 6)
        #expect(samples.filter { $0.batteryID == "bat0" }.map(\.measuredAt) == [1, 2, 3].map { Self.midnight + Int64($0) * 3600 })
        let ingest = try await env.store.storage.uploads.appendTelemetry(
            samples, source: "simulator", directory: try await env.store.assetDirectory(), receivedAt: threeAM + 300, sha256: "loop-1")
        #expect(ingest.accepted == 6 && ingest.rejected == 0)

        let r2 = try await env.runner().run(now: threeAM + 7 * 60)
        #expect(r2.socSource == "telemetry (2)")
        for (k, b) in r2.plan.batteries.enumerated() {
            let cfg = env.site.batteries[k].battery
            let measured = samples.last { $0.batteryID == b.id }
            guard case .wh(let wh)? = measured?.soc else { Issue.record("no telemetry SoC for \(b.id)"); continue }
            #expect(abs(Self.startSoC(b, cfg) - Double(wh) / 1000) < 1e-3)
        }
        let runs = try await env.store.dispatchRuns()
        #expect(runs[0].message == "SoC from telemetry (2); load/PV from given series")
    }

    @Test func stale_telemetry_falls_back_to_the_previous_plan_with_a_warning() async throws {
        let env = try await Self.env()
        defer { env.cleanup() }
        _ = try await env.runner().run(now: Self.t0)
        let sim = PlantSimulator(site: env.site, options: .init(source: .storedSchedule, noisePct: 0, seed: 1))
        let oneAM = Self.midnight + 3600
        let samples = try await sim.simulate(storage: env.store.storage, from: Self.midnight, to: oneAM)
        _ = try await env.store.storage.uploads.appendTelemetry(samples, source: "simulator", directory: try await env.store.assetDirectory(),
                                                                 receivedAt: oneAM, sha256: "loop-2")
        // 2 h 7 min after the newest sample: stale under the default 30 min.
        let later = oneAM + 2 * 3600 + 7 * 60
        let planned = try await env.store.plannedSoC(at: Self.midnight + 3 * 3600)
        let r2 = try await env.runner().run(now: later)
        #expect(r2.socSource.hasPrefix("previous run's planned SoC (2); warnings: newest telemetry of bat0 is 127 min old"))
        #expect(r2.socSource.contains("older than telemetry_max_age_min 30"))
        for (k, b) in r2.plan.batteries.enumerated() {
            let start = Self.startSoC(b, env.site.batteries[k].battery)
            #expect(abs(start - Double(planned[b.id] ?? -1) / 1000) < 1e-3)
        }
        let runs = try await env.store.dispatchRuns()
        #expect(runs[0].message?.contains("warnings: newest telemetry of bat0 is 127 min old") == true)
        // The simulator starting at 03:00 takes the plan's SoC at the end of the 02:00 slot, not the
        // older 01:00 telemetry (the plant followed the plan meanwhile).
        let states = try await sim.startStates(storage: env.store.storage, from: Self.midnight + 3 * 3600)
        let slot2 = try await env.store.plannedSoC(batteryIDs: ["bat0"], from: Self.midnight + 2 * 3600, to: Self.midnight + 3 * 3600)
        #expect(states["bat0"]?.socWh == Double(slot2.first?.socWh ?? -1))
        let at1 = try await sim.startStates(storage: env.store.storage, from: oneAM)
        guard case .wh(let wh1)? = samples.first(where: { $0.batteryID == "bat0" })?.soc else { Issue.record("no sample"); return }
        #expect(at1["bat0"]?.socWh == Double(wh1))   // telemetry at 01:00 is as new as the plan's slot end
    }

    @Test func without_noise_the_plant_follows_the_plan_exactly_and_files_equal_the_store() async throws {
        let env = try await Self.env()
        defer { env.cleanup() }
        let r1 = try await env.runner().run(now: Self.t0)
        let end = Self.midnight + 24 * 3600
        let fromStore = try await PlantSimulator(site: env.site, options: .init(source: .storedSchedule))
            .simulate(storage: env.store.storage, from: Self.midnight, to: end)
        let fromFiles = try await PlantSimulator(site: env.site, options: .init(source: .outbox(env.dir + "/outbox")))
            .simulate(storage: env.store.storage, from: Self.midnight, to: end)
        #expect(fromStore.count == 48)
        // Setpoint files round powers to 1 W (≤ 0.5 Wh per 1-h slot), the store keeps W as planned.
        for (a, b) in zip(fromStore, fromFiles) {
            guard case .wh(let x) = a.soc, case .wh(let y) = b.soc else { continue }
            #expect(abs(x - y) <= 30 && a.measuredAt == b.measuredAt)
        }
        for b in r1.plan.batteries {
            let sim = fromStore.filter { $0.batteryID == b.id }
            for (t, s) in sim.enumerated() {
                guard case .wh(let wh) = s.soc else { continue }
                #expect(abs(Double(wh) - b.socKWh[t] * 1000) <= 2, "\(b.id) slot \(t)")
            }
        }
    }

    @Test(arguments: [0.0, 5, 30])
    func plant_keeps_its_limits_under_noise(noisePct: Double) throws {
        let cfg = BatteryConfig(id: "b", capacityKWh: 100, maxChargeKW: 40, maxDischargeKW: 30, chargeEfficiency: 0.9,
                                dischargeEfficiency: 0.92, socMinPct: 10, socMaxPct: 90)
        var rng = SplitMix64(seed: 42)
        // Setpoints beyond the power limits, long enough to hit both SoC limits.
        let sps = (0..<96).map { t in
            BatteryPlant.Setpoint(slotStart: Int64(t * 900), durationS: 900, powerKW: t % 48 < 24 ? -60 : 45)
        }
        var plant = BatteryPlant(battery: cfg, state: .init(socWh: 50_000), noisePct: noisePct)
        let out = plant.follow(sps, from: 0, to: 96 * 900, rng: &rng)
        #expect(out.count == 96)
        var prev = 50_000.0, charged = 0.0, discharged = 0.0
        for s in out {
            guard case .wh(let wh) = s.soc else { Issue.record("SoC not in Wh"); continue }
            #expect(wh >= 10_000 - 1 && wh <= 90_000 + 1)
            let w = try #require(s.powerW)
            #expect(w <= 30_000 && w >= -40_000)
            // Energy balance of the slot: ΔSoC = η_c · E_ch − E_dis / η_d (Wh rounding only).
            let e = Double(w) / 4
            let expected = e < 0 ? -e * 0.9 : -e / 0.92
            #expect(abs(Double(wh) - prev - expected) <= 1.5)
            prev = Double(wh)
            if e < 0 { charged -= e } else { discharged += e }
        }
        #expect(abs(Double(out.last?.chargedWh ?? 0) - charged) <= 15 && abs(Double(out.last?.dischargedWh ?? 0) - discharged) <= 15)
        // Both SoC limits were reached: the plant limited the setpoints.
        let socs = out.compactMap { s -> Int64? in if case .wh(let w) = s.soc { return w }; return nil }
        #expect((socs.max() ?? 0) >= 89_990 && (socs.min() ?? .max) <= 10_010)
    }

    @Test func simulated_csv_ingests_through_vpp_ingest() async throws {
        let env = try await Self.env()
        defer { env.cleanup() }
        _ = try await env.runner().run(now: Self.t0)
        let to = Self.midnight + 6 * 3600
        let samples = try await PlantSimulator(site: env.site, options: .init(noisePct: 10, seed: 3))
            .simulate(storage: env.store.storage, from: Self.midnight, to: to)
        let path = env.dir + "/telemetry.csv"
        try TelemetryCSV.csv(samples).write(toFile: path, atomically: true, encoding: .utf8)
        let store = env.store
        let clockStore = Storage(driver: store, clock: FixedWallClock(to), location: "test")
        let r = try await Ingestor(storage: clockStore).ingest(file: path, options: IngestOptions(kind: .telemetry, source: "simulator"))
        #expect(r.rowsOK == samples.count && r.rowsRejected == 0)
        let stored = try await store.telemetrySeries(batteryIDs: [], from: 0, to: to + 1)
        #expect(stored.count == samples.count)
        let bat1 = samples.filter { $0.batteryID == "bat1" }
        #expect(stored.filter { $0.batteryID == "bat1" }.map { TelemetrySoC.wh($0.socWh) } == bat1.map(\.soc))
        #expect(stored.filter { $0.batteryID == "bat1" }.map(\.powerW) == bat1.map(\.powerW))
    }
}
