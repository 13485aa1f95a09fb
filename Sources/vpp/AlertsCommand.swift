import ArgumentParser
import Foundation
import Resilience
import VPPConfig
import VPPCore
import VPPStore
import VPPStoreSQLite

/// `vpp alerts import|show|fetch` — heat-wave alerts (KMA 기상특보) that raise the cooling
/// shelters' reserve (issue 17). Wiring only; the work is in Resilience.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "Weather alerts (KMA 기상특보) that raise the cooling shelters' reserve.",
        subcommands: [Import.self, Show.self, Fetch.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import alerts from a CSV (area,kind,level,from,to; times KST) or a recorded KMA getWthrWrnList reply.",
            discussion: "Good rows land; each rejected row is printed on stderr as FILE:LINE: reason. Exit 65 when no row landed.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Alert file (CSV or KMA JSON reply).") var file: String
        func run() async throws {
            let parsed = try AlertImporter.parse(fileAt: file)
            let storage = try global.openStore()
            let store = try storage.alertStore()
            let now = storage.clock.now()
            let r = try await store.putAlerts(parsed.alerts, importedAt: now)
            for x in parsed.rejected { FileHandle.standardError.write(Data("\(file):\(x.line): rejected: \(x.reason)\n".utf8)) }
            print("alerts import \(file) (\(parsed.format)): \(r.inserted) new, \(r.duplicates) already stored, \(parsed.rejected.count) rejected")
            if parsed.alerts.isEmpty && !parsed.rejected.isEmpty {
                throw ResilienceError.badAlert(file: file, line: parsed.rejected[0].line, reason: "no row landed (\(parsed.rejected[0].reason))")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List stored alerts overlapping a period, marking those that cover the district.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Site config TOML for the district's alert areas; default: the store's site (--site when several are loaded).") var config: String?
        @OptionGroup var siteOption: SiteOption
        @Option(help: "From, KST (YYYY-MM-DD or YYYY-MM-DDTHH:MM); default: 7 days ago.") var from: String?
        @Option(help: "To, KST; default: 7 days ahead.") var to: String?
        @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table
        func validate() throws {
            if config != nil, siteOption.code != nil { throw ValidationError("--config and --site both name the district: give one") }
        }
        func run() async throws {
            let storage = try global.openStore()
            let site: SiteConfig
            if let config { site = try SiteConfigParser().parse(fileAt: config) } else { site = try await storage.requireSite(siteOption.code) }
            let store = try storage.alertStore()
            let now = storage.clock.now()
            let a = try from.map { try kst($0, "--from") } ?? now - 7 * 86_400
            let b = try to.map { try kst($0, "--to") } ?? now + 7 * 86_400
            let alerts = try await store.alerts(from: a, to: b)
            if format == .json { print(try renderJSON(alerts)); return }
            let h = ["area", "kind", "level", "from_kst", "to_kst", "covers_district", "source"]
            let rows = alerts.map { x in
                [x.area, x.kind, x.level.rawValue, KSTDateTime(epochSeconds: x.fromEpoch).description, KSTDateTime(epochSeconds: x.toEpoch).description,
                 site.site.alertCovers(area: x.area) && x.isHeat ? "yes" : "no", x.source]
            }
            print(format == .csv ? renderCSV(headers: h, rows: rows) : renderTable(headers: h, rows: rows))
        }
    }

    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch special reports from the KMA warning service (getWthrWrnList), archive the replies and store the alerts.",
            discussion: "Needs VPP_KMA_KEY (data.go.kr service key). Exit 69 on a KMA error, 75 when KMA asks to try later.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "First issue date, KST YYYY-MM-DD; default: 3 days ago.") var from: String?
        @Option(help: "Last issue date, KST YYYY-MM-DD; default: today.") var to: String?
        @Option(help: "KMA station: 109 Seoul, 108 nationwide.") var station: String = "109"
        @Option(help: "Base URL of the service (a recorded-reply server in tests).") var baseUrl: String = "https://apis.data.go.kr/1360000/WthrWrnInfoService"
        func run() async throws {
            var c = try KMAWarningClient.Configuration.fromEnvironment()
            c.stationID = station; c.baseURL = baseUrl
            let storage = try global.openStore()
            let store = try storage.alertStore()
            let now = storage.clock.now()
            func day(_ s: String?, _ dflt: Int64, _ name: String) throws -> String {
                let e = try s.map { try kst($0, name) } ?? dflt
                return KSTDateTime(epochSeconds: e).dateString.replacingOccurrences(of: "-", with: "")
            }
            let reports = try await KMAWarningClient(configuration: c, archive: store)
                .reports(fromDate: try day(from, now - 3 * 86_400, "--from"), toDate: try day(to, now, "--to"), now: now)
            let alerts = KMAWarningParser.alerts(reports, openUntil: max(now, reports.compactMap { KSTDateTime.parse($0.tmFc)?.epochSeconds }.max() ?? now) + 86_400)
            let r = try await store.putAlerts(alerts, importedAt: now)
            print("alerts fetch: \(reports.count) reports, \(alerts.count) alert windows, \(r.inserted) new, \(r.duplicates) already stored")
        }
    }
}

/// A KST date/time option as UTC epoch seconds.
func kst(_ s: String, _ name: String) throws -> Int64 {
    guard let k = KSTDateTime.parse(s), k.isValid, (2000...2100).contains(k.year) else { throw ValidationError("\(name): '\(s)' is not a KST date/time") }
    return k.epochSeconds
}
