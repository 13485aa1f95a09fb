import VPPConfig
import VPPStoreSQLite
import Tracking
import Ingestion
import Forecast
import Dispatcher
import VPPAuth
import Foundation
import VPPCore
import VPPStore

/// A year of hourly rollups for every dong of a site, shaped from REAL data, for the report
/// benchmark and the screenshot check (not for any reported figure).
///
/// - PV: EWP Dangjin plant "dangjin" (1,000 kW, hour-ending KST) from
///   `shared/data/pv-dangjin/energy.csv`, kWh per kWp per hour; months 3–12 from 2019 and 1–2
///   from 2020 (so 29 Feb exists), mapped onto the same month/day/hour of the target year and
///   scaled to each dong's installed kWp.
/// - Consumption: the REAL hourly series of the GIST faculty-apartment feeder (교원아파트,
///   `shared/data/gist-campus/load_hourly_by_feeder.csv`, 62 days Jul–Aug 2022, normalised to
///   mean 1), repeated every 62 days, × the metered households × 407 kWh/month (Seoul average
///   home 2019, FACTS.md §3). Metered households = 10 % of the dong's households (ESTIMATE: the
///   apartment complexes whose meters the VPP reads, not the whole dong). The summer series is
///   used all year (no seasonal scaling).
/// - Batteries (rule of thumb, not the dispatcher): charge from PV surplus when there is any,
///   otherwise from the grid 00–06 h up to the SoC ceiling; discharge 18–22 h down to the
///   reserve floor; the configured efficiencies apply.
/// - Gaps on purpose: the third dong has no rows for 10–12 July; the sixth dong's consumption
///   meter is missing 20–21 July (generation present). Import/export are left to the report.
public enum TrackingSampleData {
    public struct Shapes: Sendable {
        /// kWh per kWp for (month, day, hour-beginning KST), key = (month × 100 + day) × 24 + hour.
        public var pvPerKWp: [Int: Double]
        /// Hourly load factors (days × 24, mean 1), repeated day after day.
        public var loadShape: [Double]
    }

    public static func loadShapes(dataDirectory: String) throws -> Shapes {
        let pvPath = dataDirectory + "/pv-dangjin/energy.csv"
        let loadPath = dataDirectory + "/gist-campus/load_hourly_by_feeder.csv"
        // Dangjin column `dangjin` (1,000 kW), hour-ending stamps → hour-beginning slots.
        let table = try HourlyEnergyTable.load(path: pvPath, convention: .hourEnding)
        var pv: [Int: Double] = [:]
        for (k, v) in (table.columns["dangjin"] ?? []).enumerated() {
            guard let kwh = v else { continue }
            let start = KSTDateTime(epochSeconds: table.slotStarts[k])
            let wanted = start.month >= 3 ? 2019 : 2020
            guard start.year == wanted else { continue }
            pv[(start.month * 100 + start.day) * 24 + start.hour] = kwh / 1000
        }
        let series = try GISTFeeder.hourlyKW(path: loadPath, feeder: "교원아파트").map(\.kW)   // time order, one per hour
        guard series.count >= 24, series.count % 24 == 0 else {
            throw VPPError(.badData, "\(loadPath): expected whole days of 교원아파트 rows, found \(series.count)")
        }
        let avg = series.reduce(0, +) / Double(series.count)
        return Shapes(pvPerKWp: pv, loadShape: series.map { $0 / avg })
    }

    /// Rollups for `year` (KST) for every dong of `config`.
    public static func rollups(config: SiteConfig, year: Int, shapes: Shapes) -> [(dongCode: String, rollup: HourlyRollup)] {
        let start = KSTDateTime(year: year, month: 1, day: 1).epochSeconds
        let end = KSTDateTime(year: year + 1, month: 1, day: 1).epochSeconds
        let hours = Int((end - start) / 3600)
        var out: [(dongCode: String, rollup: HourlyRollup)] = []
        out.reserveCapacity(hours * config.dongs.count)
        let dongs = config.dongs.sorted { $0.code < $1.code }
        let gapA = (KSTDateTime(year: year, month: 7, day: 10).epochSeconds, KSTDateTime(year: year, month: 7, day: 13).epochSeconds)
        let gapB = (KSTDateTime(year: year, month: 7, day: 20).epochSeconds, KSTDateTime(year: year, month: 7, day: 22).epochSeconds)
        for (k, d) in dongs.enumerated() {
            let kwp = d.pvCapacity.kWp
            let meanKW = Double(d.households) * 0.10 * 407 * 12 / 365 / 24
            let capWh = d.batteryCapacity.kWh * 1000
            let pC = d.batteries.reduce(0.0) { $0 + $1.maxChargeKW } * 1000
            let pD = d.batteries.reduce(0.0) { $0 + $1.maxDischargeKW } * 1000
            let etaC = capWh > 0 ? d.batteries.reduce(0.0) { $0 + $1.capacityKWh * $1.chargeEfficiency } / d.batteryCapacity.kWh : 1
            let etaD = capWh > 0 ? d.batteries.reduce(0.0) { $0 + $1.capacityKWh * $1.dischargeEfficiency } / d.batteryCapacity.kWh : 1
            let socMax = capWh * (d.batteries.first?.socMaxPct ?? 95) / 100
            let socMin = capWh * (d.batteries.first.map { max($0.socMinPct, $0.reservePct) } ?? 20) / 100
            var soc = capWh * (d.batteries.first?.initialSocPct ?? 50) / 100
            for i in 0..<hours {
                let t = start + Int64(i) * 3600
                if k == 2 && t >= gapA.0 && t < gapA.1 { continue }
                let kst = KSTDateTime(epochSeconds: t)
                let gen = (shapes.pvPerKWp[(kst.month * 100 + kst.day) * 24 + kst.hour] ?? 0) * kwp * 1000
                let cons = meanKW * shapes.loadShape[i % shapes.loadShape.count] * 1000
                var charge = 0.0, discharge = 0.0
                if capWh > 0 {
                    let surplus = max(0, gen - cons)
                    if surplus > 0 {
                        charge = min(surplus, pC, (socMax - soc) / etaC)
                    } else if kst.hour < 6 {
                        charge = min(pC, max(0, socMax - soc) / etaC)
                    } else if kst.hour >= 18 && kst.hour < 22 {
                        discharge = min(pD, max(0, soc - socMin) * etaD, cons)
                    }
                    charge = max(0, charge)
                    soc += charge * etaC - discharge / etaD
                }
                var r = HourlyRollup(hourStart: t, generationWh: Int64(gen.rounded()), consumptionWh: Int64(cons.rounded()),
                                     chargeWh: Int64(charge.rounded()), dischargeWh: Int64(discharge.rounded()))
                if k == 5 && t >= gapB.0 && t < gapB.1 { r.consumptionWh = 0; r.consumptionCoveredS = 0 }
                out.append((d.code, r))
            }
        }
        return out
    }
}

/// `vpp bench report`: a district-year report (every dong, hourly rollups, one year) on a
/// fresh store filled by `TrackingSampleData`; times building the report and rendering it.
public enum ReportBenchmark {
    public static func run(siteConfigPath: String, dataDirectory: String, directory: String, keepDB: String?,
                           year: Int = 2024, iterations: Int = 7) async throws -> [String] {
        let path = keepDB ?? (directory as NSString).appendingPathComponent("vpp-bench-report-\(getpid()).sqlite")
        for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) }
        defer { if keepDB == nil { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } } }
        let config = try SiteConfigParser().parse(fileAt: siteConfigPath)
        let store = try SQLiteStore(path: path, clock: FixedWallClock(KSTDateTime(year: year + 1, month: 1, day: 2)))
        try await store.storage.sites.loadSite(config)
        let shapes = try TrackingSampleData.loadShapes(dataDirectory: dataDirectory)
        let rows = TrackingSampleData.rollups(config: config, year: year, shapes: shapes)
        let tf = DispatchTime.now().uptimeNanoseconds
        try await store.storage.readings.replaceRollups(rows)
        let fillS = Double(DispatchTime.now().uptimeNanoseconds - tf) / 1e9
        let period = ReportPeriod.year(year)
        var build: [Double] = [], total: [Double] = [], csvMs: [Double] = [], jsonMs: [Double] = [], htmlMs: [Double] = []
        var sizes = (csv: 0, json: 0, html: 0)
        func ms(_ a: UInt64, _ b: UInt64) -> Double { Double(b - a) / 1e6 }
        for _ in 0..<iterations {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let report = try await TrackingReportBuilder.build(storage: store.storage, period: period)
            let t1 = DispatchTime.now().uptimeNanoseconds
            let r = TrackingReportRenderer(report)
            _ = r.tableCells(by: .period)
            let csv = r.csv(by: .period)
            let t2 = DispatchTime.now().uptimeNanoseconds
            let json = r.json(by: .period)
            let t3 = DispatchTime.now().uptimeNanoseconds
            let html = TrackingHTMLReport(report).render()
            let t4 = DispatchTime.now().uptimeNanoseconds
            build.append(ms(t0, t1)); csvMs.append(ms(t1, t2)); jsonMs.append(ms(t2, t3)); htmlMs.append(ms(t3, t4))
            total.append(ms(t0, t4))
            sizes = (csv.utf8.count, json.utf8.count, html.utf8.count)
        }
        build.sort(); total.sort(); csvMs.sort(); jsonMs.sort(); htmlMs.sort()
        let med = { (a: [Double]) in a[a.count / 2] }
        return [
            "report benchmark: district-year report, \(config.dongs.count) dongs, \(rows.count) hourly rollup rows (year \(year) KST, 72 h left out on purpose as a gap)",
            "  data: Dangjin PV (2019-03..2020-02) × dong kWp; GIST 교원아파트 hourly load × 10 % of households × 407 kWh/month (TrackingSampleData)",
            String(format: "  fill: %.2f s (one transaction)%@", fillS, keepDB.map { ", kept at \($0)" } ?? ""),
            String(format: "  build (SQL + accounting + days/months/year, run-rate, SoC): min %.1f ms, median %.1f ms over %d runs (target < 200 ms)", build[0], med(build), iterations),
            String(format: "  render: table+CSV median %.1f ms, JSON %.1f ms, HTML (all daily rows, 14 charts) %.1f ms", med(csvMs), med(jsonMs), med(htmlMs)),
            String(format: "  build + all four renderings: min %.1f ms, median %.1f ms", total[0], med(total)),
            "  output sizes: CSV \(sizes.csv) B, JSON \(sizes.json) B, HTML \(sizes.html) B",
        ]
    }
}
