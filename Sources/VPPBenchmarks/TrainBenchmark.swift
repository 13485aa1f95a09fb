import Forecast
import VPPConfig
import VPPStoreSQLite
import Foundation
import VPPCore
import VPPStore

/// `vpp bench train`: time of `forecast train` (PVGroupTrainer.train: store reads, calibration
/// grid search, trend, ridge with cross-validation, model writes) for one year × every dong of a
/// site config, on a temporary store filled with synthetic but physically shaped inputs: a seeded
/// KMA-like weather year per grid cell (SKY 1–4 random walk, PTY on overcast hours) archived as
/// issued D-1 05:00, and each dong's "measured" output = its physical forecast under that weather
/// with a 20-minute lag, 0.9 scale and ±10 % seeded noise. The setup is not timed.
public enum TrainBenchmark {
    public static func run(siteConfigPath: String, directory: String, seed: UInt64 = 7) async throws -> [String] {
        let site = try SiteConfigParser().parse(fileAt: siteConfigPath)
        let dir = URL(fileURLWithPath: directory).appendingPathComponent("vpp-bench-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteStore(path: dir.appendingPathComponent("bench.sqlite").path)
        _ = try await store.loadSite(site)
        let from = KSTDateTime(year: 2025, month: 6, day: 1).epochSeconds, days = 365
        let until = from + Int64(days) * 86_400
        var rng = SplitMix64(seed: seed)
        // Weather per grid cell.
        var byCell: [KMAGridPoint: WeatherSeries] = [:]
        var archived: [ArchivedWeatherHour] = []
        let setup0 = Date()
        for d in site.dongs {
            let g = KMAGrid.gridPoint(latitudeDeg: d.latitudeDeg, longitudeDeg: d.longitudeDeg)
            if byCell[g] != nil { continue }
            var sky = 1.0
            var pts: [WeatherPoint] = []
            for h in -48...(days * 24 + 48) {
                let t = from + Int64(h) * 3600
                if h % 3 == 0 { sky = min(max(sky + Double(Int.random(in: -1...1, using: &rng)), 1), 4) }
                let doy = Double((h / 24 + 152) % 365)
                let p = WeatherPoint(epoch: t, temperatureC: 12 - 14 * cos(2 * .pi * (doy - 15) / 365) + 5 * sin(2 * .pi * Double(h % 24 - 9) / 24),
                                     windSpeedMS: 2 + Double.random(in: 0...2, using: &rng), humidityPct: 45 + 12 * sky,
                                     sky: sky, precipitationType: sky >= 4 && Bool.random(using: &rng) ? 1 : 0,
                                     precipitationProbabilityPct: sky >= 4 ? 60 : 10 * sky)
                pts.append(p)
                archived.append(ArchivedWeatherHour(nx: g.nx, ny: g.ny, baseTime: WeatherFileImport.IssueRule.previousDay(hourKST: 5).baseTime(valid: t),
                                                    validTime: t, temperatureC: p.temperatureC, humidityPct: p.humidityPct, windSpeedMS: p.windSpeedMS,
                                                    sky: p.sky, precipitationType: p.precipitationType,
                                                    precipitationProbabilityPct: p.precipitationProbabilityPct))
            }
            byCell[g] = WeatherSeries(points: pts)
        }
        _ = try await store.archiveWeather(source: "bench", importedAt: 0, hours: archived, rejects: [])
        // Measured output per dong.
        let linke = LinkeTurbidity(site: site.site)
        var sun = GeocentricCache()
        var rollups: [(dongCode: String, rollup: HourlyRollup)] = []
        for d in site.dongs where !d.pvFleets.isEmpty {
            let g = PVGroup(dong: d, linke: linke)
            guard let w = byCell[KMAGrid.gridPoint(latitudeDeg: d.latitudeDeg, longitudeDeg: d.longitudeDeg)] else { continue }
            for h in 0..<(days * 24) {
                let t = from + Int64(h) * 3600
                let kW = (PVGroupChain.slot(group: g, start: t, seconds: 3600, offsetS: 1200, subSteps: 1, weather: w, sun: &sun)?.acKW ?? 0)
                    * 0.9 * Double.random(in: 0.9...1.1, using: &rng)
                rollups.append((d.code, HourlyRollup(hourStart: t, generationWh: Int64((kW * 1000).rounded()), consumptionCoveredS: 0)))
            }
        }
        try await store.replaceRollups(rollups)
        let setup = Date().timeIntervalSince(setup0)
        let t0 = Date(), cpu0 = ScoreBenchmark.processCPUSeconds()
        let outcomes = try await PVGroupTrainer.train(storage: store.storage, site: site, until: until, windowS: Int64(days) * 86_400,
                                                      trainedAt: until)
        let dt = Date().timeIntervalSince(t0), cpu = ScoreBenchmark.processCPUSeconds() - cpu0
        // Wall time depends on what else the machine runs; the process CPU time does not (the
        // fits run in parallel, so on an idle machine wall ≈ CPU / cores + the serial parts).
        var lines = ["forecast train: \(days) days × \(outcomes.count) PV groups (\(site.dongs.count) dongs, \(site.site.id)), "
                     + "\(String(format: "%.2f", dt)) s wall, \(String(format: "%.2f", cpu)) s CPU on \(ProcessInfo.processInfo.activeProcessorCount) cores "
                     + "(target < 2 s; setup \(String(format: "%.1f", setup)) s not timed)"]
        for o in outcomes { lines.append("  " + o.line) }
        return lines
    }
}

