import ArgumentParser
import Forecast
import Foundation
import VPPConfig
import VPPCore
import VPPStore

/// `vpp forecast score` — stored runs, as issued by the deadline on D-1, against the ingested
/// actuals (issue 11). Wiring only; the arithmetic is in Forecast/Scoring.swift and ForecastScorer.swift.
extension ForecastCommand {
    struct Score: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score stored forecasts as issued against the meters: KPX NMAE, MAE, RMSE, bias, skill; load MAPE and NMAE.",
            discussion: """
                For each KST day D the newest run issued at or before --issued-before on D-1 that covers D is scored
                (KPX's first day-ahead round closes at 10:00). PV NMAE is KPX's: |F − A| / capacity over hours with
                A ≥ 10 % of capacity, capacity = the dong's PV kWp in the site config. Forecast slots are summed to hours.
                Per dong and for the district aggregate (sums of forecast and actual; a broker is paid on it).
                Without actuals a score says "no actuals", never 0 %.
                """)
        enum Grouping: String, ExpressibleByArgument, CaseIterable { case all, day, month }
        enum Quantity: String, ExpressibleByArgument, CaseIterable { case pv, load, both }

        @OptionGroup var global: GlobalOptions
        @Option(help: "First KST day scored, YYYY-MM-DD (default: the first day with ingested data).") var from: String?
        @Option(help: "KST day after the last one scored, YYYY-MM-DD (default: the day after the newest ingested data).") var to: String?
        @Option(help: "Only this dong (10-digit administrative code).") var dong: String?
        @Option(help: "Rows per: all (one per dong), day or month (then the whole range).") var by: Grouping = .all
        @Option(help: "Issue deadline on D-1, HH:MM KST.") var issuedBefore: String = "10:00"
        @Option(help: "pv, load or both.") var quantity: Quantity = .both
        @Option(help: "Site config TOML for capacities (default: the site loaded in the store).") var config: String?
        @OptionGroup var siteOption: SiteOption
        @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table

        /// Minutes after 00:00 of "HH:MM", range-checked.
        static func minutes(_ s: String) -> Int? {
            let p = s.split(separator: ":")
            guard p.count == 2, p[0].count <= 2, p[1].count == 2, let h = Int(p[0]), let m = Int(p[1]),
                  (0...23).contains(h), (0...59).contains(m) else { return nil }
            return h * 60 + m
        }

        static func day(_ s: String, _ name: String) throws -> Int64 {
            guard let d = KSTDateTime.parse(s), d.isValid, d.hour == 0, d.minute == 0 else {
                throw ValidationError("--\(name) must be a KST date YYYY-MM-DD, got \"\(s)\"")
            }
            return KSTDateTime(year: d.year, month: d.month, day: d.day).epochSeconds
        }

        func validate() throws {
            guard Self.minutes(issuedBefore) != nil else { throw ValidationError("--issued-before must be HH:MM (00:00–23:59), got \"\(issuedBefore)\"") }
            let f = try from.map { try Self.day($0, "from") }, t = try to.map { try Self.day($0, "to") }
            if let f, let t, f >= t { throw ValidationError("--from must be before --to (--to is the day after the last one scored)") }
            if let f, let t, t - f > 3 * 366 * 86_400 { throw ValidationError("--from..--to spans more than 3 years") }
        }

        func run() async throws {
            let store = try global.openStore()
            let site: SiteConfig
            if let config { site = try SiteConfigParser().parse(fileAt: config) } else {
                guard let s = try await store.selectSite(siteOption.code) else {
                    throw VPPError(.noInput, "no site loaded in \(store.location); pass --config or run `vpp site load site-configs/seodaemun.toml`")
                }
                site = s
            }
            var dongs = site.dongs
            if let dong {
                dongs = dongs.filter { $0.code == dong }
                guard !dongs.isEmpty else { throw VPPError(.usage, "no dong \(dong) in site \(site.site.id)") }
            }
            let (start, end) = try await range(store)
            let request = ForecastScoreRequest(from: start, to: end, dongs: dongs, issuedBeforeMinutes: Self.minutes(issuedBefore) ?? 600,
                                               grouping: ScoreGrouping(rawValue: by.rawValue) ?? .all)
            var report = try await ForecastScorer.score(forecasts: try store.forecastScoring(), readings: store.readings, request: request)
            if quantity == .pv { report.load = [] }
            if quantity == .load { report.pv = [] }
            print(Self.render(report, format: format))
        }

        /// [from, to) as KST day starts; the defaults span the ingested hourly rollups.
        func range(_ store: Storage) async throws -> (Int64, Int64) {
            let span = try await store.readings.rollupSpan()
            func dayOf(_ t: Int64) -> Int64 { let d = KSTDateTime(epochSeconds: t); return KSTDateTime(year: d.year, month: d.month, day: d.day).epochSeconds }
            let f = try from.map { try Self.day($0, "from") } ?? span.map { dayOf($0.first) }
            let t = try to.map { try Self.day($0, "to") } ?? span.map { dayOf($0.last) + 86_400 }
            guard let f, let t else {
                throw VPPError(.noInput, "no actuals in \(store.location) (nothing ingested): pass --from and --to, or ingest readings first")
            }
            guard f < t else { throw VPPError(.usage, "--from must be before --to") }
            return (f, t)
        }

        static func render(_ r: ForecastScoreReport, format: OutputFormat) -> String {
            switch format {
            case .json: return (try? renderJSON(r)) ?? "{}"
            case .csv: let c = r.csvCells; return renderCSV(headers: c.headers, rows: c.rows)
            case .table:
                var out = r.summaryLines
                if !r.pv.isEmpty {
                    let c = r.pvCells
                    out += ["", "PV (KPX NMAE [%] over hours with actual >= 10 % of capacity; MAE/RMSE/bias [kWh per hour] over daylight hours)",
                            renderTable(headers: c.headers, rows: c.rows, numeric: c.numeric)]
                }
                if !r.load.isEmpty {
                    let c = r.loadCells
                    out += ["", "Load (NMAE = sum|F-A| / sum A [%], MAPE over hours with A > 0 [%]; MAE/RMSE/bias [kWh per hour])",
                            renderTable(headers: c.headers, rows: c.rows, numeric: c.numeric)]
                }
                out += [""] + r.definitions.map { "- " + $0 }
                return out.joined(separator: "\n")
            }
        }
    }
}
