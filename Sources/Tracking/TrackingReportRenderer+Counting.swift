import VPPCore

// The counting step's part of the renderings (issue 12): monthly uploads and how they were
// counted, unmetered PV estimates, double counting removed by the meter hierarchy.
extension TrackingReportRenderer {
    /// The period row of the scope (district, or the one dong).
    var scopeSummaryRow: MetricsRow? { report.summary.last }

    func countingJSON() -> JSONValue {
        let c = report.counting
        func opt(_ v: Double?, _ d: Int) -> JSONValue { v.map { .number($0, d) } ?? .null }
        let s = scopeSummaryRow
        return .object([
            ("estimated_from_monthly_label", .string("estimated from monthly")),
            ("consumption_estimated_from_monthly_kwh", opt(s?.consumptionFromMonthlyKWh, 3)),
            ("consumption_estimated_from_monthly_share_pct", opt(s?.consumptionFromMonthlySharePct, 2)),
            ("generation_metered_kwh", opt(s?.generationMeteredKWh, 3)),
            ("generation_estimated_kwh", opt(s?.generationEstimatedKWh, 3)),
            ("renewable_estimated_share_pct", opt(s?.renewableEstimatedSharePct, 2)),
            ("tco2e_avoided_estimated", opt(s?.tco2eAvoidedEstimated, 4)),
            ("monthly_uploads", .array(c.monthlyChecks.map { m in
                .object([("dong_code", .string(m.dongCode)), ("meter_id", .string(m.meterID)), ("complex", .string(m.complex)),
                         ("month", .string(m.period.description)), ("units", .number(Double(m.units), 0)),
                         ("monthly_kwh", .number(m.monthlyKWh, 3)), ("estimated_kwh", .number(m.estimatedKWh, 3)),
                         ("interval_hours", .number(Double(m.intervalHours), 0)), ("month_hours", .number(Double(m.monthHours), 0)),
                         ("interval_kwh", opt(m.intervalKWh, 3)), ("difference_kwh", opt(m.differenceKWh, 3)),
                         ("used", .string(m.used.rawValue)), ("shape", .string(m.shape))])
            })),
            ("pv_estimates", .array(c.pvEstimates.map { p in
                .object([("dong_code", .string(p.dongCode)), ("fleet_id", .string(p.fleetID)), ("kwp", .number(p.kWp, 3)),
                         ("by_method_kwh", .object(p.byMethodKWh.keys.sorted().map { ($0, .number(p.byMethodKWh[$0] ?? 0, 3)) })),
                         ("hours_without_reference", .number(Double(p.hoursWithoutReference), 0))])
            })),
            ("hierarchy_removed_kwh", .object(c.hierarchyRemovedKWh.keys.sorted().map { ($0, .number(c.hierarchyRemovedKWh[$0] ?? 0, 3)) })),
            ("notes", .array(c.notes.map { .string($0) })),
        ])
    }

    /// Lines under the table.
    func countingNotes() -> [String] {
        let c = report.counting
        var out: [String] = []
        if let s = scopeSummaryRow {
            if let g = s.generationKWh, let e = s.generationEstimatedKWh {
                out.append("generation: \(fmtNum((g - e) / 1000, 3)) MWh metered + \(fmtNum(e / 1000, 3)) MWh estimated (unmetered PV)")
            }
            if let m = s.consumptionFromMonthlyKWh, m > 0 {
                out.append("consumption estimated from monthly: \(fmtNum(m / 1000, 3)) MWh = \(fmtNum(s.consumptionFromMonthlySharePct ?? 0, 2)) % of consumption")
            }
            if let r = s.renewableEstimatedSharePct {
                out.append("RE100 share and tCO2: \(fmtNum(r, 2)) % of the renewable kWh rest on estimates (\(fmtNum(s.tco2eAvoidedEstimated ?? 0, 3)) of \(fmtNum(s.tco2eAvoided ?? 0, 3)) tCO2e)")
            }
        }
        for m in c.monthlyChecks {
            var line = "monthly upload \(m.complex) [\(m.meterID)] \(m.period): \(fmtNum(m.monthlyKWh, 3)) kWh over \(m.units) units; "
            switch m.used {
            case .monthly: line += "estimated from monthly (\(fmtNum(m.estimatedKWh, 3)) kWh in the report window)"
            case .interval: line += "interval data used" + (m.differenceKWh.map { "; monthly − interval = \(fmtNum($0, 3)) kWh" } ?? " (no meter covers exactly these premises to compare)")
            case .mixed: line += "interval data in \(m.intervalHours) of \(m.monthHours) h, estimated from monthly in the rest (\(fmtNum(m.estimatedKWh, 3)) kWh)"
            }
            out.append(line)
        }
        for p in c.pvEstimates {
            let parts = p.byMethodKWh.keys.sorted().map { "\(fmtNum(p.byMethodKWh[$0] ?? 0, 3)) kWh by \($0)" }.joined(separator: ", ")
            out.append("unmetered PV \(p.fleetID) (\(fmtNum(p.kWp, 1)) kWp): estimated \(parts.isEmpty ? "0 kWh" : parts)"
                       + (p.hoursWithoutReference > 0 ? "; \(p.hoursWithoutReference) h without a reference (gap)" : ""))
        }
        for (d, k) in c.hierarchyRemovedKWh.sorted(by: { $0.key < $1.key }) where k != 0 {
            out.append("meter hierarchy: \(fmtNum(k, 3)) kWh counted twice by the dong rollup removed in \(d)")
        }
        out += c.notes
        return out
    }
}
