import Testing
import Foundation
import VPPCore
import VPPStore
import VPPStoreSQLite
import VPPConfig
import VPPTestSupport
import Dispatcher
@testable import Resilience

/// Issue 17's 'Done when' cases: one shelter with 30 kW critical load and 4 h / 8 h requirements on
/// a 400 kWh battery, an advisory alert tomorrow 12:00–20:00 KST, and an 8 h × 200 kW requirement
/// the battery cannot hold.
enum ShelterFixture {
    /// "Today" for the tests (injected, not the wall clock): 2026-08-02 00:00 KST.
    static let today = KSTDateTime(year: 2026, month: 8, day: 2)
    static let tomorrowNoon = KSTDateTime(year: 2026, month: 8, day: 3, hour: 12).epochSeconds
    static let tomorrow20 = KSTDateTime(year: 2026, month: 8, day: 3, hour: 20).epochSeconds

    static func site(loadKW: Double = 30, hours: [AlertLevel: Double] = [.none: 0, .advisory: 4, .warning: 8]) -> SiteConfig {
        var s = smallSite()
        s.site.alertAreas = ["서울서북권", "서울"]
        s.dongs = [s.dongs[0]]
        s.dongs[0].batteries = [BatteryConfig(id: "bat0", capacityKWh: 400, maxChargeKW: 200, maxDischargeKW: 200, chargeEfficiency: 0.95,
                                              dischargeEfficiency: 0.95, socMinPct: 5, socMaxPct: 95, reservePct: 5, initialSocPct: 20,
                                              terminalSocPct: 20, cyclingCostKRWPerKWh: 5)]
        s.dongs[0].shelters = [ShelterConfig(id: "centre", name: "주민센터 무더위쉼터", criticalLoadKW: loadKW, batteryIDs: ["bat0"],
                                             backupHours: hours, leadTimeH: 3)]
        return s
    }

    static func alert(_ level: AlertLevel, area: String = "테스트") -> WeatherAlert {
        WeatherAlert(area: area, kind: "heat", level: level, fromEpoch: tomorrowNoon, toEpoch: tomorrow20, source: "test")
    }

    /// Two days of 15-minute slots from today 00:00 KST, with the synthetic load and PV.
    static func base(_ site: SiteConfig) throws -> DispatchProblem {
        let n = 192, step = SlotLength.quarterHour
        let series = try syntheticSeries(today.epochSeconds, step, n)
        return try SiteProblemBuilder(site: site).problem(start: today.epochSeconds, step: step, slots: n, series: [series[0]])
    }
}

@Suite struct ShelterReserveTests {
    @Test func advisory_tomorrow_holds_30kW_for_4h_from_the_lead_time_through_the_window() throws {
        let site = ShelterFixture.site()
        let alerts = [ShelterFixture.alert(.advisory)]
        let p0 = try ShelterFixture.base(site)
        let reqs = ShelterReserve.requirements(site: site, alerts: alerts, start: p0.startEpoch, step: p0.step, slots: p0.slotCount)
        let r = try ShelterPlanner(requirements: reqs).solve(p0)
        #expect(r.errors.isEmpty && !r.fallback && r.shortfalls.isEmpty)

        let bat = site.dongs[0].batteries[0]
        let need = 30.0 * 4 / bat.dischargeEfficiency            // kWh stored above the minimum
        let socMin = bat.capacityKWh * bat.socMinPct / 100
        let leadStart = ShelterFixture.tomorrowNoon - 3 * 3600
        var bound = 0
        for t in 0..<p0.slotCount {
            let end = p0.slots[t].start + Int64(p0.step.seconds)
            let soc = r.plan.batteries[0].socKWh[t]
            if end >= leadStart && end <= ShelterFixture.tomorrow20 {
                bound += 1
                #expect(soc >= socMin + need - 1e-4, "slot ending \(KSTDateTime(epochSeconds: end)): SoC \(soc) < \(socMin + need)")
                #expect(abs(r.reserveKWh(battery: "bat0", slot: t) - (socMin + need)) < 1e-9)
                #expect(reqs[0].level[t] == .advisory)
            } else {
                #expect(reqs[0].level[t] == AlertLevel.none)
                #expect(r.reserveKWh(battery: "bat0", slot: t) < socMin + need)
            }
        }
        // 09:00 through 20:00 tomorrow, end instants inclusive, every 15 minutes.
        #expect(bound == 11 * 4 + 1)
        // The reserve has a price: the same problem without it is cheaper, and the report says by how much.
        let without = try #require(r.objectiveWithoutReserve)
        let cost = try #require(r.reserveCost)
        // Without the reserve the plan would have dipped below it in the window: the reserve binds.
        let free = try #require(r.planWithoutReserve)
        #expect((0..<p0.slotCount).contains { t in
            let end = p0.slots[t].start + Int64(p0.step.seconds)
            return end >= leadStart && end <= ShelterFixture.tomorrow20 && free.batteries[0].socKWh[t] < socMin + need - 1e-3
        })
        #expect(without <= r.plan.objective + 1e-6)
        #expect(abs(cost - (r.plan.objective - without)) < 1e-9 && cost >= -1e-6)
        // Without the alert nothing is held and the plan equals the no-reserve plan.
        let none = try ShelterPlanner(requirements: ShelterReserve.requirements(site: site, alerts: [], start: p0.startEpoch, step: p0.step,
                                                                               slots: p0.slotCount)).solve(p0)
        #expect(abs(none.plan.objective - without) < 1e-6)
    }

    @Test func an_alert_for_another_area_raises_nothing_and_a_warning_needs_8h() throws {
        let site = ShelterFixture.site()
        let p0 = try ShelterFixture.base(site)
        let other = ShelterReserve.requirements(site: site, alerts: [ShelterFixture.alert(.warning, area: "부산")], start: p0.startEpoch,
                                                step: p0.step, slots: p0.slotCount)
        #expect(other[0].heldKWh["bat0"]?.allSatisfy { $0 == 0 } == true)
        let warn = ShelterReserve.requirements(site: site, alerts: [ShelterFixture.alert(.warning, area: "서울서북권")], start: p0.startEpoch,
                                               step: p0.step, slots: p0.slotCount)
        #expect(abs((warn[0].heldKWh["bat0"]?.max() ?? 0) - 30 * 8 / 0.95) < 1e-9)
    }

    @Test func lead_time_is_configurable() throws {
        var site = ShelterFixture.site()
        site.dongs[0].shelters[0].leadTimeH = 6
        let p0 = try ShelterFixture.base(site)
        let reqs = ShelterReserve.requirements(site: site, alerts: [ShelterFixture.alert(.advisory)], start: p0.startEpoch, step: p0.step,
                                               slots: p0.slotCount)
        let first = try #require(reqs[0].level.firstIndex(of: .advisory))
        #expect(p0.slots[first].start + Int64(p0.step.seconds) == ShelterFixture.tomorrowNoon - 6 * 3600)
    }

    @Test func eight_hours_of_200kW_on_400kWh_is_a_typed_error_and_a_recorded_fallback() async throws {
        let site = ShelterFixture.site(loadKW: 200)
        let p0 = try ShelterFixture.base(site)
        let reqs = ShelterReserve.requirements(site: site, alerts: [ShelterFixture.alert(.warning)], start: p0.startEpoch, step: p0.step,
                                               slots: p0.slotCount)
        var strict = ShelterPlanner(requirements: reqs)
        strict.allowFallback = false
        let firstBound = try #require(reqs[0].level.firstIndex(of: .warning))
        do {
            _ = try strict.solve(p0)
            Issue.record("an unholdable reserve must not give a plan")
        } catch let e as ResilienceError {
            guard case let .reserveInfeasible(shelter, slot, reason, required, achievable) = e else { Issue.record("wrong error \(e)"); return }
            #expect(shelter == "centre")
            #expect(slot == p0.slots[firstBound].start)
            #expect(reason == .capacity)
            #expect(abs(required - (20 + 200 * 8 / 0.95)) < 1e-6 && abs(achievable - 380) < 1e-9)
            #expect(e.category == .badData)
            #expect(e.description.contains("centre") && e.description.contains("KST"))
        }
        // With the fallback: the best achievable reserve (full to SoC max through the window), the error and the short slots kept.
        let r = try ShelterPlanner(requirements: reqs).solve(p0)
        #expect(r.fallback)
        #expect(r.errors.count == 1)
        #expect(!r.shortfalls.isEmpty && r.shortfalls.allSatisfy { $0.shelterID == "centre" && $0.reason == "capacity" })
        #expect(r.shortfalls.count == reqs[0].level.filter { $0 == .warning }.count)
        for t in 0..<p0.slotCount where reqs[0].level[t] == .warning {
            #expect(r.plan.batteries[0].socKWh[t] >= 380 - 1e-4)
        }
        let (store, dir) = try TestStore.make(clock: FixedWallClock(ShelterFixture.today))
        defer { TempDirectory.remove(dir) }
        try await store.recordShelterOutcome(r.outcome(runID: nil, recordedAt: ShelterFixture.today.epochSeconds))
        let back = try #require(try await store.latestShelterOutcome())
        #expect(back.fallback && back.shortfalls == r.shortfalls && back.note.contains("centre"))
    }

    @Test func charging_power_limits_are_named() throws {
        var site = ShelterFixture.site()
        site.dongs[0].batteries[0].maxChargeKW = 5
        let p0 = try ShelterFixture.base(site)
        var p = p0
        p.startEpoch = ShelterFixture.tomorrowNoon - 4 * 3600   // 08:00 tomorrow: one hour before the lead time
        let reqs = ShelterReserve.requirements(site: site, alerts: [ShelterFixture.alert(.advisory)], start: p.startEpoch, step: p.step,
                                               slots: p.slotCount)
        var strict = ShelterPlanner(requirements: reqs)
        strict.allowFallback = false
        #expect {
            _ = try strict.solve(p)
        } throws: { e in
            guard case let .reserveInfeasible(_, _, reason, _, _)? = e as? ResilienceError else { return false }
            return reason == .chargingPower
        }
    }
}

extension ShelterReserveTests {
    /// Import capped at the net load: the batteries could hold the reserve and charge fast enough,
    /// but neither the grid nor PV has anything left to charge them with — the LP's diagnosis names
    /// the reserve, the reason is import and PV, and the fallback holds the largest achievable share
    /// (the starting 80 kWh: scale (80 − 20) / 126.3).
    @Test func import_and_pv_limits_are_named_and_the_fallback_scales_down() throws {
        let site = ShelterFixture.site()
        var p = try ShelterFixture.base(site)
        // Net load (load − PV) equals the import limit in every slot: no headroom to charge, no PV surplus.
        p.dongs[0].loadKW = p.dongs[0].pvKW.map { $0 + 200 }
        p.dongs[0].importLimitKW = 200
        let reqs = ShelterReserve.requirements(site: site, alerts: [ShelterFixture.alert(.advisory)], start: p.startEpoch, step: p.step,
                                               slots: p.slotCount)
        var strict = ShelterPlanner(requirements: reqs)
        strict.allowFallback = false
        #expect {
            _ = try strict.solve(p)
        } throws: { e in
            guard case let .reserveInfeasible(shelter, _, reason, _, _)? = e as? ResilienceError else { return false }
            return shelter == "centre" && reason == .importAndPV
        }
        let r = try ShelterPlanner(requirements: reqs).solve(p)
        #expect(r.fallback && abs(r.fallbackScale - (80 - 20) / (30 * 4 / 0.95)) < 1e-3)
        #expect(!r.shortfalls.isEmpty && r.shortfalls.allSatisfy { $0.reason == "import_and_pv" })
        // The plan keeps every floor it was solved with (the plan checker passed inside solve).
        for t in 0..<p.slotCount { #expect(r.plan.batteries[0].socKWh[t] >= r.reserveKWh(battery: "bat0", slot: t) - 1e-4) }
    }
}

@Suite struct ShelterOutageDrill {
    @Test func drill_reports_hours_powered_against_the_requirement() throws {
        let site = ShelterFixture.site()
        let bat = site.dongs[0].batteries[0]
        let start = ShelterFixture.tomorrowNoon
        let soc0 = 200.0
        let expected = (soc0 - bat.capacityKWh * bat.socMinPct / 100) * bat.dischargeEfficiency / 30
        let warn = try OutageDrill.run(site: site, dong: site.dongs[0].code, from: start, hours: 8, level: .warning,
                                       initialSoCKWh: ["bat0": soc0])
        #expect(warn.count == 1)
        #expect(abs(warn[0].poweredHours - expected) < 1e-6)
        #expect(!warn[0].met && warn[0].requiredHours == 8)
        let adv = try OutageDrill.run(site: site, dong: site.dongs[0].code, from: start, hours: 4, level: .advisory,
                                      initialSoCKWh: ["bat0": soc0])
        #expect(adv[0].met && adv[0].poweredHours == 4)
        #expect(abs(adv[0].remainingHoursAtEnd - (expected - 4)) < 1e-6)
        // PV that the inverter can use islanded stretches it: 30 kW of PV for the first 4 h carries the load.
        let pv = [Double](repeating: 30, count: 16)
        let sunny = try OutageDrill.run(site: site, dong: site.dongs[0].code, from: start, hours: 8, level: .warning,
                                        initialSoCKWh: ["bat0": soc0], pvKW: pv)
        #expect(sunny[0].poweredHours == 8 && sunny[0].met)
        #expect(throws: ResilienceError.unknownDong("nope")) { _ = try OutageDrill.run(site: site, dong: "nope", from: start, hours: 1, level: .none) }
    }
}

@Suite struct ShelterMPCRun {
    @Test func scheduled_run_holds_the_reserve_and_records_a_fallback() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, sdir) = try TestStore.make(clock: FixedWallClock(ShelterFixture.today))
        defer { TempDirectory.remove(sdir) }
        var o = DispatchRunner.Options(outbox: dir + "/outbox", lockPath: dir + "/lock")
        o.step = .quarterHour; o.slots = 192
        let oneDong: @Sendable (Int64, SlotLength, Int) throws -> [(load: [Double], pv: [Double])] = { s, st, n in [try syntheticSeries(s, st, n)[0]] }
        _ = try await store.putAlerts([ShelterFixture.alert(.advisory)], importedAt: 0)
        func runner(_ site: SiteConfig) -> DispatchRunner {
            var r = DispatchRunner(builder: SiteProblemBuilder(site: site), storage: store.storage, options: o, series: oneDong)
            r.planner = ShelterRunHook.planner(site: site, alerts: { a, b in try await store.alerts(from: a, to: b) }, record: store,
                                               now: { ShelterFixture.today.epochSeconds }, maxSeconds: 30)
            return r
        }
        // Holdable: every slot from 09:00 to 20:00 tomorrow keeps 30 kW × 4 h / η_d above SoC min; the run says so.
        let ok = try await runner(ShelterFixture.site()).run(now: ShelterFixture.today.epochSeconds)
        let start = ok.plan.startEpoch
        let floor: Double = 20 + 30.0 * 4 / 0.95 - 1e-4
        for t in 0..<ok.plan.slotCount {
            let end = start + Int64((t + 1) * 900)
            if end >= ShelterFixture.tomorrowNoon - 3 * 3600 && end <= ShelterFixture.tomorrow20 {
                #expect(ok.plan.batteries[0].socKWh[t] >= floor)
            }
        }
        #expect(try await store.dispatchRuns()[0].message?.contains("shelter reserve held in every slot") == true)
        // Not holdable (200 kW × 4 h on 400 kWh): the run still succeeds on the best achievable reserve, and says and records why.
        let big = try await runner(ShelterFixture.site(loadKW: 200)).run(now: ShelterFixture.today.epochSeconds + 900)
        #expect(big.plan.slotCount == 192)
        let runs = try await store.dispatchRuns()
        #expect(runs[0].status == "ok" && runs[0].message?.contains("fallback") == true && runs[0].message?.contains("capacity") == true)
        let outcome = try #require(try await store.latestShelterOutcome())
        #expect(outcome.fallback && outcome.runID == runs[0].id && !outcome.shortfalls.isEmpty)
    }
}
