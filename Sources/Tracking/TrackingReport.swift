import VPPCore
import VPPStore
/// A tracking report (issue 6): per dong, participant and district, by day, month, year and
/// period: PV generation, consumption, self-consumed PV, storage, import/export, RE100 share,
/// tCO2 avoided with the emission factor used, and progress to the district's share of the city
/// targets. Built by `TrackingReportBuilder`; rendered by `TrackingReportRenderer`.
public struct TrackingReport: Sendable {
    public static let schema = "vpp.tracking-report/2"

    public var siteID: String
    public var siteNameKo: String
    public var siteName: String
    public var period: ReportPeriod
    /// "district" or the dong code the report is limited to.
    public var scope: String
    public var scopeNameKo: String
    /// When the report was built [UTC epoch s] (the store's clock).
    public var generatedAt: Int64
    /// Minimum coverage for a value to be shown [%].
    public var coverageThresholdPct: Double
    public var factorsUsed: [FactorUse]
    public var dongs: [DongInfo]
    /// Period totals: one row per dong, then the scope total (district row).
    public var summary: [MetricsRow]
    public var participants: [MetricsRow]
    public var daily: [MetricsRow]
    public var monthly: [MetricsRow]
    public var yearly: [MetricsRow]
    public var targets: [TargetProgress]
    /// Per-dong progress to each dong's part of the district share, keyed by dong code.
    public var dongTargets: [String: [TargetProgress]]
    public var runRate: RunRate
    public var soc: SoCSeries
    public var definitions: [String]
    /// Battery flows measured vs planned and plan vs actual per battery (nil: no batteries in scope).
    public var batteryFlows: BatteryFlowSection? = nil
    /// Stored forecasts as issued, scored against the period's actuals (issue 11); nil when not built.
    public var forecastAccuracy: ForecastAccuracy? = nil
    /// Meter hierarchy, monthly uploads and unmetered PV: what was corrected or estimated (issue 12).
    public var counting = CountingSummary()

    public struct DongInfo: Sendable, Equatable {
        public var code: String, nameKo: String, name: String
        public var households: Int
        public var pvKWp: Double
        public var miniSolarHouseholds: Int
        public var batteryKWh: Double
        public var roundTripEfficiency: Double
    }

    /// An emission factor a report applied, and to which calendar year.
    public struct FactorUse: Sendable, Equatable {
        public var appliedToYear: Int
        public var entryLabel: String
        public var tco2eqPerMWh: Double
        public var basis: String
        public var source: String
        /// Empty when the table has an entry for the year itself.
        public var note: String
        public var sentence: String {
            "\(appliedToYear): \(tco2eqPerMWh) tCO2eq/MWh (\(entryLabel)\(basis.isEmpty ? "" : ", \(basis)"))"
                + (note.isEmpty ? "" : " — \(note)")
        }
    }
}

/// Progress to one target.
public struct TargetProgress: Sendable, Equatable {
    public var key: String
    public var label: String
    public var unit: String
    public var actual: Double?
    public var target: Double
    /// actual / target [%]; nil when actual is unknown or the target is 0.
    public var progressPct: Double?
    public var note: String
}

/// tCO2/yr run-rate of the scope (and of each dong).
public struct RunRate: Sendable, Equatable {
    public enum Method: String, Sendable { case last12Months = "last_12_months", seasonalAnnualised = "annualised_seasonal_pv_weighting", none }
    public var tco2ePerYear: Double?
    public var method: Method
    /// The 12-month window ending with the period [UTC epoch s, half-open].
    public var windowStart: Int64
    public var windowEnd: Int64
    public var coveredDays: Int
    public var windowDays: Int
    /// Share of a year's PV yield the covered days represent (monthly profile) [0–1].
    public var coveredYieldShare: Double
    public var explanation: String
    public var byDong: [String: Double?]
}

/// State of charge over the period, per dong (all its batteries together) [% of capacity].
public struct SoCSeries: Sendable, Equatable {
    public enum Source: String, Sendable { case plannedSchedule = "planned_schedule", derivedFromRollups = "derived_from_rollups", none }
    public struct Point: Sendable, Equatable { public var t: Int64; public var pct: Double }
    public struct DongSeries: Sendable, Equatable {
        public var dongCode: String, nameKo: String
        public var capacityKWh: Double
        public var points: [Point]
    }
    public var source: Source
    /// "hour" or "day" (daily mean for periods longer than 45 days).
    public var resolution: String
    public var explanation: String
    public var dongs: [DongSeries]
}

/// Report options.
public struct TrackingOptions: Sendable {
    /// Coverage below this shows as a gap [%].
    public var coverageThresholdPct: Double
    /// Limit the report to one dong (10-digit code); nil = the whole district.
    public var dongCode: String?
    /// Monthly PV yield profile for seasonal annualisation.
    public var profile: PVYieldProfile
    /// The optional sections to build (all by default; see `TrackingSections`).
    public var sections: TrackingSections = .all
    public init(coverageThresholdPct: Double = 90, dongCode: String? = nil, profile: PVYieldProfile = .dangjin) {
        self.coverageThresholdPct = coverageThresholdPct; self.dongCode = dongCode; self.profile = profile
    }
}

/// The parts of a `TrackingReport` that cost reads or time beyond the summary, the monthly and
/// yearly rows, the run-rate and the targets (which every report has). The dashboard pages show
/// the summary and the chart buckets only, so they leave the rest out (issue 16: a cold
/// district-year page under 300 ms); what they do build goes through the same code, so its values
/// equal the full report's (tested).
public struct TrackingSections: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// One row per KST day of the period (`daily`).
    public static let daily = TrackingSections(rawValue: 1 << 0)
    /// Participants from their meters' readings (`participants`).
    public static let participants = TrackingSections(rawValue: 1 << 1)
    /// Battery SoC series from the dispatch plans or the rollups (`soc`).
    public static let soc = TrackingSections(rawValue: 1 << 2)
    /// Forecast accuracy: the stored runs scored against the period's actuals (`forecastAccuracy`).
    public static let forecastAccuracy = TrackingSections(rawValue: 1 << 3)
    public static let all: TrackingSections = [.daily, .participants, .soc, .forecastAccuracy]
}
