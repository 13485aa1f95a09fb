import Testing
@testable import VPPBenchmarks
import VPPConfig
import VPPStoreSQLite
import VPPStore
import Foundation
import VPPCore
import VPPTestSupport
@testable import Dispatcher

func tempDir() throws -> String {
    let d = NSTemporaryDirectory() + "vpp-dispatch-test-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// A two-dong site with one battery each and a flat-ish TOU tariff.
func smallSite() -> SiteConfig {
    let tariff = TariffTable(name: "t", effectiveFrom: "2020-01-01", seasons: [TariffSeason(name: "all", months: Array(1...12))],
                             periods: [TariffPeriod(season: "all", period: .offPeak, hours: Array(0..<8) + [22, 23], rateKRWPerKWh: 90),
                                       TariffPeriod(season: "all", period: .mid, hours: [8, 9, 10, 12, 21], rateKRWPerKWh: 140),
                                       TariffPeriod(season: "all", period: .peak, hours: [11] + Array(13...20), rateKRWPerKWh: 160)])
    let dongs = (0..<2).map { k in
        DongConfig(code: "11410\(k)", nameKo: "동\(k)", name: "D\(k)", latitudeDeg: 37.57, longitudeDeg: 126.94, households: 10_000,
                   importLimitKW: 5000, exportLimitKW: 2000,
                   pvFleets: [PVFleetConfig(id: "pv\(k)", kind: .rooftop, units: 1, unitW: 300_000, tiltDeg: 30, azimuthDeg: 180)],
                   batteries: [BatteryConfig(id: "bat\(k)", capacityKWh: 400, maxChargeKW: 200, maxDischargeKW: 200)])
    }
    return SiteConfig(site: SiteInfo(id: "test", name: "Test", nameKo: "테스트"), dongs: dongs, tariffs: [tariff],
                      emissionFactors: [EmissionFactorEntry(year: 2023, label: "2023", tco2eqPerMWh: 0.4173)],
                      export: ExportPrice(flatKRWPerKWh: 80))
}

/// Synthetic series: load 200 kW flat plus an evening bump, PV a half-sine 6–18 h.
let syntheticSeries: @Sendable (Int64, SlotLength, Int) throws -> [(load: [Double], pv: [Double])] = { start, step, n in
    (0..<2).map { _ in
        var l: [Double] = [], p: [Double] = []
        for t in 0..<n {
            let h = Double(KSTDateTime(epochSeconds: start + Int64(t * step.seconds)).hour)
            l.append(200 + (h >= 18 && h < 22 ? 150 : 0)); p.append(max(0, 300 * sin((h - 6) / 12 * .pi)))
        }
        return (l, p)
    }
}

@Suite struct Lock {
    @Test func second_lock_is_refused_until_release() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/dispatch.lock"
        let a = try DispatchLock(path: path)
        #expect(throws: DispatchError.locked(path: path)) { _ = try DispatchLock(path: path) }
        #expect(DispatchError.locked(path: path).category == .temporary)
        a.release()
        let b = try DispatchLock(path: path)
        b.release()
    }
}

/// A store lock (as PostgreSQL's advisory locks): the names in `held` are taken by someone else.
final class NamedLocks: @unchecked Sendable {
    private let mutex = NSLock()
    private var held: Set<String>
    private(set) var asked: [String] = []
    /// The shared guard given with each request.
    private(set) var guards: [String?] = []
    init(held: Set<String>) { self.held = held }
    struct Held: HeldLock { let locks: NamedLocks, name: String; func release() async { locks.release(name) } }
    func tryLock(_ name: String, sharedGuard: String?) -> (any HeldLock)? {
        mutex.lock(); defer { mutex.unlock() }
        asked.append(name); guards.append(sharedGuard)
        guard held.insert(name).inserted else { return nil }
        return Held(locks: self, name: name)
    }
    func release(_ name: String) { mutex.lock(); held.remove(name); mutex.unlock() }
}

@Suite struct StoreLock {
    /// A city store holds many districts: a run of one district is refused while another run of
    /// it holds the store's lock (75, naming the lock), and a run of another district goes ahead.
    @Test func the_store_lock_is_per_site() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, sdir) = try TestStore.make()
        defer { TempDirectory.remove(sdir) }
        let locks = NamedLocks(held: ["dispatch test"])
        var storage = store.storage
        storage.tryExclusiveLock = { name, sharedGuard in locks.tryLock(name, sharedGuard: sharedGuard) }
        var o = DispatchRunner.Options(outbox: dir + "/outbox", lockPath: dir + "/lock")
        o.step = .hour; o.slots = 24
        let now = KSTDateTime(year: 2026, month: 7, day: 1).epochSeconds
        do {
            _ = try await DispatchRunner(builder: SiteProblemBuilder(site: smallSite()), storage: storage, options: o, series: syntheticSeries).run(now: now)
            Issue.record("a second run of site 'test' was not refused")
        } catch let e as DispatchError {
            #expect(e.category == .temporary)
            #expect("\(e)".contains("advisory lock 'dispatch test'"), "\(e)")
        }
        var other = smallSite()
        other.site = SiteInfo(id: "other", name: "Other", nameKo: "다른")
        let r = try await DispatchRunner(builder: SiteProblemBuilder(site: other), storage: storage, options: o, series: syntheticSeries).run(now: now)
        #expect(r.files.count == 2)
        #expect(locks.asked == ["dispatch test", "dispatch other"])
        // Each under the store-wide name an older vpp takes (PostgreSQL: in shared mode; tested in the conformance suite).
        #expect(locks.guards == ["dispatch", "dispatch"])
        // Released after the run: the next run of 'other' gets the lock again.
        _ = try await DispatchRunner(builder: SiteProblemBuilder(site: other), storage: storage, options: o, series: syntheticSeries).run(now: now + 3600)
        #expect(locks.asked.count == 3)
    }
}

@Suite struct Runs {
    @Test func run_writes_setpoints_atomically_and_records_history() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, sdir) = try TestStore.make()
        defer { TempDirectory.remove(sdir) }
        var o = DispatchRunner.Options(outbox: dir + "/outbox", lockPath: dir + "/lock")
        o.step = .hour; o.slots = 24
        let runner = DispatchRunner(builder: SiteProblemBuilder(site: smallSite()), storage: store.storage, options: o, series: syntheticSeries)
        let now = KSTDateTime(year: 2026, month: 7, day: 1, hour: 0, minute: 7).epochSeconds
        let r = try await runner.run(now: now)
        #expect(r.files.count == 2)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/outbox").sorted()
        #expect(files == ["bat0.json", "bat1.json"])   // no temp files left behind
        let f = try JSONDecoder().decode(SetpointWriter.File.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/outbox/bat0.json")))
        #expect(f.setpoints.count == 24)
        #expect(f.setpoints[0].slot_start_epoch == KSTDateTime(year: 2026, month: 7, day: 1).epochSeconds)
        let b0 = r.plan.batteries[0]
        #expect(abs(f.setpoints[19].kw - (b0.dischargeKW[19] - b0.chargeKW[19])) < 1e-3)
        // Evening peak: the battery discharges at 18–21 h.
        #expect(f.setpoints[18...20].reduce(0) { $0 + $1.kw } > 100)
        let runs = try await store.dispatchRuns()
        #expect(runs.count == 1 && runs[0].status == "ok" && runs[0].solveMs != nil && runs[0].objectiveValue != nil)

        // Second run picks up the planned SoC of the first.
        let r2 = try await runner.run(now: now + 3600)
        #expect(r2.socSource.hasPrefix("previous run's planned SoC (2); warnings: no telemetry for bat0"))
        await #expect(try store.dispatchRuns().count == 2)
    }

    @Test func failed_run_keeps_previous_setpoints_and_records_reason() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, sdir) = try TestStore.make()
        defer { TempDirectory.remove(sdir) }
        var o = DispatchRunner.Options(outbox: dir + "/outbox", lockPath: dir + "/lock")
        o.step = .hour; o.slots = 24
        let now = KSTDateTime(year: 2026, month: 7, day: 1).epochSeconds
        _ = try await DispatchRunner(builder: SiteProblemBuilder(site: smallSite()), storage: store.storage, options: o, series: syntheticSeries).run(now: now)
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/outbox/bat0.json"))
        // Load far above the import limit: infeasible.
        let bad: @Sendable (Int64, SlotLength, Int) throws -> [(load: [Double], pv: [Double])] = { _, _, n in
            (0..<2).map { _ in ([Double](repeating: 9000, count: n), [Double](repeating: 0, count: n)) }
        }
        let failing = DispatchRunner(builder: SiteProblemBuilder(site: smallSite()), storage: store.storage, options: o, series: bad)
        await #expect(throws: DispatchError.self) { try await failing.run(now: now + 3600) }
        let after = try Data(contentsOf: URL(fileURLWithPath: dir + "/outbox/bat0.json"))
        #expect(before == after)
        let runs = try await store.dispatchRuns()
        #expect(runs[0].status == "failed")
        #expect(runs[0].message?.contains("import_connection_limit") == true)
    }

    @Test func telemetry_soc_above_capacity_is_refused_naming_the_limit() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, sdir) = try TestStore.make()
        defer { TempDirectory.remove(sdir) }
        // 4,000 kWh on a 400 kWh battery: a Wh/kWh mix-up in the controller's export.
        try "battery_id,soc_kwh\nbat0,4000\nbat1,120\n".write(toFile: dir + "/soc.csv", atomically: true, encoding: .utf8)
        var o = DispatchRunner.Options(outbox: dir + "/outbox", lockPath: dir + "/lock", telemetryPath: dir + "/soc.csv")
        o.step = .hour; o.slots = 24
        let runner = DispatchRunner(builder: SiteProblemBuilder(site: smallSite()), storage: store.storage, options: o, series: syntheticSeries)
        await #expect(throws: DispatchError.invalidInput(
            "telemetry \(dir)/soc.csv: SoC 4000.0 kWh for bat0 exceeds its capacity_kwh 400.0 (a reading the battery cannot hold)")) {
            try await runner.run(now: KSTDateTime(year: 2026, month: 7, day: 1).epochSeconds)
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/outbox/bat0.json"))
    }

    @Test func run_is_refused_while_locked() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, sdir) = try TestStore.make()
        defer { TempDirectory.remove(sdir) }
        let o = DispatchRunner.Options(outbox: dir + "/outbox", lockPath: dir + "/lock")
        let held = try DispatchLock(path: dir + "/lock")
        defer { held.release() }
        let runner = DispatchRunner(builder: SiteProblemBuilder(site: smallSite()), storage: store.storage, options: o, series: syntheticSeries)
        await #expect(throws: DispatchError.locked(path: dir + "/lock")) { try await runner.run(now: 1_800_000_000) }
        #expect(try await store.dispatchRuns().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir + "/outbox"))
    }

    @Test func telemetry_csv_and_json() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "battery_id,soc_kwh\nbat0,120.5\nbat1,80\n".write(toFile: dir + "/t.csv", atomically: true, encoding: .utf8)
        #expect(try SoCTelemetry.read(dir + "/t.csv") == ["bat0": 120.5, "bat1": 80])
        try "{\"bat0\": 10}".write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
        #expect(try SoCTelemetry.read(dir + "/t.json") == ["bat0": 10])
        try "bat0,abc\nbat1,1\n".write(toFile: dir + "/bad.csv", atomically: true, encoding: .utf8)
        try "x,1\nbat0,abc\n".write(toFile: dir + "/bad2.csv", atomically: true, encoding: .utf8)
        #expect(throws: DispatchError.invalidInput("\(dir)/bad2.csv:2:2: 'abc' is not a number")) { try SoCTelemetry.read(dir + "/bad2.csv") }
    }
}

@Suite struct RealData {
    @Test func seodaemun_48h_plan_beats_rule_based() throws {
        guard Paths.hasSharedData, FileManager.default.fileExists(atPath: Paths.seodaemunConfig.path) else { return }
        let site = try SiteConfigParser().parse(fileAt: Paths.seodaemunConfig.path)
        let prof = try RecordedProfiles.load(dataDir: Paths.sharedData.path)
        let b = SiteProblemBuilder(site: site)
        let start = KSTDateTime(year: 2026, month: 7, day: 6).epochSeconds
        let p = try b.problem(start: start, step: .quarterHour, slots: 192,
                              series: b.recordedSeries(prof, start: start, step: .quarterHour, slots: 192, pvYear: 2019))
        #expect(p.dongs.count == 14 && p.batteryCount >= 14)
        let plan = try DispatchModel.solve(p)
        #expect(PlanChecker.check(p, plan).isEmpty)
        let rule = Evaluation.breakdown(p, Evaluation.ruleBased(p))
        let none = Evaluation.breakdown(p, Evaluation.noBattery(p))
        #expect(plan.breakdown.totalCostKRW <= rule.totalCostKRW + 1e-6)
        #expect(plan.breakdown.totalCostKRW <= none.totalCostKRW + 1e-6)
        // PV profile is real: daytime output, nothing at night.
        #expect(p.dongs[0].pvKW[0] == 0 && (p.dongs[0].pvKW.max() ?? 0) > 0)
    }
}

@Suite struct ReserveWindows {
    @Test func heat_wave_window_raises_reserve_only_inside() throws {
        var b = SiteProblemBuilder(site: smallSite())
        b.reserveWindows = [try .init(text: "2026-07-01T12:00/2026-07-01T20:00=60")]
        let start = KSTDateTime(year: 2026, month: 7, day: 1).epochSeconds
        let p = try b.problem(start: start, step: .hour, slots: 24, series: try syntheticSeries(start, .hour, 24))
        let bt = p.dongs[0].batteries[0]
        #expect(bt.reserve(11) == 80)            // config reserve 20 % of 400 kWh
        #expect(bt.reserve(12) == 240 && bt.reserve(19) == 240)
        #expect(bt.reserve(20) == 80)
        let plan = try DispatchModel.solve(p)
        for t in 12..<20 { #expect(plan.batteries[0].socKWh[t] >= 240 - 1e-6) }
        #expect(throws: DispatchError.self) { try SiteProblemBuilder.ReserveWindow(text: "2026-07-01T12:00=60") }
    }
}
