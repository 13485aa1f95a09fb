import Foundation
import VPPCore
import VPPStore

/// One forecast (or observed) weather state valid at an instant.
public struct WeatherPoint: Sendable, Equatable, Codable {
    /// Valid time [UTC epoch s].
    public var epoch: Int64
    /// Air temperature [°C] (KMA TMP).
    public var temperatureC: Double
    /// Wind speed [m/s] (KMA WSD).
    public var windSpeedMS: Double
    /// Relative humidity [%] (KMA REH).
    public var humidityPct: Double
    /// KMA sky state (SKY: 1 clear, 2 partly cloudy (pre-2019 code), 3 mostly cloudy, 4 overcast);
    /// fractional when interpolated between forecast steps.
    public var sky: Double
    /// KMA precipitation type (PTY: 0 none, 1 rain, 2 rain/snow, 3 snow, 4 shower); 0 when unknown.
    public var precipitationType: Int
    /// Probability of precipitation [%] (KMA POP); nil when unknown.
    public var precipitationProbabilityPct: Double?

    public init(epoch: Int64, temperatureC: Double, windSpeedMS: Double, humidityPct: Double, sky: Double,
                precipitationType: Int = 0, precipitationProbabilityPct: Double? = nil) {
        self.epoch = epoch; self.temperatureC = temperatureC; self.windSpeedMS = windSpeedMS
        self.humidityPct = humidityPct; self.sky = sky; self.precipitationType = precipitationType
        self.precipitationProbabilityPct = precipitationProbabilityPct
    }

    /// Total cloud fraction [0, 1] from the KMA codes. KMA defines SKY by total cloud amount in
    /// tenths: 맑음 0–5, 구름많음 6–8, 흐림 9–10 (old 구름조금 3–5); we take representative values
    /// 0.15 / 0.45 / 0.7 / 0.95, interpolate linearly for fractional codes, and treat any
    /// precipitation (PTY > 0) as overcast. A high POP (≥ 60 %) raises the fraction to ≥ 0.85.
    public var cloudFraction: Double {
        let table: [Double] = [0.15, 0.45, 0.7, 0.95]
        let s = min(max(sky, 1), 4)
        let i = Int(s.rounded(.down))   // 1…4
        var cf = i >= 4 ? table[3] : table[i - 1] + (s - Double(i)) * (table[i] - table[i - 1])
        if precipitationType > 0 { cf = 1 }
        if let pop = precipitationProbabilityPct, pop >= 60 { cf = max(cf, 0.85) }
        return cf
    }
}

/// A time-ordered weather series with linear interpolation between valid times.
public struct WeatherSeries: Sendable, Equatable {
    public private(set) var points: [WeatherPoint]
    public init(points: [WeatherPoint]) { self.points = points.sorted { $0.epoch < $1.epoch } }

    public var isEmpty: Bool { points.isEmpty }

    /// Weather at `epoch`, linear between neighbours (PTY/POP from the nearer one); nil outside the
    /// series or across a gap longer than `maxGapSeconds`.
    public func at(_ epoch: Int64, maxGapSeconds: Int64 = 3 * 3600 + 1) -> WeatherPoint? {
        guard let first = points.first, let last = points.last, epoch >= first.epoch, epoch <= last.epoch else { return nil }
        var lo = 0, hi = points.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if points[mid].epoch <= epoch { lo = mid } else { hi = mid }
        }
        let a = points[lo], b = points[hi]
        if a.epoch == epoch { return a }
        if b.epoch == epoch { return b }
        guard b.epoch - a.epoch <= maxGapSeconds else { return nil }
        let w = Double(epoch - a.epoch) / Double(b.epoch - a.epoch)
        func l(_ x: Double, _ y: Double) -> Double { x + (y - x) * w }
        let near = w < 0.5 ? a : b
        var popValue: Double? = nil
        if let pa = a.precipitationProbabilityPct, let pb = b.precipitationProbabilityPct { popValue = l(pa, pb) }
        return WeatherPoint(epoch: epoch, temperatureC: l(a.temperatureC, b.temperatureC),
                            windSpeedMS: l(a.windSpeedMS, b.windSpeedMS), humidityPct: l(a.humidityPct, b.humidityPct),
                            sky: l(a.sky, b.sky), precipitationType: near.precipitationType,
                            precipitationProbabilityPct: popValue)
    }
}
