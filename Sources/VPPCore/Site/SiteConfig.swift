/// The site (district) configuration: dongs, their assets, tariffs, emission factors and
/// targets. Parsed from `site-configs/<district>.toml` by `SiteConfigParser`. Every quantity
/// carries its unit in its name (`_kw`, `_kwh`, `_pct`, `_deg`, `_krw_per_kwh` in TOML).
public struct SiteConfig: Sendable, Equatable, Codable {
    /// Config file format version this build understands.
    public static let supportedVersions: ClosedRange<Int> = 1...1

    public var version: Int
    public var site: SiteInfo
    public var dongs: [DongConfig]
    public var tariffs: [TariffTable]
    public var emissionFactors: [EmissionFactorEntry]
    public var targets: Targets
    public var export: ExportPrice
    /// `[dispatch]` (optional; nil: the defaults of `DispatchSettings`).
    public var dispatch: DispatchSettings? = nil
    /// Shape monthly uploads are spread with where a dong has no interval load (`[standard_load_profile]`).
    public var standardLoadProfile: StandardLoadProfile?
    /// OpenADR 3 programs (`[openadr]`, issue 13); nil: one program per dong with the defaults.
    public var openadr: OpenADRProgramConfig? = nil
    /// Dong outlines for the dashboard map (`[map]`, issue 16); nil: no map.
    public var map: SiteMap? = nil
    /// `[completeness]` (issue 16; optional; nil: the defaults of `CompletenessSettings`).
    public var completeness: CompletenessSettings? = nil

    public init(version: Int = 1, site: SiteInfo, dongs: [DongConfig], tariffs: [TariffTable] = [],
                emissionFactors: [EmissionFactorEntry] = [], targets: Targets = Targets(),
                export: ExportPrice = ExportPrice(), standardLoadProfile: StandardLoadProfile? = nil) {
        self.version = version; self.site = site; self.dongs = dongs; self.tariffs = tariffs
        self.emissionFactors = emissionFactors; self.targets = targets; self.export = export
        self.standardLoadProfile = standardLoadProfile
    }

    public func dong(code: String) -> DongConfig? { dongs.first { $0.code == code } }

    /// All batteries with their dong code, in config order.
    public var batteries: [(dong: String, battery: BatteryConfig)] {
        dongs.flatMap { d in d.batteries.map { (d.code, $0) } }
    }

    /// The tariff table in force at an instant (the latest `effective_from` not after it).
    public func tariff(at epoch: Int64) -> TariffTable? {
        tariffs.filter { $0.effectiveFromEpoch <= epoch }.max { $0.effectiveFromEpoch < $1.effectiveFromEpoch }
            ?? tariffs.min { $0.effectiveFromEpoch < $1.effectiveFromEpoch }
    }

    /// The emission factor for a calendar year: the entry for that year, else the latest
    /// earlier year, else the earliest known. Reports which entry was used.
    public func emissionFactor(forYear year: Int) -> EmissionFactorEntry? {
        let yearly = emissionFactors.filter { $0.year != nil }
        if let exact = yearly.first(where: { $0.year == year }) { return exact }
        if let earlier = yearly.filter({ $0.year! < year }).max(by: { $0.year! < $1.year! }) { return earlier }
        return yearly.min { $0.year! < $1.year! } ?? emissionFactors.first
    }
}

public struct SiteInfo: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var nameKo: String
    /// KOSTAT sigungu code, e.g. "11410" for Seodaemun-gu.
    public var sigunguCode: String
    /// Always "Asia/Seoul"; kept explicit.
    public var timezone: String
    /// Site reference point [° WGS84].
    public var latitudeDeg: Double
    public var longitudeDeg: Double
    /// Monthly Linke turbidity at the reference point [1], January first (clear-sky model);
    /// nil: the forecaster's documented generic climatology.
    public var linkeTurbidityMonthly: [Double]?
    /// Area names of KMA special reports (특보구역) that cover the district, e.g. 서대문구, 서울서북권,
    /// 서울 (`alert_areas`); empty: `nameKo` only.
    public var alertAreas: [String]
    public init(id: String, name: String, nameKo: String, sigunguCode: String = "", timezone: String = KST.zoneIdentifier,
                latitudeDeg: Double = 37.5665, longitudeDeg: Double = 126.978, linkeTurbidityMonthly: [Double]? = nil,
                alertAreas: [String] = []) {
        self.id = id; self.name = name; self.nameKo = nameKo; self.sigunguCode = sigunguCode; self.timezone = timezone
        self.latitudeDeg = latitudeDeg; self.longitudeDeg = longitudeDeg; self.linkeTurbidityMonthly = linkeTurbidityMonthly
        self.alertAreas = alertAreas
    }
    /// Whether a special report for `area` covers the district.
    public func alertCovers(area: String) -> Bool {
        let a = String(area.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        return a == nameKo || a == name || alertAreas.contains(a)
    }
}

public struct DongConfig: Sendable, Equatable, Codable {
    /// 10-digit MOIS administrative code (행정기관코드), e.g. "1141052000".
    public var code: String
    public var nameKo: String
    public var name: String
    public var latitudeDeg: Double
    public var longitudeDeg: Double
    public var households: Int
    public var population: Int
    public var areaKm2: Double
    /// Grid connection limits of the dong's VPP [kW].
    public var importLimitKW: Double
    public var exportLimitKW: Double
    public var pvFleets: [PVFleetConfig]
    public var meters: [MeterConfig]
    public var batteries: [BatteryConfig]
    /// Cooling shelters (무더위쉼터) backed by this dong's batteries (`[[dong.shelter]]`, issue 17).
    public var shelters: [ShelterConfig]

    public init(code: String, nameKo: String, name: String, latitudeDeg: Double, longitudeDeg: Double,
                households: Int, population: Int = 0, areaKm2: Double = 0, importLimitKW: Double = 10_000,
                exportLimitKW: Double = 10_000, pvFleets: [PVFleetConfig] = [], meters: [MeterConfig] = [],
                batteries: [BatteryConfig] = [], shelters: [ShelterConfig] = []) {
        self.code = code; self.nameKo = nameKo; self.name = name; self.latitudeDeg = latitudeDeg
        self.longitudeDeg = longitudeDeg; self.households = households; self.population = population
        self.areaKm2 = areaKm2; self.importLimitKW = importLimitKW; self.exportLimitKW = exportLimitKW
        self.pvFleets = pvFleets; self.meters = meters; self.batteries = batteries; self.shelters = shelters
    }

    public var pvCapacity: KilowattsPeak { pvFleets.reduce(KilowattsPeak(0)) { $0 + $1.capacity } }
    public var batteryCapacity: KilowattHours { batteries.reduce(KilowattHours(0)) { $0 + KilowattHours($1.capacityKWh) } }
    public var batteryPowerKW: Double { batteries.reduce(0) { $0 + $1.maxDischargeKW } }
    public var miniSolarHouseholds: Int { pvFleets.filter { $0.kind == .miniSolar }.reduce(0) { $0 + $1.units } }
}

public enum PVFleetKind: String, Sendable, Codable, CaseIterable {
    /// Balcony "mini-solar" units (베란다형 미니태양광), hung steep on balcony rails.
    case miniSolar = "mini_solar"
    case rooftop
    case groundMounted = "ground"
}

public struct PVFleetConfig: Sendable, Equatable, Codable {
    public var id: String
    public var kind: PVFleetKind
    /// Number of units (mini-solar households) or 1 for a single array.
    public var units: Int
    /// DC nameplate per unit [W].
    public var unitW: Double
    /// Panel tilt from horizontal [°] and azimuth clockwise from north [°] (180 = south).
    public var tiltDeg: Double
    public var azimuthDeg: Double
    /// Inverter AC limit as a fraction of DC nameplate [1]; PVWatts-style system losses [%].
    public var dcAcRatio: Double
    public var lossesPct: Double
    public init(id: String, kind: PVFleetKind, units: Int, unitW: Double, tiltDeg: Double, azimuthDeg: Double,
                dcAcRatio: Double = 1.1, lossesPct: Double = 14) {
        self.id = id; self.kind = kind; self.units = units; self.unitW = unitW; self.tiltDeg = tiltDeg
        self.azimuthDeg = azimuthDeg; self.dcAcRatio = dcAcRatio; self.lossesPct = lossesPct
    }
    public var capacity: KilowattsPeak { KilowattsPeak(watts: Double(units) * unitW) }
}

public enum MeterRole: String, Sendable, Codable, CaseIterable {
    /// Consumption of an apartment complex (household meters behind it).
    case consumption
    /// PV generation meter.
    case generation
    /// Battery telemetry (state of charge, charge/discharge).
    case storage
}

public struct MeterConfig: Sendable, Equatable, Codable {
    public var id: String
    /// Apartment complex or building this meter belongs to (관리사무소 name).
    public var complex: String
    public var role: MeterRole
    public var households: Int
    /// Identifiers that appear in uploaded files for this meter (계량기번호, complex codes).
    public var aliases: [String]
    /// The most power the metered premises can draw or feed in: its connection (contract) limit
    /// [kW], config key `max_kw`. Readings above it are rejected as implausible. When absent,
    /// ingestion bounds the meter by its dong's `import_limit_kw` plus the dong's PV nameplate.
    public var maxKW: Double?
    /// What the meter measures (config key `covers`, see `MeterCovers`); nil = households of `complex`.
    public var covers: MeterCovers?
    /// The meter whose coverage includes this one's (config key `parent`, a meter id of the same dong).
    public var parent: String?
    public init(id: String, complex: String, role: MeterRole = .consumption, households: Int = 0, aliases: [String] = [],
                maxKW: Double? = nil, covers: MeterCovers? = nil, parent: String? = nil) {
        self.id = id; self.complex = complex; self.role = role; self.households = households; self.aliases = aliases
        self.maxKW = maxKW; self.covers = covers; self.parent = parent
    }
}

public struct BatteryConfig: Sendable, Equatable, Codable {
    public var id: String
    /// Usable energy capacity [kWh].
    public var capacityKWh: Double
    /// Charge and discharge power limits at the AC terminal [kW].
    public var maxChargeKW: Double
    public var maxDischargeKW: Double
    /// One-way efficiencies [0–1]; round trip = product.
    public var chargeEfficiency: Double
    public var dischargeEfficiency: Double
    /// State-of-charge limits, resilience reserve floor, initial and terminal targets [% of capacity].
    public var socMinPct: Double
    public var socMaxPct: Double
    public var reservePct: Double
    public var initialSocPct: Double
    public var terminalSocPct: Double
    /// Degradation cost per kWh discharged [KRW/kWh].
    public var cyclingCostKRWPerKWh: Double

    public init(id: String, capacityKWh: Double, maxChargeKW: Double, maxDischargeKW: Double,
                chargeEfficiency: Double = 0.95, dischargeEfficiency: Double = 0.95, socMinPct: Double = 10,
                socMaxPct: Double = 95, reservePct: Double = 20, initialSocPct: Double = 50,
                terminalSocPct: Double = 50, cyclingCostKRWPerKWh: Double = 0) {
        self.id = id; self.capacityKWh = capacityKWh; self.maxChargeKW = maxChargeKW; self.maxDischargeKW = maxDischargeKW
        self.chargeEfficiency = chargeEfficiency; self.dischargeEfficiency = dischargeEfficiency
        self.socMinPct = socMinPct; self.socMaxPct = socMaxPct; self.reservePct = reservePct
        self.initialSocPct = initialSocPct; self.terminalSocPct = terminalSocPct
        self.cyclingCostKRWPerKWh = cyclingCostKRWPerKWh
    }
}

/// Load period of a time-of-use tariff (경부하 / 중간부하 / 최대부하).
public enum LoadPeriod: String, Sendable, Codable, CaseIterable {
    case offPeak = "off_peak"
    case mid
    case peak
}

/// A dated time-of-use tariff table.
public struct TariffTable: Sendable, Equatable, Codable {
    public var name: String
    /// First day the table applies (KST, inclusive), `YYYY-MM-DD`.
    public var effectiveFrom: String
    public var effectiveFromEpoch: Int64
    public var seasons: [TariffSeason]
    public var periods: [TariffPeriod]
    public var source: String

    public init(name: String, effectiveFrom: String, seasons: [TariffSeason], periods: [TariffPeriod], source: String = "") {
        self.name = name; self.effectiveFrom = effectiveFrom
        self.effectiveFromEpoch = KSTDateTime.parse(effectiveFrom)?.epochSeconds ?? 0
        self.seasons = seasons; self.periods = periods; self.source = source
    }

    public func season(month: Int) -> TariffSeason? { seasons.first { $0.months.contains(month) } }

    /// The period and energy rate for the hour containing `epoch`.
    public func rate(at epoch: Int64) -> TariffPeriod? {
        let t = KSTDateTime(epochSeconds: epoch)
        guard let s = season(month: t.month) else { return nil }
        return periods.first { $0.season == s.name && $0.hours.contains(t.hour) }
    }
}

public struct TariffSeason: Sendable, Equatable, Codable {
    public var name: String
    public var months: [Int]
    public init(name: String, months: [Int]) { self.name = name; self.months = months }
}

public struct TariffPeriod: Sendable, Equatable, Codable {
    public var season: String
    public var period: LoadPeriod
    /// Hours of the day, hour-beginning KST (0 = 00:00–01:00).
    public var hours: [Int]
    public var rateKRWPerKWh: Double
    public init(season: String, period: LoadPeriod, hours: [Int], rateKRWPerKWh: Double) {
        self.season = season; self.period = period; self.hours = hours; self.rateKRWPerKWh = rateKRWPerKWh
    }
}

/// One row of the dated emission-factor table.
public struct EmissionFactorEntry: Sendable, Equatable, Codable {
    /// The calendar year the factor applies to; nil for multi-year averages.
    public var year: Int?
    public var label: String
    public var tco2eqPerMWh: Double
    public var basis: String
    public var source: String
    public init(year: Int?, label: String, tco2eqPerMWh: Double, basis: String = "", source: String = "") {
        self.year = year; self.label = label; self.tco2eqPerMWh = tco2eqPerMWh; self.basis = basis; self.source = source
    }
    public var factor: EmissionFactor { EmissionFactor(tonnesPerMWh: tco2eqPerMWh) }
}

/// City targets and the district's share of them.
public struct Targets: Sendable, Equatable, Codable {
    public var citySolarKWp: Double
    public var cityMiniSolarHouseholds: Int
    public var cityTCO2PerYear: Double
    /// District share of the city targets [0–1].
    public var districtShare: Double
    public var districtShareBasis: String
    public init(citySolarKWp: Double = 1_000_000, cityMiniSolarHouseholds: Int = 1_000_000,
                cityTCO2PerYear: Double = 540_000, districtShare: Double = 0, districtShareBasis: String = "") {
        self.citySolarKWp = citySolarKWp; self.cityMiniSolarHouseholds = cityMiniSolarHouseholds
        self.cityTCO2PerYear = cityTCO2PerYear; self.districtShare = districtShare; self.districtShareBasis = districtShareBasis
    }
}

/// Value of exported energy.
public struct ExportPrice: Sendable, Equatable, Codable {
    /// Flat export value [KRW/kWh] used when no price series is given.
    public var flatKRWPerKWh: Double
    public var source: String
    public init(flatKRWPerKWh: Double = 0, source: String = "") { self.flatKRWPerKWh = flatKRWPerKWh; self.source = source }
}
