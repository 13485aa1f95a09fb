import VPPCore
import VPPStore

/// Battery flows for the report (issue 12 item 3): per battery and hour, MEASURED from
/// telemetry where it covers the hour, else PLANNED (the newest dispatch plan for each slot),
/// labelled; and plan vs actual per battery over the period.
///
/// Telemetry energy of a battery: each sample's power is read as the mean power over the
/// interval since the battery's previous sample (what the plant simulator reports; for a
/// battery that reports instantaneous power it is the usual sample-and-hold approximation).
/// Where both samples carry the cumulative counters, the counter differences are used instead,
/// spread over the interval in proportion to time. Intervals longer than `maxGapS` are gaps.
/// An hour is "measured" when its covered seconds reach the report's coverage threshold.
public struct BatteryFlowSection: Sendable, Equatable {
    public struct Battery: Sendable, Equatable {
        public var batteryID: String
        public var dongCode: String
        public var capacityKWh: Double
        /// Over the period [kWh]: planned from the schedule (every planned hour).
        public var plannedChargeKWh: Double
        public var plannedDischargeKWh: Double
        /// Over the hours telemetry covers [kWh]: measured, and planned for the same hours.
        public var measuredChargeKWh: Double
        public var measuredDischargeKWh: Double
        public var plannedChargeInMeasuredHoursKWh: Double
        public var plannedDischargeInMeasuredHoursKWh: Double
        /// Hours of the period whose flows the accounting took from telemetry / from the plan.
        public var measuredHours: Int
        public var plannedHours: Int
        /// Mean |measured − planned| SoC over the telemetry samples the plan covers [% of capacity].
        public var meanAbsSoCDeviationPct: Double?
        /// Last telemetry SoC in the period and the plan's SoC at that instant [kWh].
        public var lastMeasuredSoCKWh: Double?
        public var plannedSoCAtLastMeasurementKWh: Double?
    }
    public var batteries: [Battery]
    public var explanation: String
}

/// Builds the flows and the section (TrackingReportBuilder calls `apply`).
public struct BatteryFlowAccounting: Sendable {
    /// A gap between two samples longer than this is not covered [s].
    public static let maxGapS: Int64 = 3600

    public var dongs: [DongConfig]
    /// Hourly coverage needed to count an hour as measured [0–1].
    public var threshold: Double

    public init(dongs: [DongConfig], threshold: Double) { self.dongs = dongs; self.threshold = threshold }

    struct Hour { var charge = 0.0, discharge = 0.0, coveredS = 0.0 }

    /// Measured charge/discharge [Wh] and covered seconds per hour start, of one battery's samples (time order).
    static func measured(_ pts: [TelemetryPoint]) -> [Int64: Hour] {
        var out: [Int64: Hour] = [:]
        guard pts.count >= 2 else { return out }
        for i in 1..<pts.count {
            let a = pts[i - 1], b = pts[i]
            let len = b.measuredAt - a.measuredAt
            guard len > 0, len <= maxGapS else { continue }
            var ch: Double, dis: Double
            if let c0 = a.chargedWh, let c1 = b.chargedWh, let d0 = a.dischargedWh, let d1 = b.dischargedWh, c1 >= c0, d1 >= d0 {
                ch = Double(c1 - c0); dis = Double(d1 - d0)
            } else if let p = b.powerW {
                let e = Double(p) * Double(len) / 3600
                ch = max(0, -e); dis = max(0, e)
            } else {
                continue  // SoC only (no power, no counters): the interval's flow was not measured
            }
            // Spread over the hours the interval (a, b] overlaps.
            var t = a.measuredAt
            while t < b.measuredAt {
                let h = t.floorDiv(3600) * 3600
                let end = min(b.measuredAt, h + 3600)
                let share = Double(end - t) / Double(len)
                out[h, default: Hour()].charge += ch * share
                out[h, default: Hour()].discharge += dis * share
                out[h, default: Hour()].coveredS += Double(end - t)
                t = end
            }
        }
        return out
    }

    /// Planned charge/discharge [Wh] per hour start from schedule slots (newest plan per slot).
    static func planned(_ slots: [ScheduleSlot]) -> [Int64: Hour] {
        var out: [Int64: Hour] = [:]
        for s in slots {
            var t = s.slotStart
            let end = s.slotStart + Int64(s.durationS)
            while t < end {
                let h = t.floorDiv(3600) * 3600
                let e = min(end, h + 3600)
                out[h, default: Hour()].charge += s.chargeW * Double(e - t) / 3600
                out[h, default: Hour()].discharge += s.dischargeW * Double(e - t) / 3600
                out[h, default: Hour()].coveredS += Double(e - t)
                t = e
            }
        }
        return out
    }

    /// Planned SoC at instant `t` [Wh]: linear between the plan's end-of-slot SoCs; nil outside.
    static func plannedSoC(at t: Int64, _ slots: [ScheduleSlot]) -> Double? {
        // Slot ends in time order with their SoC.
        let ends = slots.map { (t: $0.slotStart + Int64($0.durationS), soc: Double($0.socWh)) }
        guard let first = ends.first, let last = ends.last, t >= first.t, t <= last.t else { return nil }
        var lo = 0, hi = ends.count - 1
        while hi - lo > 1 { let m = (lo + hi) / 2; if ends[m].t <= t { lo = m } else { hi = m } }
        if ends[lo].t == t || lo == hi { return ends[lo].soc }
        let a = ends[lo], b = ends[hi]
        return a.soc + (b.soc - a.soc) * Double(t - a.t) / Double(b.t - a.t)
    }

    /// Replaces each dong-hour's charge/discharge in `rollups` [start, end) with the sum over its
    /// batteries of measured (telemetry-covered hours) or planned flows; a battery-hour with
    /// neither keeps the rollup's own value. Returns the new rollups and the section.
    public func apply(rollups: [String: [HourlyRollup]], telemetry: any TelemetryStore, start: Int64, end: Int64) async throws
        -> (rollups: [String: [HourlyRollup]], section: BatteryFlowSection?) {
        let batteries = dongs.flatMap { d in d.batteries.map { (dong: d.code, battery: $0) } }
        guard !batteries.isEmpty else { return (rollups, nil) }
        let ids = batteries.map(\.battery.id)
        // One sample before the window, so the first interval inside it is known.
        let samples = try await telemetry.telemetrySeries(batteryIDs: ids, from: start - Self.maxGapS, to: end + 1)
        let slots = try await telemetry.plannedSlots(batteryIDs: ids, from: start, to: end)
        var out = rollups
        var rows: [BatteryFlowSection.Battery] = []
        var flowByDongHour: [String: [Int64: (charge: Double, discharge: Double)]] = [:]
        for (dong, b) in batteries {
            let pts = samples.filter { $0.batteryID == b.id }
            let mySlots = slots.filter { $0.batteryID == b.id }
            let meas = Self.measured(pts), plan = Self.planned(mySlots)
            var row = BatteryFlowSection.Battery(
                batteryID: b.id, dongCode: dong, capacityKWh: b.capacityKWh, plannedChargeKWh: 0, plannedDischargeKWh: 0,
                measuredChargeKWh: 0, measuredDischargeKWh: 0, plannedChargeInMeasuredHoursKWh: 0,
                plannedDischargeInMeasuredHoursKWh: 0, measuredHours: 0, plannedHours: 0)
            var h = start.floorDiv(3600) * 3600
            while h < end {
                let p = plan[h]
                if let p { row.plannedChargeKWh += p.charge / 1000; row.plannedDischargeKWh += p.discharge / 1000 }
                if let m = meas[h], m.coveredS >= 3600 * threshold {
                    row.measuredHours += 1
                    row.measuredChargeKWh += m.charge / 1000; row.measuredDischargeKWh += m.discharge / 1000
                    row.plannedChargeInMeasuredHoursKWh += (p?.charge ?? 0) / 1000
                    row.plannedDischargeInMeasuredHoursKWh += (p?.discharge ?? 0) / 1000
                    flowByDongHour[dong, default: [:]][h, default: (0, 0)].charge += m.charge
                    flowByDongHour[dong, default: [:]][h, default: (0, 0)].discharge += m.discharge
                } else if let p {
                    row.plannedHours += 1
                    flowByDongHour[dong, default: [:]][h, default: (0, 0)].charge += p.charge
                    flowByDongHour[dong, default: [:]][h, default: (0, 0)].discharge += p.discharge
                }
                h += 3600
            }
            let inWindow = pts.filter { $0.measuredAt >= start && $0.measuredAt < end }
            let devs = inWindow.compactMap { s in Self.plannedSoC(at: s.measuredAt, mySlots).map { abs(Double(s.socWh) - $0) } }
            if !devs.isEmpty, b.capacityKWh > 0 {
                row.meanAbsSoCDeviationPct = devs.reduce(0, +) / Double(devs.count) / (b.capacityKWh * 1000) * 100
            }
            if let last = inWindow.last {
                row.lastMeasuredSoCKWh = Double(last.socWh) / 1000
                row.plannedSoCAtLastMeasurementKWh = Self.plannedSoC(at: last.measuredAt, mySlots).map { $0 / 1000 }
            }
            rows.append(row)
        }
        for (dong, hours) in flowByDongHour {
            guard var list = out[dong] else { continue }
            var index: [Int64: Int] = [:]
            for (i, r) in list.enumerated() { index[r.hourStart] = i }
            for (h, f) in hours {
                guard let i = index[h] else { continue }   // an hour without rollup is a gap; flows alone do not fill it
                list[i].chargeWh = Int64(f.charge.rounded()); list[i].dischargeWh = Int64(f.discharge.rounded())
            }
            out[dong] = list
        }
        let measured = rows.reduce(0) { $0 + $1.measuredHours }, planned = rows.reduce(0) { $0 + $1.plannedHours }
        let explanation = "battery flows: \(measured) battery-hours MEASURED (telemetry covering ≥ \(fmtNum(threshold * 100, 0)) % of the hour), "
            + "\(planned) battery-hours PLANNED (newest dispatch plan per slot); hours with neither keep the metered rollup flows"
        return (out, BatteryFlowSection(batteries: rows, explanation: explanation))
    }
}

extension TrackingReportRenderer {
    /// Plan vs actual per battery: a table (kWh, %) for the text report.
    public func batteryTable() -> (headers: [String], rows: [[String]])? {
        guard let s = report.batteryFlows, !s.batteries.isEmpty else { return nil }
        func k(_ v: Double?) -> String { v.map { fmtNum($0, 1) } ?? "n/a" }
        let headers = ["battery", "dong", "plan_ch_kWh", "plan_dis_kWh", "meas_h", "meas_ch_kWh", "plan_ch_same_h_kWh",
                       "meas_dis_kWh", "plan_dis_same_h_kWh", "planned_h", "SoC_meas_kWh", "SoC_plan_kWh", "mean_abs_SoC_dev_%"]
        let rows = s.batteries.map { b in
            [b.batteryID, b.dongCode, k(b.plannedChargeKWh), k(b.plannedDischargeKWh), String(b.measuredHours), k(b.measuredChargeKWh),
             k(b.plannedChargeInMeasuredHoursKWh), k(b.measuredDischargeKWh), k(b.plannedDischargeInMeasuredHoursKWh),
             String(b.plannedHours), k(b.lastMeasuredSoCKWh), k(b.plannedSoCAtLastMeasurementKWh), k(b.meanAbsSoCDeviationPct)]
        }
        return (headers, rows)
    }

    /// The section as a JSON value (`battery_plan_vs_actual`).
    func batteryJSON() -> JSONValue {
        guard let s = report.batteryFlows else { return .null }
        func n(_ v: Double?, _ d: Int) -> JSONValue { v.map { .number($0, d) } ?? .null }
        return .object([
            ("explanation", .string(s.explanation)),
            ("batteries", .array(s.batteries.map { b in
                .object([("battery_id", .string(b.batteryID)), ("dong_code", .string(b.dongCode)),
                         ("capacity_kwh", .number(b.capacityKWh, 1)),
                         ("planned_charge_kwh", .number(b.plannedChargeKWh, 3)), ("planned_discharge_kwh", .number(b.plannedDischargeKWh, 3)),
                         ("measured_hours", .number(Double(b.measuredHours), 0)), ("planned_hours", .number(Double(b.plannedHours), 0)),
                         ("measured_charge_kwh", .number(b.measuredChargeKWh, 3)),
                         ("measured_discharge_kwh", .number(b.measuredDischargeKWh, 3)),
                         ("planned_charge_in_measured_hours_kwh", .number(b.plannedChargeInMeasuredHoursKWh, 3)),
                         ("planned_discharge_in_measured_hours_kwh", .number(b.plannedDischargeInMeasuredHoursKWh, 3)),
                         ("last_measured_soc_kwh", n(b.lastMeasuredSoCKWh, 3)),
                         ("planned_soc_at_last_measurement_kwh", n(b.plannedSoCAtLastMeasurementKWh, 3)),
                         ("mean_abs_soc_deviation_pct", n(b.meanAbsSoCDeviationPct, 2))])
            })),
        ])
    }
}
