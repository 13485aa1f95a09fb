import ArgumentParser
import Foundation
import Resilience
import VPPConfig
import VPPCore
import VPPStore
import VPPStoreSQLite

/// `vpp simulate …` — plant simulations. `run`: batteries follow their setpoints and emit telemetry
/// (issue 12, SimulateRunCommand.swift); `outage`: the shelters' outage drill (issue 17).
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate the district's plants: batteries following their setpoints (telemetry), outage drills.",
        subcommands: [Run.self, Outage.self])

    struct Outage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Outage drill: island a dong and serve each shelter's critical load from its batteries (and PV) for H hours.",
            discussion: """
                Starting SoC: the newest dispatch plan's SoC at --from (store), else the config's initial SoC. PV: none unless
                --pv-csv gives the PV the shelter's inverter can use islanded (slot_start_kst,pv_kw). The requirement is the
                backup hours of --level, by default the heat alert in force at --from (stored alerts), else warning.
                Exit 0 when every shelter met its requirement, 65 otherwise.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "Site config TOML (default: the site loaded in the store).") var config: String?
        @Option(name: .customLong("site"), help: "The loaded site (id or sigungu code) when the store holds several.") var siteCode: String?
        @Option(help: "Dong (10-digit administrative code).") var dong: String
        @Option(help: "Outage start, KST (YYYY-MM-DDTHH:MM).") var from: String
        @Option(help: "Outage length [h], up to 168.") var hours: Double
        @Option(help: "Alert level whose backup hours are required: none, advisory or warning (default: the alert in force).")
        var level: AlertLevel?
        @Option(help: "PV available islanded, CSV slot_start_kst,pv_kw (15-minute slots).") var pvCsv: String?
        @Option(help: "Output format: table or csv (the timeline).") var format: OutputFormat = .table

        func validate() throws {
            guard hours > 0, hours <= 168 else { throw ValidationError("--hours must be in (0, 168]") }
        }

        func run() async throws {
            // Either driver (issue 14): the plan, the alerts and the site come through the store's protocols.
            let store = try global.openStore()
            let site: SiteConfig
            if let config { site = try SiteConfigParser().parse(fileAt: config) } else {
                guard let s = try await store.selectSite(siteCode) else {
                    throw VPPError(.noInput, "no site loaded in \(store.location); pass --config or run `vpp site load site-configs/seodaemun.toml`")
                }
                site = s
            }
            guard let d = site.dong(code: dong) else { throw ResilienceError.unknownDong(dong) }
            let start = Slot(containing: try kst(from, "--from"), length: .quarterHour).start
            let planned = try await store.dispatch.plannedSoC(at: start, siteID: site.site.id)
            let soc = planned.mapValues { Double($0) / 1000 }
            let alerts = try await store.alertStore().alerts(from: start - 86_400, to: start + 86_400)
            var lv = level
            var why = "--level"
            if lv == nil, let s = d.shelters.first {
                let (l, a) = ShelterReserve.level(at: start, shelter: s, alerts: alerts, site: site.site)
                if l != .none { lv = l; why = "alert in force (\(a?.area ?? "") \(a?.source ?? ""))" }
            }
            let useLevel = lv ?? .warning
            if lv == nil { why = "no alert in force at \(KSTDateTime(epochSeconds: start)) KST: drilled against the warning requirement" }
            let pv = try pvCsv.map { try readPV($0, start: start, hours: hours) } ?? []
            let results = try OutageDrill.run(site: site, dong: dong, from: start, hours: hours, level: useLevel, initialSoCKWh: soc, pvKW: pv)
            let socSource = d.shelters.flatMap(\.batteryIDs).allSatisfy { soc[$0] != nil } ? "newest dispatch plan" : "config initial SoC"
            if format == .csv {
                let h = ["shelter", "slot_start_kst", "load_kw", "pv_kw", "discharge_kw", "charge_kw", "soc_kwh", "served"]
                print(renderCSV(headers: h, rows: results.flatMap { r in r.rows.map { x in
                    [r.shelterID, KSTDateTime(epochSeconds: x.slotStart).description, fmtNum(x.loadKW, 1, trimZeros: true), fmtNum(x.pvKW, 1, trimZeros: true),
                     fmtNum(x.dischargeKW, 2, trimZeros: true), fmtNum(x.chargeKW, 2, trimZeros: true), fmtNum(x.socKWh, 2, trimZeros: true), x.served ? "yes" : "no"]
                } }))
            } else {
                print("outage drill: dong \(dong) (\(d.nameKo)) islanded from \(KSTDateTime(epochSeconds: start)) KST for \(fmtNum(hours, 2, trimZeros: true)) h")
                print("requirement: \(useLevel.rawValue) (\(useLevel.nameKo)) — \(why); starting SoC from the \(socSource); PV: \(pvCsv ?? "none")")
                for r in results {
                    let h = ["at_kst (end of hour; kW of its last 15 min)", "load_kw", "pv_kw", "discharge_kw", "soc_kwh", "served"]
                    let rows = r.rows.enumerated().filter { $0.offset % 4 == 3 || !$0.element.served && $0.offset > 0 && r.rows[$0.offset - 1].served }.map { _, x in
                        [KSTDateTime(epochSeconds: x.slotStart + 900).description, fmtNum(x.loadKW, 1, trimZeros: true), fmtNum(x.pvKW, 1, trimZeros: true),
                         fmtNum(x.dischargeKW, 1, trimZeros: true), fmtNum(x.socKWh, 1, trimZeros: true), x.served ? "yes" : "NO"]
                    }
                    print("\n\(r.shelterID) \(r.name): critical load \(fmtNum(r.criticalLoadKW, 1, trimZeros: true)) kW, batteries at \(fmtNum(r.initialSocKWh, 1, trimZeros: true)) kWh")
                    print(renderTable(headers: h, rows: rows, numeric: [1, 2, 3, 4]))
                    print("powered \(fmtNum(r.poweredHours, 2, trimZeros: true)) h of the \(fmtNum(r.drillHours, 2, trimZeros: true)) h drill; required \(fmtNum(r.requiredHours, 2, trimZeros: true)) h; "
                          + "left at the end \(fmtNum(r.remainingHoursAtEnd, 2, trimZeros: true)) h → \(r.met ? "MET" : "NOT MET")"
                          + (r.sharedBattery ? " (battery shared with another shelter: simulated as its only user)" : ""))
                }
            }
            if results.contains(where: { !$0.met }) { throw ExitCode(65) }
        }

        /// `slot_start_kst,pv_kw` rows (header optional) → PV per 15-minute slot from `start`.
        func readPV(_ path: String, start: Int64, hours: Double) throws -> [Double] {
            guard let text = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) else {
                throw VPPError(.noInput, "\(path): cannot read file")
            }
            let n = Int((hours * 4).rounded(.up))
            var pv = [Double](repeating: 0, count: n)
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let f = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                guard f.count >= 2 else { continue }
                guard let t = KSTDateTime.parse(f[0]), t.isValid, let v = Double(f[1]) else {
                    if i == 0 { continue }
                    throw VPPError(.badData, "\(path):\(i + 1): expected slot_start_kst,pv_kw")
                }
                guard v.isFinite, v >= 0, v <= 100_000 else { throw VPPError(.badData, "\(path):\(i + 1): pv_kw \(f[1]) outside 0…100000") }
                let k = (t.epochSeconds - start) / 900
                if k >= 0 && k < Int64(n) { pv[Int(k)] = v }
            }
            return pv
        }
    }
}

extension AlertLevel: ExpressibleByArgument {}
