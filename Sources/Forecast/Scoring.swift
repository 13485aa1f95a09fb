import Foundation
import VPPCore

// Scoring stored forecasts "as issued" against what the meters reported (issue 11, item 4).
// Pure functions over hourly series; the store-driven part is ForecastScorer.swift.
//
// PV is scored as KPX settles the renewable forecast incentive (재생에너지 발전량 예측제도,
// 전력시장운영규칙 별표2; design.md §5): the hourly error |F − A| divided by the installed
// capacity, averaged over the hours whose actual output is at least 10 % of capacity (NMAE [%]).
// Daily NMAE is the same mean over one KST day's qualifying hours; the share of days with daily
// NMAE ≤ 6 % and ≤ 8 % are the incentive bands in force until 2025-05.
// MAE, RMSE and bias (mean F − A) of PV are over daylight hours, defined here as the hours where
// the forecast or the actual is above zero (both zero = night, which would dilute the errors).
// Skill against persistence is 1 − NMAE(F) / NMAE(P) where P is the actual of the same hour the
// day before, both over the same qualifying hours (those where P exists).
// Load is scored with MAPE (mean |F − A| / A over hours with A > 0) and NMAE normalised by the mean
// actual (Σ|F − A| / ΣA, also called WAPE): a dong has no "installed capacity" for load.
// An hour with no actual (not ingested, or metered for less than the whole hour) is left out and
// counted; with no actual at all a score says "no actuals", never 0 %.

/// What a forecast is scored as.
public enum ScoredQuantity: String, Sendable, Codable, CaseIterable {
    case pv, load
}

/// One hour of a scored series [Wh]; nil where the value is missing.
public struct ScoreHour: Sendable, Equatable {
    /// Start of the hour [UTC epoch s] (hour-beginning).
    public var hourStart: Int64
    public var forecastWh: Int64?
    public var actualWh: Int64?
    /// The actual of the same hour the day before (persistence reference).
    public var persistenceWh: Int64?
    public init(hourStart: Int64, forecastWh: Int64?, actualWh: Int64?, persistenceWh: Int64? = nil) {
        self.hourStart = hourStart; self.forecastWh = forecastWh; self.actualWh = actualWh; self.persistenceWh = persistenceWh
    }
}

/// Why a score has no figures (JSON `status`).
public enum ScoreStatus: String, Sendable, Codable {
    case ok
    case noForecast = "no forecast"
    case noActuals = "no actuals"
    case noQualifyingHours = "no hours with actual >= 10 % of capacity"
    case noCapacity = "no PV capacity in config"
}

/// The scores of one series (a dong or the district) over one group of hours.
public struct ForecastScore: Sendable, Equatable, Codable {
    /// Period label: a KST day (YYYY-MM-DD), a month (YYYY-MM) or "all".
    public var period: String
    /// Dong code, or "district" for the aggregate.
    public var dong: String
    public var quantity: ScoredQuantity
    public var status: ScoreStatus
    /// PV capacity the NMAE is normalised by [kWp]; nil for load.
    public var capacityKWp: Double?
    /// Hours with a forecast, with both forecast and actual, and the hours the headline metric used.
    public var forecastHours: Int
    public var pairedHours: Int
    public var scoredHours: Int
    /// Hours with a forecast but no (complete) actual.
    public var missingActualHours: Int
    /// PV: KPX NMAE [%]; load: Σ|F − A| / ΣA [%].
    public var nmaePct: Double?
    /// The same metric for persistence (same hour the day before) and 1 − NMAE/NMAE_persistence.
    public var persistenceNMAEPct: Double?
    public var skillVsPersistence: Double?
    /// PV: over daylight hours; load: over all paired hours [kWh].
    public var maeKWh: Double?
    public var rmseKWh: Double?
    /// Mean (F − A) [kWh]: positive = over-forecast.
    public var biasKWh: Double?
    /// Load only: mean |F − A| / A over hours with A > 0 [%].
    public var mapePct: Double?
    /// PV only: KST days with at least one qualifying hour, and the share of them with daily NMAE ≤ 6 % / ≤ 8 % [%].
    public var days: Int
    public var shareDaysWithin6Pct: Double?
    public var shareDaysWithin8Pct: Double?

    enum CodingKeys: String, CodingKey {
        case period, dong, quantity, status, capacityKWp = "capacity_kwp", forecastHours = "forecast_hours",
             pairedHours = "paired_hours", scoredHours = "scored_hours", missingActualHours = "missing_actual_hours",
             nmaePct = "nmae_pct", persistenceNMAEPct = "persistence_nmae_pct", skillVsPersistence = "skill_vs_persistence",
             maeKWh = "mae_kwh", rmseKWh = "rmse_kwh", biasKWh = "bias_kwh", mapePct = "mape_pct", days,
             shareDaysWithin6Pct = "share_days_le_6_pct", shareDaysWithin8Pct = "share_days_le_8_pct"
    }

    // Explicit nulls in JSON (a missing figure is a fact to show, not a key to drop).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(period, forKey: .period); try c.encode(dong, forKey: .dong); try c.encode(quantity, forKey: .quantity)
        try c.encode(status, forKey: .status); try c.encode(capacityKWp, forKey: .capacityKWp)
        try c.encode(forecastHours, forKey: .forecastHours); try c.encode(pairedHours, forKey: .pairedHours)
        try c.encode(scoredHours, forKey: .scoredHours); try c.encode(missingActualHours, forKey: .missingActualHours)
        try c.encode(nmaePct, forKey: .nmaePct); try c.encode(persistenceNMAEPct, forKey: .persistenceNMAEPct)
        try c.encode(skillVsPersistence, forKey: .skillVsPersistence); try c.encode(maeKWh, forKey: .maeKWh)
        try c.encode(rmseKWh, forKey: .rmseKWh); try c.encode(biasKWh, forKey: .biasKWh); try c.encode(mapePct, forKey: .mapePct)
        try c.encode(days, forKey: .days); try c.encode(shareDaysWithin6Pct, forKey: .shareDaysWithin6Pct)
        try c.encode(shareDaysWithin8Pct, forKey: .shareDaysWithin8Pct)
    }
}

/// The scoring arithmetic.
public enum ForecastScoring {
    /// The share of capacity an hour's actual must reach to count for KPX NMAE.
    public static let kpxThreshold = 0.10

    /// Calls `body(hourStart, wh, seconds)` for the part of one slot in each hour it covers: a slot
    /// within an hour goes whole to that hour; a slot longer than an hour that spans whole hours is
    /// split evenly (remainder Wh to its first hour); any other slot is skipped.
    static func forEachHour(slotStart: Int64, durationS: Int, wh: Int64, _ body: (Int64, Int64, Int) -> Void) {
        guard durationS > 0 else { return }
        if durationS > 3600 {
            guard durationS % 3600 == 0, slotStart % 3600 == 0 else { return }
            let n = Int64(durationS / 3600)
            let each = wh / n, rest = wh - each * n
            for k in 0..<n { body(slotStart + k * 3600, each + (k == 0 ? rest : 0), 3600) }
        } else {
            let h = slotStart - ((slotStart % 3600) + 3600) % 3600
            guard slotStart + Int64(durationS) <= h + 3600 else { return }
            body(h, wh, durationS)
        }
    }

    /// Sums forecast slots into hours [Wh] (hour-beginning, UTC epoch s). An hour counts only when
    /// its slots cover all 3600 s (a partly forecast hour is dropped, not under-counted).
    public static func hourly(slots: [(slotStart: Int64, durationS: Int, wh: Int64)]) -> [Int64: Int64] {
        var sum: [Int64: Int64] = [:], covered: [Int64: Int] = [:]
        for s in slots {
            forEachHour(slotStart: s.slotStart, durationS: s.durationS, wh: s.wh) { h, wh, sec in
                sum[h, default: 0] += wh; covered[h, default: 0] += sec
            }
        }
        return sum.filter { covered[$0.key] == 3600 }
    }

    /// The same sums over a known range of hours, in arrays (the scorer's path over a year of runs).
    public struct HourlySums: Sendable {
        public let from: Int64
        var sum: [Int64], covered: [Int32]
        public init(from: Int64, hours: Int) {
            self.from = from; sum = Array(repeating: 0, count: hours); covered = Array(repeating: 0, count: hours)
        }
        public mutating func add(slotStart: Int64, durationS: Int, wh: Int64) {
            let from = self.from, n = sum.count
            ForecastScoring.forEachHour(slotStart: slotStart, durationS: durationS, wh: wh) { h, wh, sec in
                let k = Int((h - from) / 3600)
                guard h >= from, k < n else { return }
                sum[k] += wh; covered[k] += Int32(sec)
            }
        }
        /// Hour k's sum, nil unless exactly 3600 s were forecast.
        public var values: [Int64?] { sum.indices.map { covered[$0] == 3600 ? sum[$0] : nil } }
    }

    /// The district aggregate: per hour, the sums over dongs of forecast, actual and persistence;
    /// a sum is missing when any dong's value is (a partial sum would be scored against the whole
    /// capacity). All series must cover the same hours.
    public static func aggregate(_ series: [[ScoreHour]]) -> [ScoreHour] {
        guard let first = series.first else { return [] }
        return first.indices.map { i in
            func total(_ k: KeyPath<ScoreHour, Int64?>) -> Int64? {
                var s: Int64 = 0
                for d in series { guard i < d.count, let v = d[i][keyPath: k] else { return nil }; s += v }
                return s
            }
            return ScoreHour(hourStart: first[i].hourStart, forecastWh: total(\.forecastWh), actualWh: total(\.actualWh),
                             persistenceWh: total(\.persistenceWh))
        }
    }

    /// KPX NMAE [%] of `value` over hours with actual ≥ 10 % of capacity; nil when none qualifies.
    public static func kpxNMAE(_ hours: [ScoreHour], capacityKWp cap: Double,
                               value: KeyPath<ScoreHour, Int64?> = \.forecastWh) -> (pct: Double, hours: Int)? {
        let capWh = cap * 1000
        var s = 0.0, n = 0
        for h in hours {
            guard let a = h.actualWh, let f = h[keyPath: value], Double(a) >= kpxThreshold * capWh else { continue }
            s += abs(Double(f - a)) / capWh; n += 1
        }
        return n > 0 ? (s / Double(n) * 100, n) : nil
    }

    /// Scores PV hours against `capacityKWp`.
    public static func scorePV(period: String, dong: String, hours: [ScoreHour], capacityKWp cap: Double) -> ForecastScore {
        let withF = hours.filter { $0.forecastWh != nil }
        let paired = withF.filter { $0.actualWh != nil }
        var s = ForecastScore(period: period, dong: dong, quantity: .pv, status: .ok, capacityKWp: cap, forecastHours: withF.count,
                              pairedHours: paired.count, scoredHours: 0, missingActualHours: withF.count - paired.count,
                              days: 0)
        if withF.isEmpty { s.status = .noForecast; return s }
        if paired.isEmpty { s.status = .noActuals; return s }
        guard cap > 0 else { s.status = .noCapacity; return s }
        let daylight = paired.filter { ($0.forecastWh ?? 0) > 0 || ($0.actualWh ?? 0) > 0 }
        (s.maeKWh, s.rmseKWh, s.biasKWh) = errors(daylight)
        guard let n = kpxNMAE(paired, capacityKWp: cap) else { s.status = .noQualifyingHours; return s }
        s.nmaePct = n.pct; s.scoredHours = n.hours
        // Persistence and skill over the qualifying hours where persistence exists.
        let withP = paired.filter { $0.persistenceWh != nil }
        if let p = kpxNMAE(withP, capacityKWp: cap, value: \.persistenceWh), let f = kpxNMAE(withP, capacityKWp: cap) {
            s.persistenceNMAEPct = p.pct
            s.skillVsPersistence = p.pct > 0 ? 1 - f.pct / p.pct : nil
        }
        var byDay: [Int64: [ScoreHour]] = [:]
        for h in paired { byDay[(h.hourStart + KST.offsetSeconds) / 86_400, default: []].append(h) }
        let daily = byDay.values.compactMap { kpxNMAE($0, capacityKWp: cap)?.pct }
        s.days = daily.count
        if !daily.isEmpty {
            s.shareDaysWithin6Pct = Double(daily.filter { $0 <= 6 }.count) / Double(daily.count) * 100
            s.shareDaysWithin8Pct = Double(daily.filter { $0 <= 8 }.count) / Double(daily.count) * 100
        }
        return s
    }

    /// Scores load hours: NMAE = Σ|F − A| / ΣA, MAPE over hours with A > 0, MAE/RMSE/bias over all paired hours.
    public static func scoreLoad(period: String, dong: String, hours: [ScoreHour]) -> ForecastScore {
        let withF = hours.filter { $0.forecastWh != nil }
        let paired = withF.filter { $0.actualWh != nil }
        var s = ForecastScore(period: period, dong: dong, quantity: .load, status: .ok, capacityKWp: nil, forecastHours: withF.count,
                              pairedHours: paired.count, scoredHours: 0, missingActualHours: withF.count - paired.count,
                              days: 0)
        if withF.isEmpty { s.status = .noForecast; return s }
        if paired.isEmpty { s.status = .noActuals; return s }
        (s.maeKWh, s.rmseKWh, s.biasKWh) = errors(paired)
        s.nmaePct = wape(paired, value: \.forecastWh)
        let positive = paired.filter { ($0.actualWh ?? 0) > 0 }
        s.scoredHours = positive.count
        if !positive.isEmpty {
            s.mapePct = positive.reduce(0.0) { acc, h in
                let a = Double(h.actualWh ?? 0), f = Double(h.forecastWh ?? 0)
                return acc + abs(f - a) / a
            } / Double(positive.count) * 100
        }
        let withP = paired.filter { $0.persistenceWh != nil }
        if let p = wape(withP, value: \.persistenceWh), let f = wape(withP, value: \.forecastWh) {
            s.persistenceNMAEPct = p
            s.skillVsPersistence = p > 0 ? 1 - f / p : nil
        }
        return s
    }

    /// Σ|V − A| / ΣA × 100 over `hours` (nil when ΣA = 0).
    static func wape(_ hours: [ScoreHour], value: KeyPath<ScoreHour, Int64?>) -> Double? {
        var e = 0.0, a = 0.0
        for h in hours { guard let x = h.actualWh, let v = h[keyPath: value] else { continue }; e += abs(Double(v - x)); a += Double(x) }
        return a > 0 ? e / a * 100 : nil
    }

    /// MAE, RMSE, bias [kWh] over hours with both values; nils when there are none.
    static func errors(_ hours: [ScoreHour]) -> (Double?, Double?, Double?) {
        var ae = 0.0, se = 0.0, e = 0.0, n = 0
        for h in hours {
            guard let f = h.forecastWh, let a = h.actualWh else { continue }
            let d = Double(f - a) / 1000
            ae += abs(d); se += d * d; e += d; n += 1
        }
        guard n > 0 else { return (nil, nil, nil) }
        return (ae / Double(n), (se / Double(n)).squareRoot(), e / Double(n))
    }
}
