import Foundation
/// Energy and power as value types so the unit is part of the type.
///
/// Energy is stored as integer watt-hours everywhere it is persisted; kWh and MWh are
/// views for people. Power is a `Double` in watts (a rate, not a stored quantity).

/// Energy in integer watt-hours [Wh].
public struct WattHours: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var wh: Int64
    @inlinable public init(_ wh: Int64) { self.wh = wh }
    /// Rounds half away from zero to the nearest Wh.
    @inlinable public init(kWh: Double) { self.wh = Int64((kWh * 1000).rounded()) }
    @inlinable public init(MWh: Double) { self.wh = Int64((MWh * 1_000_000).rounded()) }
    /// Wh from a value read from a file or a request [Wh]: nil when it is not finite or beyond
    /// ±2^53 Wh (9 TWh, more than any asset meters in one slot, and the largest integer a Double
    /// holds exactly), so that no parsed number can trap the Int64 conversion.
    @inlinable public init?(checked wh: Double) {
        let r = wh.rounded()
        guard r.isFinite, abs(r) <= WattHours.maxCheckedWh else { return nil }
        self.wh = Int64(r)
    }
    /// The largest magnitude `init?(checked:)` accepts [Wh] (2^53).
    public static let maxCheckedWh: Double = 9_007_199_254_740_992
    @inlinable public var kWh: Double { Double(wh) / 1000 }
    @inlinable public var MWh: Double { Double(wh) / 1_000_000 }
    public static let zero = WattHours(0)
    @inlinable public static func + (a: WattHours, b: WattHours) -> WattHours { WattHours(a.wh + b.wh) }
    @inlinable public static func - (a: WattHours, b: WattHours) -> WattHours { WattHours(a.wh - b.wh) }
    @inlinable public static func += (a: inout WattHours, b: WattHours) { a.wh += b.wh }
    @inlinable public static func < (a: WattHours, b: WattHours) -> Bool { a.wh < b.wh }
    /// Average power over `seconds` [W].
    @inlinable public func averagePower(over seconds: Int) -> Watts { Watts(Double(wh) * 3600 / Double(seconds)) }
    public var description: String { "\(wh) Wh" }
}

/// Power in watts [W].
public struct Watts: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var w: Double
    @inlinable public init(_ w: Double) { self.w = w }
    @inlinable public init(kW: Double) { self.w = kW * 1000 }
    @inlinable public var kW: Double { w / 1000 }
    public static let zero = Watts(0)
    /// Energy delivered at this constant power for `seconds`, rounded to the nearest Wh.
    @inlinable public func energy(over seconds: Int) -> WattHours { WattHours(Int64((w * Double(seconds) / 3600).rounded())) }
    @inlinable public static func < (a: Watts, b: Watts) -> Bool { a.w < b.w }
    public var description: String { "\(w) W" }
}

/// Installed PV capacity [kWp, DC nameplate].
public struct KilowattsPeak: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var kWp: Double
    @inlinable public init(_ kWp: Double) { self.kWp = kWp }
    @inlinable public init(watts: Double) { self.kWp = watts / 1000 }
    @inlinable public var MWp: Double { kWp / 1000 }
    @inlinable public static func + (a: KilowattsPeak, b: KilowattsPeak) -> KilowattsPeak { KilowattsPeak(a.kWp + b.kWp) }
    @inlinable public static func < (a: KilowattsPeak, b: KilowattsPeak) -> Bool { a.kWp < b.kWp }
    public var description: String { "\(kWp) kWp" }
}

/// Storage energy capacity [kWh]. A capacity, not a metered quantity, hence `Double`.
public struct KilowattHours: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var kWh: Double
    @inlinable public init(_ kWh: Double) { self.kWh = kWh }
    @inlinable public var wattHours: WattHours { WattHours(kWh: kWh) }
    @inlinable public static func + (a: KilowattHours, b: KilowattHours) -> KilowattHours { KilowattHours(a.kWh + b.kWh) }
    @inlinable public static func < (a: KilowattHours, b: KilowattHours) -> Bool { a.kWh < b.kWh }
    public var description: String { "\(kWh) kWh" }
}

/// Greenhouse-gas mass in tonnes of CO2 equivalent [tCO2e].
public struct TonnesCO2e: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var t: Double
    @inlinable public init(_ t: Double) { self.t = t }
    @inlinable public static func + (a: TonnesCO2e, b: TonnesCO2e) -> TonnesCO2e { TonnesCO2e(a.t + b.t) }
    @inlinable public static func < (a: TonnesCO2e, b: TonnesCO2e) -> Bool { a.t < b.t }
    public var description: String { "\(t) tCO2e" }
}

/// Grid emission factor [tCO2eq/MWh].
public struct EmissionFactor: Hashable, Sendable, Codable {
    public var tonnesPerMWh: Double
    @inlinable public init(tonnesPerMWh: Double) { self.tonnesPerMWh = tonnesPerMWh }
    /// Emissions for `energy` at this factor.
    @inlinable public func emissions(for energy: WattHours) -> TonnesCO2e { TonnesCO2e(energy.MWh * tonnesPerMWh) }
}
