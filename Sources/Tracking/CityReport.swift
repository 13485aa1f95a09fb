import Foundation
import VPPCore
import VPPStore

/// The city roll-up (issue 14, part 3): every district loaded in the store against the city
/// targets (1 GW solar, 1,000,000 mini-solar households, 540,000 tCO2e/yr, as the site configs'
/// `[targets]` carry them), with each district's share.
///
/// One read of every dong's period totals (`ReadingStore.dongPeriodTotals`, a single grouped scan
/// of the hourly rollups) plus each site's config; nothing per hour in Swift, so a city-year is
/// one query. tCO2e avoided here is PV generation × the grid factor of the period's KST year from
/// each district's own dated table; the district report's storage and counting adjustments are
/// not applied (its notes say so).
public enum CityReportBuilder {
    public static func build(storage: Storage, period: ReportPeriod) async throws -> CityReportPayload {
        let configs = try await storage.allSiteConfigs().sorted { $0.site.id < $1.site.id }
        guard let first = configs.first else {
            throw VPPError(.noInput, "no site loaded in \(storage.location); run `vpp site load site-configs/<district>.toml` first")
        }
        let active = try await storage.sites.activeDongCodes()
        var totals: [String: DongPeriodTotals] = [:]
        for t in try await periodTotals(storage: storage, period: period) { totals[t.dongCode] = t }
        let hours = Int((period.end - period.start) / 3600)
        let year = period.startKST.year
        let yearHours = Double((KSTDateTime(year: year + 1, month: 1, day: 1).epochSeconds - KSTDateTime(year: year, month: 1, day: 1).epochSeconds) / 3600)
        let annualise = hours > 0 ? yearHours / Double(hours) : 0
        var notes: [String] = []
        let t = first.targets
        for c in configs.dropFirst() where c.targets.citySolarKWp != t.citySolarKWp || c.targets.cityMiniSolarHouseholds != t.cityMiniSolarHouseholds
            || c.targets.cityTCO2PerYear != t.cityTCO2PerYear {
            notes.append("site \(c.site.id) carries different city targets; those of \(first.site.id) are used")
        }

        var rows: [CityRollup] = []
        for c in configs {
            let dongs = c.dongs.filter { active.contains($0.code) }
            var gen: Int64 = 0, cons: Int64 = 0, covered = 0
            for d in dongs {
                guard let x = totals[d.code] else { continue }
                gen += x.generationWh; cons += x.consumptionWh; covered += x.hours
            }
            guard let factor = c.emissionFactor(forYear: year) else {
                throw VPPError(.badData, "site \(c.site.id) has no emission factor table; tCO2 cannot be computed")
            }
            if factor.year != year { notes.append("site \(c.site.id): no \(year) emission factor; \(factor.label) (\(factor.tco2eqPerMWh) tCO2e/MWh) is used") }
            let tco2 = Double(gen) / 1e6 * factor.tco2eqPerMWh
            rows.append(CityRollup(
                id: c.site.id, name: c.site.name, nameKo: c.site.nameKo, sigunguCode: c.site.sigunguCode, dongs: dongs.count,
                households: dongs.reduce(0) { $0 + $1.households }, pvKWp: roundTo(dongs.reduce(0) { $0 + $1.pvCapacity.kWp }, 1),
                miniSolarHouseholds: dongs.reduce(0) { $0 + $1.miniSolarHouseholds }, generationWh: gen, consumptionWh: cons,
                coveragePct: pct(Double(covered), Double(dongs.count * hours)) ?? 0,
                generationSharePct: pct(Double(gen), Double(cons)), tco2Avoided: roundTo(tco2, 3), tco2PerYear: roundTo(tco2 * annualise, 3),
                emissionFactor: factor.tco2eqPerMWh, share: nil,
                plannedSharePct: c.targets.districtShare > 0 ? roundTo(c.targets.districtShare * 100, 3) : nil))
        }
        let dongCount = rows.reduce(0) { $0 + $1.dongs }
        let coveredHours = rows.reduce(0.0) { $0 + $1.coveragePct / 100 * Double($1.dongs * hours) }
        var city = CityRollup(
            id: "city", name: "City (loaded districts)", nameKo: "전체 (loaded districts)", sigunguCode: "", dongs: dongCount,
            households: rows.reduce(0) { $0 + $1.households }, pvKWp: roundTo(rows.reduce(0) { $0 + $1.pvKWp }, 1),
            miniSolarHouseholds: rows.reduce(0) { $0 + $1.miniSolarHouseholds }, generationWh: rows.reduce(0) { $0 + $1.generationWh },
            consumptionWh: rows.reduce(0) { $0 + $1.consumptionWh }, coveragePct: pct(coveredHours, Double(dongCount * hours)) ?? 0,
            generationSharePct: nil, tco2Avoided: roundTo(rows.reduce(0) { $0 + $1.tco2Avoided }, 3),
            tco2PerYear: roundTo(rows.reduce(0) { $0 + $1.tco2PerYear }, 3), emissionFactor: nil, share: nil,
            plannedSharePct: nil)
        city.generationSharePct = pct(Double(city.generationWh), Double(city.consumptionWh))
        for i in rows.indices {
            rows[i].share = CityShare(pvKWpPct: pct(rows[i].pvKWp, city.pvKWp),
                                      miniSolarHouseholdsPct: pct(Double(rows[i].miniSolarHouseholds), Double(city.miniSolarHouseholds)),
                                      generationPct: pct(Double(rows[i].generationWh), Double(city.generationWh)),
                                      tco2Pct: pct(rows[i].tco2Avoided, city.tco2Avoided))
        }
        let progress = [
            CityTargetProgress(key: "pv_kwp", unit: "kWp", actual: city.pvKWp, target: t.citySolarKWp, progressPct: pct(city.pvKWp, t.citySolarKWp)),
            CityTargetProgress(key: "mini_solar_households", unit: "households", actual: Double(city.miniSolarHouseholds),
                               target: Double(t.cityMiniSolarHouseholds),
                               progressPct: pct(Double(city.miniSolarHouseholds), Double(t.cityMiniSolarHouseholds))),
            CityTargetProgress(key: "tco2_per_year", unit: "tCO2e/yr", actual: city.tco2PerYear, target: t.cityTCO2PerYear,
                               progressPct: pct(city.tco2PerYear, t.cityTCO2PerYear)),
        ]
        if city.coveragePct < 100 {
            notes.append("rollups cover \(roundTo(city.coveragePct, 2)) % of the city's dong-hours; missing hours count as no generation, so tCO2e is a lower bound")
        }
        notes += definitions
        return CityReportPayload(
            period: period.label, from: period.start, to: period.end, hours: hours, generatedAt: storage.clock.now(),
            targets: CityTargets(solarKWp: t.citySolarKWp, miniSolarHouseholds: t.cityMiniSolarHouseholds, tco2PerYear: t.cityTCO2PerYear,
                                 fromSite: first.site.id),
            city: city, progress: progress, districts: rows, notes: notes)
    }

    public static let definitions = [
        "Periods are KST; hourly rollups are hour-beginning; energies are integer Wh.",
        "tco2_avoided = PV generation MWh × the grid emission factor of the period's year from each district's config (no storage or counting adjustments; `vpp report --site` has those).",
        "tco2_per_year = tco2_avoided × hours of the year / hours of the period (the city target is per year).",
        "share = the district's part of the city total of the loaded districts; planned_share_pct = the config's district_share.",
    ]

    /// Whole KST months (a month or a year) from the store's monthly sums when it keeps them; any
    /// other period, or a store without them, from the hourly rollups.
    static func periodTotals(storage: Storage, period: ReportPeriod) async throws -> [DongPeriodTotals] {
        if let city = storage.sites as? any CityStore, period.kind != .range {
            let s = period.startKST, e = KSTDateTime(epochSeconds: period.end)
            if s.day == 1, s.hour == 0, e.day == 1, e.hour == 0 {
                return try await city.dongMonthTotals(from: YearMonth(year: s.year, month: s.month), until: YearMonth(year: e.year, month: e.month))
            }
        }
        return try await storage.readings.dongPeriodTotals(from: period.start, to: period.end)
    }

    static func pct(_ a: Double, _ b: Double) -> Double? { b > 0 ? roundTo(a / b * 100, 2) : nil }
}
