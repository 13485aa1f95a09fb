import Foundation
import VPPCore
import VPPStore

/// Rows per KST day, per KST month, or one row per series over the whole range.
public enum ScoreGrouping: String, Sendable, Codable, CaseIterable {
    case all, day, month
}

/// What to score: KST days [from, to), which dongs, the issue deadline, the grouping.
public struct ForecastScoreRequest: Sendable {
    /// First KST day scored and the KST day after the last one [UTC epoch s of 00:00 KST].
    public var from: Int64
    public var to: Int64
    /// Dongs scored one by one; the district aggregate sums them.
    public var dongs: [DongConfig]
    /// Deadline on D-1 for a run to count for day D [minutes after 00:00 KST]; KPX's first
    /// day-ahead round closes at 10:00.
    public var issuedBeforeMinutes: Int
    public var grouping: ScoreGrouping

    public init(from: Int64, to: Int64, dongs: [DongConfig], issuedBeforeMinutes: Int = 600, grouping: ScoreGrouping = .all) {
        self.from = from; self.to = to; self.dongs = dongs; self.issuedBeforeMinutes = issuedBeforeMinutes; self.grouping = grouping
    }
}

/// Which run was scored for one KST day.
public struct ScoredDayRun: Sendable, Equatable, Codable {
    public var day: String
    public var runID: Int64
    /// KST, ISO 8601.
    public var issuedAt: String
    enum CodingKeys: String, CodingKey { case day, runID = "run_id", issuedAt = "issued_at" }
}

/// `vpp forecast score`, the report's forecast-accuracy section and `/api/v1/forecast-scores`.
public struct ForecastScoreReport: Sendable, Equatable, Codable {
    /// First KST day and the day after the last one (YYYY-MM-DD).
    public var from: String
    public var to: String
    /// e.g. "D-1 10:00 KST".
    public var deadline: String
    public var grouping: ScoreGrouping
    public var runs: [ScoredDayRun]
    /// KST days with no run issued by the deadline that covers them.
    public var daysWithoutRun: [String]
    /// Dong code → Korean name, for display.
    public var dongNames: [String: String]
    /// Dongs summed into the district aggregate, per quantity.
    public var districtPVDongs: [String]
    public var districtLoadDongs: [String]
    public var pv: [ForecastScore]
    public var load: [ForecastScore]
    public var definitions: [String]

    enum CodingKeys: String, CodingKey {
        case from, to, deadline, grouping, runs, daysWithoutRun = "days_without_run", dongNames = "dong_names",
             districtPVDongs = "district_pv_dongs", districtLoadDongs = "district_load_dongs", pv, load, definitions
    }

    /// The district rows of the whole range, if any.
    public var districtPV: ForecastScore? { pv.first { $0.dong == ForecastScorer.districtLabel && $0.period == "all" } }
    public var districtLoad: ForecastScore? { load.first { $0.dong == ForecastScorer.districtLabel && $0.period == "all" } }
}

/// Scores the stored runs as issued against the ingested actuals.
public enum ForecastScorer {
    public static let districtLabel = "district"
    /// The longest horizon looked back over for a run covering a day [s] (forecast run allows 7 d).
    static let lookBackS: Int64 = 8 * 86_400

    /// The newest run issued at or before `deadline` whose values cover all of [day, day + 24 h).
    public static func asIssued(_ spans: [ForecastRunSpan], day: Int64, deadline: Int64) -> ForecastRunSpan? {
        var best: ForecastRunSpan?
        for s in spans where s.run.issuedAt <= deadline && s.covers(from: day, to: day + 86_400) {
            if let b = best, (b.run.issuedAt, b.run.id) > (s.run.issuedAt, s.run.id) { continue }
            best = s
        }
        return best
    }

    public static func deadlineLabel(minutes: Int) -> String { "D-1 \(pad(minutes / 60)):\(pad(minutes % 60)) KST" }

    public static func score(forecasts: any ForecastScoringStore, readings: any ReadingStore,
                             request q: ForecastScoreRequest) async throws -> ForecastScoreReport {
        try await scoreWithSeries(forecasts: forecasts, readings: readings, request: q).report
    }

    /// The scores and, per dong code, the hourly PV and load series they were computed from
    /// (hours [from, to) in order; the report draws forecast against actual from them).
    public static func scoreWithSeries(forecasts: any ForecastScoringStore, readings: any ReadingStore, request q: ForecastScoreRequest)
        async throws -> (report: ForecastScoreReport, pv: [String: [ScoreHour]], load: [String: [ScoreHour]])
    {
        guard q.from < q.to, (q.to - q.from) % 86_400 == 0 else {
            throw VPPError(.usage, "forecast score: the range must be whole KST days with from < to")
        }
        guard (0..<1440).contains(q.issuedBeforeMinutes) else {
            throw VPPError(.usage, "forecast score: the issue deadline must be within 00:00–23:59")
        }
        let days = Array(stride(from: q.from, to: q.to, by: 86_400))
        let deadlineOffset = Int64(q.issuedBeforeMinutes) * 60 - 86_400
        let spans = try await forecasts.forecastRunSpans(issuedFrom: q.from - lookBackS, issuedTo: q.to - 86_400 + deadlineOffset)
        // 1. The run of each day, then the days of each run.
        var runs: [ScoredDayRun] = [], missing: [String] = []
        var daysOfRun: [Int64: [Int64]] = [:]
        for d in days {
            if let s = asIssued(spans, day: d, deadline: d + deadlineOffset) {
                runs.append(ScoredDayRun(day: KSTDateTime(epochSeconds: d).dateString, runID: s.run.id,
                                         issuedAt: KSTDateTime(epochSeconds: s.run.issuedAt).iso8601))
                daysOfRun[s.run.id, default: []].append(d)
            } else {
                missing.append(KSTDateTime(epochSeconds: d).dateString)
            }
        }
        // 2. Forecast slots of the chosen (run, day) pairs, summed to hours per dong and quantity
        //    (arrays over the range's hours: one pass over the values, no per-value allocation).
        let codes = q.dongs.map(\.code)
        let index = Dictionary(codes.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let nHours = Int((q.to - q.from) / 3600)
        var pvF = [ForecastScoring.HourlySums](repeating: .init(from: q.from, hours: nHours), count: codes.count)
        var loadF = pvF
        for (runID, ds) in daysOfRun.sorted(by: { $0.key < $1.key }) {
            let chosen = Set(ds)
            guard let lo = ds.min(), let hi = ds.max() else { continue }
            for v in try await forecasts.forecastValues(runID: runID, from: lo, to: hi + 86_400, dong: codes.count == 1 ? codes[0] : nil,
                                                        quantity: nil) {
                guard let i = index[v.dongCode] else { continue }
                let day = v.slotStart - ((v.slotStart + KST.offsetSeconds) % 86_400 + 86_400) % 86_400
                guard chosen.contains(day) else { continue }
                if v.quantity == ScoredQuantity.pv.rawValue { pvF[i].add(slotStart: v.slotStart, durationS: v.durationS, wh: v.value.wh) }
                else if v.quantity == ScoredQuantity.load.rawValue { loadF[i].add(slotStart: v.slotStart, durationS: v.durationS, wh: v.value.wh) }
            }
        }
        // 3. Actuals from the hourly rollups, from the day before (persistence); whole metered hours only.
        let rollups = try await readings.hourlyRollups(dongCodes: codes, from: q.from - 86_400, to: q.to)
        var pvSeries: [[ScoreHour]] = [], loadSeries: [[ScoreHour]] = []
        for (i, code) in codes.enumerated() {
            // Index k = hour k of [from − 24 h, to).
            var gen = [Int64?](repeating: nil, count: nHours + 24), use = gen
            for r in rollups[code] ?? [] {
                let k = Int((r.hourStart - (q.from - 86_400)) / 3600)
                guard k >= 0, k < gen.count, r.hourStart % 3600 == 0 else { continue }
                if r.generationCoveredS >= 3600 { gen[k] = r.generationWh }
                if r.consumptionCoveredS >= 3600 { use[k] = r.consumptionWh }
            }
            let pv = pvF[i].values, load = loadF[i].values
            pvSeries.append((0..<nHours).map { k in
                ScoreHour(hourStart: q.from + Int64(k) * 3600, forecastWh: pv[k], actualWh: gen[k + 24], persistenceWh: gen[k])
            })
            loadSeries.append((0..<nHours).map { k in
                ScoreHour(hourStart: q.from + Int64(k) * 3600, forecastWh: load[k], actualWh: use[k + 24], persistenceWh: use[k])
            })
        }
        // 4. The district sums the dongs that have both forecast and actuals somewhere in the range
        //    (a dong without meters would otherwise leave the aggregate with no actual at all).
        func paired(_ s: [ScoreHour]) -> Bool { s.contains { $0.forecastWh != nil && $0.actualWh != nil } }
        //    With none, every dong is summed, and the aggregate says "no actuals".
        let pvIn = codes.indices.filter { paired(pvSeries[$0]) && q.dongs[$0].pvCapacity.kWp > 0 }
        let loadIn = codes.indices.filter { paired(loadSeries[$0]) }
        let pvSum = pvIn.isEmpty ? Array(codes.indices) : pvIn, loadSum = loadIn.isEmpty ? Array(codes.indices) : loadIn
        let districtCap = pvSum.reduce(0.0) { $0 + q.dongs[$1].pvCapacity.kWp }
        let districtPV = ForecastScoring.aggregate(pvSum.map { pvSeries[$0] })
        let districtLoad = ForecastScoring.aggregate(loadSum.map { loadSeries[$0] })
        // 5. Rows per group, then the whole range.
        func label(_ h: Int64) -> String {
            let s = KSTDateTime(epochSeconds: h).dateString
            switch q.grouping { case .all: return "all"; case .day: return s; case .month: return String(s.prefix(7)) }
        }
        let hourStarts = Array(stride(from: q.from, to: q.to, by: 3600))
        var groups: [(String, Range<Int>)] = []
        for (i, h) in hourStarts.enumerated() {
            let l = label(h)
            if let last = groups.last, last.0 == l { groups[groups.count - 1].1 = last.1.lowerBound..<(i + 1) } else { groups.append((l, i..<(i + 1))) }
        }
        if q.grouping != .all { groups.append(("all", 0..<hourStarts.count)) }
        var pv: [ForecastScore] = [], load: [ForecastScore] = []
        let showDistrict = codes.count > 1
        for (l, r) in groups {
            for (i, d) in q.dongs.enumerated() {
                pv.append(ForecastScoring.scorePV(period: l, dong: d.code, hours: Array(pvSeries[i][r]), capacityKWp: d.pvCapacity.kWp))
                load.append(ForecastScoring.scoreLoad(period: l, dong: d.code, hours: Array(loadSeries[i][r])))
            }
            if showDistrict {
                pv.append(ForecastScoring.scorePV(period: l, dong: districtLabel, hours: Array(districtPV[r]), capacityKWp: districtCap))
                load.append(ForecastScoring.scoreLoad(period: l, dong: districtLabel, hours: Array(districtLoad[r])))
            }
        }
        let deadline = deadlineLabel(minutes: q.issuedBeforeMinutes)
        let definitions = [
            "Runs as issued: for each KST day D, the newest stored run issued at or before \(deadline) whose values cover all of D.",
            "Forecast slots are summed to hour-beginning KST hours; an hour counts only when its slots cover all 3600 s.",
            "Actuals: the dong's hourly rollups (PV = generation, load = consumption), only hours metered for the whole hour; other hours are missing, never 0.",
            "PV NMAE (KPX): mean over hours with actual >= 10 % of capacity of |F - A| / capacity; capacity = the dong's PV kWp in the site config.",
            "PV MAE, RMSE, bias (mean F - A) over daylight hours (forecast or actual > 0); days <= 6 % / <= 8 %: share of KST days by daily NMAE.",
            "Skill = 1 - NMAE / NMAE of persistence (actual of the same hour the day before), over the hours where persistence exists.",
            "Load: NMAE = sum|F - A| / sum A; MAPE = mean |F - A| / A over hours with A > 0; MAE, RMSE, bias over all paired hours.",
            "District: per hour, sums of forecast and actual over the dongs with forecasts and actuals (an hour missing in any of them is missing); "
                + "PV capacity = the sum of those dongs' kWp (\(String(format: "%.1f", districtCap)) kWp).",
        ]
        let report = ForecastScoreReport(
            from: KSTDateTime(epochSeconds: q.from).dateString, to: KSTDateTime(epochSeconds: q.to).dateString, deadline: deadline,
            grouping: q.grouping, runs: runs, daysWithoutRun: missing,
            dongNames: Dictionary(q.dongs.map { ($0.code, $0.nameKo) }, uniquingKeysWith: { a, _ in a }),
            districtPVDongs: pvIn.map { codes[$0] }, districtLoadDongs: loadIn.map { codes[$0] }, pv: pv, load: load,
            definitions: definitions)
        return (report, Dictionary(zip(codes, pvSeries), uniquingKeysWith: { a, _ in a }), Dictionary(zip(codes, loadSeries), uniquingKeysWith: { a, _ in a }))
    }
}
