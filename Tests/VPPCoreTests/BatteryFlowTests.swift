import Foundation
import Testing
@testable import Tracking
import VPPCore
import VPPStore
import VPPStoreSQLite
import VPPTestSupport

/// Battery flows in the report (issue 12 item 3): measured from telemetry where it covers the
/// hour, planned otherwise; plan vs actual per battery. Figures computed by hand below.
@Suite struct BatteryFlows {
    static let ten = KSTDateTime(year: 2024, month: 7, day: 1, hour: 10).epochSeconds

    static func point(_ min: Int64, soc: Int64, kw: Double, charged: Int64? = nil, discharged: Int64? = nil) -> TelemetryPoint {
        TelemetryPoint(batteryID: "ess-0", measuredAt: ten + min * 60, socWh: soc, powerW: Int64(kw * 1000),
                       chargedWh: charged, dischargedWh: discharged, uploadID: 1)
    }

    /// 10:00–11:00: two 15-min slots charging at 40 kW (2 × 10 kWh), two discharging at 20 kW
    /// (2 × 5 kWh); then a 2-hour gap, which covers nothing.
    static let samples = [
        point(0, soc: 50_000, kw: 0), point(15, soc: 59_500, kw: -40), point(30, soc: 69_000, kw: -40),
        point(45, soc: 63_737, kw: 20), point(60, soc: 58_474, kw: 20), point(180, soc: 58_474, kw: 10),
    ]

    @Test func measured_energy_per_hour_from_power_and_from_counters() {
        let m = BatteryFlowAccounting.measured(Self.samples)
        let h10 = m[Self.ten]
        #expect(h10?.charge == 20_000 && h10?.discharge == 10_000 && h10?.coveredS == 3600)
        #expect(m[Self.ten + 3600] == nil && m[Self.ten + 7200] == nil)   // the 2-h gap covers nothing
        // Counters on both ends win over power: 7 kWh charged, 1 kWh discharged over 10:00–10:30,
        // split 15/30 and 15/30 across 10:00–10:15 | 10:15–10:30 (both in hour 10).
        let c = BatteryFlowAccounting.measured([Self.point(0, soc: 0, kw: 0, charged: 100_000, discharged: 50_000),
                                                Self.point(30, soc: 0, kw: -99, charged: 107_000, discharged: 51_000)])
        #expect(c[Self.ten]?.charge == 7000 && c[Self.ten]?.discharge == 1000 && c[Self.ten]?.coveredS == 1800)
        // An interval across an hour boundary is split by time: 10:45–11:15 at −20 kW = 10 kWh, 5 + 5.
        let x = BatteryFlowAccounting.measured([Self.point(45, soc: 0, kw: 0), Self.point(75, soc: 0, kw: -20)])
        #expect(x[Self.ten]?.charge == 5000 && x[Self.ten + 3600]?.charge == 5000)
    }

    static let slots = [
        ScheduleSlot(batteryID: "ess-0", slotStart: ten, durationS: 900, chargeW: 40_000, dischargeW: 0, socWh: 59_500),
        ScheduleSlot(batteryID: "ess-0", slotStart: ten + 900, durationS: 900, chargeW: 40_000, dischargeW: 0, socWh: 69_000),
        ScheduleSlot(batteryID: "ess-0", slotStart: ten + 1800, durationS: 900, chargeW: 0, dischargeW: 20_000, socWh: 63_000),
        ScheduleSlot(batteryID: "ess-0", slotStart: ten + 2700, durationS: 900, chargeW: 0, dischargeW: 30_000, socWh: 55_000),
    ]

    @Test func planned_energy_and_soc_between_slot_ends() {
        let p = BatteryFlowAccounting.planned(Self.slots)
        #expect(p[Self.ten]?.charge == 20_000 && p[Self.ten]?.discharge == 12_500)
        #expect(BatteryFlowAccounting.plannedSoC(at: Self.ten + 900, Self.slots) == 59_500)
        // Halfway between the 10:45 (63,000 Wh) and 11:00 (55,000 Wh) slot ends.
        #expect(BatteryFlowAccounting.plannedSoC(at: Self.ten + 3150, Self.slots) == 59_000)
        #expect(BatteryFlowAccounting.plannedSoC(at: Self.ten, Self.slots) == nil)
    }

    @Test func report_uses_measured_flows_where_telemetry_covers_and_planned_elsewhere() async throws {
        let (store, dir) = try TestStore.make(clock: FixedWallClock(KSTDateTime(year: 2024, month: 7, day: 2)))
        defer { TempDirectory.remove(dir) }
        let site = SiteBuilder.tiny(dongs: 1)
        _ = try await store.loadSite(site)
        let dong = site.dongs[0].code
        // Rollups for 10:00 and 12:00 (consumption only).
        try await store.replaceRollups([(dong, HourlyRollup(hourStart: Self.ten, consumptionWh: 80_000)),
                                        (dong, HourlyRollup(hourStart: Self.ten + 7200, consumptionWh: 80_000))])
        // The plan: hour 10 as above; hour 12 charging 10 kW for one hour.
        let run = try await store.startDispatchRun(startedAt: Self.ten - 600, objective: "cost", horizonSeconds: 10_800, stepSeconds: 900)
        let rows = (Self.slots + [ScheduleSlot(batteryID: "ess-0", slotStart: Self.ten + 7200, durationS: 3600, chargeW: 10_000,
                                               dischargeW: 0, socWh: 64_500)]).map {
            ScheduleRow(batteryID: $0.batteryID, slotStart: $0.slotStart, durationSeconds: $0.durationS, chargeW: $0.chargeW,
                        dischargeW: $0.dischargeW, socWh: $0.socWh)
        }
        try await store.finishDispatchRun(id: run, finishedAt: Self.ten - 590, status: "ok", objectiveValue: 0, breakdownJSON: "{}",
                                          solveMs: 1, message: nil, schedule: rows)
        let samples = Self.samples.dropLast().map {
            TelemetrySample(batteryID: $0.batteryID, measuredAt: $0.measuredAt, soc: .wh($0.socWh), powerW: $0.powerW)
        }
        let r = try await store.storage.uploads.appendTelemetry(samples, source: "test", directory: try await store.assetDirectory(),
                                                                 receivedAt: store.clock.now(), sha256: "flows")
        #expect(r.accepted == 5)

        // Coverage threshold 0: two metered hours of 24 still give the day's totals (no gap).
        let report = try await TrackingReportBuilder.build(storage: store.storage, period: try ReportPeriod.parse("2024-07-01..2024-07-01"),
                                                           options: TrackingOptions(coverageThresholdPct: 0))
        let section = try #require(report.batteryFlows)
        let b = try #require(section.batteries.first)
        #expect(b.measuredHours == 1 && b.plannedHours == 1)
        #expect(b.measuredChargeKWh == 20 && b.measuredDischargeKWh == 10)
        #expect(b.plannedChargeInMeasuredHoursKWh == 20 && b.plannedDischargeInMeasuredHoursKWh == 12.5)
        #expect(b.plannedChargeKWh == 30 && b.plannedDischargeKWh == 12.5)
        // SoC deviation at 10:15, 10:30, 10:45, 11:00: 0, 0, 737, 3,474 Wh of 100 kWh → mean 1.05275 %.
        #expect(abs((b.meanAbsSoCDeviationPct ?? -1) - 1.05275) < 1e-9)
        #expect(b.lastMeasuredSoCKWh == 58.474 && b.plannedSoCAtLastMeasurementKWh == 55)
        #expect(section.explanation.contains("1 battery-hours MEASURED") && section.explanation.contains("1 battery-hours PLANNED"))
        // The day's storage flows: measured 20 / 10 kWh in hour 10 plus planned 10 kWh charge in hour 12.
        let day = try #require(report.summary.last)
        #expect(day.chargedKWh == 30 && day.dischargedKWh == 10)
        #expect(TrackingReportRenderer(report).json().contains("\"battery_plan_vs_actual\""))
    }
}
