/// Load and PV of every dong for one dispatch horizon [kW per step, config order], with a
/// statement of where they came from (stored forecast run, the dong's own readings, nominal
/// config figures) that the run record keeps.
public struct DispatchSeries: Sendable {
    public var series: [(load: [Double], pv: [Double])]
    public var sources: String
    public init(series: [(load: [Double], pv: [Double])], sources: String) {
        self.series = series; self.sources = sources
    }
}
