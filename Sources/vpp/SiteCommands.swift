import VPPBenchmarks
import VPPServer
import Dispatcher
import Forecast
import Tracking
import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPAuth
import ArgumentParser
import Foundation
import VPPCore
import VPPStore

struct SiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site", abstract: "Validate, load and show a district site config.",
        subcommands: [Validate.self, Load.self, Show.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a site config TOML file without touching the store.")
        @Argument(help: "Site config file, e.g. site-configs/seodaemun.toml.") var file: String
        func run() async throws {
            let config = try SiteConfigParser().parse(fileAt: file)
            let assets = config.dongs.reduce(0) { $0 + $1.pvFleets.count + $1.meters.count + $1.batteries.count }
            print("\(file): ok — site \(config.site.id) (\(config.site.nameKo)), \(config.dongs.count) dongs, \(assets) assets, \(config.tariffs.count) tariff tables, \(config.emissionFactors.count) emission factors")
            for d in config.dongs {
                for s in d.shelters {
                    print("shelter \(s.id) (\(s.name), dong \(d.code)): \(fmtNum(s.criticalLoadKW, 1, trimZeros: true)) kW × \(fmtNum(s.maxBackupHours, 1, trimZeros: true)) h = "
                          + "\(fmtNum(s.loadEnergyKWh(hours: s.maxBackupHours), 1, trimZeros: true)) kWh ≤ \(fmtNum(d.deliverableKWh(for: s), 1, trimZeros: true)) kWh deliverable by \(s.batteryIDs.joined(separator: ", "))")
                }
            }
        }
    }

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Load a site config into the store (idempotent; changes are recorded).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Site config file.") var file: String
        func run() async throws {
            let config = try SiteConfigParser().parse(fileAt: file)
            let store = try global.openStore()
            let report = try await store.sites.loadSite(config)
            if report.unchanged {
                print("site \(report.siteID): unchanged (\(config.dongs.count) dongs)")
            } else {
                print("site \(report.siteID): \(report.changes.count) change(s)")
                for c in report.changes.prefix(50) { print("  \(c)") }
                if report.changes.count > 50 { print("  … \(report.changes.count - 50) more (vpp db info shows totals)") }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Per-dong summary of the loaded site: households, PV kWp, battery kWh/kW.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table
        @OptionGroup var siteOption: SiteOption
        func run() async throws {
            let store = try global.openStore()
            var rows: [DongSummary] = []
            if let site = try await store.selectSite(siteOption.code) {
                rows = DongSummary.rows(of: site, active: try await store.sites.activeDongCodes())
            }
            guard !rows.isEmpty else {
                throw VPPError(.noInput, "no site loaded in \(store.location); run `vpp site load site-configs/seodaemun.toml` first")
            }
            let headers = ["code", "dong", "name", "households", "pv_kwp", "mini_solar_units", "battery_kwh", "battery_kw", "meters"]
            let table = rows.map { r in
                [r.code, r.nameKo, r.name, String(r.households), fmt(r.pvKWp), String(r.miniSolarUnits), fmt(r.batteryKWh, 0),
                 fmt(r.batteryKW, 0), String(r.meters)]
            }
            switch format {
            case .json: print(try renderJSON(rows))
            case .csv: print(renderCSV(headers: headers, rows: table))
            case .table:
                let total = ["total", "", "", String(rows.reduce(0) { $0 + $1.households }), fmt(rows.reduce(0) { $0 + $1.pvKWp }),
                             String(rows.reduce(0) { $0 + $1.miniSolarUnits }), fmt(rows.reduce(0) { $0 + $1.batteryKWh }, 0),
                             fmt(rows.reduce(0) { $0 + $1.batteryKW }, 0), String(rows.reduce(0) { $0 + $1.meters })]
                print(renderTable(headers: headers, rows: table + [total], numeric: [3, 4, 5, 6, 7, 8]))
            }
        }
    }
}

struct DBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "db", abstract: "Inspect the store.", subcommands: [Info.self])

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Schema version, row counts and file size.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Output format: table or json.") var format: OutputFormat = .table
        func run() async throws {
            let info = try await global.openStore().sites.info()
            if format == .json { print(try renderJSON(info)); return }
            print("database: \(info.path)")
            print("schema:   \(info.schemaVersion) (migrations: \(info.migrationsApplied.joined(separator: ", ")))")
            print("size:     \(info.fileBytes) bytes (database + WAL)")
            print(renderTable(headers: ["table", "rows"], rows: info.rowCounts.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] }, numeric: [1]))
        }
    }
}
