import Foundation
import Testing
@testable import VPPBenchmarks
import VPPConfig
import VPPStoreSQLite
import VPPStore
import VPPCore
import VPPTestSupport
@testable import Forecast

@Suite("Forecast store and runner")
struct StoreAndRunnerTests {
    static func site() -> SiteConfig {
        let dongs = [
            DongConfig(code: "1141052000", nameKo: "천연동", name: "Cheonyeon-dong", latitudeDeg: 37.57121, longitudeDeg: 126.95714,
                       households: 7768, pvFleets: [
                           PVFleetConfig(id: "mini", kind: .miniSolar, units: 300, unitW: 325, tiltDeg: 70, azimuthDeg: 180),
                           PVFleetConfig(id: "roof", kind: .rooftop, units: 1, unitW: 110_000, tiltDeg: 25, azimuthDeg: 180),
                       ]),
            DongConfig(code: "1141055500", nameKo: "북아현동", name: "Bugahyeon-dong", latitudeDeg: 37.55925, longitudeDeg: 126.95552,
                       households: 7276, pvFleets: [
                           PVFleetConfig(id: "roof", kind: .rooftop, units: 1, unitW: 50_000, tiltDeg: 25, azimuthDeg: 135),
                       ]),
        ]
        return SiteConfig(site: SiteInfo(id: "t", name: "t", nameKo: "t"), dongs: dongs)
    }

    @Test("Run stores PV per dong and slot; values read back; model and cache round-trip")
    func runAndReadBack() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let start = KSTDateTime(year: 2024, month: 7, day: 2).epochSeconds
        let w = WeatherSeries(points: (0...50).map {
            WeatherPoint(epoch: start - 3600 + Int64($0) * 3600, temperatureC: 25, windSpeedMS: 2, humidityPct: 70, sky: 1)
        })
        let site = Self.site()
        let s = try await ForecastRunner.run(storage: store.storage, site: site, start: start, slots: 192, length: .quarterHour,
                                       weather: [site.dongs[0].code: w, site.dongs[1].code: w], issuedAt: start - 86_400)
        #expect(s.dongsWithPV == 2 && s.dongsWithLoad == 0)
        let run = try await #require(try store.forecastRun())
        #expect(run.id == s.runID && run.stepS == 900 && run.horizonS == 48 * 3600)
        let pv = try await store.forecastValues(runID: run.id, dong: "1141052000", quantity: "pv")
        #expect(pv.count == 192)
        // Clear July day for 207.5 kWp: daily energy between 0.3 and 1.2 MWh, zero at night.
        let day1 = pv.prefix(96).reduce(Int64(0)) { $0 + $1.value.wh }
        #expect(day1 > 300_000 && day1 < 1_200_000, "day energy \(day1) Wh")
        #expect(pv[0].value.wh == 0 && pv[48].value.wh > 0)
        // Persisted model with its training window.
        let id = try await store.saveForecastModel(name: "pv-correction", trainedAt: 5, trainFrom: 1, trainTo: 2, paramsJSON: "{}")
        let m = try await #require(try store.latestForecastModel(name: "pv-correction"))
        #expect(m.id == id && m.trainFrom == 1 && m.trainTo == 2)
        try await store.putWeather(key: "k", fetchedAt: 1, body: Data("x".utf8))
        await #expect(try store.weatherBody(key: "k") == Data("x".utf8))
        await #expect(try store.weatherBody(key: "missing") == nil)
    }

    @Test("District forecaster (shared geocentric sun) matches the per-system chain")
    func districtMatchesSingle() throws {
        let site = Self.site()
        let start = KSTDateTime(year: 2024, month: 7, day: 2).epochSeconds
        let w = WeatherSeries(points: (0...26).map {
            WeatherPoint(epoch: start - 3600 + Int64($0) * 3600, temperatureC: 25, windSpeedMS: 2, humidityPct: 70, sky: 3)
        })
        let fc = DistrictPVForecaster(dongs: [site.dongs[1]], subSteps: 4)
        let d = fc.forecast(from: start + 12 * 3600, slots: 1, length: .hour) { _ in w }
        let sys = PVSystem(fleet: site.dongs[1].pvFleets[0], dong: site.dongs[1])
        let single = try #require(PhysicalPV.slots(system: sys, from: start + 12 * 3600, count: 1, length: .hour, weather: w).first)
        #expect(abs(Double(try #require(d.first).pv.wh) - single.energyWh) <= 1)
    }
}
