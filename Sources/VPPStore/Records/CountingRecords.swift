import VPPCore

/// One asset's metered energy in one hour [Wh] and the seconds its readings cover.
public struct AssetHour: Sendable, Equatable {
    public var wh: Int64
    public var coveredS: Int64
    public init(wh: Int64, coveredS: Int64) { self.wh = wh; self.coveredS = coveredS }
}

/// A monthly upload's usage of one meter (asset) in one billing month, summed over its
/// household units (동-호) [Wh].
public struct RegisterMonth: Sendable, Equatable {
    public var assetID: String
    public var period: YearMonth
    public var usageWh: Int64
    public var units: Int
    public init(assetID: String, period: YearMonth, usageWh: Int64, units: Int) {
        self.assetID = assetID; self.period = period; self.usageWh = usageWh; self.units = units
    }
}
