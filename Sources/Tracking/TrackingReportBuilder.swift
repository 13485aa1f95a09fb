import VPPCore
import VPPStore
/// Builds a `TrackingReport` from the store's hourly rollups (design.md §7, issue 6).
///
/// One pass over the rollups of every dong in scope, hour by hour through
/// `DongEnergyAccountant`, into KST days; months, years and the period are sums of days. The
/// rollups read start 12 months before the period's end (or at the period's start, if earlier)
/// so the tCO2 run-rate and the PV-in-storage bookkeeping see the preceding year.
public struct TrackingReportBuilder: Sendable {
    public let storage: Storage
    public let config: SiteConfig
    public let options: TrackingOptions

    public init(storage: Storage, config: SiteConfig, options: TrackingOptions = TrackingOptions()) {
        self.storage = storage; self.config = config; self.options = options
    }

    /// Loads the site config from the store and builds the report.
    /// `siteID`: the district when the store holds several (`Storage.selectSite`).
    public static func build(storage: Storage, period: ReportPeriod, options: TrackingOptions = TrackingOptions(),
                             siteID: String? = nil) async throws -> TrackingReport {
        let config = try await storage.requireSite(siteID)
        var report = try await TrackingReportBuilder(storage: storage, config: config, options: options).build(period: period)
        guard options.sections.contains(.forecastAccuracy) else { return report }
        let inScope = Set(report.dongs.map(\.code))
        report.forecastAccuracy = try await ForecastAccuracy.build(storage: storage, dongs: config.dongs.filter { inScope.contains($0.code) },
                                                                   period: period)
        return report
    }

    public func build(period: ReportPeriod) async throws -> TrackingReport {
        guard options.coverageThresholdPct >= 0, options.coverageThresholdPct <= 100 else {
            throw VPPError(.usage, "coverage threshold \(options.coverageThresholdPct) % is outside 0–100")
        }
        let scopeDongs = try await scope()
        let grid = DayGrid(period: period)
        let factors = try emissionFactors(grid)
        var rollups = try await storage.readings.hourlyRollups(dongCodes: scopeDongs.map(\.code), from: grid.windowStart, to: grid.end)
        // Meter hierarchy, monthly uploads and unmetered PV (issue 12; CountingAdjuster.swift).
        let counted = try await CountingAdjuster(storage: storage, config: config)
            .adjust(scopeDongs, rollups: rollups, from: grid.windowStart, to: grid.end, reportFrom: period.start)
        rollups = counted.rollups
        // Battery flows: measured where telemetry covers the hour, planned otherwise (BatteryPlanVsActual.swift).
        // After the counting adjustment, so that a dong whose hours exist only as estimates (monthly
        // uploads, unmetered PV) still gets its battery's flows in those hours.
        var batteryFlows: BatteryFlowSection?
        if let telemetry = try? storage.telemetryStore() {
            (rollups, batteryFlows) = try await BatteryFlowAccounting(dongs: scopeDongs, threshold: options.coverageThresholdPct / 100)
                .apply(rollups: rollups, telemetry: telemetry, start: period.start, end: grid.end)
        }
        let days = dailyTotals(scopeDongs, rollups: rollups, counts: counted.hours, grid: grid, dayFactor: factors.dayFactor)
        let table = MetricsTable(dongs: scopeDongs, days: days, threshold: options.coverageThresholdPct / 100,
                                 fallbackFactor: factors.inPeriod.first?.tco2eqPerMWh,
                                 districtLabel: options.dongCode == nil ? config.site.nameKo : scopeDongs[0].nameKo)
        let summary = table.rows([(period.label, period.start, grid.p0..<grid.nDays)])
        let participants = options.sections.contains(.participants)
            ? try await participantRows(scopeDongs, summary: summary, period: period, grid: grid,
                                        threshold: table.threshold, monthly: counted.summary.monthlyChecks)
            : []
        let runRate = self.runRate(scopeDongs, days: days, grid: grid, threshold: table.threshold)
        var dongTargets: [String: [TargetProgress]] = [:]
        for d in scopeDongs { dongTargets[d.code] = targets(for: [d], tco2: runRate.byDong[d.code] ?? nil) }
        let soc = options.sections.contains(.soc)
            ? try await socSeries(scopeDongs: scopeDongs, rollups: rollups, period: period, end: grid.end)
            : SoCSeries(source: .none, resolution: "", explanation: "not built (TrackingOptions.sections)", dongs: [])
        let dongInfos = scopeDongs.map {
            TrackingReport.DongInfo(code: $0.code, nameKo: $0.nameKo, name: $0.name, households: $0.households,
                                    pvKWp: $0.pvCapacity.kWp, miniSolarHouseholds: $0.miniSolarHouseholds,
                                    batteryKWh: $0.batteryCapacity.kWh,
                                    roundTripEfficiency: DongEnergyAccountant.roundTripEfficiency(of: $0))
        }
        var report = TrackingReport(
            siteID: config.site.id, siteNameKo: config.site.nameKo, siteName: config.site.name, period: period,
            scope: options.dongCode ?? "district", scopeNameKo: table.districtLabel, generatedAt: storage.clock.now(),
            coverageThresholdPct: options.coverageThresholdPct, factorsUsed: factors.inPeriod, dongs: dongInfos,
            summary: summary, participants: participants, daily: options.sections.contains(.daily) ? table.rows(grid.dailyBuckets()) : [],
            monthly: table.rows(grid.grouped { "\(pad(grid.dayDate[$0].y, 4))-\(pad(grid.dayDate[$0].m))" }),
            yearly: table.rows(grid.grouped { String(grid.dayDate[$0].y) }),
            targets: targets(for: scopeDongs, tco2: runRate.tco2ePerYear),
            dongTargets: dongTargets, runRate: runRate, soc: soc, definitions: Self.definitions(threshold: options.coverageThresholdPct))
        report.batteryFlows = batteryFlows
        report.counting = counted.summary
        report.definitions += Self.countingDefinitions
        return report
    }

    /// The active dongs in scope (all, or the one of `--dong`), by code.
    private func scope() async throws -> [DongConfig] {
        let active = try await storage.sites.activeDongCodes()
        var scopeDongs = config.dongs.filter { active.isEmpty || active.contains($0.code) }.sorted { $0.code < $1.code }
        if let code = options.dongCode {
            guard let d = scopeDongs.first(where: { $0.code == code }) else {
                let known = scopeDongs.map { "\($0.code) \($0.nameKo)" }.joined(separator: ", ")
                throw VPPError(.usage, "--dong \(code): not an active dong of site \(config.site.id) (known: \(known))")
            }
            scopeDongs = [d]
        }
        guard !scopeDongs.isEmpty else { throw VPPError(.noInput, "site \(config.site.id) has no active dongs") }
        return scopeDongs
    }

    /// KST days from the window's start (12 months before the period's end, or the period's start
    /// if earlier) to the period's end.
    struct DayGrid {
        typealias Bucket = (label: String, start: Int64, days: Range<Int>)
        /// End of the period's last KST day, start of the run-rate window (12 months before `end`)
        /// and of the grid [UTC epoch s].
        let end: Int64, rrStart: Int64, windowStart: Int64
        /// Days in the grid; index of the period's first day and of the run-rate window's first day.
        let nDays: Int, p0: Int, r0: Int
        let dayDate: [(y: Int, m: Int, d: Int)]

        init(period: ReportPeriod) {
            let last = period.lastDayKST
            end = KSTDateTime(year: last.year, month: last.month, day: last.day).epochSeconds + 86_400
            let endKST = KSTDateTime(epochSeconds: end)
            rrStart = KSTDateTime(year: endKST.year - 1, month: endKST.month,
                                  day: min(endKST.day, KST.daysInMonth(year: endKST.year - 1, month: endKST.month))).epochSeconds
            windowStart = min(period.start, rrStart)
            nDays = Int((end - windowStart) / 86_400)
            p0 = Int((period.start - windowStart) / 86_400)
            r0 = Int((rrStart - windowStart) / 86_400)
            var dates: [(y: Int, m: Int, d: Int)] = []
            dates.reserveCapacity(nDays)
            let firstDay = (windowStart + KST.offsetSeconds) / 86_400
            for i in 0..<nDays { let c = KST.civilFromDays(firstDay + Int64(i)); dates.append((c.year, c.month, c.day)) }
            dayDate = dates
        }

        func dayStart(_ i: Int) -> Int64 { windowStart + Int64(i) * 86_400 }

        /// One bucket per day of the period.
        func dailyBuckets() -> [Bucket] {
            (p0..<nDays).map { i in
                (label: "\(pad(dayDate[i].y, 4))-\(pad(dayDate[i].m))-\(pad(dayDate[i].d))", start: dayStart(i), days: i..<(i + 1))
            }
        }

        /// Runs of consecutive days of the period with the same key (month, year).
        func grouped(_ key: (Int) -> String) -> [Bucket] {
            var out: [Bucket] = []
            var i = p0
            while i < nDays {
                let k = key(i)
                var j = i + 1
                while j < nDays && key(j) == k { j += 1 }
                out.append((k, dayStart(i), i..<j))
                i = j
            }
            return out
        }
    }

    /// Emission factors by year of the grid, from the dated table: the factor of each day, and
    /// the table entries used for the period's years.
    private func emissionFactors(_ grid: DayGrid) throws -> (dayFactor: [Double], inPeriod: [TrackingReport.FactorUse]) {
        var factorByYear: [Int: Double] = [:]
        var factorsUsed: [TrackingReport.FactorUse] = []
        for y in Set(grid.dayDate.map(\.y)).sorted() {
            guard let e = config.emissionFactor(forYear: y) else {
                throw VPPError(.badData, "site \(config.site.id) has no emission factor table; tCO2 cannot be computed")
            }
            factorByYear[y] = e.tco2eqPerMWh
            let note = e.year == y ? "" : (e.year.map { "no \(y) factor in the table; the latest earlier year (\($0)) is used" }
                                           ?? "no yearly factor in the table; \(e.label) is used")
            factorsUsed.append(.init(appliedToYear: y, entryLabel: e.year.map(String.init) ?? e.label, tco2eqPerMWh: e.tco2eqPerMWh,
                                     basis: e.basis, source: e.source, note: note))
        }
        let periodYears = Set(grid.dayDate[grid.p0...].map(\.y))
        return (grid.dayDate.map { factorByYear[$0.y]! }, factorsUsed.filter { periodYears.contains($0.appliedToYear) })
    }

    /// Energy totals per day of the grid, per dong (scope order) and for the district.
    struct DailyTotals {
        var dongs: [[EnergyTotals]]
        var district: [EnergyTotals]
    }

    /// One pass per dong: its hourly rollups through the dong's accountant, into days.
    private func dailyTotals(_ scopeDongs: [DongConfig], rollups: [String: [HourlyRollup]], counts: [String: [Int64: HourCounts]],
                             grid: DayGrid, dayFactor: [Double]) -> DailyTotals {
        let nDays = grid.nDays
        var out = DailyTotals(dongs: [], district: [EnergyTotals](repeating: EnergyTotals(), count: nDays))
        for dong in scopeDongs {
            var acct = DongEnergyAccountant(roundTripEfficiency: DongEnergyAccountant.roundTripEfficiency(of: dong),
                                           hasPV: dong.pvCapacity.kWp > 0)
            var estimated = EstimatedShareTracker(roundTripEfficiency: acct.roundTripEfficiency, hasPV: acct.hasPV)
            let dongCounts = counts[dong.code] ?? [:]
            var days = [EnergyTotals](repeating: EnergyTotals(), count: nDays)
            for r in rollups[dong.code] ?? [] {
                let before = acct.pvStoredWh
                var t = acct.account(r)
                estimated.apply(&t, rollup: r, counts: dongCounts[r.hourStart], pvBefore: before, pvAfter: acct.pvStoredWh)
                let i = Int((r.hourStart - grid.windowStart) / 86_400)
                if i >= 0 && i < nDays { days[i].add(t) }
            }
            for i in 0..<nDays {
                days[i].tco2Avoided = days[i].renewable / 1e6 * dayFactor[i]
                days[i].tco2AvoidedEstimated = days[i].renewableEstimated / 1e6 * dayFactor[i]
                out.district[i].add(days[i])
            }
            out.dongs.append(days)
        }
        return out
    }

    /// Metrics rows of buckets of days: every dong's rows, then the district's.
    struct MetricsTable {
        let dongs: [DongConfig]
        let days: DailyTotals
        let threshold: Double
        let fallbackFactor: Double?
        let districtLabel: String

        func rows(_ buckets: [DayGrid.Bucket]) -> [MetricsRow] {
            let withPV = dongs.map { $0.pvCapacity.kWp > 0 }
            let nPV = Int64(withPV.filter { $0 }.count), nD = Int64(dongs.count)
            var out: [MetricsRow] = []
            out.reserveCapacity(buckets.count * (dongs.count + 1))
            for (k, dong) in dongs.enumerated() {
                for b in buckets {
                    var t = EnergyTotals()
                    for i in b.days { t.add(days.dongs[k][i]) }
                    let secs = Int64(b.days.count) * 86_400
                    out.append(.make(level: .dong, dongCode: dong.code, name: dong.nameKo, bucket: b.label, bucketStart: b.start,
                                     totals: t, generationSeconds: withPV[k] ? secs : 0, consumptionSeconds: secs,
                                     threshold: threshold, fallbackFactor: fallbackFactor))
                }
            }
            for b in buckets {
                var t = EnergyTotals()
                for i in b.days { t.add(days.district[i]) }
                let secs = Int64(b.days.count) * 86_400
                out.append(.make(level: .district, dongCode: "", name: districtLabel, bucket: b.label, bucketStart: b.start,
                                 totals: t, generationSeconds: secs * nPV, consumptionSeconds: secs * nD,
                                 threshold: threshold, fallbackFactor: fallbackFactor))
            }
            return out
        }
    }

    /// Participants: consumption meters, consumption from `reading`, renewable allocated pro rata
    /// (at their dong's RE100 share).
    private func participantRows(_ scopeDongs: [DongConfig], summary: [MetricsRow], period: ReportPeriod, grid: DayGrid,
                                 threshold: Double, monthly: [MonthlyUploadCheck] = []) async throws -> [MetricsRow] {
        var participants: [MetricsRow] = []
        let meterIDs = scopeDongs.flatMap { $0.meters.filter { $0.role == .consumption }.map(\.id) }
        let meterTotals = try await storage.readings.meterTotals(assetIDs: meterIDs, from: period.start, to: grid.end)
        let periodSecs = Int64(grid.nDays - grid.p0) * 86_400
        for (k, dong) in scopeDongs.enumerated() {
            let dongRow = summary[k]
            for m in dong.meters where m.role == .consumption {
                var row = MetricsRow(level: .participant, dongCode: dong.code, name: m.complex, participantID: m.id,
                                     bucket: period.label, bucketStart: period.start)
                // Monthly uploads of this meter spread into hours without interval data (issue 12).
                let fromMonthly = monthly.filter { $0.meterID == m.id }
                let monthlyWh = (fromMonthly.reduce(0.0) { $0 + $1.estimatedInPeriodKWh } * 1000).rounded()
                let monthlyS = Int64(fromMonthly.reduce(0) { $0 + $1.estimatedHoursInPeriod }) * 3600
                var tot = meterTotals[m.id]
                if monthlyS > 0 {
                    tot = (energyWh: (tot?.energyWh ?? 0) + Int64(monthlyWh), coveredS: (tot?.coveredS ?? 0) + monthlyS)
                }
                let cov = Double(tot?.coveredS ?? 0) / Double(periodSecs)
                row.consumptionCoveragePct = roundTo(min(1, cov) * 100, 1)
                row.emissionFactor = dongRow.emissionFactor
                if let tot, cov >= threshold - 1e-12 {
                    row.consumptionKWh = Double(tot.energyWh) / 1000
                    row.consumptionFromMonthlyKWh = monthlyWh / 1000
                    row.consumptionFromMonthlySharePct = tot.energyWh > 0 ? roundTo(monthlyWh / Double(tot.energyWh) * 100, 2) : nil
                    if let dongRen = dongRow.renewableKWh, let dongCons = dongRow.consumptionKWh, dongCons > 0 {
                        let ren = Double(tot.energyWh) * dongRen / dongCons
                        row.renewableKWh = ren.rounded() / 1000
                        row.selfConsumedPVKWh = row.renewableKWh
                        row.re100SharePct = dongRow.re100SharePct
                        row.tco2eAvoided = dongRow.emissionFactor.map { roundTo(ren / 1e6 * $0, 4) }
                        row.gap = false
                    }
                }
                participants.append(row)
            }
        }
        return participants
    }

    /// A run-rate over the window's covered days: the sum when all are covered, else the sum
    /// annualised by the covered days' share of a year's PV yield.
    private struct WindowSum {
        var value: Double?
        var covered: Int
        var share: Double
        var sum: Double
    }

    private func windowSum(_ days: [EnergyTotals], grid: DayGrid, threshold: Double, genSecsPerDay: Int64,
                           consSecsPerDay: Int64) -> WindowSum {
        var covered = 0, share = 0.0, sum = 0.0
        for i in grid.r0..<grid.nDays {
            let d = days[i]
            let g = genSecsPerDay > 0 ? Double(d.generationCoveredS) / Double(genSecsPerDay) : 1
            let c = Double(d.consumptionCoveredS) / Double(consSecsPerDay)
            guard g >= threshold - 1e-12, c >= threshold - 1e-12 else { continue }
            covered += 1
            sum += d.tco2Avoided
            let date = grid.dayDate[i]
            share += options.profile.share(month: date.m) / Double(KST.daysInMonth(year: date.y, month: date.m))
        }
        let windowDays = grid.nDays - grid.r0
        if covered == windowDays { return WindowSum(value: sum, covered: covered, share: share, sum: sum) }
        return WindowSum(value: covered > 0 && share > 0 ? sum / share : nil, covered: covered, share: share, sum: sum)
    }

    /// tCO2/yr run-rate over the 12 months ending with the period, for the scope and each dong.
    private func runRate(_ scopeDongs: [DongConfig], days: DailyTotals, grid: DayGrid, threshold: Double) -> RunRate {
        let withPV = scopeDongs.map { $0.pvCapacity.kWp > 0 }
        let nPV = Int64(withPV.filter { $0 }.count), nD = Int64(scopeDongs.count)
        let windowDays = grid.nDays - grid.r0
        let dr = windowSum(days.district, grid: grid, threshold: threshold, genSecsPerDay: 86_400 * nPV, consSecsPerDay: 86_400 * nD)
        var byDong: [String: Double?] = [:]
        for (k, dong) in scopeDongs.enumerated() {
            byDong[dong.code] = windowSum(days.dongs[k], grid: grid, threshold: threshold,
                                          genSecsPerDay: withPV[k] ? 86_400 : 0, consSecsPerDay: 86_400).value
        }
        let wFrom = KSTDateTime(epochSeconds: grid.rrStart).dateString, wTo = KSTDateTime(epochSeconds: grid.end - 86_400).dateString
        let method: RunRate.Method
        var explanation: String
        if dr.value == nil {
            method = .none
            explanation = "no day in \(wFrom)..\(wTo) has coverage ≥ \(fmtNum(options.coverageThresholdPct, 0)) % for the whole scope; no run-rate"
            let known = scopeDongs.compactMap { byDong[$0.code] ?? nil }
            if !known.isEmpty && scopeDongs.count > 1 {
                explanation += " (partial: the \(known.count) of \(scopeDongs.count) dongs with data add up to \(fmtNum(known.reduce(0, +), 3)) tCO2e/yr; see each dong's run-rate)"
            }
        } else if dr.covered == windowDays {
            method = .last12Months
            explanation = "sum of tCO2 avoided over the last 12 months, \(wFrom)..\(wTo) (all \(windowDays) days covered)"
        } else {
            method = .seasonalAnnualised
            explanation = "annualised with seasonal weighting: \(dr.covered) of \(windowDays) days in \(wFrom)..\(wTo) are covered; "
                + "by the monthly PV yield profile (\(options.profile.source)) they make \(fmtNum(dr.share * 100, 1)) % of a year's PV yield, "
                + "so run-rate = \(fmtNum(dr.sum, 3)) t / \(fmtNum(dr.share, 4)) = \(fmtNum(dr.value!, 3)) tCO2e/yr"
        }
        return RunRate(tco2ePerYear: dr.value.map { roundTo($0, 3) }, method: method, windowStart: grid.rrStart, windowEnd: grid.end,
                       coveredDays: dr.covered, windowDays: windowDays, coveredYieldShare: dr.share,
                       explanation: explanation, byDong: byDong)
    }

    /// Targets: the district's share of the city targets; a dong's part by its households.
    private func targets(for dongs: [DongConfig], tco2: Double?) -> [TargetProgress] {
        let t = config.targets
        let allHouseholds = max(1, config.dongs.reduce(0) { $0 + $1.households })
        let hh = dongs.reduce(0) { $0 + $1.households }
        let share = t.districtShare * (dongs.count == config.dongs.count ? 1 : Double(hh) / Double(allHouseholds))
        let basis = "district share \(fmtNum(t.districtShare * 100, 2)) % (\(t.districtShareBasis))"
            + (dongs.count == config.dongs.count ? "" : " × households \(hh) / \(allHouseholds)")
        func p(_ a: Double?, _ target: Double) -> Double? { a.flatMap { target > 0 ? roundTo($0 / target * 100, 2) : nil } }
        let pv = dongs.reduce(0.0) { $0 + $1.pvCapacity.kWp }
        let mini = Double(dongs.reduce(0) { $0 + $1.miniSolarHouseholds })
        return [
            TargetProgress(key: "pv_kwp", label: "Installed PV", unit: "kWp", actual: roundTo(pv, 1),
                           target: roundTo(t.citySolarKWp * share, 1), progressPct: p(pv, t.citySolarKWp * share),
                           note: "city target \(fmtNum(t.citySolarKWp / 1e6, 0)) GW × " + basis),
            TargetProgress(key: "mini_solar_households", label: "Mini-solar households", unit: "households", actual: mini,
                           target: roundTo(Double(t.cityMiniSolarHouseholds) * share, 0),
                           progressPct: p(mini, Double(t.cityMiniSolarHouseholds) * share),
                           note: "city target \(t.cityMiniSolarHouseholds) households × " + basis),
            TargetProgress(key: "tco2_per_year", label: "tCO2e avoided per year (run-rate)", unit: "tCO2e/yr",
                           actual: tco2.map { roundTo($0, 3) }, target: roundTo(t.cityTCO2PerYear * share, 1),
                           progressPct: p(tco2, t.cityTCO2PerYear * share),
                           note: "city target \(fmtNum(t.cityTCO2PerYear, 0)) t/yr × " + basis),
        ]
    }

    /// Battery SoC per dong: the latest dispatch plan when the schedule covers the period,
    /// otherwise integrated from the rollups' metered charge/discharge.
    func socSeries(scopeDongs: [DongConfig], rollups: [String: [HourlyRollup]], period: ReportPeriod, end: Int64) async throws -> SoCSeries {
        let withBatteries = scopeDongs.filter { $0.batteryCapacity.kWh > 0 }
        let daily = (end - period.start) / 86_400 > 45
        let resolution = daily ? "day" : "hour"
        func bucket(_ t: Int64) -> Int64 {
            let unit: Int64 = daily ? 86_400 : 3600
            return period.start + (t - period.start) / unit * unit
        }
        // Mean of the values that fall in each bucket.
        func reduce(_ pts: [(Int64, Double)]) -> [SoCSeries.Point] {
            var out: [SoCSeries.Point] = []
            var cur: Int64 = .min, sum = 0.0, n = 0.0
            for (t, v) in pts {
                let b = bucket(t)
                if b != cur, n > 0 { out.append(.init(t: cur, pct: roundTo(sum / n, 2))); sum = 0; n = 0 }
                cur = b; sum += v; n += 1
            }
            if n > 0 { out.append(.init(t: cur, pct: roundTo(sum / n, 2))) }
            return out
        }
        let ids = withBatteries.flatMap { $0.batteries.map(\.id) }
        let planned = try await storage.dispatch.plannedSoC(batteryIDs: ids, from: period.start, to: end)
        if !planned.isEmpty {
            var series: [SoCSeries.DongSeries] = []
            for d in withBatteries {
                let cap = d.batteryCapacity.kWh * 1000
                let mine = Set(d.batteries.map(\.id))
                // Sum the dong's batteries per slot, then average per bucket.
                var bySlot: [Int64: Double] = [:]
                for p in planned where mine.contains(p.batteryID) { bySlot[p.slotStart, default: 0] += Double(p.socWh) }
                let pts = bySlot.keys.sorted().map { ($0, bySlot[$0]! / cap * 100) }
                series.append(.init(dongCode: d.code, nameKo: d.nameKo, capacityKWh: d.batteryCapacity.kWh, points: reduce(pts)))
            }
            return SoCSeries(source: .plannedSchedule, resolution: resolution,
                             explanation: "planned state of charge from the latest dispatch run covering each slot (schedule table), all batteries of a dong together", dongs: series)
        }
        guard !withBatteries.isEmpty else {
            return SoCSeries(source: .none, resolution: resolution, explanation: "no batteries in scope", dongs: [])
        }
        var series: [SoCSeries.DongSeries] = []
        for d in withBatteries {
            let capWh = d.batteryCapacity.kWh * 1000
            let etaC = d.batteries.reduce(0.0) { $0 + $1.capacityKWh * $1.chargeEfficiency } / d.batteryCapacity.kWh
            let etaD = d.batteries.reduce(0.0) { $0 + $1.capacityKWh * $1.dischargeEfficiency } / d.batteryCapacity.kWh
            var soc = d.batteries.reduce(0.0) { $0 + $1.capacityKWh * 1000 * $1.initialSocPct / 100 }
            var pts: [(Int64, Double)] = []
            for r in rollups[d.code] ?? [] where r.hourStart >= period.start {
                soc += Double(r.chargeWh) * etaC - Double(r.dischargeWh) / etaD
                soc = min(capWh, max(0, soc))
                pts.append((r.hourStart, soc / capWh * 100))
            }
            series.append(.init(dongCode: d.code, nameKo: d.nameKo, capacityKWh: d.batteryCapacity.kWh, points: reduce(pts)))
        }
        return SoCSeries(source: .derivedFromRollups, resolution: resolution,
                         explanation: "no dispatch schedule covers the period: SoC integrated from metered charge/discharge (rollup_hourly) with the configured efficiencies, starting at each battery's configured initial SoC (ESTIMATE); hours without a rollup row are gaps", dongs: series)
    }

    static func definitions(threshold: Double) -> [String] {
        [
            "Self-consumed PV (hourly, per dong) = min(generation, consumption) + PV via storage.",
            "PV via storage = battery charge that came from the PV surplus, de-rated by the round-trip efficiency (η_charge × η_discharge), drawn from a well-mixed store in proportion to its PV share, and only where it met load PV did not cover directly.",
            "Renewable kWh = self-consumed PV. RE100 share = renewable kWh / consumption kWh.",
            "tCO2e avoided = renewable MWh × the grid emission factor of the hour's calendar year (dated table in the site config).",
            "Storage loss = energy charged × (1 − round-trip efficiency).",
            "Import/export = metered values when the rollup carries them, else max(0, consumption + charge − generation − discharge) and the reverse.",
            "Coverage % = metered seconds / seconds in the period; below \(fmtNum(threshold, 0)) % a value is a gap (null in JSON, empty in CSV, a break in charts), never 0.",
            "Participants (apartment complexes / meter groups): consumption from their meters' readings, plus their monthly uploads spread into hours without interval data (estimated from monthly); renewable allocated at their dong's RE100 share.",
            "All dates and times are KST (Asia/Seoul, UTC+9).",
        ]
    }
}
