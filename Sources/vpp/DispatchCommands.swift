import VPPBenchmarks
import VPPServer
import Forecast
import Tracking
import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPAuth
import ArgumentParser
import Dispatcher
import Resilience
import Foundation
import VPPCore
import VPPStore

/// `vpp dispatch plan|run|history|bench` — wiring only; the model lives in Dispatcher.
struct DispatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispatch", abstract: "Battery dispatch: optimal plans (LP, COIN-OR CLP), scheduled runs, history.",
        subcommands: [Plan.self, Run.self, History.self])

    enum Objective: String, ExpressibleByArgument, CaseIterable { case cost, co2, `self`, peak, weights }
    enum ExportPriceSource: String, ExpressibleByArgument, CaseIterable { case flat, smp }

    struct ModelOptions: ParsableArguments {
        @Option(help: "Site config TOML (default: the site loaded in the store).") var config: String?
        @OptionGroup var siteOption: SiteOption
        @OptionGroup var span: HorizonOptions
        @Option(help: "Objective: cost, co2, self, peak or weights (with --weights).") var objective: Objective = .cost
        @Option(help: "Weights for --objective weights: cost=1,export=1,co2=0,self=0,peak=1,cycling=1.") var weights: String?
        @Option(help: "Export value: flat (config) or smp (hourly SMP from --smp-csv).") var exportPrice: ExportPriceSource = .flat
        @Option(help: "Hourly SMP CSV (KPX layout: interval_start_kst hour-beginning, SMP [KRW/kWh] in column 5) for --export-price smp.")
        var smpCsv: String?
        @Option(help: "Use this stored forecast run for load and PV (default: the newest run issued before the run that covers each slot).")
        var forecastRun: Int64?
        @Option(help: "Optional shared import limit across all dongs [kW].") var sharedImportLimitKw: Double?
        @Option(help: "Raised reserve window, KST FROM/TO=PCT (e.g. heat-wave alert 2026-07-06T12:00/2026-07-06T20:00=60); repeatable.")
        var reserveWindow: [String] = []
        @Option(help: "Heat-wave alerts for the shelters' reserve: CSV area,kind,level,from,to (KST) or a KMA reply; default: the alerts in the store.")
        var alerts: String?

        func objectiveWeights() throws -> ObjectiveWeights {
            switch objective {
            case .weights:
                guard let w = weights else { throw ValidationError("--objective weights needs --weights") }
                return try ObjectiveWeights.parse(w)
            case .cost: return .preset(.cost)
            case .co2: return .preset(.co2)
            case .self: return .preset(.self)
            case .peak: return .preset(.peak)
            }
        }

        func builder(storage: Storage) async throws -> SiteProblemBuilder {
            let site: SiteConfig
            if let config { site = try SiteConfigParser().parse(fileAt: config) }
            else if let s = try await storage.selectSite(siteOption.code) { site = s }
            else {
                throw VPPError(.noInput, "no site loaded in \(storage.location); pass --config or run `vpp site load site-configs/<district>.toml`")
            }
            var b = SiteProblemBuilder(site: site)
            b.weights = try objectiveWeights()
            b.reserveWindows = try reserveWindow.map { try SiteProblemBuilder.ReserveWindow(text: $0) }
            b.sharedImportLimitKW = sharedImportLimitKw
            if exportPrice == .smp {
                guard let smpCsv else { throw ValidationError("--export-price smp needs --smp-csv FILE") }
                b.exportSeries = try SiteProblemBuilder.loadSMP(smpCsv)
            }
            return b
        }

        /// Load and PV from the store: stored forecasts, else the dong's own readings, else nominal figures.
        func inputs(storage: Storage, builder b: SiteProblemBuilder, start: Int64, step: SlotLength, slots: Int,
                    now: Int64) async throws -> HorizonInputs {
            try await HorizonInputs.build(storage: storage, site: b.site, start: start, step: step, slots: slots, now: now,
                                          forecastRunID: forecastRun,
                                          nominal: .init(meanHouseholdKW: b.meanHouseholdKW, participation: b.participation))
        }
    }

    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Solve one plan and print it per battery with the objective breakdown vs no battery and a rule-based baseline.",
            discussion: """
                Load and PV per dong come from the store: the newest stored forecast run issued before the plan that covers \
                each slot (or --forecast-run), else the dong's own readings (load: same hour, same day type, last 4 weeks; \
                PV: the last metered day scaled by the clear-sky ratio), else the config's nominal figures. The output names \
                the source of every dong.
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var model: ModelOptions
        @Option(help: "First slot, KST (YYYY-MM-DD or YYYY-MM-DDTHH:MM); default: the current slot.") var start: String?
        @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table
        @Option(help: "Also write the LP as free MPS to this file (check with Benchmarks/dispatch-mps-check.py).") var exportMps: String?
        @Flag(help: "Print only the breakdown, not every slot.") var summary = false

        func run() async throws {
            let step = model.span.slotLength
            let n = model.span.slots
            let t0: Int64
            if let s = start {
                guard let k = KSTDateTime.parse(s) else { throw ValidationError("--start: '\(s)' is not a KST date/time") }
                t0 = Slot(containing: k.epochSeconds, length: step).start
            } else { t0 = Slot(containing: Int64(Date().timeIntervalSince1970), length: step).start }
            let store = try global.openStore()
            let b = try await model.builder(storage: store)
            // A plan for a past start uses only what was known then.
            let inputs = try await model.inputs(storage: store, builder: b, start: t0, step: step, slots: n,
                                                now: min(store.clock.now(), t0))
            let p0 = try b.problem(start: t0, step: step, slots: n, series: inputs.series)
            // The shelters' reserve (issue 17): alerts from --alerts, else those stored (when the driver keeps alerts).
            let alerts = try await ShelterDispatch.alerts(file: model.alerts, store: store.alerts, from: t0,
                                                          to: t0 + Int64(n * step.seconds))
            let shelter = try ShelterDispatch.planner(site: b.site, alerts: alerts, problem: p0).solve(p0)
            let p = shelter.problem, plan = shelter.plan
            if let path = exportMps { try MPSWriter.write(try DispatchModel.buildLP(p).0, to: path) }
            let rule = Evaluation.breakdown(p, Evaluation.ruleBased(p))
            let none = Evaluation.breakdown(p, Evaluation.noBattery(p))
            let terms: [(String, (ObjectiveBreakdown) -> Double)] = [
                ("total_cost_krw", \.totalCostKRW), ("import_cost_krw", \.importCostKRW), ("export_revenue_krw", \.exportRevenueKRW),
                ("demand_charge_krw", \.demandChargeKRW), ("cycling_cost_krw", \.cyclingCostKRW), ("co2_kg", \.co2Kg),
                ("import_kwh", \.importKWh), ("export_kwh", \.exportKWh), ("spill_kwh", \.spillKWh),
                ("pv_self_consumption_pct", { $0.pvSelfConsumptionShare * 100 }), ("self_sufficiency_pct", { $0.selfSufficiency * 100 }),
                ("sum_dong_peak_import_kw", \.sumDongPeakImportKW), ("district_peak_import_kw", \.districtPeakImportKW),
                ("discharge_kwh", \.dischargeKWh), ("limit_violations", { Double($0.limitViolations) }),
            ]
            let bh = ["term", "optimal", "rule_based", "no_battery"]
            let brows = terms.map { name, f in [name, fmt(f(plan.breakdown), 2), fmt(f(rule), 2), fmt(f(none), 2)] }
            let sh = ["slot_start_kst", "battery", "dong", "charge_kw", "discharge_kw", "soc_kwh", "reserve_kwh"]
            var srows: [[String]] = []
            if !summary {
                for bt in plan.batteries {
                    for t in 0..<plan.slotCount {
                        srows.append([KSTDateTime(epochSeconds: plan.slotStart(t)).description, bt.id, bt.dong,
                                      fmt(bt.chargeKW[t], 3), fmt(bt.dischargeKW[t], 3), fmt(bt.socKWh[t], 3),
                                      fmt(shelter.reserveKWh(battery: bt.id, slot: t), 3)])
                    }
                }
            }
            switch format {
            case .json:
                struct Out: Encodable {
                    var objective: Double; var solverObjective: Double; var solveMs: Double; var buildMs: Double
                    var rows: Int; var columns: Int; var nonZeros: Int; var optimal: ObjectiveBreakdown
                    var ruleBased: ObjectiveBreakdown; var noBattery: ObjectiveBreakdown; var batteries: [BatterySchedule]?
                    var startEpoch: Int64; var stepSeconds: Int; var inputs: [InputSource]
                    enum CodingKeys: String, CodingKey {
                        case objective, solverObjective = "solver_objective", solveMs = "solve_ms", buildMs = "build_ms", rows, columns
                        case nonZeros = "non_zeros", optimal, ruleBased = "rule_based", noBattery = "no_battery", batteries
                        case startEpoch = "start_epoch", stepSeconds = "step_s", inputs
                    }
                }
                struct InputSource: Encodable {
                    var dong: String; var load: String; var pv: String
                }
                print(try renderJSON(Out(objective: plan.objective, solverObjective: plan.solverObjective, solveMs: plan.solveSeconds * 1000,
                                         buildMs: plan.buildSeconds * 1000, rows: plan.rows, columns: plan.columns, nonZeros: plan.nonZeros,
                                         optimal: plan.breakdown, ruleBased: rule, noBattery: none,
                                         batteries: summary ? nil : plan.batteries, startEpoch: plan.startEpoch, stepSeconds: step.seconds,
                                         inputs: inputs.dongs.map { InputSource(dong: $0.code, load: "\($0.loadSource)", pv: "\($0.pvSource)") })))
            case .csv:
                print(renderCSV(headers: summary ? bh : sh, rows: summary ? brows : srows))
                FileHandle.standardError.write(Data(("load/PV slots by source: " + inputs.summary + "\n").utf8))
                for line in ShelterDispatch.summary(shelter) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            case .table:
                if !summary { print(renderTable(headers: sh, rows: srows, numeric: [3, 4, 5, 6])); print() }
                print(renderTable(headers: ["dong", "load_source (slots)", "pv_source (slots)"],
                                  rows: inputs.dongs.map { [$0.code, "\($0.loadSource)", "\($0.pvSource)"] }))
                print()
                print(renderTable(headers: bh, rows: brows, numeric: [1, 2, 3]))
                print("objective \(String(format: "%.6f", plan.objective)) (CLP \(String(format: "%.6f", plan.solverObjective))); \(plan.rows) rows × \(plan.columns) columns, \(plan.nonZeros) nonzeros; build \(fmt(plan.buildSeconds * 1000, 1)) ms, solve \(fmt(plan.solveSeconds * 1000, 1)) ms")
                for line in ShelterDispatch.summary(shelter) { print(line) }
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Scheduled run (MPC): latest SoC, solve, store the run, write setpoint files atomically to the outbox.",
            discussion: "Exit 75 if another run holds the lock. A failed run is recorded with its reason and leaves the previous setpoint files in place.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var model: ModelOptions
        @Option(help: "Outbox folder for setpoint files (one JSON per battery).") var outbox: String = "outbox/setpoints"
        @Option(help: "Lock file.") var lock: String = "/tmp/vpp-dispatch.lock"
        @Option(help: "SoC file that overrides stored telemetry: CSV battery_id,soc_kwh or JSON {\"id\": kWh}.") var telemetry: String?
        @Option(help: "Stored telemetry older than this is stale [min] (default: the site config's [dispatch] telemetry_max_age_min, else 30); the previous plan's SoC is used instead, with a warning.")
        var telemetryMaxAgeMin: Int?
        @Option(help: "Solver time limit [s].") var timeLimit: Double = 30
        @Option(help: "Run as if at this KST time (YYYY-MM-DDTHH:MM), e.g. to replay a past day; default: now.") var at: String?

        func run() async throws {
            let step = model.span.slotLength
            let store = try global.openStore()
            var o = DispatchRunner.Options(outbox: outbox, lockPath: lock, telemetryPath: telemetry)
            o.step = step; o.slots = model.span.slots; o.objectiveName = model.objective.rawValue; o.maxSeconds = timeLimit
            if let m = telemetryMaxAgeMin {
                guard (1...1440).contains(m) else { throw ValidationError("--telemetry-max-age-min must be 1…1440") }
                o.telemetryMaxAgeS = Int64(m) * 60
            }
            let b = try await model.builder(storage: store)
            var now = store.clock.now()
            if let at {
                guard let k = KSTDateTime.parse(at) else { throw ValidationError("--at: '\(at)' is not a KST date/time") }
                now = k.epochSeconds
            }
            let asOf = now
            var runner = DispatchRunner(builder: b, storage: store, options: o) { s, st, n in
                let i = try await model.inputs(storage: store, builder: b, start: s, step: st, slots: n, now: asOf)
                return DispatchSeries(series: i.series, sources: i.summary)
            }
            // The shelters' reserve from the stored alerts (or --alerts); a fallback is recorded with the run.
            let alertStore = store.alerts
            let alertFile = model.alerts, site = b.site, limit = timeLimit, clock = store.clock
            runner.planner = ShelterRunHook.planner(
                site: site, alerts: { from, to in try await ShelterDispatch.alerts(file: alertFile, store: alertStore, from: from, to: to) },
                record: alertStore, now: { clock.now() }, maxSeconds: limit)
            let r = try await runner.run(now: now)
            print("load/PV: \(r.inputSources)")
            print("run \(r.runID): ok, objective \(fmt(r.plan.objective, 2)), \(r.files.count) setpoint files in \(outbox), SoC from \(r.socSource), build+solve \(fmt((r.plan.buildSeconds + r.plan.solveSeconds) * 1000, 1)) ms")
            try await OpenADRDispatchHook.publish(storage: store, run: r, builder: b)   // issue 13: events to VENs
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dispatch runs with objective, status and solve time.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Most recent runs to list.") var limit: Int = 20
        @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table
        @OptionGroup var siteOption: SiteOption
        func validate() throws {
            guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be 1…100000") }
        }
        func run() async throws {
            let store = try global.openStore()
            // The district's runs (--site when several are loaded; every run when no site is loaded).
            let runs = try await store.dispatch.dispatchRuns(limit: limit, siteID: try await store.selectSite(siteOption.code)?.site.id)
            if format == .json { print(try renderJSON(runs)); return }
            let h = ["id", "started_kst", "status", "objective", "value", "solve_ms", "message"]
            let rows = runs.map { r in
                [String(r.id), KSTDateTime(epochSeconds: r.startedAt).description, r.status, r.objective,
                 r.objectiveValue.map { fmt($0, 2) } ?? "", r.solveMs.map { fmt($0, 1) } ?? "", r.message ?? ""]
            }
            print(format == .csv ? renderCSV(headers: h, rows: rows) : renderTable(headers: h, rows: rows, numeric: [0, 4, 5]))
        }
    }
}

/// `vpp bench dispatch`: LP solve times, scaling and real-week savings (VPPBenchmarks).
struct BenchDispatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispatch", abstract: "Dispatch LP solve times, scaling and real-week savings (use a release build).")
    @Option(help: "Site config TOML.") var config: String = "site-configs/seodaemun.toml"
    @Option(help: "Shared data folder.") var dataDir: String = "../shared/data"
    @Flag(help: "Smaller grid, fewer repeats.") var quick = false
    func run() async throws {
        let site = try SiteConfigParser().parse(fileAt: config)
        for line in try await DispatchBenchmarks.run(site: site, dataDir: dataDir, quick: quick) { print(line) }
    }
}
