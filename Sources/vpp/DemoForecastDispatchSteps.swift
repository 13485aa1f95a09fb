import VPPBenchmarks
import VPPServer
import Tracking
import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPAuth
import Dispatcher
import Forecast
import Foundation
import VPPCore
import VPPStore

/// Demo steps 3 (forecast) and 4 (dispatch): day-ahead forecast for the day after the ingested
/// data, then a scheduled dispatch run on it that writes setpoint files to `out/outbox`.
enum DemoForecastDispatchSteps {
    /// 2022-08-01 00:00 KST: the day after the demo's ingested July 2022 samples.
    static let horizonStart = KSTDateTime(year: 2022, month: 8, day: 1)
    /// Issued the afternoon before, as a day-ahead forecast would be.
    static let issuedAt = KSTDateTime(year: 2022, month: 7, day: 31, hour: 17)

    static func run(storage store: Storage, samples: String, outDir: String) async throws {
        guard let site = try await store.selectSite(nil) else { throw VPPError(.internal, "demo: no site loaded") }
        let weatherPath = samples + "/weather-standin-2022-08-01.csv"
        let weather = try WeatherCSV.load(path: weatherPath)
        let perDong = Dictionary(uniqueKeysWithValues: site.dongs.map { ($0.code, weather) })
        let start = horizonStart.epochSeconds
        let horizon = Horizon(hours: 48), step = Step(.quarterHour)
        let summary = try await ForecastRunner.run(storage: store, site: site, start: start, slots: horizon.slots(step), length: step.length,
                                             weather: perDong, issuedAt: issuedAt.epochSeconds)
        print("\n== 3. forecast: \(horizon.hours) h at \(step.length.seconds / 60) min from \(horizonStart) KST, weather \(weatherPath)")
        print("   (stand-in: the real KMA forecast for Dangjin, 2019-08-01..03, re-dated; see samples/SOURCE.txt)")
        for l in summary.lines { print("   " + l) }

        // 4. dispatch: the scheduled (MPC) form, as cron/systemd would run it at 00:00.
        let builder = SiteProblemBuilder(site: site)
        let options = DispatchRunner.Options(outbox: outDir + "/outbox", lockPath: outDir + "/dispatch.lock")
        let runner = DispatchRunner(builder: builder, storage: store, options: options) { s, st, n in
            let i = try await HorizonInputs.build(storage: store, site: site, start: s, step: st, slots: n, now: start,
                                                  nominal: .init(meanHouseholdKW: builder.meanHouseholdKW, participation: builder.participation))
            return DispatchSeries(series: i.series, sources: i.summary)
        }
        let r = try await runner.run(now: start)
        print("\n== 4. dispatch run \(r.runID): objective \(fmt(r.plan.objective, 0)) KRW-equivalent, SoC from \(r.socSource), "
              + "build+solve \(fmt((r.plan.buildSeconds + r.plan.solveSeconds) * 1000, 1)) ms, \(r.files.count) setpoint files in \(options.outbox)")
        print("   load/PV slots by source: \(r.inputSources)")
        let rows = r.plan.batteries.map { b -> [String] in
            let step = r.plan.step.hours
            let charged = b.chargeKW.reduce(0, +) * step, discharged = b.dischargeKW.reduce(0, +) * step
            return [b.id, b.dong, fmt(charged, 1), fmt(discharged, 1), fmt(b.socKWh.min() ?? 0, 1), fmt(b.socKWh.max() ?? 0, 1)]
        }
        print(renderTable(headers: ["battery", "dong", "charge_kwh", "discharge_kwh", "soc_min_kwh", "soc_max_kwh"],
                          rows: rows, numeric: [2, 3, 4, 5]))
    }
}
