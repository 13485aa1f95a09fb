import Foundation
import Testing
import VPPStoreSQLite
import VPPStore
import VPPCore
import VPPTestSupport
@testable import Forecast

@Suite("PV group training: offset fit, refusal, outages, borrowing, models recorded per run")
struct PVTrainingTests {
    static let start = KSTDateTime(year: 2024, month: 4, day: 1).epochSeconds

    static func dong(_ code: String, azimuthDeg: Double = 180, kWp: Double = 100) -> DongConfig {
        DongConfig(code: code, nameKo: "시험", name: "Test", latitudeDeg: 37.57121, longitudeDeg: 126.95714, households: 1,
                   pvFleets: [PVFleetConfig(id: "roof", kind: .rooftop, units: 1, unitW: kWp * 1000, tiltDeg: 25, azimuthDeg: azimuthDeg,
                                            dcAcRatio: 1)])
    }

    /// Clear, mild weather every hour of `days` days from `start` (plus a margin).
    static func clearWeather(days: Int) -> WeatherSeries {
        WeatherSeries(points: (-24...(days * 24 + 24)).map {
            WeatherPoint(epoch: start + Int64($0) * 3600, temperatureC: 15, windSpeedMS: 2, humidityPct: 50, sky: 1)
        })
    }

    /// "Measured" output: the group's clear-sky chain shifted by `offsetMin` and scaled; zero on `outageDays`.
    static func synthetic(group: PVGroup, weather: WeatherSeries, days: Int, offsetMin: Int, scale: Double,
                          outageDays: Set<Int> = []) -> [(hourStart: Int64, wh: Int64)] {
        var sun = GeocentricCache()
        var out: [(hourStart: Int64, wh: Int64)] = []
        for h in 0..<(days * 24) {
            let t = start + Int64(h) * 3600
            let r = PVGroupChain.slot(group: group, start: t, seconds: 3600, offsetS: Int64(offsetMin * 60), subSteps: 3, weather: weather, sun: &sun)
            let kWh = outageDays.contains(h / 24) ? 0 : (r?.clearSkyACKW ?? 0) * scale
            out.append((t, Int64((kWh * 1000).rounded())))
        }
        return out
    }

    @Test("The clear-day grid search recovers a known 25-minute offset and 0.9 scale; outage days are excluded and counted")
    func offsetRecovered() throws {
        let g = PVGroup(dong: Self.dong("1141052000"), linke: .generic)
        let w = Self.clearWeather(days: 45)
        let actual = Self.synthetic(group: g, weather: w, days: 45, offsetMin: 25, scale: 0.9, outageDays: [10, 20])
        var sun = GeocentricCache()
        let m = try PVGroupTrainer.fit(group: g, actual: actual, weather: w, from: Self.start, to: Self.start + 45 * 86_400, sun: &sun)
        #expect(m.calibration.offsetMinutes == 25)
        #expect(abs(m.calibration.scale - 0.9) < 0.01, "scale \(m.calibration.scale)")
        #expect(m.outageDaysExcluded == 2)
        #expect(m.daysWithData == 45 && m.clearDays >= 5)
        #expect(m.correction != nil)
        // Serving with the model reproduces the synthetic output closely on a clear day.
        var sun2 = GeocentricCache()
        var err = 0.0, tot = 0.0
        for h in (30 * 24)..<(31 * 24) {
            let t = Self.start + Int64(h) * 3600
            guard let r = PVGroupChain.slot(group: g, start: t, seconds: 3600, offsetS: 1500, subSteps: 3, weather: w, sun: &sun2) else { continue }
            let f = m.apply(r, group: g, weather: w).kW
            err += abs(f - Double(actual[h].wh) / 1000); tot += Double(actual[h].wh) / 1000
        }
        #expect(tot > 0 && err / tot < 0.05, "relative daily error \(err / tot)")
    }

    @Test("Fewer than 30 days of data: training refuses with a clear message")
    func refusesShortHistory() throws {
        let g = PVGroup(dong: Self.dong("1141052000"), linke: .generic)
        let w = Self.clearWeather(days: 20)
        let actual = Self.synthetic(group: g, weather: w, days: 20, offsetMin: 0, scale: 1)
        var sun = GeocentricCache()
        do {
            _ = try PVGroupTrainer.fit(group: g, actual: actual, weather: w, from: Self.start, to: Self.start + 60 * 86_400, sun: &sun)
            Issue.record("training on 20 days should be refused")
        } catch ForecastError.insufficientData(let m) {
            #expect(m.contains("20 days") && m.contains("fewer than 30") && m.contains("physical model is used"), "\(m)")
        }
    }

    @Test("forecast train on the store; forecast run records each dong's model: own, borrowed, physical")
    func trainAndRunRecordModels() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let metered = Self.dong("1141052000"), unmetered = Self.dong("1141055500", azimuthDeg: 170, kWp: 50)
        let short = Self.dong("1141056000", azimuthDeg: 90)
        let site = SiteConfig(site: SiteInfo(id: "t", name: "t", nameKo: "t"), dongs: [metered, unmetered, short])
        _ = try await store.loadSite(site)
        let days = 40
        let w = Self.clearWeather(days: days + 2)
        // Archive the weather as issued the day before at 05:00 KST.
        let grid = KMAGrid.gridPoint(latitudeDeg: metered.latitudeDeg, longitudeDeg: metered.longitudeDeg)
        let hours = w.points.map { p in
            ArchivedWeatherHour(nx: grid.nx, ny: grid.ny, baseTime: WeatherFileImport.IssueRule.previousDay(hourKST: 5).baseTime(valid: p.epoch),
                                validTime: p.epoch, temperatureC: p.temperatureC, humidityPct: p.humidityPct, windSpeedMS: p.windSpeedMS, sky: p.sky)
        }
        _ = try await store.archiveWeather(source: "synthetic", importedAt: 0, hours: hours, rejects: [])
        let g = PVGroup(dong: metered, linke: .generic)
        let gen = Self.synthetic(group: g, weather: w, days: days, offsetMin: 20, scale: 0.85)
        let gShort = PVGroup(dong: short, linke: .generic)
        let genShort = Self.synthetic(group: gShort, weather: w, days: 10, offsetMin: 0, scale: 1)
        try await store.replaceRollups(gen.map { (metered.code, HourlyRollup(hourStart: $0.hourStart, generationWh: $0.wh, consumptionCoveredS: 0)) }
                                       + genShort.map { (short.code, HourlyRollup(hourStart: $0.hourStart, generationWh: $0.wh, consumptionCoveredS: 0)) })
        let until = Self.start + Int64(days) * 86_400
        let outcomes = try await PVGroupTrainer.train(storage: store.storage, site: site, until: until, windowS: Int64(days) * 86_400, trainedAt: until)
        #expect(outcomes.count == 3)
        var trainedID: Int64? = nil
        for o in outcomes {
            switch o {
            case .trained(let id, let m): trainedID = id; #expect(m.group == metered.code && m.calibration.offsetMinutes == 20)
            case .refused(let grp, let reason): #expect(grp == short.code && reason.contains("fewer than 30"))
            case .unmetered(let grp): #expect(grp == unmetered.code)
            }
        }
        let id = try #require(trainedID)
        let day = until
        let s = try await ForecastRunner.run(storage: store.storage, site: site, start: day, slots: 24, length: .hour,
                                             weather: [metered.code: w, unmetered.code: w, short.code: w], issuedAt: day - 6 * 3600)
        #expect(s.pvModels[metered.code]?.source == "own" && s.pvModels[metered.code]?.modelID == id)
        #expect(s.pvModels[unmetered.code]?.source == "borrowed" && s.pvModels[unmetered.code]?.fromGroup == metered.code)
        #expect(s.pvModels[unmetered.code]?.label.contains("borrows \(metered.code)") == true)
        // The short-history dong has no model of its own; it borrows too (the district has a metered group).
        #expect(s.pvModels[short.code]?.source == "borrowed")
        let run = try #require(try await store.forecastRun(id: s.runID))
        let params = try #require(try JSONSerialization.jsonObject(with: Data(run.paramsJSON.utf8)) as? [String: Any])
        let models = try #require(params["pv_models"] as? [String: [String: Any]])
        #expect(models[metered.code]?["source"] as? String == "own")
        #expect((models[metered.code]?["model_id"] as? NSNumber)?.int64Value == id)
        #expect(models[unmetered.code]?["from_group"] as? String == metered.code)
        // The borrowed model scales with the borrower's capacity: half the kWp, about half the energy.
        let a = s.pv.filter { $0.dongCode == metered.code }.reduce(0.0) { $0 + $1.pv.kWh }
        let b = s.pv.filter { $0.dongCode == unmetered.code }.reduce(0.0) { $0 + $1.pv.kWh }
        #expect(a > 0 && b / a > 0.4 && b / a < 0.6, "ratio \(b / a)")
    }

    @Test("No models at all: every dong uses the physical model, labelled as such")
    func physicalLabelled() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let d = Self.dong("1141052000")
        let site = SiteConfig(site: SiteInfo(id: "t", name: "t", nameKo: "t"), dongs: [d])
        let w = Self.clearWeather(days: 3)
        let s = try await ForecastRunner.run(storage: store.storage, site: site, start: Self.start + 86_400, slots: 24, length: .hour,
                                             weather: [d.code: w], issuedAt: Self.start)
        #expect(s.pvModels[d.code]?.source == "physical")
        #expect(s.lines.joined().contains("physical model (no trained model)"))
    }
}
