/// `[dispatch]` of the site config: settings of `vpp dispatch run` that belong to the site.
public struct DispatchSettings: Sendable, Equatable, Codable {
    /// Stored battery telemetry older than this is stale [min] (`telemetry_max_age_min`, default
    /// 30): the run then starts that battery from the previous plan's SoC, with a warning.
    public var telemetryMaxAgeMin: Double

    public init(telemetryMaxAgeMin: Double = 30) { self.telemetryMaxAgeMin = telemetryMaxAgeMin }

    /// The staleness limit [s].
    public var telemetryMaxAgeS: Int64 { Int64((telemetryMaxAgeMin * 60).rounded()) }
}
