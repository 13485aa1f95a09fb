import Foundation
import Testing
@testable import Tracking
@testable import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPStore
import VPPTestSupport
@testable import VPPCore

/// A two-dong site written as TOML (parsed by the real parser), loaded into a fresh store, with
/// helpers that ingest generated interval, PV and monthly files through the real ingest path.
struct CountingEnv {
    let store: SQLiteStore
    let dir: URL
    let config: SiteConfig

    static let codeA = "9999900000", codeB = "9999900001"

    /// The hand-computed case's site: dong A with a feeder covering complex 가 apt and that
    /// complex's own meter (child), a metered rooftop fleet (10 kWp) and an unmetered mini-solar
    /// fleet (5 kWp); dong B with complex 나 apt (monthly only) and an unmetered fleet (10 kWp).
    /// Every fleet faces south at 30° and both dongs share one location, so the clear-sky ratio
    /// of two fleets is their kWp ratio. Standard profile: working hours 1, other hours 2 (per unit).
    static func siteTOML(dongA extraA: String = "", dongB extraB: String = "", profile: Bool = true) -> String {
        let ones = Array(repeating: "1.0", count: 24).joined(separator: ", ")
        let twos = Array(repeating: "2.0", count: 24).joined(separator: ", ")
        return """
        version = 1

        [site]
        id = "count-test"
        name = "Counting test"
        name_ko = "계수시험구"
        latitude_deg = 37.57
        longitude_deg = 126.94

        [targets]
        city_solar_kwp = 1000000
        city_mini_solar_households = 1000000
        city_tco2_per_year = 540000
        district_share = 0.01
        district_share_basis = "test share"

        [[emission_factor]]
        year = 2025
        tco2eq_per_mwh = 0.5
        source = "test factor"

        \(profile ? """
        [standard_load_profile]
        name = "test: working 1, weekend 2"
        derived_on = "2026-11-30"
        source = "test"
        working_day_pu = [\(ones)]
        weekend_pu = [\(twos)]
        """ : "")

        [[dong]]
        code = "\(codeA)"
        name_ko = "가동"
        name = "Ga-dong"
        latitude_deg = 37.57
        longitude_deg = 126.94
        households = 100
        import_limit_kw = 1000
        export_limit_kw = 1000

        [[dong.pv]]
        id = "pv-a-roof"
        kind = "rooftop"
        units = 1
        unit_w = 10000
        tilt_deg = 30
        azimuth_deg = 180

        [[dong.pv]]
        id = "pv-a-mini"
        kind = "mini_solar"
        units = 10
        unit_w = 500
        tilt_deg = 30
        azimuth_deg = 180

        [[dong.meter]]
        id = "feeder-a"
        complex = "가 feeder"
        covers = { kind = "feeder", complexes = ["가 apt"] }

        [[dong.meter]]
        id = "apt-a"
        complex = "가 apt"
        households = 100
        parent = "feeder-a"
        \(extraA)

        [[dong]]
        code = "\(codeB)"
        name_ko = "나동"
        name = "Na-dong"
        latitude_deg = 37.57
        longitude_deg = 126.94
        households = 50
        import_limit_kw = 1000
        export_limit_kw = 1000

        [[dong.pv]]
        id = "pv-b-mini"
        kind = "mini_solar"
        units = 20
        unit_w = 500
        tilt_deg = 30
        azimuth_deg = 180

        [[dong.meter]]
        id = "apt-b"
        complex = "나 apt"
        households = 50
        \(extraB)
        """
    }

    init(toml: String = CountingEnv.siteTOML()) async throws {
        (store, dir) = try TestStore.make(clock: FixedWallClock(KSTDateTime(year: 2025, month: 9, day: 2)))
        config = try SiteConfigParser().parse(text: toml, file: "count-test.toml")
        try await store.loadSite(config)
    }

    private var hourly: IngestMapping {
        var m = IngestMapping(); m.convention = .hourBeginning; m.slot = .hour; m.unit = .kwh; return m
    }

    /// Writes and ingests hour-beginning kWh values of August 2025 for one asset:
    /// `value(day, hour)` (nil = no row).
    @discardableResult
    func ingestAugust(_ asset: String, kind: IngestKind = .interval, days: ClosedRange<Int> = 1...31,
                      value: (Int, Int) -> Double?) async throws -> IngestReport {
        var text = kind == .pv ? "일시,발전소,발전량(kWh)\n" : "검침일시,계량기번호,사용량(kWh)\n"
        for d in days { for h in 0..<24 {
            guard let v = value(d, h) else { continue }
            text += "2025-08-\(d < 10 ? "0" : "")\(d) \(h < 10 ? "0" : "")\(h):00,\(asset),\(v)\n"
        } }
        let path = dir.appendingPathComponent("\(asset)-\(UUID().uuidString).csv").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let r = try await Ingestor(storage: store.storage).ingest(file: path, options: IngestOptions(kind: kind, source: "test", mapping: hourly))
        #expect(r.rowsRejected == 0, "\(asset): \(r.rejects.map(\.reason))")
        return r
    }

    /// An XpERP monthly upload (동, 호, 전월지침, 당월지침, 사용량) of one complex meter for 2025-08.
    @discardableResult
    func ingestMonthly(_ meter: String, rows: [(dong: Int, ho: Int, previous: Double, current: Double)]) async throws -> IngestReport {
        let path = dir.appendingPathComponent("\(meter)-전기검침-2025-08.xlsx").path
        try XLSXWriter.write(rows: rows.map { [.number(Double($0.dong)), .number(Double($0.ho)), .number($0.previous),
                                                .number($0.current), .number($0.current - $0.previous)] },
                             sheetName: "전기검침", to: path)
        var m = IngestMapping(); m.meter = meter; m.month = YearMonth(year: 2025, month: 8)
        let r = try await Ingestor(storage: store.storage).ingest(file: path, options: IngestOptions(kind: .monthly, source: "test office", mapping: m))
        #expect(r.rowsRejected == 0)
        return r
    }

    func report(_ period: ReportPeriod = .month(YearMonth(year: 2025, month: 8)), dong: String? = nil) async throws -> TrackingReport {
        try await TrackingReportBuilder(storage: store.storage, config: config,
                                        options: TrackingOptions(dongCode: dong)).build(period: period)
    }
}

extension TrackingReport {
    func row(_ dong: String) -> MetricsRow? { summary.first { $0.level == .dong && $0.dongCode == dong } }
    var districtRow: MetricsRow? { summary.first { $0.level == .district } }
}

/// |a − b| ≤ tolerance, nil-aware.
func near(_ a: Double?, _ b: Double, _ tol: Double = 0.0005) -> Bool { a.map { abs($0 - b) <= tol } ?? false }
