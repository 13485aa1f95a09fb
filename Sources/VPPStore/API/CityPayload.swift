import Foundation
import VPPCore

// The city view (issue 14, part 3): every district loaded in the store rolled up against the
// city targets, with each district's share. Printed by `vpp report --scope city --format json`
// and served as `GET /api/v1/city?period=`. Energies integer Wh, capacities kWp, emissions tCO2e,
// times UTC epoch seconds (KST periods, `to` exclusive), shares and progress in percent.

/// `GET /api/v1/city` and `vpp report --scope city --format json`.
public struct CityReportPayload: Sendable, Equatable, Codable {
    public var schema = "vpp.city-report/1"
    /// The KST period, e.g. "2024" or "2024-07".
    public var period: String
    /// Period bounds [UTC epoch s], `to` exclusive.
    public var from: Int64
    public var to: Int64
    /// Hours in the period [h].
    public var hours: Int
    public var generatedAt: Int64
    public var targets: CityTargets
    public var city: CityRollup
    public var progress: [CityTargetProgress]
    /// One row per loaded district, by site id.
    public var districts: [CityRollup]
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case schema, period, from, to, hours, generatedAt = "generated_at", targets, city, progress, districts, notes
    }

    public init(period: String, from: Int64, to: Int64, hours: Int, generatedAt: Int64, targets: CityTargets, city: CityRollup,
                progress: [CityTargetProgress], districts: [CityRollup], notes: [String]) {
        self.period = period; self.from = from; self.to = to; self.hours = hours; self.generatedAt = generatedAt
        self.targets = targets; self.city = city; self.progress = progress; self.districts = districts; self.notes = notes
    }
}

/// The city targets as the site configs' `[targets]` carry them.
public struct CityTargets: Sendable, Equatable, Codable {
    public var solarKWp: Double
    public var miniSolarHouseholds: Int
    public var tco2PerYear: Double
    /// Which site config they were taken from.
    public var fromSite: String

    enum CodingKeys: String, CodingKey {
        case solarKWp = "solar_kwp", miniSolarHouseholds = "mini_solar_households", tco2PerYear = "tco2_per_year", fromSite = "from_site"
    }

    public init(solarKWp: Double, miniSolarHouseholds: Int, tco2PerYear: Double, fromSite: String) {
        self.solarKWp = solarKWp; self.miniSolarHouseholds = miniSolarHouseholds; self.tco2PerYear = tco2PerYear; self.fromSite = fromSite
    }
}

/// Totals of one district (or of the whole city) over the period.
public struct CityRollup: Sendable, Equatable, Codable {
    /// Site id, or "city".
    public var id: String
    public var name: String
    public var nameKo: String
    /// KOSTAT sigungu code; empty for the city row.
    public var sigunguCode: String
    public var dongs: Int
    public var households: Int
    public var pvKWp: Double
    public var miniSolarHouseholds: Int
    public var generationWh: Int64
    public var consumptionWh: Int64
    /// Dong-hours with an hourly rollup over dong-hours in the period [%].
    public var coveragePct: Double
    /// Generation over consumption [%]; nil without consumption.
    public var generationSharePct: Double?
    /// PV generation [MWh] × the grid emission factor of the period's year [tCO2e].
    public var tco2Avoided: Double
    /// `tco2Avoided` scaled to a year by hours (hours of the KST year / hours of the period) [tCO2e/yr].
    public var tco2PerYear: Double
    /// The emission factor used [tCO2e/MWh]; nil for the city row (each district uses its own).
    public var emissionFactor: Double?
    /// This row's share of the city total [%]: nil on the city row.
    public var share: CityShare?
    /// The district's planned share of the city targets from its config (`district_share`) [%].
    public var plannedSharePct: Double?

    enum CodingKeys: String, CodingKey {
        case id, name, nameKo = "name_ko", sigunguCode = "sigungu_code", dongs, households, pvKWp = "pv_kwp",
             miniSolarHouseholds = "mini_solar_households", generationWh = "generation_wh", consumptionWh = "consumption_wh",
             coveragePct = "coverage_pct", generationSharePct = "generation_share_pct", tco2Avoided = "tco2_avoided",
             tco2PerYear = "tco2_per_year", emissionFactor = "emission_factor_tco2_per_mwh", share,
             plannedSharePct = "planned_share_pct"
    }

    public init(id: String, name: String, nameKo: String, sigunguCode: String, dongs: Int, households: Int, pvKWp: Double,
                miniSolarHouseholds: Int, generationWh: Int64, consumptionWh: Int64, coveragePct: Double, generationSharePct: Double?,
                tco2Avoided: Double, tco2PerYear: Double, emissionFactor: Double?, share: CityShare?, plannedSharePct: Double?) {
        self.id = id; self.name = name; self.nameKo = nameKo; self.sigunguCode = sigunguCode; self.dongs = dongs
        self.households = households; self.pvKWp = pvKWp; self.miniSolarHouseholds = miniSolarHouseholds
        self.generationWh = generationWh; self.consumptionWh = consumptionWh; self.coveragePct = coveragePct
        self.generationSharePct = generationSharePct; self.tco2Avoided = tco2Avoided; self.tco2PerYear = tco2PerYear
        self.emissionFactor = emissionFactor; self.share = share; self.plannedSharePct = plannedSharePct
    }
}

/// A district's share of the city's totals [%] (nil when the city total is 0).
public struct CityShare: Sendable, Equatable, Codable {
    public var pvKWpPct: Double?
    public var miniSolarHouseholdsPct: Double?
    public var generationPct: Double?
    public var tco2Pct: Double?

    enum CodingKeys: String, CodingKey {
        case pvKWpPct = "pv_kwp_pct", miniSolarHouseholdsPct = "mini_solar_households_pct", generationPct = "generation_pct",
             tco2Pct = "tco2_pct"
    }

    public init(pvKWpPct: Double?, miniSolarHouseholdsPct: Double?, generationPct: Double?, tco2Pct: Double?) {
        self.pvKWpPct = pvKWpPct; self.miniSolarHouseholdsPct = miniSolarHouseholdsPct; self.generationPct = generationPct
        self.tco2Pct = tco2Pct
    }
}

/// Progress of the city towards one target.
public struct CityTargetProgress: Sendable, Equatable, Codable {
    /// `pv_kwp`, `mini_solar_households` or `tco2_per_year`.
    public var key: String
    public var unit: String
    public var actual: Double
    public var target: Double
    public var progressPct: Double?

    enum CodingKeys: String, CodingKey { case key, unit, actual, target, progressPct = "progress_pct" }

    public init(key: String, unit: String, actual: Double, target: Double, progressPct: Double?) {
        self.key = key; self.unit = unit; self.actual = actual; self.target = target; self.progressPct = progressPct
    }
}
